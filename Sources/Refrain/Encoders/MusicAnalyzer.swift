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

    /// Runs `encoders` (in order) over `source`; every one must accept the source's kind.
    func analysis(of source: AnalysisSource, encoders: [any MusicEncoder]) throws -> ItemAnalysis {
        var features: [String: FeatureSequence] = [:]
        var codes: [String: CodeSequence] = [:]
        var records: [String: EncoderRecord] = [:]
        for encoder in encoders {
            guard encoder.inputs.contains(source.kind) else {
                throw RefrainError.invalidArgument("\(source.name): the encoder \(encoder.name) does not read \(source.kind.rawValue) input")
            }
            switch try encoder.encode(source) {
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
