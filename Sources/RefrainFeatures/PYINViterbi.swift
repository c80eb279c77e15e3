import Foundation
import RefrainMath

/// Viterbi decoding of pYIN's hidden Markov model with `librosa.sequence.viterbi` semantics, over the
/// transition matrix `librosa.pyin` builds: `kron([[1 - s, s], [s, 1 - s]], transition_local(n, width,
/// "triangle"))`, i.e. pitch moves at most `width / 2` bins per frame with triangular weights (rows
/// renormalized at the range's edges), the voicing switches with probability `s`. As in librosa every
/// probability `p` enters as `log(p + tiny)`, so a transition outside the band is possible at a cost of 708 nats.
///
/// The band makes each step `O(states x width)` instead of `O(states^2)`: for both source halves (voiced,
/// unvoiced) the max-plus convolution `M[j] = max_d A[j + d] + log w(d)` runs sixteen targets at a time.
/// Values are kept as Float32, shifted every frame so that the best is 0. Back-pointers are not stored:
/// the path is traced back through the stored values, recomputing one argmax per frame.
struct PYINViterbi {
    let n: Int
    let half: Int
    /// `log w(d)` for `d` in `-half ... half` (index `d + half`).
    let logKernel: [Float]
    /// `log` of each source row's sum of weights (row normalization).
    let logRowSum: [Float]
    let logStay: Float
    let logSwitch: Float
    /// `log(tiny)` of float64: the cost of a zero probability.
    static let logTiny = Float(log(Double.leastNormalMagnitude))

    init(parameters: PYINParameters) {
        n = parameters.pitchBinCount
        let width = parameters.transitionWidth
        half = width / 2
        // scipy's symmetric triangle window of `width` points, placed by pad_center + roll as librosa does.
        let window: [Double] = (0..<width).map { k in
            let m = Double(width)
            let i = Double(k + 1)
            if width % 2 == 1 {
                let up = i <= (m + 1) / 2 ? i : m + 1 - i
                return 2 * up / (m + 1)
            } else {
                let up = i <= m / 2 ? i : m + 1 - i
                return (2 * up - 1) / m
            }
        }
        let lpad = (n - width) / 2
        var kernel = [Double](repeating: 0, count: 2 * half + 1)
        for d in -half...half {
            let k = (((d - lpad - n / 2 - 1) % n) + n) % n
            kernel[d + half] = k < width ? window[k] : 0
        }
        logKernel = kernel.map { Float(log($0 + Double.leastNormalMagnitude)) }
        let count = n, reach = half
        logRowSum = (0..<count).map { i in
            var s = 0.0
            for d in -reach...reach where i + d >= 0 && i + d < count { s += kernel[d + reach] }
            return Float(log(s))
        }
        let s = parameters.switchProbability
        logStay = Float(log(1 - s + Double.leastNormalMagnitude))
        logSwitch = Float(log(s + Double.leastNormalMagnitude))
    }

    /// The most likely state per frame: `0 ..< n` voiced pitch bins, `n ..< 2n` unvoiced.
    func decode(_ obs: PYINObservations) -> [Int] {
        let frames = obs.frameCount, n = self.n, half = self.half
        guard frames > 0 else { return [] }
        let states = 2 * n
        let blocks = (n + 15) / 16
        let span = blocks * 16
        // Values per frame (voiced bins then unvoiced), shifted so that each frame's best is 0.
        var history = [Float](repeating: 0, count: frames * states)
        // Scratch, all allocated once: sources minus their row's log sum with `half` (+ SIMD slack) of -inf on
        // both sides; the two max-plus results; the frame's voiced observation; the row log sums padded.
        let sourceLength = span + 2 * half + 16
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 2 * sourceLength + 4 * span)
        defer { scratch.deallocate() }
        let sourceV = scratch, sourceU = scratch + sourceLength
        let bestV = scratch + 2 * sourceLength, bestU = bestV + span, observation = bestU + span, rowSum = observation + span
        sourceV.initialize(repeating: -.infinity, count: 2 * sourceLength)
        (bestV).initialize(repeating: 0, count: 4 * span)
        for i in 0..<n { rowSum[i] = logRowSum[i] }
        let logTiny = PYINViterbi.logTiny, logStay = self.logStay, logSwitch = self.logSwitch
        let kernel = Array(logKernel.reversed())  // maxPlus walks sources upwards (d = source - target)

        func fillObservation(_ t: Int) -> Float {
            observation.update(repeating: logTiny, count: n)
            let base = t * obs.capacity
            for c in 0..<Int(obs.counts[t]) {
                let b = Int(obs.bins[base + c])
                if b < n { observation[b] = Float(log(Double(obs.probabilities[base + c]) + Double.leastNormalMagnitude)) }
            }
            return Float(log(Double((1 - obs.voicedProbability[t]) / Float(n)) + Double.leastNormalMagnitude))
        }

