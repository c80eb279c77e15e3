import Foundation
import RefrainLearn
import RefrainMath
import RefrainTestSupport
import XCTest

final class ModelFileTests: XCTestCase {
    var directory: URL!
    override func setUpWithError() throws { directory = try Fixtures.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func smallNetwork() throws -> Network {
        try Network(Architecture(inputShape: [1, 8, 6], layers: [
            .conv2d(1, 2, kernel: [3, 3], padding: [1, 1], name: "conv1"), .relu, .maxPool2d([2, 2]), .flatten,
            .dense(24, 5, name: "dense1"), .tanh,
        ]), seed: 11)
    }

    func testRoundTripsThroughNPZAndFolderWithOneIdentity() throws {
        let net = try smallNetwork()
        let file = ModelFile(network: net, metadata: ["task": "test"])
        let npz = directory.appendingPathComponent("m.npz"), folder = directory.appendingPathComponent("m")
        try file.write(to: npz)
        try file.write(to: folder)
        for url in [npz, folder] {
            let back = try ModelFile.read(url)
            XCTAssertEqual(back.description, file.description)
            let again = try back.network()
            XCTAssertEqual(again.parameters.map(\.value), net.parameters.map(\.value))
            XCTAssertEqual(try back.sha256(), try file.sha256())
        }
        // The identity is the SHA-256 of the .npz bytes, and does not change when the same model is written again.
        XCTAssertEqual(try SHA256.hex(ofFile: npz), try file.sha256())
        try ModelFile(network: try smallNetwork(), metadata: ["task": "test"]).write(to: npz)
        XCTAssertEqual(try SHA256.hex(ofFile: npz), try file.sha256())
        let x = Tensor(shape: [2, 1, 8, 6], data: (0..<96).map { Float($0 % 7) / 7 })
        XCTAssertEqual(try ModelFile.read(npz).network().forward(x).data, try net.forward(x).data)
    }

    func testCutFileNamesTheTensor() throws {
        let url = directory.appendingPathComponent("m.npz")
        try ModelFile(network: try smallNetwork()).write(to: url)
        let bytes = try Data(contentsOf: url)
        // Cut inside the dense weight (the largest tensor, written after the conv tensors).
        let cut = directory.appendingPathComponent("cut.npz")
        try bytes.prefix(bytes.count - 600).write(to: cut)
        XCTAssertThrowsError(try ModelFile.read(cut)) { error in
            let message = (error as? RefrainError)?.message ?? ""
            XCTAssertTrue(message.contains("cut short") && message.contains("dense1.weight"), message)
        }
    }

    func testCorruptTensorIsNamed() throws {
        let url = directory.appendingPathComponent("m.npz")
        try ModelFile(network: try smallNetwork()).write(to: url)
        var bytes = [UInt8](try Data(contentsOf: url))
        // Flip a byte inside conv1.bias's data.
        let name = Array("conv1.bias.npy".utf8)
        let at = (0..<(bytes.count - name.count)).first { Array(bytes[$0..<($0 + name.count)]) == name }!
        bytes[at + name.count + 130] ^= 0x5A
        try Data(bytes).write(to: url)
        XCTAssertThrowsError(try ModelFile.read(url)) { error in
            let message = (error as? RefrainError)?.message ?? ""
            XCTAssertTrue(message.contains("conv1.bias") && message.contains("corrupt"), message)
        }
    }

    func testShapeMismatchWithArchitectureIsNamed() throws {
        let net = try smallNetwork()
        var tensors = net.parameters.map { (name: $0.name, array: NPYArray($0.value, shape: $0.shape)) }
        tensors[2] = ("dense1.weight", NPYArray([Float](repeating: 0, count: 5 * 25), shape: [5, 25]))
        let file = ModelFile(description: ModelDescription(kind: "network", architecture: net.architecture), tensors: tensors)
        let url = directory.appendingPathComponent("bad.npz")
        try file.write(to: url)
        XCTAssertThrowsError(try ModelFile.read(url).network(path: url.path)) { error in
            let message = (error as? RefrainError)?.message ?? ""
            XCTAssertTrue(message.contains("dense1.weight") && message.contains("[5, 25]"), message)
        }
        // A folder whose .npy disagrees with the description.
        let folder = directory.appendingPathComponent("f")
        try ModelFile(network: net).write(to: folder)
        try NPY.write(NPYArray([Float](repeating: 0, count: 3), shape: [3]), to: folder.appendingPathComponent("conv1.bias.npy"))
        XCTAssertThrowsError(try ModelFile.read(folder)) { error in
            XCTAssertTrue(((error as? RefrainError)?.message ?? "").contains("tensor conv1.bias has shape [3]"), "\(error)")
        }
    }

    func testNotAnArchive() throws {
        let url = directory.appendingPathComponent("x.npz")
        try Data("hello world, this is not a zip".utf8).write(to: url)
        XCTAssertThrowsError(try ModelFile.read(url))
    }

    /// NumPy reads the file without Refrain (skipped when no python3 with numpy is on PATH).
    func testNumPyLoadsTheFile() throws {
        let url = directory.appendingPathComponent("m.npz")
        let net = try smallNetwork()
        try ModelFile(network: net).write(to: url)
        let script = """
        import json, sys, numpy as np
        z = np.load(sys.argv[1])
        d = json.loads(bytes(z["architecture.json"]))
        print(d["kind"], z["dense1.weight"].shape, float(z["dense1.weight"].sum()))
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, url.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = Pipe()
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw XCTSkip("python3 with numpy is not available") }
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let sum = net.parameters[2].value.reduce(0, +)
        XCTAssertTrue(out.hasPrefix("network (5, 24) "), out)
        XCTAssertEqual(Float(out.split(separator: " ").last!.trimmingCharacters(in: .whitespacesAndNewlines))!, sum, accuracy: 1e-4)
    }
}
