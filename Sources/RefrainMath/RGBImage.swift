import CPNG
import Foundation

/// An 8-bit RGB raster, row 0 at the top, written to PNG through libpng's simplified API.
public struct RGBImage: Sendable {
    public let width: Int
    public let height: Int
    /// `height * width * 3` bytes, row-major, RGB.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, background: (UInt8, UInt8, UInt8) = (0, 0, 0)) {
        precondition(width > 0 && height > 0, "image must be at least 1x1")
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            pixels[3 * i] = background.0; pixels[3 * i + 1] = background.1; pixels[3 * i + 2] = background.2
        }
    }

    /// Sets pixel `(x, y)` (`y = 0` at the top); coordinates outside the image are ignored.
    public mutating func set(x: Int, y: Int, _ color: (UInt8, UInt8, UInt8)) {
        guard x >= 0, x < width, y >= 0, y < height else { return }
        let i = 3 * (y * width + x)
        pixels[i] = color.0; pixels[i + 1] = color.1; pixels[i + 2] = color.2
    }

    /// Draws a straight line between two pixels (Bresenham).
    public mutating func line(from a: (x: Int, y: Int), to b: (x: Int, y: Int), _ color: (UInt8, UInt8, UInt8)) {
        var x = a.x, y = a.y
        let dx = abs(b.x - a.x), dy = -abs(b.y - a.y)
        let sx = a.x < b.x ? 1 : -1, sy = a.y < b.y ? 1 : -1
        var err = dx + dy
        while true {
            set(x: x, y: y, color)
            if x == b.x && y == b.y { break }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x += sx }
            if e2 <= dx { err += dx; y += sy }
        }
    }

    /// Nearest-neighbour enlargement by whole factors, so that a 12-row chroma stays readable.
    public func scaled(x fx: Int, y fy: Int) -> RGBImage {
        precondition(fx >= 1 && fy >= 1)
        var out = RGBImage(width: width * fx, height: height * fy)
        for y in 0..<out.height {
            for x in 0..<out.width {
                let s = 3 * ((y / fy) * width + x / fx), d = 3 * (y * out.width + x)
                out.pixels[d] = pixels[s]; out.pixels[d + 1] = pixels[s + 1]; out.pixels[d + 2] = pixels[s + 2]
            }
        }
        return out
    }

    /// Encodes the image as PNG bytes.
    public func pngData() throws -> Data {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = UInt32(PNG_FORMAT_RGB)
        var size: Int = 0
        let ok = pixels.withUnsafeBufferPointer { p -> Bool in
            guard png_image_write_to_memory(&image, nil, &size, 0, p.baseAddress, Int32(width * 3), nil) != 0 else { return false }
            return true
        }
        guard ok, size > 0 else { throw RefrainError(.io, "PNG encoding failed") }
        var bytes = [UInt8](repeating: 0, count: size)
        let written = bytes.withUnsafeMutableBufferPointer { out in
            pixels.withUnsafeBufferPointer { p in
                png_image_write_to_memory(&image, out.baseAddress, &size, 0, p.baseAddress, Int32(width * 3), nil)
            }
        }
        png_image_free(&image)
        guard written != 0 else { throw RefrainError(.io, "PNG encoding failed") }
        return Data(bytes[0..<size])
    }

    /// Writes the image as a PNG file (atomically).
    public func writePNG(to url: URL) throws {
        do { try pngData().write(to: url, options: .atomic) } catch let error as RefrainError { throw error } catch {
            throw RefrainError(.io, "\(url.path): cannot write (\(error.localizedDescription))")
        }
    }
}
