/// Renders matrices as heat-map images.
public enum Heatmap {
    /// A picture of a feature sequence (`frames x dims`): time runs left to right, dimension 0
    /// (the lowest pitch) at the bottom. Values are scaled linearly from `range` (default: the
    /// matrix's finite minimum and maximum) onto `colormap`. Each frame is `xScale` pixels wide and
    /// each dimension `yScale` pixels tall.
    public static func image(of features: Matrix, colormap: Colormap = .magma,
                             range: ClosedRange<Float>? = nil, xScale: Int = 1, yScale: Int = 1) -> RGBImage {
        let frames = max(features.rows, 1), dims = max(features.cols, 1)
        let (lo, hi) = range.map { ($0.lowerBound, $0.upperBound) } ?? finiteRange(features.storage)
        let span = hi > lo ? hi - lo : 1
        var image = RGBImage(width: frames, height: dims)
        for t in 0..<features.rows {
            for d in 0..<features.cols {
                image.set(x: t, y: dims - 1 - d, colormap.color((features[t, d] - lo) / span))
            }
        }
        return (xScale > 1 || yScale > 1) ? image.scaled(x: xScale, y: yScale) : image
    }

    /// Minimum and maximum of the finite values (0...1 when there are none).
    public static func finiteRange(_ values: [Float]) -> (Float, Float) {
        var lo = Float.infinity, hi = -Float.infinity
        for v in values where v.isFinite { lo = min(lo, v); hi = max(hi, v) }
        return lo <= hi ? (lo, hi) : (0, 1)
    }
}
