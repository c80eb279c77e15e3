import Foundation
@testable import Refrain
import RefrainIndex
import RefrainMath
import RefrainTestSupport
import XCTest

/// The engine as the command line and the server use it: works, alignment paths, concurrent queries, typed
/// inputs, encoder records and re-encoding.
final class EngineTests: XCTestCase {
    static let keys = ["twinkle", "ode-to-joy", "greensleeves"]
    var dir: URL!
    var demo: DemoCollection!
    var recordings: [URL] = []

    override func setUpWithError() throws {
        dir = try Fixtures.temporaryDirectory()
        demo = try DemoCollection(directory: dir)
        recordings = try demo.writeRecordings(BuiltInTune.all.filter { Self.keys.contains($0.key) })
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    var tunes: [String: BuiltInTune] { Dictionary(uniqueKeysWithValues: BuiltInTune.all.map { ($0.key, $0) }) }

    /// An index of the three recordings (each its own work).
    func makeEngine(_ name: String = "index", configuration: Engine.Configuration = Engine.Configuration()) throws -> Engine {
        let engine = try Engine.create(at: dir.appendingPathComponent(name), configuration: configuration)
        try engine.add(try engine.jobs(for: recordings).jobs)
        return engine
    }

    /// A score and two recordings of "twinkle" form one work: ranked by work, the work comes once, first, named
    /// by its key; ranked by item, its members come separately.
    func testAScoreAndItsRecordingsRankAsOneWork() throws {
        let engine = try makeEngine()
        let twinkle = tunes["twinkle"]!
        let score = dir.appendingPathComponent("twinkle-score.mid")
        try twinkle.score().write(to: score)
        let second = dir.appendingPathComponent("twinkle-take2.wav")
        let renderer = try MIDIRenderer(soundfont: "/usr/share/sounds/sf2/TimGM6mb.sf2")
        try AudioSignal(samples: try renderer.render(try twinkle.score(melodyProgram: 40).scalingTempo(by: 0.9)), sampleRate: 22050)
            .write(to: second)
        try engine.add([AddJob(key: "twinkle-score", url: score, work: "twinkle"),
                        AddJob(key: "twinkle-take2", url: second, title: "Twinkle, second take", work: "twinkle")])
        let query = try demo.audioQuery(twinkle, excerpt: 3...13)
        let byWork = try engine.query(.file(query.url), options: QueryOptions(top: 3, by: .work)).result
        XCTAssertEqual(byWork.by, "work")
        XCTAssertEqual(byWork.ranking.first?.work, "twinkle")
        XCTAssertEqual(Set(byWork.ranking.compactMap(\.work)).count, byWork.ranking.count, "each work once: \(byWork.ranking)")
        XCTAssertEqual(byWork.ranking.count, 3, "three works: twinkle, ode-to-joy, greensleeves")
        let byItem = try engine.query(.file(query.url), options: QueryOptions(top: 10)).result
        let twinkleItems = Set(byItem.ranking.filter { $0.work == "twinkle" }.map(\.key))
        XCTAssertEqual(twinkleItems, ["twinkle", "twinkle-score", "twinkle-take2"], "\(byItem.ranking)")
        XCTAssertEqual(byItem.ranking.first { $0.key == "twinkle-take2" }?.title, "Twinkle, second take")
        // Metrics judge a work ranking by work keys.
        let metrics = RetrievalMetrics(queries: [EvalQuery(id: byWork.id, path: "q", relevant: ["twinkle"])], results: [byWork])
        XCTAssertEqual(metrics.precisionAt1, 1)
    }

    /// With `path`, each hit carries its alignment: monotonic in both times, inside the hit's span, starting
    /// near the span's start and ending near its end, at most one point per query frame, and in the JSON.
    func testHitsCarryTheirAlignmentPath() throws {
        let engine = try makeEngine()
        let audio = try demo.audioQuery(tunes["ode-to-joy"]!, excerpt: 4...14)
        let midi = try demo.midiQuery(tunes["greensleeves"]!)
        for (url, key) in [(audio.url, "ode-to-joy"), (midi.url, "greensleeves")] {
            let result = try engine.query(.file(url), options: QueryOptions(top: 2, path: true)).result
            let hit = try XCTUnwrap(result.ranking.first)
            XCTAssertEqual(hit.key, key)
            let path = try XCTUnwrap(hit.path, "\(key) has a path")
            let start = try XCTUnwrap(hit.start), end = try XCTUnwrap(hit.end)
            XCTAssertGreaterThan(path.count, 5)
            for (a, b) in zip(path, path.dropFirst()) {
                XCTAssertLessThan(a.query, b.query, "one point per query frame, increasing")
                XCTAssertLessThanOrEqual(a.item, b.item, "monotonic in the item")
            }
            for point in path { XCTAssert(point.item >= start - 1e-9 && point.item <= end + 1e-9, "\(point) inside \(start)-\(end)") }
            let span = end - start
            XCTAssertLessThan(path.first!.item - start, 0.1 * span, "\(key) starts near the span's start")
            XCTAssertLessThan(end - path.last!.item, 0.15 * span, "\(key) ends near the span's end")
            XCTAssertLessThan(path.first!.query, 1.5, "the query's start is aligned")
            let encoded = String(decoding: try JSONEncoder().encode(hit), as: UTF8.self)
            XCTAssertTrue(encoded.contains("\"path\":[["), encoded)
            XCTAssertNil(try engine.query(.file(url), options: QueryOptions(top: 1)).result.ranking.first?.path, "no path unless asked")
        }
    }

    /// Queries from several threads at once give the rankings they give one after the other.
    func testConcurrentQueriesRankAsSequentialOnes() throws {
        let engine = try makeEngine()
        let queries = try Self.keys.flatMap { key in [try demo.audioQuery(tunes[key]!, excerpt: 2...12).url, try demo.midiQuery(tunes[key]!).url] }
        let sequential = try queries.map { try engine.query(.file($0), options: QueryOptions(top: 3)).result.ranking }
        final class Box: @unchecked Sendable { var rankings: [[RankedItem]?]; init(_ n: Int) { rankings = Array(repeating: nil, count: n) } }
        let box = Box(queries.count * 2)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: queries.count * 2) { k in
            let ranking = try? engine.query(.file(queries[k % queries.count]), options: QueryOptions(top: 3)).result.ranking
            lock.lock(); box.rankings[k] = ranking; lock.unlock()
        }
        for k in 0..<box.rankings.count {
            XCTAssertEqual(box.rankings[k], sequential[k % queries.count], "query \(queries[k % queries.count].lastPathComponent)")
        }
    }

