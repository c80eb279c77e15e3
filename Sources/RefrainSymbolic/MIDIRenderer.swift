import CFluidSynth
import Foundation
import RefrainMath

/// Renders scores to audio through FluidSynth with a General MIDI soundfont, offline and deterministically:
/// events are applied at exact sample positions (`round(seconds * sampleRate)`) between
/// `fluid_synth_write_float` calls, reverb and chorus are off, one synthesis thread, and every render runs on
/// a new synthesizer that shares the loaded soundfont (made in the background after the render before), so
/// that no state of an earlier render (voices still releasing, FluidSynth's 64-sample block clock, the voice
/// pool's filter state) reaches it: the same score
/// renders to the same samples, bit for bit, whatever was rendered before. Load the soundfont once and render
/// many files with one renderer.
///
/// Each instrument plays on its own synthesizer channel (up to 256), so instruments never steal each
/// other's programs; drums play on drum-type channels with bank 128.
public final class MIDIRenderer: @unchecked Sendable {
    /// How FluidSynth reads a sample between its stored points when it plays a note at another pitch than
    /// the sample's (its `fluid_synth_set_interp_method`; raw values are FluidSynth's).
    public enum Interpolation: Int32, Sendable, CaseIterable {
        case none = 0, linear = 1, fourthOrder = 4, seventhOrder = 7
    }

    /// Output sample rate, Hz.
    public let sampleRate: Double
    /// FluidSynth's interpolation (its default: fourth order).
    public let interpolation: Interpolation
    /// The soundfont file in use.
    public let soundfontPath: String
    private let settings: OpaquePointer
    /// The synthesizer that loaded the soundfont and owns it; renders add it to synthesizers of their own.
    private let loader: OpaquePointer
    private let soundfont: OpaquePointer
    private let lock = NSLock()
    /// A new synthesizer holding the soundfont, made after each render on a background queue
    /// (`retire(_:)`), which the next render takes instead of making one (FluidSynth's set-up of 256 channels
    /// and 1,024 voices: about 2.6 ms of a query's CPU, measured in the thirteenth round); nil until made.
    /// Guarded by `lock`.
    private var prepared: Synthesizer?

    /// A synthesizer of this renderer and the soundfont's id in it (used under `lock` only).
    private struct Synthesizer: @unchecked Sendable {
        let synth: OpaquePointer
        let soundfontID: Int32
    }
    /// Synthesizer channels: instrument `i` plays on channel `i % channelCount`.
    static let channelCount = 256

    /// Loads `soundfont` (or the one `SoundfontLocator` finds) at `sampleRate` Hz (FluidSynth accepts
    /// 8000...96000). `gain` is FluidSynth's master gain (its default 0.2 keeps dense scores from clipping).
    /// `interpolation` trades the fidelity of pitched samples for time (linear: the voice loop's cheapest
    /// form short of none).
    public init(soundfont: String? = nil, sampleRate: Double = 22050, gain: Double = 0.2,
                interpolation: Interpolation = .fourthOrder) throws {
        guard (8000...96000).contains(sampleRate) else {
            throw RefrainError.invalidArgument("render sample rate must be 8000...96000 Hz, got \(sampleRate)")
        }
        let path = try SoundfontLocator.locate(soundfont)
        MIDIRenderer.silenceLogging()
        guard let settings = new_fluid_settings() else { throw RefrainError(.missingResource, "FluidSynth could not allocate its settings") }
        fluid_settings_setnum(settings, "synth.sample-rate", sampleRate)
        fluid_settings_setnum(settings, "synth.gain", gain)
        fluid_settings_setint(settings, "synth.reverb.active", 0)
        fluid_settings_setint(settings, "synth.chorus.active", 0)
        fluid_settings_setint(settings, "synth.cpu-cores", 1)
        fluid_settings_setint(settings, "synth.midi-channels", Int32(MIDIRenderer.channelCount))
        fluid_settings_setint(settings, "synth.polyphony", 1024)
        fluid_settings_setint(settings, "synth.dynamic-sample-loading", 0)
        guard let loader = new_fluid_synth(settings) else {
            delete_fluid_settings(settings)
            throw RefrainError(.missingResource, "FluidSynth could not create a synthesizer")
        }
        let id = fluid_synth_sfload(loader, path, 1)
        guard id != FLUID_FAILED, let soundfont = fluid_synth_get_sfont_by_id(loader, id) else {
            delete_fluid_synth(loader)
            delete_fluid_settings(settings)
            throw RefrainError(.invalidFile, "\(path): FluidSynth cannot load this soundfont")
        }
        self.sampleRate = sampleRate
        self.interpolation = interpolation
        self.soundfontPath = path
        self.settings = settings
        self.loader = loader
        self.soundfont = soundfont
    }

    deinit {
        if let prepared { release(prepared) }
        delete_fluid_synth(loader)
        delete_fluid_settings(settings)
    }

