import Foundation
import RefrainAlign
import RefrainIndex
import RefrainMath

/// Audio matching (`AudioMatchMatcher`: subsequence DTW of the query's CENS at several tempi) made
/// invariant to transposition at about the cost of one key, by two cuts:
/// 1. Keys: per item, the twelve transpositions are scored by the optimal transposition index of the
///    query's chroma profile against windows of the item as long as the query (`TranspositionEstimate`;
///    Serrà et al. 2008); only the best `keyShifts` (within `keyMargin` of the best) are tried.
/// 2. Coarse to fine (as multiscale DTW, Salvador & Chan 2007; Müller, Mattes & Kurth 2006): every tried
///    version (key x tempo) is matched against the item at half the frame rate (pairs of frames averaged),
///    a quarter of the cells; only the `refine` best versions are matched again at the full rate, where
///    the spans and scores come from (with early abandoning against the caller's threshold).
///
/// With 2 keys, 7 tempi and 2 refined versions, an item costs about 14/4 + 2 = 5.5 full-rate version
/// searches, against 7 for the plain matcher in the query's key alone and 84 for all twelve keys.
public struct CoarseToFineAudioMatcher: SequenceMatcher {
    public var base: AudioMatchMatcher
    /// Transpositions tried per item (1...12) and how close to the best OTI score they must be; 0 shifts
    /// tries the query's key only.
    public var keyShifts: Int
    public var keyMargin: Float
    /// Versions matched again at the full rate.
    public var refine: Int
    /// Chroma arrays matched as one (`JointChroma`: frame by frame, one path and key for all), the key estimated
    /// on the first, which `base.array` names; empty: `base.array` alone. A query or an item without one of the
    /// others is matched on the first alone (as `ArrayMeanMatcher` leaves a missing array out).
    public var joint: [String] = []

    public init(base: AudioMatchMatcher = AudioMatchMatcher(), keyShifts: Int = 2, keyMargin: Float = 0.1, refine: Int = 2) {
        self.base = base
        self.keyShifts = min(max(0, keyShifts), 12)
        self.keyMargin = keyMargin
        self.refine = max(1, refine)
    }

    /// Options of `audio-match` plus `key` (`estimate` or `off`), `key_shifts`, `key_margin`, `refine`.
    /// `base` replaces the matcher the options would make (e.g. one that reads another array).
    public init(spec: StageSpec, base: AudioMatchMatcher? = nil) throws {
        let key = spec.options["key"] ?? "estimate"
        guard key == "estimate" || key == "off" else {
            throw RefrainError.invalidArgument("stage \(spec.stage): key must be estimate or off, got '\(key)'")
        }
        self.init(base: try base ?? AudioMatchMatcher(spec: spec), keyShifts: key == "off" ? 0 : try spec.int("key_shifts", default: 2),
                  keyMargin: Float(try spec.double("key_margin", default: 0.1)), refine: try spec.int("refine", default: 2))
    }

    public var arrays: [String] { [joint.first ?? base.array] }
    public var optionalArrays: [String] { Array(joint.dropFirst()) }

    /// This matcher on the first joined array alone.
    var alone: CoarseToFineAudioMatcher {
        var matcher = self
        matcher.base.array = arrays[0]
        matcher.joint = []
        return matcher
    }

    /// The frames matched of a query or an item (`JointChroma.joined` of the `joint` arrays, or `base.array`'s),
    /// with the first array's times; nil when one is missing or empty.
    func frames(_ features: [String: FeatureSequence]) -> (values: Matrix, times: [Double], rate: Double)? {
        guard let first = features[arrays[0]], first.frameCount > 0 else { return nil }
        guard !joint.isEmpty else { return (first.values, first.times, first.frameRate) }
        let parts = joint.compactMap { features[$0]?.values }
        guard parts.count == joint.count, let joined = JointChroma.joined(parts) else { return nil }
        return (joined, Array(first.times.prefix(joined.rows)), first.frameRate)
    }

