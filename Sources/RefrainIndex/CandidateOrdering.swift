import Foundation

/// Orders candidates best first by a cheap likeness to the query, without pruning any: it chooses which of the
/// items a shingle vote found nothing for fill up the vote's keep (`ShingleVoteStage.fillOrder`), where the order
/// they came in (the catalogue's) would pass the first items of the collection and never the last.
public protocol CandidateOrdering: Sendable {
    /// Every one of `candidates`, each once, best first; scores and spans are the ordering's own.
    func ordered(_ query: SearchQuery, _ candidates: [Candidate], store: IndexStore) throws -> [Candidate]
}
