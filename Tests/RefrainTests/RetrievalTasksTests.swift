import Foundation
import Refrain
import RefrainTestSupport
import XCTest

/// End to end on rendered built-in tunes: index recordings, then ask by MIDI and by audio excerpt.
final class RetrievalTasksTests: XCTestCase {
    static let keys = ["twinkle", "ode-to-joy", "au-clair-de-la-lune", "greensleeves", "minuet-in-g", "amazing-grace"]

    func testMIDIAndAudioQueriesFindTheirRecordingAndSpan() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let tunes = BuiltInTune.all.filter { Self.keys.contains($0.key) }
        let demo = try DemoCollection(directory: dir)
        let recordings = try demo.writeRecordings(tunes)
        let indexURL = dir.appendingPathComponent("index")
        let store = try IndexStore.create(at: indexURL, settings: .music())
        let analyzer = try AnalyzerRegistry.refrain().analyzer(for: store.settings)
        let report = try IndexAdder.add(IndexAdder.jobs(for: recordings, analyzer: analyzer).jobs, to: store, analyzer: analyzer)
        XCTAssertEqual(report.added.count, tunes.count)
        XCTAssert(report.failed.isEmpty)

        let searcher = try Searcher(directory: indexURL)
        for tune in tunes {
            let midi = try demo.midiQuery(tune)
            for prune in [true, false] {
                let (result, _) = try searcher.query(midi.url, id: tune.key, topK: 3, options: .init(prune: prune))
                XCTAssertEqual(result.ranking.first?.key, tune.key, "MIDI query \(tune.key), prune \(prune)")
            }
            let audio = try demo.audioQuery(tune, excerpt: 4...14)
            let (result, _) = try searcher.query(audio.url, id: tune.key, topK: 3)
            let top = try XCTUnwrap(result.ranking.first)
            XCTAssertEqual(top.key, tune.key, "audio query \(tune.key)")
            // Tunes repeat their phrases (Twinkle's bars 9-12 are bars 1-4), so the expected span must be one
            // of the item's matches, not necessarily the first.
            let expected = try XCTUnwrap(audio.expectedSpan)
            let overlaps = result.ranking.filter { $0.key == tune.key }.map { item -> Double in
                let overlap = min(item.end ?? 0, expected.upperBound) - max(item.start ?? 0, expected.lowerBound)
                return overlap / (expected.upperBound - expected.lowerBound)
            }
            XCTAssertGreaterThan(overlaps.max() ?? 0, 0.5, "span of \(tune.key): \(result.ranking), expected \(expected)")
        }
    }

    func testMusicSettingsRoundTripAndUnknownOrBadValuesAreRefused() throws {
        var custom = RepresentationSettings()
        custom.cqtBins = 36
        custom.censDownsampling = 10
        var settings = IndexSettings.music(custom)
        XCTAssertNoThrow(try AnalyzerRegistry.refrain().analyzer(for: settings))
        var read = RepresentationSettings()
        try read.apply(custom.dictionary)
        XCTAssertEqual(read, custom)
        settings.features["cens_window_shape"] = "hann"
        XCTAssertThrowsError(try AnalyzerRegistry.refrain().analyzer(for: settings)) { error in
            XCTAssertTrue((error as? RefrainError)?.message.contains("unknown feature setting 'cens_window_shape'") ?? false, "\(error)")
        }
        XCTAssertThrowsError(try read.apply(["cqt_bins": "many"])) { error in
            XCTAssertTrue((error as? RefrainError)?.message.contains("cqt_bins") ?? false, "\(error)")
        }
    }

    func testTimeScalingAndChromaShift() {
        let m = Matrix(rowArrays: [[1, 0], [0, 1], [1, 0]])
        let longer = timeScaled(m, by: 2)
        XCTAssertEqual(longer.rows, 6)
        XCTAssertEqual(longer.row(0), [1, 0])
        XCTAssertEqual(longer.row(5), [1, 0])
        for r in 0..<longer.rows {
            let norm = longer.row(r).reduce(0) { $0 + $1 * $1 }
            XCTAssertEqual(norm, 1, accuracy: 1e-5)
        }
        XCTAssertEqual(timeScaled(m, by: 1).storage, m.storage)
        let chroma = Matrix(rows: 1, cols: 12) { _, c in Float(c) }
        XCTAssertEqual(cyclicallyShifted(chroma, by: 2).row(0), [10, 11] + (0..<10).map(Float.init))
        XCTAssertEqual(cyclicallyShifted(chroma, by: -1).row(0), (1..<12).map(Float.init) + [0])
    }

    func testAutoTaskFollowsTheFileKind() {
        XCTAssertEqual(RetrievalTask.auto.resolved(for: URL(fileURLWithPath: "a.MID")), .midiToAudio)
        XCTAssertEqual(RetrievalTask.auto.resolved(for: URL(fileURLWithPath: "a.flac")), .audioMatch)
        XCTAssertEqual(RetrievalTask.audioMatch.resolved(for: URL(fileURLWithPath: "a.mid")), .audioMatch)
        let stages = RetrievalTask.midiToAudio.stages(prune: false).filter(\.enabled).map(\.stage)
        XCTAssertEqual(stages, ["kind-filter", "raffel-ellis"])
    }
}

final class SearcherOptionsTests: XCTestCase {
    func testOverridesParseStageOptionValueAndRefuseMalformedSettings() throws {
        let parsed = try Searcher.Options.overrides(["raffel-ellis.cens_weight=1", "shingle-vote.keep=50", "raffel-ellis.gully=0.9",
                                                     "audio-match.tempi=0.5,1=x"])
        XCTAssertEqual(parsed, ["raffel-ellis": ["cens_weight": "1", "gully": "0.9"], "shingle-vote": ["keep": "50"],
                                "audio-match": ["tempi": "0.5,1=x"]])
        for bad in ["cens_weight=1", "raffel-ellis.cens_weight", ".x=1", "raffel-ellis.=1", "=1"] {
            XCTAssertThrowsError(try Searcher.Options.overrides([bad]), bad) { error in
                XCTAssertTrue((error as? RefrainError)?.message.contains("stage.option=value") ?? false, "\(error)")
            }
        }
    }

    func testOverridesReplaceTheTaskDefaultsOfTheirStageOnly() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try IndexStore.create(at: dir, settings: .music())
        let searcher = try Searcher(directory: dir)
        let options = Searcher.Options(keep: 30, overrides: try Searcher.Options.overrides(["shingle-vote.keep=7", "raffel-ellis.cens_weight=0.5",
                                                                                             "no-such-stage.x=1"]))
        let specs = searcher.stages(for: .midiToAudio, query: URL(fileURLWithPath: "q.mid"), options: options)
        XCTAssertEqual(specs.map(\.stage), ["kind-filter", "shingle-vote", "version", "raffel-ellis"])
        XCTAssertEqual(specs[1].options["keep"], "7", "an override wins over --keep")
        XCTAssertEqual(specs[1].options["tempi"], "0.8,1,1.25", "other options stay")
        XCTAssertEqual(specs[3].options, ["cens_weight": "0.5"])
        XCTAssertEqual(specs[0].options, ["kinds": "audio"])
    }
}
