import Foundation
import Refrain
import RefrainMath
import RefrainTestSupport
import XCTest

/// The realistic benchmark's choice of performers (its report half must never run without the unseen one), and
/// its larger tuning set.
final class RealisticSetTests: XCTestCase {
    func testAMissingUnseenPerformerIsAnErrorNamingItsPackage() throws {
        let missing = "/nonexistent/MuseScore_General_Lite.sf3"
        XCTAssertThrowsError(try RealisticSet.unseenPerformers(among: [missing])) { error in
            let message = String(describing: error)
            XCTAssertTrue(message.contains("musescore-general-soundfont-small"), message)
            XCTAssertTrue(message.contains(missing), message)
        }
    }

    func testTheInstalledUnseenPerformersAreKeptAndTheMissingOnesLeftOut() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("unseen-\(UUID().uuidString).sf3")
        try Data([0]).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        XCTAssertEqual(try RealisticSet.unseenPerformers(among: ["/nonexistent/other.sf2", file.path]), [file.path])
    }

    /// `extraTuneExcerptQueries` adds excerpts to the tune half's pieces only; the recordings, the split and every
    /// other query (the report half's, the tune half's own two excerpts, MIDI and version) are as without it.
    func testExtraTuneExcerptsAddTuneQueriesAndChangeNothingElse() throws {
        let fonts = RealisticSet.installed(RealisticSet.defaultTuningSoundfonts)
        try XCTSkipIf(fonts.isEmpty, "no General MIDI soundfont installed")
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = dir.appendingPathComponent("corpus")
        try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
        for name in ["format1_everything", "random_mido"] {
            try FileManager.default.copyItem(at: Fixtures.url("midi/\(name).mid"), to: corpus.appendingPathComponent("\(name).mid"))
        }
        let folder = dir.appendingPathComponent("set")
        var options = RealisticSet.Options(tuningSoundfonts: [fonts[0]], unseenSoundfonts: [])
        let plain = try RealisticSet(corpus: corpus, directory: folder, options: options)
        options.extraTuneExcerptQueries = 2
        let larger = try RealisticSet(corpus: corpus, directory: folder, options: options)

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        XCTAssertEqual(plain.tuneWorks.count, 1)
        XCTAssertEqual(plain.reportWorks.count, 1)
        XCTAssertEqual(larger.tuneWorks, plain.tuneWorks)
        XCTAssertEqual(larger.reportWorks, plain.reportWorks)
        XCTAssertEqual(try encoder.encode(larger.items), try encoder.encode(plain.items))
        let known = Set(plain.queries.map(\.id))
        XCTAssertEqual(try encoder.encode(larger.queries.filter { known.contains($0.id) }), try encoder.encode(plain.queries))
        let added = larger.queries.filter { !known.contains($0.id) }
        let tune = plain.tuneWorks[0]
        XCTAssertEqual(added.map(\.id), ["\(tune)-excerpt2", "\(tune)-excerpt3"])
        for query in added {
            XCTAssertEqual(query.task, "audio-match")
            XCTAssertEqual(query.half, "tune")
            XCTAssertEqual(Set(query.relevant), Set(plain.items.filter { $0.work == tune }.map(\.key)))
            XCTAssertEqual(Set(query.spans.keys), Set(query.relevant))
            XCTAssertTrue(FileManager.default.fileExists(atPath: query.path), query.path)
        }
        XCTAssertNotEqual(added[0].condition, added[1].condition, "each from its own seed")
        let described = try String(contentsOf: folder.appendingPathComponent("set.json"), encoding: .utf8)
        XCTAssertTrue(described.contains("\(tune)-excerpt3"))
    }
}
