import Foundation
import GRDB
import RefrainLearn
import RefrainMath

/// Names of the derived ANN files under an index directory.
enum ANNFiles {
    static let folder = "ann"
    static let stateKey = "ann.shingles"
    static let graphKey = "file:ann.graph"
    static let pcaKey = "file:ann.pca"
}

/// The persistent shingle index of a collection: a reducer (PCA learned from the collection's shingles, or the
/// learned shingle reducer network, `ShingleSettings.reducer`) and an HNSW graph of every item's reduced
/// shingles, saved in the index directory (`ann/`).
///
/// Labels encode `(item id << 24) | shingle number`, so a hit names its item and start frame
/// (`shingle number * hop`). The graph is derived data: it is rewritten under a new generation name,
/// flushed, and only then made current by a catalog transaction; items added after the last update
/// (`coveredThroughItemID`) are not in it, and the search stage passes them on unpruned, so an interrupted
/// update never hides an item.
public final class ShingleIndex: @unchecked Sendable {
    /// What the catalog records about the current graph.
    public struct State: Codable, Equatable, Sendable {
        public var generation: Int
        public var graphFile: String
        /// The PCA's file (empty with a learned reducer).
        public var pcaFile: String
        /// Items with ids up to this were added to the graph (removed ones may still be in it).
        public var coveredThroughItemID: Int64
        /// Points in the graph, live or not.
        public var pointCount: Int
        /// Items live when the PCA was learned.
        public var itemsAtPCA: Int
        public var dimension: Int
        /// SHA-256 of the learned reducer's weights the graph was built with (nil: PCA).
        public var reducerSHA256: String?
    }

    public let settings: ShingleSettings
    public let state: State
    /// What reduces the transformed shingles before the graph: the index's PCA or the learned reducer.
    public let reducer: any ShingleReducer
    public let graph: HNSWGraph

    static let shingleBits: UInt64 = 24

    public static func label(item: Int64, shingle: Int) -> UInt64 { UInt64(item) << shingleBits | UInt64(shingle) }
    public static func item(ofLabel label: UInt64) -> Int64 { Int64(label >> shingleBits) }
    public static func shingle(ofLabel label: UInt64) -> Int { Int(label & ((1 << shingleBits) - 1)) }

    init(settings: ShingleSettings, state: State, reducer: any ShingleReducer, graph: HNSWGraph) {
        self.settings = settings
        self.state = state
        self.reducer = reducer
        self.graph = graph
    }

    /// The current graph of `store` for searching: loaded once and kept while the catalog names the same
    /// generation (a 10,000-item graph takes about 0.3 s to load, far more than a query's search in it).
    /// Searches only read it; `update` works on its own copy.
    public static func current(in store: IndexStore) throws -> ShingleIndex? {
        guard let settings = store.settings.shingles, let json = try store.meta(ANNFiles.stateKey) else { return nil }
        // A learned graph is kept per program weights too: other weights must be refused, not served from the cache.
        let weights = settings.effectiveReducer == .learned ? (try? ShingleReducerRegistry.shared.current().sha256) ?? "" : ""
        return try store.shingleIndexCache.value(for: json + weights) { try load(from: store) }
    }

    /// The current graph of `store`, or nil when none has been built yet.
    /// - Throws: `RefrainError(.index)` when the graph was built with learned reducer weights other than this
    ///   program's (`ShingleReducerRegistry`): the index must be rebuilt before shingle searches.
    public static func load(from store: IndexStore) throws -> ShingleIndex? {
        guard let settings = store.settings.shingles, let state = try storedState(of: store) else { return nil }
        let reducer: any ShingleReducer
        if settings.effectiveReducer == .learned {
            reducer = try ShingleReducerRegistry.shared.current(matching: state.reducerSHA256, index: store.directory)
        } else {
            reducer = try PCA(packed: NPY.readMatrix(store.directory.appendingPathComponent(state.pcaFile)))
        }
        let graph = try HNSWGraph(contentsOf: store.directory.appendingPathComponent(state.graphFile),
                                  dimension: state.dimension, space: .l2)
        return ShingleIndex(settings: settings, state: state, reducer: reducer, graph: graph)
    }

    /// The catalog's record of the current graph (nil when none has been built).
    static func storedState(of store: IndexStore) throws -> State? {
        guard let json = try store.meta(ANNFiles.stateKey) else { return nil }
        do { return try JSONDecoder().decode(State.self, from: Data(json.utf8)) } catch {
            throw RefrainError(.index, "\(store.directory.path): unreadable shingle-index state")
        }
    }

