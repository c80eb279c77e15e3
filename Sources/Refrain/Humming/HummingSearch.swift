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
    /// Melodies (the first reading's best) that the query's other readings are aligned with; 0 for all. Chosen on
    /// the tuning half of the development set: 200 of 2,858 kept its MRR (0.862 against 0.860 aligning all, in
    /// scripts/prototype/humming_contour.py) at about 40 % of the work.
    public var laterReadingsLimit: Int = 200
    /// The octave check of the query's track (`SubharmonicCheck`; nil for none).
    public var octaveCheck: SubharmonicCheck? = SubharmonicCheck.standard
    /// The faint voiced runs unvoiced in the query's track (`FaintRuns`; nil for none).
    public var faintRuns: FaintRuns? = FaintRuns.standard

    public init(filterLimit: Int = 0, alignment: NoteAlignment = NoteAlignment(), pitch: PYINParameters = .hummed(), threads: Int = 2) {
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

    /// The pYIN track of mono samples at `sampleRate` Hz, its faint runs unvoiced (`faintRuns`), checked by `octaveCheck`.
    public func track(of samples: [Float], sampleRate: Double) throws -> PitchTrack {
        var signal = samples
        if sampleRate != pitch.yin.sampleRate {
            signal = try AudioSignal(samples: samples, sampleRate: sampleRate).resampled(to: pitch.yin.sampleRate).samples
        }
        return try SubharmonicCheck.hummedTrack(signal, parameters: pitch, check: octaveCheck, faint: faintRuns)
    }

    /// The best `topK` items for several readings of one query (notes segmented in different ways): each item
    /// keeps its best score over the readings and its melodies (`noteScores`).
    public func search(_ readings: [MelodyShape], in collection: MelodyCollection, topK: Int = 10) -> [MelodyHit] {
        let all = Array(collection.melodies.indices)
        let scores = noteScores(readings, of: all, in: collection)
        return hits(all.map { ($0, Double(scores[$0].score), scores[$0].first, scores[$0].last) }, in: collection, topK: topK)
    }

    /// The best `topK` items for a query shape, one hit per item (its best melody), best first.
    public func search(_ query: MelodyShape, in collection: MelodyCollection, topK: Int = 10) -> [MelodyHit] {
        let candidates: [Int]
        if filterLimit > 0 {
            candidates = collection.filter(query, limit: filterLimit).map(\.melody)
        } else {
            candidates = Array(collection.melodies.indices)
        }
        let scores = aligned([query], of: candidates, in: collection)
        return hits(scores.indices.map { (candidates[$0], Double(scores[$0].score), scores[$0].first, scores[$0].last) }, in: collection, topK: topK)
    }

    /// Each of `candidates` (melody indices) aligned with the readings by `alignment`: its best score (per query
    /// interval, higher is better; -inf when no reading aligns) and the reference notes it spans. The first reading
    /// is aligned with every candidate, the others with the first's best `laterReadingsLimit` only (all when 0).
    public func noteScores(_ readings: [MelodyShape], of candidates: [Int], in collection: MelodyCollection) -> [(score: Float, first: Int, last: Int)] {
        guard let first = readings.first else { return candidates.map { _ in (-.infinity, 0, 0) } }
        var scores = aligned([first], of: candidates, in: collection)
        guard readings.count > 1 else { return scores }
        var positions = Array(candidates.indices)
        if laterReadingsLimit > 0 && laterReadingsLimit < positions.count {
            positions = Array(positions.sorted { scores[$0].score != scores[$1].score ? scores[$0].score > scores[$1].score : $0 < $1 }
                .prefix(laterReadingsLimit))
        }
        let more = aligned(Array(readings.dropFirst()), of: positions.map { candidates[$0] }, in: collection)
        for (k, p) in positions.enumerated() where more[k].score > scores[p].score { scores[p] = more[k] }
        return scores
    }

    /// Each of `candidates` aligned with every one of `readings`: its best score and span.
    func aligned(_ readings: [MelodyShape], of candidates: [Int], in collection: MelodyCollection) -> [(score: Float, first: Int, last: Int)] {
        var scores = [(score: Float, first: Int, last: Int)](repeating: (-.infinity, 0, 0), count: candidates.count)
        let workers = min(threads, max(1, candidates.count / 16))
        let chunk = (candidates.count + workers - 1) / max(workers, 1)
        scores.withUnsafeMutableBufferPointer { out in
            let shared = UncheckedSendable(out)
            try? concurrentForEach(workers) { w in
                var scratch: [Float] = [], starts: [Int32] = []
                for c in (w * chunk)..<min(candidates.count, (w + 1) * chunk) {
                    for reading in readings {
                        let result = alignment.best(query: reading, reference: collection.melodies[candidates[c]].shape,
                                                    scratch: &scratch, starts: &starts)
                        if result.score > shared.value[c].score { shared.value[c] = result }
                    }
                }
            }
        }
        return scores
    }

    /// One hit per item (its best-scoring melody), best first, at most `topK`: `scored` holds melody index, score
    /// (higher is better) and the matched reference notes.
    func hits(_ scored: [(melody: Int, score: Double, first: Int, last: Int)], in collection: MelodyCollection, topK: Int) -> [MelodyHit] {
        var best: [String: MelodyHit] = [:]
        for s in scored where s.score.isFinite {
            let melody = collection.melodies[s.melody]
            let shape = melody.shape
            let hit = MelodyHit(key: melody.key, score: s.score,
                                start: shape.onsets[min(s.first, shape.onsets.count - 1)],
                                end: shape.ends[min(s.last, shape.ends.count - 1)])
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
