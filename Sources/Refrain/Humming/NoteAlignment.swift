import Foundation

/// Note-level alignment of a query melody inside a reference melody, over pitch intervals (key and tuning
/// invariant) with a rhythm term (tempo invariant): semi-global (every query interval is accounted for, the
/// reference match starts and ends anywhere), with the fragmentation and consolidation moves of Mongeau &
/// Sankoff (1990, "Comparison of musical sequences"): one sung interval against two score intervals (a
/// skipped note) or two sung intervals against one (an added note), plus plain gaps; optionally a replacement
/// move, two sung intervals against two score intervals whose sums agree (one note heard at a wrong pitch:
/// a pYIN octave or tracking error, a note misheard in noise), which interval matching otherwise pays twice for.
public struct NoteAlignment: Sendable {
    /// Interval differences up to this many semitones score fully.
    public var tolerance: Float = 0.35
    /// Score lost per semitone beyond `tolerance` (a match scores from 1 down to -1).
    public var slope: Float = 1.2
    /// Weight of rhythm agreement (log2 IOI ratios), 0 to ignore rhythm. Round 15, tuning half of the development set
    /// (`refrain-bench humming --half tuning --rhythm-weight W`), fused MRR / P@1 / R@10 for generator seeds 21 and 22:
    /// 0.25 scored 0.905 / 0.882 / 0.941 and 0.903 / 0.888 / 0.941, 0.5 0.919 / 0.908 / 0.941 and 0.922 / 0.914 /
    /// 0.941, 1 0.897 / 0.875 / 0.934 and 0.918 / 0.901 / 0.941; the note stage without rhythm ranks most lost hums far
    /// lower still (e.g. 12th to 50th, 4th to 22nd).
    public var rhythmWeight: Float = 0.5
    /// Cost of a fragmentation or consolidation move, on top of its match score.
    public var mergeCost: Float = 0.5
    /// Cost of a query interval left unmatched, and of a reference interval skipped.
    public var gapCost: Float = 1.0
    /// Whether a reference interval may be skipped on its own (scalar code); without it the alignment runs 16
    /// reference positions at a time (`alignFast`), and a skipped score note is covered by fragmentation only.
    public var referenceGaps = false
    /// Cost of a replacement move (two sung intervals against two score intervals, scored as their sums: the note
    /// between them heard at a wrong pitch), on top of twice the sums' match score; +inf leaves the move out.
    /// Off: on the tuning half of the development set (`refrain-bench humming --half tuning --replace-cost 0.5`,
    /// seed 21, round 9) it lowered the fused MRR / P@1 / R@10 from 0.906 / 0.888 / 0.941 to 0.888 / 0.862 / 0.928
    /// (the note stage alone from 0.888 to 0.877): the distractors gain from the looser match as much as the tune.
    public var replaceCost: Float = .infinity
    /// Octave tolerance, semitones: an interval error of 12 +- d semitones is scored as an error of `octaveCost + d`
    /// when that is smaller than the error itself, so that a note pYIN heard an octave off (telephone-band men's
    /// voices) costs its two intervals 0.22 each rather than -1, while errors of other sizes count as before; +inf
    /// scores every error as it is. Chosen on the tuning half of the development set (`refrain-bench humming --half
    /// tuning --octave-cost C`, round 10), fused MRR / P@1 / R@10 for generator seeds 21 and 22: +inf 0.906 / 0.888 /
    /// 0.941 and 0.890 / 0.875 / 0.928; 0.5 0.912 / 0.895 / 0.941 and 0.896 / 0.882 / 0.934; 1 0.916 / 0.901 / 0.947
    /// and 0.895 / 0.882 / 0.928 (telephone-band men 0.762 -> 0.817 and 0.790 -> 0.821; two and two ranks changed).
    public var octaveCost: Float = 1
    /// Weight `c` of the reference-length correction: a score per query interval loses `c ln(n) / m` for a
    /// reference of `n` intervals and a query of `m` (0: none). The best of a query's placements in a reference
    /// grows with the number of places it can start, about as `ln(n)` in total score for local alignments
    /// (Karlin & Altschul 1990, "Methods for assessing the statistical significance of molecular sequence
    /// features by using general scoring schemes"), so a long melody outscores a short one by chance alone, most
    /// of all against a short query, whose total is small; the correction compares every melody's best placement
    /// by how far it rises above that chance level. Off: on the tuning half of the development set (`refrain-bench
    /// humming --half tuning --length-penalty 0.5`, round 14, repeats merged within 0.65) fused MRR / P@1 / R@10 went
    /// from 0.916 / 0.901 / 0.947 to 0.901 / 0.875 / 0.941 (generator seed 21) and from 0.903 / 0.888 / 0.941 to
    /// 0.904 / 0.882 / 0.947 (seed 22): 16 queries moved, as many down as up, so the short hums' losses are not
    /// long melodies winning by chance.
    public var lengthPenalty: Float = 0
    /// Rhythm doubling tolerance `c`: a rhythm error of `e` (log2 IOI ratios) is scored as `min(e, |e - 1| + c)`, so
    /// that an inter-onset interval heard twice or half as long as the score's (a note sung twice and merged as a
    /// repeat, a held note, a re-attack split off) costs its two rhythm terms `c` each rather than a whole octave of
    /// ratio; +inf scores every error as it is. Off: on the tuning half of the development set (`refrain-bench humming
    /// --half tuning --rhythm-doubling C`, round 15) fused MRR / P@1 / R@10, generator seeds 21 and 22, went from
    /// 0.919 / 0.908 / 0.941 and 0.922 / 0.914 / 0.941 to 0.906 / 0.888 / 0.934 and 0.915 / 0.895 / 0.961 at 0.25, and
    /// to 0.915 / 0.901 / 0.934 and 0.914 / 0.895 / 0.961 at 0.5: three hums rose into the top 10 on seed 22, but
    /// distractors gained from the looser rhythm as much as the tunes (-1.8 and -1.1 queries of reciprocal rank at
    /// 0.25); with the notes as sung (`--oracle-notes`) 0.943 / 0.935 became 0.940 / 0.939.
    public var rhythmDoubling: Float = .infinity
    /// Repeat doubling tolerance `c`, only where the query's own notes say that a note may have been sung twice: the
    /// interval leaving a note merged from two or more heard notes (`MelodyShape.repeats`, carried from `NoteCleanup`)
    /// may have a rhythm ratio one log2 unit above the score's (that note's inter-onset interval doubled: a note sung
    /// twice where the score holds it once), and the interval after it one unit below; there a rhythm error `d` (query
    /// minus score, log2) is scored as `min(|d|, |d - s| + c)` for the expected shift `s` (+1 or -1), every other
    /// interval as it is. Unlike `rhythmDoubling`, which loosens every interval (and so helped the distractors as much
    /// as the tunes), this touches only the few intervals next to a merged repeat; a real repeat of the score is merged
    /// on both sides and keeps its ratio, so an exact match scores as before. +inf: off.
    public var repeatDoubling: Float = .infinity
    /// Repeat agreement credit: added to a matched interval's score when the query note it leaves was merged from
    /// repeats (`MelodyShape.repeats` > 1: the singer re-attacked one pitch) and so was the score note it is matched
    /// with (a repeated note of the score). Both sides merge repeats before they are compared, so without it a tune's
    /// repeated notes tell nothing, although a hum that re-attacks a pitch mostly does so where the score repeats it:
    /// evidence a short hum whose intervals distractors fit as well as the tune can still be found by. 0: off.
    public var repeatCredit: Float = 0
    /// Repeat halving tolerance `c`, the score's side of `repeatDoubling`: where the score note an interval leaves was
    /// merged from repeats (`MelodyShape.repeats` > 1 of the reference: a note the score repeats), a singer who sang
    /// it once and went on (a skipped repeat) makes that note's inter-onset interval about half the merged note's, so
    /// the query's ratio may sit one log2 unit below the score's there and one unit above it on the next interval;
    /// such a rhythm error `d` (query minus score) is scored as `min(|d|, |d - s| + c)` for the expected shift `s`,
    /// every other interval as it is. +inf: off.
    public var repeatHalving: Float = .infinity
    /// The rhythm agreement credited to the query's first interval, whose rhythm ratio is unknown (the note before
    /// its first is not heard: `MelodyShape.rhythm` holds 0 there), as a fraction of `rhythmWeight`; nil compares
    /// that 0 with the score's ratio like any other. Off: on the tuning half of the development set (`refrain-bench
    /// humming --half tuning --first-rhythm F`, round 15) fused MRR / P@1 / R@10 for generator seeds 21 and 22 went from
    /// 0.919 / 0.908 / 0.941 and 0.922 / 0.914 / 0.941 to 0.922 / 0.908 / 0.941 and 0.921 / 0.901 / 0.961 at 0.5, and to
    /// 0.919 / 0.901 / 0.941 and 0.925 / 0.908 / 0.961 at 1: three hums back in the top 10 on seed 22, one or two fewer
    /// at rank 1, under half a query of reciprocal rank gained a seed, and room hums lost a query at 1 on seed 21.
    public var firstRhythm: Float? = nil

