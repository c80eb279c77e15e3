import Foundation
import Refrain
import RefrainTestSupport
import XCTest

/// Key invariance end to end, with the default settings (no flag): built-in tunes rendered as recordings,
/// one of them in another key than its score; excerpts transposed by each of -5...+6 semitones, played on
/// other instruments with another soundfont at another tempo, are found at rank 1, and so is the
/// transposed recording by its score and by an excerpt in the score's key.
final class KeyInvariantRetrievalTests: XCTestCase {
    static let keys = ["twinkle", "ode-to-joy", "au-clair-de-la-lune", "greensleeves", "minuet-in-g", "amazing-grace"]
    /// The tune recorded 4 semitones above its score.
    static let transposedTune = "amazing-grace"

    func testTransposedExcerptsAndATransposedRecordingAreFoundFirstByDefault() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let tunes = BuiltInTune.all.filter { Self.keys.contains($0.key) }
        let demo = try DemoCollection(directory: dir)
        let recorder = try MIDIRenderer()
        var recordings: [URL] = []
        for tune in tunes {
            var score = try demo.recordingScore(tune)
            if tune.key == Self.transposedTune { score = score.transposed(by: 4) }
            let url = dir.appendingPathComponent("\(tune.key).wav")
            try writeAudio(try recorder.render(score), sampleRate: Int(recorder.sampleRate), to: url)
            recordings.append(url)
        }
        let indexURL = dir.appendingPathComponent("index")
        let store = try IndexStore.create(at: indexURL, settings: .music())
        let analyzer = try AnalyzerRegistry.refrain().analyzer(for: store.settings)
        let report = try IndexAdder.add(IndexAdder.jobs(for: recordings, analyzer: analyzer).jobs, to: store, analyzer: analyzer)
        XCTAssertEqual(report.added.count, tunes.count)
        let searcher = try Searcher(directory: indexURL)

        // Excerpts of one tune in every key from -5 to +6, violin and organ, another soundfont, 85 % tempo.
        let queryRenderer = try MIDIRenderer(soundfont: RealisticSet.installed(["/usr/share/sounds/sf2/TimGM6mb.sf2"]).first)
        let ode = try XCTUnwrap(tunes.first { $0.key == "ode-to-joy" })
        let score = try ode.score(melodyProgram: 40, chordProgram: 19).scalingTempo(by: 0.85)
        for semitones in -5...6 {
            let samples = try queryRenderer.render(score.transposed(by: semitones))
            let rate = queryRenderer.sampleRate
            let url = dir.appendingPathComponent("excerpt\(semitones).wav")
            try writeAudio(Array(samples[Int(3.3 * rate)..<Int(13.3 * rate)]), sampleRate: Int(rate), to: url)
            let (result, _) = try searcher.query(url, id: "excerpt\(semitones)", task: .audioMatch, topK: 3)
            XCTAssertEqual(result.ranking.first?.key, ode.key, "excerpt transposed by \(semitones): \(result.ranking.map(\.key))")
        }

        // The recording 4 semitones above its score: found by the score, and by an excerpt in the score's key.
        let grace = try XCTUnwrap(tunes.first { $0.key == Self.transposedTune })
        let midi = try demo.midiQuery(grace)
        let (byScore, _) = try searcher.query(midi.url, id: "midi", task: .midiToAudio, topK: 3)
        XCTAssertEqual(byScore.ranking.first?.key, grace.key, "\(byScore.ranking.map(\.key))")
        let audio = try demo.audioQuery(grace, excerpt: 4...14)
        let (byExcerpt, _) = try searcher.query(audio.url, id: "audio", task: .audioMatch, topK: 3)
        XCTAssertEqual(byExcerpt.ranking.first?.key, grace.key, "\(byExcerpt.ranking.map(\.key))")
        // Without key invariance, the score does not find its transposed recording first (the test can fail).
        let plain = Searcher.Options(overrides: ["raffel-ellis": ["key": "off"]])
        let (withoutKey, _) = try searcher.query(midi.url, id: "midi-plain", task: .midiToAudio, topK: 3, options: plain)
        print("score of the transposed recording without key invariance: \(withoutKey.ranking.map { "\($0.key) \($0.score)" })")
    }
}
