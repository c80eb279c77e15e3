import Foundation
import RefrainMath

/// A split of a folder of MIDI pieces into training, validation and test pieces, by piece (every rendition of a
/// piece lands in the same part), drawn by a seeded shuffle so the same folder and seed give the same split.
/// Written as a CSV (`key,split`), so that a run can reproduce a committed split exactly.
public struct CorpusSplit: Equatable, Sendable {
    public enum Part: String, Sendable, CaseIterable {
        case train, validation, test
    }

    /// Piece keys (file names without extension) by part, each sorted.
    public private(set) var parts: [Part: [String]]

    public init(parts: [Part: [String]]) {
        var sorted: [Part: [String]] = [:]
        for part in Part.allCases { sorted[part] = (parts[part] ?? []).sorted() }
        self.parts = sorted
    }

    /// The keys of `part`, sorted.
    public func keys(_ part: Part) -> [String] { parts[part] ?? [] }

    /// The part holding `key`, or nil.
    public func part(of key: String) -> Part? { Part.allCases.first { keys($0).contains(key) } }

    /// Splits `keys` by a seeded shuffle: `validation` and `test` are fractions of the pieces (rounded, at least
    /// one each when there are three or more pieces), the rest trains.
    public static func drawn(keys: [String], validation: Double = 0.1, test: Double = 0.2, seed: UInt64) throws -> CorpusSplit {
        guard validation >= 0, test >= 0, validation + test < 1 else {
            throw RefrainError.invalidArgument("validation and test fractions must be non-negative and leave pieces to train on")
        }
        var order = Array(Set(keys)).sorted()
        guard !order.isEmpty else { throw RefrainError.invalidArgument("no pieces to split") }
        var random = SplitMix64(seed: seed)
        order.shuffle(using: &random)
        let n = order.count
        let atLeast = n >= 3 ? 1 : 0
        let nValidation = max(atLeast, Int((Double(n) * validation).rounded()))
        let nTest = max(atLeast, Int((Double(n) * test).rounded()))
        return CorpusSplit(parts: [.validation: Array(order.prefix(nValidation)),
                                   .test: Array(order.dropFirst(nValidation).prefix(nTest)),
                                   .train: Array(order.dropFirst(nValidation + nTest))])
    }

    /// The MIDI pieces of `folder` (by extension), keyed by file name without extension, sorted.
    public static func pieces(in folder: URL) throws -> [(key: String, url: URL)] {
        let files: [URL]
        do { files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil) } catch {
            throw RefrainError.fileNotFound(folder.path)
        }
        let midi = files.filter { AnalysisSource.kind(of: $0) == .midi }
            .map { (key: $0.deletingPathExtension().lastPathComponent, url: $0) }
            .sorted { $0.key < $1.key }
        guard !midi.isEmpty else { throw RefrainError.invalidArgument("\(folder.path): no MIDI files") }
        return midi
    }

    /// `key,split` lines, sorted by key, with a header.
    public var csv: String {
        var rows: [(String, Part)] = []
        for part in Part.allCases { for key in keys(part) { rows.append((key, part)) } }
        return "key,split\n" + rows.sorted { $0.0 < $1.0 }.map { "\($0.0),\($0.1.rawValue)" }.joined(separator: "\n") + "\n"
    }

    /// Reads `csv` text as written by `csv`.
    /// - Throws: `RefrainError.invalidFile` naming the first bad line.
    public static func parse(_ text: String, name: String) throws -> CorpusSplit {
        var parts: [Part: [String]] = [:]
        for (n, line) in text.split(whereSeparator: \.isNewline).enumerated() {
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if n == 0 && fields.first == "key" { continue }
            guard fields.count == 2, !fields[0].isEmpty, let part = Part(rawValue: fields[1]) else {
                throw RefrainError.invalidFile(name, "line \(n + 1) is not key,train|validation|test")
            }
            parts[part, default: []].append(fields[0])
        }
        return CorpusSplit(parts: parts)
    }

    public static func read(_ url: URL) throws -> CorpusSplit {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { throw RefrainError.fileNotFound(url.path) }
        return try parse(text, name: url.path)
    }

    public func write(to url: URL) throws {
        do { try Data(csv.utf8).write(to: url, options: .atomic) } catch {
            throw RefrainError(.io, "\(url.path): cannot write the split (\(error.localizedDescription))")
        }
    }
}
