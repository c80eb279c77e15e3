import RefrainMath

/// Weights of the three moves of the standard step pattern (librosa's `weights_mul` / `weights_add`
/// for steps `[[1, 1], [0, 1], [1, 0]]`): a move into cell `(i, j)` costs `mul * C[i, j] + add`.
///
/// "Horizontal" advances the second sequence only (`(i, j-1) -> (i, j)`), "vertical" the first only.
public struct StepWeights: Equatable, Sendable {
    public var diagonalMul: Float, horizontalMul: Float, verticalMul: Float
    public var diagonalAdd: Float, horizontalAdd: Float, verticalAdd: Float

    public init(diagonalMul: Float = 1, horizontalMul: Float = 1, verticalMul: Float = 1,
                diagonalAdd: Float = 0, horizontalAdd: Float = 0, verticalAdd: Float = 0) {
        self.diagonalMul = diagonalMul; self.horizontalMul = horizontalMul; self.verticalMul = verticalMul
        self.diagonalAdd = diagonalAdd; self.horizontalAdd = horizontalAdd; self.verticalAdd = verticalAdd
    }

    /// Every move costs exactly the cell's cost.
    public static let standard = StepWeights()

    /// Raffel & Ellis (2016): an additive `penalty` on non-diagonal moves.
    public static func nonDiagonalPenalty(_ penalty: Float) -> StepWeights {
        StepWeights(horizontalAdd: penalty, verticalAdd: penalty)
    }

    /// The weights for the transposed problem (horizontal and vertical swap roles).
    var transposed: StepWeights {
        StepWeights(diagonalMul: diagonalMul, horizontalMul: verticalMul, verticalMul: horizontalMul,
                    diagonalAdd: diagonalAdd, horizontalAdd: verticalAdd, verticalAdd: horizontalAdd)
    }

    var isStandard: Bool { self == .standard }
    /// Lower bounds and early abandoning assume that no move is cheaper than its cell's cost.
    var neverDiscounts: Bool {
        diagonalMul >= 1 && horizontalMul >= 1 && verticalMul >= 1
            && diagonalAdd >= 0 && horizontalAdd >= 0 && verticalAdd >= 0
    }
}

/// A global path constraint: which cells `(i, j)` of an `N x M` cost matrix a path may visit.
public enum GlobalConstraint: Equatable, Sendable {
    /// Every cell.
    case none
    /// Sakoe & Chiba (1978) band with librosa's convention (`global_constraints=True, band_rad=`):
    /// the radius in cells is `round(radiusFraction * min(N, M))`, widened by `|N - M|` on the side
    /// of the longer sequence, and cells at the radius itself are excluded.
    case sakoeChiba(radiusFraction: Float)
    /// Sakoe-Chiba band with an absolute radius in frames (cells with `|j - i * M/N| <= radius`).
    case band(radius: Int)
    /// Itakura (1975) parallelogram of maximum slope `slope` (> 1; smaller values act as 1.0001), with
    /// slopes measured relative to the matrix diagonal: in normalised coordinates `x = i / (N-1)`,
    /// `y = j / (M-1)` (the diagonal runs from `(0, 0)` to `(1, 1)`), cell `(i, j)` is allowed iff both
    /// the slope seen from the first corner, `y / x`, and the slope seen from the last, `(1-y) / (1-x)`,
    /// lie in `[1/slope, slope]`, bounds included (so row 0 allows only column 0, and row `N-1` only
    /// column `M-1`). For `N == M` this is tslearn's `itakura_mask`; for `N != M` tslearn scales the
    /// bounds by `N/M` rather than `(N-1)/(M-1)`, so its parallelogram is not centred on the diagonal,
    /// and Itakura's original bounds are absolute (unscaled). The window is symmetric: the `M x N`
    /// window is the transpose of the `N x M` one. A path's first move must then be diagonal, into
    /// `(1, 1)`, so there is no admissible path unless `(N-1)/(M-1)` lies in `[1/slope, slope]` (none for
    /// a 1-frame sequence against a longer one).
    case itakura(slope: Float)

    /// For every row `i`, the allowed columns `lo[i]...hi[i]` (empty when `lo > hi`).
    public func window(rows n: Int, cols m: Int) -> (lo: [Int], hi: [Int]) {
        var lo = [Int](repeating: 0, count: n), hi = [Int](repeating: m - 1, count: n)
        switch self {
        case .none:
            break
        case .sakoeChiba(let fraction):
            let radius = Int((Double(fraction) * Double(min(n, m))).rounded(.toNearestOrEven))
            let offset = abs(n - m)
            for i in 0..<n {
                if n < m {
                    lo[i] = i - radius + 1; hi[i] = i + radius + offset - 1
                } else {
                    lo[i] = i - radius - offset + 1; hi[i] = i + radius - 1
                }
            }
        case .band(let radius):
            let slope = n > 1 ? Double(m - 1) / Double(n - 1) : 0
            for i in 0..<n {
                let centre = Double(i) * slope
                lo[i] = Int((centre - Double(radius)).rounded(.up))
                hi[i] = Int((centre + Double(radius)).rounded(.down))
            }
        case .itakura(let s):
            let slope = Double(max(s, 1.0001))
            let n1 = Double(max(n - 1, 1)), m1 = Double(max(m - 1, 1))
            for i in 0..<n {
                let x = Double(i) / n1  // normalized position, path from (0,0) to (1,1)
                let low = max(x / slope, 1 - (1 - x) * slope)
                let high = min(x * slope, 1 - (1 - x) / slope)
                lo[i] = Int((low * m1 - 1e-9).rounded(.up))
                hi[i] = Int((high * m1 + 1e-9).rounded(.down))
            }
        }
        for i in 0..<n { lo[i] = max(lo[i], 0); hi[i] = min(hi[i], m - 1) }
        return (lo, hi)
    }
}

/// Options of dynamic time warping with the standard step pattern.
public struct DTWOptions: Equatable, Sendable {
    public var weights: StepWeights
    public var constraint: GlobalConstraint

    public init(weights: StepWeights = .standard, constraint: GlobalConstraint = .none) {
        self.weights = weights
        self.constraint = constraint
    }
}

/// One cell of a warping path: frame `i` of the first sequence matched with frame `j` of the second.
public struct PathStep: Equatable, Hashable, Sendable {
    public var i: Int
    public var j: Int
    public init(_ i: Int, _ j: Int) { self.i = i; self.j = j }
}

extension PathStep {
    /// The cell a path came from, given the accumulated cost of arriving by each move (`+inf` where
    /// a move is impossible); ties go to the diagonal, then the horizontal, then the vertical move
    /// (librosa's order). With every arrival infinite, the diagonal (or the only possible) move.
    static func predecessor(of i: Int, _ j: Int, diagonal: Float, horizontal: Float, vertical: Float) -> PathStep {
        var best = Float.infinity, move = 0
        if i > 0 && j > 0 && diagonal < best { best = diagonal; move = 0 }
        if j > 0 && horizontal < best { best = horizontal; move = 1 }
        if i > 0 && vertical < best { best = vertical; move = 2 }
        if best == .infinity { move = i > 0 && j > 0 ? 0 : (j > 0 ? 1 : 2) }
        switch move {
        case 0: return PathStep(i - 1, j - 1)
        case 1: return PathStep(i, j - 1)
        default: return PathStep(i - 1, j)
        }
    }
}
