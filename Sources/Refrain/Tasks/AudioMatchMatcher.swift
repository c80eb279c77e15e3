import Foundation
import RefrainAlign
import RefrainAudio
import RefrainFeatures
import RefrainIndex
import RefrainMath
import RefrainSymbolic

/// Audio matching (Müller, Kurth & Clausen 2005, "Audio matching via chroma-based statistical features"):
/// the query's CENS sequence, at several global tempi (`tempoFactors`, ±40 %) and optionally all twelve
/// transpositions, is matched by subsequence DTW against an item's CENS sequence; every match's cost is
/// divided by the scaled query length, so tempi compare fairly. Returns up to `matchesPerItem`
/// non-overlapping matches, best first, with their span in the item (seconds).
///
/// Cost per cell: cosine distance of CENS frames (unit length, so `1 - dot`). Steps: the standard
/// (1,1), (0,1), (1,0) with `penalty` added to the non-diagonal ones, so the path prefers to follow the
/// tempo the scaled query already has.
public struct AudioMatchMatcher: SequenceMatcher {
    /// Query length multipliers tried (> 1: the item is slower than the query).
    public var tempoFactors: [Double] = [0.71, 0.8, 0.89, 1.0, 1.12, 1.26, 1.41]
    /// 1: no transposition; 12: every cyclic chroma shift.
    public var transpositions: Int = 1
    public var matchesPerItem: Int = 3
    /// Added to every horizontal or vertical step, in cosine-distance units. 0.45 (chosen on the tune half
    /// of the realistic benchmark and the narrow development benchmark; issue 18, round 3): the tempo
    /// versions already bring the query close to the item's tempo, so the path should stay near the
    /// diagonal; 0.1 let short noisy queries fold onto a few cheap frames of unrelated items.
    public var penalty: Float = 0.45
    /// How much of the score is relative (see `AudioMatchScore`): 0 keeps the cost per step alone.
    public var relativeWeight: Double = 0
    /// The chroma array matched: `cens` (≈ 2.15 frames/s), or `cens_fine` (≈ 5.4 frames/s) for re-scoring.
    public var array: String = CENSEncoder.name

    public init(matchesPerItem: Int = 3, transpositions: Int = 1, relativeWeight: Double = 0) {
        self.matchesPerItem = max(1, matchesPerItem)
        self.transpositions = min(max(1, transpositions), 12)
        self.relativeWeight = max(0, relativeWeight)
    }

    /// Options `matches_per_item`, `transpositions` (1 or 12), `relative_weight` and `penalty`.
    public init(spec: StageSpec) throws {
        self.init(matchesPerItem: try spec.int("matches_per_item", default: 3),
                  transpositions: try spec.int("transpositions", default: 1),
                  relativeWeight: try spec.double("relative_weight", default: AudioMatchScore.defaultRelativeWeight))
        penalty = Float(try spec.double("penalty", default: Double(penalty)))
        guard penalty >= 0, penalty.isFinite else { throw RefrainError.invalidArgument("audio-match: penalty must be a non-negative number") }
    }

    public var arrays: [String] { [array] }

    public func matches(_ query: SearchQuery, item: [String: StoredFeature], abandonAbove: Double) throws -> [SequenceMatch] {
        try Prepared(self, query: query).matches(query, item: item, abandonAbove: abandonAbove)
    }

    /// The query's tempo-scaled and transposed versions, made once and stacked into one matrix; each item
    /// then runs them through one `SubsequenceSearch`, whose costs are made only as far as each version
    /// survives early abandoning.
    public func prepared(for query: SearchQuery) throws -> any SequenceMatcher { Prepared(self, query: query) }

    struct Prepared: SequenceMatcher {
        let matcher: AudioMatchMatcher
        /// Every version's frames, one after another: `sum of lengths x 12`.
        let stacked: Matrix?
        /// Rows of `stacked` per version.
        let versions: [Range<Int>]
        /// Per version, the sum of its frames (for the relative score).
        let versionSums: [[Float]]
        let frameSeconds: Double
        /// The query's frame times, for alignment paths.
        let queryTimes: [Double]

        init(_ matcher: AudioMatchMatcher, query: SearchQuery) {
            self.matcher = matcher
            guard let sequence = query.analysis.features[matcher.array], sequence.frameCount > 0 else {
                stacked = nil; versions = []; versionSums = []; frameSeconds = 0.5; queryTimes = []
                return
            }
            queryTimes = sequence.times
            frameSeconds = sequence.frameRate > 0 ? 1 / sequence.frameRate : 0.5
            var parts: [Matrix] = []
            for shift in 0..<matcher.transpositions {
                let shifted = cyclicallyShifted(sequence.values, by: shift)
                for factor in matcher.tempoFactors { parts.append(timeScaled(shifted, by: factor)) }
            }
            var all = Matrix(rows: parts.reduce(0) { $0 + $1.rows }, cols: sequence.dimension)
            var ranges: [Range<Int>] = []
            var row = 0
            for part in parts {
                all.storage.replaceSubrange((row * all.cols)..<((row + part.rows) * all.cols), with: part.storage)
                ranges.append(row..<(row + part.rows))
                row += part.rows
            }
            stacked = all
            versions = ranges
            versionSums = parts.map { AudioMatchScore.columnSums($0) }
        }

        var arrays: [String] { matcher.arrays }

        func matches(_ query: SearchQuery, item: [String: StoredFeature], abandonAbove: Double) throws -> [SequenceMatch] {
            guard let stacked, let stored = item[matcher.array], stored.values.frames > 0 else { return [] }
            let database = stored.values.matrix()
            let search = try SubsequenceSearch(database: database, metric: .cosine)
            let weights = StepWeights.nonDiagonalPenalty(matcher.penalty)
            let score = AudioMatchScore(relativeWeight: matcher.relativeWeight, item: database)
            var found: [SequenceMatch] = []
            for (v, rows) in versions.enumerated() {
                let length = Double(rows.count)
                // Early abandoning: a version whose best match is worse than `abandonAbove` stops at the first
                // stripe of query rows that proves it, before most of its costs are even computed.
                let limit = abandonAbove.isFinite ? Float(score.costLimit(abandonAbove) * length) : .infinity
                for match in try search.bestMatches(stacked, rows: rows, count: matcher.matchesPerItem, weights: weights,
                                                    abandonAbove: limit) {
                    let path = query.wantsPath
                        ? AlignmentPath.points(match.path, scaledFrames: rows.count, queryTimes: queryTimes, itemTimes: stored.times)
                        : nil
                    found.append(SequenceMatch(score: score.score(costPerStep: Double(match.cost) / length, query: versionSums[v],
                                                                  queryFrames: rows.count, span: match.start...match.end),
                                               start: stored.times[match.start], end: stored.times[match.end] + frameSeconds, path: path))
                }
            }
            return AudioMatchMatcher.nonOverlapping(found, limit: matcher.matchesPerItem)
        }
    }

    /// The best matches such that no two overlap by more than half of the shorter one.
    public static func nonOverlapping(_ matches: [SequenceMatch], limit: Int) -> [SequenceMatch] {
        var kept: [SequenceMatch] = []
        for match in matches.sorted(by: { $0.score < $1.score }) {
            let clash = kept.contains { other in
                let overlap = min(match.end, other.end) - max(match.start, other.start)
                return overlap > 0.5 * min(match.end - match.start, other.end - other.start)
            }
            if !clash { kept.append(match) }
            if kept.count == limit { break }
        }
        return kept
    }
}

