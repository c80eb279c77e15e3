import Foundation

/// Whether one melody carries another's tune: the rule the humming benchmark uses to keep distractors that hold a
/// queried tune out of its distractor set, as MIREX's QBSH task does (its 2,000 Essen distractors hold none of
/// the queried songs; Downie 2008, "The music information retrieval evaluation exchange (2005–2007)"). Bach
/// harmonized the same hymn tune in many chorales and folk collections print variants of one song, so a
/// train-corpus piece can be the queried tune itself; ranking it first is then no error of the search.
///
/// Melodies are compared as pitch-interval sequences in whole semitones after merging repeated notes (which is
/// what transposition- and tempo-invariant matching sees). The score of the best local alignment (Smith &
/// Waterman 1981) counts +1 for an identical interval and −`editCost` for a substituted, added or missing one:
/// a stretch with m identical intervals and e edits scores m − `editCost`·e, which is ≥ 0 exactly when at least
/// `editCost` / (`editCost` + 1) of its positions (90 % for the default 9) are identical, and grows with the
/// stretch's length.
public struct SharedTune: Sendable, Equatable {
    /// Cost of one substituted, added or missing interval against +1 for an identical one.
    public var editCost = 9
    /// Least alignment score for "carries the tune". 17 was read off the development set's (tune, train piece)
    /// pairs (listed in the issue-21 round-7 note): the pairs at 17 and above are, where the source names it, the
    /// same hymn tune or folk song (e.g. BWV 303 and 302, "Ein feste Burg"), while stretches shared by unrelated
    /// pieces (BWV 303 and BWV 248.17; a Palestrina Agnus and a folk song) reach 16. Some variants of one hymn
    /// tune score less (BWV 135.6 against BWV 270, both "Herzlich tut mich verlangen": 15) and are not caught.
    public var leastScore = 17

    public init(editCost: Int = 9, leastScore: Int = 17) {
        self.editCost = editCost
        self.leastScore = leastScore
    }

    /// Interval sequence of a melody as the matchers see it (`MelodyShape`: consecutive repeats already merged),
    /// between its pitches rounded to whole semitones.
    public static func intervals(_ shape: MelodyShape) -> [Int] {
        let rounded = shape.pitches.map { Int($0.rounded()) }
        return zip(rounded.dropFirst(), rounded).map { $0 - $1 }
    }

    /// The best local alignment of `tune` within `other`: its score (m − editCost·e, 0 when nothing aligns) and
    /// the number m of identical intervals on that alignment. O(tune.count · other.count) time, O(other.count) memory.
    public func alignment(of tune: [Int], in other: [Int]) -> (score: Int, identical: Int) {
        guard !tune.isEmpty, !other.isEmpty else { return (0, 0) }
        let width = other.count + 1
        var previous = [Int](repeating: 0, count: width), current = previous
        var previousMatches = previous, currentMatches = previous
        var best = (score: 0, identical: 0)
        for a in tune {
            current[0] = 0
            currentMatches[0] = 0
            for j in 1..<width {
                let same = other[j - 1] == a
                var score = previous[j - 1] + (same ? 1 : -editCost)
                var matches = previousMatches[j - 1] + (same ? 1 : 0)
                if previous[j] - editCost > score { score = previous[j] - editCost; matches = previousMatches[j] }
                if current[j - 1] - editCost > score { score = current[j - 1] - editCost; matches = currentMatches[j - 1] }
                if score <= 0 { score = 0; matches = 0 }
                current[j] = score
                currentMatches[j] = matches
                if score > best.score { best = (score, matches) }
            }
            swap(&previous, &current)
            swap(&previousMatches, &currentMatches)
        }
        return best
    }

    /// Whether `other` (any of its lines) carries `tune`: some line's alignment score reaches `leastScore`.
    public func carries(_ tune: [Int], in lines: [[Int]]) -> Bool {
        lines.contains { alignment(of: tune, in: $0).score >= leastScore }
    }
}