    /// A new synthesizer with the settings, the loaded soundfont and the interpolation (caller holds `lock`).
    private func makeSynthesizer() throws -> Synthesizer {
        guard let synth = new_fluid_synth(settings) else {
            throw RefrainError(.missingResource, "FluidSynth could not create a synthesizer")
        }
        let soundfontID = fluid_synth_add_sfont(synth, soundfont)
        guard soundfontID != FLUID_FAILED else {
            delete_fluid_synth(synth)
            throw RefrainError(.missingResource, "FluidSynth could not share the loaded soundfont")
        }
        if interpolation != .fourthOrder { fluid_synth_set_interp_method(synth, -1, interpolation.rawValue) }
        return Synthesizer(synth: synth, soundfontID: soundfontID)
    }

    /// Deletes a used synthesizer and prepares the next render's, on a background queue, so that neither waits
    /// in a render (a render that comes first makes its own).
    private func retire(_ used: Synthesizer) {
        DispatchQueue.global(qos: .utility).async { [self] in
            lock.lock()
            defer { lock.unlock() }
            release(used)
            if prepared == nil { prepared = try? makeSynthesizer() }
        }
    }

    /// Deletes `synthesizer`, leaving the soundfont loaded (it belongs to the loader).
    private func release(_ synthesizer: Synthesizer) {
        fluid_synth_remove_sfont(synthesizer.synth, soundfont)
        delete_fluid_synth(synthesizer.synth)
    }

    /// Whether a synthesizer for the next render is made and waiting (made after each render, `retire(_:)`).
    public var hasPreparedSynthesizer: Bool {
        lock.lock()
        defer { lock.unlock() }
        return prepared != nil
    }

    /// FluidSynth prints to the console by default; Refrain keeps it quiet.
    static func silenceLogging() {
        for level in [FLUID_PANIC, FLUID_ERR, FLUID_WARN, FLUID_INFO, FLUID_DBG] {
            fluid_set_log_function(Int32(level.rawValue), nil, nil)
        }
    }

    /// Longest score rendered, seconds (bounds memory: one hour at 22050 Hz is 318 MB of stereo floats).
    public static let maximumDuration = 3600.0

    /// Mono audio (mean of the two synthesizer channels) at `sampleRate`, from 0 s to the last note-off plus
    /// `tail` seconds of release. Same score, soundfont, rate and gain: the same samples, bit for bit.
    /// `end` (seconds) replaces the score's own end, e.g. so that the parts of a score
    /// (`MIDIScore.renderingParts`) render as long as the whole.
    public func render(_ score: MIDIScore, tail: Double = 1.0, end: Double? = nil) throws -> [Float] {
        let (left, right) = try renderStereo(score, tail: tail, end: end)
        var mono = [Float](repeating: 0, count: left.count)
        for i in 0..<left.count { mono[i] = 0.5 * (left[i] + right[i]) }
        return mono
    }

    /// `render(_:tail:end:)` handed over while it is being made: `take` gets the mono samples in order, `chunk`
    /// at a time (the last piece shorter), on the rendering thread, as soon as FluidSynth has written them; the
    /// pieces joined equal `render`'s samples bit for bit. A consumer that passes them to another thread (e.g. to
    /// resample them, `RendererPool`) works while the rest renders.
    public func render(_ score: MIDIScore, tail: Double = 1.0, end: Double? = nil, every chunk: Int,
                       _ take: ([Float]) throws -> Void) throws {
        guard chunk > 0 else { throw RefrainError.invalidArgument("render chunk must be > 0 samples, got \(chunk)") }
        try withoutActuallyEscaping(take) { take in
            _ = try synthesize(score, tail: tail, end: end, every: chunk) { range, left, right in
                var mono = [Float](repeating: 0, count: range.count)
                for i in 0..<range.count { mono[i] = 0.5 * (left[range.lowerBound + i] + right[range.lowerBound + i]) }
                try take(mono)
            }
        }
    }

    /// The end of `score`'s last instrument event (notes, bends, control changes), seconds: where a render
    /// stops before its `tail`. Unlike `MIDIScore.endTime` it ignores signatures, texts and tempo changes, which
    /// make no sound.
    public static func soundingEnd(of score: MIDIScore) -> Double {
        score.instruments.reduce(0) { max($0, $1.endTime) }
    }

    /// Left and right channels at `sampleRate` (`end`: as `render`).
    public func renderStereo(_ score: MIDIScore, tail: Double = 1.0, end: Double? = nil) throws -> (left: [Float], right: [Float]) {
        try synthesize(score, tail: tail, end: end, every: nil)
    }

