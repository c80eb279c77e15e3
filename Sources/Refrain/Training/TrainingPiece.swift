import Foundation
import RefrainAlign
import RefrainAudio
import RefrainMath
import RefrainSymbolic

/// What the learned encoders train on for one piece: its reference score as the encoders read a score (the
/// octave-folded piano roll, and the CQT of the score rendered with the reference soundfont), and one or more
/// renditions ("recordings"), each with the time in the reference score of every one of its frames.
///
/// All matrices are `frames x 48` learned-input frames (`LearnedInput`, ≈ 21.5 frames per second). A reference
/// time is NaN where a rendition frame matches no part of the score (before or after an alignment path).
public struct TrainingPiece: Sendable {
    public var key: String
    /// Semitones the reference (and every rendition) is transposed by from the source file.
    public var semitones: Int
    /// The reference score's piano roll and synthesized CQT, on the reference's own clock.
    public var roll: Matrix
    public var synth: Matrix
    public var renditions: [PieceRendition]

    /// One rendition and its alignment to the reference.
    public struct PieceRendition: Sendable {
        /// `frames x 48` scaled log-CQT.
        public var audio: Matrix
        /// Per frame: seconds in the reference score (NaN where unaligned).
        public var referenceTimes: [Float]
        /// How it was made (nil for a real recording aligned by DTW).
        public var plan: RenditionPlan?
        /// The reference score's piano roll on this rendition's clock (`audio.rows x 48`, `LearnedInput.rollFrames`
        /// of the reference's notes retimed by the performance's tempo map: exact, since a rendition keeps the
        /// reference's ticks); nil for a real recording, and for material not yet given its score
        /// (`TrainingPiece.withRenditionRolls`). Not cached: it is read again from the MIDI file.
        public var roll: Matrix? = nil

        /// The reference frame matched to each frame (-1 where unaligned), clamped to `referenceFrames`.
        public func referenceFrames(count referenceFrames: Int) -> [Int32] {
            referenceTimes.map { t in
                guard t.isFinite else { return -1 }
                return Int32(max(0, min(referenceFrames - 1, Int((Double(t) * LearnedInput.frameRate).rounded()))))
            }
        }

        /// The reference's piano roll on this rendition's clock, `audio.rows x 48`: `roll` where known, else
        /// `referenceRoll` (the reference's roll on its own clock) read at each frame's aligned reference frame,
        /// zero where a frame is unaligned (a real recording aligned by DTW).
        public func rollFrames(referenceRoll: Matrix) -> Matrix {
            if let roll { return roll }
            let d = referenceRoll.cols
            var out = Matrix(rows: audio.rows, cols: d)
            guard referenceRoll.rows > 0 else { return out }
            for (i, r) in referenceFrames(count: referenceRoll.rows).enumerated() where r >= 0 {
                out.storage.replaceSubrange((i * d)..<((i + 1) * d), with: referenceRoll.storage[(Int(r) * d)..<((Int(r) + 1) * d)])
            }
            return out
        }
    }

    /// The piano roll of `reference`'s notes on the clock of `performance` (a score with the same ticks and
    /// another tempo map, as `RenditionPlan.performance` makes it), `frames x 48`: the notes keep their ticks and
    /// take the performance's seconds, so frame `t` of the roll and frame `t` of the rendered performance hear
    /// the same tick.
    public static func roll(of reference: MIDIScore, onClockOf performance: MIDIScore, frames: Int) -> Matrix {
        var clocked = reference
        clocked.tempoMap = performance.tempoMap
        clocked.retime()
        return LearnedInput.rollFrames(clocked, frames: frames)
    }

    /// The piece with every planned rendition's `roll` set from `reference` (the source score transposed by
    /// `semitones`): each plan's performance is made again (no rendering) for its tempo map.
    public func withRenditionRolls(reference: MIDIScore) throws -> TrainingPiece {
        var piece = self
        for k in piece.renditions.indices {
            guard let plan = piece.renditions[k].plan else { continue }
            let performance = try plan.performance(of: reference)
            piece.renditions[k].roll = Self.roll(of: reference, onClockOf: performance, frames: piece.renditions[k].audio.rows)
        }
        return piece
    }

    public init(key: String, semitones: Int, roll: Matrix, synth: Matrix, renditions: [PieceRendition]) {
        self.key = key
        self.semitones = semitones
        self.roll = roll
        self.synth = synth
        self.renditions = renditions
    }

    // MARK: Made from a score (alignment from the tempo maps)

