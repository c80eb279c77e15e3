import ArgumentParser
import Dispatch
import Foundation
import Refrain
import RefrainAlign
import RefrainLearn
import RefrainMath

/// `refrain-bench learn`: training steps per second of Raffel & Ellis's hashing network and of an attention
/// embedder, forward only and forward + backward + update, against PyTorch (CPU) running the same networks in
/// the same run (`scripts/bench/learn_peer.py`) at the same thread counts; then where Refrain's time goes, layer
/// by layer; then soft-DTW value + gradient against tslearn.
struct LearnBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "learn",
        abstract: "Training steps/s of the hashing and attention networks vs PyTorch; soft-DTW cells/s vs tslearn.")

    @Option(help: "Python interpreter with torch and tslearn for the peer timings (e.g. /work/venvs/learn/bin/python).")
    var python = "python3"

    @Option(help: "Thread counts to compare, comma-separated.")
    var threads = "1,2"

    @Option(help: "Root of the Refrain checkout (for scripts/bench/); default: found from the current directory.")
    var scripts: String?

    @Flag(help: "Skip the per-layer profile.")
    var noProfile = false

    @Flag(help: "Only the soft-DTW figures.")
    var softDTWOnly = false

    /// The shared front end (Raffel & Ellis 2015): 1 x 100 frames x 48 CQT bins; conv 16 (5 x 12), pool 2 x 2,
    /// conv 32 (3 x 3), pool 2 x 2 -> 32 x 25 x 9.
    static let frontEnd: [LayerSpec] = [
        .conv2d(1, 16, kernel: [5, 12], padding: [2, 0], name: "conv1"), .relu, .maxPool2d([2, 2]),
        .conv2d(16, 32, kernel: [3, 3], padding: [1, 1], name: "conv2"), .relu, .maxPool2d([2, 2]),
    ]
    static let hasher = Architecture(inputShape: [1, 100, 48], layers: frontEnd + [
        .flatten, .dense(7200, 2048, name: "dense1"), .relu, .dense(2048, 2048, name: "dense2"), .relu,
        .dense(2048, 16, name: "out"), .tanh,
    ])
    static let embedder = Architecture(inputShape: [1, 100, 48], layers: frontEnd + [
        .toSequence, .dense(288, 2048, name: "dense1"), .relu, .dense(2048, 2048, name: "dense2"), .relu,
        .attention(2048, name: "attention"), .dense(2048, 128, name: "out"), .l2Normalize(),
    ])

    struct Model {
        let name: String
        let network: Network
        let optimizer: Optimizer
        let loss: (Tensor) throws -> (Float, Tensor)
    }

    func run() throws {
        try reportingErrors {
            let counts = threads.split(separator: ",").compactMap { Int($0) }.filter { $0 >= 1 }
            if softDTWOnly { try softDTW(tslearn: nil); return }
            print("refrain-bench learn (\(ProcessInfo.processInfo.activeProcessorCount) cores; batch 50; best of several runs)")
            print("peers: running scripts/bench/learn_peer.py with \(python) ...")
            let peers = peerRates(counts)
            if let version = peers.versions["torch-version"] { print("peer: PyTorch \(version)") }
            var random = SeededRandom(seed: 1)
            let x = Tensor(shape: [50, 1, 100, 48], data: (0..<(50 * 4800)).map { _ in random.uniform() })
            let targets = Tensor(shape: [50, 16], data: (0..<800).map { _ in Foundation.tanh(random.normal()) })
            let negatives = (0..<50).map { ($0 + 49) % 50 }
            let labels = (0..<50).map { $0 % 10 }
            let hashing = HashingLoss(margin: 4, alpha: 1)
            let triplet = TripletLoss(margin: 0.2, mining: .hard)
            print("")
            print("task".padding(34) + "threads  " + "Refrain".padding(12) + "PyTorch".padding(12) + "ratio")
            var models: [Model] = []
            for n in counts {
                models = [
                    Model(name: "hasher", network: try Network(Self.hasher, seed: 1), optimizer: RMSProp(learningRate: 1e-4)) { y in
                        let (value, dx, _) = try hashing.evaluate(x: y, y: targets, negatives: negatives)
                        return (value, dx)
                    },
                    Model(name: "embedder", network: try Network(Self.embedder, seed: 1), optimizer: Adam(learningRate: 1e-4)) { y in
                        try triplet.evaluate(embeddings: y, labels: labels)
                    },
                ]
                for model in models {
                    let net = model.network
                    let forward = try rate { _ = try net.forward(x, Pass(training: false, threads: n)) }
                    let step = try rate {
                        let pass = Pass(training: true, threads: n)
                        let y = try net.forward(x, pass)
                        let (_, dy) = try model.loss(y)
                        net.backward(dy, pass)
                        model.optimizer.step(net.parameters, threads: n)
                    }
                    row("\(model.name) forward (batches/s)", n, forward, peers.rates["\(model.name)-forward-\(n)"])
                    row("\(model.name) train step (steps/s)", n, step, peers.rates["\(model.name)-step-\(n)"])
                }
            }
            if !noProfile, let n = counts.last {
                for model in models { try profile(model, x: x, threads: n) }
            }
            try softDTW(tslearn: peers.rates["softdtw-500x500"])
        }
    }

    /// Soft-DTW value + gradient, 500 x 500, 12-d random features, gamma 1.
    func softDTW(tslearn: Double?) throws {
            var g = SeededRandom(seed: 2012)
            let a = Matrix(rows: 500, cols: 12) { _, _ in g.uniform() }, b = Matrix(rows: 500, cols: 12) { _, _ in g.uniform() }
            let cost = try CostMatrix.compute(a, b, metric: .squaredEuclidean)
            let fast = try rate { _ = try SoftDTW.valueAndGradient(cost: cost, gamma: 1) } * 250_000
            let exact = try rate { _ = try SoftDTW.valueAndGradientDouble(cost: cost, gamma: 1) } * 250_000
            print("")
            print("soft-DTW value + gradient, 500x500, 1 core (cells/s)")
            print("  Refrain Float32 wavefront  \(fmt(fast / 1e6, 1)) M" + (tslearn.map { "   tslearn \(fmt($0 / 1e6, 1)) M   ratio \(fmt(fast / $0, 1))" } ?? ""))
            print("  Refrain Double, scalar     \(fmt(exact / 1e6, 1)) M   (fast / Double: \(fmt(fast / exact, 1)))")
    }

    func row(_ task: String, _ threads: Int, _ ours: Double, _ peer: Double?) {
        let peerText = peer.map { fmt($0, 2) } ?? "-"
        let ratio = peer.map { fmt(ours / $0, 2) } ?? "-"
        print(task.padding(34) + "\(threads)".padding(9) + fmt(ours, 2).padding(12) + peerText.padding(12) + ratio)
    }

    /// Calls per second of `body`: best of several runs after one warm-up.
    func rate(minRuns: Int = 3, minSeconds: Double = 1.0, _ body: () throws -> Void) throws -> Double {
        try body()
        var best = Double.infinity, runs = 0
        let start = Date()
        while runs < minRuns || Date().timeIntervalSince(start) < minSeconds {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9)
            runs += 1
            if runs >= 30 { break }
        }
        return 1 / best
    }

    /// One training step layer by layer (best of 3), in milliseconds: forward, backward and the update.
    func profile(_ model: Model, x: Tensor, threads n: Int) throws {
        let net = model.network
        let pass = Pass(training: true, threads: n)
        var forward = [Double](repeating: .infinity, count: net.layers.count), backward = forward
        var lossTime = Double.infinity, update = Double.infinity
        func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-6 }
        for _ in 0..<3 {
            var y = x
            for (i, layer) in net.layers.enumerated() {
                let t0 = now()
                y = layer.forward(y, pass)
                forward[i] = min(forward[i], now() - t0)
            }
            var t0 = now()
            var (_, g) = try model.loss(y)
            lossTime = min(lossTime, now() - t0)
            for (i, layer) in net.layers.enumerated().reversed() {
                t0 = now()
                g = layer.backward(g, pass, inputGradient: i > 0)
                backward[i] = min(backward[i], now() - t0)
            }
            t0 = now()
            model.optimizer.step(net.parameters, threads: n)
            update = min(update, now() - t0)
        }
        let total = forward.reduce(0, +) + backward.reduce(0, +) + lossTime + update
        print("")
        print("where the time goes: \(model.name), one step, \(n) thread\(n > 1 ? "s" : "") (ms; \(fmt(total, 1)) ms in all)")
        print("  " + "layer".padding(16) + "forward".padding(10) + "backward")
        for (i, layer) in net.layers.enumerated() where forward[i] + backward[i] >= 0.05 * total / Double(net.layers.count) {
            print("  " + layer.name.padding(16) + fmt(forward[i], 2).padding(10) + fmt(backward[i], 2))
        }
        print("  " + "loss".padding(16) + fmt(lossTime, 2))
        print("  " + "\(model.optimizer.kind) update".padding(16) + fmt(update, 2) + "  (\(net.parameterCount) parameters)")
    }

    func peerRates(_ counts: [Int]) -> (rates: [String: Double], versions: [String: String]) {
        let root = scriptsRoot()
        let script = root.appendingPathComponent("scripts/bench/learn_peer.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, script, "--threads", counts.map(String.init).joined(separator: ",")]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        var rates: [String: Double] = [:], versions: [String: String] = [:]
        do { try process.run() } catch {
            print("peers: \(python) did not run; printing Refrain's figures alone")
            return (rates, versions)
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let task = object["task"] as? String, let rate = object["rate"] as? Double else { continue }
            if task.hasSuffix("-version") { versions[task] = object["unit"] as? String } else { rates[task] = rate }
        }
        if rates.isEmpty { print("peers: no PyTorch or tslearn figures (are they installed for \(python)?)") }
        return (rates, versions)
    }

    func scriptsRoot() -> URL {
        if let scripts { return URL(fileURLWithPath: scripts) }
        var dir = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        for _ in 0..<6 {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("scripts/bench/learn_peer.py").path) { return dir }
            dir.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
}
