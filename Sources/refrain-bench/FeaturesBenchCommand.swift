import ArgumentParser
import Foundation
import Refrain
import RefrainAlign
import RefrainAudio
import RefrainFeatures
import RefrainIndex
import RefrainMath
import RefrainSymbolic

/// `refrain-bench features`: times the whole audio front end (decode, resample, CQT, chroma, onset strength,
/// tempo + beats) stage by stage on a 44.1 kHz stereo file (synthesized unless `--file` is given), then the
/// same pipeline end to end under one clock, and compares with librosa on the same file in the same run
/// (scripts/bench/features_peer.py).
///
/// The end-to-end run takes the stages one after another because each already spreads its work over every
/// core; running the CQT + chroma branch alongside the onset + beats branch was slower on a 2-core machine
/// (88-92 ms against 71-77 ms in sequence), as the CQT's resampling pyramid then shares its core.
struct FeaturesBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Time decode, resample, CQT, chroma, onset strength and beat tracking against librosa on the same file.")

    @Option(help: "Length of the synthesized test signal, in seconds.")
    var seconds: Double = 180

    @Option(help: "Benchmark this file instead of a synthesized one.")
    var file: String?

    @Option(help: "Timed runs per stage (the median is reported).")
    var runs: Int = 3

    @Flag(help: "Skip the librosa peer.")
    var noPeer = false

    /// What the stages pass along.
    final class State {
        let url: URL
        var native = AudioSignal(samples: [], sampleRate: 0)
        var signal = AudioSignal(samples: [], sampleRate: 0)
        var envelope = OnsetEnvelope(strength: [], hopLength: 512, sampleRate: 22050)
        var beats = BeatTrack(bpm: 0, frames: [], times: [])
        let cqt: CQT
        let chroma: ChromaExtractor
        let mel: SparseMelFilterbank
        init(url: URL) throws {
            self.url = url
            cqt = try CQT(.raffelEllis2015)
            chroma = try ChromaExtractor()
            mel = try MelParameters().filterbank(sampleRate: 22050)
        }
    }

    /// One timed step. Stages run in order, each on what the previous ones left in `State`; append new ones
    /// (onset strength, beat tracking) here and, under the same name, in scripts/bench/features_peer.py.
    struct Stage: Sendable {
        let name: String
        let what: String
        let run: @Sendable (State) throws -> Void
    }

    static let stages: [Stage] = [
        Stage(name: "decode", what: "file -> mono float32 at the file's rate (libsndfile)") { s in
            s.native = try AudioDecoder(targetSampleRate: nil).decode(s.url).signal
        },
        Stage(name: "resample", what: "to 22050 Hz, soxr HQ") { s in
            s.signal = try s.native.resampled(to: 22050)
        },
        Stage(name: "cqt", what: "CQT magnitude, 48 bins from C2, hop 512 (Raffel & Ellis 2015)") { s in
            _ = try s.cqt.magnitude(s.signal)
        },
        Stage(name: "chroma", what: "chroma_cqt: 252-bin CQT from C1 folded to 12, hop 512") { s in
            _ = try s.chroma.chroma(s.signal)
        },
        Stage(name: "onset", what: "onset strength: STFT 2048/512, 128 mels, dB, median flux (as beat_track)") { s in
            s.envelope = try onsetStrength(s.signal.samples, sampleRate: 22050,
                                           parameters: OnsetParameters(aggregate: .median), filterbank: s.mel)
        },
        Stage(name: "beats", what: "tempo estimate + dynamic-programming beat tracker (Ellis 2007)") { s in
            s.beats = try trackBeats(s.envelope)
        },
    ]

    func run() throws {
        try reportingErrors {
            guard runs >= 1, seconds > 0, seconds <= 3600 else {
                throw RefrainError.invalidArgument("--runs must be at least 1 and --seconds in (0, 3600]")
            }
            var temporary: URL?
            defer { if let temporary { try? FileManager.default.removeItem(at: temporary) } }
            let url: URL
            if let file {
                url = URL(fileURLWithPath: file)
            } else {
                let dir = FileManager.default.temporaryDirectory.appendingPathComponent("refrain-bench-\(UUID().uuidString.prefix(8))")
                try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                temporary = dir
                url = dir.appendingPathComponent("bench.wav")
                let mono = Synthesizer.render(Synthesizer.progression(seconds: seconds), sampleRate: 44100)
                var stereo = [Float](repeating: 0, count: 2 * mono.count)
                for i in mono.indices { stereo[2 * i] = mono[i]; stereo[2 * i + 1] = 0.8 * mono[i] }
                try writeAudio(stereo, sampleRate: 44100, channels: 2, format: .wav16, to: url)
            }
            let setupStart = Date()
            let state = try State(url: url)
            let setup = Date().timeIntervalSince(setupStart)
            for stage in Self.stages { try stage.run(state) }  // warm-up
            var wallSamples = [String: [Double]](), cpuSamples = [String: [Double]]()
            for _ in 0..<runs {
                for stage in Self.stages {
                    let t = Date(), c = processCPUSeconds()
                    try stage.run(state)
                    wallSamples[stage.name, default: []].append(Date().timeIntervalSince(t))
                    cpuSamples[stage.name, default: []].append(processCPUSeconds() - c)
                }
            }
            // End to end: every stage under one clock.
            var pipelineWall = [Double](), pipelineCPU = [Double]()
            for _ in 0..<runs {
                let t = Date(), c = processCPUSeconds()
                for stage in Self.stages { try stage.run(state) }
                pipelineWall.append(Date().timeIntervalSince(t))
                pipelineCPU.append(processCPUSeconds() - c)
            }
            let ours = wallSamples.mapValues { $0.sorted()[$0.count / 2] }
            let oursCPU = cpuSamples.mapValues { $0.sorted()[$0.count / 2] }
            let duration = state.native.duration
            let peer = noPeer ? nil : runPeer(url)
            print("refrain-bench features: \(url.lastPathComponent), \(fmt(duration, 1)) s of audio, 44.1 kHz stereo -> 22050 Hz mono")
            print("median of \(runs) run(s); kernels built once beforehand in \(fmt(setup * 1000, 1)) ms (librosa builds them on every call)")
            print("")
            print("           ---------- wall clock ----------------   ---- CPU time, all threads ----")
            print("stage      refrain ms  x real time  librosa ms  speed-up  refrain ms  librosa ms  ratio   what")
            var total = 0.0, peerTotal = 0.0, cpuTotal = 0.0, peerCPUTotal = 0.0
            func row(_ name: String, _ t: Double, _ p: Double?, _ c: Double, _ pc: Double?, _ what: String) -> String {
                var line = "\(name.padding(9))  \(fmt(t * 1000, 1).leftPadded(10))  \(fmt(duration / t, 0).leftPadded(11))"
                line += "  " + (p.map { fmt($0 * 1000, 1) } ?? "-").leftPadded(10)
                line += "  " + (p.map { fmt($0 / t, 1) + "x" } ?? "-").leftPadded(8)
                line += "  " + fmt(c * 1000, 1).leftPadded(10)
                line += "  " + (pc.map { fmt($0 * 1000, 1) } ?? "-").leftPadded(10)
                line += "  " + (pc.map { fmt($0 / max(c, 1e-9), 1) + "x" } ?? "-").leftPadded(6)
                return line + "   " + what
            }
            for stage in Self.stages {
                let t = ours[stage.name] ?? 0, c = oursCPU[stage.name] ?? 0
                let p = peer?.stages[stage.name], pc = peer?.cpu[stage.name]
                total += t; cpuTotal += c; peerTotal += p ?? 0; peerCPUTotal += pc ?? 0
                print(row(stage.name, t, p, c, pc, stage.what))
            }
            print(row("total", total, peer.map { _ in peerTotal }, cpuTotal, peer.map { _ in peerCPUTotal },
                      "stages one after another"))
            print(row("pipeline", pipelineWall.sorted()[runs / 2], peer.map { _ in peerTotal }, pipelineCPU.sorted()[runs / 2],
                      peer.map { _ in peerCPUTotal }, "end to end, one clock over all stages"))
            print("")
            print("refrain: tempo \(fmt(state.beats.bpm, 2)) BPM, \(state.beats.frames.count) beats")
            if let peer, let frames = peer.beatFrames {
                let agree = Set(frames).intersection(state.beats.frames).count
                print("librosa: tempo \(fmt(peer.bpm ?? 0, 2)) BPM, \(frames.count) beats; \(agree) beat frames identical to ours")
            }
            print("")
            if let peer {
                print("peer: librosa \(peer.version), same file and parameters, median of \(runs) run(s) after a warm-up")
                print("(wall clock depends on how busy the machine is; CPU time is the work done, summed over threads)")
            } else {
                print(noPeer ? "peer skipped (--no-peer)" : "peer not measured: python3 with librosa and scripts/bench/features_peer.py are needed")
            }
        }
    }

    struct PeerResult {
        var stages: [String: Double]
        var cpu: [String: Double]
        var version: String
        var bpm: Double?
        var beatFrames: [Int]?
    }

    /// Runs scripts/bench/features_peer.py on `url`; nil when Python, librosa or the script is missing.
    func runPeer(_ url: URL) -> PeerResult? {
        let candidates = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
                          URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()]
        guard let script = candidates.map({ $0.appendingPathComponent("scripts/bench/features_peer.py") })
            .first(where: { FileManager.default.fileExists(atPath: $0.path) }) else { return nil }
        guard let json = peerResultJSON("python3", [script.path, url.path, "--runs", "\(runs)"]),
              let stages = json["stages"] as? [String: Double] else { return nil }
        return PeerResult(stages: stages, cpu: json["cpu"] as? [String: Double] ?? [:], version: json["librosa"] as? String ?? "?",
                          bpm: json["bpm"] as? Double, beatFrames: json["beat_frames"] as? [Int])
    }
}

/// CPU seconds used by this process so far, all threads (user + system).
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

extension String {
    /// Right-aligned in a field of `width` characters.
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
