import Foundation

/// A fixed set of worker threads with a bounded waiting line, for the server's CPU-heavy jobs (queries,
/// adds, removals): they run here, never on the event loops or Swift's cooperative threads.
///
/// `workers` jobs run at once; at most `capacity` more wait. A job submitted while the line is full is refused
/// at once (`PoolRefusal.full`, which the server answers with 503 and `Retry-After`) instead of queueing
/// without bound, so an overloaded server keeps its latency and its memory. A job still waiting at its
/// deadline, or whose request went away (task cancelled), is dropped without running (`.expired`); one that
/// runs past its deadline is answered `.overran` while its worker finishes it (a running query cannot be
/// interrupted, so it keeps its worker until done: the pool never runs more than `workers` jobs).
public final class WorkerPool: @unchecked Sendable {
    /// Why a job got no result.
    public enum PoolRefusal: Error, Equatable, Sendable {
        /// The waiting line was full.
        case full
        /// The job's deadline passed (or its request went away) before a worker took it.
        case expired
        /// The job was running at its deadline; its result will be dropped.
        case overran
        /// The pool was shut down.
        case closed
    }

    /// What the pool is doing (for `/api/health` and the logs).
    public struct Load: Sendable, Codable, Equatable {
        public var workers: Int
        public var running: Int
        public var waiting: Int
        public var capacity: Int
    }

    public let workers: Int
    public let capacity: Int
    /// The shared state; the worker threads hold it (not the pool), so they outlive the pool safely.
    private let line: Line

    /// - Parameters:
    ///   - workers: jobs run at once (threads), at least 1.
    ///   - capacity: jobs that may wait for a worker, at least 0.
    public init(workers: Int, capacity: Int, name: String = "refrain-worker") {
        self.workers = max(1, workers)
        self.capacity = max(0, capacity)
        line = Line(workers: self.workers, capacity: self.capacity)
        for n in 0..<self.workers {
            let line = self.line
            let thread = Thread { line.work() }
            thread.name = "\(name)-\(n)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    deinit { line.shutdown() }

    /// Stops taking jobs; waiting ones are refused with `.closed`, running ones finish, then the threads end.
    public func shutdown() { line.shutdown() }

    public var load: Load { line.load }

    /// Whether a job submitted now would be refused: every worker busy and the line full.
    public var isFull: Bool { line.isFull }

    /// Seconds a client refused with `.full` should wait before trying again: the time the jobs ahead of it
    /// need, by the average run time so far (at least 1).
    public var retryAfterSeconds: Int { line.retryAfterSeconds }

    /// Runs `body` on a worker and returns its result.
    /// - Parameter deadline: when the caller stops waiting (nil: never): a job not started by then is dropped,
    ///   one still running is answered `.overran`.
    /// - Throws: `PoolRefusal`, or what `body` throws.
    public func run<T: Sendable>(deadline: Date? = nil, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        let job = Job(deadline: deadline)
        let line = self.line
        let result: Result<any Sendable, any Error> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                job.attach(continuation) {
                    Result { try body() as any Sendable }
                }
                line.enqueue(job)
                if let deadline {
                    let timer = Task {
                        try? await Task.sleep(nanoseconds: UInt64(max(0, deadline.timeIntervalSinceNow) * 1e9))
                        if !Task.isCancelled { job.finish(.failure(job.hasStarted ? PoolRefusal.overran : PoolRefusal.expired)) }
                    }
                    job.onFinish { timer.cancel() }
                }
            }
        } onCancel: {
            job.cancel()
        }
        return try result.get() as! T
    }
}

/// The pool's line of jobs and its counts, and the loop every worker thread runs.
private final class Line: @unchecked Sendable {
    let workers: Int
    let capacity: Int
    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var head = 0
    private var running = 0
    private var closed = false
    /// Exponential average of a job's run time, seconds (for `Retry-After`).
    private var meanSeconds = 0.0

    init(workers: Int, capacity: Int) {
        self.workers = workers
        self.capacity = capacity
    }

    private var waiting: Int { jobs.count - head }

    var load: WorkerPool.Load {
        condition.lock()
        defer { condition.unlock() }
        return WorkerPool.Load(workers: workers, running: running, waiting: waiting, capacity: capacity)
    }

    /// Every worker busy and the line full: jobs in the system (running or waiting) number `workers + capacity`.
    /// (A job waiting while a worker is about to take it counts as waiting, so the sum is what is bounded.)
    var isFull: Bool {
        condition.lock()
        defer { condition.unlock() }
        return running + waiting >= workers + capacity
    }

