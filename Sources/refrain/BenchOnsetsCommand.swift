import ArgumentParser
import Foundation
import Refrain

/// `refrain bench onsets`: STFT, mel onset strength, tempo + beat tracking on a synthesized signal,
/// timed here and, in the same run, with librosa (`scripts/bench/onsets_peer.py`) on the same samples.
/// Wall time and process CPU time are both reported: on a shared machine the CPU figures are the
/// steadier ones.
struct BenchOnsetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "onsets",
        abstract: "Time STFT, onset strength, tempo and beat tracking against librosa on a synthetic signal.")

    @Option(help: "Length of the synthesized signal in seconds.")
    var seconds: Double = 180

    @Option(help: "Timed runs per stage (the median is reported; one warm-up run is not counted).")
    var repeats: Int = 5

    @Option(help: "Python interpreter that runs the librosa peer.")
    var python: String = "python3"

    @Flag(help: "Skip the librosa peer.")
    var noPeer = false

    func run() throws {
        guard seconds > 0, seconds <= 3600 else { throw ValidationError("--seconds must be in (0, 3600]") }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        let sampleRate = 22050.0
        let signal = OnsetsBench.synthesize(seconds: seconds, sampleRate: sampleRate)
        print(String(format: "signal: %.0f s at %.0f Hz (plucked notes at 112 BPM over noise); median of %d runs",
                     seconds, sampleRate, repeats))

        let stftTime = try OnsetsBench.time(repeats) { _ = try OnsetsBench.stftStage(signal, sampleRate: sampleRate) }
        var envelope = OnsetEnvelope(strength: [], hopLength: 512, sampleRate: sampleRate)
        let onsetTime = try OnsetsBench.time(repeats) {
            envelope = try OnsetsBench.onsetStage(signal, sampleRate: sampleRate)
        }
        var beats = BeatTrack(bpm: 0, frames: [], times: [])
        let beatTime = try OnsetsBench.time(repeats) { beats = try OnsetsBench.beatStage(envelope) }
        print(String(format: "refrain: tempo %.2f BPM, %d beats", beats.bpm, beats.frames.count))

        let peer = noPeer ? nil : OnsetsBench.runPeer(signal: signal, sampleRate: sampleRate, repeats: repeats,
                                                      python: python)
        let stages: [(String, OnsetsBench.Timing, String)] = [
            ("stft (2048/512, magnitude)", stftTime, "stft"),
            ("onset strength (mel dB, median)", onsetTime, "onset"),
            ("tempo + beat tracking", beatTime, "beats"),
            ("onset + beats", OnsetsBench.Timing(wall: onsetTime.wall + beatTime.wall, cpu: onsetTime.cpu + beatTime.cpu),
             "onset+beats"),
        ]
        print("stage                            wall s   x realtime | librosa wall s  ratio | cpu s    librosa cpu s  ratio")
        for (name, ours, key) in stages {
            var line = name.padding(toLength: 31, withPad: " ", startingAt: 0)
                + String(format: " %8.4f %10.0f", ours.wall, seconds / ours.wall)
            let keys = key.split(separator: "+").map(String.init)
            let theirWall = keys.compactMap { peer?[$0] as? Double }
            let theirCPU = keys.compactMap { peer?[$0 + "_cpu"] as? Double }
            if theirWall.count == keys.count, theirCPU.count == keys.count {
                let w = theirWall.reduce(0, +), c = theirCPU.reduce(0, +)
                line += String(format: " | %13.4f %5.1fx | %7.4f  %13.4f %5.1fx", w, w / ours.wall, ours.cpu, c, c / ours.cpu)
            } else {
                line += String(format: " | %13@ %6@ | %7.4f", "-", "-", ours.cpu)
            }
            print(line)
        }
        if let p = peer, let frames = p["beat_frames"] as? [Int] {
            let agree = Set(frames).intersection(beats.frames).count
            print(String(format: "librosa %@: tempo %.2f BPM, %d beats; %d beat frames identical to ours",
                         (p["librosa"] as? String) ?? "?", (p["bpm"] as? Double) ?? 0, frames.count, agree))
        }
    }
}

