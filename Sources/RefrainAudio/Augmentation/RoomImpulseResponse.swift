import Foundation
import RefrainMath

/// A synthetic room impulse response: the direct sound, a few discrete early reflections, and a diffuse
/// tail of Gaussian noise under an exponential envelope that falls 60 dB in `rt60` seconds (the
/// statistical model of reverberation, Schroeder 1962; the noise-tail method of Lehmann & Johansson
/// 2010's "diffuse reverberation model"). The tail is darkened by a one-pole low-pass (`damping` Hz), as
/// air and walls absorb high frequencies more.
///
/// Same parameters, same seed: the same samples.
public struct RoomImpulseResponse: Codable, Equatable, Sendable {
    /// Time for the tail's energy to fall by 60 dB, seconds.
    public var rt60: Double
    /// Energy of the direct sound over that of everything after it, dB (about -5 far from a source in a
    /// hall, +10 close to it).
    public var directToReverberantDB: Double
    /// Number of early reflections, spread over the first `earlyWindow` seconds.
    public var earlyReflections: Int
    public var earlyWindow: Double
    /// Corner of the tail's low-pass, Hz.
    public var damping: Double
    public var seed: UInt64

    public init(rt60: Double, directToReverberantDB: Double = 3, earlyReflections: Int = 8, earlyWindow: Double = 0.05,
                damping: Double = 6000, seed: UInt64 = 1) {
        self.rt60 = rt60
        self.directToReverberantDB = directToReverberantDB
        self.earlyReflections = earlyReflections
        self.earlyWindow = earlyWindow
        self.damping = damping
        self.seed = seed
    }

    /// The response at `sampleRate` Hz, lasting until the tail is 70 dB down (about 1.17 `rt60`);
    /// the direct sound is sample 0 with amplitude 1.
    public func samples(sampleRate: Double) throws -> [Float] {
        guard rt60 >= 0.05, rt60 <= 10, rt60.isFinite else {
            throw RefrainError.invalidArgument("RT60 must be 0.05...10 s, got \(rt60)")
        }
        guard sampleRate >= 1000, sampleRate.isFinite else { throw RefrainError.invalidArgument("sample rate \(sampleRate) Hz is too low") }
        var random = SplitMix64(seed: seed)
        let count = Int((rt60 * 70 / 60 + earlyWindow) * sampleRate)
        // Amplitude decay per sample: energy falls 60 dB (amplitude 1000x) in rt60 seconds.
        let decay = log(1000.0) / (rt60 * sampleRate)
        var tail = [Double](repeating: 0, count: count)
        // The diffuse part starts after a short gap (the first reflections arrive before it builds up).
        let onset = Int(0.003 * sampleRate)
        let pole = damping < sampleRate / 2 ? exp(-2 * Double.pi * damping / sampleRate) : 0
        var state = 0.0
        for i in onset..<count {
            state = (1 - pole) * random.gaussian() + pole * state
            // A 5 ms fade-in so that the tail does not start with a click.
            let fade = min(1, Double(i - onset) / (0.005 * sampleRate))
            tail[i] = state * exp(-decay * Double(i)) * fade
        }
        for _ in 0..<max(0, earlyReflections) {
            let at = Int(random.uniform(0.002...max(0.002, earlyWindow)) * sampleRate)
            guard at < count else { continue }
            let sign: Double = random.chance(0.5) ? 1 : -1
            tail[at] += sign * random.uniform(0.2...0.7) * exp(-decay * Double(at))
        }
        // Scale everything after the direct sound to the asked direct-to-reverberant ratio.
        let energy = tail.reduce(0) { $0 + $1 * $1 }
        let scale = energy > 0 ? (pow(10, -directToReverberantDB / 10) / energy).squareRoot() : 0
        var out = tail.map { Float($0 * scale) }
        out[0] = 1
        return out
    }

    /// Reverberation time estimated from an impulse response by Schroeder's backward integration (Schroeder
    /// 1965, "New method of measuring reverberation time"): the energy decay curve in dB, a least-squares
    /// line fitted between -5 and -25 dB, and the time it takes that line to fall 60 dB (ISO 3382's T20).
    /// The direct sound is left out (the curve starts after the first 2.5 ms). Nil when the decay never
    /// reaches -25 dB.
    public static func estimateRT60(_ response: [Float], sampleRate: Double) -> Double? {
        let skip = Int(0.0025 * sampleRate)
        guard response.count > skip + 10 else { return nil }
        var energy = [Double](repeating: 0, count: response.count - skip)
        var sum = 0.0
        for i in stride(from: response.count - 1, through: skip, by: -1) {
            sum += Double(response[i]) * Double(response[i])
            energy[i - skip] = sum
        }
        guard let total = energy.first, total > 0 else { return nil }
        var xs: [Double] = [], ys: [Double] = []
        for (i, e) in energy.enumerated() {
            let db = 10 * log10(max(e / total, 1e-30))
            if db <= -5 && db >= -25 { xs.append(Double(i) / sampleRate); ys.append(db) }
            if db < -25 { break }
        }
        guard xs.count > 10, let last = energy.last, 10 * log10(max(last / total, 1e-30)) < -25 else { return nil }
        let mx = xs.reduce(0, +) / Double(xs.count), my = ys.reduce(0, +) / Double(ys.count)
        var sxy = 0.0, sxx = 0.0
        for (x, y) in zip(xs, ys) { sxy += (x - mx) * (y - my); sxx += (x - mx) * (x - mx) }
        let slope = sxy / sxx  // dB per second, negative
        return slope < 0 ? -60 / slope : nil
    }
}
