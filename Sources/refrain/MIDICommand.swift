import ArgumentParser
import Foundation
import Refrain

/// `refrain midi ...`: inspect, draw and render MIDI files.
struct MIDICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "midi",
        abstract: "Inspect MIDI files, draw piano rolls, render to audio.",
        subcommands: [MIDIInfoCommand.self, MIDIRollCommand.self, MIDIRenderCommand.self]
    )
}

struct MIDIInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "Instruments, notes, duration, tempo map, key and time signatures.")

    @Argument(help: "A Standard MIDI File.") var file: String

    func run() throws {
        let score = try MIDIScore(contentsOf: URL(fileURLWithPath: file))
        let f = { (x: Double) in String(format: "%.3f", x) }
        print("\(file): format \(score.format), \(score.resolution) ticks per quarter, \(f(score.endTime)) s, \(score.noteCount) notes, \(score.instruments.count) instruments")
        print("tempo:")
        for (c, qpm) in zip(score.tempoChanges, score.tempoMap.qpm) {
            print("  \(f(c.time)) s (tick \(c.tick)): \(String(format: "%.2f", qpm)) qpm")
        }
        print("time signatures:" + (score.timeSignatures.isEmpty ? " none (4/4 assumed for downbeats)" : ""))
        for t in score.timeSignatures { print("  \(f(t.time)) s: \(t.numerator)/\(t.denominator)") }
        print("key signatures:" + (score.keySignatures.isEmpty ? " none" : ""))
        for k in score.keySignatures { print("  \(f(k.time)) s: \(k.name)") }
        print("instruments:")
        for (i, inst) in score.instruments.enumerated() {
            let pitches = inst.notes.map(\.pitch)
            let range = pitches.isEmpty ? "" : ", pitches \(pitches.min()!)-\(pitches.max()!)"
            let start = inst.notes.map(\.start).min() ?? 0
            print("  [\(i)] \(inst.isDrum ? "drums" : "program \(inst.program)") \"\(inst.name)\" channel \(inst.channel) track \(inst.track): \(inst.notes.count) notes\(range), \(f(start))-\(f(inst.endTime)) s")
        }
        print("beats: \(score.beats().count), downbeats: \(score.downbeats().count)")
    }
}

struct MIDIRollCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roll", abstract: "Piano roll (pitch x frames, as pretty_midi returns it) to .npy and/or .png.")

    @Argument(help: "A Standard MIDI File.") var file: String
    @Option(help: "Frames per second.") var fs: Double = 100
    @Flag(help: "Sample at beats (beat-synchronous roll) instead of at --fs.") var beats = false
    @Option(help: "Write a PNG picture here.") var png: String?
    @Option(help: "Write the 128 x frames float32 matrix here (.npy).") var out: String?

    func run() throws {
        guard png != nil || out != nil else { throw RefrainError.invalidArgument("give --png and/or --out") }
        let score = try MIDIScore(contentsOf: URL(fileURLWithPath: file))
        let roll = beats ? try score.beatSynchronousPianoRoll(fs: fs).roll : try score.pianoRoll(fs: fs)
        if let out { try NPY.write(roll, to: URL(fileURLWithPath: out)) }
        if let png {
            let scale = roll.cols < 800 ? max(1, 800 / max(roll.cols, 1)) : 1
            try Heatmap.image(of: roll.transposed(), colormap: .magma, xScale: scale, yScale: 3)
                .writePNG(to: URL(fileURLWithPath: png))
        }
        print("\(roll.rows) x \(roll.cols) piano roll (\(beats ? "beats" : "\(fs) frames/s"))")
    }
}

struct MIDIRenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render", abstract: "Render to a mono WAV through FluidSynth and a General MIDI soundfont.")

    @Argument(help: "A Standard MIDI File.") var file: String
    @Option(help: "Output .wav (16-bit PCM mono).") var out: String
    @Option(help: "Soundfont (.sf2/.sf3); default $REFRAIN_SOUNDFONT or the Debian GM soundfont.") var soundfont: String?
    @Option(help: "Tempo factor (1.1 = 10% faster).") var tempo: Double = 1
    @Option(help: "Transposition in semitones (drums untouched).") var transpose: Int = 0
    @Option(name: .customLong("sample-rate"), help: "Sample rate, Hz.") var sampleRate: Int = 22050

    func run() throws {
        var score = try MIDIScore(contentsOf: URL(fileURLWithPath: file))
        if tempo != 1 { score = try score.scalingTempo(by: tempo) }
        if transpose != 0 { score = score.transposed(by: transpose) }
        let loadStart = Date()
        let renderer = try MIDIRenderer(soundfont: soundfont, sampleRate: Double(sampleRate))
        let renderStart = Date()
        let audio = try renderer.render(score)
        let renderSeconds = Date().timeIntervalSince(renderStart)
        try AudioSignal(samples: audio, sampleRate: Double(sampleRate)).write(to: URL(fileURLWithPath: out), format: .wav16)
        let duration = Double(audio.count) / Double(sampleRate)
        print(String(format: "%@: %.2f s at %d Hz with %@ (soundfont loaded in %.2f s, rendered in %.3f s, %.0fx real time)",
                     out, duration, sampleRate, renderer.soundfontPath, renderStart.timeIntervalSince(loadStart),
                     renderSeconds, duration / max(renderSeconds, 1e-9)))
    }
}