    public func matches(_ query: SearchQuery, item: [String: StoredFeature], abandonAbove: Double) throws -> [SequenceMatch] {
        try prepared(for: query).matches(query, item: item, abandonAbove: abandonAbove)
    }

    public func prepared(for query: SearchQuery) throws -> any SequenceMatcher {
        if !joint.isEmpty, !joint.allSatisfy({ (query.analysis.features[$0]?.frameCount ?? 0) > 0 }) {
            return try alone.prepared(for: query)
        }
        guard let sequence = frames(query.analysis.features) else { return Prepared.empty(self) }
        let shifts = keyShifts == 0 ? [0] : Array(0..<12)
        let blocks = max(1, joint.count)
        var fine: [Matrix] = [], coarse: [Matrix] = []
        var fineRanges: [[Range<Int>]] = [], coarseRanges: [[Range<Int>]] = [], sums: [[[Float]]] = []
        for shift in shifts {
            let shifted = JointChroma.shifted(sequence.values, by: shift)
            let versions = base.tempoFactors.map { timeScaled(shifted, by: $0) }
            let (f, fr) = Self.stack(versions)
            let (c, cr) = Self.stack(versions.map { Self.halved($0, blocks: blocks) })
            fine.append(f); coarse.append(c); fineRanges.append(fr); coarseRanges.append(cr)
            sums.append(versions.map { AudioMatchScore.columnSums($0) })
        }
        let keyFrames = joint.isEmpty ? sequence.values : JointChroma.firstBlock(sequence.values)
        return Prepared(alone: joint.isEmpty ? nil : try alone.prepared(for: query), matcher: self,
                        profile: TranspositionEstimate.profile(keyFrames), queryFrames: sequence.values.rows,
                        queryTimes: sequence.times, frameSeconds: sequence.rate > 0 ? 1 / sequence.rate : 0.5,
                        fine: fine, coarse: coarse, fineRanges: fineRanges, coarseRanges: coarseRanges, sums: sums)
    }

    /// Versions one after another in one matrix, with the rows of each.
    static func stack(_ parts: [Matrix]) -> (Matrix, [Range<Int>]) {
        var all = Matrix(rows: parts.reduce(0) { $0 + $1.rows }, cols: parts.first?.cols ?? 12)
        var ranges: [Range<Int>] = []
        var row = 0
        for part in parts {
            all.storage.replaceSubrange((row * all.cols)..<((row + part.rows) * all.cols), with: part.storage)
            ranges.append(row..<(row + part.rows))
            row += part.rows
        }
        return (all, ranges)
    }

    /// Pairs of frames averaged and L2-normalised (per joined array): `ceil(frames / 2) x dims`.
    static func halved(_ m: Matrix, blocks: Int = 1) -> Matrix { JointChroma.halved(m, blocks: blocks) }

    struct Prepared: SequenceMatcher {
        /// Joined arrays only: the first array alone, for items without the others.
        var alone: (any SequenceMatcher)? = nil
        let matcher: CoarseToFineAudioMatcher
        let profile: [Float]
        let queryFrames: Int
        /// The query's frame times, for alignment paths.
        let queryTimes: [Double]
        let frameSeconds: Double
        /// Per shift (index = shift for all twelve, or the single shift 0): stacked tempo versions.
        let fine: [Matrix], coarse: [Matrix]
        let fineRanges: [[Range<Int>]], coarseRanges: [[Range<Int>]]
        let sums: [[[Float]]]

        static func empty(_ matcher: CoarseToFineAudioMatcher) -> Prepared {
            Prepared(matcher: matcher, profile: [], queryFrames: 0, queryTimes: [], frameSeconds: 0.5, fine: [], coarse: [], fineRanges: [], coarseRanges: [], sums: [])
        }

        var arrays: [String] { matcher.arrays }
        var optionalArrays: [String] { matcher.optionalArrays }

