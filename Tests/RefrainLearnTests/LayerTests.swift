import Foundation
import RefrainLearn
import RefrainMath
import RefrainTestSupport
import XCTest

/// Forward outputs and gradients of every layer against PyTorch (fixtures of scripts/reference/learn_torch.py,
/// 1e-4 relative), and finite differences of the same layers in Float64.
final class LayerTests: XCTestCase {
    /// Builds `spec` for items of `x`'s shape, loads the fixture's parameters, and checks y, dx and dparams.
    func check(_ name: String, _ spec: LayerSpec, lengths: [Int]? = nil, file: StaticString = #filePath, line: UInt = #line) throws {
        var x = try tensor("\(name)_x")
        x.lengths = lengths
        let net = try Network(Architecture(inputShape: Array(x.shape.dropFirst()), layers: [spec]), seed: 1)
        let layer = net.layers[0]
        for (i, p) in layer.parameters.enumerated() { p.value = try floats("\(name)_p\(i)") }
        let pass = Pass(training: true, threads: 2)
        let y = layer.forward(x, pass)
        let reference = try tensor("\(name)_y")
        XCTAssertEqual(y.shape, reference.shape, "\(name) output shape", file: file, line: line)
        assertClose(y.data, reference.data, 1e-4, "\(name) forward", file: file, line: line)
        let g = try tensor("\(name)_g")
        let dx = layer.backward(Tensor(shape: y.shape, data: g.data, lengths: y.lengths), pass, inputGradient: true)
        assertClose(dx.data, try floats("\(name)_dx"), 1e-4, "\(name) input gradient", file: file, line: line)
        for (i, p) in layer.parameters.enumerated() {
            assertClose(p.gradient, try floats("\(name)_dp\(i)"), 1e-4, "\(name) gradient of \(p.name)", file: file, line: line)
        }
        // Finite differences of Σ y·g (accumulated in Float64) with respect to the input and every parameter.
        var xs = x.data
        checkFiniteDifferences(&xs, analytic: dx.data, "\(name) d/dx", file: file, line: line) { values in
            var xx = x
            xx.data = values
            return dot64(layer.forward(xx, pass).data, g.data)
        }
        for p in layer.parameters {
            var values = p.value
            let analytic = p.gradient
            checkFiniteDifferences(&values, analytic: analytic, "\(name) d/d\(p.name)", file: file, line: line) { v in
                let saved = p.value
                p.value = v
                defer { p.value = saved }
                return dot64(layer.forward(x, pass).data, g.data)
            }
        }
    }

    func testDense() throws { try check("dense", .dense(6, 5)) }
    func testDenseOverSequence() throws { try check("dense_seq", .dense(6, 4)) }
    func testConv2D() throws { try check("conv2d", .conv2d(2, 3, kernel: [3, 4], stride: [2, 1], padding: [1, 2])) }
    func testConv2DStride2() throws { try check("conv2d_s2", .conv2d(3, 2, kernel: [3, 3], stride: [2, 2], padding: [1, 1])) }
    func testConv1D() throws { try check("conv1d", .conv1d(3, 4, kernel: 3, stride: 2, padding: 1)) }
    func testMaxPool() throws { try check("maxpool", .maxPool2d([2, 2])) }
    func testMaxPoolOverlapping() throws { try check("maxpool_s", .maxPool2d([3, 2], stride: [2, 1])) }
    func testReLU() throws { try check("relu", .relu) }
    func testTanh() throws { try check("tanh", .tanh) }
    func testSigmoid() throws { try check("sigmoid", .sigmoid) }
    func testSoftmax() throws { try check("softmax", .softmax) }
    func testLayerNorm() throws { try check("layernorm", .layerNorm(6)) }
    func testL2Normalize() throws { try check("l2normalize", .l2Normalize()) }
    func testAttentionWithMasks() throws { try check("attention", .attention(5), lengths: try ints("attention_lengths")) }

