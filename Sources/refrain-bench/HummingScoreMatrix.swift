import Foundation
import Refrain

/// `refrain-bench humming --score-matrix FILE`: every query's note-stage scores of every indexed melody (as the
/// search aligns them, and with rhythm ignored) and the contour stage's costs of the note stage's best 300, one JSON
/// line a query, so that rescorings and fusions can be studied offline on the tuning half.
enum HummingScoreMatrix {
    /// One query's line: key, half, its first reading's note count, the generator's description, `note` and
    /// `pitchOnly` (per melody, in collection order; null where no reading aligns) and `contour` ([melody, cost] pairs).
    static func line(key: String, half: Int, readings: [MelodyShape], search: HummingSearch, collection: MelodyCollection,
                     contour: QueryContour?, fusion: ContourFusion, info: HumQueryInfo) -> String {
        let all = Array(collection.melodies.indices)
        let notes = search.noteScores(readings, of: all, in: collection)
        var plain = search
        plain.alignment.rhythmWeight = 0
        let pitchOnly = plain.noteScores(readings, of: all, in: collection)
        func numbers(_ s: [(score: Float, first: Int, last: Int)]) -> String {
            s.map { $0.score.isFinite ? fmt(Double($0.score), 4) : "null" }.joined(separator: ",")
        }
        var costs = ""
        if let contour {
            let best = Array(all.filter { notes[$0].score.isFinite }.sorted { notes[$0].score > notes[$1].score }.prefix(300))
            let found = fusion.matches(contour, lines: best.map { [collection.melodies[$0].shape] }, threads: search.threads)
            costs = zip(best, found).map { "[\($0),\($1.cost.isFinite ? fmt($1.cost, 5) : "null")]" }.joined(separator: ",")
        }
        let described = (try? JSONEncoder().encode(info)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return "{\"key\":\"\(key)\",\"half\":\(half),\"notes\":\(readings.first?.noteCount ?? 0),\"info\":\(described)," +
            "\"note\":[\(numbers(notes))],\"pitchOnly\":[\(numbers(pitchOnly))],\"contour\":[\(costs)]}"
    }

    /// The collection's melodies, one line each: index, item key, note count.
    static func melodies(_ collection: MelodyCollection) -> String {
        collection.melodies.enumerated().map { "\($0.offset) \($0.element.key) \($0.element.shape.noteCount)" }.joined(separator: "\n")
    }
}
