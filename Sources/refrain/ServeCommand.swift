import ArgumentParser
import Foundation
import Refrain
import RefrainServer

/// `refrain serve DIR [--host 127.0.0.1] [--port 8080] [--workers N] [--max-upload-mb 50] [--token-file FILE]`.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve an index over HTTP: a JSON API (/api/openapi.json) and a page to upload or record a query.")

    @Argument(help: "Index directory.") var directory: String
    @Option(help: "Address to listen on (loopback by default; 0.0.0.0 for every interface).") var host = "127.0.0.1"
    @Option(help: "Port (0: any free port, printed).") var port = 8080
    @Option(help: "Queries run at once (default: one per thread of --threads); each gets --threads / --workers threads.")
    var workers: Int?
    @Option(help: "Queries that may wait for a worker before the server answers 503 (default: one per worker).") var queue: Int?
    @Option(name: .customLong("max-upload-mb"), help: "Largest upload, MB (413 above).") var maxUploadMB = 50
    @Option(help: "File holding the bearer token that POST and DELETE /api/items need (without it, writes get 403).")
    var tokenFile: String?
    @Option(name: .customLong("cors-origin"), help: "Allow this origin to call the API from its pages (repeatable; * for any). Off by default.")
    var corsOrigins: [String] = []
    @Option(help: "Seconds a request may take (waiting and running) before 503 or 504.") var timeout = 60.0
    @OptionGroup var engine: EngineOptions

    func run() throws {
        let threads = engine.threads ?? ProcessInfo.processInfo.activeProcessorCount
        guard threads >= 1 else { throw RefrainError.invalidArgument("--threads must be at least 1") }
        var settings = ServiceSettings()
        settings.host = host
        settings.port = port
        settings.workers = workers ?? threads
        settings.queueCapacity = queue ?? settings.workers
        guard (1...4096).contains(maxUploadMB) else { throw RefrainError.invalidArgument("--max-upload-mb must be between 1 and 4096") }
        settings.maxUploadBytes = maxUploadMB << 20
        settings.bodyMemoryBytes = max(256 << 20, 4 * settings.maxUploadBytes)
        settings.requestTimeout = timeout
        settings.corsOrigins = corsOrigins
        if let tokenFile {
            guard let data = FileManager.default.contents(atPath: tokenFile) else { throw RefrainError.fileNotFound(tokenFile) }
            settings.token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if settings.token?.isEmpty != false { throw RefrainError.invalidFile(tokenFile, "the token file is empty") }
        }
        // A saturated server runs `workers` queries at once: each gets its share of the threads.
        let perQuery = ComputeBudget(threads: threads).share(settings.workers)
        let index = try Engine.open(at: URL(fileURLWithPath: directory),
                                    configuration: Engine.Configuration(budget: perQuery, soundfont: engine.soundfont))
        let service = try SearchService(engine: index, settings: settings, logger: SearchService.standardErrorLogger())
        let items = try index.itemCount
        let tasks = try index.tasks.map(\.name).joined(separator: ", ")
        let chosen = service.settings
        try service.serve { url in
            // Written unbuffered: scripts wait for this line to learn the URL.
            FileHandle.standardOutput.write(Data("""
                serving \(directory) (\(items) items; tasks: \(tasks)) at \(url)
                workers \(chosen.workers) x \(perQuery), queue \(chosen.queueCapacity), uploads up to \(maxUploadMB) MB, \
                writes \(chosen.token == nil ? "off" : "with the token")

                """.utf8))
        }
    }
}
