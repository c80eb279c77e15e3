import Foundation

/// Orders candidates best first by a cheap likeness to the query, without pruning any: it chooses which of the
/// items a shingle vote found nothing for fill up the vote's keep (`ShingleVoteStage.fillOrder`), where the order
/// they came in (the catalogue's) would pass the first items of the collection and never the last.
public protocol CandidateOrdering: Sendable {
    /// Every one of `candidates`, each once, best first; scores and spans are the ordering's own.
    func ordered(_ query: SearchQuery, _ candidates: [Candidate], store: IndexStore) throws -> [Candidate]
}

extension CandidateOrdering {
    /// `candidates` by `score` (lower is better; ties in the order they came), each with that score; those it gives
    /// nil (no array to compare, nothing aligned) follow in the order they came. The frame of every ordering that
    /// scores one candidate at a time.
    public func ranked(_ candidates: [Candidate], by score: (Candidate) throws -> Double?) rethrows -> [Candidate] {
        var scored: [(candidate: Candidate, position: Int)] = [], rest: [Candidate] = []
        for (position, var candidate) in candidates.enumerated() {
            guard let value = try score(candidate) else {
                rest.append(candidate)
                continue
            }
            candidate.score = value
            scored.append((candidate, position))
        }
        scored.sort { $0.candidate.score != $1.candidate.score ? $0.candidate.score < $1.candidate.score : $0.position < $1.position }
        return scored.map(\.candidate) + rest
    }
}