    /// Left and right channels; with `every`, `finished` is called with each next `every` samples (and the
    /// remainder at the end) as soon as they are written, with the channels' buffers, which it only reads.
    private func synthesize(_ score: MIDIScore, tail: Double, end: Double?, every: Int?,
                            finished: ((Range<Int>, UnsafeMutableBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) throws -> Void)? = nil)
        throws -> (left: [Float], right: [Float]) {
        guard tail >= 0, tail.isFinite else { throw RefrainError.invalidArgument("render tail must be >= 0 s, got \(tail)") }
        guard end.map({ $0 >= 0 && $0.isFinite }) ?? true else { throw RefrainError.invalidArgument("render end must be >= 0 s") }
        let end = end ?? Self.soundingEnd(of: score)
        guard end + tail <= MIDIRenderer.maximumDuration else {
            throw RefrainError.invalidArgument("score lasts \(Int(end)) s; rendering is limited to \(Int(MIDIRenderer.maximumDuration)) s")
        }
        let total = Int(((end + tail) * sampleRate).rounded())
        let events = RenderEvent.schedule(score, sampleRate: sampleRate, channels: MIDIRenderer.channelCount)
        var left = [Float](repeating: 0, count: total), right = [Float](repeating: 0, count: total)
        lock.lock()
        defer { lock.unlock() }
        let fresh = try prepared ?? makeSynthesizer()
        prepared = nil
        defer { retire(fresh) }
        let synth = fresh.synth, soundfontID = fresh.soundfontID
        for (index, inst) in score.instruments.enumerated() {
            let ch = Int32(index % MIDIRenderer.channelCount)
            fluid_synth_set_channel_type(synth, ch, Int32(inst.isDrum ? CHANNEL_TYPE_DRUM.rawValue : CHANNEL_TYPE_MELODIC.rawValue))
            let bank: Int32 = inst.isDrum ? 128 : 0
            let program = Int32(max(0, min(127, inst.program)))
            if fluid_synth_program_select(synth, ch, soundfontID, bank, program) == FLUID_FAILED {
                fluid_synth_program_select(synth, ch, soundfontID, bank, 0)
            }
        }
        try left.withUnsafeMutableBufferPointer { l in
            try right.withUnsafeMutableBufferPointer { r in
                var position = 0, handed = 0
                func advance(to sample: Int) throws {
                    let target = min(sample, total)
                    var p = position
                    while p < target {
                        let n = min(target - p, 8192)
                        fluid_synth_write_float(synth, Int32(n), l.baseAddress!, Int32(p), 1, r.baseAddress!, Int32(p), 1)
                        p += n
                    }
                    position = max(position, target)
                    guard let every, let finished else { return }
                    while position - handed >= every || (position == total && handed < total) {
                        let next = min(handed + every, position)
                        try finished(handed..<next, l, r)
                        handed = next
                    }
                }
                for e in events {
                    try advance(to: e.sample)
                    switch e.kind {
                    case .noteOff(let ch, let key): fluid_synth_noteoff(synth, ch, key)
                    case .noteOn(let ch, let key, let velocity): fluid_synth_noteon(synth, ch, key, velocity)
                    case .control(let ch, let number, let value): fluid_synth_cc(synth, ch, number, value)
                    case .bend(let ch, let value): fluid_synth_pitch_bend(synth, ch, value)
                    }
                }
                try advance(to: total)
            }
        }
        return (left, right)
    }
}

/// A synthesizer event at a sample position.
struct RenderEvent {
    enum Kind {
        case control(Int32, Int32, Int32)
        case bend(Int32, Int32)
        case noteOff(Int32, Int32)
        case noteOn(Int32, Int32, Int32)
        var rank: Int {
            switch self { case .control, .bend: 0; case .noteOff: 1; case .noteOn: 2 }
        }
    }
    var sample: Int
    var kind: Kind

    /// All events of `score`, ordered by sample, then controls, note-offs, note-ons, then input order.
    static func schedule(_ score: MIDIScore, sampleRate: Double, channels: Int) -> [RenderEvent] {
        var events: [RenderEvent] = []
        func at(_ t: Double) -> Int { max(0, Int((t * sampleRate).rounded())) }
        for (index, inst) in score.instruments.enumerated() {
            let ch = Int32(index % channels)
            for c in inst.controlChanges { events.append(RenderEvent(sample: at(c.time), kind: .control(ch, Int32(c.number), Int32(c.value)))) }
            for b in inst.pitchBends { events.append(RenderEvent(sample: at(b.time), kind: .bend(ch, Int32(max(0, min(16383, b.pitch + 8192)))))) }
            for n in inst.notes where (0..<128).contains(n.pitch) {
                let on = at(n.start)
                // A note shorter than a sample still sounds for one sample (its off sorts after its on).
                events.append(RenderEvent(sample: on, kind: .noteOn(ch, Int32(n.pitch), Int32(max(1, min(127, n.velocity))))))
                events.append(RenderEvent(sample: max(at(n.end), on + 1), kind: .noteOff(ch, Int32(n.pitch))))
            }
        }
        var order = Array(events.indices)
        order.sort { (events[$0].sample, events[$0].kind.rank, $0) < (events[$1].sample, events[$1].kind.rank, $1) }
        return order.map { events[$0] }
    }
}
