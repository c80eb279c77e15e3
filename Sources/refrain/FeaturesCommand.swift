import ArgumentParser
import Foundation
import Refrain

extension AudioFeatureKind: ExpressibleByArgument {}

/// `refrain features FILE --kind cqt|chroma|cens`: decode a file, compute one feature, summarize it and
/// optionally save it as .npy and .png.
struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Compute an audio feature (CQT, chroma, CENS) of a file, summarize it, save it as .npy or .png.")

    @Argument(help: "Audio file (WAV, FLAC, OGG, MP3, AIFF, ...).")
    var file: String

    @Option(help: "Feature: \(AudioFeatureKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var kind: AudioFeatureKind = .chroma

    @Option(help: "Write the values (frames x dims, float32) to this .npy file; frame times go to <name>_times.npy.")
    var out: String?

    @Option(help: "Write a heat map (time left to right, low pitch at the bottom) to this .png file.")
    var png: String?

    @Option(help: "Analysis sample rate in Hz.")
    var sr: Double = 22050

    @Option(help: "Hop between frames, in samples at the analysis rate.")
    var hop: Int = 512

    func run() throws {
        try reportingErrors {
            guard hop > 0, sr >= 1000, sr <= 192_000 else {
                throw RefrainError.invalidArgument("--hop must be positive and --sr between 1000 and 192000 Hz")
            }
            let decoded = try AudioDecoder(targetSampleRate: sr).decode(URL(fileURLWithPath: file))
            let features = try kind.compute(decoded.signal, sampleRate: sr, hopLength: hop)
            print(summary(of: features, decoded: decoded))
            if let out {
                let url = URL(fileURLWithPath: out)
                try NPY.write(features.values, to: url)
                let base = url.deletingPathExtension()
                let timesURL = base.deletingLastPathComponent().appendingPathComponent(base.lastPathComponent + "_times.npy")
                try NPY.write(NPYArray(features.times, shape: [features.times.count]), to: timesURL)
                print("wrote       \(out) (\(features.frameCount) x \(features.dimension) float32) and \(timesURL.path) (seconds)")
            }
            if let png {
                let shown = kind == .cqt ? amplitudeToDB(features.values, reference: .maximum) : features.values
                try writeFeaturePNG(shown, to: URL(fileURLWithPath: png))
                print("wrote       \(png)")
            }
        }
    }

    func summary(of features: FeatureSequence, decoded: DecodedAudio) -> String {
        let v = features.values.storage
        let mean = v.isEmpty ? 0 : v.reduce(0.0) { $0 + Double($1) } / Double(v.count)
        var lines = [
            "file        \(file) (\(decoded.info.formatName))",
            "duration    \(fmt(decoded.info.duration)) s, original \(Int(decoded.info.sampleRate)) Hz, \(decoded.info.channels) channel(s)",
            "feature     \(kind.rawValue): \(features.frameCount) frames x \(features.dimension) dims, \(fmt(sr / Double(hop))) frames/s (hop \(hop) at \(Int(sr)) Hz)",
            "values      min \(fmt(Double(v.min() ?? 0), 4))  max \(fmt(Double(v.max() ?? 0), 4))  mean \(fmt(mean, 4))",
        ]
        lines.append("\(kind.isPitchClass ? "dominant   " : "strongest  ") \(dominant(features))")
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
            return top.map { "\(kind.label(ofDimension: $0)) (\(Int((score[$0] * 100).rounded()))% of frames)" }.joined(separator: ", ")
        }
        return top.map { "\(kind.label(ofDimension: $0)) (mean \(fmt(score[$0], 4)))" }.joined(separator: ", ")
    }
}
