import Refrain
import RefrainAlign
import RefrainAudio
import RefrainFeatures
import RefrainIndex
import RefrainMath
import RefrainSymbolic
import RefrainTestSupport

/// `rows x dims` random non-negative frames of unit length (stand-ins for chroma or log-CQT), seeded.
func randomUnitFrames(_ rows: Int, dims: Int, seed: UInt64) -> Matrix {
    var random = SplitMix64(seed: seed)
    var m = Matrix(rows: rows, cols: dims) { _, _ in Float(random.next() % 1000) / 1000 }
    for r in 0..<rows {
        let norm = m.row(r).reduce(0) { $0 + $1 * $1 }.squareRoot()
        for c in 0..<dims { m[r, c] /= norm }
    }
    return m
}
