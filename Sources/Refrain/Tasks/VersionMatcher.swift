import Foundation
import RefrainAlign
import RefrainIndex
import RefrainMath

/// Version identification at the document level (Müller 2015, "Fundamentals of Music Processing",
/// ch. 7.2; Serrà et al. 2008): is this whole recording another performance of the same work? The query's
/// CENS sequence, resampled towards the item's length (global tempo; as `RaffelEllisMatcher.fitted`), is
/// aligned with the item's by DTW with cosine costs, a median penalty on non-diagonal steps and a gully
/// that lets either side skip up to `1 - gully` at its start and end (Raffel & Ellis 2016). Score: the
/// path's mean cost relative to the mean cost of the submatrix it spans (`RaffelEllisAlignment.score`),
/// plus `absoluteWeight` times the path's mean cosine cost. Wrap it in `KeyInvariantMatcher` (whole-sequence
/// profiles) for versions in other keys.
public struct VersionMatcher: SequenceMatcher {
    public var gully: Float
    public var absoluteWeight: Double
    /// `banded` (default): DTW cost only, in a Sakoe-Chiba band of `bandFraction` of the item's length
    /// around the diagonal of the length-fitted sequences, at half the CENS rate for sequences of more
    /// than 48 frames, with early abandoning; score = cost per step times (1 + `relativeWeight` / the mean
    /// cost of all frame pairs). `raffel`: the full alignment with a gully (slower, no abandoning).
    public var method: String
    public var bandFraction: Double
    public var relativeWeight: Double
    /// Added to horizontal and vertical steps (banded method), cosine-distance units.
    public var penalty: Float

    public init(gully: Float = 0.9, absoluteWeight: Double = 1, method: String = "banded", bandFraction: Double = 0.1,
                relativeWeight: Double = 1, penalty: Float = 0.1) {
        self.gully = gully
        self.absoluteWeight = absoluteWeight
        self.method = method
        self.bandFraction = bandFraction
        self.relativeWeight = relativeWeight
        self.penalty = penalty
    }

    /// Options `method` (banded or raffel), `band`, `relative_weight`, `penalty`, `gully`, `absolute_weight`.
    public init(spec: StageSpec) throws {
        let method = spec.options["method"] ?? "banded"
        guard method == "banded" || method == "raffel" else {
            throw RefrainError.invalidArgument("stage \(spec.stage): method must be banded or raffel, got '\(method)'")
        }
        self.init(gully: Float(try spec.double("gully", default: 0.9)), absoluteWeight: try spec.double("absolute_weight", default: 1),
                  method: method, bandFraction: try spec.double("band", default: 0.1),
                  relativeWeight: try spec.double("relative_weight", default: 1), penalty: Float(try spec.double("penalty", default: 0.1)))
    }

    public var arrays: [String] { [CENSEncoder.name] }

    public func matches(_ query: SearchQuery, item: [String: StoredFeature], abandonAbove: Double) throws -> [SequenceMatch] {
        guard let sequence = query.analysis.features[CENSEncoder.name], let stored = item[CENSEncoder.name],
              sequence.frameCount > 0, stored.values.frames > 0 else { return [] }
        let values = stored.values.matrix()
        let times = stored.times, frame = times.count > 1 ? times[1] - times[0] : 0.5
        let span = (start: times.first ?? 0, end: (times.last ?? 0) + frame)
        let fitted = RaffelEllisMatcher.fitted(sequence.values, to: values.rows)
        if method == "raffel" {
            let cost = try CostMatrix.compute(fitted, values, metric: .cosine)
            let alignment = try RaffelEllis.align(cost: cost, gully: gully)
            guard let first = alignment.path.first, let last = alignment.path.last else { return [] }
            var along = 0.0
            for step in alignment.path { along += Double(cost[step.i, step.j]) }
            let score = Double(alignment.score) + absoluteWeight * along / Double(alignment.path.count)
            return [SequenceMatch(score: score, start: times[first.j], end: times[last.j] + frame)]
        }
        return try banded(query: BandedQuery(fitted, itemRows: values.rows), item: values, span: span, abandonAbove: abandonAbove)
    }

    /// The query's side of a banded comparison with items of one length: the query fitted to it (`fitted`, then
    /// halved with the item when either has more than 48 frames) and its column sums. Depends only on the
    /// query and the item's length, so a prepared matcher keeps one per length (`PreparedVersionMatcher`).
    struct BandedQuery {
        let values: Matrix
        let sums: [Float]
        let halved: Bool

        /// `fitted`: the query fitted to `itemRows` frames (`RaffelEllisMatcher.fitted`).
        init(_ fitted: Matrix, itemRows: Int) {
            halved = max(fitted.rows, itemRows) > 48
            values = halved ? CoarseToFineAudioMatcher.halved(fitted) : fitted
            sums = AudioMatchScore.columnSums(values)
        }
    }

    /// The banded method's score of one item (`values`, its CENS) against the query's side `query`.
    func banded(query: BandedQuery, item values: Matrix, span: (start: Double, end: Double), abandonAbove: Double) throws -> [SequenceMatch] {
        let fitted = query.values
        let itemValues = query.halved ? CoarseToFineAudioMatcher.halved(values) : values
        // Mean cosine cost of all frame pairs: 1 - (mean query frame) . (mean item frame).
        let q = query.sums, i = AudioMatchScore.columnSums(itemValues)
        var dot: Double = 0
        for c in 0..<q.count { dot += Double(q[c]) * Double(i[c]) }
        let mean = max(1 - dot / Double(fitted.rows * itemValues.rows), 1e-3)
        let scale = 1 + relativeWeight / mean
        let steps = Double(max(fitted.rows, itemValues.rows))
        let limit = abandonAbove.isFinite ? Float(abandonAbove / scale * steps) : .infinity
        let radius = max(4, Int((bandFraction * Double(itemValues.rows)).rounded()))
        let distance = try DTW.distance(fitted, itemValues, metric: .cosine,
                                        options: DTWOptions(weights: .nonDiagonalPenalty(penalty), constraint: .band(radius: radius)),
                                        abandonAbove: limit)
        guard distance.isFinite else { return [] }
        return [SequenceMatch(score: Double(distance) / steps * scale, start: span.start, end: span.end)]
    }
}
