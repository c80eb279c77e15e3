import Foundation
import RefrainAudio
import RefrainMath
import XCTest

/// Noise colours by the slope of their power spectral density, and mixing at a signal-to-noise ratio.
final class NoiseTests: XCTestCase {
    let rate = 44100.0

    /// Mean power spectral density (dB, arbitrary reference) in octave bands from 125 Hz, from 4096-point
    /// Hann-windowed periodograms averaged over the signal.
    func octaveBandsDB(_ x: [Float]) -> [Double] {
        let n = 4096
        let fft = RealFFT(size: n)
        var psd = [Double](repeating: 0, count: n / 2 + 1)
        var frames = 0
        for start in stride(from: 0, to: x.count - n, by: n / 2) {
            let frame = (0..<n).map { x[start + $0] * Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(n))) }
            let s = fft.forward(frame)
            for k in 0...(n / 2) { psd[k] += Double(s[2 * k] * s[2 * k] + s[2 * k + 1] * s[2 * k + 1]) }
            frames += 1
        }
        return [125.0, 250, 500, 1000, 2000, 4000].map { low in
            let a = Int(low * Double(n) / rate), b = Int(2 * low * Double(n) / rate)
            return 10 * log10(psd[a..<b].reduce(0, +) / Double(b - a) / Double(frames))
        }
    }

    /// Least-squares slope of the band levels, dB per octave.
    func slope(_ bands: [Double]) -> Double {
        let xs = bands.indices.map(Double.init), mx = xs.reduce(0, +) / Double(xs.count), my = bands.reduce(0, +) / Double(bands.count)
        return zip(xs, bands).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / xs.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
    }

    func testColoursHaveTheirSpectralSlopesAndUnitRMS() throws {
        for (kind, expected) in [(NoiseKind.white, 0.0), (.pink, -3.0), (.brown, -6.0)] {
            let x = try NoiseGenerator.noise(kind, count: 4 * Int(rate), sampleRate: rate, seed: 11)
            let rms = (x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(x.count)).squareRoot()
            XCTAssertEqual(rms, 1, accuracy: 1e-3)
            let measured = slope(octaveBandsDB(x))
            XCTAssertEqual(measured, expected, accuracy: 0.5, "\(kind) slope \(measured) dB/octave")
            let again = try NoiseGenerator.noise(kind, count: 5000, sampleRate: rate, seed: 11)
            XCTAssertEqual(again, try NoiseGenerator.noise(kind, count: 5000, sampleRate: rate, seed: 11), "same seed, same noise")
            XCTAssertNotEqual(again, try NoiseGenerator.noise(kind, count: 5000, sampleRate: rate, seed: 12))
        }
    }

    /// Babble carries most of its energy in the speech band and comes and goes (syllables, pauses).
    func testBabbleIsSpeechBandAndModulated() throws {
        let x = try NoiseGenerator.noise(.babble, count: 6 * Int(rate), sampleRate: rate, seed: 4)
        let bands = octaveBandsDB(x)
        XCTAssertGreaterThan(bands[1...3].max()!, bands[5] + 6, "more energy at 250-2000 Hz than at 4-8 kHz")
        let window = Int(0.05 * rate)
        let levels = stride(from: 0, to: x.count - window, by: window).map { s in
            x[s..<(s + window)].reduce(0.0) { $0 + Double($1) * Double($1) } / Double(window)
        }
        let mean = levels.reduce(0, +) / Double(levels.count)
        let sd = (levels.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(levels.count)).squareRoot()
        XCTAssertGreaterThan(sd / mean, 0.25, "short-time power varies")
    }

    func testMixingReachesTheAskedSNR() throws {
        let signal = (0..<44100).map { Float(0.3 * sin(Double($0) * 0.05) + 0.1 * sin(Double($0) * 0.31)) }
        for kind in NoiseKind.allCases {
            let noise = try NoiseGenerator.noise(kind, count: signal.count, sampleRate: rate, seed: 2)
            for snr in [10.0, 17.5, 30.0] {
                let mixed = try NoiseGenerator.mix(signal, noise: noise, snrDB: snr)
                var ps = 0.0, pn = 0.0
                for i in signal.indices {
                    ps += Double(signal[i]) * Double(signal[i])
                    let d = Double(mixed[i]) - Double(signal[i])
                    pn += d * d
                }
                XCTAssertEqual(10 * log10(ps / pn), snr, accuracy: 0.5, "\(kind) at \(snr) dB")
            }
        }
        XCTAssertThrowsError(try NoiseGenerator.mix(signal, noise: [0, 0], snrDB: 10))
    }
}