    /// Relearns the PCA (or takes this program's learned reducer) and rebuilds the graph from scratch. The old graph
    /// stays the catalog's until the new one is written and committed, so a rebuild that fails or is killed leaves
    /// the index as it was.
    @discardableResult
    public static func rebuild(_ store: IndexStore, threads: Int = ComputeBudget.machine.threads,
                               progress: ((String) -> Void)? = nil) throws -> ShingleIndex? {
        try update(store, threads: threads, fromScratch: true, progress: progress)
    }

    /// Brings the graph up to date with the catalog: adds the items added since the last update, or
    /// rebuilds from scratch (new PCA) when there is none yet, when the collection has doubled since the
    /// PCA was learned, when more than a quarter of the points belong to removed items, or when the graph was
    /// built with learned reducer weights other than this program's. Returns the new
    /// index (nil when the index has no shingle settings or no item is long enough for one shingle).
    /// Runs on up to `threads` threads. With `fromScratch`, the current graph is not read (its settings may be
    /// stale, as after a reindex) but stays in place until the new one is committed.
    @discardableResult
    public static func update(_ store: IndexStore, threads: Int = ComputeBudget.machine.threads,
                              fromScratch: Bool = false,
                              progress: ((String) -> Void)? = nil) throws -> ShingleIndex? {
        try store.requireWritable()
        guard let settings = store.settings.shingles else { return nil }
        let arrays = try store.arrays(named: settings.array)
        let learned = try settings.effectiveReducer == .learned ? ShingleReducerRegistry.shared.current() : nil
        let stored = try? storedState(of: store)
        // A graph of other learned weights cannot take new items: it is rebuilt.
        let stale = learned != nil && stored != nil && stored?.reducerSHA256 != learned?.sha256
        let previous = fromScratch || stale ? stored : nil
        let current = fromScratch || stale ? nil : try load(from: store)
        let livePoints = arrays.reduce(0) { $0 + Shingles.starts(frames: $1.frames, length: settings.length, hop: settings.hop).count }
        var rebuild = current == nil
        if let current {
            let covered = arrays.filter { $0.itemID <= current.state.coveredThroughItemID }
            let coveredPoints = covered.reduce(0) { $0 + Shingles.starts(frames: $1.frames, length: settings.length, hop: settings.hop).count }
            if arrays.count >= 2 * max(current.state.itemsAtPCA, 1) { rebuild = true }
            if current.state.pointCount - coveredPoints > current.state.pointCount / 4 { rebuild = true }
            if !rebuild && arrays.allSatisfy({ $0.itemID <= current.state.coveredThroughItemID }) { return current }
        }
        guard livePoints > 0 else {
            // Nothing long enough for a shingle: a rebuild leaves no graph (as an index that never had one).
            if fromScratch { try store.setMeta(ANNFiles.stateKey, nil) }
            return current
        }

        let reducer: any ShingleReducer
        let graph: HNSWGraph
        let pending: [StoredArrayInfo]
        var itemsAtPCA = arrays.count
        let replaced = current?.state ?? previous
        let generation = (replaced?.generation ?? 0) + 1
        if rebuild {
            if let learned {
                let width = arrays.first.map { settings.transformedWidth(dims: $0.dims) } ?? learned.inputDimension
                guard width == learned.inputDimension else {
                    throw RefrainError(.index, "the learned shingle reducer takes shingles of \(learned.inputDimension) values; this index's are \(width) (\(settings.length) frames)")
                }
                reducer = learned
            } else {
                progress?("learning PCA from the shingles of \(arrays.count) items")
                reducer = try learnPCA(store, arrays: arrays, settings: settings, totalPoints: livePoints)
            }
            graph = try HNSWGraph(dimension: reducer.outputDimension, space: .l2, m: settings.m,
                                  efConstruction: settings.efConstruction, capacity: max(livePoints, 1), seed: 100)
            pending = arrays
        } else {
            let current = current!
            reducer = current.reducer
            graph = current.graph
            itemsAtPCA = current.state.itemsAtPCA
            pending = arrays.filter { $0.itemID > current.state.coveredThroughItemID }
        }
        progress?("adding the shingles of \(pending.count) items to the HNSW graph")
        for info in pending {
            let feature = try store.feature(info)
            let starts = Shingles.starts(frames: info.frames, length: settings.length, hop: settings.hop)
            guard !starts.isEmpty, starts.count < 1 << 24 else { continue }
            let shingles = feature.values.withUnsafeBufferPointer {
                settings.effectiveTransform.indexShingles($0, dims: info.dims, length: settings.length, starts: starts)
            }
            try graph.add(rows: reducer.reduce(shingles), labels: starts.indices.map { label(item: info.itemID, shingle: $0) },
                          threads: threads)
        }
        // Files first (durably), then the catalog pointer, then the old files go.
        let graphFile = "\(ANNFiles.folder)/shingles-\(generation).hnsw"
        let pca = reducer as? PCA
        let pcaFile = pca == nil ? "" : "\(ANNFiles.folder)/shingles-\(generation).pca.npy"
        let folder = store.directory.appendingPathComponent(ANNFiles.folder)
        try DurableFile.createDirectory(folder)
        let temporary = folder.appendingPathComponent(".shingles-\(generation).hnsw\(DurableFile.temporarySuffix)")
        try graph.save(to: temporary)
        try DurableFile.syncFile(temporary)
        guard rename(temporary.path, store.directory.appendingPathComponent(graphFile).path) == 0 else {
            throw RefrainError(.io, "\(graphFile): cannot rename into place")
        }
        if let pca { try DurableFile.write(NPY.encode(NPYArray(pca.packed())), to: store.directory.appendingPathComponent(pcaFile)) }
        try DurableFile.syncDirectory(folder)
        let state = State(generation: generation, graphFile: graphFile, pcaFile: pcaFile,
                          coveredThroughItemID: max(arrays.map(\.itemID).max() ?? 0, current?.state.coveredThroughItemID ?? 0),
                          pointCount: graph.count, itemsAtPCA: itemsAtPCA, dimension: reducer.outputDimension,
                          reducerSHA256: learned?.sha256)
        let json = String(decoding: try JSONEncoder().encode(state), as: UTF8.self)
        // The settings name the learned weights the graph was built with.
        var recorded = store.settings
        recorded.shingles?.reducerWeights = learned?.sha256
        let settingsJSON = recorded == store.settings ? nil : try recorded.json()
        try IndexStore.wrap {
            try store.database.write { db in
                if let settingsJSON { try Catalog.setMeta(db, "settings", settingsJSON) }
                try Catalog.setMeta(db, ANNFiles.stateKey, json)
                try Catalog.setMeta(db, ANNFiles.graphKey, graphFile)
                try Catalog.setMeta(db, ANNFiles.pcaKey, pcaFile)
            }
        }
        if let old = replaced {
            unlink(store.directory.appendingPathComponent(old.graphFile).path)
            if !old.pcaFile.isEmpty { unlink(store.directory.appendingPathComponent(old.pcaFile).path) }
        }
        return ShingleIndex(settings: settings, state: state, reducer: reducer, graph: graph)
    }

