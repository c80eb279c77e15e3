import Foundation
import RefrainFeatures
import RefrainMath

/// PNG pictures of features, as `refrain features --png` and the server draw them.
public enum FeaturePicture {
    /// The picture of a computed feature: the onset curve with beat ticks for `onset` and `beats`, the f0
    /// contour over a log-frequency spectrogram for `f0` (`pitchPicture`), else a heat map (time left to right, low pitch at the bottom; the CQT in dB relative to its peak).
    public static func image(of result: FeatureResult) throws -> RGBImage {
        switch result.request.kind {
        case .onset, .beats:
            guard let curve = result.onsetCurve else { throw RefrainError.invalidArgument("no onset curve to draw") }
            return try curveImage(curve.values.storage, ticks: result.beats?.frames ?? [])
        case .cqt:
            return heatmap(amplitudeToDB(result.features.values, reference: .maximum))
        case .f0, .melodyF0:
            guard let pitch = result.pitch else { throw RefrainError.invalidArgument("no pitch track to draw") }
            return try pitchPicture(pitch.samples, track: pitch.track, parameters: pitch.parameters)
        default:
            return heatmap(result.features.values)
        }
    }

    /// A feature sequence (`frames x dims`) as a heat map: time left to right, dimension 0 at the bottom; small
    /// dimensions are scaled up so that the picture is at least ~240 pixels tall and ~800 wide.
    public static func heatmap(_ values: Matrix, colormap: Colormap = .magma) -> RGBImage {
        let yScale = max(1, 240 / max(values.cols, 1))
        let xScale = max(1, min(8, (800 + values.rows - 1) / max(values.rows, 1)))
        return Heatmap.image(of: values, colormap: colormap, xScale: xScale, yScale: yScale)
    }

    /// A 1-D curve (e.g. onset strength, one value per frame): white over a dark background, scaled to its
    /// maximum, with a dashed red tick at every frame in `ticks` (e.g. beats); 200 pixels high and 1 to 4
    /// pixels per frame (frames are averaged when there are more than 4000).
    public static func curveImage(_ values: [Float], ticks: [Int]) throws -> RGBImage {
        guard !values.isEmpty else { throw RefrainError.invalidArgument("nothing to plot: the curve is empty") }
        let perPixel = max(1, (values.count + 3999) / 4000)
        let columns = (values.count + perPixel - 1) / perPixel
        let xScale = max(1, min(4, 1600 / columns))
        let width = columns * xScale, height = 200
        let peak = max(values.max() ?? 0, 1e-12)
        var image = RGBImage(width: width, height: height, background: (16, 16, 24))
        for tick in ticks where tick >= 0 && tick < values.count {
            let x = tick / perPixel * xScale
            for y in 0..<height where y % 4 != 3 { image.set(x: x, y: y, (200, 60, 60)) }
        }
        var previous: (x: Int, y: Int)?
        for c in 0..<columns {
            let lo = c * perPixel, hi = min(values.count, lo + perPixel)
            let v = values[lo..<hi].reduce(0, +) / Float(hi - lo)
            let point = (x: c * xScale + xScale / 2, y: height - 1 - Int((max(0, v) / peak * Float(height - 10)).rounded()))
            image.line(from: previous ?? point, to: point, (235, 235, 235))
            previous = point
        }
        return image
    }
}
