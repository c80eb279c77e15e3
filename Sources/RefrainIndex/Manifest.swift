import Foundation
import RefrainMath

/// An `items.csv` manifest: rows `key,path[,title][,work]`, paths relative to the manifest's folder; each
/// row becomes an `AddJob`. `work` names the musical work the item belongs to (a score and its recordings
/// share one); an empty or missing work makes the item a work of its own.
public enum Manifest {
    /// Reads a manifest: RFC 4180 CSV (quoted fields may hold commas, quotes doubled), a header row
    /// `key,path[,title][,work]` required (columns in any order).
    public static func read(_ url: URL) throws -> [AddJob] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { throw RefrainError.fileNotFound(url.path) }
        let rows = CSV.parse(text)
        guard let header = rows.first?.map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }),
              let keyColumn = header.firstIndex(of: "key"), let pathColumn = header.firstIndex(of: "path") else {
            throw RefrainError.invalidFile(url.path, "manifest needs a header row with columns key,path[,title][,work]")
        }
        let titleColumn = header.firstIndex(of: "title"), workColumn = header.firstIndex(of: "work")
        let base = url.deletingLastPathComponent()
        var entries: [AddJob] = []
        var keys = Set<String>()
        for (number, row) in rows.dropFirst().enumerated() where !(row.count == 1 && row[0].isEmpty) {
            guard row.count > max(keyColumn, pathColumn) else {
                throw RefrainError.invalidFile(url.path, "line \(number + 2) has \(row.count) fields")
            }
            let key = row[keyColumn], path = row[pathColumn]
            guard !key.isEmpty, !path.isEmpty else { throw RefrainError.invalidFile(url.path, "line \(number + 2): empty key or path") }
            guard keys.insert(key).inserted else { throw RefrainError.invalidFile(url.path, "key '\(key)' appears twice") }
            let file = path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path)
            func optional(_ column: Int?) -> String? { column.flatMap { $0 < row.count && !row[$0].isEmpty ? row[$0] : nil } }
            entries.append(AddJob(key: key, url: file.standardizedFileURL, title: optional(titleColumn), work: optional(workColumn)))
        }
        return entries
    }
}

/// A minimal RFC 4180 CSV reader.
public enum CSV {
    public static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var chars = Array(text.unicodeScalars)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" { field.unicodeScalars.append("\""); chars.removeFirst() } else { quoted = false }
                } else {
                    field.unicodeScalars.append(c)
                }
            } else if c == "\"" && field.isEmpty {
                quoted = true
            } else if c == "," {
                row.append(field); field = ""
            } else if c == "\n" || c == "\r" {
                if c == "\r" && chars.first == "\n" { chars.removeFirst() }
                row.append(field); field = ""
                rows.append(row); row = []
            } else {
                field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}
