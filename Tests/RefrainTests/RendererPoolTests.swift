import Foundation
@testable import Refrain
import RefrainAudio
import RefrainMath
import RefrainSymbolic
import RefrainTestSupport
import XCTest

/// `RendererPool`'s render rate: a score asked for at 22050 Hz but rendered at 11025 Hz comes back at the rate
/// asked, as long as the direct rendering, with the same CENS (the encoders' bins stop near 4 kHz); a pool that
/// splits scores renders them to the whole rendering's samples.
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

    /// With two threads, a score rendered at 16 kHz for 22,050 Hz is resampled piece by piece while it renders
    /// (`RendererPool.renderedWhileResampling`), to the samples of rendering and then resampling on one thread,
    /// bit for bit.
    func testResamplingWhileRenderingGivesTheSerialSamples() throws {
        let score = try MIDIScore(contentsOf: Fixtures.url("midi/format1_everything.mid"))
        let pool = RendererPool(soundfont: nil, size: 2, renderRate: 16000)
        let serial = try pool.render(score, sampleRate: 22050, threads: 1)
        let overlapped = try pool.render(score, sampleRate: 22050, threads: 2)
        XCTAssertEqual(overlapped.sampleRate, 22050)
        XCTAssertEqual(overlapped.samples, serial.samples)
        let renderer = try MIDIRenderer(sampleRate: 16000)
        let direct = try RendererPool.renderedWhileResampling(score, on: renderer, end: MIDIRenderer.soundingEnd(of: score), to: 22050)
        XCTAssertEqual(direct, try resample(try renderer.render(score), from: 16000, to: 22050, threads: 1))
        XCTAssertGreaterThan(direct.count, RendererPool.streamedPiece * 22050 / 16000, "more than one piece")
    }

    /// A pool that splits scores renders them, in parts on two renderers at once, to nearly the samples a whole
    /// render gives (within the bound of `RenderingPartsTests`), resampled from its render rate alike, and the same
    /// on every call.
    func testAScoreRenderedInPartsIsTheWholeRendering() throws {
        let score = try MIDIScore(contentsOf: Fixtures.url("midi/format1_everything.mid"))
        XCTAssertGreaterThan(score.renderingParts(2).count, 1)
        let whole = try RendererPool(soundfont: nil, size: 2, interpolation: .linear, renderRate: 16000).render(score, sampleRate: 22050)
        let split = RendererPool(soundfont: nil, size: 2, interpolation: .linear, renderRate: 16000, splitsScores: true)
        var first: [Float]?
        for _ in 0..<2 {
            let parts = try split.render(score, sampleRate: 22050)
            if let first { XCTAssertEqual(parts.samples, first, "deterministic") }
            first = parts.samples
            XCTAssertEqual(parts.sampleRate, 22050)
            XCTAssertEqual(parts.samples.count, whole.samples.count)
            let peak = whole.samples.map(abs).max() ?? 0
            let largest = zip(parts.samples, whole.samples).map { abs($0 - $1) }.max() ?? 0
            XCTAssertGreaterThan(peak, 0.01)
            XCTAssertLessThan(largest, 0.05 * peak, "largest difference \(largest), peak \(peak)")
        }
    }
}
