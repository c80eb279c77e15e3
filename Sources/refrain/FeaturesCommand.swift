import ArgumentParser
import Foundation
import Refrain

extension FeatureKind: ExpressibleByArgument {}
extension FrequencyAggregate: ExpressibleByArgument {}

/// `refrain features FILE --kind cqt|chroma|cens|cqt_beats|onset|beats [--beat-sync]`: analyse an audio or MIDI
/// file with the index's own front end, summarize the feature and optionally save it as .npy (with its frame
/// times) and .png. Without options the settings are the index's; the summary says where they differ.
struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Compute an audio feature (CQT, chroma, CENS, beat-synchronous CQT, onset strength, beats, f0, melody f0) of a file; save it as .npy or .png.",
        discussion: """
        The features an index stores (cens, cqt_beats) are computed by the index's own encoders, and the others \
        (cqt, chroma, onset, beats) by the code those encoders are built on, with the same settings unless \
        options change them: chroma and cens at hop 2048 (CENS smoothed over 21 frames and downsampled by 5, \
        about 2.15 frames/s), cqt, cqt_beats, onset and beats at hop 512, all at 22050 Hz. MIDI files are \
        rendered through FluidSynth first.
        """)

    @Argument(help: "Audio file (WAV, FLAC, OGG, MP3, AIFF, ...) or MIDI file.")
    var file: String

    @Option(help: "Feature: \(FeatureKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var kind: FeatureKind = .chroma

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

    @Option(help: "Hop between frames, in samples at the analysis rate (default: the index's, 2048 for chroma and cens, 512 otherwise).")
    var hop: Int?

    @Option(name: .customLong("win-len-smooth"),
            help: "cens only: Hann smoothing window in chroma frames (librosa's win_len_smooth; the index uses 21, 0 turns smoothing off).")
    var winLenSmooth: Int?

    @Option(help: "cens only: keep every N-th smoothed frame, so CENS comes at sr / (hop * N) frames per second (the index uses 5; e.g. 10 with --hop 2205 gives Müller's 1 Hz CENS).")
    var censDownsample: Int?

    @OptionGroup var engine: EngineOptions

    func run() throws {
        try reportingErrors {
            var request = FeatureRequest(kind: kind)
            request.sampleRate = sr
            request.hop = hop
            request.beatSync = beatSync ? aggregate : nil
            request.censSmoothing = winLenSmooth
            request.censDownsampling = censDownsample
            let configuration = try engine.configuration
            request.soundfont = configuration.soundfont
            request.threads = configuration.budget.threads
            let result = try FeatureExtraction.compute(URL(fileURLWithPath: file), request)
            print(summary(of: result))
            if let beats = result.beats, kind == .beats || beatSync || kind == .cqtBeats { print(beatSummary(beats)) }
            if let out {
                let url = URL(fileURLWithPath: out)
                let features = result.features
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
                try FeaturePicture.image(of: result).writePNG(to: URL(fileURLWithPath: png))
                print("wrote       \(png)")
            }
        }
    }

    /// Tempo, beat count and the first beat times.
    func beatSummary(_ beats: BeatTrack) -> String {
        let first = beats.times.prefix(8).map { fmt($0, 2) }.joined(separator: " ")
        return "beats       \(beats.times.count) at \(fmt(beats.bpm, 1)) BPM; first (s): \(first)\(beats.times.count > 8 ? " ..." : "")"
    }

    func summary(of result: FeatureResult) -> String {
        let features = result.features
        let v = features.values.storage
        let mean = v.isEmpty ? 0 : v.reduce(0.0) { $0 + Double($1) } / Double(v.count)
        let hop = result.request.effectiveHop
        let pooled = beatSync || kind == .beats || kind == .cqtBeats
        let unit = beatSync || kind == .cqtBeats ? "segments" : kind == .beats ? "beats" : "frames"
        let kept = kind == .cens && result.frameRate < sr / Double(hop) - 1e-9
            ? ", 1 frame in \(Int((sr / Double(hop) / result.frameRate).rounded())) kept" : ""
        var lines: [String] = []
        if let info = result.audioInfo {
            lines.append("file        \(file) (\(info.formatName))")
            lines.append("duration    \(fmt(result.duration)) s, original \(Int(info.sampleRate)) Hz, \(info.channels) channel(s)")
        } else {
            lines.append("file        \(file) (\(result.inputKind.rawValue), rendered at \(Int(sr)) Hz)")
            lines.append("duration    \(fmt(result.duration)) s")
        }
        lines.append("feature     \(kind.rawValue)\(beatSync ? " (beat-synchronous, \(aggregate.rawValue))" : ""): \(features.frameCount) \(unit) x \(features.dimension) dims, \(pooled ? "on beats found at " : "")\(fmt(result.frameRate)) frames/s (hop \(hop) at \(Int(sr)) Hz\(kept))")
        if let settings = result.settingsNote { lines.append("settings    \(settings)") }
        if kind == .f0 || kind == .melodyF0 {
            let hz = (0..<features.frameCount).map { features.values[$0, 0] }.filter(\.isFinite).sorted()
            let voiced = features.frameCount == 0 ? 0 : 100 * hz.count / features.frameCount
            lines.append("f0          \(voiced)% of frames voiced" + (hz.isEmpty ? "" : ", median \(fmt(Double(hz[hz.count / 2]), 1)) Hz, range \(fmt(Double(hz[0]), 1))-\(fmt(Double(hz[hz.count - 1]), 1)) Hz"))
            return lines.joined(separator: "\n")
        }
        lines.append("values      min \(fmt(Double(v.min() ?? 0), 4))  max \(fmt(Double(v.max() ?? 0), 4))  mean \(fmt(mean, 4))")
        if kind.isFrameWise || kind == .cqtBeats { lines.append("\(kind.isPitchClass ? "dominant   " : "strongest  ") \(dominant(features))") }
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
