import CFFTW
import Foundation

/// FFTW's planner is not thread-safe; every plan is made and destroyed under this lock.
private let plannerLock = NSLock()

/// A forward real-to-complex FFT of a fixed size through FFTW (single precision).
///
/// `forward` reads `size` real samples and writes `size / 2 + 1` complex bins, interleaved as
/// `(re, im)` pairs, unnormalized (NumPy's `np.fft.rfft` convention). One instance owns its
/// aligned work buffers: use one instance per thread.
///
/// An even size `N` is computed as FFTW's complex FFT of `N / 2` points over the samples read as
/// `(even, odd)` pairs, then split into the real spectrum here, eight bins at a time:
/// `X[k] = E[k] + e^(-2πik/N) O[k]` with `E[k] = (Z[k] + conj Z[N/2-k]) / 2` and
/// `O[k] = (Z[k] - conj Z[N/2-k]) / 2i` (Cooley, Lewis & Welch 1970, "The fast Fourier transform algorithm:
/// programming considerations in the calculation of sine, cosine and Laplace transforms"). FFTW does the same
/// split itself, but Debian's build has only SSE2 code for that step: on this project's machines its real
/// 1024-point transform takes 1.3 us, its complex 512-point one 0.5 us, and `forward(_:bins:into:)` can skip
/// the split for bins nobody reads (the CQT reads about a fifth of them). Odd sizes use FFTW's real transform directly.
public final class RealFFT: @unchecked Sendable {
    /// Number of real input samples.
    public let size: Int
    /// Number of complex output bins, `size / 2 + 1`.
    public var binCount: Int { size / 2 + 1 }

    /// The samples (`size` floats; read as `size / 2` complex values on the even-size path).
    private let input: UnsafeMutablePointer<Float>
    /// The spectrum handed out (`2 * binCount` floats).
    private let output: UnsafeMutablePointer<Float>
    /// The half-size complex spectrum `Z` (even sizes), `size` floats.
    private let half: UnsafeMutablePointer<Float>?
    /// `cos(2πk/N)` and `sin(2πk/N)` for `k` in `0 ... N/2` (even sizes).
    private let cosines: [Float]
    private let sines: [Float]
    private let plan: fftwf_plan

    public init(size: Int) {
        precondition(size > 0, "FFT size must be positive")
        self.size = size
        let input = fftwf_alloc_real(size)!
        let output = UnsafeMutableRawPointer(fftwf_alloc_complex(size / 2 + 1)!).assumingMemoryBound(to: Float.self)
        self.input = input
        self.output = output
        let split = size % 2 == 0 && size >= 4
        if split {
            let m = size / 2
            let buffer = UnsafeMutableRawPointer(fftwf_alloc_complex(m)!).assumingMemoryBound(to: Float.self)
            half = buffer
            // Exact at the quarter points, so that bins 0, N/4 and N/2 come out with no rounding in the twiddle.
            cosines = (0...m).map { k in 4 * k == size ? 0 : Float(cos(2 * Double.pi * Double(k) / Double(size))) }
            sines = (0...m).map { k in k == 0 || k == m ? 0 : Float(sin(2 * Double.pi * Double(k) / Double(size))) }
            plannerLock.lock()
            // FFTW_ESTIMATE on purpose: FFTW_MEASURE plans for over 100 ms per size and ran these sizes no faster.
            plan = UnsafeMutableRawPointer(input).withMemoryRebound(to: fftwf_complex.self, capacity: m) { i in
                UnsafeMutableRawPointer(buffer).withMemoryRebound(to: fftwf_complex.self, capacity: m) { o in
                    fftwf_plan_dft_1d(Int32(m), i, o, FFTW_FORWARD, UInt32(FFTW_ESTIMATE))!
                }
            }
            plannerLock.unlock()
        } else {
            half = nil
            cosines = []
            sines = []
            plannerLock.lock()
            plan = UnsafeMutableRawPointer(output).withMemoryRebound(to: fftwf_complex.self, capacity: size / 2 + 1) {
                fftwf_plan_dft_r2c_1d(Int32(size), input, $0, UInt32(FFTW_ESTIMATE))!
            }
            plannerLock.unlock()
        }
    }

    deinit {
        plannerLock.lock()
        fftwf_destroy_plan(plan)
        plannerLock.unlock()
        fftwf_free(input)
        fftwf_free(output)
        if let half { fftwf_free(half) }
    }

    /// Transforms `samples` (`size` values; fewer are zero-padded) into `spectrum`, which receives
    /// `2 * binCount` floats: `re0, im0, re1, im1, ...`.
    public func forward(_ samples: UnsafeBufferPointer<Float>, into spectrum: UnsafeMutableBufferPointer<Float>) {
        precondition(samples.count <= size && spectrum.count >= 2 * binCount)
        input.update(from: samples.baseAddress!, count: samples.count)
        if samples.count < size { (input + samples.count).initialize(repeating: 0, count: size - samples.count) }
        transform(input, bins: 0..<binCount, into: spectrum.baseAddress!)
    }

    /// Transforms the `size` samples at `samples` into `spectrum` (`2 * binCount` floats, interleaved), reading
    /// the caller's memory in place when it is aligned as FFTW's SIMD code expects; for hot loops over
    /// overlapping frames of one signal, such as the CQT's.
    public func forward(_ samples: UnsafePointer<Float>, into spectrum: UnsafeMutablePointer<Float>) {
        forward(samples, bins: 0..<binCount, into: spectrum)
    }

