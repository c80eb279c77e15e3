import Foundation
import RefrainAlign
import RefrainAudio
import RefrainFeatures
import RefrainIndex
import RefrainMath
import RefrainSymbolic
/// MIDI-to-audio matching (Raffel & Ellis 2015, 2016): DTW of the beat-synchronous log-CQT of the rendered
/// MIDI query against an audio item's, with cosine costs, an additive penalty on non-diagonal moves (the
/// median of the cost matrix), a gully of `gully` (either sequence may skip up to `1 - gully` of its
/// start and end) and the score normalised by path length and by the mean cost of the spanned submatrix
/// (lower is better), plus `censWeight` times a chroma (CENS) cost. The span is the part of the item the
/// path covers.
public struct RaffelEllisMatcher: SequenceMatcher {
    public var gully: Float
    /// Resample the query to the item's length before aligning (see `fitted(_:to:)`).
    public var fitLength: Bool
    /// Weight of the CENS term added to the score (0: the CQT score alone); see `censCost`. The default, 2,
    /// was chosen on the development benchmark (195 pieces): P@1 0.91 -> 0.95 exhaustive, and the pruned
    /// search keeps every exhaustive top-1 (190 -> 195 of 195). Applies when the query has CENS; an item
    /// without it costs 1.
    public var censWeight: Double

    public init(gully: Float = 0.96, fitLength: Bool = true, censWeight: Double = 2) {
        self.gully = gully
        self.fitLength = fitLength
        self.censWeight = censWeight
    }

    /// Options `gully`, `fit_length` (true or false), `cens_weight`.
    public init(spec: StageSpec) throws {
        self.init(gully: Float(try spec.double("gully", default: 0.96)), fitLength: try spec.bool("fit_length", default: true),
                  censWeight: try spec.double("cens_weight", default: 2))
    }

    public var arrays: [String] { [CQTBeatsEncoder.name] }
    public var optionalArrays: [String] { censWeight > 0 ? [CENSEncoder.name] : [] }

    /// Early abandoning: both terms of the score are non-negative, so the CENS term alone is a lower bound of
    /// the score. It is computed first (12-d chroma at about 2 frames per second, a fraction of the CQT
    /// alignment's work), and an item whose bound already exceeds `abandonAbove` is dropped without the
    /// CQT alignment.
    public func matches(_ search: SearchQuery, item: [String: StoredFeature], abandonAbove: Double) throws -> [SequenceMatch] {
        guard let sequence = search.analysis.features[CQTBeatsEncoder.name], let stored = item[CQTBeatsEncoder.name],
              sequence.frameCount > 0, stored.values.frames > 0 else { return [] }
        var chromaTerm = 0.0
        if censWeight > 0, let queryCens = search.analysis.features[CENSEncoder.name] {
            let itemCens = item[CENSEncoder.name]?.values.matrix() ?? Matrix(rows: 0, cols: queryCens.values.cols)
            chromaTerm = censWeight * (try Self.censCost(queryCens.values, itemCens))
            if chromaTerm > abandonAbove { return [] }
        }
        let values = stored.values.matrix()
        let query = fitLength ? Self.fitted(sequence.values, to: values.rows) : sequence.values
        var cost = try CostMatrix.compute(query, values, metric: .cosine)
        // The median is unchanged by the entries set to it, so it is also the matrix's median: the penalty.
        let median = Self.neutralizeSilence(&cost, query: query, item: values)
        let alignment = try RaffelEllis.align(cost: cost, penalty: median, gully: gully)
        guard let first = alignment.path.first, let last = alignment.path.last else { return [] }
        let times = stored.times
        let end = last.j + 1 < times.count ? times[last.j + 1] : (times.last ?? 0) + Self.lastBeatLength(times)
        let path = search.wantsPath
            ? AlignmentPath.points(alignment.path, scaledFrames: query.rows, queryTimes: sequence.times, itemTimes: times)
            : nil
        return [SequenceMatch(score: Double(alignment.score) + chromaTerm, start: times[first.j], end: end, path: path)]
    }

    /// Mean cosine cost along the DTW path between the query's CENS (resampled to the item's length)
    /// and the item's: chroma is blind to timbre, so it backs the CQT score up where a query plays a
    /// part with another instrument (Müller, Kurth & Clausen 2005). 1 when either side is empty.
    static func censCost(_ query: Matrix, _ item: Matrix) throws -> Double {
        guard query.rows > 0, item.rows > 0 else { return 1 }
        let alignment = try DTW.align(fitted(query, to: item.rows), item, metric: .cosine)
        return Double(alignment.cost) / Double(max(alignment.path.count, 1))
    }

    /// The query resampled in time towards `frames` rows when the lengths differ by more than 5 %. The
    /// query's beats are the score's and the item's are tracked in the audio, and a tracker often
    /// settles on another metrical level (2/3, 3/4 or 1/2 of the notated beat rate); the task matches
    /// whole pieces, so the ratio of lengths estimates the ratio of beat rates and resampling removes it.
    /// The DTW then only has to absorb local tempo changes instead of a long run of penalised steps.
    /// The factor is clamped to `maximumFit` either way: a larger ratio is not a metrical level but
    /// another piece, and stretching a short query over a long item would flatter the match.
    static func fitted(_ query: Matrix, to frames: Int) -> Matrix {
        let ratio = min(max(Double(frames) / Double(max(query.rows, 1)), 1 / maximumFit), maximumFit)
        return abs(ratio - 1) > 0.05 ? timeScaled(query, by: ratio) : query
    }

    /// Gives every cost that involves a silent frame (the zero vector of the representation) the median
    /// of the costs between sounding frames, so silence neither rewards nor penalises a path. Cosine
    /// costs would put silence at distance 1 from everything and 0 from other silence: a query whose
    /// rendering is silent for a while (a General MIDI program with no samples in a part's range, long
    /// rests) then loses against its own recording and wins against any item with a short silence, onto
    /// which the DTW folds all its silent frames for a few penalties.
    ///
    /// - Returns: the median it used (nil when nothing is silent), which is also the median of the whole
    ///   changed matrix: entries equal to a set's median leave its median where it was.
    @discardableResult
    static func neutralizeSilence(_ cost: inout Matrix, query: Matrix, item: Matrix) -> Float? {
        let silentRows = query.rowSquaredNorms().map { $0 == 0 }, silentCols = item.rowSquaredNorms().map { $0 == 0 }
        guard silentRows.contains(true) || silentCols.contains(true) else { return nil }
        let m = cost.cols
        cost.storage.withUnsafeMutableBufferPointer { c in
            for i in 0..<cost.rows {
                for j in 0..<m where silentRows[i] || silentCols[j] { c[i * m + j] = .nan }
            }
        }
        let neutral = CostMatrix.median(of: cost)  // finite entries only: the sounding pairs
        cost.storage.withUnsafeMutableBufferPointer { c in
            for k in c.indices where c[k].isNaN { c[k] = neutral }
        }
        return neutral
    }

    /// The largest resampling factor (and the inverse of the smallest) `fitted` applies.
    static let maximumFit = 2.5

    /// Length of the last beat: the one before it, or half a second.
    static func lastBeatLength(_ times: [Double]) -> Double {
        times.count > 1 ? times[times.count - 1] - times[times.count - 2] : 0.5
    }
}
