import Foundation
import RefrainAudio
import XCTest

/// The RBJ cookbook filters against the properties that define them (gain at the centre or corner and far
/// from it), measured by filtering sinusoids and comparing steady-state RMS, and against their own transfer
/// function.
final class BiquadTests: XCTestCase {
    let rate = 44100.0

    /// Gain in dB of `filter` on a sinusoid at `hz`, measured over the last half of 1 s.
    func measuredDB(_ filter: Biquad, hz: Double) -> Double {
        var x = (0..<Int(rate)).map { Float(sin(2 * Double.pi * hz * Double($0) / rate)) }
        let input = x
        filter.apply(to: &x)
        let half = x.count / 2
        let out = x[half...].reduce(0.0) { $0 + Double($1) * Double($1) }
        let inp = input[half...].reduce(0.0) { $0 + Double($1) * Double($1) }
        return 10 * log10(out / inp)
    }

    func check(_ filter: Biquad, _ expectations: [(hz: Double, db: Double, tolerance: Double)], _ name: String) {
        for e in expectations {
            let measured = measuredDB(filter, hz: e.hz)
            let analytic = 20 * log10(filter.gain(atHz: e.hz, sampleRate: rate))
            XCTAssertEqual(measured, e.db, accuracy: e.tolerance, "\(name) measured at \(e.hz) Hz")
            XCTAssertEqual(analytic, measured, accuracy: 0.05, "\(name) transfer function at \(e.hz) Hz")
        }
    }

    func testPeakingGainAtCentreAndFarAway() throws {
        check(try .peaking(hz: 1000, gainDB: 6, q: 1, sampleRate: rate), [(1000, 6, 0.05), (30, 0, 0.1), (15000, 0, 0.3)], "peak +6")
        check(try .peaking(hz: 2500, gainDB: -6, q: 2, sampleRate: rate), [(2500, -6, 0.05), (200, 0, 0.1)], "peak -6")
    }

    func testShelvesReachTheirGainAndHalfOfItAtTheCorner() throws {
        check(try .lowShelf(hz: 200, gainDB: 6, sampleRate: rate), [(20, 6, 0.2), (200, 3, 0.05), (8000, 0, 0.05)], "low shelf +6")
        check(try .highShelf(hz: 4000, gainDB: -6, sampleRate: rate), [(18000, -6, 0.3), (4000, -3, 0.05), (100, 0, 0.05)], "high shelf -6")
    }

    func testLowPassIsDown3dBAtItsCornerAnd12dBPerOctaveAbove() throws {
        let filter = try Biquad.lowPass(hz: 2500, sampleRate: rate)
        check(filter, [(2500, -3.01, 0.05), (100, 0, 0.05)], "low-pass")
        let octave = measuredDB(filter, hz: 5000) - measuredDB(filter, hz: 10000)
        XCTAssertGreaterThan(octave, 10)
    }

    func testFrequencyAboveNyquistIsAnError() {
        XCTAssertThrowsError(try Biquad.lowPass(hz: 30000, sampleRate: rate))
        XCTAssertThrowsError(try Biquad.peaking(hz: 0, gainDB: 3, sampleRate: rate))
    }
}