    public init() {}

    /// `align` or `alignFast`, as `referenceGaps` says, less the reference-length correction (`lengthPenalty`).
    public func best(query: MelodyShape, reference: MelodyShape, scratch: inout [Float], starts: inout [Int32]) -> (score: Float, first: Int, last: Int) {
        var result = referenceGaps ? align(query: query, reference: reference, scratch: &scratch, starts: &starts)
            : alignFast(query: query, reference: reference, scratch: &scratch, starts: &starts)
        if lengthPenalty > 0 && query.intervals.count > 0 {
            result.score -= lengthPenalty * log(Float(max(1, reference.intervals.count))) / Float(query.intervals.count)
        }
        return result
    }

    @inline(__always)
    func substitution(_ q: Float, _ r: Float) -> Float {
        let e = abs(q - r)
        let d = min(e, abs(e - 12) + octaveCost)
        return max(-1, 1 - slope * max(0, d - tolerance))
    }

    @inline(__always)
    func rhythmScore(_ q: Float, _ r: Float, shifts: (up: Bool, down: Bool) = (false, false),
                     scoreShifts: (up: Bool, down: Bool) = (false, false)) -> Float {
        let e = abs(q - r)
        var d = min(e, abs(e - 1) + rhythmDoubling)
        // A shift the query's own repeats allow costs `repeatDoubling`; one the score's allow, `repeatHalving`.
        if shifts.up { d = min(d, abs(q - r - 1) + repeatDoubling) }
        if shifts.down { d = min(d, abs(q - r + 1) + repeatDoubling) }
        if scoreShifts.down { d = min(d, abs(q - r + 1) + repeatHalving) }
        if scoreShifts.up { d = min(d, abs(q - r - 1) + repeatHalving) }
        return rhythmWeight * (1 - min(2, d))
    }

