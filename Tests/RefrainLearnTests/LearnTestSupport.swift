import Foundation
import RefrainLearn
import RefrainMath
import RefrainTestSupport
import XCTest

/// A float32 fixture from Tests/Fixtures/learn/ (written by scripts/reference/learn_torch.py).
func fixture(_ name: String) throws -> NPYArray { try NPY.read(Fixtures.url("learn/\(name).npy")) }
func floats(_ name: String) throws -> [Float] { try fixture(name).floats() }
func ints(_ name: String) throws -> [Int] { try fixture(name).floats().map { Int($0) } }
func tensor(_ name: String) throws -> Tensor {
    let a = try fixture(name)
    return Tensor(shape: a.shape, data: a.floats())
}

/// `max |a - b| <= tolerance * max |b|`: the relative tolerance of the fixture tests (1e-4), taken against the
/// scale of the whole reference tensor (at least 1e-3) so that near-zero entries are not held to a tighter
/// absolute bound.
func assertClose(_ a: [Float], _ b: [Float], _ tolerance: Float = 1e-4, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "\(what): sizes differ", file: file, line: line)
    let scale = max(b.map { abs($0) }.max() ?? 0, 1e-3)  // floor: gradients that vanish exactly (attention bias)
    let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
    XCTAssertLessThanOrEqual(worst, tolerance * scale, "\(what): max error \(worst) against scale \(scale)", file: file, line: line)
}

/// Central finite differences of `f` (evaluated in Float64) at `count` coordinates of `values`, compared
/// with `analytic`: `|numeric - analytic| <= tolerance * max(|analytic|_max, 1e-3)`.
func checkFiniteDifferences(_ values: inout [Float], analytic: [Float], count: Int = 24, step: Float = 1e-2,
                            tolerance: Double = 2e-2, seed: UInt64 = 7, _ what: String,
                            file: StaticString = #filePath, line: UInt = #line, _ f: ([Float]) -> Double) {
    var random = SeededRandom(seed: seed)
    let scale = max(Double(analytic.map { abs($0) }.max() ?? 0), 1e-3)
    for _ in 0..<min(count, values.count) {
        let i = Int(random.next() % UInt64(values.count))
        let saved = values[i]
        values[i] = saved + step
        let up = f(values)
        values[i] = saved - step
        let down = f(values)
        values[i] = saved
        let numeric = (up - down) / Double(2 * step)
        XCTAssertLessThanOrEqual(abs(numeric - Double(analytic[i])), tolerance * scale,
                                 "\(what)[\(i)]: numeric \(numeric), analytic \(analytic[i])", file: file, line: line)
    }
}

/// `Σ y·g` in Float64.
func dot64(_ a: [Float], _ b: [Float]) -> Double { zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) } }
