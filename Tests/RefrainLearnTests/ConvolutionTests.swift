import Foundation
import RefrainLearn
import RefrainMath
import XCTest

/// The learned front end's layers reuse their scratch buffers between calls without clearing them (issue 20,
/// seventeenth round): a layer that has run on longer and shorter inputs must give, bit for bit, what a fresh
/// layer with the same weights gives. The inputs are the cascade's shapes (one channel of frames x 48 bins), in
/// the order a query's chunks come: long, short, long again.
final class ConvolutionTests: XCTestCase {
    func input(frames: Int, seed: UInt64) -> Tensor {
        var random = SeededRandom(seed: seed)
        return Tensor(shape: [1, 1, frames, 48], data: (0..<(frames * 48)).map { _ in random.uniform() * 2 - 1 })
    }

    /// The learned front end (`LearnedArchitectures.frontEnd`: two convolutions, ReLU, 2 x 2 max pooling) and a
    /// dense layer, so that Convolution, MaxPool2D, ToSequence and Dense all run.
    func network() throws -> Network {
        try Network(Architecture(inputShape: [1, 64, 48], layers: [
            .conv2d(1, 16, kernel: [5, 12], padding: [2, 0], name: "conv1"), .relu, .maxPool2d([2, 2]),
            .conv2d(16, 32, kernel: [3, 3], padding: [1, 1], name: "conv2"), .relu, .maxPool2d([2, 2]),
            .toSequence, .dense(288, 24, name: "dense1"),
        ]), seed: 3)
    }

    func forward(_ net: Network, _ x: Tensor, threads: Int) -> Tensor {
        var y = x
        for layer in net.layers { y = layer.forward(y, Pass(training: false, threads: threads)) }
        return y
    }

    func testLayersThatRanOnOtherLengthsGiveWhatFreshLayersGive() throws {
        for threads in [1, 2] {
            let reused = try network()
            for (frames, seed) in [(400, 1), (96, 2), (401, 3), (64, 4), (400, 5)] as [(Int, UInt64)] {
                let x = input(frames: frames, seed: seed)
                let fresh = forward(try network(), x, threads: threads)
                let again = forward(reused, x, threads: threads)
                XCTAssertEqual(again.shape, fresh.shape, "\(frames) frames, \(threads) threads")
                XCTAssertEqual(again.data, fresh.data, "\(frames) frames, \(threads) threads")
                XCTAssertTrue(again.data.allSatisfy(\.isFinite))
            }
        }
    }

    /// Training after inference on a longer input still gets the gradients of a fresh layer (the backward pass
    /// reads the grown column buffer by the positions of the last forward pass).
    func testGradientsAfterALongerForwardPassAreAFreshLayersGradients() throws {
        let reused = try network(), fresh = try network()
        _ = forward(reused, input(frames: 300, seed: 8), threads: 2)
        let x = input(frames: 64, seed: 9)
        let pass = Pass(training: true, threads: 2)
        for net in [reused, fresh] {
            var y = x
            for layer in net.layers { y = layer.forward(y, pass) }
            var g = Tensor(shape: y.shape, data: [Float](repeating: 1, count: y.count), lengths: y.lengths)
            for layer in net.layers.reversed() { g = layer.backward(g, pass, inputGradient: true) }
        }
        for (a, b) in zip(reused.layers, fresh.layers) {
            for (p, q) in zip(a.parameters, b.parameters) { XCTAssertEqual(p.gradient, q.gradient, p.name) }
        }
    }
}