    /// Bytes in memory and decoded samples are answered like the file they came from.
    func testTypedInputsAnswerLikeTheirFile() throws {
        let engine = try makeEngine()
        let query = try demo.audioQuery(tunes["greensleeves"]!, excerpt: 3...13)
        let fromFile = try engine.query(.file(query.url), options: QueryOptions(top: 3)).result.ranking
        let bytes = try Data(contentsOf: query.url)
        XCTAssertEqual(try engine.query(.bytes(bytes, name: "upload.wav"), options: QueryOptions(top: 3)).result.ranking, fromFile)
        let decoded = try AudioDecoder(targetSampleRate: nil).decode(query.url).signal
        XCTAssertEqual(try engine.query(.audio(decoded), options: QueryOptions(top: 3)).result.ranking.first?.key, "greensleeves")
        let score = try MIDIScore(contentsOf: try demo.midiQuery(tunes["twinkle"]!).url)
        XCTAssertEqual(try engine.query(.score(score), options: QueryOptions(top: 1)).result.ranking.first?.key, "twinkle")
        XCTAssertThrowsError(try engine.query(.bytes(Data("not audio".utf8), name: "x.wav"))) { error in
            XCTAssertNotNil(error as? RefrainError, "\(error)")
        }
        XCTAssertThrowsError(try engine.query(.bytes(Data(), name: "x.mid")))
        XCTAssertThrowsError(try engine.query(.bytes(bytes, name: "x.txt"))) { error in
            XCTAssertTrue((error as? RefrainError)?.message.contains("not an audio or MIDI file") ?? false, "\(error)")
        }
        XCTAssertThrowsError(try engine.query(.file(query.url), options: QueryOptions(task: "midi-to-audio")))
        XCTAssertThrowsError(try engine.query(.file(dir))) { error in
            XCTAssertTrue((error as? RefrainError)?.message.contains("is a directory") ?? false, "\(error)")
        }
        XCTAssertThrowsError(try engine.query(.file(dir.appendingPathComponent("missing.wav")))) { error in
            XCTAssertTrue((error as? RefrainError)?.message.contains("no such file") ?? false, "\(error)")
        }
    }

