import RefrainMath

/// Lower bounds of the DTW cost (standard steps, unit weights), cheap enough to discard most
/// candidates of a search before any DTW runs (Rakthanmanon et al., "Searching and Mining Trillions
/// of Time Series Subsequences under Dynamic Time Warping", KDD 2012).
public enum LowerBound {
    /// LB_Kim (first and last frames; Kim, Park & Chu 2001, in the constant-time form of the UCR
    /// suite): every full warping path visits `(0, 0)` and `(N-1, M-1)`, so their costs bound the
    /// DTW cost from below. Not valid for subsequence DTW.
    public static func kim(_ query: Matrix, _ candidate: Matrix, metric: CostMetric = .euclidean) throws -> Float {
        guard query.rows > 0, candidate.rows > 0 else { throw RefrainError.invalidArgument("cannot bound an empty sequence") }
        let first = try CostMatrix.compute(query.rows(0..<1), candidate.rows(0..<1), metric: metric)[0, 0]
        if query.rows == 1 && candidate.rows == 1 { return first }
        let last = try CostMatrix.compute(query.rows((query.rows - 1)..<query.rows),
                                          candidate.rows((candidate.rows - 1)..<candidate.rows), metric: metric)[0, 0]
        return first + last
    }

    /// LB_Keogh (Keogh & Ratanamahatana 2005), multi-dimensional (per-dimension envelope, Rath &
    /// Keogh's LB_Keogh for multivariate series): every candidate frame `i` is matched to some query
    /// frame inside its window, whose values lie inside the envelope, so the distance from each
    /// candidate frame to the envelope box bounds its cheapest match. Valid for (squared) Euclidean
    /// costs under the same global constraint the envelope was built with.
    public static func keogh(_ envelope: Envelope, _ candidate: Matrix) throws -> Float {
        guard candidate.rows == envelope.candidateLength, candidate.cols == envelope.upper.cols else {
            throw RefrainError.invalidArgument("the envelope was built for \(envelope.candidateLength)x\(envelope.upper.cols) candidates, got \(candidate.rows)x\(candidate.cols)")
        }
        let d = candidate.cols
        var total: Float = 0
        candidate.storage.withUnsafeBufferPointer { c in
            envelope.upper.storage.withUnsafeBufferPointer { u in
                envelope.lower.storage.withUnsafeBufferPointer { l in
                    for i in 0..<candidate.rows {
                        var s: Float = 0
                        for k in (i * d)..<((i + 1) * d) {
                            let x = c[k]
                            let over = max(x - u[k], 0), under = max(l[k] - x, 0)
                            s += over * over + under * under
                        }
                        total += envelope.metric == .euclidean ? s.squareRoot() : s
                    }
                }
            }
        }
        return total
    }

    /// The upper and lower envelope of a query, seen from candidates of one length: row `i` holds,
    /// per dimension, the maximum (minimum) of the query frames that candidate frame `i` may be
    /// matched with under `constraint`.
    public struct Envelope: Sendable {
        /// `candidateLength x dims`.
        public let upper: Matrix
        public let lower: Matrix
        public let candidateLength: Int
        public let metric: CostMetric

        /// `metric` must be `.euclidean` or `.squaredEuclidean`.
        public init(query: Matrix, candidateLength: Int, constraint: GlobalConstraint = .none,
                    metric: CostMetric = .squaredEuclidean) throws {
            guard metric != .cosine else { throw RefrainError.invalidArgument("LB_Keogh needs (squared) Euclidean costs") }
            guard query.rows > 0, candidateLength > 0 else { throw RefrainError.invalidArgument("cannot bound an empty sequence") }
            self.metric = metric
            self.candidateLength = candidateLength
            // Windows of the transposed problem (candidate frames are rows). A band of `radius`
            // candidate frames spans up to `radius * N / M` query frames; rounding in the windows can
            // differ by a cell between orientations, so every window is widened by one cell: the
            // bound only loosens, it never overshoots.
            var transposed = constraint
            if case .band(let radius) = constraint {
                let n = Double(query.rows), m = Double(candidateLength)
                transposed = .band(radius: Int((Double(radius) * max(n, m) / min(n, m)).rounded(.up)))
            }
            var (lo, hi) = transposed.window(rows: candidateLength, cols: query.rows)
            if constraint != .none {
                for i in 0..<candidateLength { lo[i] = max(0, lo[i] - 1); hi[i] = min(query.rows - 1, hi[i] + 1) }
            }
            let d = query.cols
            var upper = Matrix(rows: candidateLength, cols: d, repeating: .infinity)
            var lower = Matrix(rows: candidateLength, cols: d, repeating: -.infinity)
            // Sliding extrema over non-decreasing windows (monotone deques), one dimension at a time.
            var maxQueue = [Int](), minQueue = [Int]()
            for k in 0..<d {
                maxQueue.removeAll(keepingCapacity: true); minQueue.removeAll(keepingCapacity: true)
                var maxHead = 0, minHead = 0, next = 0
                for i in 0..<candidateLength where lo[i] <= hi[i] {
                    while next <= hi[i] {
                        let v = query[next, k]
                        while maxQueue.count > maxHead && query[maxQueue[maxQueue.count - 1], k] <= v { maxQueue.removeLast() }
                        maxQueue.append(next)
                        while minQueue.count > minHead && query[minQueue[minQueue.count - 1], k] >= v { minQueue.removeLast() }
                        minQueue.append(next)
                        next += 1
                    }
                    while maxQueue[maxHead] < lo[i] { maxHead += 1 }
                    while minQueue[minHead] < lo[i] { minHead += 1 }
                    upper[i, k] = query[maxQueue[maxHead], k]
                    lower[i, k] = query[minQueue[minHead], k]
                }
            }
            self.upper = upper
            self.lower = lower
        }
    }
}
