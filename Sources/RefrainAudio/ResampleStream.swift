import CSoxr
import Foundation
import RefrainMath

/// `resample(_:from:to:threads: 1)` fed piece by piece, so that a signal can be resampled while it is still being
/// made (a score's rendering: `RendererPool`). One libsoxr stream at high quality (`SOXR_HQ`, as `resample`); its
/// output does not depend on how the input is cut, so `finish()` returns `resample`'s single-stream result bit for
/// bit: `ceil(n * targetRate / sourceRate)` samples for `n` fed, zero-padded or trimmed as `librosa.resample` does.
/// It is not `resample`'s two-thread result, which cuts a long signal in two and equals one pass only to float
/// rounding (about 1e-7), unless it is made with `threads` above 1: then it keeps its input, and `finish()` cuts a
/// long signal where `resample` does and resamples the second half from its input again, so that it returns
/// `resample(threads: threads)`'s result bit for bit (the first half is this stream's own output, which does not
/// depend on the input after it). One thread at a time may feed it.
public final class ResampleStream {
    public let sourceRate: Double
    public let targetRate: Double
    /// The `threads` of the `resample` call whose result `finish()` returns.
    public let threads: Int
    private let soxr: soxr_t?
    /// The output so far: `produced` samples in a buffer of `capacity` (grown by doubling, never through a
    /// temporary array: this stream may be fed in many small pieces, e.g. a CQT's octave halvings).
    private var output: UnsafeMutablePointer<Float>?
    private var produced = 0
    private var capacity = 0
    private var fed = 0
    /// Whether `finish()` may cut the signal in two as `resample` does with `threads` above 1 (whole-number rates).
    private let mayCut: Bool
    /// The input, kept when `mayCut` (the second half is resampled from it again).
    private var input: [Float] = []

    /// - Throws: `RefrainError.invalidArgument` for a non-positive or non-finite rate, or a ratio beyond 1:256.
    public init(from sourceRate: Double, to targetRate: Double, threads: Int = 1) throws {
        try validateResampling(from: sourceRate, to: targetRate)
        self.sourceRate = sourceRate
        self.targetRate = targetRate
        self.threads = max(1, threads)
        mayCut = threads > 1 && sourceRate != targetRate && parallelSplit(count: 1 << 30, from: sourceRate, to: targetRate) != nil
        guard sourceRate != targetRate else { soxr = nil; return }
        var io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
        var quality = soxr_quality_spec(UInt(SOXR_HQ), 0)
        var error: soxr_error_t?
        guard let made = soxr_create(sourceRate, targetRate, 1, &error, &io, &quality, nil), error == nil else {
            throw RefrainError(.unsupported, "soxr cannot resample \(sourceRate) Hz -> \(targetRate) Hz: \(error.map { String(cString: $0) } ?? "?")")
        }
        soxr = made
    }

    deinit {
        if let soxr { soxr_delete(soxr) }
        output?.deallocate()
    }

    /// Makes room for `outputSamples` of output (and as many samples of kept input) without growing again: an
    /// estimate of the signal's length spares the copies of a buffer that grows while it is fed.
    public func reserveCapacity(outputSamples: Int) {
        // soxr is offered 4,096 samples of room beyond each call's output: that much more, so the last calls fit.
        ensureRoom(max(0, outputSamples + 8192 - produced))
        if mayCut { input.reserveCapacity(Int((Double(outputSamples + 8192) * sourceRate / targetRate).rounded(.up))) }
    }

