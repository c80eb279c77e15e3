/// MIDI-to-audio matching (Raffel & Ellis 2015, 2016): DTW of the beat-synchronous log-CQT of the rendered
/// MIDI query against an audio item's, with cosine costs, an additive penalty on non-diagonal moves (the
/// median of the cost matrix), a gully of `gully` (either sequence may skip up to `1 - gully` of its
/// start and end) and the score normalised by path length and by the mean cost of the spanned submatrix
/// (lower is better). The span is the part of the item the path covers.
public struct RaffelEllisMatcher: SequenceMatcher {
    public var gully: Float

    public init(gully: Float = 0.96) { self.gully = gully }

    /// Option `gully`.
    public init(spec: StageSpec) throws {
        self.init(gully: Float(try spec.double("gully", default: 0.96)))
    }

    public var arrays: [String] { [FeatureName.cqtBeats] }

    public func matches(_ query: SearchQuery, item: [String: StoredFeature], abandonAbove: Double) throws -> [SequenceMatch] {
        guard let sequence = query.analysis.features[FeatureName.cqtBeats], let stored = item[FeatureName.cqtBeats],
              sequence.frameCount > 0, stored.values.frames > 0 else { return [] }
        let alignment = try RaffelEllis.align(sequence.values, stored.values.matrix(), metric: .cosine, gully: gully)
        guard let first = alignment.path.first, let last = alignment.path.last else { return [] }
        let times = stored.times
        let end = last.j + 1 < times.count ? times[last.j + 1] : (times.last ?? 0) + Self.lastBeatLength(times)
        return [SequenceMatch(score: Double(alignment.score), start: times[first.j], end: end)]
    }

    /// Length of the last beat: the one before it, or half a second.
    static func lastBeatLength(_ times: [Double]) -> Double {
        times.count > 1 ? times[times.count - 1] - times[times.count - 2] : 0.5
    }
}
