import Foundation
import RefrainAudio
import RefrainFeatures
import RefrainMath
import RefrainTestSupport
import XCTest

/// Loads `Tests/Fixtures/features/<name>` (made by scripts/reference/audio_features.py).
func featureFixture(_ name: String) throws -> Matrix {
    try NPY.readMatrix(Fixtures.url("features/\(name)"))
}

func signalFixture(_ name: String) throws -> AudioSignal {
    AudioSignal(samples: try NPY.read(Fixtures.url("features/\(name)_signal.npy")).floats(), sampleRate: 22050)
}

/// Pearson correlation of two equal-length vectors (1 when both are constant and equal).
func correlation(_ a: [Float], _ b: [Float]) -> Double {
    let n = Double(a.count)
    let ma = a.reduce(0.0) { $0 + Double($1) } / n, mb = b.reduce(0.0) { $0 + Double($1) } / n
    var sab = 0.0, saa = 0.0, sbb = 0.0
    for i in a.indices {
        let x = Double(a[i]) - ma, y = Double(b[i]) - mb
        sab += x * y; saa += x * x; sbb += y * y
    }
    if saa == 0 || sbb == 0 { return saa == sbb ? 1 : 0 }
    return sab / (saa * sbb).squareRoot()
}

/// Agreement figures between a computed and a reference `frames x dims` matrix.
struct Agreement: CustomStringConvertible {
    /// Smallest per-frame Pearson correlation over frames whose reference energy is at least 1e-3 of the peak.
    var minFrameCorrelation: Double
    /// Largest |ours - reference| divided by the reference's largest absolute value.
    var maxRelativeError: Double

    init(_ ours: Matrix, _ reference: Matrix) {
        precondition(ours.rows == reference.rows && ours.cols == reference.cols,
                     "shape \(ours.rows)x\(ours.cols) vs reference \(reference.rows)x\(reference.cols)")
        let peak = reference.storage.map { abs(Double($0)) }.max() ?? 1
        var minCorr = 1.0, maxErr = 0.0
        for r in 0..<reference.rows {
            let ref = reference.row(r), mine = ours.row(r)
            if (ref.map { abs(Double($0)) }.max() ?? 0) >= 1e-3 * peak {
                minCorr = min(minCorr, correlation(mine, ref))
            }
            for c in ref.indices { maxErr = max(maxErr, abs(Double(mine[c]) - Double(ref[c])) / peak) }
        }
        minFrameCorrelation = minCorr
        maxRelativeError = maxErr
    }

    var description: String { String(format: "min frame correlation %.6f, max error / peak %.2e", minFrameCorrelation, maxRelativeError) }
}

/// Compares `ours` with the fixture `<signal>_<suffix>.npy`: every sufficiently loud frame correlates at least 0.99
/// with librosa's, and no value is off by more than 1e-5 of the reference's peak. Prints the figures.
@discardableResult
func assertMatchesReference(_ ours: FeatureSequence, signal: String, suffix: String,
                            file: StaticString = #filePath, line: UInt = #line) throws -> Agreement {
    let reference = try featureFixture("\(signal)_\(suffix).npy")
    XCTAssertEqual(ours.frameCount, reference.rows, file: file, line: line)
    XCTAssertEqual(ours.times[1], 512.0 / 22050, accuracy: 1e-12, file: file, line: line)
    let agreement = Agreement(ours.values, reference)
    print("\(suffix) \(signal): \(agreement)")
    XCTAssertGreaterThanOrEqual(agreement.minFrameCorrelation, 0.99, signal, file: file, line: line)
    XCTAssertLessThanOrEqual(agreement.maxRelativeError, 1e-5, signal, file: file, line: line)
    return agreement
}
