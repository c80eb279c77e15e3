import Foundation
import RefrainIndex
import RefrainMath

/// `contour-fusion`: the second opinion of query by humming, after `note-alignment`. The hummed query's pitch
/// contour (stored with its notes by the `melody` encoder) against the melody lines of the best `candidates` items
/// by `ContourAlignment` (an item's cost is its best line's), fused with the note stage's score as
/// `ContourFusion` says; the spans stay the note stage's. Items past the candidates follow in their order. A query
/// without a contour (notes given, a score) passes through unchanged. Options: `candidates`, `weight`.
public struct ContourFusionStage: SearchStage {
    public let name = "contour-fusion"
    public var fusion = ContourFusion()
    public var array: String

    public init(spec: StageSpec) throws {
        fusion.candidates = try spec.int("candidates", default: fusion.candidates)
        fusion.weight = try spec.double("weight", default: fusion.weight)
        guard fusion.candidates >= 1, fusion.weight >= 0 else {
            throw RefrainError.invalidArgument("contour-fusion: candidates must be at least 1 and weight not negative")
        }
        array = spec.options["array"] ?? MelodyEncoder.name
    }

    public func run(_ query: SearchQuery, candidates: [Candidate], store: IndexStore) throws -> [Candidate] {
        guard let sequence = query.analysis.features[array], let contour = MelodyEncoder.contour(sequence.values),
              candidates.count > 1 else { return candidates }
        let table = try MelodyTable.current(in: store, arrayName: array)
        let chosen = Array(candidates.prefix(fusion.candidates))
        var linesOf: [Int64: [Int]] = [:]
        let wanted = Set(chosen.map(\.itemID))
        for (m, id) in table.itemIDs.enumerated() where wanted.contains(id) { linesOf[id, default: []].append(m) }
        var costs = [Double](repeating: .infinity, count: chosen.count)
        let alignment = fusion.alignment
        try costs.withUnsafeMutableBufferPointer { out in
            let shared = UncheckedSendable(out)
            let workers = min(query.threads, max(1, chosen.count / 8))
            let chunk = (chosen.count + workers - 1) / max(workers, 1)
            try concurrentForEach(workers, threads: workers) { w in
                var scratch = ContourAlignment.Scratch()
                for c in (w * chunk)..<min(chosen.count, (w + 1) * chunk) {
                    for m in linesOf[chosen[c].itemID] ?? [] {
                        let cost = Double(alignment.cost(contour, reference: table.melodies[m].shape, scratch: &scratch))
                        if cost < shared.value[c] { shared.value[c] = cost }
                    }
                }
            }
        }
        // The note stage's cost is minus its score: fused costs are minus the fused scores.
        let fused = fusion.fused(noteScores: chosen.map { -$0.score }, contourCosts: costs)
        var out = zip(chosen, fused).map { c, f in var c = c; c.score = -f; return c }
            .sorted { $0.score != $1.score ? $0.score < $1.score : $0.itemID < $1.itemID }
        let ceiling = (out.map(\.score).max() ?? 0) + 1
        if let next = candidates.dropFirst(chosen.count).first?.score {
            out += candidates.dropFirst(chosen.count).map { c in var c = c; c.score = ceiling + (c.score - next); return c }
        }
        return out
    }
}
