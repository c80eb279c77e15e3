import ArgumentParser
import Foundation
import Refrain

/// `refrain align A B`: aligns two inputs with DTW, prints the cost, writes the path as seconds and
/// optionally draws the cost matrix with the path (`Aligner`).
struct AlignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "align",
        abstract: "Align two sequences with DTW; print the cost, write the path as CSV (seconds), draw it.",
        discussion: """
        Inputs: audio (WAV, FLAC, OGG, MP3) and MIDI files, aligned on chroma (the chroma under the index's \
        CENS: chroma_cqt at 22050 Hz, hop 2048, about 10.8 frames per second; MIDI rendered through \
        FluidSynth), or .npy feature matrices of shape frames x dims (float or integer) at --rate frames per \
        second. --metric hamming aligns .npy hash sequences instead: one integer code per frame, shape (frames,) \
        or (frames, 1), dtype uint16/32/64 or int16/32/64, the same width in A and B; the cost of two \
        frames is the number of bits in which their codes differ.
        Above 50 million cells the alignment is multiscale DTW (bounded memory). The CSV has one row per path step, "a_seconds,b_seconds"; with --every S it has instead one \
        row every S seconds of A with the matching time in B (the "interpretation switcher").
        """)

    @Argument(help: "First input (rows of the cost matrix; the query with --subsequence).")
    var a: String

    @Argument(help: "Second input (columns of the cost matrix).")
    var b: String

    @Option(help: "Frame cost: euclidean, sqeuclidean, cosine, or hamming (for .npy integer hash sequences).")
    var metric: String = "cosine"

    @Option(help: "Sakoe-Chiba band radius as a fraction of the shorter sequence (librosa's band_rad).")
    var band: Float?

    @Flag(help: "Find A inside B: the path may start and end anywhere in B.")
    var subsequence = false

    @Option(help: "Frames per second of .npy inputs (10 Hz: librosa chroma at 22050 Hz with hop 2205).")
    var rate: Double = 10

    @Option(help: "Frames per second of B when it differs from --rate.")
    var rateB: Double?

    @Option(help: "Write the path CSV here (default: standard output).")
    var csv: String?

    @Option(help: "Resample the path: one row every this many seconds of A.")
    var every: Double?

    @Option(help: "Draw the cost matrix with the path to this PNG file.")
    var png: String?

    @OptionGroup var engine: EngineOptions

    func run() throws {
        try reportingErrors {
            if let every, !(every > 0) { throw RefrainError.invalidArgument("--every must be positive") }
            var request = AlignmentRequest(a: URL(fileURLWithPath: a), b: URL(fileURLWithPath: b))
            request.metric = metric
            request.band = band
            request.subsequence = subsequence
            request.rate = rate
            request.rateB = rateB
            request.picture = png != nil
            let configuration = try engine.configuration
            request.soundfont = configuration.soundfont
            request.threads = configuration.budget.threads
            let report = try Aligner.align(request)
            if let multiscale = report.multiscale {
                print("multiscale DTW: \(multiscale.levels) levels, \(multiscale.cellsAtFinestLevel) cells at full rate")
            }
            if let match = report.match { print(String(format: "match: B %.3f s - %.3f s", match.lowerBound, match.upperBound)) }
            print(String(format: "cost: %.6g (%@, %d x %d frames, %d path steps, %.6g per step)", report.cost, metric,
                         report.framesA, report.framesB, report.path.count, report.cost / Float(max(report.path.count, 1))))
            let text = report.csv(every: every)
            if let csv {
                do { try text.write(toFile: csv, atomically: true, encoding: .utf8) } catch {
                    throw RefrainError(.io, "\(csv): cannot write (\(error.localizedDescription))")
                }
                print("path: \(csv)")
            } else {
                print(text, terminator: "")
            }
            if let png, let picture = report.picture {
                try picture.writePNG(to: URL(fileURLWithPath: png))
                print("picture: \(png)")
            }
        }
    }
}
