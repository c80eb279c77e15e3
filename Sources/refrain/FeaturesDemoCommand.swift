import ArgumentParser
import Foundation
import Refrain

/// `refrain demo features`: synthesizes a C major scale and a I-IV-V-I cadence, computes CQT, chroma and CENS, prints
/// what was detected against what was played, and writes pictures.
struct FeaturesDemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Synthesize a scale and a cadence, analyse them (CQT, chroma, CENS), compare with the truth, draw them.")

    @Option(help: "Directory for the pictures and the audio (default: a new temporary directory).")
    var outDir: String?

    func run() throws {
        try reportingErrors {
            let directory = outDir.map { URL(fileURLWithPath: $0) } ?? FileManager.default.temporaryDirectory
                .appendingPathComponent("refrain-demo-\(UUID().uuidString.prefix(8))")
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            } catch {
                throw RefrainError(.io, "\(directory.path): cannot create the directory")
            }
            let tour = try FeatureTour()
            print("signal      C major scale (8 x 0.5 s) + I-IV-V-I in C (4 x 1 s), \(fmt(tour.signal.duration)) s at \(Int(tour.signal.sampleRate)) Hz")
            print("features    CQT \(tour.cqt.frameCount)x\(tour.cqt.dimension), chroma \(tour.chroma.frameCount)x12, CENS \(tour.cens.frameCount)x12 in \(fmt(tour.seconds * 1000, 1)) ms")
            print("")
            print("  time     played              CQT peak  chroma  CENS")
            for s in tour.segments {
                print("  \(fmt(s.onset, 1).padding(5)) s  \(s.played.padding(19))  \(s.cqtPeak.padding(8))  \(s.chroma.padding(6))  \(s.cens.padding(5))  \(s.chromaCorrect ? "ok" : "MISSED")")
            }
            print("")
            print("chroma      strongest pitch class = played note / chord root in \(tour.segments.filter(\.chromaCorrect).count) of \(tour.segments.count) segments")
            let files = try tour.write(to: directory)
            print("wrote       \(files.map(\.lastPathComponent).joined(separator: ", ")) in \(directory.path)")
        }
    }
}

extension String {
    /// Left-aligned in a field of `width` characters.
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
