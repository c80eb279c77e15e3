import Foundation
@testable import Refrain
import RefrainAudio
import RefrainIndex
import RefrainMath
import RefrainSymbolic
import RefrainTestSupport
import XCTest

/// Indexed recordings get the notes of their predominant melody (`melody` encoder version 2), so a hum finds a
/// recording whose work has no score.
final class RecordingMelodyTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws { dir = try Fixtures.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    static let tuneKeys = HummingTaskTests.tuneKeys

    /// An index of rendered recordings only (melody, chords and bass of six built-in tunes, FluidR3 with a
    /// gentle tempo curve), each its own work, with no score.
    func makeIndex() throws -> Engine {
        let engine = try Engine.create(at: dir.appendingPathComponent("index"))
        let demo = try DemoCollection(directory: dir)
        let urls = try demo.writeRecordings(BuiltInTune.all.filter { Self.tuneKeys.contains($0.key) })
        try engine.add(urls.map { AddJob(key: $0.deletingPathExtension().lastPathComponent, url: $0, work: $0.deletingPathExtension().lastPathComponent) })
        return engine
    }

    /// The stored notes of a rendered recording follow its score's melody: on average over the six tunes, 41 %
    /// of the score's melody notes appear in order among the recording's (measured: 16 % for greensleeves to
    /// 60 % for ode-to-joy; the chords and bass are rendered as loud as the melody).
    func testTheEncoderStoresTheNotesOfARecording() throws {
        let engine = try makeIndex()
        let store = try IndexStore.open(at: engine.directory)
        var fractions: [Double] = []
        for key in Self.tuneKeys {
            let item = try XCTUnwrap(try engine.item(key: key))
            let stored = try store.feature(MelodyEncoder.name, of: item.id)
            let shapes = MelodyEncoder.shapes(stored.values.matrix())
            XCTAssertEqual(shapes.count, 1, key)
            let heard = try XCTUnwrap(shapes.first).pitches.map { Int($0.rounded()) }
            let score = try XCTUnwrap(BuiltInTune.all.first { $0.key == key }).score().hummableMelody().map(\.pitch)
            // Longest common subsequence of the pitch sequences, relative to the score's note count.
            var table = [[Int]](repeating: [Int](repeating: 0, count: heard.count + 1), count: score.count + 1)
            for i in 1...score.count {
                for j in 1...max(1, heard.count) where !heard.isEmpty {
                    table[i][j] = score[i - 1] == heard[j - 1] ? table[i - 1][j - 1] + 1 : max(table[i - 1][j], table[i][j - 1])
                }
            }
            let common = Double(table[score.count][heard.count]) / Double(score.count)
            print("\(key): \(heard.count) notes heard, \(score.count) in the score, \(Int((100 * common).rounded())) % of the score's notes in order")
            XCTAssertGreaterThanOrEqual(heard.count, 10, "\(key): notes stored")
            fractions.append(common)
        }
        XCTAssertGreaterThanOrEqual(fractions.reduce(0, +) / Double(fractions.count), 0.35, "\(fractions)")
    }

    /// End to end: a synthesized hum of each tune (another key and tempo, room noise) against the six recordings
    /// only. Measured ranks: greensleeves 1, ode-to-joy 1, twinkle 2, amazing-grace 5, oh-susanna 5,
    /// frere-jacques 6 (MRR 0.51; chance with six items is 0.41).
    func testAHumFindsAScorelessRecording() throws {
        let engine = try makeIndex()
        var ranks: [String: Int] = [:]
        for (k, key) in Self.tuneKeys.enumerated() {
            let tune = try XCTUnwrap(BuiltInTune.all.first { $0.key == key })
            let query = try HumQueryGenerator().query(try tune.score().hummableMelody(), seed: UInt64(100 + k), start: .songStart, noise: .room)
            let signal = AudioSignal(samples: query.samples, sampleRate: query.sampleRate)
            let result = try engine.query(.audio(signal, name: "hum-\(key)"), options: QueryOptions(task: "humming", top: 6, by: .work)).result
            ranks[key] = (result.ranking.firstIndex { $0.work == key } ?? 99) + 1
        }
        print("hum -> score-less recording ranks: \(ranks.sorted { $0.key < $1.key })")
        XCTAssertGreaterThanOrEqual(ranks.values.filter { $0 == 1 }.count, 2, "\(ranks)")
        XCTAssertGreaterThanOrEqual(ranks.values.reduce(0.0) { $0 + 1 / Double($1) } / Double(ranks.count), 0.45, "\(ranks)")
    }
}
