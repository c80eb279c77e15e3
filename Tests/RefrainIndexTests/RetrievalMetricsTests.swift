import Foundation
import RefrainIndex
import RefrainMath
import XCTest

/// Metrics on a small hand-computed case (values worked out in the comments).
final class RetrievalMetricsTests: XCTestCase {
    func testHandComputedCase() {
        let filler = (0..<150).map { RankedItem(key: "f\($0)", score: 1) }
        let queries = [
            EvalQuery(id: "A", path: "a", relevant: ["x"]),                      // rank 2, AP 1/2
            EvalQuery(id: "B", path: "b", relevant: ["a", "b"], span: [10, 20]),  // rank 1, AP (1 + 2/3)/2
            EvalQuery(id: "C", path: "c", relevant: ["q"]),                      // not found
            EvalQuery(id: "D", path: "d", relevant: ["m"]),                      // rank 151
            EvalQuery(id: "E", path: "e", relevant: ["s"], span: [0, 10]),       // rank 1, span overlap 2 < 5
        ]
        let results = [
            QueryResult(id: "A", seconds: 1, ranking: [.init(key: "y", score: 0), .init(key: "x", score: 1), .init(key: "z", score: 2)]),
            // The repeated "a" is ignored, so "b" is at rank 3.
            QueryResult(id: "B", seconds: 2, ranking: [.init(key: "a", score: 0, start: 12, end: 30), .init(key: "a", score: 0.5),
                                                       .init(key: "c", score: 1), .init(key: "b", score: 2)]),
            QueryResult(id: "C", seconds: 3, ranking: []),
            QueryResult(id: "D", seconds: 4, ranking: filler + [.init(key: "m", score: 2)]),
            QueryResult(id: "E", seconds: 100, ranking: [.init(key: "s", score: 0, start: 8, end: 20)]),
        ]
        let m = RetrievalMetrics(queries: queries, results: results)
        XCTAssertEqual(m.queryCount, 5)
        XCTAssertEqual(m.mrr, (0.5 + 1 + 0 + 1.0 / 151 + 1) / 5, accuracy: 1e-12)
        XCTAssertEqual(m.precisionAt1, 0.4, accuracy: 1e-12)
        XCTAssertEqual(m.recallAt10, 0.6, accuracy: 1e-12)
        XCTAssertEqual(m.meanAveragePrecision, (0.5 + (1 + 2.0 / 3) / 2 + 0 + 1.0 / 151 + 1) / 5, accuracy: 1e-12)
        XCTAssertEqual(m.rankShares[1]!, 0.4, accuracy: 1e-12)
        XCTAssertEqual(m.rankShares[10]!, 0.6, accuracy: 1e-12)
        XCTAssertEqual(m.rankShares[100]!, 0.6, accuracy: 1e-12)
        XCTAssertEqual(m.rankShares[1000]!, 0.8, accuracy: 1e-12)
        XCTAssertEqual(m.spanOverlapCount, 2)
        XCTAssertEqual(m.spanOverlapShare!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(m.latencyMedian, 3, accuracy: 1e-12)
        XCTAssertEqual(m.latencyP95, 80.8, accuracy: 1e-9)  // 4 + 0.8 * (100 - 4), NumPy's linear rule
    }

    func testMissingResultCountsAsMiss() {
        let m = RetrievalMetrics(queries: [EvalQuery(id: "A", path: "a", relevant: ["x"]), EvalQuery(id: "B", path: "b", relevant: ["y"])],
                                 results: [QueryResult(id: "A", seconds: 0.5, ranking: [.init(key: "x", score: 0)])])
        XCTAssertEqual(m.mrr, 0.5)
        XCTAssertEqual(m.precisionAt1, 0.5)
        XCTAssertNil(m.spanOverlapShare)
        XCTAssertEqual(RetrievalMetrics.percentile([], 50), 0)
        XCTAssertEqual(RetrievalMetrics.percentile([2, 1], 50), 1.5)
    }

    func testJSONShapes() throws {
        let file = QueryResultsFile(results: [QueryResult(id: "q1", seconds: 0.25, ranking: [RankedItem(key: "k", score: 1.5, start: 2, end: nil)])])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(file), as: UTF8.self)
        XCTAssertEqual(text, #"{"results":[{"id":"q1","ranking":[{"end":null,"key":"k","score":1.5,"start":2}],"seconds":0.25}]}"#)
        XCTAssertEqual(try JSONDecoder().decode(QueryResultsFile.self, from: Data(text.utf8)), file)

        let queries = #"{"queries": [{"id": "a", "path": "x.mid", "task": "midi-to-audio", "relevant": ["k1"], "span": [1.5, 9]}, {"id": "b", "path": "y.wav", "relevant": ["k2", "k3"]}]}"#
        let decoded = try JSONDecoder().decode(QueriesFile.self, from: Data(queries.utf8))
        XCTAssertEqual(decoded.queries[0].span, [1.5, 9])
        XCTAssertNil(decoded.queries[1].task)
        XCTAssertNil(decoded.queries[1].span)
    }
}
