import ArgumentParser
import Foundation
import Refrain
import RefrainAudio
import RefrainFeatures
import RefrainMath
import RefrainSymbolic

/// `refrain-bench melody`: the predominant-melody estimate (`predominantMelody`, after Salamon & Gómez 2012) on
/// pieces of the development corpus rendered through several soundfonts, against the melody the score holds
/// (the skyline of `MIDIScore.melodyPart()`, on a 10 ms grid): the MIREX measures per soundfont, per half
/// (pieces alternate, tuning half first, per category) and per kind of piece (one part or several), and the
/// speed in times real time. The last soundfont is the unseen performer: no setting was chosen on it.
/// There is no peer: librosa has no predominant-melody estimator for polyphonic audio (its `pyin` is monophonic),
/// and Melodia is not pip-installable.
struct MelodyBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "melody",
        abstract: "Predominant-melody accuracy (MIREX measures) on rendered corpus pieces against their scores' melody; speed.")

    @Option(help: "Development corpus folder.") var corpus: String = "../shared/corpus"
    @Option(help: "Soundfonts, separated by ','; the last is reported as the unseen performer.")
    var soundfonts: String = "/usr/share/sounds/sf2/FluidR3_GM.sf2,/usr/share/sounds/sf2/TimGM6mb.sf2,/usr/share/sounds/sf3/MuseScore_General_Lite.sf3"
    @Option(help: "Pieces per category (0: all melodic pieces).") var perCategory: Int = 0
    @Option(help: "Halves measured: 'tune', 'report' or 'both'.") var halves: String = "both"
    @Option(help: "Seconds of each piece kept (0: all).") var seconds: Double = 30
    @Option(help: "Override: seed ratio to the frame's highest salience peak (τ+).") var framePeakRatio: Float?
    @Option(help: "Override: voicing deviation ν.") var voicingDeviation: Float?
    @Option(help: "Override: harmonics summed.") var harmonics: Int?
    @Option(help: "Override: shortest contour, seconds.") var minimumContour: Double?
    @Option(help: "Override: peak deviation τσ.") var peakDeviation: Float?
    @Option(help: "Override: top-voice ratio (0: the most salient contour per frame).") var topVoiceRatio: Float?
    @Flag(help: "Octave duplicates by salience where they overlap instead of distance to the pitch trend (the paper's rule).") var octaveBySalience = false

    var parameters: PredominantMelodyParameters {
        var p = PredominantMelodyParameters()
        if let framePeakRatio { p.framePeakRatio = framePeakRatio }
        if let voicingDeviation { p.voicingDeviation = voicingDeviation }
        if let harmonics { p.harmonics = harmonics }
        if let minimumContour { p.minimumContour = minimumContour }
        if let peakDeviation { p.peakDeviation = peakDeviation }
        if octaveBySalience { p.octaveBySalience = true }
        if let topVoiceRatio { p.topVoiceRatio = topVoiceRatio }
        return p
    }

    /// A corpus piece with its half (0 tuning, 1 report) and the melody f0 on a 10 ms grid.
    struct Piece { var key: String; var category: String; var half: Int; var score: MIDIScore; var times: [Double]; var f0: [Float]; var parts: Int }

    func run() throws {
        try reportingErrors {
            let folder = URL(fileURLWithPath: corpus)
            guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("manifest.csv").path) else {
                throw RefrainError.fileNotFound(folder.appendingPathComponent("manifest.csv").path)
            }
            let parameters = self.parameters
            try parameters.validate()
            let pieces = try Self.pieces(folder, perCategory: perCategory, seconds: seconds)
                .filter { halves == "both" || (halves == "tune") == ($0.half == 0) }
            let fonts = soundfonts.split(separator: ",").map(String.init)
            print("refrain-bench melody: \(pieces.count) melodic corpus pieces (first \(fmt(seconds, 0)) s each), " +
                  "\(fonts.count) soundfonts; hop \(parameters.hopLength) at \(Int(parameters.sampleRate)) Hz, \(parameters.harmonics) harmonics, " +
                  "τ+ \(parameters.framePeakRatio), τσ \(parameters.peakDeviation), ν \(parameters.voicingDeviation), shortest contour \(parameters.minimumContour) s, octaves by \(parameters.octaveBySalience ? "salience" : "trend"), top-voice ratio \(parameters.topVoiceRatio)")
            print("reference: the skyline of the score's melody part (MIDIScore.melodyPart), voiced while a note sounds, 10 ms grid")
            var rows: [(font: String, half: Int, group: String, accuracy: MelodyAccuracy)] = []
            var audioSeconds = 0.0, wallSeconds = 0.0, cpuSeconds = 0.0
            for (f, font) in fonts.enumerated() {
                guard FileManager.default.fileExists(atPath: font) else { print("skipped \(font): not installed"); continue }
                let renderer = try MIDIRenderer(soundfont: font, sampleRate: parameters.sampleRate)
                let name = URL(fileURLWithPath: font).deletingPathExtension().lastPathComponent + (f == fonts.count - 1 ? " (unseen)" : "")
                for piece in pieces {
                    let samples = try renderer.render(piece.score, tail: 0.5)
                    let t = DispatchTime.now().uptimeNanoseconds, c = processCPUSeconds()
                    let melody = try predominantMelody(samples, parameters: parameters, threads: 1)
                    wallSeconds += Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9
                    cpuSeconds += processCPUSeconds() - c
                    audioSeconds += Double(samples.count) / parameters.sampleRate
                    let a = MelodyAccuracy(referenceTimes: piece.times, reference: piece.f0, estimateTimes: melody.times, estimate: melody.f0)
                    rows.append((name, piece.half, piece.parts > 1 ? "with accompaniment" : "one part", a))
                }
            }
            print("\("soundfont".padding(34)) \("half".padding(7)) \("pieces".padding(19)) \("n".padding(4))   VR     VFA    RPA    RCA    OA")
            let fontNames = rows.map(\.font).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            for font in fontNames {
                for half in [0, 1] {
                    for group in ["one part", "with accompaniment", "all"] {
                        let chosen = rows.filter { $0.font == font && $0.half == half && (group == "all" || $0.group == group) }
                        guard let a = MelodyAccuracy.pooled(chosen.map(\.accuracy)) else { continue }
                        print("\(font.padding(34)) \((half == 0 ? "tune" : "report").padding(7)) \(group.padding(19)) \(String(chosen.count).padding(4)) " +
                              [a.voicingRecall, a.voicingFalseAlarm, a.rawPitch, a.rawChroma, a.overall].map { fmt($0, 3) }.joined(separator: "  "))
                    }
                }
            }
            print("speed: \(fmt(audioSeconds, 0)) s of audio in \(fmt(wallSeconds, 2)) s wall, \(fmt(cpuSeconds, 2)) s CPU, one thread: " +
                  "\(fmt(audioSeconds / max(wallSeconds, 1e-9), 0))x real time (rendering not counted)")
            print("peer: none (librosa has no predominant-melody estimator for polyphonic audio; Melodia is not pip-installable)")
        }
    }

    /// Melodic pieces of the corpus (up to `perCategory` per category), alternately tuning and report half
    /// within each category, with the reference f0 of their first `seconds`.
    static func pieces(_ folder: URL, perCategory: Int, seconds: Double) throws -> [Piece] {
        var seen: [String: Int] = [:], pieces: [Piece] = []
        for entry in try HummingBenchCommand.manifest(folder) where entry.melodic {
            let index = seen[entry.category, default: 0]
            seen[entry.category] = index + 1
            if perCategory > 0 && index >= perCategory { continue }
            var score = try MIDIScore(contentsOf: entry.file)
            if seconds > 0 {
                for i in score.instruments.indices {
                    score.instruments[i].notes = score.instruments[i].notes.filter { $0.start < seconds }.map { n in
                        var n = n
                        n.end = min(n.end, seconds)
                        return n
                    }
                }
            }
            guard let part = score.melodyPart() else { continue }
            let notes = try score.melody(instrument: part)
            let end = (notes.map { $0.onset + $0.duration }.max() ?? 0) + 0.5
            let times = (0..<Int(end * 100)).map { Double($0) / 100 }
            var f0 = [Float](repeating: 0, count: times.count)
            for n in notes {
                let hz = Float(midiToHz(Double(n.pitch)))
                let first = max(0, Int((n.onset * 100).rounded(.up))), last = min(times.count, Int(((n.onset + n.duration) * 100).rounded(.up)))
                if first < last { for i in first..<last { f0[i] = hz } }
            }
            let parts = score.instruments.filter { !$0.isDrum && !$0.notes.isEmpty }.count
            pieces.append(Piece(key: entry.key, category: entry.category, half: index % 2, score: score, times: times, f0: f0, parts: parts))
        }
        return pieces
    }
}