    /// PCA of (a deterministic random subset of at most `pcaSampleLimit`) shingles of every item.
    static func learnPCA(_ store: IndexStore, arrays: [StoredArrayInfo], settings: ShingleSettings,
                         totalPoints: Int) throws -> PCA {
        let keepProbability = min(1, Double(settings.pcaSampleLimit) / Double(max(totalPoints, 1)))
        var generator = SplitMix64(seed: 0x5EED)
        var samples: [Float] = []
        var width = 0
        for info in arrays {
            let starts = Shingles.starts(frames: info.frames, length: settings.length, hop: settings.hop)
                .filter { _ in keepProbability >= 1 || Double(generator.next() >> 11) / Double(1 << 53) < keepProbability }
            guard !starts.isEmpty else { continue }
            let feature = try store.feature(info)
            let shingles = feature.values.withUnsafeBufferPointer {
                settings.effectiveTransform.indexShingles($0, dims: info.dims, length: settings.length, starts: starts)
            }
            width = shingles.cols
            samples += shingles.storage
        }
        let n = width > 0 ? samples.count / width : 0
        guard n >= 2 else {
            throw RefrainError(.index, "too few shingles (\(n)) to learn the PCA; add longer or more items")
        }
        let dimensions = min(settings.dimensions, width, n - 1)
        return try PCA(fitting: Matrix(rows: n, cols: width, storage: samples), dimensions: dimensions)
    }
}

/// The shingle index last loaded for a store, under the catalog's state record it was loaded for.
final class ShingleIndexCache: @unchecked Sendable {
    private let lock = NSLock()
    private var state: String?
    private var index: ShingleIndex?

    /// The cached index when `state` is the one it was loaded under, else `load()`'s, cached.
    func value(for state: String, load: () throws -> ShingleIndex?) throws -> ShingleIndex? {
        lock.lock()
        defer { lock.unlock() }
        if self.state == state, let index { return index }
        let fresh = try load()
        (self.state, index) = (state, fresh)
        return fresh
    }
}
