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

/// `shingledTestStore` of 12 items of 60 frames with its shingle graph built, and every item as a candidate.
func votingTestStore(at dir: URL, seed: UInt64) throws -> (IndexStore, [Matrix], [Candidate]) {
    let (store, sequences) = try shingledTestStore(at: dir, count: 12, frames: 60, seed: seed)
    try ShingleIndex.rebuild(store)
    return (store, sequences, try store.items().map { Candidate(itemID: $0.id, key: $0.key) })
}

/// A query of frames `from ..< from + count` of `x` as CENS at 2 frames/s (as `shingledTestStore`'s items), every
/// pitch class moved up by `shift` semitones.
func transposedCENSExcerpt(_ x: Matrix, from: Int, count: Int, shift: Int) -> SearchQuery {
    let values = Matrix(rows: count, cols: 12) { r, c in x[from + r, ((c - shift) % 12 + 12) % 12] }
    return SearchQuery(analysis: ItemAnalysis(kind: .audio, duration: Double(count) / 2,
                                              features: ["cens": FeatureSequence(values: values, hopLength: 1, sampleRate: 2)]))
}