    /// A masked step changes nothing: attention over a padded sequence equals attention over the unpadded one.
    func testAttentionIgnoresPaddedSteps() throws {
        var x = try tensor("attention_x")
        x.lengths = try ints("attention_lengths")
        let net = try Network(Architecture(inputShape: [7, 5], layers: [.attention(5)]), seed: 3)
        let y = try net.forward(x)
        for i in (4 * 5)..<(7 * 5) { x.data[7 * 5 + i] = 1000 }  // item 1 has 4 valid steps
        XCTAssertEqual(try net.forward(x).data, y.data)
    }

    func testDropoutIsIdentityOutsideTrainingAndScalesInside() throws {
        let net = try Network(Architecture(inputShape: [1000], layers: [.dropout(0.25)]), seed: 5)
        let x = Tensor(shape: [2, 1000], repeating: 1)
        XCTAssertEqual(try net.forward(x).data, x.data)
        let y = try net.forward(x, Pass(training: true))
        let kept = y.data.filter { $0 != 0 }
        XCTAssertTrue(kept.allSatisfy { abs($0 - 1 / 0.75) < 1e-6 })
        XCTAssertEqual(Double(kept.count) / 2000, 0.75, accuracy: 0.04)
        let dx = net.backwardToInput(Tensor(shape: [2, 1000], repeating: 1), Pass(training: true))
        XCTAssertEqual(dx.data, y.data)
    }

    /// A whole network (conv, relu, pool, to-sequence, dense, tanh, masked attention, dense, L2 normalisation)
    /// against PyTorch, forward and backward.
    func testNetworkMatchesPyTorch() throws {
        var x = try tensor("network_x")
        x.lengths = try ints("network_lengths")
        let arch = Architecture(inputShape: [1, 12, 8], layers: [
            .conv2d(1, 3, kernel: [3, 3], padding: [1, 1]), .relu, .maxPool2d([2, 2]), .toSequence,
            .dense(12, 10), .tanh, .attention(10), .dense(10, 4), .l2Normalize(),
        ])
        let net = try Network(arch, seed: 9)
        for (i, p) in net.parameters.enumerated() { p.value = try floats("network_p\(i)") }
        let y = try net.forward(x, Pass(training: true, threads: 2))
        assertClose(y.data, try floats("network_y"), 1e-4, "network forward")
        let dx = net.backwardToInput(try tensor("network_g"), Pass(training: true, threads: 2))
        assertClose(dx.data, try floats("network_dx"), 1e-4, "network input gradient")
        for (i, p) in net.parameters.enumerated() {
            assertClose(p.gradient, try floats("network_dp\(i)"), 1e-4, "network gradient of \(p.name)")
        }
    }

    func testSameSeedSameWeightsBitForBit() throws {
        let arch = Architecture(inputShape: [1, 20, 12], layers: [
            .conv2d(1, 4, kernel: [3, 3]), .relu, .flatten, .dense(4 * 18 * 10, 8), .dropout(0.5), .dense(8, 3),
        ])
        let a = try Network(arch, seed: 42), b = try Network(arch, seed: 42), c = try Network(arch, seed: 43)
        XCTAssertEqual(a.parameters.map(\.value), b.parameters.map(\.value))
        XCTAssertNotEqual(a.parameters.map(\.value), c.parameters.map(\.value))
        // He initialisation: weight standard deviation sqrt(2 / fanIn), biases zero.
        let w = a.parameters[2].value
        let std = (w.map { Double($0 * $0) }.reduce(0, +) / Double(w.count)).squareRoot()
        XCTAssertEqual(std, (2.0 / 720).squareRoot(), accuracy: 0.05 * (2.0 / 720).squareRoot())
        XCTAssertTrue(a.parameters[1].value.allSatisfy { $0 == 0 })
    }

    func testShapesThatDoNotChainAreRefused() {
        XCTAssertThrowsError(try Network(Architecture(inputShape: [1, 10, 10], layers: [.conv2d(2, 4, kernel: [3, 3])]), seed: 1)) {
            XCTAssertTrue(($0 as? RefrainError)?.message.contains("conv2d0") == true, "\($0)")
        }
        XCTAssertThrowsError(try Network(Architecture(inputShape: [5], layers: [.dense(6, 2)]), seed: 1))
        XCTAssertThrowsError(try Network(Architecture(inputShape: [5], layers: [LayerSpec(type: "lstm", name: "x")]), seed: 1))
    }
}
