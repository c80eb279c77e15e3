import Foundation
import RefrainMath
import RefrainSymbolic
import RefrainTestSupport
import XCTest

/// FluidSynth rendering (needs the Debian soundfont that scripts/setup.sh installs) and soundfont lookup.
final class RenderingTests: XCTestCase {
    func testRenderingIsDeterministicAndAsLongAsTheScore() throws {
        let score = try MIDIScore(contentsOf: Fixtures.url("midi/format1_everything.mid"))
        let renderer = try MIDIRenderer(sampleRate: 22050)
        let first = try renderer.render(score, tail: 0.5)
        let second = try MIDIRenderer(sampleRate: 22050).render(score, tail: 0.5)
        XCTAssertEqual(first, second, "the same score and soundfont render to the same samples")
        let lastNoteOff = score.instruments.map(\.endTime).max() ?? 0
        XCTAssertEqual(Double(first.count) / 22050, lastNoteOff + 0.5, accuracy: 1.0 / 22050)
        let energy = first.reduce(0) { $0 + $1 * $1 } / Float(first.count)
        XCTAssertGreaterThan(energy, 1e-6, "the rendering is not silent")
        XCTAssertTrue(first.allSatisfy { $0.isFinite && abs($0) <= 1 })
        // A text event after the last note makes no sound and does not lengthen the rendering (the score's
        // `endTime` counts it; `MIDIRenderer.soundingEnd` does not).
        var withLateText = score
        withLateText.texts.append(MIDIText(kind: .text, text: "fine", tick: 1 << 20, time: lastNoteOff + 5))
        XCTAssertEqual(withLateText.endTime, lastNoteOff + 5)
        XCTAssertEqual(MIDIRenderer.soundingEnd(of: withLateText), lastNoteOff)
        XCTAssertEqual(try renderer.render(withLateText, tail: 0.5), first)
    }

    /// A renderer that rendered other scores before renders a score exactly as a fresh one does: no state of
    /// an earlier render (releasing voices, the synthesizer's block clock) reaches the next.
    func testEarlierRendersLeaveNoTrace() throws {
        let score = try MIDIScore(contentsOf: Fixtures.url("midi/format1_everything.mid"))
        let other = score.transposed(by: 5)
        let renderer = try MIDIRenderer(sampleRate: 22050)
        let first = try renderer.render(score, tail: 0.5)
        XCTAssertNotEqual(try renderer.render(other, tail: 0.5), first)
        XCTAssertEqual(try renderer.render(score, tail: 0.5), first, "after another score")
        XCTAssertEqual(try renderer.render(score, tail: 0.5), first, "after itself")
    }

    /// After a render the renderer prepares the next render's synthesizer in the background (so that a render
    /// does not wait for FluidSynth's set-up), and a render on it gives the samples a fresh renderer gives.
    func testTheNextSynthesizerIsPreparedAfterARenderAndRendersAlike() throws {
        let score = try MIDIScore(contentsOf: Fixtures.url("midi/format1_everything.mid"))
        let renderer = try MIDIRenderer(sampleRate: 16000)
        XCTAssertFalse(renderer.hasPreparedSynthesizer, "none before the first render")
        let first = try renderer.render(score, tail: 0.5)
        func prepared() -> Bool {
            let deadline = Date().addingTimeInterval(5)
            while !renderer.hasPreparedSynthesizer && Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
            return renderer.hasPreparedSynthesizer
        }
        XCTAssertTrue(prepared(), "made after the render")
        XCTAssertEqual(try renderer.render(score, tail: 0.5), first, "on the prepared synthesizer")
        XCTAssertTrue(prepared(), "made again")
        XCTAssertEqual(try MIDIRenderer(sampleRate: 16000).render(score, tail: 0.5), first, "as a fresh renderer")
    }

    /// A render handed over in pieces while it is made: the pieces come in order, `every` samples each but the
    /// last, and joined are the whole render's samples bit for bit; an error of the consumer stops the render.
    func testARenderHandedOverInPiecesJoinsToTheWholeRender() throws {
        let score = try MIDIScore(contentsOf: Fixtures.url("midi/format1_everything.mid"))
        let renderer = try MIDIRenderer(sampleRate: 16000)
        let whole = try renderer.render(score, tail: 0.5)
        for every in [1_000, 16_384, whole.count + 5] {
            var pieces: [[Float]] = []
            try renderer.render(score, tail: 0.5, every: every) { pieces.append($0) }
            XCTAssertEqual(pieces.dropLast().map(\.count), Array(repeating: every, count: pieces.count - 1))
            XCTAssertEqual(pieces.last?.count, whole.count - every * (pieces.count - 1))
            XCTAssertEqual(Array(pieces.joined()), whole, "in pieces of \(every)")
        }
        var calls = 0
        XCTAssertThrowsError(try renderer.render(score, tail: 0.5, every: 1_000) { _ in
            calls += 1
            throw RefrainError.invalidArgument("stop")
        })
        XCTAssertEqual(calls, 1)
        XCTAssertThrowsError(try renderer.render(score, every: 0) { _ in })
        XCTAssertEqual(try renderer.render(score, tail: 0.5), whole, "a stopped render leaves no trace")
    }

    func testSoundfontLookupOrderAndMissingSoundfontMessage() throws {
        let existing = try SoundfontLocator.locate()
        let other = FileManager.default.temporaryDirectory.appendingPathComponent("refrain-test-\(getpid()).sf2")
        try Data([0]).write(to: other)
        defer { try? FileManager.default.removeItem(at: other) }

        XCTAssertEqual(try SoundfontLocator.locate(other.path, environment: [SoundfontLocator.environmentVariable: existing]), other.path)
        XCTAssertEqual(try SoundfontLocator.locate(nil, environment: [SoundfontLocator.environmentVariable: other.path]), other.path)
        XCTAssertEqual(try SoundfontLocator.locate(nil, environment: [:], searchPaths: ["/nonexistent.sf2", existing]), existing)
        XCTAssertThrowsError(try SoundfontLocator.locate("/nonexistent.sf2"))
        XCTAssertThrowsError(try SoundfontLocator.locate(nil, environment: [SoundfontLocator.environmentVariable: "/nonexistent.sf2"]))
        XCTAssertThrowsError(try SoundfontLocator.locate(nil, environment: [:], searchPaths: [])) { error in
            XCTAssertTrue("\(error)".contains("fluid-soundfont-gm"), "\(error)")
        }
    }
}
