import ArgumentParser
import Foundation
import Refrain

/// Runs `body`; a `RefrainError` is printed as one line `error: <message>` on standard error and the command
/// exits with status 1 (ArgumentParser's own messages and exit codes pass through unchanged).
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as RefrainError {
        FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
        throw ExitCode.failure
    }
}

/// Writes a feature sequence (`frames x dims`) as a heat map: time left to right, dimension 0 at the bottom;
/// small dimensions are scaled up so that the picture is at least ~240 pixels tall and ~800 wide.
func writeFeaturePNG(_ values: Matrix, to url: URL, colormap: Colormap = .magma) throws {
    let yScale = max(1, 240 / max(values.cols, 1))
    let xScale = max(1, min(8, (800 + values.rows - 1) / max(values.rows, 1)))
    try Heatmap.image(of: values, colormap: colormap, xScale: xScale, yScale: yScale).writePNG(to: url)
}

/// "1.23 s" style durations and plain number formatting for summaries.
func fmt(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }

/// A readable plot of a 1-D curve (e.g. onset strength, one value per frame): the curve in white over a dark
/// background, scaled to its maximum, with a vertical tick at every frame in `ticks` (e.g. beats), 200 pixels
/// high and 1 to 4 pixels per frame (frames are averaged when there are more than 4000).
func writeCurvePNG(_ values: [Float], ticks: [Int], to url: URL) throws {
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
    try image.writePNG(to: url)
}
