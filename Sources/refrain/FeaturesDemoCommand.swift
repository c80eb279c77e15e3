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
            let sr = 22050.0
            let events = Synthesizer.scaleAndCadence()
            let signal = AudioSignal(samples: Synthesizer.render(events, sampleRate: sr), sampleRate: sr)
            let directory = outDir.map { URL(fileURLWithPath: $0) } ?? FileManager.default.temporaryDirectory
                .appendingPathComponent("refrain-demo-\(UUID().uuidString.prefix(8))")
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            } catch {
                throw RefrainError(.io, "\(directory.path): cannot create the directory")
            }
            let start = Date()
            let cqt = try CQT(.raffelEllis2015).magnitude(signal)
            let extractor = try ChromaExtractor(sampleRate: sr)
            let chroma = try extractor.chroma(signal)
            let cens = try extractor.cens(signal)
            let elapsed = Date().timeIntervalSince(start)
            print("signal      C major scale (8 x 0.5 s) + I-IV-V-I in C (4 x 1 s), \(fmt(signal.duration)) s at \(Int(sr)) Hz")
            print("features    CQT \(cqt.frameCount)x\(cqt.dimension), chroma \(chroma.frameCount)x12, CENS \(cens.frameCount)x12 in \(fmt(elapsed * 1000, 1)) ms")
            print("")
            print("  time     played              CQT peak  chroma  CENS")
            var onset = 0.0, hits = 0, total = 0
            for event in events {
                let span = (onset + 0.1)..<(onset + event.seconds - 0.05)
                let truthNote = event.notes.count == 1 ? event.notes[0] : event.notes[0]  // melody note or chord root (bass)
                let truthClass = pitchClassNames[truthNote % 12]
                let peakBin = argmax(mean(cqt, over: span))
                let chromaClass = pitchClassNames[argmax(mean(chroma, over: span))]
                let censClass = pitchClassNames[argmax(mean(cens, over: span))]
                let played = event.notes.count == 1 ? pitchName(midi: truthNote)
                    : "chord " + event.notes.map { pitchName(midi: $0) }.joined(separator: " ")
                let ok = chromaClass == truthClass
                hits += ok ? 1 : 0; total += 1
                print("  \(fmt(onset, 1).padding(5)) s  \(played.padding(19))  \(pitchName(midi: 36 + peakBin).padding(8))  \(chromaClass.padding(6))  \(censClass.padding(5))  \(ok ? "ok" : "MISSED")")
                onset += event.seconds
            }
            print("")
            print("chroma      strongest pitch class = played note / chord root in \(hits) of \(total) segments")
            let audioURL = directory.appendingPathComponent("demo.wav")
            try signal.write(to: audioURL)
            for (name, values) in [("cqt", amplitudeToDB(cqt.values, reference: .maximum)), ("chroma", chroma.values), ("cens", cens.values)] {
                try writeFeaturePNG(values, to: directory.appendingPathComponent("demo_\(name).png"))
            }
            print("wrote       \(audioURL.path), demo_cqt.png, demo_chroma.png, demo_cens.png in \(directory.path)")
        }
    }

    /// Mean of the frames whose time falls in `span` (seconds), one value per dimension.
    func mean(_ features: FeatureSequence, over span: Range<Double>) -> [Float] {
        var sum = [Float](repeating: 0, count: features.dimension), n: Float = 0
        for t in 0..<features.frameCount where span.contains(features.times[t]) {
            for d in 0..<features.dimension { sum[d] += features.values[t, d] }
            n += 1
        }
        return sum.map { $0 / max(n, 1) }
    }

    func argmax(_ v: [Float]) -> Int { v.indices.max { v[$0] < v[$1] } ?? 0 }
}

extension String {
    /// Left-aligned in a field of `width` characters.
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
