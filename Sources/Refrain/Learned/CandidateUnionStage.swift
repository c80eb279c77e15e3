import Foundation
import RefrainIndex

/// `candidate-union`: several pruning stages ("sources") each choose from the same candidates, and every item
/// any of them kept goes on, once. Two first stages that fail on different queries lose only what both lose:
/// Raffel & Ellis's embedding (ICASSP 2016) misses recordings that Zalkow & Müller's shingle votes (ISMIR
/// 2020) find, and the other way round, so the hash stage after them sees the union.
///
/// Options: `sources` (comma-separated stage names, in order, default `embedding-nn`), and each source's own
/// options prefixed with its name and a dot (`shingle-vote.keep=500` is `keep=500` for `shingle-vote`). The
/// sources are made by the stage registry, so each behaves exactly as it does alone. Output: the first source's
/// ranking, then each later source's items that no earlier one kept, in that source's order (scores are the
/// sources' own; the stage after a union re-scores). Option `lead` (default 0): each source's first `lead` items
/// come first, source by source (each item once), then the rest in the order above; the set is the same, but a
/// stage after the union that lets its first candidates through whatever their cost (`hash-dtw`'s `pass`) then
/// lets every source's best through, not only the first source's (issue 20, fifteenth round).
public struct CandidateUnionStage: SearchStage {
    /// `candidate-union`, or the name of the stage a union stands in for (`shingle-vote` with `fourier_keep`).
    public let name: String
    /// The source stages, in order.
    public let sources: [any SearchStage]
    /// Items of each source listed first, source by source (0: the sources one after the other).
    public let lead: Int

    public init(sources: [any SearchStage], name: String = "candidate-union", lead: Int = 0) {
        self.sources = sources
        self.name = name
        self.lead = max(0, lead)
    }

    /// The sources of `spec` (option `sources`), each made by `registry` from the options prefixed with its name.
    public init(spec: StageSpec, store: IndexStore, registry: StageRegistry) throws {
        let names = (spec.options["sources"] ?? "embedding-nn").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw RefrainError.invalidArgument("candidate-union: sources names no stage") }
        guard !names.contains("candidate-union"), Set(names).count == names.count else {
            throw RefrainError.invalidArgument("candidate-union: sources must be distinct stages other than candidate-union")
        }
        let specs = names.map { source in
            var options: [String: String] = [:]
            for (key, value) in spec.options where key.hasPrefix(source + ".") { options[String(key.dropFirst(source.count + 1))] = value }
            return StageSpec(stage: source, options: options)
        }
        let lead = try spec.int("lead", default: 0)
        guard lead >= 0 else { throw RefrainError.invalidArgument("candidate-union: lead is a number of items, 0 or more") }
        self.init(sources: try registry.cascade(specs, store: store).stages, lead: lead)
    }

    public func run(_ query: SearchQuery, candidates: [Candidate], store: IndexStore) throws -> [Candidate] {
        let lists = try sources.map { try $0.run(query, candidates: candidates, store: store) }
        var seen = Set<Int64>(minimumCapacity: candidates.count)
        var union: [Candidate] = []
        for list in lists {
            for candidate in list.prefix(lead) where seen.insert(candidate.itemID).inserted { union.append(candidate) }
        }
        for list in lists {
            for candidate in list where seen.insert(candidate.itemID).inserted { union.append(candidate) }
        }
        return union
    }
}
