import Foundation
import RefrainIndex
import RefrainMath

/// `contour-fusion`: the second opinion of query by humming, after `note-alignment`. The hummed query's pitch
/// contour (stored with its notes by the `melody` encoder) against the melody lines of the best `candidates` items
/// by `ContourAlignment` (an item's cost is its best line's; more items for a short hum, `ContourFusion.wideNotes`), fused with the note stage's score as
/// `ContourFusion` says; an item's span is its contour path's where `ContourFusion.contourSpans` says so. Items
/// past the candidates follow in their order. A query without a contour (notes given, a score) passes through unchanged. Options: `candidates`, `weight`, `short-weight`,
/// `short-notes`, `wide-notes`, `wide-candidates` (0: every item), `wide-scale` (`usual` or `all`).
public struct ContourFusionStage: SearchStage {
    public let name = "contour-fusion"
    public var fusion = ContourFusion()
    public var array: String

    public init(spec: StageSpec) throws {
        fusion.candidates = try spec.int("candidates", default: fusion.candidates)
        fusion.weight = try spec.double("weight", default: fusion.weight)
        if spec.options["short-weight"] != nil { fusion.shortWeight = try spec.double("short-weight", default: fusion.weight) }
        fusion.shortNotes = try spec.int("short-notes", default: fusion.shortNotes)
        fusion.wideNotes = try spec.int("wide-notes", default: fusion.wideNotes)  // 0: off
        fusion.wideCandidates = try spec.int("wide-candidates", default: fusion.wideCandidates)
        if let scale = spec.options["wide-scale"] {
            guard scale == "usual" || scale == "all" else { throw RefrainError.invalidArgument("contour-fusion: wide-scale is 'usual' or 'all', got '\(scale)'") }
            fusion.wideOnUsualScale = scale == "usual"
        }
        guard fusion.candidates >= 1, fusion.weight >= 0, (fusion.shortWeight ?? 0) >= 0 else {
            throw RefrainError.invalidArgument("contour-fusion: candidates must be at least 1 and weight not negative")
        }
        guard fusion.wideNotes >= 0, fusion.wideCandidates >= 0 else {
            throw RefrainError.invalidArgument("contour-fusion: wide-notes and wide-candidates must not be negative (0: off, and every melody)")
        }
        array = spec.options["array"] ?? MelodyEncoder.name
    }

    public func run(_ query: SearchQuery, candidates: [Candidate], store: IndexStore) throws -> [Candidate] {
        guard let sequence = query.analysis.features[array], let contour = MelodyEncoder.contour(sequence.values),
              candidates.count > 1 else { return candidates }
        let table = try MelodyTable.current(in: store, arrayName: array)
        let queryNotes = fusion.shortWeight == nil && fusion.wideNotes == 0 ? nil : try queryShapes(query, array: array, stage: name).first?.noteCount
        let chosen = Array(candidates.prefix(fusion.candidates(notes: queryNotes, of: candidates.count)))
        var linesOf: [Int64: [Int]] = [:]
        let wanted = Set(chosen.map(\.itemID))
        for (m, id) in table.itemIDs.enumerated() where wanted.contains(id) { linesOf[id, default: []].append(m) }
        let lines = chosen.map { (linesOf[$0.itemID] ?? []).map { table.melodies[$0].shape } }
        let found = fusion.matches(contour, lines: lines, threads: query.threads,
                                   around: chosen.map { c in c.start.flatMap { s in c.end.map { (start: s, end: $0) } } })
        // The note stage's cost is minus its score: fused costs are minus the fused scores.
        let fused = fusion.fused(noteScores: chosen.map { -$0.score }, contourCosts: found.map(\.cost),
                                 queryNotes: queryNotes)
        var out = chosen.indices.map { c in
            var candidate = chosen[c]
            candidate.score = -fused[c]
            if fusion.contourSpans, found[c].cost.isFinite {
                let shape = lines[c][found[c].line]
                candidate.start = shape.onsets[found[c].first]
                candidate.end = shape.ends[found[c].last]
            }
            return candidate
        }
        out = out.sorted { $0.score != $1.score ? $0.score < $1.score : $0.itemID < $1.itemID }
        let ceiling = (out.map(\.score).max() ?? 0) + 1
        if let next = candidates.dropFirst(chosen.count).first?.score {
            out += candidates.dropFirst(chosen.count).map { c in var c = c; c.score = ceiling + (c.score - next); return c }
        }
        return out
    }
}
