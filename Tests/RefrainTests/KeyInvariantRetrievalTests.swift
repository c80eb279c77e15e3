import Foundation
import Refrain
import RefrainAudio
import RefrainIndex
import RefrainSymbolic
import RefrainTestSupport
import XCTest

/// Key invariance end to end through `Engine`, with the default options (no flag): built-in tunes rendered as
/// recordings, one of them in another key than its score; excerpts transposed by each of -5...+6 semitones,
/// played on other instruments with another soundfont at another tempo, are found at rank 1, and so are the
/// transposed recording by its score and by an excerpt in the score's key, and a whole transposed
/// performance by the version task.
final class KeyInvariantRetrievalTests: XCTestCase {
    static let keys = ["twinkle", "ode-to-joy", "au-clair-de-la-lune", "greensleeves", "minuet-in-g", "amazing-grace"]
    /// The tune recorded 4 semitones above its score.
    static let transposedTune = "amazing-grace"

    func testTransposedQueriesAndATransposedRecordingAreFoundFirstByDefault() throws {
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
        let engine = try Engine.create(at: dir.appendingPathComponent("index"))
        let report = try engine.add(try engine.jobs(for: recordings).jobs)
        XCTAssertEqual(report.added.count, tunes.count)
        XCTAssertEqual(try engine.settings.shingles?.transform, .canonicalKey)

        // Excerpts of one tune in every key from -5 to +6, violin and organ, another soundfont, 85 % tempo.
        let queryRenderer = try MIDIRenderer(soundfont: RealisticSet.installed(["/usr/share/sounds/sf2/TimGM6mb.sf2"]).first)
        let ode = try XCTUnwrap(tunes.first { $0.key == "ode-to-joy" })
        let score = try ode.score(melodyProgram: 40, chordProgram: 19).scalingTempo(by: 0.85)
        for semitones in -5...6 {
            let samples = try queryRenderer.render(score.transposed(by: semitones))
            let rate = queryRenderer.sampleRate
            let url = dir.appendingPathComponent("excerpt\(semitones).wav")
            try writeAudio(Array(samples[Int(3.3 * rate)..<Int(13.3 * rate)]), sampleRate: Int(rate), to: url)
            let result = try engine.query(.file(url), options: QueryOptions(top: 3)).result
            XCTAssertEqual(result.task, "audio-match")
            XCTAssertEqual(result.ranking.first?.key, ode.key, "excerpt transposed by \(semitones): \(result.ranking.map(\.key))")
            if semitones == 5 {
                // The whole transposed performance, as a version query, finds its recording first.
                let whole = dir.appendingPathComponent("version\(semitones).wav")
                try writeAudio(samples, sampleRate: Int(rate), to: whole)
                let version = try engine.query(.file(whole), options: QueryOptions(task: "version", top: 3)).result
                XCTAssertEqual(version.task, "version")
                XCTAssertEqual(version.ranking.first?.key, ode.key, "version query: \(version.ranking.map(\.key))")
            }
        }

        // The recording 4 semitones above its score: found by the score, and by an excerpt in the score's key.
        let grace = try XCTUnwrap(tunes.first { $0.key == Self.transposedTune })
        let midi = try demo.midiQuery(grace)
        let byScore = try engine.query(.file(midi.url), options: QueryOptions(top: 3)).result
        XCTAssertEqual(byScore.ranking.first?.key, grace.key, "\(byScore.ranking.map(\.key))")
        let audio = try demo.audioQuery(grace, excerpt: 4...14)
        let byExcerpt = try engine.query(.file(audio.url), options: QueryOptions(top: 3)).result
        XCTAssertEqual(byExcerpt.ranking.first?.key, grace.key, "\(byExcerpt.ranking.map(\.key))")
        // Key invariance off: the score no longer has its transposed recording first (the option is real).
        let plain = try engine.query(.file(midi.url), options: QueryOptions(top: 3, keyInvariance: false)).result
        XCTAssertNotEqual(plain.ranking.first?.key, grace.key, "\(plain.ranking.map { "\($0.key) \($0.score)" })")

        // An index whose shingle graph predates shingle transforms is refused with a pointer to `refrain
        // reindex`, which rebuilds the graph (no item needs re-encoding) and makes it searchable again.
        do {  // the writable store holds the writer lock until it goes away
            let store = try IndexStore.open(at: engine.directory, writable: true)
            var settings = store.settings
            settings.shingles?.transform = nil
            try store.replaceSettings(settings)
        }
        XCTAssertThrowsError(try Engine.open(at: engine.directory)) { error in
            let message = (error as? RefrainError)?.message ?? ""
            XCTAssertTrue(message.contains("refrain reindex") && message.contains("shingle"), message)
        }
        let old = try Engine.open(at: engine.directory, searchable: false)
        let reindexed = try old.reindex()
        XCTAssertTrue(reindexed.finished)
        XCTAssertEqual(reindexed.reencoded, 0)
        let reopened = try Engine.open(at: engine.directory)
        XCTAssertEqual(try reopened.settings.shingles?.transform, .canonicalKey)
        XCTAssertEqual(try reopened.query(.file(midi.url), options: QueryOptions(top: 3)).result.ranking.first?.key, grace.key)
    }
}