    /// Renders `renditions` plans of `source` (transposed by `semitones`) and its reference, and aligns them
    /// exactly through the tempo maps: a rendition keeps the reference's ticks, so frame time -> tick in the
    /// rendition's map -> seconds in the reference's map.
    public static func rendered(key: String, source: MIDIScore, semitones: Int, plans: [RenditionPlan],
                                renderers: TrainingRenderers, input: LearnedInput, threads: Int) throws -> TrainingPiece {
        let reference = source.transposed(by: semitones)
        guard reference.noteCount > 0 else { throw RefrainError.invalidArgument("\(key): no notes left to render") }
        let referenceAudio = AudioSignal(samples: try renderers.renderer(nil).render(reference), sampleRate: LearnedInput.sampleRate)
        let synth = try input.audioFrames(referenceAudio, threads: threads)
        let roll = LearnedInput.rollFrames(reference, frames: synth.rows)
        var renditions: [PieceRendition] = []
        for plan in plans {
            guard let (performance, signal) = try performed(reference, plan: plan, renderers: renderers, threads: threads) else { continue }
            let audio = try input.audioFrames(signal, threads: threads)
            let times = referenceTimes((0..<audio.rows).map { Double($0) / LearnedInput.frameRate }, of: performance, in: reference)
            renditions.append(PieceRendition(audio: audio, referenceTimes: times, plan: plan,
                                             roll: Self.roll(of: reference, onClockOf: performance, frames: audio.rows)))
        }
        return TrainingPiece(key: key, semitones: semitones, roll: roll, synth: synth, renditions: renditions)
    }

    /// The rendition of `reference` that `plan` describes, at `LearnedInput.sampleRate` (through its recording
    /// condition), with the performed score; nil when the plan leaves no notes.
    static func performed(_ reference: MIDIScore, plan: RenditionPlan, renderers: TrainingRenderers,
                          threads: Int) throws -> (performance: MIDIScore, signal: AudioSignal)? {
        let performance = try plan.performance(of: reference)
        guard performance.noteCount > 0 else { return nil }
        var signal = AudioSignal(samples: try renderers.renderer(plan.soundfont).render(performance), sampleRate: LearnedInput.sampleRate)
        if let condition = plan.condition {
            signal = try condition.apply(to: signal)
            if signal.sampleRate != LearnedInput.sampleRate { signal = try signal.resampled(to: LearnedInput.sampleRate, threads: threads) }
        }
        return (performance, signal)
    }

    /// For each of `seconds` (times in the rendition of `performance`), the seconds in `reference` at the same
    /// tick: the performance keeps the reference's ticks. NaN past the reference's end (+ 1 s).
    static func referenceTimes(_ seconds: [Double], of performance: MIDIScore, in reference: MIDIScore) -> [Float] {
        let end = reference.endTime + 1
        return seconds.map { t -> Float in
            let referenceSeconds = reference.tempoMap.seconds(atFractionalTick: performance.tempoMap.fractionalTick(atSeconds: t))
            return referenceSeconds <= end ? Float(referenceSeconds) : .nan
        }
    }

    // MARK: Made from a real pair (alignment by DTW)

    /// A recording and its score, aligned by DTW as Raffel & Ellis aligned real recordings with MIDI files:
    /// cosine costs between the recording's CQT frames and the synthesized score's, an additive penalty on
    /// non-diagonal moves (the cost matrix's median) and a gully of 0.9 (either side may skip up to 10 % at
    /// its ends). A recording frame takes the mean reference frame the path matches it to; frames outside
    /// the path are unaligned. Pairs whose alignment is no better than chance (score ≥ `rejectAbove`, relative
    /// to the spanned submatrix's mean cost) are refused: they would teach the model wrong pairs.
    public static func aligned(key: String, recording: AudioSignal, score: MIDIScore, renderers: TrainingRenderers,
                               input: LearnedInput, threads: Int, rejectAbove: Float = 0.9) throws -> TrainingPiece {
        guard score.noteCount > 0 else { throw RefrainError.invalidArgument("\(key): the MIDI file has no notes") }
        let referenceAudio = AudioSignal(samples: try renderers.renderer(nil).render(score), sampleRate: LearnedInput.sampleRate)
        let synth = try input.audioFrames(referenceAudio, threads: threads)
        let roll = LearnedInput.rollFrames(score, frames: synth.rows)
        let signal = recording.sampleRate == LearnedInput.sampleRate ? recording : try recording.resampled(to: LearnedInput.sampleRate, threads: threads)
        let audio = try input.audioFrames(signal, threads: threads)
        guard audio.rows.multipliedReportingOverflow(by: synth.rows).partialValue <= 40_000_000 else {
            throw RefrainError.invalidArgument("\(key): the recording and the score are too long to align (more than 40 M cells)")
        }
        let alignment = try RaffelEllis.align(cost: try CostMatrix.compute(audio, synth, metric: .cosine), gully: 0.9)
        guard alignment.score < rejectAbove else {
            throw RefrainError.invalidArgument(String(format: "%@: the recording does not align with its score (DTW score %.2f)", key, alignment.score))
        }
        var sums = [Double](repeating: 0, count: audio.rows), counts = [Int](repeating: 0, count: audio.rows)
        for step in alignment.path { sums[step.i] += Double(step.j); counts[step.i] += 1 }
        let times = (0..<audio.rows).map { i -> Float in
            counts[i] > 0 ? Float(sums[i] / Double(counts[i]) / LearnedInput.frameRate) : .nan
        }
        return TrainingPiece(key: key, semitones: 0, roll: roll, synth: synth,
                             renditions: [PieceRendition(audio: audio, referenceTimes: times, plan: nil)])
    }

