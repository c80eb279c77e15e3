import Foundation
@testable import Refrain
import RefrainTestSupport
import XCTest

/// `ShippedModelPieces`: the train-corpus pieces the shipped models' scripts trained or validated on, and the rest.
final class ShippedModelPiecesTests: XCTestCase {
    /// The `refrain train` invocations of `scripts/train/*.sh` (continued lines joined), per script file, as
    /// (train pieces, validation pieces, seed); a missing `--seed` is the command's default, 20.
    static func scriptRuns() throws -> [String: [[UInt64]]] {
        let folder = Fixtures.repositoryRoot.appendingPathComponent("scripts/train")
        var runs: [String: [[UInt64]]] = [:]
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file.hasSuffix(".sh") {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            let joined = text.replacingOccurrences(of: "\\\n", with: " ")
            for line in joined.split(separator: "\n") where line.contains("refrain train ") && !line.trimmingCharacters(in: .whitespaces).hasPrefix("#") {
                let words = line.split(whereSeparator: \.isWhitespace).map(String.init)
                func value(_ option: String) -> UInt64? {
                    words.firstIndex(of: option).flatMap { $0 + 1 < words.count ? UInt64(words[$0 + 1]) : nil }
                }
                let train = try XCTUnwrap(value("--train-pieces"), "\(file): a run without --train-pieces uses every piece")
                let validation = try XCTUnwrap(value("--validation-pieces"), "\(file): a run without --validation-pieces uses every piece")
                runs[file, default: []].append([train, validation, value("--seed") ?? 20])
            }
        }
        return runs
    }

    /// `runs` lists exactly the scripts' invocations, script by script, in their order.
    func testRunsAreTheTrainingScripts() throws {
        let scripts = try Self.scriptRuns()
        XCTAssertEqual(Set(scripts.keys), ["hasher.sh", "pianoroll-hasher.sh", "shingles.sh", "embedder.sh"])
        var listed: [String: [[UInt64]]] = [:]
        for run in ShippedModelPieces.runs {
            let file = String(run.name.split(separator: " ")[0])
            listed[file, default: []].append([UInt64(run.trainPieces), UInt64(run.validationPieces), run.seed])
        }
        XCTAssertEqual(listed, scripts)
    }

    /// On a small corpus, the used pieces are the union of what a training run with each run's counts and seed
    /// chooses (`TrainingRunMaterial.chosenKeys`, from the folder), the unused ones the rest; runs of one seed leave
    /// that seed's test part unused, and a run with more pieces of a part takes those of one with fewer and the same seed.
    func testUsedPiecesAreWhatTheTrainingRunsChoose() throws {
        let corpus = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: corpus) }
        let keys = (0..<60).map { String(format: "piece-%02d", $0) }
        for key in keys { try Data("MThd".utf8).write(to: corpus.appendingPathComponent("\(key).mid")) }
        let runs = [ShippedModelPieces.Run(name: "a", trainPieces: 10, validationPieces: 2, seed: 5),
                    ShippedModelPieces.Run(name: "b", trainPieces: 25, validationPieces: 2, seed: 5),
                    ShippedModelPieces.Run(name: "c", trainPieces: 5, validationPieces: 3, seed: 6)]
        var expected = Set<String>()
        var chosen: [[String]] = []
        for run in runs {
            var options = TrainingMaterialOptions()
            options.seed = run.seed
            let material = TrainingRunMaterial(corpus: corpus, trainPieces: run.trainPieces, validationPieces: run.validationPieces,
                                               material: options)
            let (_, train, validation) = try material.chosenKeys()
            XCTAssertEqual(train.count, run.trainPieces)
            XCTAssertEqual(validation.count, run.validationPieces)
            expected.formUnion(train + validation)
            chosen.append(train)
        }
        XCTAssertTrue(Set(chosen[0]).isSubset(of: chosen[1]))
        let used = try ShippedModelPieces.used(keys: keys, runs: runs)
        XCTAssertEqual(used, expected)
        let unused = try ShippedModelPieces.unused(corpus: corpus, runs: runs)
        XCTAssertEqual(unused.map(\.key), keys.filter { !expected.contains($0) })
        XCTAssertEqual(try ShippedModelPieces.unused(keys: keys.reversed(), runs: runs), unused.map(\.key))
        XCTAssertEqual(unused.count, 60 - expected.count)
        // Runs of one seed never touch that seed's test part (run c, seed 6, draws another split, so it may).
        let split = try CorpusSplit.drawn(keys: keys, seed: 5)
        XCTAssertFalse(split.keys(.test).isEmpty)
        XCTAssertTrue(Set(split.keys(.test)).isDisjoint(with: try ShippedModelPieces.used(keys: keys, runs: Array(runs.prefix(2)))))
        XCTAssertTrue(unused.allSatisfy { $0.url.lastPathComponent == "\($0.key).mid" })
    }

    /// On the real training corpus (skipped when absent): the committed split is the one drawn, the shipped
    /// models used 800 training and 30 validation pieces (the hasher's 200 among the embedder's 800), and the
    /// 1,335 others hold the whole test part.
    func testTheShippedModelsUsed830PiecesOfTheTrainingCorpus() throws {
        guard let corpus = Fixtures.trainCorpus else { throw XCTSkip("../shared/train-corpus is absent") }
        let keys = try CorpusSplit.pieces(in: corpus).map(\.key)
        XCTAssertEqual(keys.count, 2_165)
        let committed = try CorpusSplit.read(Fixtures.repositoryRoot.appendingPathComponent("docs/learned/hasher.split.csv"))
        XCTAssertNoThrow(try HeldOutPieceQueries.verify(committed, corpus: corpus))
        let used = try ShippedModelPieces.used(keys: keys)
        XCTAssertEqual(used.count, 830)
        XCTAssertEqual(used.filter { committed.part(of: $0) == .train }.count, 800)
        XCTAssertEqual(used.filter { committed.part(of: $0) == .validation }.count, 30)
        let hasher = try ShippedModelPieces.used(keys: keys, runs: [ShippedModelPieces.runs[0]])
        XCTAssertEqual(hasher.count, 230)
        XCTAssertTrue(hasher.isSubset(of: used))
        let unused = try ShippedModelPieces.unused(corpus: corpus)
        XCTAssertEqual(unused.count, 1_335)
        XCTAssertTrue(Set(committed.keys(.test)).isSubset(of: unused.map(\.key)))
        XCTAssertTrue(used.isDisjoint(with: unused.map(\.key)))
    }
}
