import Foundation

/// A pitch contour (Salamon & Gómez 2012, section II-C): a run of consecutive frames whose salience peaks
/// are continuous in pitch, with the characteristics melody selection reads.
public struct PitchContour: Sendable {
    /// First frame.
    public var start: Int
    /// Pitch per frame, cents above `PredominantMelodyParameters.fmin`.
    public var cents: [Float]
    /// Salience per frame.
    public var salience: [Float]

    public var end: Int { start + cents.count }
    /// Mean pitch, cents.
    public var meanCents: Float { cents.reduce(0, +) / Float(cents.count) }
    /// Standard deviation of the pitch, cents.
    public var pitchDeviation: Float {
        let m = meanCents
        return (cents.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Float(cents.count)).squareRoot()
    }
    /// Sum of the salience over the contour.
    public var totalSalience: Float { salience.reduce(0, +) }
    /// Mean salience per frame.
    public var meanSalience: Float { totalSalience / Float(cents.count) }

    /// Whether the pitch oscillates like vibrato: after removing a moving average of about 125 ms, the residual
    /// crosses zero at a rate of 5 to 8 Hz (the paper's band) with a peak-to-peak extent of 30 to 250 cents.
    /// `frameRate` is frames per second.
    public func hasVibrato(frameRate: Double) -> Bool {
        let half = max(1, Int((0.0625 * frameRate).rounded()))
        guard cents.count >= 4 * half + 4, Double(cents.count) / frameRate >= 0.35 else { return false }
        var residual: [Float] = []
        for t in half..<(cents.count - half) {
            var sum: Float = 0
            for u in (t - half)...(t + half) { sum += cents[u] }
            residual.append(cents[t] - sum / Float(2 * half + 1))
        }
        var crossings = 0
        for t in 1..<residual.count where (residual[t - 1] < 0) != (residual[t] < 0) { crossings += 1 }
        let rate = Double(crossings) / 2 / (Double(residual.count) / frameRate)
        let extent = (residual.max() ?? 0) - (residual.min() ?? 0)
        return (5...8).contains(rate) && (30...250).contains(extent)
    }
}

/// Builds the pitch contours of `peaks` (Salamon & Gómez 2012, section II-C), and keeps those at least
/// `parameters.minimumContour` long.
///
/// Peaks under `framePeakRatio` x their frame's highest peak, or under mean - `peakDeviation` x standard
/// deviation of all peaks' salience, may continue a contour but never start one. From the most salient unused
/// seed, a contour grows forward and backward one frame at a time to the unused peak nearest in pitch within
/// `continuityCents`, seeds first; it stops after `maximumGap` seconds of non-seed peaks only (which are then
/// trimmed) or where no peak is near enough. Each peak belongs to at most one contour.
public func pitchContours(_ peaks: SaliencePeaks, parameters: PredominantMelodyParameters) -> [PitchContour] {
    let count = peaks.cents.count
    guard count > 0 else { return [] }
    let mean = peaks.salience.reduce(0, +) / Float(count)
    let deviation = (peaks.salience.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(count)).squareRoot()
    let globalFloor = mean - parameters.peakDeviation * deviation
    // 0: used, 1: seed (S+), 2: non-seed (S-).
    var state = [UInt8](repeating: 2, count: count)
    var frameOf = [Int](repeating: 0, count: count)
    for t in 0..<peaks.frameCount {
        let range = peaks.start[t]..<peaks.start[t + 1]
        guard let top = range.map({ peaks.salience[$0] }).max() else { continue }
        for i in range {
            frameOf[i] = t
            if peaks.salience[i] >= parameters.framePeakRatio * top && peaks.salience[i] >= globalFloor { state[i] = 1 }
        }
    }
    let seeds = (0..<count).filter { state[$0] == 1 }.sorted { peaks.salience[$0] > peaks.salience[$1] }
    let frameRate = peaks.times.count > 1 ? 1 / (peaks.times[1] - peaks.times[0]) : 1
    let gapFrames = Int((parameters.maximumGap * frameRate).rounded())
    let minimumFrames = max(1, Int((parameters.minimumContour * frameRate).rounded()))

    /// The unused peak of frame `t` nearest `cents` within the continuity limit, seeds first.
    func next(_ t: Int, near cents: Float) -> Int? {
        var best: Int?, bestSeed = false, bestDistance = Float.infinity
        for i in peaks.start[t]..<peaks.start[t + 1] where state[i] != 0 {
            let d = abs(peaks.cents[i] - cents)
            guard d <= parameters.continuityCents else { continue }
            let seed = state[i] == 1
            if (seed && !bestSeed) || (seed == bestSeed && d < bestDistance) { best = i; bestSeed = seed; bestDistance = d }
        }
        return best
    }
    /// Grows from `first` in direction `step`; returns the peaks taken, in the order met.
    func grow(from first: Int, step: Int) -> [Int] {
        var taken: [Int] = [], seedTaken: [Bool] = [], gap = 0, t = frameOf[first] + step, cents = peaks.cents[first]
        while t >= 0 && t < peaks.frameCount, let i = next(t, near: cents) {
            let seed = state[i] == 1
            gap = seed ? 0 : gap + 1
            if gap > gapFrames { break }
            taken.append(i)
            seedTaken.append(seed)
            state[i] = 0
            cents = peaks.cents[i]
            t += step
        }
        // Trailing non-seed peaks go back to the pool.
        while let last = taken.last, seedTaken.last == false { state[last] = 2; taken.removeLast(); seedTaken.removeLast() }
        return taken
    }

    var contours: [PitchContour] = []
    for seed in seeds where state[seed] == 1 {
        state[seed] = 0
        let forward = grow(from: seed, step: 1)
        let backward = grow(from: seed, step: -1)
        let members = backward.reversed() + [seed] + forward
        guard members.count >= minimumFrames else { continue }
        contours.append(PitchContour(start: frameOf[members[0]], cents: members.map { peaks.cents[$0] },
                                     salience: members.map { peaks.salience[$0] }))
    }
    return contours
}
