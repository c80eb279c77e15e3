import RefrainMath

/// The inner loops of batch DTW: one query against `lanes` database sequences in lockstep, one
/// sequence per SIMD lane, row by row over the query. Each lane runs the standard DTW recurrence
/// (`D = c + min(diagonal, up, left)`); the left-neighbour chain that makes scalar DTW latency-bound
/// is shared by all lanes, so a step advances 16 (float) or 32 (16-bit Hamming) cells.
///
/// After every query row, the row minimum of each lane is a lower bound of that lane's final cost
/// (every path crosses every row, costs are non-negative); when every lane's bound exceeds the
/// threshold, the block is abandoned (Rakthanmanon et al., "Searching and Mining Trillions of Time
/// Series Subsequences under Dynamic Time Warping", KDD 2012).
enum BatchKernels {
    typealias V = SIMD16<Float>

    /// Per-lane DTW costs of `query` (`n x dims`, row-major) against one block; `+inf` for empty
    /// lanes and for every lane when the block was abandoned.
    static func floatBlock(query: UnsafePointer<Float>, queryNorms: UnsafePointer<Float>, n: Int, dims: Int,
                           block: DTWBatchDatabase.Block, metric: CostMetric, subsequence: Bool,
                           threshold: Float, row: UnsafeMutablePointer<V>) -> [Float] {
        // One specialization per metric keeps the inner loop free of branches, so its state
        // stays in registers.
        switch metric {
        case .cosine:
            return floatBlock(CosineLanes.self, query, queryNorms, n, dims, block, subsequence, threshold, row)
        case .euclidean:
            return floatBlock(EuclideanLanes.self, query, queryNorms, n, dims, block, subsequence, threshold, row)
        case .squaredEuclidean:
            return floatBlock(SquaredEuclideanLanes.self, query, queryNorms, n, dims, block, subsequence, threshold, row)
        }
    }

    static func floatBlock<C: LaneCost>(_ cost: C.Type, _ query: UnsafePointer<Float>, _ queryNorms: UnsafePointer<Float>,
                                        _ n: Int, _ dims: Int, _ block: DTWBatchDatabase.Block, _ subsequence: Bool,
                                        _ threshold: Float, _ row: UnsafeMutablePointer<V>) -> [Float] {
        let m = block.maxLength
        let inf = V(repeating: .infinity)
        let zero = V(repeating: 0)
        var abandoned = false
        block.features.withUnsafeBufferPointer { fb in
            block.norms.withUnsafeBufferPointer { nb in
                let features = UnsafeRawPointer(fb.baseAddress!)
                let norms = UnsafeRawPointer(nb.baseAddress!)
                let stride = dims * 64  // bytes per frame of all 16 lanes
                let baseOf = { (i: Int) in V(repeating: C.base(queryNorms[i])) }
                @inline(__always) func finish(_ dot: V, _ base: V, _ j: Int) -> V {
                    C.cost(dot: dot, base: base, norm: norms.loadUnaligned(fromByteOffset: j * 64, as: V.self))
                }
                var i = 0
                while i < n {
                    let qa = query + i * dims
                    let baseA = baseOf(i)
                    var leftA = i == 0 && !subsequence ? zero : inf
                    var diagA = inf
                    var rowMinA = inf
                    if i + 1 < n {
                        // Two query rows per sweep: each database frame is loaded once for both,
                        // halving the loads per cell. Row i + 1 reads row i's new values directly.
                        let qb = qa + dims
                        let baseB = baseOf(i + 1)
                        var leftB = inf, previousA = inf, rowMinB = inf
                        for j in 0..<m {
                            let f = features + j * stride
                            // 12 dims (chroma) gets a fully unrolled copy.
                            let (a, b) = dims == 12 ? dots(f, qa, qb, 12) : dots(f, qa, qb, dims)
                            let ca = finish(a, baseA, j), cb = finish(b, baseB, j)
                            let va: V
                            if i == 0 {
                                va = subsequence ? ca : ca + leftA
                            } else {
                                let up = row[j]
                                va = ca + lanewiseMin(lanewiseMin(diagA, up), leftA)
                                diagA = up
                            }
                            let vb = cb + lanewiseMin(lanewiseMin(previousA, va), leftB)
                            row[j] = vb
                            leftA = va; previousA = va; leftB = vb
                            rowMinB = lanewiseMin(rowMinB, vb)
                        }
                        if i + 1 < n - 1 && rowMinB.min() > threshold { abandoned = true; return }
                        i += 2
                    } else {
                        for j in 0..<m {
                            // Cost of query frame i against frame j of all 16 lanes.
                            let f = features + j * stride
                            var dot0 = V(repeating: 0), dot1 = V(repeating: 0), dot2 = V(repeating: 0)
                            var d = 0
                            while d + 3 <= dims {
                                dot0.addProduct(V(repeating: qa[d]), f.loadUnaligned(fromByteOffset: d * 64, as: V.self))
                                dot1.addProduct(V(repeating: qa[d + 1]), f.loadUnaligned(fromByteOffset: (d + 1) * 64, as: V.self))
                                dot2.addProduct(V(repeating: qa[d + 2]), f.loadUnaligned(fromByteOffset: (d + 2) * 64, as: V.self))
                                d += 3
                            }
                            while d < dims {
                                dot0.addProduct(V(repeating: qa[d]), f.loadUnaligned(fromByteOffset: d * 64, as: V.self))
                                d += 1
                            }
                            let c = finish(dot0 + dot1 + dot2, baseA, j)
                            let v: V
                            if i == 0 {
                                v = subsequence ? c : c + leftA
                            } else {
                                let up = row[j]
                                v = c + lanewiseMin(lanewiseMin(diagA, up), leftA)
                                diagA = up
                            }
                            row[j] = v
                            leftA = v
                            rowMinA = lanewiseMin(rowMinA, v)
                        }
                        if i < n - 1 && rowMinA.min() > threshold { abandoned = true; return }
                        i += 1
                    }
                }
            }
        }
        return laneResults(abandoned: abandoned, lengths: block.lengths, subsequence: subsequence) { j, lane in row[j][lane] }
    }

