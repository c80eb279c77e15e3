/// Euclidean distances between the rows of an embedding batch, and their gradient.
///
/// `d(i, j) = sqrt(max(‖e_i - e_j‖², 1e-12))`: the clamp keeps the gradient `(e_i - e_j) / d` finite for
/// coincident points. Used by the contrastive and triplet losses.
struct PairwiseDistances {
    let count: Int
    let dims: Int
    /// `count x count`, row-major.
    var distance: [Float]
    let embeddings: [Float]

    static let floor: Float = 1e-12

    init(_ embeddings: Tensor) {
        count = embeddings.batch
        dims = embeddings.itemSize
        self.embeddings = embeddings.data
        distance = [Float](repeating: 0, count: count * count)
        for i in 0..<count {
            for j in (i + 1)..<max(count, i + 1) {
                let d = Self.distance(embeddings.data, i, j, dims)
                distance[i * count + j] = d
                distance[j * count + i] = d
            }
            distance[i * count + i] = Self.floor.squareRoot()
        }
    }

    static func distance(_ e: [Float], _ i: Int, _ j: Int, _ dims: Int) -> Float {
        var s: Float = 0
        for k in 0..<dims { let d = e[i * dims + k] - e[j * dims + k]; s += d * d }
        return max(s, floor).squareRoot()
    }

    subscript(i: Int, j: Int) -> Float { distance[i * count + j] }

    /// Adds `weight * ∂d(i, j)/∂e` to `gradient` (`count x dims`).
    func accumulate(_ weight: Float, _ i: Int, _ j: Int, into gradient: inout [Float]) {
        guard i != j, weight != 0 else { return }
        let d = distance[i * count + j]
        let s = weight / d
        for k in 0..<dims {
            let diff = (embeddings[i * dims + k] - embeddings[j * dims + k]) * s
            gradient[i * dims + k] += diff
            gradient[j * dims + k] -= diff
        }
    }
}
