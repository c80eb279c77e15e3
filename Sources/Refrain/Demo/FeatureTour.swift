import Foundation
import RefrainAudio
import RefrainFeatures
import RefrainMath

/// `refrain demo features`: a C major scale and a I-IV-V-I cadence synthesized, analysed with the index's
/// front end (CQT, chroma, CENS), and what was found set against what was played.
public struct FeatureTour: Sendable {
    /// One played segment and what each feature found there.
    public struct Segment: Sendable {
        public var onset: Double
        /// "C4" or "chord C3 E3 G3".
        public var played: String
        /// Pitch of the strongest CQT bin, and strongest pitch classes of chroma and CENS.
        public var cqtPeak: String
        public var chroma: String
        public var cens: String
        /// Whether chroma's strongest class is the played note or the chord's root.
        public var chromaCorrect: Bool
    }

    public var signal: AudioSignal
    public var cqt: FeatureSequence
    public var chroma: FeatureSequence
    public var cens: FeatureSequence
    public var seconds: Double
    public var segments: [Segment]

    /// Synthesizes and analyses the tour (CQT 48 bins from C2 at hop 512; chroma and CENS with librosa's
    /// defaults at hop 512, for a finer picture than the index's 2 frames per second).
    public init() throws {
        let sr = 22050.0
        let events = Synthesizer.scaleAndCadence()
        signal = AudioSignal(samples: Synthesizer.render(events, sampleRate: sr), sampleRate: sr)
        let start = Date()
        cqt = try CQT(.raffelEllis2015).magnitude(signal)
        let extractor = try ChromaExtractor(sampleRate: sr)
        chroma = try extractor.chroma(signal)
        cens = try extractor.cens(signal)
        seconds = Date().timeIntervalSince(start)
        var onset = 0.0
        segments = []
        for event in events {
            let span = (onset + 0.1)..<(onset + event.seconds - 0.05)
            let truth = event.notes[0]  // the melody note, or the chord's root (bass)
            let chromaClass = pitchClassNames[Self.argmax(Self.mean(chroma, over: span))]
            segments.append(Segment(
                onset: onset,
                played: event.notes.count == 1 ? pitchName(midi: truth) : "chord " + event.notes.map { pitchName(midi: $0) }.joined(separator: " "),
                cqtPeak: pitchName(midi: 36 + Self.argmax(Self.mean(cqt, over: span))),
                chroma: chromaClass, cens: pitchClassNames[Self.argmax(Self.mean(cens, over: span))],
                chromaCorrect: chromaClass == pitchClassNames[truth % 12]))
            onset += event.seconds
        }
    }

    /// Writes `demo.wav` and `demo_cqt.png`, `demo_chroma.png`, `demo_cens.png` into `directory`.
    public func write(to directory: URL) throws -> [URL] {
        let audio = directory.appendingPathComponent("demo.wav")
        try signal.write(to: audio)
        var written = [audio]
        for (name, values) in [("cqt", amplitudeToDB(cqt.values, reference: .maximum)), ("chroma", chroma.values), ("cens", cens.values)] {
            let url = directory.appendingPathComponent("demo_\(name).png")
            try FeaturePicture.heatmap(values).writePNG(to: url)
            written.append(url)
        }
        return written
    }

    static func mean(_ features: FeatureSequence, over span: Range<Double>) -> [Float] {
        var sum = [Float](repeating: 0, count: features.dimension), n: Float = 0
        for t in 0..<features.frameCount where span.contains(features.times[t]) {
            for d in 0..<features.dimension { sum[d] += features.values[t, d] }
            n += 1
        }
        return sum.map { $0 / max(n, 1) }
    }

    static func argmax(_ v: [Float]) -> Int { v.indices.max { v[$0] < v[$1] } ?? 0 }
}
