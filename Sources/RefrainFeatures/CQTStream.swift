import Foundation
import RefrainAudio
import RefrainMath

/// A constant-Q transform computed while its signal is still arriving (a score's rendering, piece by piece):
/// `finish()` returns `cqt.magnitude(wholeSignal, threads: threads)` bit for bit, with most of its work done by
/// the `feed` calls before it.
///
/// The transform's levels (the signal early-downsampled, then halved once per octave; Schörkhuber & Klapuri
/// 2010, as `CQT`) are made by soxr streams fed as the samples come (`ResampleStream`, whose output does not
/// depend on how its input is cut, and which reproduces `resample`'s two-thread cut of a long signal). Only the
/// samples no later input can change are used (`ResampleStream.finalCount`), and a frame is transformed once its
/// whole window has arrived: every frame's magnitudes depend only on the samples under its window
/// (`CQTResponder`), so each comes out as the whole signal's transform gives it. The frames whose window reaches
/// past the end, the last samples of each level and the octaves' remaining frames are left to `finish()`.
///
/// One thread at a time may feed it; `feed` does its work on the calling thread.
public final class CQTStream {
    public let cqt: CQT
    /// The threads of the `CQT.magnitude` call whose result `finish()` gives (they decide how the early
    /// downsampling cuts a long signal; `finish()` also spreads its remaining octaves over them).
    public let threads: Int
    /// Frames an octave waits for before they are transformed while the signal arrives (whole SIMD blocks).
    static let batchFrames = 32

    private var fed = 0
    private var finite = true
    /// Makes level 0 from the input when the transform downsamples early (nil: level 0 is the input).
    private let early: ResampleStream?
    /// `halvings[k - 1]` makes level `k` from level `k - 1` (`resample(from: 2, to: 1, threads: 1)`, as `CQT`).
    private let halvings: [ResampleStream]
    /// Level 0 when the transform does not downsample early: the input.
    private var input: [Float] = []
    /// The samples of each level that are final so far: level 0 is `input` or `early`'s output, level `k` is
    /// `halvings[k - 1]`'s output, read in place.
    private var known: [Int]
    /// How many samples of level `k - 1` went into `halvings[k - 1]`.
    private var sent: [Int]
    private let responders: [CQTResponder]
    /// Frames of each octave already transformed (`0 ..< done[o]`).
    private var done: [Int]
    /// Frames of each octave transformed so far (for tests and timing).
    var framesDone: [Int] { done }
    /// `rows x binCount` magnitudes, row-major; rows beyond the final frame count are dropped by `finish()`.
    private var values: [Float] = []
    private var rows = 0

    /// - Parameters:
    ///   - cqt: the transform (at the rate of the samples to come).
    ///   - threads: as `CQT.magnitude(_:threads:)`'s.
    ///   - expectedSamples: about how many samples will come (0: unknown); room for them is made at once, so that
    ///     the buffers are not copied while they grow.
    public init(_ cqt: CQT, threads: Int = ComputeBudget.machine.threads, expectedSamples: Int = 0) throws {
        self.cqt = cqt
        self.threads = max(1, threads)
        early = cqt.earlyDownsampling > 0
            ? try ResampleStream(from: Double(1 << cqt.earlyDownsampling), to: 1, threads: self.threads) : nil
        let levelCount = (cqt.octaves.last?.level ?? 0) + 1
        halvings = try (1..<max(1, levelCount)).map { _ in try ResampleStream(from: 2, to: 1, threads: 1) }
        known = Array(repeating: 0, count: levelCount)
        sent = Array(repeating: 0, count: levelCount)
        responders = cqt.octaves.map { CQTResponder($0) }
        done = Array(repeating: 0, count: cqt.octaves.count)
        if expectedSamples > 0 {
            let first = (expectedSamples >> cqt.earlyDownsampling) + 1
            if let early { early.reserveCapacity(outputSamples: first) } else { input.reserveCapacity(expectedSamples + 8192) }
            for (k, halving) in halvings.enumerated() { halving.reserveCapacity(outputSamples: (first >> (k + 1)) + 1) }
            values.reserveCapacity((cqt.frameCount(sampleCount: expectedSamples) + 1) * cqt.configuration.binCount)
        }
    }

