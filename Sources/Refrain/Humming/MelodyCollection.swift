import Foundation
import RefrainMath
import RefrainSymbolic

/// One indexed melody: which item it belongs to and its shape.
public struct IndexedMelody: Sendable {
    /// The item's key (several melodies may share one: a score's best parts).
    public var key: String
    public var shape: MelodyShape

    public init(key: String, shape: MelodyShape) {
        self.key = key
        self.shape = shape
    }
}

/// A hit of the melody search: the item, its score (higher is better) and the matched span, seconds.
public struct MelodyHit: Equatable, Sendable {
    public var key: String
    public var score: Double
    public var start: Double
    public var end: Double
}

/// The melodies of a collection with an inverted index of pitch-interval n-grams (the filter stage, after
/// Downie 1999, "Evaluating a simple approach to music information retrieval: conceiving melodic n-grams as
/// text"): each melody's n-grams of consecutive intervals rounded to semitones (clipped to an octave) point
/// back to it.
public struct MelodyCollection: Sendable {
    public private(set) var melodies: [IndexedMelody] = []
    /// n-gram code -> melody indices holding it (each once, ascending).
    private var postings: [Int32: [Int32]] = [:]
    public let gramLength: Int

    public init(gramLength: Int = 3) {
        self.gramLength = gramLength
    }

    public var count: Int { melodies.count }

    static func code(_ intervals: ArraySlice<Int>) -> Int32 {
        var c: Int32 = 0
        for v in intervals { c = c * 25 + Int32(min(12, max(-12, v)) + 12) }
        return c
    }

    /// Adds a melody (ignored when it has fewer than `gramLength + 1` distinct notes).
    public mutating func add(_ melody: IndexedMelody) {
        let id = Int32(melodies.count)
        melodies.append(melody)
        let rounded = melody.shape.intervals.map { Int($0.rounded()) }
        guard rounded.count >= gramLength else { return }
        var seen = Set<Int32>()
        for k in 0...(rounded.count - gramLength) {
            let c = MelodyCollection.code(rounded[k..<(k + gramLength)])
            if seen.insert(c).inserted { postings[c, default: []].append(id) }
        }
    }

    /// Melody indices ranked by how many of the query's n-gram positions they contain (each sung interval read
    /// as its nearest semitone and, when it lies within 0.2 of half-way, the other neighbour too), best first,
    /// at most `limit`; with their vote counts.
    public func filter(_ query: MelodyShape, limit: Int) -> [(melody: Int, votes: Int)] {
        let q = query.intervals
        guard q.count >= gramLength, !melodies.isEmpty else { return [] }
        var votes = [Int32](repeating: 0, count: melodies.count)
        var lastPosition = [Int32](repeating: -1, count: melodies.count)
        let choices: [[Int]] = q.map { x in
            let r = x.rounded()
            let other = x > r ? r + 1 : r - 1
            return abs(x - r) > 0.3 ? [Int(r), Int(other)] : [Int(r)]
        }
        var gram = [Int](repeating: 0, count: gramLength)
        for k in 0...(q.count - gramLength) {
            // Every combination of the choices of the n intervals.
            func visit(_ d: Int) {
                if d == gramLength {
                    if let list = postings[MelodyCollection.code(gram[...])] {
                        for id in list where lastPosition[Int(id)] != Int32(k) {
                            lastPosition[Int(id)] = Int32(k)
                            votes[Int(id)] += 1
                        }
                    }
                    return
                }
                for v in choices[k + d] { gram[d] = v; visit(d + 1) }
            }
            visit(0)
        }
        var ranked = votes.indices.filter { votes[$0] > 0 }.map { ($0, Int(votes[$0])) }
        ranked.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        return Array(ranked.prefix(limit))
    }
}
