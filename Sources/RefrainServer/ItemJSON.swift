import Foundation
import Refrain

/// An indexed item as the API shows it: never the server's path, only the file's name, and whether a recording
/// can be played from `/api/items/{key}/audio`.
struct ItemJSON: Encodable, Sendable {
    var key: String
    var title: String?
    /// The item's work (its own key when it has none).
    var work: String
    /// `audio` or `midi` (or `features`).
    var kind: String
    var seconds: Double
    var sha256: String
    /// Seconds since 1970.
    var addedAt: Double
    /// The name of the file it was added from (no folder).
    var file: String
    /// Whether `/api/items/{key}/audio` serves it (a recording whose file is still where it was added from).
    var audio: Bool

    enum CodingKeys: String, CodingKey {
        case key, title, work, kind, seconds, sha256, addedAt = "added_at", file, audio
    }

    init(_ item: IndexedItem, playable: Bool) {
        key = item.key
        title = item.title
        work = item.workKey
        kind = item.kind.rawValue
        seconds = item.duration
        sha256 = item.sha256
        addedAt = item.addedAt
        file = URL(fileURLWithPath: item.path).lastPathComponent
        audio = playable
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(key, forKey: .key)
        try c.encode(title, forKey: .title)  // explicit null
        try c.encode(work, forKey: .work)
        try c.encode(kind, forKey: .kind)
        try c.encode(seconds, forKey: .seconds)
        try c.encode(sha256, forKey: .sha256)
        try c.encode(addedAt, forKey: .addedAt)
        try c.encode(file, forKey: .file)
        try c.encode(audio, forKey: .audio)
    }
}

/// Keys, titles and works a client sends: one line of text, no control characters, bounded length. Keys
/// name items in URLs (`/api/items/{key}`), so they also may not hold `/` or `\` or be `.` or `..`; they are
/// never used as paths (uploads are stored under names the server makes).
enum ItemText {
    static func key(_ text: String) throws -> String {
        let key = text.trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty, key.count <= 200 else { throw APIError.badRequest("a key has 1 to 200 characters") }
        guard key != ".", key != "..", !key.contains("/"), !key.contains("\\"), !hasControlCharacters(key) else {
            throw APIError.badRequest("a key may not contain '/', '\\' or control characters, nor be '.' or '..'")
        }
        return key
    }

    static func label(_ text: String?, field: String) throws -> String? {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        guard text.count <= 500, !hasControlCharacters(text) else {
            throw APIError.badRequest("the \(field) is one line of at most 500 characters")
        }
        return text
    }

    static func hasControlCharacters(_ text: String) -> Bool {
        text.unicodeScalars.contains { CharacterSet.controlCharacters.contains($0) }
    }
}
