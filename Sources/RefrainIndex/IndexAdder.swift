import Foundation
import RefrainMath

/// One file to add, with its key and optional title and work; or, with `bytes`, a file's content held in
/// memory (an upload), which `url` only names (its extension tells the type; it is recorded as the path).
public struct AddJob: Equatable, Sendable {
    public var key: String
    public var url: URL
    public var title: String?
    /// The work the item belongs to (a score and its recordings share one); nil: its own key.
    public var work: String?
    /// The content, when it is not read from `url`.
    public var bytes: Data?

    public init(key: String, url: URL, title: String? = nil, work: String? = nil, bytes: Data? = nil) {
        self.key = key
        self.url = url
        self.title = title
        self.work = work
        self.bytes = bytes
    }
}

/// What an add run did.
public struct AddReport: Sendable {
    public var added: [IndexedItem] = []
    /// Keys whose content was already indexed.
    public var unchanged: [String] = []
    /// Files skipped, with the reason.
    public var failed: [(path: String, message: String)] = []
    /// Wall-clock seconds.
    public var seconds: Double = 0

    /// Seconds of content added per second of wall clock.
    public var realTimeFactor: Double {
        seconds > 0 ? added.reduce(0) { $0 + $1.duration } / seconds : 0
    }
}

/// Adds files to an index: analysis runs on `threads` threads (one per core by default), split between the
/// files analysed side by side and the work inside each; finished items are
/// committed in batches (`commitEvery` items or `commitSeconds` seconds, whichever comes first: one flush
/// and one catalog transaction per batch instead of per item), so an interruption loses at most the
/// items of the open batch. Files already indexed (same SHA-256) are skipped before analysis, and an
/// unreadable file is reported and skipped. The shingle graph is brought up to date at the end.
public enum IndexAdder {
    /// The jobs for `paths`: files as they are, folders walked recursively for files the analyzer accepts
    /// (sorted by path); the key is the file name without extension.
    public static func jobs(for paths: [URL], analyzer: any ItemAnalyzer) -> (jobs: [AddJob], missing: [String]) {
        var jobs: [AddJob] = []
        var missing: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path.path, isDirectory: &isDirectory) else {
                missing.append(path.path)
                continue
            }
            if isDirectory.boolValue {
                var found: [URL] = []
                if let walker = FileManager.default.enumerator(at: path, includingPropertiesForKeys: [.isRegularFileKey],
                                                               options: [.skipsHiddenFiles]) {
                    for case let url as URL in walker where analyzer.accepts(url) {
                        if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true { found.append(url) }
                    }
                }
                jobs += found.sorted { $0.path < $1.path }.map { AddJob(key: $0.deletingPathExtension().lastPathComponent, url: $0) }
            } else {
                jobs.append(AddJob(key: path.deletingPathExtension().lastPathComponent, url: path))
            }
        }
        return (jobs, missing)
    }

    /// Adds `jobs` to `store` (opened writable).
    @discardableResult
    public static func add(_ jobs: [AddJob], to store: IndexStore, analyzer: any ItemAnalyzer, threads: Int = ComputeBudget.machine.threads,
                           progress: ProgressReporter? = nil, updateShingles: Bool = true,
                           commitEvery: Int = 32, commitSeconds: Double = 1) throws -> AddReport {
        let started = Date()
        let collector = ReportCollector()
        let committer = BatchCommitter(store: store, collector: collector, progress: progress,
                                       maxItems: commitEvery, maxSeconds: commitSeconds)
        let next = Counter()
        let workers = max(1, min(threads, jobs.count))
        let perFile = ComputeBudget(threads: threads).share(workers).threads
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let i = next.take(below: jobs.count) {
                let job = jobs[i]
                do {
                    let sha = try job.bytes.map { SHA256.hex(of: $0) } ?? SHA256.hex(ofFile: job.url)
                    if let existing = try store.item(sha256: sha) {
                        collector.unchanged(existing.key)
                    } else {
                        let analysis = try analyzer.analyze(job.url, bytes: job.bytes, threads: perFile)
                        committer.submit(try store.stage(key: job.key, path: job.url.path, title: job.title,
                                                         work: job.work, sha256: sha, analysis: analysis))
                    }
                } catch {
                    let message = (error as? RefrainError)?.message ?? "\(error)"
                    collector.failed(job.url.path, message)
                    progress?.note("skipped \(job.url.path): \(message)")
                }
                progress?.step()
            }
        }
        committer.flush()
        if updateShingles {
            try ShingleIndex.update(store, threads: threads) { progress?.note($0) }
        }
        var report = collector.report
        report.seconds = Date().timeIntervalSince(started)
        return report
    }
}

/// Collects staged items and commits them in batches, one batch at a time.
final class BatchCommitter: @unchecked Sendable {
    private let store: IndexStore
    private let collector: ReportCollector
    private let progress: ProgressReporter?
    private let maxItems: Int
    private let maxSeconds: Double
    private var pending: [StagedItem] = []
    private var lastCommit = Date()
    private let lock = NSLock()
    private let commitLock = NSLock()

    init(store: IndexStore, collector: ReportCollector, progress: ProgressReporter?, maxItems: Int, maxSeconds: Double) {
        self.store = store
        self.collector = collector
        self.progress = progress
        self.maxItems = max(1, maxItems)
        self.maxSeconds = maxSeconds
    }

    /// Queues `item`; commits the queue when it is full or old enough.
    func submit(_ item: StagedItem) {
        lock.lock()
        pending.append(item)
        let due = pending.count >= maxItems || Date().timeIntervalSince(lastCommit) >= maxSeconds
        lock.unlock()
        if due { flush() }
    }

    /// Commits what is queued. A failed commit reports its items as skipped.
    func flush() {
        commitLock.lock()
        defer { commitLock.unlock() }
        lock.lock()
        let batch = pending
        pending = []
        lastCommit = Date()
        lock.unlock()
        guard !batch.isEmpty else { return }
        do {
            for (staged, outcome) in zip(batch, try store.commit(batch)) {
                switch outcome {
                case .success(.added(let item)): collector.added(item)
                case .success(.unchanged(let item)): collector.unchanged(item.key)
                case .failure(let error): fail(staged, error.message)
                }
            }
        } catch {
            let message = (error as? RefrainError)?.message ?? "\(error)"
            for staged in batch { fail(staged, message) }
        }
    }

    private func fail(_ staged: StagedItem, _ message: String) {
        collector.failed(staged.path, message)
        progress?.note("skipped \(staged.path): \(message)")
    }
}

final class ReportCollector: @unchecked Sendable {
    private(set) var report = AddReport()
    private let lock = NSLock()

    func added(_ item: IndexedItem) { lock.lock(); report.added.append(item); lock.unlock() }
    func unchanged(_ key: String) { lock.lock(); report.unchanged.append(key); lock.unlock() }
    func failed(_ path: String, _ message: String) { lock.lock(); report.failed.append((path, message)); lock.unlock() }
}
