import Foundation
import RefrainMath
import XCTest

final class ImageTests: XCTestCase {
    func testHeatmapPutsLowDimensionsAtTheBottom() {
        // Two frames, three dims; value grows with the dimension index.
        let m = Matrix(rowArrays: [[0, 1, 2], [0, 1, 2]])
        let image = Heatmap.image(of: m, colormap: .gray)
        XCTAssertEqual(image.width, 2)
        XCTAssertEqual(image.height, 3)
        XCTAssertEqual(image.pixels[0], 255)  // top-left: highest dim, brightest
        XCTAssertEqual(image.pixels[3 * 2 * 2], 0)  // bottom-left: dim 0, darkest
    }

    func testPNGSignatureAndSize() throws {
        var image = RGBImage(width: 20, height: 10)
        image.line(from: (0, 0), to: (19, 9), (255, 255, 255))
        let data = try image.pngData()
        XCTAssertEqual(Array(data.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // IHDR width and height, big-endian, at bytes 16..<24.
        XCTAssertEqual(Array(data[16..<24]), [0, 0, 0, 20, 0, 0, 0, 10])
        XCTAssertEqual(image.pixels[3 * (9 * 20 + 19)], 255)
    }

    func testColormapEndsAndClamping() {
        XCTAssertEqual(Colormap.gray.color(-5).0, 0)
        XCTAssertEqual(Colormap.gray.color(7).0, 255)
        XCTAssertEqual(Colormap.gray.color(.nan).0, 0)
    }
}
