import CSoxr
import Foundation
import RefrainMath

/// `resample(_:from:to:threads: 1)` fed piece by piece, so that a signal can be resampled while it is still being
/// made (a score's rendering: `RendererPool`). One libsoxr stream at high quality (`SOXR_HQ`, as `resample`); its
/// output does not depend on how the input is cut, so `finish()` returns `resample`'s single-stream result bit for
/// bit: `ceil(n * targetRate / sourceRate)` samples for `n` fed, zero-padded or trimmed as `librosa.resample` does.
/// It is not `resample`'s two-thread result, which cuts a long signal in two and equals one pass only to float
/// rounding (about 1e-7). One thread at a time may feed it.
public final class ResampleStream {
    public let sourceRate: Double
    public let targetRate: Double
    private let soxr: soxr_t?
    private var output: [Float] = []
    private var fed = 0

    /// - Throws: `RefrainError.invalidArgument` for a non-positive or non-finite rate, or a ratio beyond 1:256.
    public init(from sourceRate: Double, to targetRate: Double) throws {
        try validateResampling(from: sourceRate, to: targetRate)
        self.sourceRate = sourceRate
        self.targetRate = targetRate
        guard sourceRate != targetRate else { soxr = nil; return }
        var io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
        var quality = soxr_quality_spec(UInt(SOXR_HQ), 0)
        var error: soxr_error_t?
        guard let made = soxr_create(sourceRate, targetRate, 1, &error, &io, &quality, nil), error == nil else {
            throw RefrainError(.unsupported, "soxr cannot resample \(sourceRate) Hz -> \(targetRate) Hz: \(error.map { String(cString: $0) } ?? "?")")
        }
        soxr = made
    }

    deinit { if let soxr { soxr_delete(soxr) } }

    /// Passes the next `samples` of the signal through the stream.
    public func feed(_ samples: UnsafeBufferPointer<Float>) throws {
        fed += samples.count
        guard let soxr else { output.append(contentsOf: samples); return }
        var consumed = 0
        while consumed < samples.count {
            let done = try process(soxr, samples.baseAddress! + consumed, samples.count - consumed)
            guard done.in > 0 || done.out > 0 else { throw RefrainError(.unsupported, "soxr took no input and gave no output") }
            consumed += done.in
        }
    }

    /// The whole signal at `targetRate`: the stream flushed, `ceil(n * targetRate / sourceRate)` samples for the
    /// `n` fed.
    public func finish() throws -> [Float] {
        let count = fed == 0 ? 0 : Int((Double(fed) * targetRate / sourceRate).rounded(.up))
        if let soxr, fed > 0 {
            while output.count < count, try process(soxr, nil, 0).out > 0 {}
        }
        if output.count > count { output.removeLast(output.count - count) }
        output += [Float](repeating: 0, count: count - output.count)
        return output
    }

    /// One `soxr_process` call on `length` samples at `input` (nil: flush), its output appended.
    private func process(_ soxr: soxr_t, _ input: UnsafePointer<Float>?, _ length: Int) throws -> (in: Int, out: Int) {
        let room = Int((Double(length) * targetRate / sourceRate).rounded(.up)) + 4096
        let start = output.count
        output += [Float](repeating: 0, count: room)
        var inDone = 0, outDone = 0
        let status = output.withUnsafeMutableBufferPointer { out in
            input.map { soxr_process(soxr, $0, length, &inDone, out.baseAddress! + start, room, &outDone) }
                ?? soxr_process(soxr, nil, 0, nil, out.baseAddress! + start, room, &outDone)
        }
        output.removeLast(room - outDone)
        if let status { throw RefrainError(.unsupported, "soxr failed: \(String(cString: status))") }
        return (inDone, outDone)
    }
}
