import ArgumentParser
import Foundation
import Refrain

/// `refrain list DIR [--json]`.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the items of an index.")

    @Argument(help: "Index directory.") var directory: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let items = try Engine.open(at: URL(fileURLWithPath: directory), searchable: false).items()
        if json {
            print(try prettyJSON(["items": items]))
        } else {
            for item in items {
                print("\(item.key)\t\(item.kind.rawValue)\t\(String(format: "%.2f", item.duration))\t\(item.workKey)\t\(item.title ?? "")\t\(item.path)")
            }
        }
    }
}

/// `refrain stats DIR [--json]`.
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Summarise an index: items, sizes, encoders.")

    @Argument(help: "Index directory.") var directory: String
    @Flag(help: "Print JSON (items, bytes, encoders with name, version, dims, dtype and weights hash).") var json = false

    func run() throws {
        let stats = try Engine.open(at: URL(fileURLWithPath: directory), searchable: false).stats()
        print(json ? try prettyJSON(stats) : stats.summary)
    }
}