    /// Dot products of query frames `qa` and `qb` with frame `f` of all 16 lanes. Three
    /// accumulators per row cut the chain of dependent FMAs (4 cycles each) to a third: with one,
    /// that chain, not the FMA units, bounded the kernel at 12 dims.
    @inline(__always)
    static func dots(_ f: UnsafeRawPointer, _ qa: UnsafePointer<Float>, _ qb: UnsafePointer<Float>, _ dims: Int) -> (V, V) {
        var a0 = V(repeating: 0), a1 = V(repeating: 0), a2 = V(repeating: 0)
        var b0 = V(repeating: 0), b1 = V(repeating: 0), b2 = V(repeating: 0)
        var d = 0
        while d + 3 <= dims {
            let x0 = f.loadUnaligned(fromByteOffset: d &* 64, as: V.self)
            let x1 = f.loadUnaligned(fromByteOffset: (d &+ 1) &* 64, as: V.self)
            let x2 = f.loadUnaligned(fromByteOffset: (d &+ 2) &* 64, as: V.self)
            a0.addProduct(V(repeating: qa[d]), x0); b0.addProduct(V(repeating: qb[d]), x0)
            a1.addProduct(V(repeating: qa[d &+ 1]), x1); b1.addProduct(V(repeating: qb[d &+ 1]), x1)
            a2.addProduct(V(repeating: qa[d &+ 2]), x2); b2.addProduct(V(repeating: qb[d &+ 2]), x2)
            d &+= 3
        }
        while d < dims {
            let x = f.loadUnaligned(fromByteOffset: d &* 64, as: V.self)
            a0.addProduct(V(repeating: qa[d]), x); b0.addProduct(V(repeating: qb[d]), x)
            d &+= 1
        }
        return (a0 + a1 + a2, b0 + b1 + b2)
    }

    /// Per-lane Hamming DTW costs of a 16-bit hash query against one block (XOR + popcount costs,
    /// saturating `UInt16` accumulation: costs of `saturation` or more come back as `+inf`).
    ///
    /// Written as a fixed 32-lane inner loop over plain `UInt16`: the compiler turns it into AVX2
    /// `vpxor`, `vpshufb` popcount, `vpminuw` and `vpaddw` on two registers (the standard library's
    /// SIMD integer operators are not vectorized by this toolchain).
    static func hashBlock(query: UnsafePointer<UInt16>, n: Int, block: HashBatchDatabase.Block,
                          subsequence: Bool, threshold: Float, row: UnsafeMutablePointer<UInt16>,
                          rowsDone: UnsafeMutablePointer<Int>? = nil) -> [Float] {
        let lanes = HashBatchDatabase.lanes
        let m = block.maxLength
        let limit = threshold >= Float(saturation) ? UInt16.max : UInt16(max(0, threshold.rounded(.down)))
        var abandoned = false
        withUnsafeTemporaryAllocation(of: UInt16.self, capacity: 3 * lanes) { state in
            let left = state.baseAddress!, diag = left + lanes, rowMin = left + 2 * lanes
            block.codes.withUnsafeBufferPointer { cb in
                let codes = cb.baseAddress!
                for i in 0..<n {
                    let q = query[i]
                    for l in 0..<lanes { left[l] = i == 0 && !subsequence ? 0 : .max; diag[l] = .max; rowMin[l] = .max }
                    if i == 0 {
                        hashFirstRow(q, codes, row, m, left, rowMin, subsequence)
                    } else {
                        hashRow(q, codes, row, m, left, diag, rowMin)
                    }
                    rowsDone?.pointee = i + 1
                    if i < n - 1 {
                        var smallest = UInt16.max
                        for l in 0..<lanes { smallest = min(smallest, rowMin[l]) }
                        if smallest > limit { abandoned = true; return }
                    }
                }
            }
        }
        return laneResults(abandoned: abandoned, lengths: block.lengths, subsequence: subsequence) { j, lane in
            let v = row[j * lanes + lane]
            return v >= saturation ? .infinity : Float(v)
        }
    }

