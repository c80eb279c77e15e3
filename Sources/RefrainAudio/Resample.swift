import CSoxr
import Dispatch
import Foundation
import RefrainMath

/// Resamples `samples` from `sourceRate` to `targetRate` (Hz) with libsoxr at high quality
/// (`SOXR_HQ`, linear phase: 20-bit precision, the quality `librosa.resample(res_type="soxr_hq")` uses).
///
/// The output has `ceil(samples.count * targetRate / sourceRate)` samples, zero-padded or trimmed to
/// that length as `librosa.resample` does. Equal rates return the input unchanged.
/// With `threads` above 1 (the default: one per core), a long signal (2^18 samples or more) at whole-number rates is cut in two at a point
/// where input and output samples coincide and both halves are resampled at once, each with 16384 samples of
/// context beyond the cut; the result equals one pass to float rounding (about 1e-7).
/// - Throws: `RefrainError.invalidArgument` for a non-positive or non-finite rate, or a ratio beyond 1:256.
public func resample(_ samples: [Float], from sourceRate: Double, to targetRate: Double,
                     threads: Int = ComputeBudget.machine.threads) throws -> [Float] {
    try validateResampling(from: sourceRate, to: targetRate)
    if sourceRate == targetRate || samples.isEmpty { return samples }
    let outCount = Int((Double(samples.count) * targetRate / sourceRate).rounded(.up))
    if threads > 1, let (split, period) = parallelSplit(count: samples.count, from: sourceRate, to: targetRate) {
        return try resampleInTwoHalves(samples, from: sourceRate, to: targetRate, split: split, period: period, outCount: outCount)
    }
    return try resampleStream(samples[...], from: sourceRate, to: targetRate, outCount: outCount)
}

/// Rates `resample` and `ResampleStream` accept: positive, finite, at most 1:256 apart.
func validateResampling(from sourceRate: Double, to targetRate: Double) throws {
    guard sourceRate.isFinite, targetRate.isFinite, sourceRate > 0, targetRate > 0 else {
        throw RefrainError.invalidArgument("sample rates must be positive and finite, got \(sourceRate) Hz -> \(targetRate) Hz")
    }
    guard targetRate / sourceRate <= 256, sourceRate / targetRate <= 256 else {
        throw RefrainError.invalidArgument("resampling ratio \(sourceRate) Hz -> \(targetRate) Hz is beyond 1:256")
    }
}

/// Input samples of filter context kept on each side of a split (far beyond the HQ filter's reach).
let splitMargin = 1 << 14

/// Where to cut a long signal so that both halves can be resampled at once: an input index `s` whose time
/// falls exactly on an output sample (`s * target / source` whole), for whole-number rates; nil for short
/// signals or rates without a small common period.
func parallelSplit(count: Int, from sourceRate: Double, to targetRate: Double) -> (Int, Int)? {
    guard count >= 1 << 18,
          sourceRate == sourceRate.rounded(), targetRate == targetRate.rounded() else { return nil }
    var a = Int(sourceRate), b = Int(targetRate)
    while b != 0 { (a, b) = (b, a % b) }
    let period = Int(sourceRate) / a  // input samples per whole number of output samples
    guard period <= 1 << 12 else { return nil }
    return ((count / 2) / period * period, period)
}

/// Resamples `[0, split + margin)` and `[split - margin, n)` on two threads straight into their parts of one output
/// array, joined at `split`; away from the signal's ends soxr's output depends only on nearby input, so the joint
/// equals one pass up to rounding.
private func resampleInTwoHalves(_ samples: [Float], from sourceRate: Double, to targetRate: Double, split: Int,
                                 period: Int, outCount: Int) throws -> [Float] {
    let ratio = targetRate / sourceRate
    let margin = (splitMargin + period - 1) / period * period  // whole periods, so the tail starts on an output sample
    let outSplit = Int((Double(split) * ratio).rounded())
    let start = split - margin
    let skip = Int((Double(margin) * ratio).rounded())
    return try [Float](unsafeUninitializedCapacity: outCount) { buffer, initialized in
        let out = buffer.baseAddress!
        try concurrentForEach(2, threads: 2) { half in
            if half == 0 {
                try resampleStream(samples[0..<min(samples.count, split + margin)], from: sourceRate, to: targetRate,
                                   discarding: 0, into: out, count: outSplit)
            } else {
                try resampleStream(samples[start...], from: sourceRate, to: targetRate, discarding: skip,
                                   into: out + outSplit, count: outCount - outSplit)
            }
        }
        initialized = outCount
    }
}

/// One soxr stream over `samples`, `outCount` output samples (zero-padded or cut, as librosa's `fix_length`).
private func resampleStream(_ samples: ArraySlice<Float>, from sourceRate: Double, to targetRate: Double,
                            outCount: Int) throws -> [Float] {
    try [Float](unsafeUninitializedCapacity: outCount) { buffer, initialized in
        try resampleStream(samples, from: sourceRate, to: targetRate, discarding: 0, into: buffer.baseAddress!, count: outCount)
        initialized = outCount
    }
}

/// One soxr stream over `samples`: its first `discard` output samples are dropped, the next `count` written to
/// `out`, zeros where the stream ends sooner.
func resampleStream(_ samples: ArraySlice<Float>, from sourceRate: Double, to targetRate: Double,
                            discarding discard: Int, into out: UnsafeMutablePointer<Float>, count: Int) throws {
    var io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
    var quality = soxr_quality_spec(UInt(SOXR_HQ), 0)
    var error: soxr_error_t?
    guard let soxr = soxr_create(sourceRate, targetRate, 1, &error, &io, &quality, nil), error == nil else {
        throw RefrainError(.unsupported, "soxr cannot resample \(sourceRate) Hz -> \(targetRate) Hz: \(error.map { String(cString: $0) } ?? "?")")
    }
    defer { soxr_delete(soxr) }
    var dropped = [Float](repeating: 0, count: discard)
    // Streaming in blocks keeps soxr's working set in cache; the result equals a one-shot call.
    let block = 1 << 15
    try samples.withUnsafeBufferPointer { input in
        try dropped.withUnsafeMutableBufferPointer { dropped in
            var consumed = 0, produced = -discard  // negative: still filling `dropped`
            while produced < count {
                let length = min(block, input.count - consumed)
                let target = produced < 0 ? dropped.baseAddress! + (discard + produced) : out + produced
                let room = produced < 0 ? -produced : count - produced
                var inDone = 0, outDone = 0
                let status = length > 0
                    ? soxr_process(soxr, input.baseAddress! + consumed, length, &inDone, target, room, &outDone)
                    : soxr_process(soxr, nil, 0, nil, target, room, &outDone)
                if let status { throw RefrainError(.unsupported, "soxr failed: \(String(cString: status))") }
                consumed += inDone
                produced += outDone
                if length == 0 && outDone == 0 { break }  // flushed; the rest is zero (librosa's fix_length)
            }
            if produced < count { (out + max(0, produced)).initialize(repeating: 0, count: count - max(0, produced)) }
        }
    }
}

extension AudioSignal {
    /// This signal at `targetRate` Hz (see `resample(_:from:to:threads:)`).
    public func resampled(to targetRate: Double, threads: Int = ComputeBudget.machine.threads) throws -> AudioSignal {
        AudioSignal(samples: try resample(samples, from: sampleRate, to: targetRate, threads: threads), sampleRate: targetRate)
    }
}
