import Foundation
import RefrainAudio
import RefrainFeatures
import RefrainIndex
import RefrainMath
import RefrainSymbolic

/// Query by humming over a `MelodyCollection`: the recording's f0 (pYIN), its notes, then two stages — the
/// interval n-gram filter keeps `filterLimit` melodies, note alignment (`NoteAlignment`) ranks them — and one
/// hit per item. `filterLimit = 0` aligns every melody (exhaustive; for comparison).
public struct HummingSearch: Sendable {
    public var filterLimit: Int
    public var alignment: NoteAlignment
    public var pitch: PYINParameters
    /// Threads for the exact stage.
    public var threads: Int

    public init(filterLimit: Int = 0, alignment: NoteAlignment = NoteAlignment(), pitch: PYINParameters = PYINParameters(), threads: Int = 2) {
        self.filterLimit = filterLimit
        self.alignment = alignment
        self.pitch = pitch
        self.threads = max(1, threads)
    }

    /// The query's notes from mono samples at `sampleRate` Hz (resampled to pYIN's rate when they differ), or a
    /// one-sentence `RefrainError` when the recording holds no usable tune.
    public func notes(of samples: [Float], sampleRate: Double) throws -> [HeardNote] {
        try QueryMelody.usableNotes(from: track(of: samples, sampleRate: sampleRate))
    }

    /// The pYIN track of mono samples at `sampleRate` Hz.
    public func track(of samples: [Float], sampleRate: Double) throws -> PitchTrack {
        var signal = samples
        if sampleRate != pitch.yin.sampleRate {
            signal = try AudioSignal(samples: samples, sampleRate: sampleRate).resampled(to: pitch.yin.sampleRate).samples
        }
        return try pyin(signal, parameters: pitch)
    }

    /// The best `topK` items for several readings of one query (notes segmented in different ways): each item
    /// keeps its best score over the readings.
    public func search(_ readings: [MelodyShape], in collection: MelodyCollection, topK: Int = 10) -> [MelodyHit] {
        var best: [String: MelodyHit] = [:]
        for reading in readings {
            for hit in search(reading, in: collection, topK: collection.count) where (best[hit.key]?.score ?? -.infinity) < hit.score {
                best[hit.key] = hit
            }
        }
        return Array(best.values.sorted { $0.score != $1.score ? $0.score > $1.score : $0.key < $1.key }.prefix(max(topK, 0)))
    }

    /// The best `topK` items for a query shape, one hit per item (its best melody), best first.
    public func search(_ query: MelodyShape, in collection: MelodyCollection, topK: Int = 10) -> [MelodyHit] {
        let candidates: [Int]
        if filterLimit > 0 {
            candidates = collection.filter(query, limit: filterLimit).map(\.melody)
        } else {
            candidates = Array(collection.melodies.indices)
        }
        var scores = [(score: Float, first: Int, last: Int)](repeating: (-.infinity, 0, 0), count: candidates.count)
        let workers = min(threads, max(1, candidates.count / 16))
        let chunk = (candidates.count + workers - 1) / max(workers, 1)
        scores.withUnsafeMutableBufferPointer { out in
            let shared = UncheckedSendable(out)
            try? concurrentForEach(workers) { w in
                var scratch: [Float] = [], starts: [Int32] = []
                for c in (w * chunk)..<min(candidates.count, (w + 1) * chunk) {
                    shared.value[c] = alignment.best(query: query, reference: collection.melodies[candidates[c]].shape,
                                                      scratch: &scratch, starts: &starts)
                }
            }
        }
        var best: [String: MelodyHit] = [:]
        for (c, result) in scores.enumerated() where result.score.isFinite {
            let melody = collection.melodies[candidates[c]]
            let shape = melody.shape
            let hit = MelodyHit(key: melody.key, score: Double(result.score),
                                start: shape.onsets[min(result.first, shape.onsets.count - 1)],
                                end: shape.ends[min(result.last, shape.ends.count - 1)])
            if let current = best[melody.key], current.score >= hit.score { continue }
            best[melody.key] = hit
        }
        return Array(best.values.sorted { $0.score != $1.score ? $0.score > $1.score : $0.key < $1.key }.prefix(max(topK, 0)))
    }

    /// The query's readings (`QueryMelody.readings`: the notes segmented several ways), or the one-sentence
    /// error of the first reading when no reading is usable.
    public func readings(of track: PitchTrack) throws -> [MelodyShape] {
        try QueryMelody.usableReadings(from: track).map { MelodyShape($0) }
    }

    /// Searches with a recording: f0, its readings (or the one-sentence error), then `search`.
    public func search(samples: [Float], sampleRate: Double, in collection: MelodyCollection, topK: Int = 10) throws -> [MelodyHit] {
        search(try readings(of: track(of: samples, sampleRate: sampleRate)), in: collection, topK: topK)
    }
}

/// The melodies a score contributes to the index: its best part's skyline and, for a score of several parts, the
/// runner-up's too (a listener may hum a doubling or obbligato line; the item ranks by its better melody).
public func indexMelodies(of score: MIDIScore, key: String, parts: Int = 2) -> [IndexedMelody] {
    score.melodyPartScores().prefix(max(1, parts)).map { row in
        IndexedMelody(key: key, shape: MelodyShape((try? score.melody(instrument: row.instrument)) ?? []))
    }.filter { $0.shape.noteCount >= 2 }
}