        history.withUnsafeMutableBufferPointer { h in
            let logInit = Float(log(1 / Double(states)))
            let unvoiced0 = fillObservation(0)
            var top = -Float.infinity
            for j in 0..<n {
                h[j] = observation[j] + logInit
                h[n + j] = unvoiced0 + logInit
                top = max(top, h[j], h[n + j])
            }
            for s in 0..<states { h[s] -= top }
            kernel.withUnsafeBufferPointer { lk in
                for t in 1..<frames {
                    let previous = UnsafePointer(h.baseAddress! + (t - 1) * states)
                    // The previous frame's best is 0 (every frame is shifted so).
                    for i in 0..<n {
                        sourceV[half + i] = previous[i] - rowSum[i]
                        sourceU[half + i] = previous[n + i] - rowSum[i]
                    }
                    maxPlus(sourceV, sourceU, kernel: lk.baseAddress!, half: half, blocks: blocks, into: bestV, bestU)
                    let unvoiced = fillObservation(t)
                    let fallback = logTiny  // previous top (0) + log(tiny)
                    let current = h.baseAddress! + t * states
                    var top = -Float.infinity
                    for j in 0..<n {
                        let v = observation[j] + max(max(bestV[j] + logStay, bestU[j] + logSwitch), fallback)
                        let u = unvoiced + max(max(bestV[j] + logSwitch, bestU[j] + logStay), fallback)
                        current[j] = v
                        current[n + j] = u
                        top = max(top, max(v, u))
                    }
                    for s in 0..<states { current[s] -= top }
                }
            }
        }
        // Trace back: the best final state (first on ties), then per frame the predecessor that gave the maximum.
        var path = [Int](repeating: 0, count: frames)
        history.withUnsafeBufferPointer { h in
            let last = h.baseAddress! + (frames - 1) * states
            var best = 0
            for s in 1..<states where last[s] > last[best] { best = s }
            path[frames - 1] = best
            for t in stride(from: frames - 1, to: 0, by: -1) {
                path[t - 1] = predecessor(of: path[t], values: h.baseAddress! + (t - 1) * states)
            }
        }
        return path
    }

    /// The source state that maximizes `values[source] + log T[source, target]`, first in index order on ties.
    private func predecessor(of target: Int, values: UnsafePointer<Float>) -> Int {
        let j = target % n
        let targetVoiced = target < n
        var best = -Float.infinity
        var arg = -1
        for sourceVoiced in [true, false] {
            let offset = sourceVoiced ? 0 : n
            let lsw = sourceVoiced == targetVoiced ? logStay : logSwitch
            for i in max(0, j - half)...min(n - 1, j + half) {
                let value = ((values[offset + i] - logRowSum[i]) + logKernel[j - i + half]) + lsw
                if value > best { best = value; arg = offset + i }
            }
        }
        // Out-of-band sources, at log(tiny): the frame's best state has value 0.
        if PYINViterbi.logTiny > best {
            var top = 0
            for s in 1..<(2 * n) where values[s] > values[top] { top = s }
            arg = top
        }
        return arg
    }
}

/// `mv[j] = max_{d} av[j + d + half] + kernel[d + half]` for `d` in `-half ... half`, `j` in `0 ..< 16 blocks`
/// (and the same from `au` into `mu`); `av`/`au` are padded with `half` values on the left.
private func maxPlus(_ av: UnsafePointer<Float>, _ au: UnsafePointer<Float>, kernel: UnsafePointer<Float>, half: Int,
                     blocks: Int, into mv: UnsafeMutablePointer<Float>, _ mu: UnsafeMutablePointer<Float>) {
    let rv = UnsafeRawPointer(av), ru = UnsafeRawPointer(au)
    let width = 2 * half + 1
    for block in 0..<blocks {
        let j = block * 16
        var accV = SIMD16<Float>(repeating: -.infinity)
        var accU = SIMD16<Float>(repeating: -.infinity)
        for k in 0..<width {
            let w = SIMD16<Float>(repeating: kernel[k])
            // Source index j + (k - half), stored at offset half: j + k.
            let v = rv.loadUnaligned(fromByteOffset: 4 * (j + k), as: SIMD16<Float>.self)
            let u = ru.loadUnaligned(fromByteOffset: 4 * (j + k), as: SIMD16<Float>.self)
            // Compare and blend: the standard pointwiseMax honours NaN lane by lane and is scalarized.
            let sv = v + w, su = u + w
            accV.replace(with: sv, where: sv .> accV)
            accU.replace(with: su, where: su .> accU)
        }
        UnsafeMutableRawPointer(mv).storeBytes(of: accV, toByteOffset: 4 * j, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(mu).storeBytes(of: accU, toByteOffset: 4 * j, as: SIMD16<Float>.self)
    }
}
