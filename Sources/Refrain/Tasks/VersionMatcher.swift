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

    public init(gully: Float = 0.9, absoluteWeight: Double = 1) {
        self.gully = gully
        self.absoluteWeight = absoluteWeight
    }

    /// Options `gully`, `absolute_weight`.
    public init(spec: StageSpec) throws {
        self.init(gully: Float(try spec.double("gully", default: 0.9)), absoluteWeight: try spec.double("absolute_weight", default: 1))
    }

    public var arrays: [String] { [FeatureName.cens] }

    public func matches(_ query: SearchQuery, item: [String: StoredFeature], abandonAbove: Double) throws -> [SequenceMatch] {
        guard let sequence = query.analysis.features[FeatureName.cens], let stored = item[FeatureName.cens],
              sequence.frameCount > 0, stored.values.frames > 0 else { return [] }
        let values = stored.values.matrix()
        let fitted = RaffelEllisMatcher.fitted(sequence.values, to: values.rows)
        let cost = try CostMatrix.compute(fitted, values, metric: .cosine)
        let alignment = try RaffelEllis.align(cost: cost, gully: gully)
        guard let first = alignment.path.first, let last = alignment.path.last else { return [] }
        var along = 0.0
        for step in alignment.path { along += Double(cost[step.i, step.j]) }
        let score = Double(alignment.score) + absoluteWeight * along / Double(alignment.path.count)
        let times = stored.times, frame = stored.times.count > 1 ? times[1] - times[0] : 0.5
        return [SequenceMatch(score: score, start: times[first.j], end: times[last.j] + frame)]
    }
}
