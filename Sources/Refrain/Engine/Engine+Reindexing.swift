import Foundation
import RefrainIndex
import RefrainMath

/// What `Engine.reindex` did.
public struct ReindexReport: Sendable {
    /// Encoders before and after.
    public var from: [EncoderRecord]
    public var to: [EncoderRecord]
    /// Items re-encoded now, and items already encoded as the target asks (from an earlier, stopped run).
    public var reencoded: Int
    public var alreadyCurrent: Int
    /// Audio items whose file is gone or changed (key and path): they cannot be re-encoded.
    public var missing: [(key: String, path: String)]
    /// Items removed because their file was missing (with `dropMissing`).
    public var dropped: [String]
    /// Whether the index is now searchable with this program's encoders.
    public var finished: Bool
    public var seconds: Double
}

extension Engine {
    /// The encoders a re-encoded index gets: for each encoder the index has, this program's version of it,
    /// keeping the index's settings when this program still reads them (else its defaults); plus this
    /// program's default encoders the index lacks.
    func reindexTarget(_ state: State) throws -> [any MusicEncoder] {
        let registry = configuration.encoders
        let recorded = try state.store.settings.encoders ?? Self.legacyRecords(state.store.settings)
        var target: [any MusicEncoder] = []
        for record in recorded where registry.entry(record.name) != nil {
            if let kept = try? registry.make(record.name, settings: record.settings) {
                target.append(kept)
            } else {
                target.append(try registry.make(record.name))
            }
        }
        for encoder in try registry.defaults() where !target.contains(where: { $0.name == encoder.name }) {
            target.append(encoder)
        }
        return target.sorted { $0.name < $1.name }
    }

    /// Re-encodes every item whose arrays were not made by this program's encoders (`reindexTarget`), from
    /// the MIDI bytes the index keeps or from the audio file it was added from (checked by SHA-256), then
    /// records the new encoders and rebuilds the shingle graph.
    ///
    /// Safe to stop at any moment: items are replaced in atomic batches, and until every item is done the
    /// index records the target and refuses searches with a sentence that says to run `reindex` again, which
    /// goes on where it stopped. Audio items whose file is missing or changed are listed in the report and
    /// keep the index unfinished, unless `dropMissing` removes them.
    public func reindex(dropMissing: Bool = false, progress: ProgressReporter? = nil) throws -> ReindexReport {
        let started = Date()
        return try withWritableStore { store, state in
            guard state.analyzer is MusicAnalyzer else {
                throw RefrainError.invalidArgument("an index of .npy features has no encoders to re-encode")
            }
            let before = try store.settings.encoders ?? Self.legacyRecords(store.settings)
            let encoders = try reindexTarget(state)
            var settings = store.settings
            settings.encoders = encoders.map(\.record)
            // A shingle graph of an earlier Refrain (no transform recorded) is rebuilt with today's.
            let oldShingles = settings.shingles?.transform == nil && settings.shingles != nil
            if oldShingles { settings.shingles?.transform = Self.musicShingles.transform }
            let analyzer = MusicAnalyzer(encoders: encoders, renderers: renderers)
            settings.features = analyzer.settings
            try store.setMeta(Self.reindexTargetKey, try settings.json())
            let fingerprints = Dictionary(uniqueKeysWithValues: encoders.map { ($0.name, $0.record.fingerprint) })
            let current = try store.arrayEncoders()
            let items = try store.items()
            var report = ReindexReport(from: before, to: settings.encoders ?? [], reencoded: 0, alreadyCurrent: 0, missing: [],
                                       dropped: [], finished: false, seconds: 0)
            let pending = items.filter { item in
                let arrays = current[item.id] ?? [:]
                let done = arrays.count == fingerprints.count && fingerprints.allSatisfy { arrays[$0.key] == .some($0.value) }
                if done { report.alreadyCurrent += 1 }
                return !done
            }
            progress?.note("re-encoding \(pending.count) of \(items.count) items with \(encoders.map(\.record.identity).joined(separator: ", "))")
            var batch: [StagedItem] = []
            for item in pending {
                defer { progress?.step() }
                do {
                    let analysis: ItemAnalysis
                    if item.kind == .midi, let midi = try store.blob("midi", of: item.id) {
                        analysis = try analyzer.analyze(URL(fileURLWithPath: "\(item.key).mid"), bytes: midi,
                                                        threads: configuration.budget.threads)
                    } else {
                        let url = URL(fileURLWithPath: item.path)
                        guard FileManager.default.fileExists(atPath: url.path), try SHA256.hex(ofFile: url) == item.sha256 else {
                            report.missing.append((item.key, item.path))
                            continue
                        }
                        analysis = try analyzer.analyze(url, bytes: nil, threads: configuration.budget.threads)
                    }
                    batch.append(try store.stageReplacement(of: item, analysis: analysis))
                } catch let error as RefrainError {
                    report.missing.append((item.key, "\(item.path) (\(error.message))"))
                }
                if batch.count >= 32 {
                    try store.commitReplacements(batch)
                    report.reencoded += batch.count
                    batch = []
                }
            }
            try store.commitReplacements(batch)
            report.reencoded += batch.count
            if dropMissing && !report.missing.isEmpty {
                report.dropped = report.missing.map(\.key)
                try store.remove(keys: report.dropped)
                report.missing = []
            }
            if report.missing.isEmpty {
                try store.replaceSettings(settings)
                if report.reencoded > 0 || !report.dropped.isEmpty || oldShingles {
                    try ShingleIndex.rebuild(store, threads: configuration.budget.threads) { progress?.note($0) }
                }
                try store.setMeta(Self.reindexTargetKey, nil)
                report.finished = true
            }
            report.seconds = Date().timeIntervalSince(started)
            return report
        }
    }
}
