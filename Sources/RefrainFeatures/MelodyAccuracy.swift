import Foundation

/// The MIREX audio melody extraction measures (Salamon, Gómez, Ellis & Richard 2014, "Melody extraction from
/// polyphonic music signals: approaches, applications and challenges", section IV), with `mir_eval.melody`'s
/// definitions: a pitch is right when it is strictly within `centTolerance` of the reference's (chroma: after
/// removing whole octaves). All are fractions in [0, 1].
public struct MelodyAccuracy: Equatable, Sendable {
    /// Reference-voiced frames the estimate calls voiced.
    public var voicingRecall: Double
    /// Reference-unvoiced frames the estimate calls voiced.
    public var voicingFalseAlarm: Double
    /// Reference-voiced frames whose estimated pitch is right (whatever the estimate's voicing).
    public var rawPitch: Double
    /// Reference-voiced frames whose estimated pitch is right modulo octaves.
    public var rawChroma: Double
    /// Frames right in voicing and, where voiced, in pitch.
    public var overall: Double
    /// Frames compared; reference-voiced frames among them.
    public var frames: Int
    public var voicedFrames: Int

    /// Compares an estimate with a reference on the reference's frames. Frequencies are Hz; a frequency that
    /// is not positive or not finite means unvoiced, except that a negative estimate is an unvoiced frame with a
    /// pitch guess `-f` (mir_eval's convention), which counts for raw pitch and chroma. The estimate is read at
    /// each reference time from its nearest frame (`estimateTimes` ascending); with the same times on both
    /// sides this is `mir_eval.melody.evaluate` exactly.
    public init(referenceTimes: [Double], reference: [Float], estimateTimes: [Double], estimate: [Float],
                centTolerance: Double = 50) {
        precondition(referenceTimes.count == reference.count && estimateTimes.count == estimate.count,
                     "times and frequencies must have the same length")
        var refVoiced = 0, refUnvoiced = 0, recalled = 0, falseAlarms = 0, pitchRight = 0, chromaRight = 0, overallRight = 0
        var j = 0
        for (i, time) in referenceTimes.enumerated() {
            var guess: Float = 0
            if !estimateTimes.isEmpty {
                while j + 1 < estimateTimes.count && abs(estimateTimes[j + 1] - time) <= abs(estimateTimes[j] - time) { j += 1 }
                guess = estimate[j]
            }
            let r = reference[i]
            let refIsVoiced = r.isFinite && r > 0
            let estIsVoiced = guess.isFinite && guess > 0
            let pitch = guess.isFinite ? abs(guess) : 0
            if refIsVoiced {
                refVoiced += 1
                if estIsVoiced { recalled += 1 }
                if pitch > 0 {
                    let d = abs(1200 * log2(Double(pitch) / Double(r)))
                    let pitchOK = d < centTolerance
                    let chroma = abs(d - 1200 * (d / 1200 + 0.5).rounded(.down))
                    if pitchOK { pitchRight += 1 }
                    if chroma < centTolerance { chromaRight += 1 }
                    if pitchOK && estIsVoiced { overallRight += 1 }
                }
            } else {
                refUnvoiced += 1
                if estIsVoiced { falseAlarms += 1 } else { overallRight += 1 }
            }
        }
        func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }
        voicingRecall = ratio(recalled, refVoiced)
        voicingFalseAlarm = ratio(falseAlarms, refUnvoiced)
        rawPitch = ratio(pitchRight, refVoiced)
        rawChroma = ratio(chromaRight, refVoiced)
        overall = ratio(overallRight, referenceTimes.count)
        frames = referenceTimes.count
        voicedFrames = refVoiced
    }

    /// Frame-weighted mean of several comparisons (each measure pooled over all their frames).
    public static func pooled(_ results: [MelodyAccuracy]) -> MelodyAccuracy? {
        guard !results.isEmpty else { return nil }
        var total = results[0]
        let frames = results.reduce(0) { $0 + $1.frames }, voiced = results.reduce(0) { $0 + $1.voicedFrames }
        let unvoiced = frames - voiced
        func sum(_ weight: (MelodyAccuracy) -> Int, _ value: (MelodyAccuracy) -> Double, _ over: Int) -> Double {
            over == 0 ? 0 : results.reduce(0.0) { $0 + Double(weight($1)) * value($1) } / Double(over)
        }
        total.voicingRecall = sum(\.voicedFrames, \.voicingRecall, voiced)
        total.voicingFalseAlarm = sum({ $0.frames - $0.voicedFrames }, \.voicingFalseAlarm, unvoiced)
        total.rawPitch = sum(\.voicedFrames, \.rawPitch, voiced)
        total.rawChroma = sum(\.voicedFrames, \.rawChroma, voiced)
        total.overall = sum(\.frames, \.overall, frames)
        total.frames = frames
        total.voicedFrames = voiced
        return total
    }
}
