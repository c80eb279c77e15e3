import Foundation
import Refrain
import RefrainIndex
import RefrainMath
import RefrainTestSupport

/// A features-npy index in `dir` (CENS at 2 frames/s, shingles of 10 frames every `hop` frames reduced to 8
/// dimensions) holding `count` items `item0`, `item1`, ... of `frames x 12` random unit frames (seeds `seed`,
/// `seed + 1`, ...), with their sequences. The shingle graph is not built.
func shingledTestStore(at dir: URL, count: Int, frames: Int, seed: UInt64, hop: Int = 1) throws -> (IndexStore, [Matrix]) {
    let store = try IndexStore.create(at: dir, settings: IndexSettings(
        analyzer: "features-npy/1", features: ["frame_rate": "2", "array": "cens"],
        shingles: ShingleSettings(array: "cens", length: 10, hop: hop, dimensions: 8)))
    var sequences: [Matrix] = []
    for k in 0..<count {
        let values = randomUnitFrames(frames, dims: 12, seed: seed + UInt64(k))
        sequences.append(values)
        try store.add(key: "item\(k)", path: "/item\(k)", title: nil, sha256: String(repeating: "0", count: 56) + String(format: "%08d", k),
                      analysis: ItemAnalysis(kind: .audio, duration: Double(frames) / 2,
                                             features: ["cens": FeatureSequence(values: values, hopLength: 1, sampleRate: 2)]))
    }
    return (store, sequences)
}
