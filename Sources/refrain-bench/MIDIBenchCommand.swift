import ArgumentParser
import Foundation
import Refrain
import RefrainAlign
import RefrainAudio
import RefrainFeatures
import RefrainIndex
import RefrainMath
import RefrainSymbolic

/// `refrain-bench midi`: parse + beat-synchronous piano roll for every MIDI file of a folder, files per
/// second, against pretty_midi (`scripts/bench/midi_peer.py`) on the same files in the same run.
struct MIDIBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "midi", abstract: "Parse + beat-synchronous piano roll: files/s against pretty_midi.")

    @Option(help: "Folder of .mid files (default ../shared/corpus).") var dir: String = "../shared/corpus"
    @Option(help: "Passes over the files (the best is reported).") var passes: Int = 3
    @Option(help: "The peer script.") var peer: String = "scripts/bench/midi_peer.py"

    func run() throws {
        let folder = URL(fileURLWithPath: dir)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else {
            throw RefrainError.fileNotFound(dir)
        }
        let files = names.filter { $0.lowercased().hasSuffix(".mid") || $0.lowercased().hasSuffix(".midi") }.sorted()
            .map { folder.appendingPathComponent($0) }
        guard !files.isEmpty else { throw RefrainError.invalidArgument("\(dir): no .mid files") }
        var best = Double.infinity
        var cells = 0, failures = 0
        for _ in 0..<max(1, passes) {
            cells = 0; failures = 0
            let start = Date()
            for url in files {
                do {
                    let score = try MIDIScore(contentsOf: url)
                    cells += try score.beatSynchronousPianoRoll().roll.count
                } catch { failures += 1 }
            }
            best = min(best, Date().timeIntervalSince(start))
        }
        let ours = Double(files.count) / best
        print(String(format: "refrain: %d files in %.3f s = %.1f files/s (%d roll cells, %d failures)", files.count, best, ours, cells, failures))
        let process = Process()
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", peer, "--dir", dir, "--passes", String(max(1, passes))]
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            print("pretty_midi: peer script \(peer) could not run; our figure alone"); return
        }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let line = output.split(separator: "\n").last(where: { $0.hasPrefix("files_per_second") }),
              let theirs = Double(line.split(separator: " ").last ?? "") else {
            print("pretty_midi: not installed or the peer failed; our figure alone"); return
        }
        print(String(format: "pretty_midi: %.1f files/s\nratio: %.1fx pretty_midi", theirs, ours / theirs))
    }
}
