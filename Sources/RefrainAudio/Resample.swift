import CSoxr

/// Resamples `samples` from `sourceRate` to `targetRate` (Hz) with libsoxr at high quality
/// (`SOXR_HQ`, linear phase: 20-bit precision, the quality `librosa.resample(res_type="soxr_hq")` uses).
///
/// The output has `ceil(samples.count * targetRate / sourceRate)` samples, zero-padded or trimmed to
/// that length as `librosa.resample` does. Equal rates return the input unchanged.
/// - Throws: `RefrainError.invalidArgument` for a non-positive or non-finite rate, or a ratio beyond 1:256.
public func resample(_ samples: [Float], from sourceRate: Double, to targetRate: Double) throws -> [Float] {
    guard sourceRate.isFinite, targetRate.isFinite, sourceRate > 0, targetRate > 0 else {
        throw RefrainError.invalidArgument("sample rates must be positive and finite, got \(sourceRate) Hz -> \(targetRate) Hz")
    }
    guard targetRate / sourceRate <= 256, sourceRate / targetRate <= 256 else {
        throw RefrainError.invalidArgument("resampling ratio \(sourceRate) Hz -> \(targetRate) Hz is beyond 1:256")
    }
    if sourceRate == targetRate || samples.isEmpty { return samples }
    let outCount = Int((Double(samples.count) * targetRate / sourceRate).rounded(.up))
    var output = [Float](repeating: 0, count: outCount)
    var io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
    var quality = soxr_quality_spec(UInt(SOXR_HQ), 0)
    var done = 0
    let error = samples.withUnsafeBufferPointer { input in
        output.withUnsafeMutableBufferPointer { out in
            soxr_oneshot(sourceRate, targetRate, 1, input.baseAddress, samples.count, nil,
                         out.baseAddress, outCount, &done, &io, &quality, nil)
        }
    }
    if let error {
        throw RefrainError(.unsupported, "soxr could not resample \(sourceRate) Hz -> \(targetRate) Hz: \(String(cString: error))")
    }
    return output
}

extension AudioSignal {
    /// This signal at `targetRate` Hz (see `resample(_:from:to:)`).
    public func resampled(to targetRate: Double) throws -> AudioSignal {
        AudioSignal(samples: try resample(samples, from: sampleRate, to: targetRate), sampleRate: targetRate)
    }
}
