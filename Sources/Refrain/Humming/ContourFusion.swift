import Foundation
import RefrainMath

/// How the contour stage's opinion joins the note stage's: the note stage's best `candidates` melodies are
/// re-scored by `ContourAlignment`, both scores are standardised over those melodies (minus their mean, over
/// their standard deviation) and the fused score is `z(note) - weight * z(contour cost)`. Chosen on the tuning
/// half of the development set (100 candidates, weight 1, standardised by mean and deviation rather than median
/// and MAD; scripts/prototype/humming_contour.py gives MRR 0.881 there against 0.860 for the note stage, and
/// 0.873 to 0.887 over 50 to 200 candidates and weights 0.5 to 1.5).
public struct ContourFusion: Sendable {
    public var alignment = ContourAlignment()
    /// Melodies (the note stage's best) the contour stage re-scores. Round 9, tuning half (`refrain-bench humming
    /// --half tuning --contour-candidates 300`, seed 21): 300 scored 0.908 / 0.888 / 0.941 (MRR / P@1 / R@10) against
    /// 0.906 / 0.888 / 0.941 at 100, at 1.8 times the search time: the two true tunes it brought in from the note
    /// stage's ranks 101 and 172 rose only to 43 and 91, as the contour alone ranks such short hums low too.
    public var candidates: Int = 100
    /// Weight of the contour's standardised cost. Round 9, tuning half (`--contour-weight`): with generator seed 21,
    /// 0.75 / 1 / 1.5 / 2 scored MRR 0.902 / 0.906 / 0.912 / 0.911; with seed 22, 1 / 1.5 scored 0.890 / 0.888, so
    /// 1.5 gains 0.002 over the two seeds, within their noise, and 1 stays.
    public var weight: Double = 1
    /// Weight of the contour's standardised cost for a query whose first reading has fewer than `shortNotes` notes
    /// (after merging repeats), where the note stage has little to go on; nil uses `weight` for every query. Off: on
    /// the tuning half of the development set (round 7, `refrain-bench humming --short-contour-weight 2,12`) it
    /// lowered the fused figures from 0.895 / 0.875 / 0.928 to 0.888 / 0.868 / 0.921 (MRR / P@1 / R@10).
    public var shortWeight: Double? = nil
    public var shortNotes: Int = 12

    /// Short hums get a wider contour stage: a query whose first reading has fewer than `wideNotes` notes (after
    /// merging repeats) has its contour aligned with the note stage's best `wideCandidates` melodies (0: every
    /// melody) instead of `candidates` (0 `wideNotes`: off). A short hum's note-alignment score is weak evidence (a
    /// few intervals fit many melodies; round 16 found the true tune of such hums at the note stage's ranks 12 to
    /// 886, below the contour's reach), while its contour, a few seconds long, is cheap to align with many melodies.
    /// Round 17, tuning half of the development set, seeds 21-25 (`refrain-bench humming --half tuning --also-fusion
    /// 'wide-notes=10,wide-scale=usual'`): on the usual scale (`wideOnUsualScale`) every melody for hums under 10
    /// notes moved no query on seeds 21, 22 and 24 and raised three on seeds 23 and 25 (from the note stage's ranks
    /// 295, 152 and 132 to 10th, 9th and 1st; summed reciprocal rank +0.10 and +1.11, R@10 +1 and +2 queries, P@1
    /// +1 on seed 25), none lowered; the best 500 (`wideCandidates`) moved the same queries on seeds 21-24, and the
    /// three raised lay within them. Most short hums out of the top 10 hold skipped or wrong notes, which mislead the
    /// contour as much as the notes, so it finds only some. 500 rather than every melody bounds the cost: every
    /// melody took p95 from 232 to 976 ms at 2,844 melodies (seed 21, loaded machine), and grows with the collection.
    public var wideNotes: Int = 10
    public var wideCandidates: Int = 500
    /// Whether a wider stage standardises both scores by their mean and deviation over the note stage's best
    /// `candidates` alone (the usual stage's scale: those keep their fused scores and the further melodies are
    /// placed on it) rather than over every melody it re-scores. Over every melody (round 17, seeds 21-25, 0 = all,
    /// under 10 notes) the contour's weight changes for all of a short hum's candidates: summed reciprocal rank
    /// -0.03 / +0.69 / +0.53 / -0.25 / +1.89 but R@10 -1 query on seeds 21 and 24 (hums the usual stage ranked 5th
    /// and 7th fell out); on the usual scale nothing falls.
    public var wideOnUsualScale = true

