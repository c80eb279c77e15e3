import Foundation
import RefrainMath

/// One located match of a query in an item: a cost (lower is better), the span in the item, seconds, and
/// (when the query asks for it) the alignment path.
public struct SequenceMatch: Sendable, Equatable {
    public var score: Double
    public var start: Double
    public var end: Double
    public var path: [PathPoint]?

    public init(score: Double, start: Double, end: Double, path: [PathPoint]? = nil) {
        self.score = score
        self.start = start
        self.end = end
        self.path = path
    }
}

/// The exact comparison of a query with one item (feature DTW, subsequence DTW over tempo-scaled
/// queries ...): the plug-in point of the exact stage.
public protocol SequenceMatcher: Sendable {
    /// Names of the stored arrays the matcher reads; the stage maps them for it.
    var arrays: [String] { get }
    /// Names of stored arrays the matcher reads when an item has them (default: none); an item that
    /// lacks one is still matched.
    var optionalArrays: [String] { get }
    /// The item's best matches, best first (any number; the stage keeps what it needs). A match whose cost
    /// would exceed `abandonAbove` is of no use to the caller: the matcher may stop early (lower bounds,
    /// early abandoning) and return nothing.
    func matches(_ query: SearchQuery, item: [String: StoredFeature], abandonAbove: Double) throws -> [SequenceMatch]
    /// The matcher to run over every candidate of `query`: a matcher with per-query work (tempo-scaled or
    /// transposed versions of the query) does it here, once, instead of once per item. Default: itself.
    func prepared(for query: SearchQuery) throws -> any SequenceMatcher
}

extension SequenceMatcher {
    public func prepared(for query: SearchQuery) throws -> any SequenceMatcher { self }
    public var optionalArrays: [String] { [] }
}

/// The exact stage: runs a `SequenceMatcher` on every candidate, on the query's threads, passing each
/// call the current `topK`-th best cost so hopeless candidates can be abandoned; ranks the matches (up
/// to `maxMatchesPerItem` per item, for passages that repeat).
public struct ExactStage: SearchStage {
    public let name: String
    public let matcher: any SequenceMatcher
    public var maxMatchesPerItem: Int

    public init(name: String = "exact", matcher: any SequenceMatcher, maxMatchesPerItem: Int = 1) {
        self.name = name
        self.matcher = matcher
        self.maxMatchesPerItem = max(1, maxMatchesPerItem)
    }

    public func run(_ query: SearchQuery, candidates: [Candidate], store: IndexStore) throws -> [Candidate] {
        let matcher = try self.matcher.prepared(for: query)
        let board = Leaderboard(size: max(query.topK, 1))
        let results = Results(count: candidates.count)
        let next = Counter()
        let catalog = try store.arrays(of: candidates.map(\.itemID), named: Set(matcher.arrays + matcher.optionalArrays))
        DispatchQueue.concurrentPerform(iterations: min(query.threads, max(candidates.count, 1))) { _ in
            while let i = next.take(below: candidates.count) {
                let candidate = candidates[i]
                do {
                    var features: [String: StoredFeature] = [:]
                    let infos = catalog[candidate.itemID] ?? []
                    for name in matcher.arrays {
                        guard let info = infos.first(where: { $0.name == name }) else { continue }
                        features[name] = try store.feature(info)
                    }
                    guard features.count == matcher.arrays.count else { continue }
                    for name in matcher.optionalArrays {
                        if let info = infos.first(where: { $0.name == name }) { features[name] = try store.feature(info) }
                    }
                    let found = try matcher.matches(query, item: features, abandonAbove: board.threshold)
                        .sorted { $0.score < $1.score }.prefix(maxMatchesPerItem)
                    for match in found { board.offer(match.score) }
                    results.set(i, found.map {
                        Candidate(itemID: candidate.itemID, key: candidate.key, score: $0.score, start: $0.start, end: $0.end,
                                  path: $0.path)
                    })
                } catch {
                    results.fail(error)
                }
            }
        }
        if let error = results.error { throw error }
        return results.all.sorted { $0.score != $1.score ? $0.score < $1.score : $0.itemID < $1.itemID }
    }
}

/// The `size` lowest costs seen so far, shared between threads; `threshold` is the worst of them
/// (infinity until `size` are known).
final class Leaderboard: @unchecked Sendable {
    private var costs: [Double] = []
    private let size: Int
    private let lock = NSLock()

    init(size: Int) { self.size = size }

    var threshold: Double {
        lock.lock(); defer { lock.unlock() }
        return costs.count < size ? .infinity : costs[size - 1]
    }

    func offer(_ cost: Double) {
        lock.lock(); defer { lock.unlock() }
        let at = costs.firstIndex { $0 > cost } ?? costs.count
        guard at < size else { return }
        costs.insert(cost, at: at)
        if costs.count > size { costs.removeLast() }
    }
}

final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()

    func take(below limit: Int) -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard value < limit else { return nil }
        value += 1
        return value - 1
    }
}

final class Results: @unchecked Sendable {
    private var slots: [[Candidate]]
    private(set) var error: Error?
    private let lock = NSLock()

    init(count: Int) { slots = Array(repeating: [], count: count) }

    func set(_ i: Int, _ value: [Candidate]) {
        lock.lock(); slots[i] = value; lock.unlock()
    }

    func fail(_ error: Error) {
        lock.lock(); if self.error == nil { self.error = error }; lock.unlock()
    }

    var all: [Candidate] { slots.flatMap { $0 } }
}