    @inline(__always)
    static func hashRow(_ q: UInt16, _ codes: UnsafePointer<UInt16>, _ row: UnsafeMutablePointer<UInt16>, _ m: Int,
                        _ left: UnsafeMutablePointer<UInt16>, _ diag: UnsafeMutablePointer<UInt16>,
                        _ rowMin: UnsafeMutablePointer<UInt16>) {
        let cap = saturation
        for j in 0..<m {
            let r = row + j * 32, c = codes + j * 32
            for l in 0..<32 {
                let cost = UInt16(truncatingIfNeeded: (q ^ c[l]).nonzeroBitCount)
                let up = r[l]
                let v = min(min(min(diag[l], up), left[l]), cap) &+ cost
                r[l] = v; diag[l] = up; left[l] = v; rowMin[l] = min(rowMin[l], v)
            }
        }
    }

    @inline(__always)
    static func hashFirstRow(_ q: UInt16, _ codes: UnsafePointer<UInt16>, _ row: UnsafeMutablePointer<UInt16>, _ m: Int,
                             _ left: UnsafeMutablePointer<UInt16>, _ rowMin: UnsafeMutablePointer<UInt16>, _ subsequence: Bool) {
        let cap = saturation
        for j in 0..<m {
            let r = row + j * 32, c = codes + j * 32
            for l in 0..<32 {
                let cost = UInt16(truncatingIfNeeded: (q ^ c[l]).nonzeroBitCount)
                let v = subsequence ? cost : min(left[l], cap) &+ cost
                r[l] = v; left[l] = v; rowMin[l] = min(rowMin[l], v)
            }
        }
    }

    /// Hamming accumulations at or above this value are reported as `+inf` (65535 - 16).
    static let saturation: UInt16 = .max - 16

    @inline(__always)
    static func laneResults(abandoned: Bool, lengths: [Int], subsequence: Bool, value: (Int, Int) -> Float) -> [Float] {
        var out = [Float](repeating: .infinity, count: lengths.count)
        if abandoned { return out }
        for (lane, length) in lengths.enumerated() where length > 0 {
            if subsequence {
                var best = Float.infinity
                for j in 0..<length { best = min(best, value(j, lane)) }
                out[lane] = best
            } else {
                out[lane] = value(length - 1, lane)
            }
        }
        return out
    }
}
/// How a batch lane turns a dot product into a cost: `base` is the query frame's share (its
/// squared norm, or 1 for cosine), `norm` the database frames' squared norms (0 for cosine).
protocol LaneCost {
    static func base(_ queryNorm: Float) -> Float
    static func cost(dot: BatchKernels.V, base: BatchKernels.V, norm: BatchKernels.V) -> BatchKernels.V
}

/// `1 - a.b` of unit frames, clamped at 0.
enum CosineLanes: LaneCost {
    @inline(__always) static func base(_ queryNorm: Float) -> Float { 1 }
    @inline(__always)
    static func cost(dot: BatchKernels.V, base: BatchKernels.V, norm: BatchKernels.V) -> BatchKernels.V {
        lanewiseMax(base + norm - dot, BatchKernels.V(repeating: 0))
    }
}

/// `|q|^2 + |x|^2 - 2 q.x`, clamped at 0.
enum SquaredEuclideanLanes: LaneCost {
    @inline(__always) static func base(_ queryNorm: Float) -> Float { queryNorm }
    @inline(__always)
    static func cost(dot: BatchKernels.V, base: BatchKernels.V, norm: BatchKernels.V) -> BatchKernels.V {
        var c = base + norm
        c.addProduct(BatchKernels.V(repeating: -2), dot)
        return lanewiseMax(c, BatchKernels.V(repeating: 0))
    }
}

/// The square root of the squared Euclidean cost.
enum EuclideanLanes: LaneCost {
    @inline(__always) static func base(_ queryNorm: Float) -> Float { queryNorm }
    @inline(__always)
    static func cost(dot: BatchKernels.V, base: BatchKernels.V, norm: BatchKernels.V) -> BatchKernels.V {
        SquaredEuclideanLanes.cost(dot: dot, base: base, norm: norm).squareRoot()
    }
}