    /// Melodies the contour stage re-scores for a query whose first reading has `notes` notes (nil: `candidates`),
    /// out of `available`: `wideCandidates` (0: all) when `notes < wideNotes`, else `candidates`; at least 1.
    public func candidates(notes: Int?, of available: Int) -> Int {
        let wanted = (notes.map { $0 < wideNotes } ?? false) ? (wideCandidates > 0 ? max(wideCandidates, candidates) : available) : candidates
        return max(1, min(wanted, available))
    }

    /// The contour's weight for a query whose first reading has `notes` notes.
    public func weight(notes: Int) -> Double {
        notes < shortNotes ? shortWeight ?? weight : weight
    }

    public init() {}

    /// Standardised values: minus the mean of the first `over` of them (nil: all), over their standard deviation
    /// (1 when it is 0).
    static func standardised(_ x: [Double], over: Int? = nil) -> [Double] {
        guard !x.isEmpty else { return [] }
        let basis = x.prefix(max(1, min(over ?? x.count, x.count)))
        let mean = basis.reduce(0, +) / Double(basis.count)
        let sd = (basis.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(basis.count)).squareRoot()
        return x.map { ($0 - mean) / (sd > 0 ? sd : 1) }
    }

    /// Fewest candidates whose scores are standardised and fused; with fewer (a small index) the mean and deviation
    /// mean little and the note scores alone decide (standardised, so the order is theirs).
    public var minimumCandidates: Int = 20

    /// Whether a fused hit's span in the score is the contour path's (its first and last note) rather than the
    /// note alignment's. Off: on the tuning half of the development set (`refrain-bench humming`, right rank-1
    /// hits whose span starts within 0.5 s of the hum's first note) the note alignment's spans were right more
    /// often (song starts 61 of 65 against 53 of 66; phrase starts 43 of 65 against 38 of 67).
    public var contourSpans = false

    /// With `around` spans (score seconds, the note stage's match), the contour is aligned only with the notes
    /// within `window` times the span's length either side of it (at least 2 s; 0 aligns whole lines). Off: on the
    /// tuning half of the development set, 0.5 halved the fused search (p50 54.8 ms against 115.9 ms, at load 4-5)
    /// but lost accuracy (fused MRR 0.886 against 0.893, R@10 0.908 against 0.928).
    public var window: Double = 0

    /// The contour's best match (`alignment.match`) against each candidate, the lowest cost over its melody lines
    /// (a line after the first gives up as soon as it cannot beat the lines before it; the result is the same):
    /// the cost per sung frame (+inf for a candidate without lines), which line (an index into its `lines`) and the
    /// notes of that line it spans; in the order of `lines`, on up to `threads` threads.
    public func matches(_ contour: QueryContour, lines: [[MelodyShape]], threads: Int,
                        around spans: [(start: Double, end: Double)?]? = nil) -> [(cost: Double, line: Int, first: Int, last: Int)] {
        var out = [(cost: Double, line: Int, first: Int, last: Int)](repeating: (.infinity, 0, 0, 0), count: lines.count)
        let workers = min(max(1, threads), max(1, lines.count / 8))
        let chunk = (lines.count + workers - 1) / workers
        let alignment = alignment
        out.withUnsafeMutableBufferPointer { buffer in
            let shared = UncheckedSendable(buffer)
            try? concurrentForEach(workers, threads: workers) { w in
                var scratch = ContourAlignment.Scratch()
                for c in (w * chunk)..<min(lines.count, (w + 1) * chunk) {
                    for (l, whole) in lines[c].enumerated() {
                        var shape = whole, offset = 0
                        if window > 0, let span = spans?[c] ?? nil {
                            let notes = whole.notes(around: span.start, span.end, pad: window)
                            shape = whole.slice(notes)
                            offset = notes.lowerBound
                        }
                        // A later line only counts when it beats the best so far: its match gives up once it cannot.
                        let m = alignment.match(contour, reference: shape, scratch: &scratch, abandonAt: Float(shared.value[c].cost),
                                                tableFrames: ContourAlignment.gapTableFrames)
                        if Double(m.cost) < shared.value[c].cost { shared.value[c] = (Double(m.cost), l, m.first + offset, m.last + offset) }
                    }
                }
            }
        }
        return out
    }