        func matches(_ query: SearchQuery, item: [String: StoredFeature], abandonAbove: Double) throws -> [SequenceMatch] {
            guard !fine.isEmpty, let stored = item[matcher.arrays[0]], stored.values.frames > 0 else { return [] }
            let keyFrames = stored.values.matrix()
            let database: Matrix
            if matcher.joint.isEmpty {
                database = keyFrames
            } else {
                let parts = matcher.joint.compactMap { item[$0].map { $0.values.matrix() } }
                guard parts.count == matcher.joint.count, let joined = JointChroma.joined(parts) else {
                    return try alone?.matches(query, item: item, abandonAbove: abandonAbove) ?? []
                }
                database = joined
            }
            var shifts = [0]
            if matcher.keyShifts > 0 {
                let scores = TranspositionEstimate.shiftScores(query: profile, item: keyFrames, window: queryFrames, hop: max(1, queryFrames / 4))
                shifts = TranspositionEstimate.choose(scores, count: matcher.keyShifts, margin: matcher.keyMargin)
            }
            let weights = StepWeights.nonDiagonalPenalty(matcher.base.penalty)
            // Coarse: every tried version at half the rate, best cost per step.
            var candidates: [(shift: Int, version: Int, cost: Double)] = []
            let versions = matcher.base.tempoFactors.count
            if shifts.count * versions > matcher.refine {
                // Only the `refine` best versions go on, so a version is abandoned as soon as it cannot beat the
                // `refine`-th best so far (per step; the slack keeps exact ties). Tempo 1 first, then outwards:
                // the likeliest versions set a tight bound early. The versions kept are those of a full pass.
                let coarseSearch = try SubsequenceSearch(database: CoarseToFineAudioMatcher.halved(database, blocks: max(1, matcher.joint.count)),
                                                         metric: .cosine)
                let order = (0..<versions).sorted { abs(log(matcher.base.tempoFactors[$0])) < abs(log(matcher.base.tempoFactors[$1])) }
                for shift in shifts {
                    for v in order {
                        let rows = coarseRanges[shift][v]
                        let bound = candidates.count < matcher.refine ? Float.infinity
                            : Float(candidates[matcher.refine - 1].cost * Double(rows.count) * (1 + 1e-5))
                        if let cost = try coarseSearch.bestCost(coarse[shift], rows: rows, weights: weights, abandonAbove: bound) {
                            let entry = (shift: shift, version: v, cost: Double(cost) / Double(rows.count))
                            candidates.insert(entry, at: candidates.firstIndex { $0.cost > entry.cost } ?? candidates.count)
                            if candidates.count > matcher.refine { candidates.removeLast() }
                        }
                    }
                }
            } else {
                candidates = shifts.flatMap { s in (0..<versions).map { (s, $0, 0.0) } }
            }
            // Fine: the chosen versions at the full rate.
            let search = try SubsequenceSearch(database: database, metric: .cosine)
            let score = AudioMatchScore(relativeWeight: matcher.base.relativeWeight, item: database)
            var found: [SequenceMatch] = []
            for candidate in candidates {
                let rows = fineRanges[candidate.shift][candidate.version]
                let length = Double(rows.count)
                let limit = abandonAbove.isFinite ? Float(score.costLimit(abandonAbove) * length) : .infinity
                for match in try search.bestMatches(fine[candidate.shift], rows: rows, count: matcher.base.matchesPerItem,
                                                    weights: weights, abandonAbove: limit) {
                    let path = query.wantsPath
                        ? AlignmentPath.points(match.path, scaledFrames: rows.count, queryTimes: queryTimes, itemTimes: stored.times)
                        : nil
                    found.append(SequenceMatch(score: score.score(costPerStep: Double(match.cost) / length,
                                                                  query: sums[candidate.shift][candidate.version],
                                                                  queryFrames: rows.count, span: match.start...match.end),
                                               start: stored.times[match.start], end: stored.times[match.end] + frameSeconds, path: path))
                }
            }
            return AudioMatchMatcher.nonOverlapping(found, limit: matcher.base.matchesPerItem)
        }
    }
}