    /// Whether query interval `k`'s rhythm ratio may sit one log2 unit above the score's (note `k` was merged from
    /// repeats, so its inter-onset interval may be doubled) or below it (note `k - 1` was), for `repeatDoubling`;
    /// neither when that is off. Interval 0 has no ratio of its own.
    @inline(__always)
    func repeatShifts(_ query: MelodyShape, interval k: Int) -> (up: Bool, down: Bool) {
        guard repeatDoubling.isFinite, k >= 1, k < query.repeats.count else { return (false, false) }
        return (query.repeats[k] > 1, query.repeats[k - 1] > 1)
    }

    /// The best alignment's score per query interval (higher is better; at most `1 + rhythmWeight`) and the
    /// reference note span it covers (first and last note index). `scratch` is reused between calls.
    public func align(query: MelodyShape, reference: MelodyShape, scratch: inout [Float], starts: inout [Int32]) -> (score: Float, first: Int, last: Int) {
        let q = query.intervals, r = reference.intervals
        let m = q.count, n = r.count
        guard m > 0, n > 0 else { return (-.infinity, 0, 0) }
        let width = n + 1
        if scratch.count < 3 * width { scratch = [Float](repeating: 0, count: 3 * width) }
        if starts.count < 3 * width { starts = [Int32](repeating: 0, count: 3 * width) }
        let qr = query.rhythm, rr = reference.rhythm
        let replaces = replaceCost.isFinite
        let firstCredit = firstRhythm.map { rhythmWeight * $0 }
        let halves = repeatHalving.isFinite && reference.repeats.count == n + 1
        return scratch.withUnsafeMutableBufferPointer { s in
            starts.withUnsafeMutableBufferPointer { st in
                r.withUnsafeBufferPointer { r in
                    // Three rolling rows: i - 2, i - 1, i.
                    var rows = [0, width, 2 * width]
                    let p0 = rows[1]
                    for j in 0...n { s[p0 + j] = 0; st[p0 + j] = Int32(j) }  // row 0: start anywhere
                    for i in 1...m {
                        let cur = rows[2], prev = rows[1], prev2 = rows[0]
                        let qi = q[i - 1], qmerged = i >= 2 ? q[i - 2] + q[i - 1] : 0
                        let rq = qr[i - 1], credit = i == 1 ? firstCredit : nil
                        let shifts = repeatShifts(query, interval: i - 1)
                        let agree = repeatCredit > 0 && i - 1 < query.repeats.count && query.repeats[i - 1] > 1 && reference.repeats.count == n + 1
                        s[cur] = s[prev] - gapCost; st[cur] = st[prev]
                        for j in 1...n {
                            // The score's repeated note j - 1 (or j - 2) sung once: `repeatHalving`.
                            let scoreShifts = halves ? (up: j >= 2 && reference.repeats[j - 2] > 1, down: reference.repeats[j - 1] > 1) : (false, false)
                            var best = s[prev + j - 1] + substitution(qi, r[j - 1]) + (credit ?? rhythmScore(rq, rr[j - 1], shifts: shifts, scoreShifts: scoreShifts))
                            if agree && reference.repeats[j - 1] > 1 { best += repeatCredit }
                            var from = st[prev + j - 1]
                            if j >= 2 {
                                let v = s[prev + j - 2] + substitution(qi, r[j - 2] + r[j - 1]) - mergeCost
                                if v > best { best = v; from = st[prev + j - 2] }
                            }
                            if i >= 2 {
                                let v = s[prev2 + j - 1] + 2 * substitution(qmerged, r[j - 1]) - mergeCost
                                if v > best { best = v; from = st[prev2 + j - 1] }
                                if replaces && j >= 2 {
                                    let w = s[prev2 + j - 2] + 2 * substitution(qmerged, r[j - 2] + r[j - 1]) - replaceCost
                                    if w > best { best = w; from = st[prev2 + j - 2] }
                                }
                            }
                            let skipQuery = s[prev + j] - gapCost
                            if skipQuery > best { best = skipQuery; from = st[prev + j] }
                            let skipReference = s[cur + j - 1] - gapCost
                            if skipReference > best { best = skipReference; from = st[cur + j - 1] }
                            s[cur + j] = best
                            st[cur + j] = from
                        }
                        rows = [rows[1], rows[2], rows[0]]
                    }
                    let last = rows[1]
                    var bestJ = 1
                    for j in 1...n where s[last + j] > s[last + bestJ] { bestJ = j }
                    return (s[last + bestJ] / Float(m), Int(st[last + bestJ]), bestJ)
                }
            }
        }
    }
}

