import ArgumentParser
import Foundation
import Refrain
import RefrainAudio
import RefrainFeatures
import RefrainMath

/// `refrain-bench f0`: times pYIN on a sung-like signal with a known f0 (notes with glides, vibrato and rests,
/// room noise at `--snr` dB) against `librosa.pyin` on the same file in the same run (scripts/bench/f0_peer.py,
/// run by the Python given with `--python`), and prints both speeds, their ratio, each one's raw pitch
/// accuracy against the known f0, and how often the two agree.
struct F0BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "f0",
        abstract: "Time pYIN f0 tracking against librosa.pyin on the same sung-like signal; accuracy against its known f0.")

    @Option(help: "Length of the synthesized signal, seconds.") var seconds: Double = 60
    @Option(help: "Room noise, dB SNR (omit or 'inf' for a clean signal).") var snr: Double = 20
    @Option(help: "Timed runs of ours (the median is reported).") var runs: Int = 5
    @Option(help: "Timed runs of librosa (the median is reported).") var peerRuns: Int = 1
    @Option(help: "Python with librosa for the peer.") var python: String = "python3"
    @Option(help: "The peer script.") var peer: String = "scripts/bench/f0_peer.py"
    @Flag(help: "Skip the librosa peer.") var noPeer = false
    @Flag(help: "Also time pYIN with a noise floor subtracted (NoiseFloor() in PYINParameters) in the same run.") var noiseFloor = false

    func run() throws {
        try reportingErrors {
            guard seconds > 2, seconds <= 3600, runs >= 1, peerRuns >= 1 else {
                throw RefrainError.invalidArgument("--seconds must be in (2, 3600] and --runs, --peer-runs at least 1")
            }
            let sung = SingingSynthesizer.benchmarkSignal(seconds: seconds, snrDB: snr.isFinite ? snr : nil, seed: 11)
            let parameters = PYINParameters()
            let (track, wall, cpu) = try timed(sung.samples, parameters: parameters)
            let truth = track.times.map { sung.f0(at: $0) }
            print("refrain-bench f0: pYIN (C2-C6, 22050 Hz, frame 2048, hop 512, librosa defaults) on \(fmt(seconds, 0)) s of synthetic singing, " +
                  (snr.isFinite ? "room noise \(fmt(snr, 0)) dB SNR" : "clean"))
            print("refrain  \(fmt(wall * 1000, 1)) ms wall (median of \(runs)), \(fmt(cpu * 1000, 1)) ms CPU: \(fmt(seconds / wall, 0))x real time")
            print("refrain  raw pitch accuracy (50 cents) \(fmt(rawPitchAccuracy(track.f0, track.voiced, truth), 4)), " +
                  "voicing recall \(fmt(voicingRecall(track.voiced, truth), 4)), false alarms \(fmt(falseAlarm(track.voiced, truth), 4))")
            if noiseFloor {
                var subtracted = parameters
                subtracted.noiseFloor = NoiseFloor()
                let (hum, wall, cpu) = try timed(sung.samples, parameters: subtracted)
                print("floor    \(fmt(wall * 1000, 1)) ms wall (median of \(runs)), \(fmt(cpu * 1000, 1)) ms CPU: \(fmt(seconds / wall, 0))x real time " +
                      "(\(NoiseFloor()))")
                print("floor    raw pitch accuracy (50 cents) \(fmt(rawPitchAccuracy(hum.f0, hum.voiced, truth), 4)), " +
                      "voicing recall \(fmt(voicingRecall(hum.voiced, truth), 4)), false alarms \(fmt(falseAlarm(hum.voiced, truth), 4))")
            }
            guard !noPeer else { print("peer skipped (--no-peer)"); return }
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("refrain-f0-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let url = dir.appendingPathComponent("sung.wav")
            try writeAudio(sung.samples, sampleRate: 22050, channels: 1, format: .wavFloat, to: url)
            guard let result = runPeer(url) else {
                print("librosa: the peer (\(python) \(peer)) could not run; our figure alone"); return
            }
            let n = min(result.f0.count, track.frameCount)
            var agree = 0, both = 0, close = 0
            for t in 0..<n {
                if result.voiced[t] == track.voiced[t] { agree += 1 }
                if result.voiced[t] && track.voiced[t], let f = result.f0[t] {
                    both += 1
                    if abs(1200 * log2(Double(track.f0[t]) / f)) <= 10 { close += 1 }
                }
            }
            let peerF0 = result.f0.prefix(n).map { Float($0 ?? .nan) }
            print("librosa \(fmt(result.seconds * 1000, 1)) ms wall (median of \(peerRuns)), \(fmt(result.cpu * 1000, 1)) ms CPU: " +
                  "\(fmt(seconds / result.seconds, 1))x real time (librosa \(result.version))")
            print("librosa raw pitch accuracy (50 cents) \(fmt(rawPitchAccuracy(peerF0, Array(result.voiced.prefix(n)), Array(truth.prefix(n))), 4))")
            print("speed-up: \(fmt(result.seconds / wall, 1))x wall, \(fmt(result.cpu / max(cpu, 1e-9), 1))x CPU")
            print("agreement with librosa: voicing \(fmt(Double(agree) / Double(max(n, 1)), 4)) of \(n) frames, " +
                  "f0 within 10 cents \(fmt(Double(close) / Double(max(both, 1)), 4)) of \(both) frames both call voiced")
        }
    }

    struct PeerResult { var seconds: Double; var cpu: Double; var version: String; var f0: [Double?]; var voiced: [Bool] }

    /// pYIN on `samples` with `parameters`, after a one-second warm-up: the last track and the median wall and CPU
    /// seconds of `runs` runs.
    func timed(_ samples: [Float], parameters: PYINParameters) throws -> (PitchTrack, wall: Double, cpu: Double) {
        _ = try pyin(Array(samples.prefix(22050)), parameters: parameters)  // warm-up
        var walls = [Double](), cpus = [Double]()
        var track = PitchTrack(times: [], f0: [], voiced: [], voicedProbability: [])
        for _ in 0..<runs {
            let t = DispatchTime.now().uptimeNanoseconds, c = processCPUSeconds()
            track = try pyin(samples, parameters: parameters)
            walls.append(Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9)
            cpus.append(processCPUSeconds() - c)
        }
        return (track, walls.sorted()[runs / 2], cpus.sorted()[runs / 2])
    }

    func runPeer(_ url: URL) -> PeerResult? {
        guard let json = peerResultJSON(python, [peer, url.path, "--runs", "\(peerRuns)"]),
              let seconds = json["seconds"] as? Double, let f0 = json["f0"] as? [Any], let voiced = json["voiced"] as? [Bool]
        else { return nil }
        return PeerResult(seconds: seconds, cpu: json["cpu"] as? Double ?? 0, version: json["librosa"] as? String ?? "?",
                          f0: f0.map { $0 as? Double }, voiced: voiced)
    }
}

/// Share of truly voiced frames (finite `truth`) with a voiced estimate within 50 cents.
func rawPitchAccuracy(_ f0: [Float], _ voiced: [Bool], _ truth: [Double]) -> Double {
    var hit = 0, total = 0
    for t in truth.indices where truth[t].isFinite && truth[t] > 0 {
        total += 1
        if voiced[t] && abs(1200 * log2(Double(f0[t]) / truth[t])) < 50 { hit += 1 }
    }
    return Double(hit) / Double(max(total, 1))
}

/// Share of truly voiced frames called voiced.
func voicingRecall(_ voiced: [Bool], _ truth: [Double]) -> Double {
    let positives = truth.indices.filter { truth[$0].isFinite }
    return Double(positives.filter { voiced[$0] }.count) / Double(max(positives.count, 1))
}

/// Share of truly unvoiced frames called voiced.
func falseAlarm(_ voiced: [Bool], _ truth: [Double]) -> Double {
    let negatives = truth.indices.filter { !truth[$0].isFinite }
    return Double(negatives.filter { voiced[$0] }.count) / Double(max(negatives.count, 1))
}