    /// The next `samples` of the signal (at `cqt.configuration.sampleRate`): the levels advance as far as they
    /// are final, and each octave transforms its frames whose windows they cover.
    public func feed(_ samples: UnsafeBufferPointer<Float>) throws {
        guard !samples.isEmpty else { return }
        fed += samples.count
        if finite { finite = allFinite(samples) }
        guard finite else { return }  // `finish()` refuses the signal; no work is worth doing.
        if let early {
            try early.feed(samples)
            known[0] = early.finalCount
        } else {
            input.append(contentsOf: samples)
            known[0] = input.count
        }
        for k in 1..<max(1, known.count) {
            try send(level: k - 1)
            known[k] = halvings[k - 1].finalCount
        }
        respond(minimum: Self.batchFrames)
    }

    /// The CQT magnitude of everything fed, `frames x binCount`, as `cqt.magnitude(_:threads:)` of the whole
    /// signal gives it. The stream cannot be fed or finished again.
    /// - Throws: `RefrainError.invalidArgument` for a too short or non-finite signal (as `CQT.magnitude`).
    public func finish() throws -> FeatureSequence {
        guard fed >= max(1 << cqt.earlyDownsampling, 1) else {
            throw RefrainError.invalidArgument("a signal of \(fed) samples is too short for this CQT")
        }
        guard finite else { throw RefrainError.invalidArgument("the signal has non-finite samples") }
        // Every level whole, in place: the rest of level k - 1 (all final now) into the halving that makes level k.
        known[0] = try early?.close() ?? input.count
        for k in 1..<max(1, known.count) {
            try send(level: k - 1)
            known[k] = try halvings[k - 1].close()
        }
        let frames = cqt.frameCount(sampleCount: fed)
        grow(to: frames)
        let bins = cqt.configuration.binCount
        // The octaves' remaining frames, each octave on one thread with its own responder, most work first.
        let order = cqt.octaves.indices.filter { done[$0] < frames }.sorted { done[$0] < done[$1] }
        try values.withUnsafeMutableBufferPointer { out in
            let output = UncheckedSendable(out.baseAddress!)
            try concurrentForEach(order.count, threads: threads) { i in
                let o = order[i]
                withLevel(responders[o].octave.level) { y in
                    responders[o].respond(signal: y, frames: done[o]..<frames, bins: bins, into: output.value)
                }
            }
        }
        for o in order { done[o] = frames }
        values.removeLast(values.count - frames * bins)
        let magnitude = Matrix(rows: frames, cols: bins, storage: values)
        return FeatureSequence(values: magnitude, hopLength: cqt.configuration.hopLength, sampleRate: cqt.configuration.sampleRate)
    }

    /// `body` with the final samples of level `k` so far, read where they are made.
    private func withLevel<R>(_ k: Int, _ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        let count = known[k]
        if k > 0 { return try halvings[k - 1].withProduced { try body(UnsafeBufferPointer(rebasing: $0[..<count])) } }
        if let early { return try early.withProduced { try body(UnsafeBufferPointer(rebasing: $0[..<count])) } }
        return try input.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[..<count])) }
    }

    /// Feeds level `k`'s final samples not yet sent into the stream that halves it.
    private func send(level k: Int) throws {
        let count = known[k], from = sent[k]
        guard count > from else { return }
        let halving = halvings[k]
        try withLevel(k) { try halving.feed(UnsafeBufferPointer(rebasing: $0[from..<count])) }
        sent[k] = count
    }

    /// Transforms, octave by octave, the frames whose windows the final samples of their level cover, when at
    /// least `minimum` of them wait.
    private func respond(minimum: Int) {
        let bins = cqt.configuration.binCount
        for (o, responder) in responders.enumerated() {
            let octave = responder.octave
            let available = known[octave.level], half = octave.fftSize / 2
            guard available >= half else { continue }
            let first = done[o]
            // Whole blocks of 16 frames (`CQTResponder` computes every filter on 16 frames at once).
            let covered = first + ((available - half) / octave.hop + 1 - first) / 16 * 16
            guard covered - first >= minimum else { continue }
            grow(to: covered)
            values.withUnsafeMutableBufferPointer { out in
                let output = out.baseAddress!
                withLevel(octave.level) { y in responder.respond(signal: y, frames: first..<covered, bins: bins, into: output) }
            }
            done[o] = covered
        }
    }

    /// Makes room for `count` rows of magnitudes.
    private func grow(to count: Int) {
        guard count > rows else { return }
        values.append(contentsOf: repeatElement(0, count: (count - rows) * cqt.configuration.binCount))
        rows = count
    }
}
