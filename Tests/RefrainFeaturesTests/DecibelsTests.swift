import Foundation
import RefrainFeatures
import RefrainMath
import XCTest

final class DecibelsTests: XCTestCase {
    /// The eight-lane logarithm agrees with Double-precision `10 log10` to 1e-4 dB over 24 decades.
    func testPowerToDBMatchesDoubleLog() {
        var values: [Float] = []
        var x = 1e-12
        while x < 1e12 { values.append(Float(x)); x *= 1.0137 }
        values += [0, 1, 2, 0.5, Float(2).squareRoot(), 1e-30, .leastNonzeroMagnitude]
        let db = powerToDB(Matrix(rows: 1, cols: values.count, storage: values), topDB: nil)
        for (v, d) in zip(values, db.storage) {
            let expected = 10 * log10(max(1e-10, Double(v)))
            XCTAssertEqual(Double(d), expected, accuracy: 1e-4, "\(v)")
        }
    }

    func testTopDBAndNonFinite() {
        let m = Matrix(rows: 2, cols: 9, storage: [1e-12, 1, 10, 100, 1000, 1e4, 1e5, 1e6, 1e7,
                                                   .infinity, 1, 1, 1, 1, 1, 1, 1, 1])
        let db = powerToDB(Matrix(rows: 1, cols: 9, storage: Array(m.storage.prefix(9))))
        XCTAssertEqual(db.storage.max()!, 70, accuracy: 1e-4)
        XCTAssertEqual(db.storage.min()!, -10, accuracy: 1e-4)  // floored at max - 80
        XCTAssertEqual(powerToDB(m, topDB: nil).storage[9], .infinity)
    }
}
