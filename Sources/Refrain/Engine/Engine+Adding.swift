import Foundation
import RefrainIndex
import RefrainMath

extension Engine {
    /// The add jobs for files and folders: files as they are, folders walked recursively for the files this
    /// index reads (sorted by path), keyed by file name without extension; plus paths that do not exist.
    public func jobs(for paths: [URL]) throws -> (jobs: [AddJob], missing: [String]) {
        IndexAdder.jobs(for: paths, analyzer: try state().analyzer)
    }

    /// Adds files (or bytes held in memory, `AddJob.bytes`) to the index: analysed on the engine's budget,
    /// committed in batches, content already indexed skipped, unreadable files reported and skipped; then the
    /// shingle graph is brought up to date. Atomic per batch: a kill leaves a usable index.
    @discardableResult
    public func add(_ jobs: [AddJob], progress: ProgressReporter? = nil) throws -> AddReport {
        try withWritableStore { store, state in
            if let reason = state.unusable { throw RefrainError(.index, reason) }
            return try IndexAdder.add(jobs, to: store, analyzer: state.analyzer, threads: configuration.budget.threads,
                                      progress: progress)
        }
    }

    /// Removes items by key and brings the shingle graph up to date; returns the keys that were not there.
    @discardableResult
    public func remove(keys: [String]) throws -> [String] {
        try withWritableStore { store, _ in
            let missing = try store.remove(keys: keys)
            try ShingleIndex.update(store, threads: configuration.budget.threads)
            return missing
        }
    }

    /// Relearns the shingle PCA and rebuilds the HNSW graph from scratch; returns its number of points.
    @discardableResult
    public func rebuildShingles(progress: ((String) -> Void)? = nil) throws -> Int {
        try withWritableStore { store, _ in
            try ShingleIndex.rebuild(store, threads: configuration.budget.threads, progress: progress)?.graph.count ?? 0
        }
    }
}