    /// Fused scores (higher is better) for melodies given their note scores and contour costs, in the same order
    /// (the note stage's, best first), for a query whose first reading has `queryNotes` notes (`weight(notes:)`;
    /// nil: `weight`). With `wideOnUsualScale`, standardised over the first `candidates` alone.
    public func fused(noteScores: [Double], contourCosts: [Double], queryNotes: Int? = nil) -> [Double] {
        guard noteScores.count >= minimumCandidates else { return Self.standardised(noteScores) }
        let w = queryNotes.map { weight(notes: $0) } ?? weight
        let finite = contourCosts.map { $0.isFinite ? $0 : (contourCosts.filter(\.isFinite).max() ?? 0) }
        let over = wideOnUsualScale ? candidates : nil
        return zip(Self.standardised(noteScores, over: over), Self.standardised(finite, over: over)).map { $0 - w * $1 }
    }
}

extension HummingSearch {
    /// Note alignment of every melody with the readings, then the contour stage over the best
    /// `fusion.candidates(notes:of:)` melodies (more for a short hum) and the fused ranking (`ContourFusion`); one hit per item, best first, at most `topK`. The spans are
    /// the contour path's where `fusion.contourSpans` says so, else the note alignment's. Items outside the candidates follow in note-score order, below every fused score.
    /// `contourOnly` ranks the candidates by the contour's cost alone (for comparison).
    public func search(_ readings: [MelodyShape], contour: QueryContour, fusion: ContourFusion, in collection: MelodyCollection,
                       topK: Int = 10, contourOnly: Bool = false) -> [MelodyHit] {
        let all = Array(collection.melodies.indices)
        let notes = noteScores(readings, of: all, in: collection)
        let order = all.filter { notes[$0].score.isFinite }.sorted { notes[$0].score != notes[$1].score ? notes[$0].score > notes[$1].score : $0 < $1 }
        let chosen = Array(order.prefix(fusion.candidates(notes: readings.first?.noteCount, of: order.count)))
        let found = fusion.matches(contour, lines: chosen.map { [collection.melodies[$0].shape] }, threads: threads,
                                   around: chosen.map { m in
                                       let shape = collection.melodies[m].shape
                                       return (start: shape.onsets[min(notes[m].first, shape.noteCount - 1)], end: shape.ends[min(notes[m].last, shape.noteCount - 1)])
                                   })
        let costs = found.map(\.cost)
        let fused = contourOnly ? costs.map { $0.isFinite ? -$0 : -1e9 } : fusion.fused(noteScores: chosen.map { Double(notes[$0].score) }, contourCosts: costs,
                                                                                          queryNotes: readings.first?.noteCount)
        var scored = chosen.indices.map { c in
            let useContour = fusion.contourSpans && found[c].cost.isFinite
            return (melody: chosen[c], score: fused[c], first: useContour ? found[c].first : notes[chosen[c]].first,
                    last: useContour ? found[c].last : notes[chosen[c]].last)
        }
        let floor = (fused.min() ?? 0) - 1
        if let top = order.dropFirst(chosen.count).first.map({ Double(notes[$0].score) }) {
            for m in order.dropFirst(chosen.count) {
                scored.append((m, floor - (top - Double(notes[m].score)), notes[m].first, notes[m].last))
            }
        }
        return hits(scored, in: collection, topK: topK)
    }
}

extension MelodyShape {
    /// The indices of the notes that overlap `start - pad * length ... end + pad * length` seconds (`length` being
    /// `end - start`, the pad at least 2 s); all notes when none does.
    func notes(around start: Double, _ end: Double, pad: Double) -> Range<Int> {
        let margin = max(2, pad * max(0, end - start))
        let a = ends.firstIndex { $0 > start - margin } ?? 0
        let b = onsets.lastIndex { $0 < end + margin }.map { $0 + 1 } ?? noteCount
        return a < b ? a..<b : 0..<noteCount
    }

    /// The notes `range` of the shape (pitches, onsets and ends; intervals and rhythm within the range).
    func slice(_ range: Range<Int>) -> MelodyShape {
        var s = self
        s.pitches = Array(pitches[range])
        s.onsets = Array(onsets[range])
        s.ends = Array(ends[range])
        s.intervals = Array(intervals[range.lowerBound..<max(range.lowerBound, range.upperBound - 1)])
        s.rhythm = Array(rhythm[range.lowerBound..<max(range.lowerBound, range.upperBound - 1)])
        return s
    }
}
