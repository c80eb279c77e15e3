import RefrainMath

extension BatchKernels {
    /// Per-lane Hamming DTW costs of a 16-bit hash query against one block inside each lane's own `band`
    /// (`HashBand`: the diagonal of the lane's length-fitted sequences plus or minus its radius); full DTW only.
    /// Equal to `DTW.distance(cost:options:)` with `.band(radius:)` on the lane's Hamming cost matrix.
    ///
    /// Row `i` runs over the union of the lanes' windows (lanes of a block have similar lengths, so the
    /// union is little wider than one window); a cell outside its own lane's window holds the saturation
    /// value (infinite). Columns the previous row did not reach are reset before they are read. Early
    /// abandoning as `hashBlock`: every path crosses every row, so a row's minimum bounds the final cost,
    /// and in a band the minimum grows quickly for a sequence that does not match.
    /// - Parameters:
    ///   - row: scratch of at least `block.maxLength x 32` values.
    ///   - cells: incremented by the cells computed (columns run x 32 lanes, per row).
    /// - Returns: `+inf` for empty lanes, for lanes with no path inside the band, and for every lane when
    ///   the block was abandoned.
    static func hashBlockBanded(query: UnsafePointer<UInt16>, n: Int, block: HashBatchDatabase.Block, band: HashBand,
                                threshold: Float, row: UnsafeMutablePointer<UInt16>, cells: inout Int) -> [Float] {
        let lanes = HashBatchDatabase.lanes
        let limit = threshold >= Float(saturation) ? UInt16.max : UInt16(max(0, threshold.rounded(.down)))
        let cap = saturation
        let slopes = block.lengths.map { n > 1 && $0 > 0 ? Double($0 - 1) / Double(n - 1) : 0 }
        let radii = block.lengths.map { Double(band.radius(length: $0)) }
        var abandoned = false
        var computed = 0
        withUnsafeTemporaryAllocation(of: UInt16.self, capacity: 5 * lanes) { state in
            let left = state.baseAddress!, diag = left + lanes, rowMin = left + 2 * lanes, lo = left + 3 * lanes, hi = left + 4 * lanes
            block.codes.withUnsafeBufferPointer { cb in
                let codes = cb.baseAddress!
                var previousFirst = 0, previousLast = -1
                for i in 0..<n {
                    // This row's window of each lane, and their union.
                    var first = Int.max, last = -1
                    for l in 0..<lanes {
                        let length = block.lengths[l]
                        let centre = Double(i) * slopes[l]
                        let a = length > 0 ? max(0, Int((centre - radii[l]).rounded(.up))) : 1
                        let b = length > 0 ? min(length - 1, Int((centre + radii[l]).rounded(.down))) : 0
                        if a > b {
                            lo[l] = .max; hi[l] = 0
                        } else {
                            lo[l] = UInt16(a); hi[l] = UInt16(b)
                            first = min(first, a); last = max(last, b)
                        }
                    }
                    if last < first { abandoned = true; return }
                    // Columns the previous row did not reach hold older rows' values: infinite above this row.
                    if i > 0 && last > previousLast {
                        for j in max(previousLast + 1, first)...last { for l in 0..<lanes { row[j * lanes + l] = cap } }
                    }
                    let q = query[i]
                    let diagonalKnown = i > 0 && first >= 1 && first - 1 >= previousFirst && first - 1 <= previousLast
                    for l in 0..<lanes {
                        left[l] = i == 0 ? 0 : cap
                        diag[l] = diagonalKnown ? row[(first - 1) * lanes + l] : cap
                        rowMin[l] = .max
                    }
                    bandedRow(q, codes, row, first, last, i == 0, left, diag, rowMin, lo, hi)
                    computed += (last - first + 1) * lanes
                    previousFirst = first; previousLast = last
                    if i < n - 1 {
                        var smallest = UInt16.max
                        for l in 0..<lanes { smallest = min(smallest, rowMin[l]) }
                        if smallest > limit { abandoned = true; return }
                    }
                }
            }
        }
        cells += computed
        return laneResults(abandoned: abandoned, lengths: block.lengths, subsequence: false) { j, lane in
            let v = row[j * lanes + lane]
            return v >= saturation ? .infinity : Float(v)
        }
    }

    /// One row of banded Hamming DTW over columns `first...last` of all 32 lanes: a cell outside its lane's
    /// window `lo...hi` becomes the saturation value. The first row (`top`) comes only from the left.
    @inline(__always)
    static func bandedRow(_ q: UInt16, _ codes: UnsafePointer<UInt16>, _ row: UnsafeMutablePointer<UInt16>, _ first: Int, _ last: Int,
                          _ top: Bool, _ left: UnsafeMutablePointer<UInt16>, _ diag: UnsafeMutablePointer<UInt16>,
                          _ rowMin: UnsafeMutablePointer<UInt16>, _ lo: UnsafeMutablePointer<UInt16>, _ hi: UnsafeMutablePointer<UInt16>) {
        let cap = saturation
        for j in first...last {
            let r = row + j * 32, c = codes + j * 32
            let column = UInt16(truncatingIfNeeded: j)
            for l in 0..<32 {
                let cost = UInt16(truncatingIfNeeded: (q ^ c[l]).nonzeroBitCount)
                let up = top ? cap : r[l]
                let reached = min(min(min(diag[l], up), left[l]), cap) &+ cost
                let v = column >= lo[l] && column <= hi[l] ? reached : cap
                r[l] = v; diag[l] = up; left[l] = v; rowMin[l] = min(rowMin[l], v)
            }
        }
    }
}