    /// Like `forward(_:into:)`, but only bins `bins` (a subrange of `0 ..< binCount`) are computed and written,
    /// at their usual places `2 * k, 2 * k + 1` of `spectrum`; the other entries are left as they are.
    public func forward(_ samples: UnsafePointer<Float>, bins: Range<Int>, into spectrum: UnsafeMutablePointer<Float>) {
        precondition(bins.lowerBound >= 0 && bins.upperBound <= binCount)
        let source = UnsafeMutablePointer(mutating: samples)
        // FFTW's out-of-place complex and real-to-complex transforms do not write their input.
        if fftwf_alignment_of(source) == fftwf_alignment_of(input) {
            transform(source, bins: bins, into: spectrum)
        } else {
            input.update(from: samples, count: size)
            transform(input, bins: bins, into: spectrum)
        }
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
    @usableFromInline var outputBuffer: UnsafePointer<Float> { UnsafePointer(output) }
    @usableFromInline func execute() { transform(input, bins: 0..<binCount, into: output) }

    /// Convenience: the interleaved spectrum of `samples` as a new array.
    public func forward(_ samples: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: 2 * binCount)
        samples.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer { forward(s, into: $0) } }
        return out
    }

    /// Runs the plan on `samples` (aligned like `input`) and writes bins `bins` into `spectrum`.
    private func transform(_ samples: UnsafeMutablePointer<Float>, bins: Range<Int>, into spectrum: UnsafeMutablePointer<Float>) {
        guard let half else {
            fftwf_execute_dft_r2c(plan, samples, UnsafeMutableRawPointer(output).assumingMemoryBound(to: fftwf_complex.self))
            if spectrum != output {
                (spectrum + 2 * bins.lowerBound).update(from: output + 2 * bins.lowerBound, count: 2 * bins.count)
            }
            return
        }
        let m = size / 2
        UnsafeMutableRawPointer(samples).withMemoryRebound(to: fftwf_complex.self, capacity: m) { i in
            UnsafeMutableRawPointer(half).withMemoryRebound(to: fftwf_complex.self, capacity: m) { o in
                fftwf_execute_dft(plan, i, o)
            }
        }
        cosines.withUnsafeBufferPointer { c in
            sines.withUnsafeBufferPointer { s in
                splitHalfSpectrum(half, halfSize: m, cos: c.baseAddress!, sin: s.baseAddress!, bins: bins, into: spectrum)
            }
        }
    }
}

/// The real spectrum bins `bins` (within `0 ... m`) of `2m` samples from `z`, the `m`-point complex spectrum
/// of those samples read as `(even, odd)` pairs: `X[k] = E + w^k O`, `E = (a + conj b) / 2`,
/// `O = -i (a - conj b) / 2`, `a = Z[k mod m]`, `b = Z[(m - k) mod m]`, `w = e^(-2πi/2m)`.
private func splitHalfSpectrum(_ z: UnsafePointer<Float>, halfSize m: Int, cos: UnsafePointer<Float>, sin: UnsafePointer<Float>,
                               bins: Range<Int>, into out: UnsafeMutablePointer<Float>) {
    @inline(__always) func scalar(_ k: Int) {
        let a = k == m ? 0 : k, b = k == 0 ? 0 : m - k
        let ar = z[2 * a], ai = z[2 * a + 1], br = z[2 * b], bi = z[2 * b + 1]
        let er = 0.5 * (ar + br), ei = 0.5 * (ai - bi)
        let or = 0.5 * (ai + bi), oi = 0.5 * (br - ar)
        let c = cos[k], s = sin[k]
        out[2 * k] = er + c * or + s * oi
        out[2 * k + 1] = ei + c * oi - s * or
    }
    var k = bins.lowerBound
    // k = 0 and k = m wrap around; the vector loop covers 1 ..< m, where a and b stay inside the array.
    while k < bins.upperBound && k < 1 { scalar(k); k += 1 }
    let end = min(bins.upperBound, m)
    let zp = UnsafeRawPointer(z), op = UnsafeMutableRawPointer(out)
    let cp = UnsafeRawPointer(cos), sp = UnsafeRawPointer(sin)
    while k + 8 <= end {
        let a = zp.loadUnaligned(fromByteOffset: 8 * k, as: SIMD16<Float>.self)
        let b = zp.loadUnaligned(fromByteOffset: 8 * (m - k - 7), as: SIMD16<Float>.self)
        let ar = a.evenHalf, ai = a.oddHalf
        let br = reversed(b.evenHalf), bi = reversed(b.oddHalf)
        let er = 0.5 * (ar + br), ei = 0.5 * (ai - bi)
        let or = 0.5 * (ai + bi), oi = 0.5 * (br - ar)
        let c = cp.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self)
        let s = sp.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self)
        var x = SIMD16<Float>()
        x.evenHalf = er + c * or + s * oi
        x.oddHalf = ei + c * oi - s * or
        op.storeBytes(of: x, toByteOffset: 8 * k, as: SIMD16<Float>.self)
        k += 8
    }
    while k < bins.upperBound { scalar(k); k += 1 }
}

@inline(__always)
private func reversed(_ v: SIMD8<Float>) -> SIMD8<Float> {
    SIMD8(v[7], v[6], v[5], v[4], v[3], v[2], v[1], v[0])
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