    var retryAfterSeconds: Int {
        condition.lock()
        defer { condition.unlock() }
        let ahead = Double(waiting + running) / Double(workers)
        return max(1, Int((ahead * meanSeconds).rounded(.up)))
    }

    func shutdown() {
        condition.lock()
        closed = true
        let dropped = Array(jobs[head...])
        jobs = []
        head = 0
        condition.broadcast()
        condition.unlock()
        for job in dropped { job.finish(.failure(WorkerPool.PoolRefusal.closed)) }
    }

    /// Adds `job` to the line, or refuses it: `.full` when every worker is busy and the line is full.
    func enqueue(_ job: Job) {
        condition.lock()
        if closed {
            condition.unlock()
            job.finish(.failure(WorkerPool.PoolRefusal.closed))
            return
        }
        guard running + waiting < workers + capacity else {
            condition.unlock()
            job.finish(.failure(WorkerPool.PoolRefusal.full))
            return
        }
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// A worker thread's loop: take the next job, run it (unless it expired), until shut down.
    func work() {
        while true {
            condition.lock()
            while head == jobs.count && !closed { condition.wait() }
            if closed && head == jobs.count {
                condition.unlock()
                return
            }
            let job = jobs[head]
            head += 1
            if head > 64 && head * 2 > jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            running += 1
            condition.unlock()

            let started = Date()
            let result = job.runIfLive()
            let seconds = Date().timeIntervalSince(started)

            // The worker is free before its caller hears back, so a caller that submits again at once finds room.
            condition.lock()
            running -= 1
            if result != nil { meanSeconds = meanSeconds == 0 ? seconds : 0.8 * meanSeconds + 0.2 * seconds }
            condition.unlock()
            if let result { job.finish(result) }
        }
    }
}

/// One submitted job: its body, its continuation (resumed exactly once: by the result, a refusal, the
/// deadline or cancellation) and its state.
private final class Job: @unchecked Sendable {
    let deadline: Date?
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Result<any Sendable, any Error>, Never>?
    private var body: (@Sendable () -> Result<any Sendable, any Error>)?
    private var finished = false
    private var cancelled = false
    private var finishHandlers: [@Sendable () -> Void] = []
    private var started = false

    init(deadline: Date?) { self.deadline = deadline }

    func attach(_ continuation: CheckedContinuation<Result<any Sendable, any Error>, Never>,
                body: @escaping @Sendable () -> Result<any Sendable, any Error>) {
        lock.lock()
        self.continuation = continuation
        self.body = body
        let alreadyCancelled = cancelled
        lock.unlock()
        if alreadyCancelled { finish(.failure(WorkerPool.PoolRefusal.expired)) }
    }

    /// Whether a worker started the job.
    var hasStarted: Bool {
        lock.lock()
        defer { lock.unlock() }
        return started
    }

    /// Runs the body unless the job already finished (refused, expired, cancelled) or its deadline passed,
    /// and returns its result for the caller to `finish` with; nil when it did not run.
    func runIfLive() -> Result<any Sendable, any Error>? {
        lock.lock()
        let expired = deadline.map { $0 <= Date() } ?? false
        guard !finished, !cancelled, !expired, let body else {
            lock.unlock()
            if expired || cancelled { finish(.failure(WorkerPool.PoolRefusal.expired)) }
            return nil
        }
        started = true
        lock.unlock()
        return body()
    }

    /// The request went away: a waiting job will not run.
    func cancel() {
        lock.lock()
        cancelled = true
        let waiting = !started && continuation != nil
        lock.unlock()
        if waiting { finish(.failure(WorkerPool.PoolRefusal.expired)) }
    }

    func onFinish(_ handler: @escaping @Sendable () -> Void) {
        lock.lock()
        if finished {
            lock.unlock()
            handler()
            return
        }
        finishHandlers.append(handler)
        lock.unlock()
    }

    /// Resumes the waiting request once; later calls do nothing.
    func finish(_ result: Result<any Sendable, any Error>) {
        lock.lock()
        guard !finished, let continuation else {
            lock.unlock()
            return
        }
        finished = true
        self.continuation = nil
        body = nil  // the upload it holds goes now (a running body keeps its own reference)
        let handlers = finishHandlers
        finishHandlers = []
        lock.unlock()
        continuation.resume(returning: result)
        for handler in handlers { handler() }
    }
}
