import Foundation

/// How `hash-dtw` reads a MIDI query a second time, from its piano roll (`pianoroll` option; issue 20, seventeenth
/// round). Raffel & Ellis hash a score either from its synthesized CQT or, in the NIPS 2015 workshop paper, from its
/// piano roll; the shipped piano-roll network (`PianoRollHasher`) writes into the codes of the audio network that
/// hashed the index's recordings, so both readings are compared with the same stored codes, and the two readings
/// fail on different queries (eighth round: on the tune half the piano roll ranked 15 true recordings higher than the
/// synthesized CQT and 22 lower).
public enum HashPianoRollReading: String, Sendable, CaseIterable {
    /// One reading: the codes the task's `hashes` encoder gave (the synthesized score's).
    case off
    /// The piano-roll codes alone (for measuring the second reading by itself).
    case only
    /// The smaller of the two normalised Hamming DTW costs: an item either reading finds close is close.
    case min
    /// The mean of the two normalised costs.
    case mean
    /// Reciprocal rank fusion of the two readings' rankings (`HashStageFusion.reciprocalRanks`).
    case rank
}

/// Fusion of several rankings of one candidate list into the order `hash-dtw` takes its keep from (issue 20,
/// seventeenth round): reciprocal rank fusion (Cormack, Clarke & Büttcher, "Reciprocal Rank Fusion outperforms
/// Condorcet and individual Rank Learning Methods", SIGIR 2009), each ranking's weight `w` over `k + rank`.
public enum HashStageFusion {
    /// Cormack et al.'s constant `k` (60): it damps the weight of the very first ranks, so that one ranking alone
    /// cannot decide.
    public static let defaultK = 60.0

    /// The 1-based rank of each value of `costs` in ascending order (ties by index; a NaN counts as infinity).
    public static func ranks(_ costs: [Double]) -> [Int] {
        let order = costs.indices.sorted { a, b in
            let x = costs[a].isNaN ? .infinity : costs[a], y = costs[b].isNaN ? .infinity : costs[b]
            return x < y || (x == y && a < b)
        }
        var ranks = [Int](repeating: 0, count: costs.count)
        for (r, i) in order.enumerated() { ranks[i] = r + 1 }
        return ranks
    }

    /// The fused score of each candidate, higher is better: the sum over `readings` (each a cost per candidate, lower
    /// is better, all of one length) of `weight / (k + rank)`, ranks from `ranks(_:)`. A reading of weight 0 adds
    /// nothing.
    public static func reciprocalRanks(_ readings: [(costs: [Double], weight: Double)], k: Double = defaultK) -> [Double] {
        let n = readings.first?.costs.count ?? 0
        var fused = [Double](repeating: 0, count: n)
        for reading in readings where reading.weight != 0 {
            precondition(reading.costs.count == n, "every reading scores every candidate")
            let r = ranks(reading.costs)
            for i in 0..<n { fused[i] += reading.weight / (k + Double(r[i])) }
        }
        return fused
    }

    /// The cost of each candidate under `reading` from its synthesized-score cost `synth` and piano-roll cost `roll`
    /// (per candidate, normalised per code; infinity where the kernel abandoned it): `off` the first, `only` the
    /// second, `min` and `mean` as named (`rank` gives the smaller, which orders ties of the fused rank).
    public static func combined(_ reading: HashPianoRollReading, synth: Double, roll: Double) -> Double {
        switch reading {
        case .off: return synth
        case .only: return roll
        case .min, .rank: return Swift.min(synth, roll)
        case .mean: return (synth + roll) / 2
        }
    }
}
