import RefrainMath

/// Rows of a cost matrix computed directly, without BLAS: for the few rows a DTW stripe needs at a
/// time, a call into BLAS costs more than the arithmetic. The second sequence is held transposed
/// (`dims x M`), so every inner loop runs along contiguous columns and vectorizes; for cosine costs
/// it is also held in blocks of eight frames (`ceil(M / 8) x dims x 8`), so that the dot products of
/// four query frames with one block accumulate in four 8-lane registers and are stored once, instead
/// of `dims` passes that each load and store the whole row (cosine rows 2-3x faster; same sums in the
/// same order, so the same costs bit for bit).
struct CostStripMaker {
    let metric: CostMetric
    let dims: Int
    let cols: Int
    /// `dims x cols` (not made for cosine, whose rows come from `blocks`).
    let transposed: [Float]
    /// Squared norms of the columns' frames (Euclidean metrics).
    let norms: [Float]
    let original: Matrix
    /// Cosine only: the unit frames in blocks of eight, `ceil(cols / 8) x dims x 8` (zero past `cols`).
    let blocks: [Float]

    init(_ b: Matrix, metric: CostMetric) {
        self.metric = metric
        dims = b.cols
        cols = b.rows
        original = b
        let squared = b.rowSquaredNorms()
        guard metric == .cosine else {
            transposed = b.transposed().storage
            norms = squared
            blocks = []
            return
        }
        // Cosine rows are made from the unit frames in `blocks` alone (`cosineRows`): no transposed copy, which
        // cost a DTW of short sequences (the version stage's, per candidate) as much as making the blocks.
        transposed = []
        norms = squared.map { $0 > 0 ? 1 : 0 }
        let d = b.cols, m = b.rows
        var blocks = [Float](repeating: 0, count: (m + 7) / 8 * d * 8)
        b.storage.withUnsafeBufferPointer { x in
            blocks.withUnsafeMutableBufferPointer { out in
                for j in 0..<m {
                    let s = squared[j] > 0 ? 1 / squared[j].squareRoot() : 1
                    for k in 0..<d {
                        let v = x[j * d + k]
                        out[(j / 8 * d + k) * 8 + j % 8] = squared[j] > 0 ? v * s : v
                    }
                }
            }
        }
        self.blocks = blocks
    }

    /// Rows `range` of the cost matrix between `a` and the stored sequence, row `k` written at
    /// `destination + k * stride`: at least the columns `columns` (default all `cols`; cosine rows are
    /// made in blocks of eight columns, other metrics whole), each bit for bit as in the whole row.
    func rows(_ a: Matrix, _ range: Range<Int>, columns: Range<Int>? = nil, into destination: UnsafeMutablePointer<Float>,
              stride: Int) {
        if metric == .cosine {
            cosineRows(a, range, columns: columns ?? 0..<cols, into: destination, stride: stride)
            return
        }
        let m = cols, d = dims
        var x = [Float](repeating: 0, count: d)
        do {
            transposed.withUnsafeBufferPointer { bt in
                norms.withUnsafeBufferPointer { nb in
                    for (k, i) in range.enumerated() {
                        var xn: Float = 0
                        for t in 0..<d { x[t] = a[i, t]; xn += x[t] * x[t] }
                        if metric == .cosine && xn > 0 {
                            let s = 1 / xn.squareRoot()
                            for t in 0..<d { x[t] *= s }
                            xn = 1
                        }
                        let row = destination + k * stride
                        for j in 0..<m { row[j] = 0 }
                        for t in 0..<d {
                            let coefficient = x[t]
                            let column = bt.baseAddress! + t * m
                            for j in 0..<m { row[j] += coefficient * column[j] }
                        }
                        switch metric {
                        case .cosine:
                            for j in 0..<m {
                                let both = xn * nb[j]
                                row[j] = both > 0 ? max(0, 1 - row[j]) : (xn == 0 && nb[j] == 0 ? 0 : 1)
                            }
                        case .euclidean, .squaredEuclidean:
                            original.storage.withUnsafeBufferPointer { ob in
                                a.storage.withUnsafeBufferPointer { ab in
                                    CostMatrix.finishSquaredDistances(row, m, xn, nb.baseAddress!) {
                                        CostMatrix.directSquaredDistance(ab.baseAddress! + i * d, ob.baseAddress! + $0 * d, d)
                                    }
                                }
                            }
                            if metric == .euclidean { for j in 0..<m { row[j] = row[j].squareRoot() } }
                        }
                    }
                }
            }
        }
    }

