import RefrainMath

/// Minibatches of random fixed-length crops of labelled feature sequences (Raffel & Ellis train on
/// length-100 subsequences): each batch item is a random sequence and a random start within it, as a
/// `batch x 1 x length x dims` tensor (one channel, time down, features across). Sequences shorter than
/// `length` are zero-padded and their valid length travels in `Tensor.lengths`.
public struct RandomCrops: Sendable {
    /// Feature sequences, `frames x dims` each, all of one `dims`.
    public let sequences: [Matrix]
    /// One class label per sequence.
    public let labels: [Int]
    public let length: Int

    /// - Throws: `RefrainError.invalidArgument` for no sequences, mixed dimensions, empty sequences or a
    ///   label count that differs from the sequence count.
    public init(sequences: [Matrix], labels: [Int], length: Int) throws {
        guard let dims = sequences.first?.cols, length >= 1 else {
            throw RefrainError.invalidArgument("random crops need at least one sequence and a positive length")
        }
        guard sequences.allSatisfy({ $0.cols == dims && $0.rows >= 1 }), labels.count == sequences.count else {
            throw RefrainError.invalidArgument("random crops need non-empty sequences of one dimension and one label each")
        }
        self.sequences = sequences
        self.labels = labels
        self.length = length
    }

    public var dims: Int { sequences[0].cols }

    /// `size` crops: the batch, the label of each crop and the index of the sequence it came from.
    public func batch(_ size: Int, random: inout SeededRandom) -> (input: Tensor, labels: [Int], sources: [Int]) {
        let d = dims
        var data = [Float](repeating: 0, count: size * length * d)
        var lengths = [Int](repeating: length, count: size)
        var sources = [Int](repeating: 0, count: size)
        for b in 0..<size {
            let s = Int(random.next() % UInt64(sequences.count))
            sources[b] = s
            let seq = sequences[s]
            let n = min(length, seq.rows)
            let start = seq.rows > length ? Int(random.next() % UInt64(seq.rows - length + 1)) : 0
            lengths[b] = n
            for t in 0..<n {
                for k in 0..<d { data[(b * length + t) * d + k] = seq.storage[(start + t) * d + k] }
            }
        }
        let padded = lengths.contains { $0 < length }
        return (Tensor(shape: [size, 1, length, d], data: data, lengths: padded ? lengths : nil), sources.map { labels[$0] }, sources)
    }
}
