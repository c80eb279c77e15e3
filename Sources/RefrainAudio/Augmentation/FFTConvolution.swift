import Foundation
import RefrainMath

/// Linear convolution of a long signal with a fixed kernel (a room impulse response) by FFT overlap-add
/// (Oppenheim & Schafer, "Discrete-Time Signal Processing", sec. 8.7.2): the signal is cut into blocks of
/// `B` samples, each block and the kernel are zero-padded to `N >= B + K - 1` (a power of two), multiplied
/// in the frequency domain and the `N`-sample results added at their block offsets.
///
/// Two real blocks travel in one complex FFT (one as the real, one as the imaginary part): the kernel is
/// real, so the real and imaginary parts of the product's inverse are the two blocks' convolutions.
public struct FFTConvolver: Sendable {
    /// The kernel, `K` samples.
    public let kernel: [Float]
    /// FFT size `N` and block length `B = N - K + 1`.
    public let fftSize: Int
    public let blockLength: Int
    /// The kernel's spectrum, `N` complex values interleaved, scaled by `1 / N` (FFTW's inverse is unnormalised).
    private let spectrum: [Float]

    /// - Throws: for an empty kernel.
    public init(kernel: [Float]) throws {
        guard !kernel.isEmpty else { throw RefrainError.invalidArgument("cannot convolve with an empty kernel") }
        self.kernel = kernel
        var n = 1
        while n < 2 * kernel.count { n <<= 1 }
        n = max(n, 4096)
        fftSize = n
        blockLength = n - kernel.count + 1
        var data = [Float](repeating: 0, count: 2 * n)
        for (i, v) in kernel.enumerated() { data[2 * i] = v / Float(n) }
        data.withUnsafeMutableBufferPointer { ComplexFFT(size: n).transform($0) }
        spectrum = data
    }

    /// `signal` convolved with the kernel: `signal.count + K - 1` samples (the full convolution).
    public func convolve(_ signal: [Float]) -> [Float] {
        guard !signal.isEmpty else { return [] }
        let n = fftSize, b = blockLength, k = kernel.count
        var out = [Float](repeating: 0, count: signal.count + k - 1)
        let forward = ComplexFFT(size: n), inverse = ComplexFFT(size: n, inverse: true)
        var data = [Float](repeating: 0, count: 2 * n)
        var start = 0
        signal.withUnsafeBufferPointer { x in
            spectrum.withUnsafeBufferPointer { h in
                out.withUnsafeMutableBufferPointer { y in
                    data.withUnsafeMutableBufferPointer { d in
                        while start < x.count {
                            // Block A in the real parts, block B (the next one) in the imaginary parts.
                            let second = start + b
                            for i in 0..<n {
                                let p = start + i, q = second + i
                                d[2 * i] = i < b && p < x.count ? x[p] : 0
                                d[2 * i + 1] = i < b && q < x.count ? x[q] : 0
                            }
                            forward.transform(d)
                            for i in 0..<n {
                                let re = d[2 * i], im = d[2 * i + 1], hr = h[2 * i], hi = h[2 * i + 1]
                                d[2 * i] = re * hr - im * hi
                                d[2 * i + 1] = re * hi + im * hr
                            }
                            inverse.transform(d)
                            for i in 0..<n {
                                let p = start + i, q = second + i
                                if p < y.count { y[p] += d[2 * i] }
                                if second < x.count, q < y.count { y[q] += d[2 * i + 1] }
                            }
                            start += 2 * b
                        }
                    }
                }
            }
        }
        return out
    }
}
