import ArgumentParser
import Foundation
import Refrain

/// `refrain list DIR [--json]`.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the items of an index.")

    @Argument(help: "Index directory.") var directory: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let store = try IndexStore.open(at: URL(fileURLWithPath: directory))
        let items = try store.items()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(["items": items]), as: UTF8.self))
        } else {
            for item in items {
                print("\(item.key)\t\(item.kind.rawValue)\t\(String(format: "%.2f", item.duration))\t\(item.title ?? "")\t\(item.path)")
            }
        }
    }
}

/// `refrain stats DIR`.
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Summarise an index.")

    @Argument(help: "Index directory.") var directory: String

    func run() throws {
        let store = try IndexStore.open(at: URL(fileURLWithPath: directory))
        let stats = try IndexStats(store: store)
        print(stats.summary)
    }
}
