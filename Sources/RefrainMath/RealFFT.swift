import CFFTW
import Foundation

/// FFTW's planner is not thread-safe; every plan is made and destroyed under this lock.
private let plannerLock = NSLock()

/// A forward real-to-complex FFT of a fixed size through FFTW (single precision).
///
/// `forward` reads `size` real samples and writes `size / 2 + 1` complex bins, interleaved as
/// `(re, im)` pairs, unnormalized (NumPy's `np.fft.rfft` convention). One instance owns its
/// aligned work buffers: use one instance per thread.
public final class RealFFT: @unchecked Sendable {
    /// Number of real input samples.
    public let size: Int
    /// Number of complex output bins, `size / 2 + 1`.
    public var binCount: Int { size / 2 + 1 }

    private let input: UnsafeMutablePointer<Float>
    private let output: UnsafeMutablePointer<fftwf_complex>
    private let plan: fftwf_plan

    public init(size: Int) {
        precondition(size > 0, "FFT size must be positive")
        self.size = size
        input = fftwf_alloc_real(size)!
        output = fftwf_alloc_complex(size / 2 + 1)!
        plannerLock.lock()
        // FFTW_ESTIMATE on purpose: for the 1024- and 2048-point transforms the CQT and the STFT use, FFTW_MEASURE
        // planned for 140-175 ms per size and ran no faster (1.23 vs 1.33 us, 2.40 vs 2.32 us on this machine).
        plan = fftwf_plan_dft_r2c_1d(Int32(size), input, output, UInt32(FFTW_ESTIMATE))!
        plannerLock.unlock()
    }

    deinit {
        plannerLock.lock()
        fftwf_destroy_plan(plan)
        plannerLock.unlock()
        fftwf_free(input)
        fftwf_free(output)
    }

    /// Transforms `samples` (`size` values; fewer are zero-padded) into `spectrum`, which receives
    /// `2 * binCount` floats: `re0, im0, re1, im1, ...`.
    public func forward(_ samples: UnsafeBufferPointer<Float>, into spectrum: UnsafeMutableBufferPointer<Float>) {
        precondition(samples.count <= size && spectrum.count >= 2 * binCount)
        input.update(from: samples.baseAddress!, count: samples.count)
        if samples.count < size { (input + samples.count).initialize(repeating: 0, count: size - samples.count) }
        fftwf_execute(plan)
        UnsafeMutableRawPointer(spectrum.baseAddress!)
            .copyMemory(from: output, byteCount: binCount * 2 * MemoryLayout<Float>.size)
    }

    /// Transforms the `size` samples at `samples` into `spectrum` (`2 * binCount` floats, interleaved), straight
    /// from and into the caller's memory when both pointers are aligned as FFTW's SIMD code expects (16 bytes, as
    /// Swift arrays and `fftwf_alloc` buffers are); otherwise through the plan's own buffers. For hot loops over
    /// overlapping frames of one signal, such as the CQT's.
    public func forward(_ samples: UnsafePointer<Float>, into spectrum: UnsafeMutablePointer<Float>) {
        let input = UnsafeMutablePointer(mutating: samples)
        if fftwf_alignment_of(input) == inputAlignment,
           fftwf_alignment_of(spectrum) == outputAlignment {
            // FFTW's r2c does not write its input when out of place (FFTW_PRESERVE_INPUT is the default there).
            spectrum.withMemoryRebound(to: fftwf_complex.self, capacity: binCount) { fftwf_execute_dft_r2c(plan, input, $0) }
        } else {
            self.input.update(from: samples, count: size)
            fftwf_execute(plan)
            UnsafeMutableRawPointer(spectrum).copyMemory(from: output, byteCount: binCount * 2 * MemoryLayout<Float>.size)
        }
    }

    private var inputAlignment: Int32 { fftwf_alignment_of(input) }
    private var outputAlignment: Int32 {
        UnsafeMutableRawPointer(output).withMemoryRebound(to: Float.self, capacity: 2) { fftwf_alignment_of($0) }
    }

    /// Transforms in the plan's own buffers, without copies: `fill` writes all `size` input samples,
    /// then `read` receives the `2 * binCount` interleaved output floats (valid only during the call).
    /// For hot loops such as the STFT, where a frame is windowed straight into the input.
    @inlinable
    public func forward(fill: (UnsafeMutablePointer<Float>) -> Void, read: (UnsafePointer<Float>) -> Void) {
        fill(inputBuffer)
        execute()
        read(outputBuffer)
    }

    @usableFromInline var inputBuffer: UnsafeMutablePointer<Float> { input }
    @usableFromInline var outputBuffer: UnsafePointer<Float> {
        UnsafeRawPointer(output).assumingMemoryBound(to: Float.self)
    }
    @usableFromInline func execute() { fftwf_execute(plan) }

    /// Convenience: the interleaved spectrum of `samples` as a new array.
    public func forward(_ samples: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: 2 * binCount)
        samples.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer { forward(s, into: $0) } }
        return out
    }
}

/// A complex-to-complex FFT of a fixed size through FFTW (single precision), forward or inverse,
/// unnormalized. Data are interleaved `(re, im)` pairs. One instance per thread.
public final class ComplexFFT: @unchecked Sendable {
    public let size: Int
    public let inverse: Bool
    private let buffer: UnsafeMutablePointer<fftwf_complex>
    private let plan: fftwf_plan

    public init(size: Int, inverse: Bool = false) {
        precondition(size > 0, "FFT size must be positive")
        self.size = size
        self.inverse = inverse
        buffer = fftwf_alloc_complex(size)!
        plannerLock.lock()
        plan = fftwf_plan_dft_1d(Int32(size), buffer, buffer, inverse ? FFTW_BACKWARD : FFTW_FORWARD, UInt32(FFTW_ESTIMATE))!
        plannerLock.unlock()
    }

    deinit {
        plannerLock.lock()
        fftwf_destroy_plan(plan)
        plannerLock.unlock()
        fftwf_free(buffer)
    }

    /// Transforms `data` (`2 * size` floats, interleaved) in place.
    public func transform(_ data: UnsafeMutableBufferPointer<Float>) {
        precondition(data.count >= 2 * size)
        let bytes = size * 2 * MemoryLayout<Float>.size
        UnsafeMutableRawPointer(buffer).copyMemory(from: data.baseAddress!, byteCount: bytes)
        fftwf_execute(plan)
        UnsafeMutableRawPointer(data.baseAddress!).copyMemory(from: buffer, byteCount: bytes)
    }
}
