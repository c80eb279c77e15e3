import Foundation
import RefrainLearn
import RefrainMath
import RefrainTestSupport
import XCTest

/// Every loss against PyTorch autograd of its definition (1e-4 relative) and against finite differences of
/// itself in Float64.
final class LossTests: XCTestCase {
    func testTripletMiningVariants() throws {
        let e = try tensor("triplet_embeddings"), labels = try ints("triplet_labels")
        for mining in TripletLoss.Mining.allCases {
            let loss = TripletLoss(margin: 0.5, mining: mining)
            let (value, gradient) = try loss.evaluate(embeddings: e, labels: labels)
            assertClose([value], try floats("triplet_\(mining.rawValue)_value"), 1e-4, "\(mining) value")
            assertClose(gradient.data, try floats("triplet_\(mining.rawValue)_grad"), 1e-4, "\(mining) gradient")
            // Batch-all divides by the number of active triplets, a step function of the embeddings: its finite
            // differences jump wherever a triplet crosses the margin, so only the other two are differentiated.
            guard mining != .batchAll else { continue }
            var values = e.data
            checkFiniteDifferences(&values, analytic: gradient.data, step: 1e-3, "\(mining) d/de") { v in
                Double((try? loss.evaluate(embeddings: Tensor(shape: e.shape, data: v), labels: labels).value) ?? .nan)
            }
        }
    }

    func testTripletNeedsAValidTriplet() {
        XCTAssertThrowsError(try TripletLoss(margin: 1, mining: .hard).evaluate(embeddings: Tensor(shape: [3, 2]), labels: [0, 1, 2]))
    }

    func testHashingLoss() throws {
        let x = try tensor("hashing_x"), y = try tensor("hashing_y"), negatives = try ints("hashing_negatives")
        let loss = HashingLoss(margin: 6, alpha: 2)
        let (value, dx, dy) = try loss.evaluate(x: x, y: y, negatives: negatives)
        assertClose([value], try floats("hashing_value"), 1e-4, "value")
        assertClose(dx.data, try floats("hashing_dx"), 1e-4, "dx")
        assertClose(dy.data, try floats("hashing_dy"), 1e-4, "dy")
        var xs = x.data
        checkFiniteDifferences(&xs, analytic: dx.data, step: 1e-3, "d/dx") { v in
            Double(try! loss.evaluate(x: Tensor(shape: x.shape, data: v), y: y, negatives: negatives).value)
        }
        var random = SeededRandom(seed: 3)
        let partner = HashingLoss.shuffledNegatives(50, random: &random)
        XCTAssertEqual(Set(partner).count, 50)
        XCTAssertTrue(partner.enumerated().allSatisfy { $0.offset != $0.element })
    }

    func testContrastiveLoss() throws {
        let a = try tensor("contrastive_a"), b = try tensor("contrastive_b")
        let similar = try ints("contrastive_similar").map { $0 == 1 }
        let loss = ContrastiveLoss(margin: 3)
        let (value, da, db) = try loss.evaluate(a: a, b: b, similar: similar)
        assertClose([value], try floats("contrastive_value"), 1e-4, "value")
        assertClose(da.data, try floats("contrastive_da"), 1e-4, "da")
        assertClose(db.data, try floats("contrastive_db"), 1e-4, "db")
        var values = a.data
        checkFiniteDifferences(&values, analytic: da.data, step: 1e-3, "d/da") { v in
            Double(try! loss.evaluate(a: Tensor(shape: a.shape, data: v), b: b, similar: similar).value)
        }
    }

    func testNormalizedSoftmax() throws {
        let e = try tensor("normsoftmax_e"), labels = try ints("normsoftmax_labels")
        var random = SeededRandom(seed: 1)
        let loss = NormalizedSoftmaxLoss(classes: 3, dims: 5, temperature: 0.1, random: &random)
        loss.classWeights.value = try floats("normsoftmax_w")
        let (value, de) = try loss.evaluate(embeddings: e, labels: labels)
        assertClose([value], try floats("normsoftmax_value"), 1e-4, "value")
        assertClose(de.data, try floats("normsoftmax_de"), 1e-4, "de")
        assertClose(loss.classWeights.gradient, try floats("normsoftmax_dw"), 1e-4, "dw")
        var values = e.data
        checkFiniteDifferences(&values, analytic: de.data, step: 1e-3, "d/de") { v in
            Double(try! loss.evaluate(embeddings: Tensor(shape: e.shape, data: v), labels: labels).value)
        }
    }

    func testPrototypeSoftmax() throws {
        let e = try tensor("prototype_e"), labels = try ints("prototype_labels")
        let loss = PrototypeSoftmaxLoss(temperature: 0.5)
        let (value, de) = try loss.evaluate(embeddings: e, labels: labels)
        assertClose([value], try floats("prototype_value"), 1e-4, "value")
        assertClose(de.data, try floats("prototype_de"), 1e-4, "de")
        var values = e.data
        checkFiniteDifferences(&values, analytic: de.data, step: 1e-3, "d/de") { v in
            Double(try! loss.evaluate(embeddings: Tensor(shape: e.shape, data: v), labels: labels).value)
        }
        XCTAssertThrowsError(try loss.evaluate(embeddings: e, labels: [Int](repeating: 1, count: 9)))
    }

    /// The gradient reaches the input sequences through the cost matrix.
    func testSoftDTWLoss() throws {
        let x = try fixture("softdtw_x").matrix(), y = try fixture("softdtw_y").matrix()
        let loss = SoftDTWLoss(gamma: 0.5)
        let (value, dx, dy) = try loss.evaluate(x, y)
        assertClose([Float(value)], try floats("softdtw_value"), 1e-4, "value")
        assertClose(dx.storage, try floats("softdtw_dx"), 1e-4, "dx")
        assertClose(dy.storage, try floats("softdtw_dy"), 1e-4, "dy")
        var values = x.storage
        checkFiniteDifferences(&values, analytic: dx.storage, step: 1e-2, "d/dx") { v in
            try! loss.evaluate(Matrix(rows: x.rows, cols: x.cols, storage: v), y).value
        }
    }
}
