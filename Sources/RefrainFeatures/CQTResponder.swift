import Foundation
import RefrainMath

/// The filter responses of one CQT octave over frames of its level of the signal, with the FFT plan and
/// buffers that work needs (Schörkhuber & Klapuri 2010; librosa's `__cqt_response`). One responder serves one
/// thread; it may respond to many ranges of frames in turn (`CQTStream` keeps one per octave while the signal
/// arrives). Each frame's magnitudes depend only on the samples its window covers, never on the other frames
/// computed with it, so a frame comes out the same bit for bit whichever range, call or responder computes it.
final class CQTResponder {
    typealias Lanes = SIMD16<Float>
    let octave: CQTOctaveKernel
    private let fft: RealFFT
    /// The FFT's spectrum, `2 * (fftSize / 2 + 1)` floats (only the octave's band is written).
    private let spectrum: UnsafeMutablePointer<Float>
    /// A frame reaching past either end of the signal, zero-padded, `fftSize` floats.
    private let edge: UnsafeMutablePointer<Float>
    /// Bin j of the band, frame f of a block of 16: real part at [j * 16 + f], imaginary part `band.count * 16` later.
    private let columns: UnsafeMutablePointer<Float>
    /// Filter k, frame f of a block of 16: [k * 16 + f].
    private let responses: UnsafeMutablePointer<Float>

    init(_ octave: CQTOctaveKernel) {
        self.octave = octave
        let n = octave.fftSize, lanes = Lanes.scalarCount
        fft = RealFFT(size: n)
        spectrum = .allocate(capacity: 2 * (n / 2 + 1))
        spectrum.initialize(repeating: 0, count: 2 * (n / 2 + 1))
        edge = .allocate(capacity: n)
        edge.initialize(repeating: 0, count: n)
        // Whole vectors are loaded from and stored to these: aligned to 64 bytes.
        columns = UnsafeMutableRawPointer.allocate(byteCount: 4 * 2 * octave.band.count * lanes, alignment: 64)
            .initializeMemory(as: Float.self, repeating: 0, count: 2 * octave.band.count * lanes)
        responses = UnsafeMutableRawPointer.allocate(byteCount: 4 * octave.bins.count * lanes, alignment: 64)
            .initializeMemory(as: Float.self, repeating: 0, count: octave.bins.count * lanes)
    }

    deinit {
        spectrum.deallocate()
        edge.deallocate()
        columns.deallocate()
        responses.deallocate()
    }

    /// Fills columns `octave.bins` of rows `frames` of `out` (`rows x bins`, row-major) from `signal`, the
    /// octave's level: frame `t` covers samples `t * hop - fftSize / 2 ..< t * hop + fftSize / 2`, zeros outside the
    /// signal (librosa's centred frames with `pad_mode="constant"`).
    ///
    /// Frames go sixteen at a time: their spectra (only the octave's band) are laid out bin by bin with one lane
    /// per frame, so that each filter's response is a few multiply-adds on whole vectors, with no sums across lanes.
    func respond(signal y: UnsafeBufferPointer<Float>, frames: Range<Int>, bins: Int, into out: UnsafeMutablePointer<Float>) {
        let lanes = Lanes.scalarCount
        let octave = octave
        let n = octave.fftSize, half = n / 2
        let band = octave.band, width = band.count
        let filters = octave.bins.count
        let spectrum = spectrum, edge = edge, responses = responses
        octave.rowStart.withUnsafeBufferPointer { rowStart in
        octave.column.withUnsafeBufferPointer { column in
        octave.real.withUnsafeBufferPointer { kr in
        octave.imaginary.withUnsafeBufferPointer { ki in
        octave.gain.withUnsafeBufferPointer { gain in
            let re = columns, im = re + width * lanes
            let bandSpectrum = spectrum + 2 * band.lowerBound
            for first in stride(from: frames.lowerBound, to: frames.upperBound, by: lanes) {
                let count = min(lanes, frames.upperBound - first)
                for f in 0..<count {
                    let start = (first + f) * octave.hop - half
                    if start >= 0 && start + n <= y.count {
                        fft.forward(y.baseAddress! + start, bins: band, into: spectrum)
                    } else {
                        // A frame reaching past either end: the part inside the signal, zeros elsewhere.
                        let lo = max(0, start), hi = min(y.count, start + n)
                        edge.update(repeating: 0, count: n)
                        if lo < hi { (edge + (lo - start)).update(from: y.baseAddress! + lo, count: hi - lo) }
                        fft.forward(UnsafePointer(edge), bins: band, into: spectrum)
                    }
                    var from = UnsafePointer(bandSpectrum), toRe = re + f, toIm = im + f
                    for _ in 0..<width {
                        toRe.pointee = from[0]
                        toIm.pointee = from[1]
                        from += 2; toRe += lanes; toIm += lanes
                    }
                }
                let row = out + first * bins + octave.bins.lowerBound
                let rp = UnsafeRawPointer(re), ip = UnsafeRawPointer(im)
                for k in 0..<filters {
                    var sumRe = Lanes(), sumIm = Lanes()
                    for e in rowStart[k]..<rowStart[k + 1] {
                        let at = 4 * lanes * Int(column[e])
                        let xr = rp.load(fromByteOffset: at, as: Lanes.self)
                        let xi = ip.load(fromByteOffset: at, as: Lanes.self)
                        let a = kr[e], b = ki[e]
                        sumRe += a * xr - b * xi
                        sumIm += b * xr + a * xi
                    }
                    let magnitude = (sumRe * sumRe + sumIm * sumIm).squareRoot() * gain[k]
                    UnsafeMutableRawPointer(responses).storeBytes(of: magnitude, toByteOffset: 4 * lanes * k, as: Lanes.self)
                }
                // Filter by filter to frame by frame.
                for f in 0..<count {
                    var from = UnsafePointer(responses) + f, to = row + f * bins
                    for _ in 0..<filters { to.pointee = from.pointee; to += 1; from += lanes }
                }
            }
        }
        }
        }
        }
        }
    }
}
