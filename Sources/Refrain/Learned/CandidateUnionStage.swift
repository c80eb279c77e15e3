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
/// sources' own; the stage after a union re-scores).
public struct CandidateUnionStage: SearchStage {
    /// `candidate-union`, or the name of the stage a union stands in for (`shingle-vote` with `fourier_keep`).
    public let name: String
    /// The source stages, in order.
    public let sources: [any SearchStage]

    public init(sources: [any SearchStage], name: String = "candidate-union") {
        self.sources = sources
        self.name = name
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
        self.init(sources: try registry.cascade(specs, store: store).stages)
    }

    public func run(_ query: SearchQuery, candidates: [Candidate], store: IndexStore) throws -> [Candidate] {
        var seen = Set<Int64>(minimumCapacity: candidates.count)
        var union: [Candidate] = []
        for source in sources {
            for candidate in try source.run(query, candidates: candidates, store: store) where seen.insert(candidate.itemID).inserted {
                union.append(candidate)
            }
        }
        return union
    }
}