    /// Cosine rows from `blocks`, four query frames at a time: `max(0, 1 - x.y)` for unit frames; a
    /// silent (zero) query frame costs 0 against silence and 1 against sound, as in `rows`. Only the
    /// blocks of eight columns that meet `columns` are made.
    private func cosineRows(_ a: Matrix, _ range: Range<Int>, columns: Range<Int>, into destination: UnsafeMutablePointer<Float>,
                            stride: Int) {
        typealias V = SIMD8<Float>
        let m = cols, d = dims
        let chunks = (max(columns.lowerBound, 0) / 8)..<((min(columns.upperBound, m) + 7) / 8)
        let made = (chunks.lowerBound * 8)..<min(m, chunks.upperBound * 8)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 4 * d) { x in
            blocks.withUnsafeBufferPointer { bb in
                norms.withUnsafeBufferPointer { nb in
                    a.storage.withUnsafeBufferPointer { ab in
                        let blockBase = UnsafeRawPointer(bb.baseAddress!)
                        var k0 = 0
                        while k0 < range.count {
                            let h = min(4, range.count - k0)
                            var sounding = 0  // bit r: query frame k0 + r is not silent
                            for r in 0..<4 {
                                let xr = x.baseAddress! + r * d
                                guard r < h else { xr.update(repeating: 0, count: d); continue }
                                let source = ab.baseAddress! + (range.lowerBound + k0 + r) * d
                                var xn: Float = 0
                                for t in 0..<d { xr[t] = source[t]; xn += xr[t] * xr[t] }
                                if xn > 0 {
                                    let s = 1 / xn.squareRoot()
                                    for t in 0..<d { xr[t] *= s }
                                    sounding |= 1 << r
                                }
                            }
                            for r in 0..<h where sounding & (1 << r) == 0 {
                                (destination + (k0 + r) * stride + made.lowerBound).update(from: nb.baseAddress! + made.lowerBound,
                                                                                             count: made.count)
                            }
                            let x0 = x.baseAddress!, x1 = x0 + d, x2 = x0 + 2 * d, x3 = x0 + 3 * d
                            let one = V(repeating: 1), zero = V(repeating: 0)
                            for c in chunks {
                                var a0 = zero, a1 = zero, a2 = zero, a3 = zero
                                let block = blockBase + c * d * 32
                                for t in 0..<d {
                                    let y = block.loadUnaligned(fromByteOffset: t * 32, as: V.self)
                                    a0 = a0 + x0[t] * y
                                    a1 = a1 + x1[t] * y
                                    a2 = a2 + x2[t] * y
                                    a3 = a3 + x3[t] * y
                                }
                                let j0 = c * 8, width = min(8, m - j0)
                                func store(_ r: Int, _ dot: V) {
                                    guard r < h, sounding & (1 << r) != 0 else { return }
                                    var v = one - dot
                                    v.replace(with: zero, where: v .< zero)
                                    let row = destination + (k0 + r) * stride + j0
                                    if width == 8 {
                                        UnsafeMutableRawPointer(row).storeBytes(of: v, as: V.self)
                                    } else {
                                        for lane in 0..<width { row[lane] = v[lane] }
                                    }
                                }
                                store(0, a0); store(1, a1); store(2, a2); store(3, a3)
                            }
                            k0 += h
                        }
                    }
                }
            }
        }
    }
}
