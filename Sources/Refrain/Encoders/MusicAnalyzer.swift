import Foundation
import RefrainIndex
import RefrainMath

/// The analyzer of Refrain's indexes of audio and MIDI: builds an `AnalysisSource` for a file (or its bytes)
/// and runs a list of encoders over it. Indexed items and queries go through this one road, so both sides are
/// represented alike; a query runs only the encoders its task needs (`analysis(of:encoders:)`).
///
/// MIDI files keep their bytes as the blob `midi` (so they can be rendered again, e.g. by `reindex`).
public struct MusicAnalyzer: ItemAnalyzer {
    /// Identifies the pipeline in index settings (kept from Refrain 0.1, whose indexes it reads).
    public static let identifier = "refrain-music/1"

    /// Every encoder an item gets.
    public let encoders: [any MusicEncoder]
    let renderers: RendererPool

    init(encoders: [any MusicEncoder], renderers: RendererPool) {
        self.encoders = encoders
        self.renderers = renderers
    }

    public var identifier: String { Self.identifier }

    /// The settings of the encoders, merged (as Refrain 0.1 recorded them in `IndexSettings.features`).
    public var settings: [String: String] {
        encoders.reduce(into: [:]) { $0.merge($1.record.settings) { first, _ in first } }
    }

    public func accepts(_ url: URL) -> Bool { AnalysisSource.kind(of: url) != nil }

    public func analyze(_ url: URL, bytes: Data?, threads: Int) throws -> ItemAnalysis {
        let source = try AnalysisSource(url: url, bytes: bytes, renderers: renderers, threads: threads)
        source.isIndexedItem = true
        return try analysis(of: source, encoders: encoders)
    }

    /// Runs `encoders` over `source`; every one must accept the source's kind. They run one after another on
    /// the source's threads, or with `lanes` above 1 on that many lanes of the source side by side
    /// (`AnalysisSource.lanes`, at most one per thread of its budget, each with the source's threads), encoder `i` on lane
    /// `i % lanes` (`SearchTask.analysisLanes`: for `midi-to-audio-hashed`, the rendering, `cqt_beats`' CQT and
    /// the embedder on one lane, the chroma CQT of `cens` and the hasher on the other). The arrays are the
    /// same either way (`MusicAnalyzerLanesTests`). After an error no encoder starts, and the first failed
    /// encoder's error (in order) is thrown.
    func analysis(of source: AnalysisSource, encoders: [any MusicEncoder], lanes: Int = 1) throws -> ItemAnalysis {
        for encoder in encoders where !encoder.inputs.contains(source.kind) {
            throw RefrainError.invalidArgument("\(source.name): the encoder \(encoder.name) does not read \(source.kind.rawValue) input")
        }
        // The CQTs of `cqt_beats` and `cens` advance while a score renders (the same magnitudes, bit for bit).
        var streamed: [AnalysisSource.StreamedCQT] = []
        for case let encoder as any CQTWhileRenderingEncoder in encoders
        where !streamed.contains(where: { $0.cqt.configuration == encoder.streamedCQT.cqt.configuration }) {
            streamed.append(encoder.streamedCQT)
        }
        source.computeWhileRendering(streamed)
        let lanes = source.lanes(max(1, min(lanes, source.threads, encoders.count)))
        // An encoder not yet started when one has failed is skipped (its slot stays nil).
        var encoded = [Result<EncodedArray, Error>?](repeating: nil, count: encoders.count)
        let failed = FailureFlag()
        try encoded.withUnsafeMutableBufferPointer { slots in
            let out = UncheckedSendable(slots.baseAddress!)
            try concurrentForEach(encoders.count, threads: lanes.count) { i in
                guard !failed.isSet else { return }
                let array = Result { try encoders[i].encode(lanes[i % lanes.count]) }
                if case .failure = array { failed.set() }
                out.value[i] = array
            }
        }
        for case .failure(let error)? in encoded { throw error }
        var features: [String: FeatureSequence] = [:]
        var codes: [String: CodeSequence] = [:]
        var records: [String: EncoderRecord] = [:]
        for (encoder, array) in zip(encoders, encoded) {
            switch try array!.get() {
            case .features(let sequence): features[encoder.name] = sequence
            case .codes(let sequence): codes[encoder.name] = sequence
            }
            records[encoder.name] = encoder.record
        }
        let rate = encoders.compactMap { Double($0.record.settings["sample_rate"] ?? "") }.first ?? 22050
        let kind: ItemKind = source.kind == .midi ? .midi : .audio
        return ItemAnalysis(kind: kind, duration: try source.duration(sampleRate: rate), features: features, codes: codes,
                            encoders: records, blobs: source.midiBytes.map { ["midi": $0] } ?? [:], title: source.title)
    }
}

/// Whether one of several concurrent workers has failed (set once, read by all).
private final class FailureFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}
