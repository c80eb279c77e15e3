import Foundation
import RefrainLearn
import RefrainMath
import RefrainTestSupport
import XCTest

/// Five steps of each optimiser from one start with given gradients, against torch.optim.
final class OptimizerTests: XCTestCase {
    func run(_ optimizer: Optimizer, _ name: String) throws {
        let p = Parameter(name: "p", shape: [10], value: try floats("optim_start"))
        let grads = try fixture("optim_grads").matrix()
        let expected = try fixture("optim_\(name)").matrix()
        for k in 0..<5 {
            p.gradient = grads.row(k)
            optimizer.step([p], threads: 1)
            assertClose(p.value, expected.row(k), 1e-4, "\(name) step \(k + 1)")
            XCTAssertTrue(p.gradient.allSatisfy { $0 == 0 }, "gradients cleared")
        }
    }

    func testSGDWithMomentum() throws { try run(SGD(learningRate: 0.1, momentum: 0.9), "sgd") }
    func testRMSProp() throws { try run(RMSProp(learningRate: 0.01), "rmsprop") }
    func testAdam() throws { try run(Adam(learningRate: 0.01), "adam") }

    func testClipNorm() throws {
        let p = Parameter(name: "p", shape: [10], value: [Float](repeating: 0, count: 10))
        p.gradient = try fixture("optim_grads").matrix().row(0)
        let norm = GradientClipping.clipNorm([p], maxNorm: 1)
        assertClose([norm], try floats("clip_norm_value"), 1e-4, "norm")
        assertClose(p.gradient, try floats("clip_norm_grad"), 1e-4, "clipped")
        GradientClipping.clipValue([p], limit: 0.1)
        XCTAssertTrue(p.gradient.allSatisfy { abs($0) <= 0.1 })
    }
}
