import ArgumentParser
import Foundation
import Refrain
import RefrainAlign
import RefrainAudio
import RefrainFeatures
import RefrainIndex
import RefrainMath
import RefrainSymbolic

/// `refrain-bench align`: cells per second of Refrain's DTW family against dtaidistance, librosa,
/// tslearn (timed in the same run by `scripts/bench/align_peer.py`) and a plain C loop of the same
/// recurrence (`scripts/bench/dtw_reference.c`, compiled here with `cc -O3 -march=native`).
struct BenchAlignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "align",
        abstract: "DTW cells per second: single pair, subsequence, Hamming, soft-DTW, batch lanes; ratios to peers.")

    @Flag(help: "Skip the 4000x4000 sizes.")
    var quick = false

    @Option(help: "Python interpreter for the peer timings.")
    var python = "python3"

    @Option(help: "Root of the Refrain checkout (for scripts/bench/); default: found from the current directory.")
    var scripts: String?

    struct Row { var task: String; var size: String; var ours: Double; var peer: String; var peerRate: Double? }

    func run() throws {
        let root = scriptsRoot()
        var rows: [Row] = []
        print("refrain-bench align (\(ProcessInfo.processInfo.activeProcessorCount) cores; figures are cells per second, best of several runs)")
        print("peers: running scripts/bench/align_peer.py ...")
        let peers = peerRates(root: root)
        let cRef = referenceRates(root: root)
        var g = BenchRandom(seed: 2012)
        func random(_ r: Int, _ c: Int) -> Matrix {
            Matrix(rows: r, cols: c, storage: (0..<(r * c)).map { _ in Float.random(in: 0..<1, using: &g) })
        }

        let sizes = [(12, 1000), (48, 1000)] + (quick ? [] : [(12, 4000), (48, 4000)])
        for (d, n) in sizes {
            let a = random(n, d), b = random(n, d)
            let cells = Double(n * n)
            let task = "float-\(d)d-\(n)"
            let dist = try measure(cells) { _ = try DTW.distance(a, b, metric: .squaredEuclidean) }
            let dtai = peers[task + "-distance"]
            rows.append(Row(task: "DTW \(d)-d, distance only", size: "\(n)x\(n)", ours: dist, peer: "dtaidistance", peerRate: dtai))
            if d == 12 && n == 1000, let c = cRef["float"] {
                rows.append(Row(task: "DTW 12-d, distance only", size: "1000x1000", ours: dist, peer: "C -O3 loop", peerRate: c))
            }
            let path = try measure(cells, minRuns: 2) { _ = try DTW.align(a, b, metric: .squaredEuclidean) }
            rows.append(Row(task: "DTW \(d)-d, with path", size: "\(n)x\(n)", ours: path, peer: "librosa", peerRate: peers[task + "-path"]))
        }

        let query = random(200, 12), long = random(20000, 12)
        let sub = try measure(200 * 20000, minRuns: 2) {
            _ = try SubsequenceDTW.bestMatches(query: query, database: long, metric: .squaredEuclidean, count: 1)
        }
        rows.append(Row(task: "subsequence DTW 12-d, path", size: "200x20000", ours: sub, peer: "librosa",
                        peerRate: peers["subsequence-12d-200x20000"]))

        let ha = (0..<1000).map { _ in UInt16.random(in: 0...UInt16.max, using: &g) }
        let hb = (0..<1000).map { _ in UInt16.random(in: 0...UInt16.max, using: &g) }
        let hamming = try measure(1_000_000) { _ = try DTW.distance(cost: CostMatrix.hamming(ha, hb)) }
        rows.append(Row(task: "Hamming DTW 16-bit, pair", size: "1000x1000", ours: hamming, peer: "C -O3 loop", peerRate: cRef["hamming"]))

        let sx = random(500, 12), sy = random(500, 12)
        let soft = try measure(250_000, minRuns: 2) {
            _ = try SoftDTW.valueAndGradient(cost: CostMatrix.compute(sx, sy, metric: .squaredEuclidean), gamma: 1)
        }
        rows.append(Row(task: "soft-DTW value + gradient", size: "500x500", ours: soft, peer: "tslearn", peerRate: peers["softdtw-500x500"]))

        // Batch search: one 100-frame query against many sequences of 200-400 frames.
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let sequences = (0..<512).map { k in random(200 + (k * 37) % 201, 12) }
        let db = try DTWBatchDatabase(sequences: sequences, metric: .squaredEuclidean)
        let bq = random(100, 12)
        let batchCells = Double(100 * db.totalFrames)
        for threads in Array(Set([1, cores])).sorted() {
            let rate = try measure(batchCells) { _ = try BatchDTW.costs(query: bq, database: db, threads: threads) }
            rows.append(Row(task: "batch DTW 12-d float, \(threads) core\(threads > 1 ? "s" : "")", size: "100 x 512 seqs",
                            ours: rate, peer: "C -O3 loop", peerRate: cRef["float"].map { $0 * Double(threads) }))
        }
        let hashes = (0..<4096).map { k in (0..<(200 + (k * 37) % 201)).map { _ in UInt16.random(in: 0...UInt16.max, using: &g) } }
        let hdb = try HashBatchDatabase(sequences: hashes)
        let hq = (0..<100).map { _ in UInt16.random(in: 0...UInt16.max, using: &g) }
        let hashCells = Double(100 * hdb.totalFrames)
        for threads in Array(Set([1, cores])).sorted() {
            let rate = try measure(hashCells) { _ = try BatchDTW.costs(query: hq, database: hdb, threads: threads) }
            rows.append(Row(task: "batch DTW 16-bit Hamming, \(threads) core\(threads > 1 ? "s" : "")", size: "100 x 4096 seqs",
                            ours: rate, peer: "C -O3 loop", peerRate: cRef["hamming"].map { $0 * Double(threads) }))
        }
        printTable(rows)
        print("C loop figures for 2 cores are the 1-core figure doubled (ideal scaling).")
    }

    func measure(_ cells: Double, minRuns: Int = 3, minSeconds: Double = 0.3, _ body: () throws -> Void) throws -> Double {
        try body()  // warm-up
        var best = Double.infinity, runs = 0
        let start = Date()
        while runs < minRuns || Date().timeIntervalSince(start) < minSeconds {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9)
            runs += 1
            if runs >= 50 { break }
        }
        return cells / best
    }

    func printTable(_ rows: [Row]) {
        func giga(_ x: Double) -> String { String(format: "%.3f G", x / 1e9) }
        let header = ["task", "size", "refrain cells/s", "peer", "peer cells/s", "ratio"]
        let body = rows.map { r -> [String] in
            [r.task, r.size, giga(r.ours), r.peer, r.peerRate.map(giga) ?? "n/a",
             r.peerRate.map { String(format: "%.1fx", r.ours / $0) } ?? "n/a"]
        }
        let widths = (0..<header.count).map { c in ([header] + body).map { $0[c].count }.max()! }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }
        print(line(header))
        print(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        body.forEach { print(line($0)) }
    }

    func scriptsRoot() -> URL {
        if let scripts { return URL(fileURLWithPath: scripts) }
        var dir = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        for _ in 0..<6 {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("scripts/bench/align_peer.py").path) { return dir }
            dir.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    func peerRates(root: URL) -> [String: Double] {
        let script = root.appendingPathComponent("scripts/bench/align_peer.py").path
        guard let text = peerOutput(python, [script] + (quick ? ["--quick"] : [])) else {
            print("peers: \(script) did not run (python or peer libraries missing); printing Refrain's figures alone")
            return [:]
        }
        var rates: [String: Double] = [:]
        for line in text.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let task = object["task"] as? String else { continue }
            if let rate = object["cells_per_second"] as? Double { rates[task] = rate }
            if let error = object["error"] as? String { print("peers: \(task) failed: \(error)") }
        }
        return rates
    }

    func referenceRates(root: URL) -> [String: Double] {
        let source = root.appendingPathComponent("scripts/bench/dtw_reference.c").path
        let binary = FileManager.default.temporaryDirectory.appendingPathComponent("refrain-dtw-reference-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: binary) }
        guard peerOutput("cc", ["-O3", "-march=native", "-o", binary, source]) != nil else {
            print("C reference: could not compile \(source) with cc")
            return [:]
        }
        var rates: [String: Double] = [:]
        if let f = peerOutput(binary, ["float", "12", "1000", "1000", "5"]), let r = Double(f.split(separator: " ")[0]) { rates["float"] = r }
        if let h = peerOutput(binary, ["hamming", "1000", "1000", "5"]), let r = Double(h.split(separator: " ")[0]) { rates["hamming"] = r }
        return rates
    }
}

/// A fast seeded generator for benchmark inputs (SplitMix64), so that every run times the same data.
struct BenchRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
