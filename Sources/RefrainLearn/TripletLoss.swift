import RefrainMath

/// The triplet hinge loss `max(0, d(a, p) - d(a, n) + margin)` over the triplets of a labelled batch
/// (Euclidean distances, see `PairwiseDistances`), with three ways of choosing the triplets:
///
/// - `batchAll`: every valid triplet (anchor, positive of its class, negative of another); the sum of the
///   losses divided by the number of triplets whose loss is positive (Hermans, Beyer & Leibe 2017).
/// - `semiHard`: for every positive pair (a, p), the nearest negative farther than `d(a, p)` (Schroff,
///   Kalenichenko & Philbin, "FaceNet", CVPR 2015); the farthest negative when there is none; mean over pairs.
/// - `hard`: for every anchor, its farthest positive and nearest negative ("batch hard", Hermans et al.);
///   mean over anchors that have both.
///
/// Ties go to the lowest index. Mining happens on the current embeddings; the gradient flows through the
/// chosen distances only.
public struct TripletLoss: Sendable {
    public enum Mining: String, Sendable, CaseIterable { case batchAll = "all", semiHard = "semihard", hard }
    public var margin: Float
    public var mining: Mining

    public init(margin: Float, mining: Mining) {
        self.margin = margin
        self.mining = mining
    }

    /// Loss and gradient with respect to `embeddings` (`batch x dims`), for integer class `labels`.
    /// - Throws: `RefrainError.invalidArgument` when the batch has no valid triplet (every item needs a
    ///   positive and a negative somewhere in the batch).
    public func evaluate(embeddings: Tensor, labels: [Int]) throws -> (value: Float, gradient: Tensor) {
        let n = embeddings.batch
        guard labels.count == n else { throw RefrainError.invalidArgument("triplet loss: \(labels.count) labels for \(n) embeddings") }
        let dist = PairwiseDistances(embeddings)
        var grad = [Float](repeating: 0, count: embeddings.count)
        var triplets: [(a: Int, p: Int, n: Int)] = []
        switch mining {
        case .batchAll:
            for a in 0..<n {
                for p in 0..<n where p != a && labels[p] == labels[a] {
                    for q in 0..<n where labels[q] != labels[a] { triplets.append((a, p, q)) }
                }
            }
        case .semiHard:
            for a in 0..<n {
                for p in 0..<n where p != a && labels[p] == labels[a] {
                    let dap = dist[a, p]
                    var outside: Int?, inside: Int?
                    for q in 0..<n where labels[q] != labels[a] {
                        let daq = dist[a, q]
                        if daq > dap, outside == nil || daq < dist[a, outside!] { outside = q }
                        if inside == nil || daq > dist[a, inside!] { inside = q }
                    }
                    if let q = outside ?? inside { triplets.append((a, p, q)) }
                }
            }
        case .hard:
            for a in 0..<n {
                var far: Int?, near: Int?
                for q in 0..<n where q != a {
                    if labels[q] == labels[a] {
                        if far == nil || dist[a, q] > dist[a, far!] { far = q }
                    } else if near == nil || dist[a, q] < dist[a, near!] {
                        near = q
                    }
                }
                if let far, let near { triplets.append((a, far, near)) }
            }
        }
        guard !triplets.isEmpty else {
            throw RefrainError.invalidArgument("triplet loss: the batch has no valid triplet (needs two items of one class and one of another)")
        }
        var total: Float = 0, active = 0
        var losses = [Float](repeating: 0, count: triplets.count)
        for (k, t) in triplets.enumerated() {
            let l = dist[t.a, t.p] - dist[t.a, t.n] + margin
            if l > 0 { losses[k] = l; total += l; active += 1 }
        }
        let divisor = mining == .batchAll ? max(active, 1) : triplets.count
        let scale = 1 / Float(divisor)
        for (k, t) in triplets.enumerated() where losses[k] > 0 {
            dist.accumulate(scale, t.a, t.p, into: &grad)
            dist.accumulate(-scale, t.a, t.n, into: &grad)
        }
        return (total * scale, Tensor(shape: embeddings.shape, data: grad))
    }
}
