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
