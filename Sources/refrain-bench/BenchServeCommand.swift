import ArgumentParser
import Foundation
import Refrain

/// `refrain-bench serve`: `refrain serve` under load from `wrk` on loopback. Real query files (the audio
/// excerpts `refrain-bench retrieval` renders from the development corpus) are POSTed to `/api/query` by
/// `scripts/bench/serve_load.lua`, first by one connection (the single-query baseline), then by more
/// connections than the server has workers. Each stage runs a fixed time; it reports throughput, latency
/// percentiles as wrk saw them (every answer) and as the server logged them (answered queries only), the
/// answers by status (503s above saturation, never timeouts or errors), and the server's resident memory
/// after each stage against the requests served so far. The goal: at saturation, the answered queries' p99 at
/// most 3x the single-query p50.
struct BenchServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Load-test refrain serve with wrk on loopback: throughput, p50/p99, 503s above saturation, memory.")

    @Option(help: "Index to serve (default: the newest index-* under .cache/bench-retrieval, which `refrain-bench retrieval` makes).")
    var index: String?
    @Option(help: "Folder of query files; every *-excerpt.wav in it is POSTed.") var queries = ".cache/bench-retrieval/queries"
    @Option(help: "Use only the first N query files (1: the same query every time, which takes the spread of query costs out of the percentiles).")
    var files: Int?
    @Option(help: "Seconds per stage (each stage is one wrk run).") var duration = 30
    @Option(help: "Connections of the loaded stages, comma-separated (the single-connection baseline runs first).")
    var connections = "2,4,8,16,64"
    @Option(help: "Threads of the server (default: one per core).") var threads: Int?
    @Option(help: "Workers of the server (default: its own, one per thread).") var workers: Int?
    @Option(help: "Waiting line of the server (default: its own).") var queue: Int?
    @Option(help: "Task of the queries.") var task = "audio-match"
    @Option(help: "Keep loading at the largest connection count until the server has answered this many requests in all, to watch its memory.")
    var soakRequests = 10_000

    func run() throws {
        try reportingErrors {
            guard let wrk = Self.which("wrk") else { throw RefrainError(.missingResource, "wrk is not installed (apt-get install wrk)") }
            let script = URL(fileURLWithPath: "scripts/bench/serve_load.lua")
            guard FileManager.default.fileExists(atPath: script.path) else {
                throw RefrainError.fileNotFound("\(script.path) (run from the repository root)")
            }
            let indexURL = try resolveIndex()
            let found = try (FileManager.default.contentsOfDirectory(atPath: queries)).filter { $0.hasSuffix("-excerpt.wav") }.sorted()
                .map { URL(fileURLWithPath: queries).appendingPathComponent($0).path }
            let files = Array(found.prefix(max(1, self.files ?? found.count)))
            guard !files.isEmpty else {
                throw RefrainError.fileNotFound("\(queries)/*-excerpt.wav (run `refrain-bench retrieval --tasks audio-match` first)")
            }
            let levels = try connections.split(separator: ",").map { part -> Int in
                guard let n = Int(part.trimmingCharacters(in: .whitespaces)), (1...1024).contains(n) else {
                    throw RefrainError.invalidArgument("--connections takes numbers from 1 to 1024, comma-separated")
                }
                return n
            }
            let bytes = files.compactMap { try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int }.reduce(0, +)
            print("refrain-bench serve: \(files.count) query files (\(bytes / files.count / 1024) KiB each on average), task \(task), \(duration) s per stage")
            print("index          \(indexURL.path)")

            let server = try ServerProcess(index: indexURL, threads: threads, workers: workers, queue: queue)
            defer { server.stop() }
            print("server         \(server.banner.joined(separator: "; "))")
            print("")
            let target = "/api/query?task=\(task)&top=10"
            var rows: [Stage] = []
            var served = 0
            func stage(_ label: String, _ connections: Int, seconds: Int) throws -> Stage {
                let logMark = server.logLines().count
                let cpuBefore = server.cpuSeconds()
                let wrkThreads = min(connections, 2)
                let output = try Self.capture(wrk, ["-t\(wrkThreads)", "-c\(connections)", "-d\(seconds)s", "--timeout", "30s", "--latency",
                                                    "-s", script.path, server.url, "--", target] + files)
                var row = try Stage(label: label, connections: connections, wrkOutput: output)
                row.server = ServerLatencies(lines: Array(server.logLines().dropFirst(logMark)))
                served += row.requests
                row.servedSoFar = served
                row.rssMiB = server.residentMiB()
                row.serverCPU = (server.cpuSeconds() - cpuBefore) / Double(seconds)
                return row
            }
            print("stage        conns   req/s   wrk p50   wrk p99   200   503   other  errors  | queries answered: p50     p99   | server CPU  | RSS after, requests so far")
            let baseline = try stage("single", 1, seconds: duration)
            rows.append(baseline)
            print(baseline.line)
            for n in levels {
                let row = try stage("load", n, seconds: duration)
                rows.append(row)
                print(row.line)
            }
            let top = levels.max() ?? 64
            var soaks = 0
            while served < soakRequests && soaks < 20 {
                let row = try stage("soak", top, seconds: duration)
                rows.append(row)
                print(row.line)
                soaks += 1
            }

            print("")
            let single = baseline.server.p50Seconds
            print("single-query p50 (server log) \(fmt(single * 1000, 1)) ms, throughput \(fmt(baseline.requestsPerSecond, 1)) req/s")
            if let saturated = rows.filter({ $0.label == "load" && $0.connections >= 2 * server.workers }).first {
                let ratio = saturated.server.p99Seconds / max(single, 1e-9)
                print("saturated (\(saturated.connections) connections): answered p99 \(fmt(saturated.server.p99Seconds * 1000, 1)) ms = "
                      + "\(fmt(ratio, 2))x the single-query p50 (goal <= 3x: \(ratio <= 3 ? "met" : "not met")); "
                      + "\(fmt(saturated.answeredPerSecond, 1)) answered/s, \(saturated.count(503)) x 503")
            }
            let rss = rows.map(\.rssMiB)
            print("resident memory after each stage: \(rss.map { fmt($0, 0) }.joined(separator: ", ")) MiB over \(served) requests "
                  + "(first loaded stage \(fmt(rss.dropFirst().first ?? 0, 0)) MiB, last \(fmt(rss.last ?? 0, 0)) MiB)")
            let failures = rows.reduce(0) { $0 + $1.socketErrors + $1.otherStatuses }
            print("errors: \(failures) (socket errors, timeouts and statuses other than 200 and 503, all stages)")
            let belowSaturation = rows.filter { $0.connections <= server.workers }
            print("below saturation (<= \(server.workers) connections): \(belowSaturation.reduce(0) { $0 + $1.count(503) }) x 503, "
                  + "\(belowSaturation.reduce(0) { $0 + $1.socketErrors + $1.otherStatuses }) errors")
        }
    }

    func resolveIndex() throws -> URL {
        if let index { return URL(fileURLWithPath: index) }
        let work = URL(fileURLWithPath: ".cache/bench-retrieval")
        let candidates = ((try? FileManager.default.contentsOfDirectory(atPath: work.path)) ?? []).filter { $0.hasPrefix("index-") }
        let newest = candidates.max { a, b in
            let date = { (name: String) in
                (try? FileManager.default.attributesOfItem(atPath: work.appendingPathComponent(name).path)[.modificationDate] as? Date) ?? .distantPast
            }
            return date(a) < date(b)
        }
        guard let newest else {
            throw RefrainError.fileNotFound("\(work.path)/index-* (run `refrain-bench retrieval --tasks audio-match` first, or give --index)")
        }
        return work.appendingPathComponent(newest)
    }

    static func which(_ name: String) -> String? {
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// Runs a program to its end and returns its standard output (standard error passes through).
    static func capture(_ program: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw RefrainError(.io, "\(program) exited with status \(process.terminationStatus): \(String(decoding: data, as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// One wrk run: what wrk measured, and what the server logged for it.
struct Stage {
    var label: String
    var connections: Int
    var requests = 0
    var seconds = 0.0
    var statuses: [Int: Int] = [:]
    var wrkP50 = 0.0, wrkP99 = 0.0
    var socketErrors = 0
    var server = ServerLatencies(lines: [])
    var servedSoFar = 0
    var rssMiB = 0.0
    /// Cores the server kept busy on average (its user + system CPU seconds per second of the stage).
    var serverCPU = 0.0

    init(label: String, connections: Int, wrkOutput: String) throws {
        self.label = label
        self.connections = connections
        for line in wrkOutput.split(separator: "\n") {
            let fields = Self.fields(line)
            if line.hasPrefix("STATUSES") {
                for (status, count) in fields { if let s = Int(status), let c = Int(count) { statuses[s] = c } }
            } else if line.hasPrefix("LATENCY_US") {
                wrkP50 = (Double(fields["p50"] ?? "") ?? 0) / 1e6
                wrkP99 = (Double(fields["p99"] ?? "") ?? 0) / 1e6
            } else if line.hasPrefix("TOTAL") {
                requests = Int(fields["requests"] ?? "") ?? 0
                seconds = Double(fields["seconds"] ?? "") ?? 0
                // Non-2xx answers are counted by status; these are the failures of the socket.
                socketErrors = ["errors_connect", "errors_read", "errors_write", "errors_timeout"].reduce(0) { $0 + (Int(fields[$1] ?? "") ?? 0) }
            }
        }
        guard seconds > 0 else { throw RefrainError(.io, "wrk printed no summary: \(wrkOutput)") }
    }

    static func fields(_ line: Substring) -> [String: String] {
        Dictionary(line.split(separator: " ").dropFirst().compactMap { part -> (String, String)? in
            let pair = part.split(separator: "=", maxSplits: 1)
            return pair.count == 2 ? (String(pair[0]), String(pair[1])) : nil
        }, uniquingKeysWith: { a, _ in a })
    }

    func count(_ status: Int) -> Int { statuses[status] ?? 0 }
    var otherStatuses: Int { statuses.filter { $0.key != 200 && $0.key != 503 }.values.reduce(0, +) }
    var requestsPerSecond: Double { Double(requests) / seconds }
    var answeredPerSecond: Double { Double(count(200)) / seconds }

    var line: String {
        let columns: [String] = [
            label.padding(12), String(connections).padding(6), fmt(requestsPerSecond, 1).padding(8),
            (fmt(wrkP50 * 1000, 0) + " ms").padding(10), (fmt(wrkP99 * 1000, 0) + " ms").padding(10),
            String(count(200)).padding(6), String(count(503)).padding(6), String(otherStatuses).padding(7), String(socketErrors).padding(8),
            "|" + String(repeating: " ", count: 19), (fmt(server.p50Seconds * 1000, 0) + " ms").padding(8),
            (fmt(server.p99Seconds * 1000, 0) + " ms").padding(9), "| \(fmt(serverCPU, 2)) cores".padding(13),
            "| \(fmt(rssMiB, 0)) MiB, \(servedSoFar)",
        ]
        return columns.joined(separator: " ")
    }
}

/// The seconds of the answered queries (status 200) in the server's one-line-per-request log.
struct ServerLatencies {
    var seconds: [Double]

    init(lines: [String]) {
        // "... POST /api/query?task=audio-match&top=10 200 0.184 s 2113 B"
        seconds = lines.compactMap { line in
            guard let range = line.range(of: #"POST /api/query\S* 200 (\d+\.\d+) s"#, options: .regularExpression) else { return nil }
            return Double(line[range].split(separator: " ")[3])
        }.sorted()
    }

    func percentile(_ p: Double) -> Double {
        guard !seconds.isEmpty else { return 0 }
        let rank = Int((p / 100 * Double(seconds.count)).rounded(.up)) - 1  // nearest rank
        return seconds[min(seconds.count - 1, max(0, rank))]
    }

    var p50Seconds: Double { percentile(50) }
    var p99Seconds: Double { percentile(99) }
}

/// `refrain serve` started for the benchmark on a free loopback port, its log captured to a file.
final class ServerProcess {
    let process = Process()
    let url: String
    let banner: [String]
    let workers: Int
    let logURL: URL

    init(index: URL, threads: Int?, workers: Int?, queue: Int?) throws {
        let refrain = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("refrain")
        guard FileManager.default.isExecutableFile(atPath: refrain.path) else {
            throw RefrainError.fileNotFound("\(refrain.path) (build it: swift build -c release --product refrain)")
        }
        var arguments = ["serve", index.path, "--port", "0", "--host", "127.0.0.1", "--timeout", "60"]
        if let threads { arguments += ["--threads", String(threads)] }
        if let workers { arguments += ["--workers", String(workers)] }
        if let queue { arguments += ["--queue", String(queue)] }
        logURL = FileManager.default.temporaryDirectory.appendingPathComponent("refrain-bench-serve-\(UUID().uuidString.prefix(8)).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process.executableURL = refrain
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = try FileHandle(forWritingTo: logURL)
        try process.run()
        // The first line names the URL, the second the workers.
        var text = ""
        let deadline = Date().addingTimeInterval(60)
        while text.split(separator: "\n").count < 2 && Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        let lines = text.split(separator: "\n").map(String.init)
        guard let first = lines.first, let range = first.range(of: #"http://\S+"#, options: .regularExpression) else {
            process.terminate()
            throw RefrainError(.io, "refrain serve did not start: \(text) \((try? String(contentsOf: logURL, encoding: .utf8)) ?? "")")
        }
        url = String(first[range]).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        banner = lines
        let workerField = lines.dropFirst().first?.split(separator: " ").dropFirst().first
        self.workers = workerField.flatMap { Int($0) } ?? 1
    }

    func logLines() -> [String] {
        ((try? String(contentsOf: logURL, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// The server's user + system CPU seconds so far (`/proc/PID/stat`, in clock ticks of 1/100 s).
    func cpuSeconds() -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        // Fields after the command name: state is field 3, utime 14, stime 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / 100
    }

    /// The server's resident memory (VmRSS), MiB.
    func residentMiB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kib / 1024
    }

    func stop() {
        if process.isRunning {
            process.interrupt()
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < deadline { usleep(50_000) }
            if process.isRunning { process.terminate() }
        }
        try? FileManager.default.removeItem(at: logURL)
    }
}
