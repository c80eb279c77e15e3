import Foundation
@testable import Refrain
import RefrainAudio
import RefrainMath
import RefrainTestSupport
import XCTest

/// `RendererPool`'s render rate: a score asked for at 22050 Hz but rendered at 11025 Hz comes back at the rate
/// asked, as long as the direct rendering, with the same CENS (the encoders' bins stop near 4 kHz).
final class RendererPoolTests: XCTestCase {
    func testALowerRenderRateIsResampledToTheRateAskedWithTheSameChroma() throws {
        let tune = try XCTUnwrap(BuiltInTune.all.first { $0.key == "ode-to-joy" })
        let score = try tune.score()
        let direct = try RendererPool(soundfont: nil, size: 1, interpolation: .linear).render(score, sampleRate: 22050)
        let pool = RendererPool(soundfont: nil, size: 1, interpolation: .linear, renderRate: 11025)
        let low = try pool.render(score, sampleRate: 22050)
        XCTAssertEqual(low.sampleRate, 22050)
        XCTAssertEqual(Double(low.samples.count), Double(direct.samples.count), accuracy: 4)
        // Asked for a rate at or below the render rate, the pool renders directly.
        XCTAssertEqual(try pool.render(score, sampleRate: 8000).sampleRate, 8000)

        func cens(_ signal: AudioSignal) throws -> Matrix {
            guard case .features(let sequence) = try CENSEncoder().encode(AnalysisSource(signal: signal, name: "tune", threads: 1)) else {
                throw XCTSkip("CENS is a feature array")
            }
            return sequence.values
        }
        let a = try cens(direct), b = try cens(low)
        XCTAssertEqual(a.rows, b.rows)
        // Mean cosine similarity of the frames (CENS frames are unit vectors or zero).
        var similarity: Float = 0
        for r in 0..<min(a.rows, b.rows) { for c in 0..<12 { similarity += a[r, c] * b[r, c] } }
        similarity /= Float(max(1, a.rows))
        XCTAssertGreaterThan(similarity, 0.97)
    }
}
