import Foundation
import RefrainIndex
import RefrainMath

/// Chroma-like sequences for index tests: a drifting non-negative 12-dim walk, frames unit length.
enum TestChroma {
    static func sequence(frames: Int, seed: UInt64) -> Matrix {
        var generator = SplitMix64(seed: seed)
        func uniform() -> Float { Float(generator.next() >> 40) / Float(1 << 24) }
        var m = Matrix(rows: frames, cols: 12)
        var state = (0..<12).map { _ in uniform() }
        for r in 0..<frames {
            if generator.next() % 8 == 0 { state = (0..<12).map { _ in uniform() } }
            for c in 0..<12 { state[c] = max(0, state[c] + 0.1 * (uniform() - 0.5)) }
            let norm = max(state.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-6)
            for c in 0..<12 { m[r, c] = state[c] / norm }
        }
        return m
    }

    static let analyzer = NPYFeatureAnalyzer(arrayName: "cens", frameRate: 2)

    static func settings(shingles: ShingleSettings? = ShingleSettings(array: "cens", length: 10, hop: 3, dimensions: 16)) -> IndexSettings {
        IndexSettings(analyzer: analyzer.identifier, features: analyzer.settings, shingles: shingles)
    }

    /// Writes `count` items `item000.npy ...` of 60-160 frames into `folder`.
    @discardableResult
    static func writeItems(_ count: Int, to folder: URL, seed: UInt64 = 1) throws -> [Matrix] {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return try (0..<count).map { i in
            let m = sequence(frames: 60 + Int((seed &* 7919 &+ UInt64(i) &* 104_729) % 100), seed: seed &* 1000 &+ UInt64(i))
            try NPY.write(m, to: folder.appendingPathComponent(String(format: "item%03d.npy", i)))
            return m
        }
    }
}
