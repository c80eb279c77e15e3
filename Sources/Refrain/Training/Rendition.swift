import Foundation
import RefrainAudio
import RefrainMath
import RefrainSymbolic

/// How one training "recording" of a score is made (seeded, so a piece's renditions can be made again): a
/// soundfont, a global tempo with a smooth local curve, an arrangement change (other General MIDI programs,
/// a part dropped, a part doubled an octave away) and recording conditions (room, noise, EQ, codec, rate).
/// The transposition is the piece's, shared with its reference score (`TrainingPiece`), so that the score
/// side and every rendition are in one key: the models learn to match keys, not to ignore them.
public struct RenditionPlan: Codable, Equatable, Sendable {
    public var soundfont: String
    /// Global tempo factor (> 1: faster).
    public var tempo: Double
    /// Local tempo curve `1 + depth * sin(2π t / period + phase)` on top of `tempo` (t: seconds of the score).
    public var curveDepth: Double
    public var curvePeriod: Double
    public var curvePhase: Double
    /// New General MIDI programs by instrument index (before any part is dropped).
    public var programs: [Int: Int]
    /// Instrument index doubled an octave away (before any part is dropped), and the octave (+1 or -1).
    public var doubled: Int?
    public var doublingOctaves: Int
    /// Instrument index removed (after the doubling).
    public var dropped: Int?
    public var condition: AudioCondition?

    /// Draws a plan for `score` from `random`: tempo 0.8-1.25 with a curve of depth 0-8 %, a period of
    /// 8-30 s; each program changed with probability 0.3 (to 0-79), a part doubled with probability 0.2 and
    /// one dropped with probability 0.3 when there are several; a recording condition from `conditions`
    /// with probability `conditionProbability`.
    public static func draw(for score: MIDIScore, soundfonts: [String], conditions: ConditionSampler = .realistic,
                            conditionProbability: Double = 0.7, random: inout SplitMix64) -> RenditionPlan {
        let soundfont = random.pick(soundfonts)
        let tempo = random.logUniform(0.8...1.25)
        let depth = random.uniform(0...0.08), period = random.uniform(8...30), phase = random.uniform(0...(2 * .pi))
        var programs: [Int: Int] = [:]
        for (i, instrument) in score.instruments.enumerated() where !instrument.isDrum && random.chance(0.3) {
            programs[i] = Int(random.next() % 80)
        }
        let pitched = score.instruments.indices.filter { !score.instruments[$0].isDrum }
        var doubled: Int?
        let octaves = random.chance(0.5) ? 1 : -1
        if !pitched.isEmpty && random.chance(0.2) { doubled = random.pick(pitched) }
        let parts = score.instruments.count + (doubled == nil ? 0 : 1)
        var dropped: Int?
        if parts > 1 && random.chance(0.3) { dropped = Int(random.next() % UInt64(parts)) }
        let condition = random.chance(conditionProbability) ? conditions.draw(seed: random.next()) : nil
        return RenditionPlan(soundfont: soundfont, tempo: tempo, curveDepth: depth, curvePeriod: period, curvePhase: phase,
                             programs: programs, doubled: doubled, doublingOctaves: octaves, dropped: dropped, condition: condition)
    }

    /// The score this rendition plays: `reference` (already in the piece's key) with the plan's tempo and
    /// arrangement. Ticks are kept, so a tick of the performance is the same tick of the reference.
    public func performance(of reference: MIDIScore) throws -> MIDIScore {
        var score = reference
        for (index, program) in programs where score.instruments.indices.contains(index) {
            score = try score.settingProgram(program, ofInstrument: index)
        }
        if let doubled, score.instruments.indices.contains(doubled) {
            var copy = score.instruments[doubled]
            copy.notes = copy.notes.compactMap { note in
                var n = note
                n.pitch += 12 * doublingOctaves
                return (0..<128).contains(n.pitch) ? n : nil
            }
            copy.channel = score.instruments.count % 16
            if !copy.notes.isEmpty { score.instruments.append(copy) }
        }
        if let dropped, score.instruments.count > 1, score.instruments.indices.contains(dropped) {
            score = try score.droppingInstrument(dropped)
        }
        let (depth, period, phase) = (curveDepth, curvePeriod, curvePhase)
        return try score.scalingTempo(by: tempo).applyingTempoCurve { seconds in 1 + depth * sin(2 * .pi * seconds / period + phase) }
    }
}

extension TempoMap {
    /// The (fractional) tick at `seconds`: the exact inverse of `seconds(atTick:)` on its piecewise-linear map.
    public func fractionalTick(atSeconds seconds: Double) -> Double {
        var lo = 0, hi = ticks.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) >> 1
            if startSeconds[mid] <= seconds { lo = mid } else { hi = mid - 1 }
        }
        return Double(ticks[lo]) + (seconds - startSeconds[lo]) / secondsPerTick[lo]
    }

    /// Seconds at a fractional tick.
    public func seconds(atFractionalTick tick: Double) -> Double {
        var lo = 0, hi = ticks.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) >> 1
            if Double(ticks[mid]) <= tick { lo = mid } else { hi = mid - 1 }
        }
        return startSeconds[lo] + secondsPerTick[lo] * (tick - Double(ticks[lo]))
    }
}
