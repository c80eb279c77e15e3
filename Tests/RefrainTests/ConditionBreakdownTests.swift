import Foundation
@testable import Refrain
import RefrainIndex
import XCTest

/// `ConditionBreakdown`: per-query rank, average precision and span, and the per-condition table of the realistic
/// benchmark.
final class ConditionBreakdownTests: XCTestCase {
    func query(_ id: String, relevant: [String], span: [String: [Double]] = [:], labels: [String: String]) -> RealisticSet.Query {
        RealisticSet.Query(id: id, path: "/\(id).wav", task: "audio-match", relevant: relevant, spans: span, half: "tune",
                           labels: labels, condition: "")
    }

    /// Repeated keys count once (their best entry); the rank is the first relevant key's; AP averages precision at
    /// each relevant key over all relevant keys (one never returned counts 0); the span is OK when the top hit's
    /// span covers at least half of the true span.
    func testOneQueryScores() throws {
        var breakdown = ConditionBreakdown()
        let ranking = [RankedItem(key: "x", score: 0), RankedItem(key: "x", score: 1), RankedItem(key: "a", score: 2),
                       RankedItem(key: "y", score: 3), RankedItem(key: "b", score: 4)]
        breakdown.add(query("q1", relevant: ["a", "b", "c"], labels: [:]), QueryResult(id: "q1", seconds: 0.5, ranking: ranking))
        let first = try XCTUnwrap(breakdown.outcomes.first)
        XCTAssertEqual(first.rank, 2)
        XCTAssertFalse(first.hit)
        XCTAssertEqual(first.averagePrecision, (1.0 / 2 + 2.0 / 4) / 3, accuracy: 1e-12)
        XCTAssertNil(first.spanOK)

        // True span 10-20 s: 16-30 covers 4 s (less than half), 12-30 covers 8 s.
        for (start, expected) in [(16.0, false), (12.0, true)] {
            breakdown.add(query("q", relevant: ["a"], span: ["a": [10, 20]], labels: [:]),
                          QueryResult(id: "q", seconds: 0.1, ranking: [RankedItem(key: "a", score: 0, start: start, end: 30)]))
            XCTAssertEqual(breakdown.outcomes.last?.spanOK, expected)
            XCTAssertEqual(breakdown.outcomes.last?.rank, 1)
            XCTAssertEqual(breakdown.outcomes.last?.averagePrecision, 1)
        }
        breakdown.add(query("none", relevant: ["a"], labels: [:]), QueryResult(id: "none", seconds: 0.2, ranking: []))
        XCTAssertNil(breakdown.outcomes.last?.rank)
        XCTAssertEqual(breakdown.outcomes.last?.averagePrecision, 0)
    }

    /// Rows: P@1, MAP, MRR, the span share among hits with spans and the median time, for all queries and per
    /// label value, grouped by label in sorted order.
    func testRowsAndTable() throws {
        var breakdown = ConditionBreakdown()
        let cases: [(String, String, [RankedItem])] = [
            ("clean", "short", [RankedItem(key: "t", score: 0, start: 0, end: 10)]),
            ("clean", "long", [RankedItem(key: "o", score: 0), RankedItem(key: "t", score: 1)]),
            ("noisy", "short", [RankedItem(key: "t", score: 0, start: 50, end: 60)]),
            ("noisy", "long", [RankedItem(key: "o", score: 0)]),
        ]
        for (n, (noise, length, ranking)) in cases.enumerated() {
            breakdown.add(query("q\(n)", relevant: ["t"], span: ["t": [0, 10]], labels: ["noise": noise, "length": length]),
                          QueryResult(id: "q\(n)", seconds: Double(n + 1), ranking: ranking))
        }
        let all = breakdown.all
        XCTAssertEqual(all.count, 4)
        XCTAssertEqual(all.precisionAt1, 0.5)
        XCTAssertEqual(all.meanAveragePrecision, (1 + 0.5 + 1 + 0) / 4, accuracy: 1e-12)
        XCTAssertEqual(all.mrr, (1 + 0.5 + 1 + 0) / 4, accuracy: 1e-12)
        XCTAssertEqual(all.spanShare, 0.5)
        XCTAssertEqual(all.medianSeconds, 2.5, accuracy: 1e-12)
        let clean = ConditionBreakdown.row(breakdown.outcomes.filter { $0.labels["noise"] == "clean" })
        XCTAssertEqual(clean.precisionAt1, 0.5)
        XCTAssertEqual(clean.spanShare, 1)
        XCTAssertNil(ConditionBreakdown.row(breakdown.outcomes.filter { $0.labels["length"] == "long" }).spanShare)

        let lines = breakdown.table(title: "audio matching").split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3 + 4)
        XCTAssertEqual(lines[0], "audio matching")
        XCTAssertEqual(lines.dropFirst(2).map { $0.trimmingCharacters(in: .whitespaces).components(separatedBy: "  ")[0] },
                       ["all", "length: long", "length: short", "noise: clean", "noise: noisy"])
        XCTAssertTrue(lines[2].contains("    4   0.500   0.625   0.500   2.500"), lines[2])
    }
}