    /// An index whose encoders differ from the program's is refused with a sentence naming `refrain reindex`;
    /// `reindex` re-encodes it (and can be run again), after which it answers as before.
    func testAnIndexOfOtherEncodersIsRefusedUntilReindexed() throws {
        let engine = try makeEngine()
        let query = try demo.audioQuery(tunes["ode-to-joy"]!, excerpt: 4...14)
        let before = try engine.query(.file(query.url), options: QueryOptions(top: 3)).result.ranking
        var registry = EncoderRegistry.standard
        registry.register("cens", version: 2, summary: "CENS, as if its code had changed") { settings in
            NextVersion(inner: try CENSEncoder(settings: try CENSEncoder.Settings(settings)))
        }
        let upgraded = Engine.Configuration(encoders: registry)
        XCTAssertThrowsError(try Engine.open(at: engine.directory, configuration: upgraded)) { error in
            let message = (error as? RefrainError)?.message ?? ""
            XCTAssertTrue(message.contains("cens/1") && message.contains("cens/2") && message.contains("refrain reindex"), message)
        }
        let maintenance = try Engine.open(at: engine.directory, configuration: upgraded, searchable: false)
        XCTAssertThrowsError(try maintenance.query(.file(query.url)))
        let report = try maintenance.reindex()
        XCTAssertTrue(report.finished)
        XCTAssertEqual(report.reencoded, 3)
        XCTAssertEqual(report.to.map(\.identity), ["cens/2", "cens_fine/1", "cqt_beats/1", "crp/1", "crp_coarse/1", "melody/2"])
        XCTAssertEqual(try maintenance.reindex().reencoded, 0, "a second run finds everything current")
        let reopened = try Engine.open(at: engine.directory, configuration: upgraded)
        XCTAssertEqual(try reopened.query(.file(query.url), options: QueryOptions(top: 3)).result.ranking, before)
        XCTAssertEqual(try reopened.stats().encoders.map(\.identity), ["cens/2", "cens_fine/1", "cqt_beats/1", "crp/1", "crp_coarse/1", "melody/2"])
        XCTAssertEqual(try reopened.stats().missingEncoders, [], "a re-encoded index has every default encoder")
        XCTAssertThrowsError(try Engine.open(at: engine.directory), "the old program now refuses the re-encoded index")
        // The first engine notices that another process re-encoded its index.
        XCTAssertThrowsError(try engine.query(.file(query.url)))
    }

    /// An index of Refrain 0.1 (no encoder records) is read as encoded by cqt_beats/1 and cens/1.
    func testAnIndexWithoutEncoderRecordsReadsAsTheFirstEncoders() throws {
        let engine = try makeEngine()
        let store = try IndexStore.open(at: engine.directory, writable: true)
        var settings = store.settings
        settings.encoders = nil
        settings.features = settings.features.filter { !$0.key.hasPrefix("melody") && !$0.key.hasPrefix("crp") }  // 0.1 had no melodies nor CRP
        try store.replaceSettings(settings)
        let legacy = try Engine.open(at: engine.directory)
        XCTAssertEqual(try legacy.encoderRecords.map(\.identity), ["cqt_beats/1", "cens/1"])
        // `refrain stats` names the encoders a reindex would add.
        let stats = try legacy.stats()
        XCTAssertEqual(stats.missingEncoders, ["cens_fine", "crp", "crp_coarse", "melody"])
        XCTAssertTrue(stats.summary.contains("missing        cens_fine, crp, crp_coarse, melody") && stats.summary.contains("refrain reindex"), stats.summary)
        let query = try demo.midiQuery(tunes["ode-to-joy"]!)
        XCTAssertEqual(try legacy.query(.file(query.url), options: QueryOptions(top: 1)).result.ranking.first?.key, "ode-to-joy")
    }
}

/// `cens` under a new version number: what an upgrade that changes an encoder's output looks like to an index.
private struct NextVersion: MusicEncoder {
    let inner: CENSEncoder
    var record: EncoderRecord {
        var record = inner.record
        record.version = 2
        return record
    }
    var inputs: Set<InputKind> { inner.inputs }
    func encode(_ source: AnalysisSource) throws -> EncodedArray { try inner.encode(source) }
}