    /// Grows the output buffer so that `room` more samples fit.
    private func ensureRoom(_ room: Int) {
        guard produced + room > capacity else { return }
        let grown = max(2 * capacity, produced + room, 1 << 12)
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: grown)
        if let output {
            buffer.moveInitialize(from: output, count: produced)
            output.deallocate()
        }
        output = buffer
        capacity = grown
    }

    /// Appends `samples` to the output as they are (equal rates).
    private func appendOutput(_ samples: UnsafeBufferPointer<Float>) {
        guard !samples.isEmpty else { return }
        ensureRoom(samples.count)
        (output! + produced).initialize(from: samples.baseAddress!, count: samples.count)
        produced += samples.count
    }

    /// Passes the next `samples` of the signal through the stream.
    public func feed(_ samples: UnsafeBufferPointer<Float>) throws {
        fed += samples.count
        guard let soxr else { appendOutput(samples); return }
        guard mayCut else { return try process(soxr, samples) }
        // Kept for the second half; soxr reads only as far as the first half can reach (its joint only moves later
        // as more comes), so that no sample past it is resampled twice.
        input.append(contentsOf: samples)
        try advanceFirstHalf(soxr, to: firstHalfReach(fed: fed))
    }

    /// Input samples of the kept input that soxr has read (cut mode).
    private var read = 0

    /// How far the first half's stream must read so that its output reaches the joint of `fed` samples (or of the
    /// least signal that is cut), with the cut's margin: the most any later joint needs of it now.
    private func firstHalfReach(fed: Int) -> Int {
        guard let (split, period) = parallelSplit(count: max(fed, 1 << 18), from: sourceRate, to: targetRate) else { return fed }
        return min(fed, split + (splitMargin + period - 1) / period * period)
    }

    /// Feeds the kept input up to `reach` to soxr.
    private func advanceFirstHalf(_ soxr: soxr_t, to reach: Int) throws {
        guard reach > read else { return }
        try input.withUnsafeBufferPointer { try process(soxr, UnsafeBufferPointer(rebasing: $0[read..<reach])) }
        read = reach
    }

    /// Passes `samples` through soxr.
    private func process(_ soxr: soxr_t, _ samples: UnsafeBufferPointer<Float>) throws {
        var consumed = 0
        while consumed < samples.count {
            let done = try process(soxr, samples.baseAddress! + consumed, samples.count - consumed)
            guard done.in > 0 || done.out > 0 else { throw RefrainError(.unsupported, "soxr took no input and gave no output") }
            consumed += done.in
        }
    }

    /// The output samples that are already final: those the stream has produced below
    /// `ceil(fed * targetRate / sourceRate)` for the `fed` input samples so far, the least length `finish()` can return (more input only makes it
    /// longer), so `finish()` returns them unchanged at the same places. Lets a consumer (`CQTStream`) start on the
    /// resampled signal while the input still arrives.
    public var finalCount: Int {
        let least = min(produced, fed == 0 ? 0 : Int((Double(fed) * targetRate / sourceRate).rounded(.up)))
        // Where `resample` would cut the least input that can still be cut (the cut only moves later as more comes):
        // nothing of the stream's own output at or after it is final.
        guard mayCut, let (split, _) = parallelSplit(count: max(fed, 1 << 18), from: sourceRate, to: targetRate) else { return least }
        return min(least, Int((Double(split) * targetRate / sourceRate).rounded()))
    }

    /// `body` with the output produced so far (its first `finalCount` samples are final); valid during the call only.
    public func withProduced<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: output, count: produced))
    }

    /// The whole signal at `targetRate`: the stream flushed, `ceil(n * targetRate / sourceRate)` samples for the
    /// `n` fed.
    public func finish() throws -> [Float] {
        let count = try close()
        guard count > 0 else { return [] }
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            buffer.baseAddress!.initialize(from: output!, count: count)
            initialized = count
        }
    }

    /// Ends the stream in place: afterwards `withProduced` reads `finish()`'s samples, without the copy into a new
    /// array; returns their count. Nothing may be fed after it.
    @discardableResult
    public func close() throws -> Int {
        let count = fed == 0 ? 0 : Int((Double(fed) * targetRate / sourceRate).rounded(.up))
        if mayCut, let soxr, let (split, period) = parallelSplit(count: fed, from: sourceRate, to: targetRate) {
            try advanceFirstHalf(soxr, to: firstHalfReach(fed: fed))
            try joinSecondHalf(count: count, split: split, period: period)
            return count
        }
        if mayCut, let soxr { try advanceFirstHalf(soxr, to: fed) }
        if let soxr, fed > 0 {
            while produced < count, try process(soxr, nil, 0).out > 0 {}
        }
        // `librosa.resample`'s length: cut, or padded with zeros.
        if produced < count {
            ensureRoom(count - produced)
            (output! + produced).initialize(repeating: 0, count: count - produced)
        }
        produced = count
        return count
    }

    /// `resample(threads: 2)`'s two halves joined at `split` (see `resampleInTwoHalves`), in place: the first is this
    /// stream's output up to the joint, the second the input from `split - margin` resampled again, its first outputs
    /// dropped.
    private func joinSecondHalf(count: Int, split: Int, period: Int) throws {
        let ratio = targetRate / sourceRate
        let outSplit = Int((Double(split) * ratio).rounded())
        let margin = (splitMargin + period - 1) / period * period
        let skip = Int((Double(margin) * ratio).rounded())
        guard produced >= outSplit else {
            // The first half's stream short of the joint (not met in practice: it read a margin beyond it): the whole
            // signal resampled again, the same way.
            let whole = try resample(input, from: sourceRate, to: targetRate, threads: threads)
            produced = 0
            ensureRoom(whole.count)
            whole.withUnsafeBufferPointer { output!.initialize(from: $0.baseAddress!, count: whole.count) }
            produced = whole.count
            return
        }
        produced = outSplit
        ensureRoom(count - outSplit)
        try resampleStream(input[(split - margin)...], from: sourceRate, to: targetRate, discarding: skip,
                           into: output! + outSplit, count: count - outSplit)
        produced = count
    }

    /// One `soxr_process` call on `length` samples at `input` (nil: flush), its output appended.
    private func process(_ soxr: soxr_t, _ input: UnsafePointer<Float>?, _ length: Int) throws -> (in: Int, out: Int) {
        let room = Int((Double(length) * targetRate / sourceRate).rounded(.up)) + 4096
        ensureRoom(room)
        let at = output! + produced
        var inDone = 0, outDone = 0
        let status = input.map { soxr_process(soxr, $0, length, &inDone, at, room, &outDone) }
            ?? soxr_process(soxr, nil, 0, nil, at, room, &outDone)
        produced += outDone
        if let status { throw RefrainError(.unsupported, "soxr failed: \(String(cString: status))") }
        return (inDone, outDone)
    }
}