extension NoteAlignment {
    /// The same alignment without the reference-gap move (a skipped score note is covered by fragmentation), which
    /// makes every row depend on earlier rows only, so that sixteen reference positions are computed at once.
    /// `scratch` and `starts` are reused between calls.
    public func alignFast(query: MelodyShape, reference: MelodyShape, scratch: inout [Float], starts: inout [Int32]) -> (score: Float, first: Int, last: Int) {
        let m = query.intervals.count, n = reference.intervals.count
        guard m > 0, n > 0 else { return (-.infinity, 0, 0) }
        let lanes = 16
        let blocks = (n + lanes - 1) / lanes
        let pad = lanes  // S rows are stored from index pad - 2 (= column -2) on
        let width = pad + blocks * lanes + lanes
        let need = 3 * width + 3 * width  // three score rows, reference intervals, rhythm and repeats (padded)
        if scratch.count < need { scratch = [Float](repeating: 0, count: need) }
        if starts.count < 3 * width { starts = [Int32](repeating: 0, count: 3 * width) }
        let q = query.intervals, qr = query.rhythm
        return scratch.withUnsafeMutableBufferPointer { sb in
            starts.withUnsafeMutableBufferPointer { stb in
                let s = sb.baseAddress!, st = stb.baseAddress!
                let ref = s + 3 * width, refRhythm = ref + width, refRepeat = ref + 2 * width
                // Reference interval j - 1 sits at ref[pad + j - 1]; zeros around it. refRepeat: 1 where the note an
                // interval leaves was merged from repeats (for `repeatCredit`).
                let halves = repeatHalving.isFinite && reference.repeats.count == n + 1
                let repeatsKnown = (repeatCredit > 0 || halves) && reference.repeats.count == n + 1
                ref.update(repeating: 0, count: repeatsKnown ? 3 * width : 2 * width)
                for j in 0..<n { ref[pad + j] = reference.intervals[j]; refRhythm[pad + j] = reference.rhythm[j] }
                if repeatsKnown { for j in 0..<n where reference.repeats[j] > 1 { refRepeat[pad + j] = 1 } }
                var rows = [s, s + width, s + 2 * width]
                var startRows = [st, st + width, st + 2 * width]
                for r in 0..<3 {
                    rows[r].update(repeating: -.infinity, count: width)
                    startRows[r].update(repeating: 0, count: width)
                }
                // Row 0: start anywhere (column j at pad + j).
                for j in 0...n { rows[1][pad + j] = 0; startRows[1][pad + j] = Int32(j) }
                let tol = SIMD16<Float>(repeating: tolerance), sl = SIMD16<Float>(repeating: slope)
                let minusOne = SIMD16<Float>(repeating: -1), one = SIMD16<Float>(repeating: 1), zero = SIMD16<Float>()
                let octaves = octaveCost.isFinite, octave = SIMD16<Float>(repeating: 12), octaveCost = SIMD16<Float>(repeating: octaves ? octaveCost : 0)
                @inline(__always) func sub(_ x: SIMD16<Float>, _ y: SIMD16<Float>) -> SIMD16<Float> {
                    var d = x - y
                    d.replace(with: -d, where: d .< zero)
                    if octaves {
                        var o = d - octave
                        o.replace(with: -o, where: o .< zero)
                        o = o + octaveCost
                        d.replace(with: o, where: o .< d)
                    }
                    d = d - tol
                    d.replace(with: zero, where: d .< zero)
                    var v = one - sl * d
                    v.replace(with: minusOne, where: v .< minusOne)
                    return v
                }
                @inline(__always) func load(_ p: UnsafeMutablePointer<Float>, _ at: Int) -> SIMD16<Float> {
                    UnsafeRawPointer(p + at).loadUnaligned(as: SIMD16<Float>.self)
                }
                @inline(__always) func loadInt(_ p: UnsafeMutablePointer<Int32>, _ at: Int) -> SIMD16<Int32> {
                    UnsafeRawPointer(p + at).loadUnaligned(as: SIMD16<Int32>.self)
                }
                let merge = SIMD16<Float>(repeating: mergeCost), gap = SIMD16<Float>(repeating: gapCost)
                let replaces = replaceCost.isFinite, replace = SIMD16<Float>(repeating: replaces ? replaceCost : 0)
                let rw = SIMD16<Float>(repeating: rhythmWeight), two = SIMD16<Float>(repeating: 2)
                let firstCredit = firstRhythm.map { SIMD16<Float>(repeating: rhythmWeight * $0) }
                let doubles = rhythmDoubling.isFinite, doubling = SIMD16<Float>(repeating: doubles ? rhythmDoubling : 0)
                let halving = SIMD16<Float>(repeating: halves ? repeatHalving : 0)
                let repeatDoubled = SIMD16<Float>(repeating: repeatDoubling)
                for i in 1...m {
                    let cur = rows[2], prev = rows[1], prev2 = rows[0]
                    let scur = startRows[2], sprev = startRows[1], sprev2 = startRows[0]
                    let qi = SIMD16<Float>(repeating: q[i - 1]), rq = SIMD16<Float>(repeating: qr[i - 1])
                    let credit = i == 1 ? firstCredit : nil
                    let shifts = repeatShifts(query, interval: i - 1)
                    let agree = repeatCredit > 0 && repeatsKnown && i - 1 < query.repeats.count && query.repeats[i - 1] > 1
                    let qm = SIMD16<Float>(repeating: i >= 2 ? q[i - 2] + q[i - 1] : 0)
                    cur[pad] = prev[pad] - gapCost; scur[pad] = sprev[pad]
                    for b in 0..<blocks {
                        let j = 1 + b * lanes  // first column of the block
                        let at = pad + j
                        let r1 = load(ref, pad + j - 1), r2 = load(ref, pad + j - 2)
                        let signed = load(refRhythm, pad + j - 1) - rq  // score minus query
                        var rd = signed
                        rd.replace(with: -rd, where: rd .< zero)
                        if doubles {
                            let h = Self.shiftedError(rd - one, doubling)
                            rd.replace(with: h, where: h .< rd)
                        }
                        if shifts.up {  // the query's ratio one unit above the score's
                            let h = Self.shiftedError(signed + one, repeatDoubled)
                            rd.replace(with: h, where: h .< rd)
                        }
                        if shifts.down {
                            let h = Self.shiftedError(signed - one, repeatDoubled)
                            rd.replace(with: h, where: h .< rd)
                        }
                        if halves {  // the score's repeated note sung once: the query's ratio one unit below, then above
                            let h = Self.shiftedError(signed - one, halving)
                            rd.replace(with: h, where: (load(refRepeat, pad + j - 1) .> zero) .& (h .< rd))
                            let g = Self.shiftedError(signed + one, halving)
                            rd.replace(with: g, where: (load(refRepeat, pad + j - 2) .> zero) .& (g .< rd))
                        }
                        rd.replace(with: two, where: rd .> two)
                        var best = load(prev, at - 1) + sub(qi, r1) + (credit ?? rw * (one - rd))
                        if agree { best = best + repeatCredit * load(refRepeat, pad + j - 1) }
                        var from = loadInt(sprev, at - 1)
                        let v2 = load(prev, at - 2) + sub(qi, r1 + r2) - merge
                        var mask = v2 .> best
                        best.replace(with: v2, where: mask); from.replace(with: loadInt(sprev, at - 2), where: mask)
                        if i >= 2 {
                            let v3 = load(prev2, at - 1) + two * sub(qm, r1) - merge
                            mask = v3 .> best
                            best.replace(with: v3, where: mask); from.replace(with: loadInt(sprev2, at - 1), where: mask)
                            if replaces {
                                let v5 = load(prev2, at - 2) + two * sub(qm, r1 + r2) - replace
                                mask = v5 .> best
                                best.replace(with: v5, where: mask); from.replace(with: loadInt(sprev2, at - 2), where: mask)
                            }
                        }
                        let v4 = load(prev, at) - gap
                        mask = v4 .> best
                        best.replace(with: v4, where: mask); from.replace(with: loadInt(sprev, at), where: mask)
                        UnsafeMutableRawPointer(cur + at).storeBytes(of: best, as: SIMD16<Float>.self)
                        UnsafeMutableRawPointer(scur + at).storeBytes(of: from, as: SIMD16<Int32>.self)
                    }
                    // Columns past n must stay -inf for the next rows' reads.
                    for j in (n + 1)..<(blocks * lanes + lanes) where pad + j < width { cur[pad + j] = -.infinity }
                    rows = [rows[1], rows[2], rows[0]]
                    startRows = [startRows[1], startRows[2], startRows[0]]
                }
                let last = rows[1]
                var bestJ = 1
                for j in 1...n where last[pad + j] > last[pad + bestJ] { bestJ = j }
                return (last[pad + bestJ] / Float(m), Int(startRows[1][pad + bestJ]), bestJ)
            }
        }
    }

    /// `|x| + cost`, lane by lane: a rhythm error `x` (log2 units) measured from a tolerated shift, plus that
    /// shift's cost (`rhythmDoubling`, `repeatDoubling`, `repeatHalving`), as `rhythmScore` computes it per cell.
    @inline(__always)
    static func shiftedError(_ x: SIMD16<Float>, _ cost: SIMD16<Float>) -> SIMD16<Float> {
        var h = x
        h.replace(with: -h, where: h .< 0)
        return h + cost
    }
}
