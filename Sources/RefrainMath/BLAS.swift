import CBLAS
import Dispatch

/// Raw-pointer entry points into OpenBLAS for code that keeps its own contiguous Float32 buffers (layers of
/// a network, im2col columns): row-major, with leading dimensions, so that sub-blocks and strided views need
/// no copies. Work is split over at most `threads` cores by Refrain (OpenBLAS itself runs one thread, see
/// `BLASThreads`); the split is by rows of the output, or by columns when it has more columns than rows, so
/// every output element is computed by one call and results do not depend on the split.
public enum BLAS {
    /// Products smaller than this many multiply-adds run on one core (a dispatch costs more than it saves).
    public static let parallelWork = 1 << 18

    /// `C = alpha * op(A) * op(B) + beta * C`, row-major: `op(A)` is `m x k`, `op(B)` is `k x n`, `C` is
    /// `m x n`; `lda`, `ldb`, `ldc` are the row strides (in elements) of the stored `A`, `B`, `C`.
    public static func sgemm(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
                             alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int = 1) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            for r in 0..<m { for j in 0..<n { c[r * ldc + j] = beta == 0 ? 0 : beta * c[r * ldc + j] } }
            return
        }
        let ta = transposeA ? CblasTrans : CblasNoTrans, tb = transposeB ? CblasTrans : CblasNoTrans
        let parts = m * n * k >= parallelWork ? max(1, min(threads, max(m, n))) : 1
        if parts == 1 {
            cblas_sgemm(CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
                        beta, c, Int32(ldc))
            return
        }
        let (a0, b0, c0) = (UncheckedSendable(a), UncheckedSendable(b), UncheckedSendable(c))
        // Split the output along its longer side: with a small batch (m) and a large weight matrix (op(B),
        // k x n), column blocks let each core stream only its share of the weights.
        if m >= n {
            // Row block [lo, hi) of C: rows lo..<hi of op(A) (columns of the stored A when transposed).
            DispatchQueue.concurrentPerform(iterations: parts) { p in
                let lo = m * p / parts, hi = m * (p + 1) / parts
                guard hi > lo else { return }
                let start = a0.value + (transposeA ? lo : lo * lda)
                cblas_sgemm(CblasRowMajor, ta, tb, Int32(hi - lo), Int32(n), Int32(k), alpha, start, Int32(lda),
                            b0.value, Int32(ldb), beta, c0.value + lo * ldc, Int32(ldc))
            }
        } else {
            // Column block [lo, hi) of C: columns lo..<hi of op(B) (rows of the stored B when transposed).
            DispatchQueue.concurrentPerform(iterations: parts) { p in
                let lo = n * p / parts, hi = n * (p + 1) / parts
                guard hi > lo else { return }
                let start = b0.value + (transposeB ? lo * ldb : lo)
                cblas_sgemm(CblasRowMajor, ta, tb, Int32(m), Int32(hi - lo), Int32(k), alpha, a0.value, Int32(lda),
                            start, Int32(ldb), beta, c0.value + lo, Int32(ldc))
            }
        }
    }

    /// Dot product of `count` elements.
    @inline(__always)
    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        return cblas_sdot(Int32(count), x, 1, y, 1)
    }

    /// `y += alpha * x` over `count` elements.
    @inline(__always)
    public static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        cblas_saxpy(Int32(count), alpha, x, 1, y, 1)
    }
}

/// Runs `body(part, range)` for `parts` contiguous blocks of `0..<count` (at most `threads` of them, at least
/// one element each) concurrently; one block runs on the calling thread. The blocks depend only on `count`
/// and `threads`, so work that keeps one partial result per block is reproducible for a given thread count.
public func forEachBlock(_ count: Int, threads: Int, _ body: @Sendable (_ part: Int, _ range: Range<Int>) -> Void) {
    let parts = blockCount(count, threads: threads)
    guard parts > 1 else { if count > 0 { body(0, 0..<count) }; return }
    DispatchQueue.concurrentPerform(iterations: parts) { p in
        body(p, (count * p / parts)..<(count * (p + 1) / parts))
    }
}

/// How many blocks `forEachBlock(count, threads:)` uses.
public func blockCount(_ count: Int, threads: Int) -> Int { max(1, min(threads, count)) }
