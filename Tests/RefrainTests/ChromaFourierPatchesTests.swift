import Foundation
import Refrain
import RefrainMath
import RefrainTestSupport
import XCTest

/// `ChromaFourierPatches` (issue 18, round 11): the compressed 2-D Fourier magnitude of CENS patches
/// (Bertin-Mahieux & Ellis 2012) equals the transform computed from its definition, and it does not change
/// when the pitch classes are rotated (a transposition).
final class ChromaFourierPatchesTests: XCTestCase {
    /// `|Σ_t Σ_c x[t, c] e^{-2πi (f t / window + k c / 12)}|` for f < rows, in Double, from the definition,
    /// raised to `power` and scaled to unit length (the patch starts at `start`; frames past the end are 0).
    func direct(_ x: Matrix, start: Int, settings: ChromaFourierPatches) -> [Double] {
        var out: [Double] = []
        for f in 0..<settings.rows {
            for k in 0..<12 {
                var re = 0.0, im = 0.0
                for t in 0..<settings.window where start + t < x.rows {
                    for c in 0..<12 {
                        let angle = -2 * Double.pi * (Double(f * t) / Double(settings.window) + Double(k * c) / 12)
                        re += Double(x[start + t, c]) * cos(angle)
                        im += Double(x[start + t, c]) * sin(angle)
                    }
                }
                out.append(pow((re * re + im * im).squareRoot(), Double(settings.power)))
            }
        }
        let norm = out.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return out.map { $0 / norm }
    }

    func patches(_ x: Matrix, hop: Int, settings: ChromaFourierPatches = ChromaFourierPatches()) -> Matrix {
        x.storage.withUnsafeBufferPointer { settings.patches($0, frames: x.rows, hop: hop) }
    }

    /// A pitch-class rotation of every frame by `shift`.
    func rotated(_ x: Matrix, by shift: Int) -> Matrix {
        Matrix(rows: x.rows, cols: 12) { r, c in x[r, ((c - shift) % 12 + 12) % 12] }
    }

    func testPatchesEqualTheTransformFromItsDefinition() {
        let settings = ChromaFourierPatches()
        XCTAssertEqual(settings.dims, 60)
        let x = randomUnitFrames(40, dims: 12, seed: 11)
        let out = patches(x, hop: 4)
        XCTAssertEqual(settings.starts(frames: 40, hop: 4), [0, 4, 8, 12, 16, 20, 24])
        XCTAssertEqual(out.rows, 7)
        for (p, start) in [0, 4, 8, 12, 16, 20, 24].enumerated() {
            let expected = direct(x, start: start, settings: settings)
            for d in 0..<settings.dims { XCTAssertEqual(Double(out[p, d]), expected[d], accuracy: 1e-5, "patch \(p), value \(d)") }
        }
        // Other settings: all temporal frequencies of an 8-frame patch, magnitudes uncompressed.
        var other = ChromaFourierPatches()
        other.window = 8
        other.rows = 5
        other.power = 1
        let wide = patches(x, hop: 3, settings: other)
        let expected = direct(x, start: 30, settings: other)
        for d in 0..<other.dims { XCTAssertEqual(Double(wide[10, d]), expected[d], accuracy: 1e-5) }
    }

    /// A sequence shorter than a patch gives one patch, zero-padded; an empty one gives none.
    func testShortSequencesArePadded() {
        let settings = ChromaFourierPatches()
        let x = randomUnitFrames(11, dims: 12, seed: 5)
        XCTAssertEqual(settings.starts(frames: 11, hop: 4), [0])
        XCTAssertEqual(settings.starts(frames: 16, hop: 4), [0])
        XCTAssertEqual(settings.starts(frames: 0, hop: 4), [])
        let out = patches(x, hop: 4)
        XCTAssertEqual(out.rows, 1)
        let expected = direct(x, start: 0, settings: settings)
        for d in 0..<settings.dims { XCTAssertEqual(Double(out[0, d]), expected[d], accuracy: 1e-5) }
        XCTAssertEqual(patches(Matrix(rows: 0, cols: 12), hop: 4).rows, 0)
    }

    /// Every transposition of a sequence gives the same patches and the same pooled query vector; another
    /// sequence does not.
    func testTranspositionsLeaveThePatchesUnchanged() {
        let settings = ChromaFourierPatches()
        let x = randomUnitFrames(30, dims: 12, seed: 21)
        let original = patches(x, hop: 2)
        let pooled = x.storage.withUnsafeBufferPointer { settings.pooled($0, frames: 30) }
        XCTAssertEqual(pooled.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-5)
        for shift in 1..<12 {
            let y = rotated(x, by: shift)
            let moved = patches(y, hop: 2)
            for i in original.storage.indices { XCTAssertEqual(moved.storage[i], original.storage[i], accuracy: 1e-5) }
            let again = y.storage.withUnsafeBufferPointer { settings.pooled($0, frames: 30) }
            for d in pooled.indices { XCTAssertEqual(again[d], pooled[d], accuracy: 1e-5) }
        }
        let other = randomUnitFrames(30, dims: 12, seed: 22).storage.withUnsafeBufferPointer { settings.pooled($0, frames: 30) }
        XCTAssertGreaterThan(zip(other, pooled).map { abs($0 - $1) }.max() ?? 0, 1e-3)
    }

    /// The pooled vector is the element-wise median of the query's patches at every frame, at unit length.
    func testPooledIsTheMedianOfThePatches() {
        let settings = ChromaFourierPatches()
        let x = randomUnitFrames(19, dims: 12, seed: 8)
        let all = patches(x, hop: 1)
        XCTAssertEqual(all.rows, 4)
        var median = (0..<settings.dims).map { d -> Float in
            let column = (0..<4).map { all[$0, d] }.sorted()
            return (column[1] + column[2]) / 2
        }
        let norm = median.reduce(0) { $0 + $1 * $1 }.squareRoot()
        median = median.map { $0 / norm }
        let pooled = x.storage.withUnsafeBufferPointer { settings.pooled($0, frames: 19) }
        for d in 0..<settings.dims { XCTAssertEqual(pooled[d], median[d], accuracy: 1e-6) }
    }
}
