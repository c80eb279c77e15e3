import ArgumentParser
import Foundation
import Refrain

extension AudioFeatureKind: ExpressibleByArgument {}
extension FrequencyAggregate: ExpressibleByArgument {}

/// `refrain features FILE --kind cqt|chroma|cens|onset|beats [--beat-sync]`: decode a file, compute one feature,
/// summarize it and optionally save it as .npy (with its frame times) and .png. For CENS, `--win-len-smooth`
/// (frames) and `--cens-downsample` (a factor) set the smoothing and the feature rate (`CENSParameters`).
struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Compute an audio feature (CQT, chroma, CENS, onset strength, beats) of a file; save it as .npy or .png.")

    @Argument(help: "Audio file (WAV, FLAC, OGG, MP3, AIFF, ...).")
    var file: String

    @Option(help: "Feature: \(AudioFeatureKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var kind: AudioFeatureKind = .chroma

    @Flag(help: "Pool cqt, chroma or cens over the segments between tracked beats (one row per beat).")
    var beatSync = false

    @Option(help: "Pooling for --beat-sync: mean or median.")
    var aggregate: FrequencyAggregate = .mean

    @Option(help: "Write the values (frames x dims float32; for beats, the beat times in seconds, float64) to this .npy file; frame times go to <name>_times.npy.")
    var out: String?

    @Option(help: "Write a picture to this .png file: a heat map (time left to right, low pitch at the bottom), or for onset and beats the onset curve with beat ticks.")
    var png: String?

    @Option(help: "Analysis sample rate in Hz.")
    var sr: Double = 22050

    @Option(help: "Hop between frames, in samples at the analysis rate.")
    var hop: Int = 512

    @Option(name: .customLong("win-len-smooth"),
            help: "cens only: Hann smoothing window in chroma frames (librosa's win_len_smooth; default 41, 0 turns smoothing off).")
    var winLenSmooth: Int?

    @Option(help: "cens only: keep every N-th smoothed frame, so CENS comes at sr / (hop * N) frames per second (default 1; e.g. 10 with --hop 2205 gives Müller's 1 Hz CENS).")
    var censDownsample: Int?

    /// The CENS parameters the options ask for.
    var cens: CENSParameters {
        CENSParameters(smoothingLength: winLenSmooth ?? 41, downsampling: censDownsample ?? 1)
    }

    /// Frames per second of the feature (before beat-synchronous pooling).
    var frameRate: Double { sr / Double(hop) / Double(kind == .cens ? cens.downsampling : 1) }

    func run() throws {
        try reportingErrors {
            guard hop > 0, sr >= 1000, sr <= 192_000 else {
                throw RefrainError.invalidArgument("--hop must be positive and --sr between 1000 and 192000 Hz")
            }
            if beatSync, !kind.isFrameWise {
                throw RefrainError.invalidArgument("--beat-sync applies to cqt, chroma and cens, not \(kind.rawValue)")
            }
            if kind != .cens, winLenSmooth != nil || censDownsample != nil {
                throw RefrainError.invalidArgument("--win-len-smooth and --cens-downsample apply to --kind cens only")
            }
            try cens.validate()
            let decoded = try AudioDecoder(targetSampleRate: sr).decode(URL(fileURLWithPath: file))
            let analysis = try kind.analyze(decoded.signal, sampleRate: sr, hopLength: hop, beatSync: beatSync ? aggregate : nil,
                                            cens: cens)
            let features = analysis.features
            print(summary(of: features, decoded: decoded))
            if let beats = analysis.beats { print(beatSummary(beats)) }
            if let out {
                let url = URL(fileURLWithPath: out)
                if kind == .beats {
                    try NPY.write(NPYArray(features.times, shape: [features.times.count]), to: url)
                } else {
                    try NPY.write(features.values, to: url)
                }
                let base = url.deletingPathExtension()
                let timesURL = base.deletingLastPathComponent().appendingPathComponent(base.lastPathComponent + "_times.npy")
                try NPY.write(NPYArray(features.times, shape: [features.times.count]), to: timesURL)
                let shape = kind == .beats ? "\(features.frameCount) beat times, float64 seconds"
                    : "\(features.frameCount) x \(features.dimension) float32"
                print("wrote       \(out) (\(shape)) and \(timesURL.path) (seconds)")
            }
            if let png {
                let url = URL(fileURLWithPath: png)
                switch kind {
                case .onset, .beats:
                    // The curve is the onset strength in both cases; beats are drawn as ticks on it.
                    let envelope = kind == .onset ? features
                        : try AudioFeatureKind.onset.compute(decoded.signal, sampleRate: sr, hopLength: hop)
                    let beats = kind == .beats ? analysis.beats?.frames ?? []
                        : (try? trackBeats(OnsetEnvelope(strength: envelope.values.storage, hopLength: hop, sampleRate: sr)).frames) ?? []
                    try writeCurvePNG(envelope.values.storage, ticks: beats, to: url)
                default:
                    let shown = kind == .cqt ? amplitudeToDB(features.values, reference: .maximum) : features.values
                    try writeFeaturePNG(shown, to: url)
                }
                print("wrote       \(png)")
            }
        }
    }

    /// Tempo, beat count and the first beat times.
    func beatSummary(_ beats: BeatTrack) -> String {
        let first = beats.times.prefix(8).map { fmt($0, 2) }.joined(separator: " ")
        return "beats       \(beats.times.count) at \(fmt(beats.bpm, 1)) BPM; first (s): \(first)\(beats.times.count > 8 ? " ..." : "")"
    }

    func summary(of features: FeatureSequence, decoded: DecodedAudio) -> String {
        let v = features.values.storage
        let mean = v.isEmpty ? 0 : v.reduce(0.0) { $0 + Double($1) } / Double(v.count)
        var lines = [
            "file        \(file) (\(decoded.info.formatName))",
            "duration    \(fmt(decoded.info.duration)) s, original \(Int(decoded.info.sampleRate)) Hz, \(decoded.info.channels) channel(s)",
            "feature     \(kind.rawValue)\(beatSync ? " (beat-synchronous, \(aggregate.rawValue))" : ""): \(features.frameCount) \(beatSync ? "segments" : kind == .beats ? "beats" : "frames") x \(features.dimension) dims, \(beatSync || kind == .beats ? "on beats found at " : "")\(fmt(frameRate)) frames/s (hop \(hop) at \(Int(sr)) Hz\(frameRate < sr / Double(hop) ? ", 1 frame in \(cens.downsampling) kept" : ""))",
            "values      min \(fmt(Double(v.min() ?? 0), 4))  max \(fmt(Double(v.max() ?? 0), 4))  mean \(fmt(mean, 4))",
        ]
        if kind.isFrameWise { lines.append("\(kind.isPitchClass ? "dominant   " : "strongest  ") \(dominant(features))") }
        return lines.joined(separator: "\n")
    }

    /// For pitch-class features, the classes that are strongest in the most frames; for the CQT, the bins with the
    /// highest mean magnitude.
    func dominant(_ features: FeatureSequence) -> String {
        let dims = features.dimension, frames = features.frameCount
        guard dims > 0, frames > 0 else { return "-" }
        var score = [Double](repeating: 0, count: dims)
        for t in 0..<frames {
            let row = features.values.row(t)
            if kind.isPitchClass {
                if let best = row.indices.max(by: { row[$0] < row[$1] }), row[best] > 0 { score[best] += 1 / Double(frames) }
            } else {
                for d in 0..<dims { score[d] += Double(row[d]) / Double(frames) }
            }
        }
        let top = score.indices.sorted { score[$0] > score[$1] }.prefix(3).filter { score[$0] > 0 }
        if top.isEmpty { return "none (the signal is silent)" }
        if kind.isPitchClass {
            return top.map { "\(kind.label(ofDimension: $0)) (\(Int((score[$0] * 100).rounded()))% of \(beatSync ? "segments" : "frames"))" }.joined(separator: ", ")
        }
        return top.map { "\(kind.label(ofDimension: $0)) (mean \(fmt(score[$0], 4)))" }.joined(separator: ", ")
    }
}
