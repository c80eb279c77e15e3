import RefrainMath

/// Database sequences laid out for the batch DTW kernels: sorted by length and grouped into blocks
/// of `lanes` sequences, one sequence per SIMD lane, padded to the block's longest member. Frame `j`
/// of every lane sits side by side, so one vector load fetches frame `j` of all lanes.
public struct DTWBatchDatabase: Sendable {
    /// Lanes per block: two AVX2 registers of `Float`.
    public static let lanes = 16
    struct Block: Sendable {
        /// Index of each lane's sequence in the caller's array, `-1` for an empty lane.
        var members: [Int]
        /// Frames of each lane's sequence (0 for an empty lane).
        var lengths: [Int]
        var maxLength: Int
        /// `maxLength x dims x lanes`: `features[(j * dims + d) * lanes + lane]`.
        var features: [Float]
        /// `maxLength x lanes` squared norms (ones' worth of 0 for cosine, which normalizes instead).
        var norms: [Float]
    }

    public let count: Int
    public let dimension: Int
    public let metric: CostMetric
    let blocks: [Block]
    /// Total frames over all sequences.
    public let totalFrames: Int

    /// Prepares `sequences` (each `frames x dims`, equal dims, at least one frame) for `metric`.
    /// Cosine features are normalized here (cost `1 - a.b`); (squared) Euclidean costs use
    /// `|q|^2 + |x|^2 - 2 q.x`, which is exact up to float rounding of that expansion (clamped at 0).
    public init(sequences: [Matrix], metric: CostMetric = .squaredEuclidean) throws {
        let dims = sequences.first?.cols ?? 0
        for (k, s) in sequences.enumerated() {
            guard s.cols == dims else { throw RefrainError.invalidArgument("sequence \(k) has \(s.cols) dims, expected \(dims)") }
            guard s.rows > 0 else { throw RefrainError.invalidArgument("sequence \(k) is empty") }
        }
        count = sequences.count
        dimension = dims
        self.metric = metric
        totalFrames = sequences.reduce(0) { $0 + $1.rows }
        let order = sequences.indices.sorted { sequences[$0].rows > sequences[$1].rows }
        let lanes = Self.lanes
        var blocks: [Block] = []
        for start in stride(from: 0, to: order.count, by: lanes) {
            let members = (0..<lanes).map { start + $0 < order.count ? order[start + $0] : -1 }
            let lengths = members.map { $0 >= 0 ? sequences[$0].rows : 0 }
            let maxLength = lengths.max() ?? 0
            var features = [Float](repeating: 0, count: maxLength * dims * lanes)
            var norms = [Float](repeating: 0, count: maxLength * lanes)
            for (lane, member) in members.enumerated() where member >= 0 {
                let s = sequences[member]
                for j in 0..<s.rows {
                    var sq: Float = 0
                    for d in 0..<dims { sq += s[j, d] * s[j, d] }
                    let scale: Float = metric == .cosine ? (sq > 0 ? 1 / sq.squareRoot() : 0) : 1
                    for d in 0..<dims { features[(j * dims + d) * lanes + lane] = s[j, d] * scale }
                    norms[j * lanes + lane] = metric == .cosine ? 0 : sq
                }
            }
            blocks.append(Block(members: members, lengths: lengths, maxLength: maxLength, features: features, norms: norms))
        }
        self.blocks = blocks
    }
}

/// 16-bit hash sequences (Raffel & Ellis 2015) laid out for the batch Hamming kernel: 32 lanes of
/// `UInt16` (two AVX2 registers), frame `j` of every lane side by side.
public struct HashBatchDatabase: Sendable {
    public static let lanes = 32
    struct Block: Sendable {
        var members: [Int]
        var lengths: [Int]
        var maxLength: Int
        /// `maxLength x lanes`.
        var codes: [UInt16]
    }

    public let count: Int
    let blocks: [Block]
    public let totalFrames: Int

    public init(sequences: [[UInt16]]) throws {
        for (k, s) in sequences.enumerated() where s.isEmpty {
            throw RefrainError.invalidArgument("hash sequence \(k) is empty")
        }
        count = sequences.count
        totalFrames = sequences.reduce(0) { $0 + $1.count }
        let order = sequences.indices.sorted { sequences[$0].count > sequences[$1].count }
        let lanes = Self.lanes
        var blocks: [Block] = []
        for start in stride(from: 0, to: order.count, by: lanes) {
            let members = (0..<lanes).map { start + $0 < order.count ? order[start + $0] : -1 }
            let lengths = members.map { $0 >= 0 ? sequences[$0].count : 0 }
            let maxLength = lengths.max() ?? 0
            var codes = [UInt16](repeating: 0, count: maxLength * lanes)
            for (lane, member) in members.enumerated() where member >= 0 {
                for (j, code) in sequences[member].enumerated() { codes[j * lanes + lane] = code }
            }
            blocks.append(Block(members: members, lengths: lengths, maxLength: maxLength, codes: codes))
        }
        self.blocks = blocks
    }
}
