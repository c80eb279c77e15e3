import Foundation
import RefrainFeatures
import RefrainMath
import RefrainTestSupport
import XCTest

/// Reads the fixtures made by `scripts/reference/audio_onsets.py` (librosa 0.11) under `Tests/Fixtures/onsets/`.
enum OnsetFixtures {
    static let sampleRate = 22050.0
    static let signalNames = ["clicks100", "notes128", "bursts"]

    struct SignalReference: Decodable {
        let samples: Int
        let tempo: Double
        let beat_track_bpm: Double
        let beats: [Int]
        let beats_untrimmed: [Int]
        let beats_bpm100: [Int]
    }

    struct Reference: Decodable {
        let librosa: String
        let signals: [String: SignalReference]
        let sync_beats: [Int]
    }

    static func url(_ name: String) -> URL { Fixtures.url("onsets/\(name)") }

    static func reference() throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url("reference.json")))
    }

    /// The int16 samples librosa saw, as `int16 / 32768`.
    static func signal(_ name: String) throws -> [Float] {
        try NPY.read(url("\(name)_signal.npy")).floats().map { $0 / 32768 }
    }

    static func matrix(_ name: String) throws -> Matrix { try NPY.readMatrix(url("\(name).npy")) }
    static func vector(_ name: String) throws -> [Float] { try NPY.read(url("\(name).npy")).floats() }
}

/// Largest absolute difference over the largest absolute reference value.
func relativeMaxError(_ ours: [Float], _ reference: [Float]) -> Double {
    precondition(ours.count == reference.count, "\(ours.count) vs \(reference.count) values")
    let scale = reference.map { abs(Double($0)) }.max() ?? 1
    let err = zip(ours, reference).map { abs(Double($0) - Double($1)) }.max() ?? 0
    return err / max(scale, 1e-30)
}

/// Beat F-measure with a ±`window` seconds tolerance (one-to-one greedy matching in time order, as
/// `mir_eval.beat.f_measure` without its 5 s trimming).
func beatFMeasure(_ estimated: [Double], _ reference: [Double], window: Double = 0.07) -> Double {
    if estimated.isEmpty && reference.isEmpty { return 1 }
    guard !estimated.isEmpty, !reference.isEmpty else { return 0 }
    var used = [Bool](repeating: false, count: estimated.count)
    var hits = 0
    for r in reference {
        var best = -1, bestDistance = window + 1e-12
        for (i, e) in estimated.enumerated() where !used[i] && abs(e - r) <= bestDistance {
            best = i; bestDistance = abs(e - r)
        }
        if best >= 0 { used[best] = true; hits += 1 }
    }
    let precision = Double(hits) / Double(estimated.count), recall = Double(hits) / Double(reference.count)
    return precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
}
