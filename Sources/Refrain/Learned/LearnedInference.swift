import Foundation
import RefrainLearn
import RefrainMath

/// Runs learned networks over whole sequences of learned-input frames (`frames x 48`), in chunks so that memory
/// stays bounded on long inputs: each chunk carries `margin` frames of context on either side, more than the
/// front end's receptive field (±8 frames), so chunked and whole outputs agree.
enum LearnedInference {
    /// Input frames per output step (two 2 x 2 poolings).
    static let stride = 4
    /// Frames of context added on each side of a chunk (a multiple of `stride`).
    static let margin = 32
    /// Frames per chunk, without its margins (a multiple of `stride`).
    static let chunk = 4096
    /// Fewest input frames a network takes (one output step after two poolings).
    static let minimumFrames = 8

    /// The per-step outputs of `layers` (a prefix of a network that ends in per-step layers) for `frames`:
    /// `(frames / 4) x outputs`.
    static func perStep(_ layers: ArraySlice<any Layer>, frames: Matrix, threads: Int) -> Matrix {
        let steps = frames.rows / stride
        guard steps > 0 else { return Matrix(rows: 0, cols: 0) }
        var out: Matrix?
        var start = 0
        while start < steps * stride {
            let end = min(start + chunk, steps * stride)
            let lo = max(0, start - margin), hi = min(frames.rows, end + margin)
            let x = Tensor(shape: [1, 1, hi - lo, frames.cols], data: Array(frames.storage[(lo * frames.cols)..<(hi * frames.cols)]))
            var y = x
            let pass = Pass(training: false, threads: threads)
            for layer in layers { y = layer.forward(y, pass) }
            let width = y.shape[y.shape.count - 1]
            if out == nil { out = Matrix(rows: steps, cols: width) }
            let first = (start - lo) / stride, count = (end - start) / stride
            let available = y.count / width
            for s in 0..<count where first + s < available {
                let src = (first + s) * width, dst = (start / stride + s) * width
                out!.storage.replaceSubrange(dst..<(dst + width), with: y.data[src..<(src + width)])
            }
            start = end
        }
        return out ?? Matrix(rows: 0, cols: 0)
    }

    /// Times (seconds) of output steps: the centre of the 4 frames each covers.
    static func stepTimes(_ steps: Int) -> [Double] {
        (0..<steps).map { (Double($0 * stride) + 1.5) / LearnedInput.frameRate }
    }
}
