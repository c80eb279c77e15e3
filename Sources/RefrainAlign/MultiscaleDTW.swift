import RefrainMath

/// The result of multiscale DTW.
public struct MultiscaleAlignment: Equatable, Sendable {
    public var alignment: DTWAlignment
    /// Cells evaluated at the finest level (the memory held there is this many floats).
    public var cellsAtFinestLevel: Int
    /// Levels used, 1 when the sequences were small enough to align exactly.
    public var levels: Int
}

/// Multiscale DTW for long sequences (Salvador & Chan's FastDTW idea; Müller, Mattes & Kurth,
/// "An Efficient Multiscale Approach to Audio Synchronization", ISMIR 2006): align averaged frames at
/// a coarse rate, project the path to the finer rate, and solve exactly inside a band of `radius`
/// frames around it, recursively. Memory and time grow with `(N + M) x (factor + 2 radius)` instead
/// of `N x M`; the result is the optimum inside the band, usually the global optimum.
public enum MultiscaleDTW {
    /// Aligns `a` (`N x dims`) and `b` (`M x dims`) under `metric` with standard DTW. Levels are
    /// added by averaging `factor` frames until the shorter sequence has at most `exactBelow` frames.
    public static func align(_ a: Matrix, _ b: Matrix, metric: CostMetric = .euclidean, factor: Int = 4,
                             radius: Int = 16, exactBelow: Int = 400) throws -> MultiscaleAlignment {
        guard a.cols == b.cols else { throw RefrainError.invalidArgument("feature dimensions differ: \(a.cols) and \(b.cols)") }
        guard a.rows > 0, b.rows > 0 else { throw RefrainError.invalidArgument("cannot align an empty sequence") }
        guard factor >= 2, radius >= 1, exactBelow >= 2 else {
            throw RefrainError.invalidArgument("multiscale DTW needs factor >= 2, radius >= 1, exactBelow >= 2")
        }
        if min(a.rows, b.rows) <= exactBelow {
            let exact = try DTW.align(a, b, metric: metric)
            return MultiscaleAlignment(alignment: exact, cellsAtFinestLevel: a.rows * b.rows, levels: 1)
        }
        let coarse = try align(downsample(a, factor), downsample(b, factor), metric: metric, factor: factor,
                               radius: radius, exactBelow: exactBelow)
        let window = projectedWindow(coarse.alignment.path, factor: factor, radius: radius, rows: a.rows, cols: b.rows)
        let (alignment, cells) = windowedDTW(a, b, metric: metric, lo: window.lo, hi: window.hi)
        return MultiscaleAlignment(alignment: alignment, cellsAtFinestLevel: cells, levels: coarse.levels + 1)
    }

    /// Means of consecutive groups of `factor` frames (the last group may be shorter).
    static func downsample(_ x: Matrix, _ factor: Int) -> Matrix {
        let rows = (x.rows + factor - 1) / factor
        var out = Matrix(rows: rows, cols: x.cols)
        for r in 0..<rows {
            let lo = r * factor, hi = min(x.rows, lo + factor)
            for c in 0..<x.cols {
                var s: Float = 0
                for k in lo..<hi { s += x[k, c] }
                out[r, c] = s / Float(hi - lo)
            }
        }
        return out
    }

    /// The fine-level window: the cells under the coarse path, widened by `radius` in both directions,
    /// made monotone and connected.
    static func projectedWindow(_ path: [PathStep], factor: Int, radius: Int, rows n: Int, cols m: Int) -> (lo: [Int], hi: [Int]) {
        var lo = [Int](repeating: Int.max, count: n), hi = [Int](repeating: Int.min, count: n)
        for step in path {
            let r0 = step.i * factor, r1 = min(n - 1, step.i * factor + factor - 1)
            let c0 = step.j * factor, c1 = min(m - 1, step.j * factor + factor - 1)
            if r0 > n - 1 { continue }
            for r in max(0, r0 - radius)...min(n - 1, r1 + radius) {
                lo[r] = min(lo[r], c0 - radius)
                hi[r] = max(hi[r], c1 + radius)
            }
        }
        for i in 0..<n {
            if lo[i] == Int.max { lo[i] = i > 0 ? lo[i - 1] : 0; hi[i] = i > 0 ? hi[i - 1] : 0 }
            lo[i] = max(0, lo[i]); hi[i] = min(m - 1, hi[i])
        }
        lo[0] = 0; hi[n - 1] = m - 1
        for i in 1..<n { hi[i] = max(hi[i], hi[i - 1]) }
        for i in stride(from: n - 2, through: 0, by: -1) { lo[i] = min(lo[i], lo[i + 1]) }
        for i in 1..<n { lo[i] = min(lo[i], hi[i - 1] + 1) }
        return (lo, hi)
    }

    /// Standard DTW restricted to columns `lo[i]...hi[i]` of each row, storing only those cells.
    static func windowedDTW(_ a: Matrix, _ b: Matrix, metric: CostMetric, lo: [Int], hi: [Int]) -> (DTWAlignment, Int) {
        let n = a.rows, d = a.cols
        var offset = [Int](repeating: 0, count: n + 1)
        for i in 0..<n { offset[i + 1] = offset[i] + (hi[i] - lo[i] + 1) }
        var acc = [Float](repeating: .infinity, count: offset[n])
        let bNorms = metric == .cosine ? b.rowSquaredNorms().map { $0.squareRoot() } : []
        let aNorms = metric == .cosine ? a.rowSquaredNorms().map { $0.squareRoot() } : []
        func cell(_ i: Int, _ j: Int) -> Float {
            a.storage.withUnsafeBufferPointer { pa in
                b.storage.withUnsafeBufferPointer { pb in
                    let x = pa.baseAddress! + i * d, y = pb.baseAddress! + j * d
                    switch metric {
                    case .cosine:
                        var dot: Float = 0
                        for k in 0..<d { dot += x[k] * y[k] }
                        let den = aNorms[i] * bNorms[j]
                        return den > 0 ? max(0, 1 - dot / den) : (aNorms[i] == 0 && bNorms[j] == 0 ? 0 : 1)
                    case .squaredEuclidean: return CostMatrix.directSquaredDistance(x, y, d)
                    case .euclidean: return CostMatrix.directSquaredDistance(x, y, d).squareRoot()
                    }
                }
            }
        }
        @inline(__always) func value(_ i: Int, _ j: Int) -> Float {
            (i < 0 || j < lo[i] || j > hi[i]) ? .infinity : acc[offset[i] + j - lo[i]]
        }
        for i in 0..<n {
            for j in lo[i]...hi[i] {
                let c = cell(i, j)
                var best: Float
                if i == 0 && j == 0 { best = 0 } else {
                    best = min(value(i - 1, j - 1), value(i - 1, j))
                    if j > lo[i] { best = min(best, acc[offset[i] + j - 1 - lo[i]]) }
                }
                acc[offset[i] + j - lo[i]] = c + best
            }
        }
        var i = n - 1, j = b.rows - 1
        var path = [PathStep(i, j)]
        while i > 0 || j > 0 {
            let from = PathStep.predecessor(of: i, j, diagonal: value(i - 1, j - 1),
                                            horizontal: j > 0 ? value(i, j - 1) : .infinity, vertical: value(i - 1, j))
            (i, j) = (from.i, from.j)
            path.append(PathStep(i, j))
        }
        path.reverse()
        return (DTWAlignment(cost: value(n - 1, b.rows - 1), path: path), offset[n])
    }
}