    // MARK: Cache

    /// The piece as an `.npz` (float16 matrices, float32 times, plans as JSON).
    public func encoded() throws -> Data {
        var members = [NPZ.Member(name: "roll.npy", bytes: NPY.encode(NPYArray(float16: roll))),
                       NPZ.Member(name: "synth.npy", bytes: NPY.encode(NPYArray(float16: synth)))]
        for (k, r) in renditions.enumerated() {
            members.append(NPZ.Member(name: "audio\(k).npy", bytes: NPY.encode(NPYArray(float16: r.audio))))
            members.append(NPZ.Member(name: "times\(k).npy", bytes: NPY.encode(NPYArray(r.referenceTimes, shape: [r.referenceTimes.count]))))
        }
        let meta = Meta(key: key, semitones: semitones, plans: renditions.map(\.plan))
        members.append(NPZ.Member(name: "meta.json", bytes: try JSONEncoder().encode(meta)))
        return NPZ.encode(members)
    }

    struct Meta: Codable {
        var key: String
        var semitones: Int
        var plans: [RenditionPlan?]
    }

    /// Reads a piece written by `encoded()`.
    public static func decode(_ data: Data, name: String) throws -> TrainingPiece {
        let members = Dictionary(try NPZ.decode(data).map { ($0.name, $0.bytes) }, uniquingKeysWith: { a, _ in a })
        guard let metaBytes = members["meta.json"], let meta = try? JSONDecoder().decode(Meta.self, from: metaBytes),
              let rollBytes = members["roll.npy"], let synthBytes = members["synth.npy"] else {
            throw RefrainError.invalidFile(name, "not a cached training piece")
        }
        var renditions: [PieceRendition] = []
        for (k, plan) in meta.plans.enumerated() {
            guard let a = members["audio\(k).npy"], let t = members["times\(k).npy"] else {
                throw RefrainError.invalidFile(name, "rendition \(k) is missing")
            }
            let audio = try NPY.decode(a).matrix()
            let times = try NPY.decode(t).floats()
            guard times.count == audio.rows else { throw RefrainError.invalidFile(name, "rendition \(k) has \(times.count) times for \(audio.rows) frames") }
            renditions.append(PieceRendition(audio: audio, referenceTimes: times, plan: plan))
        }
        return TrainingPiece(key: meta.key, semitones: meta.semitones, roll: try NPY.decode(rollBytes).matrix(),
                             synth: try NPY.decode(synthBytes).matrix(), renditions: renditions)
    }
}

/// FluidSynth renderers for making training material, one per soundfont and thread (a renderer renders one
/// score at a time), each loading its soundfont once. `nil` names the reference soundfont (the one the engine
/// renders scores with: `SoundfontLocator`'s choice unless given).
public final class TrainingRenderers: @unchecked Sendable {
    let reference: String
    private var renderers: [String: [MIDIRenderer]] = [:]
    private var turn: [String: Int] = [:]
    private let size: Int
    private let lock = NSLock()

    public init(referenceSoundfont: String? = nil, perSoundfont: Int = 1) throws {
        reference = try SoundfontLocator.locate(referenceSoundfont)
        size = max(1, perSoundfont)
    }

    /// A renderer of `soundfont` (nil: the reference).
    public func renderer(_ soundfont: String?) throws -> MIDIRenderer {
        let path = soundfont ?? reference
        lock.lock()
        defer { lock.unlock() }
        var pool = renderers[path] ?? []
        if pool.count < size {
            pool.append(try MIDIRenderer(soundfont: path, sampleRate: LearnedInput.sampleRate))
            renderers[path] = pool
        }
        let k = ((turn[path] ?? -1) + 1) % pool.count
        turn[path] = k
        return pool[k]
    }
}