/// The stages of the onset benchmark as plain functions, for the merged pipeline benchmark.
enum OnsetsBench {
    struct Timing { var wall: Double; var cpu: Double }

    /// Magnitude STFT, 2048-point FFT, hop 512, centred (librosa defaults), 2 workers.
    static func stftStage(_ signal: [Float], sampleRate: Double) throws -> FeatureSequence {
        try stft(signal, sampleRate: sampleRate)
    }

    /// Mel onset strength with the median over bins, as `librosa.beat.beat_track` computes it.
    static func onsetStage(_ signal: [Float], sampleRate: Double) throws -> OnsetEnvelope {
        try onsetStrength(signal, sampleRate: sampleRate, parameters: OnsetParameters(aggregate: .median))
    }

    /// Tempo estimate and dynamic-programming beat tracking with librosa's defaults.
    static func beatStage(_ envelope: OnsetEnvelope) throws -> BeatTrack { try trackBeats(envelope) }

    /// Median wall and process-CPU seconds of `repeats` runs of `body`, after one untimed warm-up run.
    static func time(_ repeats: Int, _ body: () throws -> Void) rethrows -> Timing {
        try body()
        var wall: [Double] = [], cpu: [Double] = []
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds, startCPU = processCPUSeconds()
            try body()
            wall.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            cpu.append(processCPUSeconds() - startCPU)
        }
        return Timing(wall: median(wall), cpu: median(cpu))
    }

    static func median(_ values: [Double]) -> Double {
        let v = values.sorted(), n = v.count
        return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2])
    }

    /// A deterministic test signal: plucked notes (4 harmonics, exponential decay) at 112 BPM cycling
    /// through a few pitches, every fourth note accented, over low-level pseudo-random noise.
    static func synthesize(seconds: Double, sampleRate: Double) -> [Float] {
        let count = Int(seconds * sampleRate)
        var y = [Float](repeating: 0, count: count)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in 0..<count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            y[i] = 0.01 * (Float(state >> 40) / Float(1 << 24) - 0.5)
        }
        let period = 60.0 / 112, pitches = [220.0, 277.18, 329.63, 440.0, 329.63, 277.18]
        let noteLength = Int(1.2 * period * sampleRate)
        var k = 0
        while true {
            let start = Int((0.2 + Double(k) * period) * sampleRate)
            if start >= count { break }
            let f = pitches[k % pitches.count], gain = k % 4 == 0 ? 1.0 : 0.6
            for n in 0..<min(noteLength, count - start) {
                let t = Double(n) / sampleRate
                var v = 0.0
                for (h, a) in [1.0, 0.5, 0.3, 0.15].enumerated() { v += a * sin(2 * .pi * f * Double(h + 1) * t) }
                y[start + n] += Float(0.3 * gain * exp(-6 * t) * v)
            }
            k += 1
        }
        return y
    }

    /// Runs `scripts/bench/onsets_peer.py` on `signal` and returns its JSON, or nil (with a message)
    /// when the script, Python or librosa is unavailable.
    static func runPeer(signal: [Float], sampleRate: Double, repeats: Int, python: String) -> [String: Any]? {
        let candidates = [
            URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("scripts/bench/onsets_peer.py"),
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("scripts/bench/onsets_peer.py"),
        ]
        guard let script = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
            print("peer: scripts/bench/onsets_peer.py not found; run from the repository root for librosa ratios")
            return nil
        }
        let file = FileManager.default.temporaryDirectory
            .appendingPathComponent("refrain-bench-onsets-\(UUID().uuidString).npy")
        defer { try? FileManager.default.removeItem(at: file) }
        do { try NPY.write(NPYArray(signal), to: file) } catch {
            print("peer: cannot write the signal: \(error)")
            return nil
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, script.path, file.path, "--sr", String(sampleRate), "--repeats", String(repeats)]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            print("peer: cannot run \(python): \(error)")
            return nil
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard let line = String(data: data, encoding: .utf8)?.split(separator: "\n").last,
              let json = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            print("peer: no result from \(script.lastPathComponent) (exit \(process.terminationStatus)); refrain figures only")
            return nil
        }
        if let error = json["error"] as? String {
            print("peer: \(error); refrain figures only")
            return nil
        }
        return json
    }
}
