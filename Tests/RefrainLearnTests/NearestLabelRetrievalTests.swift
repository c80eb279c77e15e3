import RefrainLearn
import RefrainMath
import XCTest

/// Label-level nearest-neighbour retrieval against ranks worked out by hand.
final class NearestLabelRetrievalTests: XCTestCase {
    func testPrecisionAndRanksOfLabelsAgainstHandWorkedRanks() throws {
        // Database on a line: label 0 at 0 and 10, label 1 at 1, label 2 at 3.
        let database = Matrix(rows: 4, cols: 1, storage: [0, 10, 1, 3])
        let databaseLabels = [0, 0, 1, 2]
        // Query at 9 (label 0): nearest 10, label 0 -> rank 1. Query at 0.9 (label 2): label 1 at 0.1, label 0 at
        // 0.9, label 2 at 2.1 -> rank 3. Query at 2.5 (label 1): label 2 at 0.5, label 1 at 1.5 -> rank 2.
        // Query of label 7: not in the database, left out.
        let queries = Matrix(rows: 4, cols: 1, storage: [9, 0.9, 2.5, 4])
        let result = try NearestLabelRetrieval.evaluate(queries: queries, queryLabels: [0, 2, 1, 7], database: database,
                                                        databaseLabels: databaseLabels, block: 2)
        XCTAssertEqual(result.queries, 3)
        XCTAssertEqual(result.precisionAt1, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(result.meanReciprocalRank, (1 + 1.0 / 3 + 0.5) / 3, accuracy: 1e-12)
        XCTAssertEqual(result.medianRank, 2)
    }

    func testTiesCountAgainstTheQuery() throws {
        // Everything at one point: every label ties with the query's, which ranks last.
        let database = Matrix(rows: 3, cols: 2, storage: [1, 0, 1, 0, 1, 0])
        let result = try NearestLabelRetrieval.evaluate(queries: Matrix(rows: 1, cols: 2, storage: [1, 0]), queryLabels: [1],
                                                        database: database, databaseLabels: [0, 1, 2])
        XCTAssertEqual(result.precisionAt1, 0)
        XCTAssertEqual(result.medianRank, 3)
    }

    func testMismatchedShapesAndNoKnownLabelAreRefused() {
        let database = Matrix(rows: 2, cols: 2, storage: [0, 1, 1, 0])
        XCTAssertThrowsError(try NearestLabelRetrieval.evaluate(queries: Matrix(rows: 1, cols: 3), queryLabels: [0],
                                                                database: database, databaseLabels: [0, 1]))
        XCTAssertThrowsError(try NearestLabelRetrieval.evaluate(queries: Matrix(rows: 1, cols: 2), queryLabels: [5],
                                                                database: database, databaseLabels: [0, 1]))
    }
}
