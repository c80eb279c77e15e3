import Foundation
import RefrainAudio
import RefrainFeatures
import RefrainMath
import RefrainSymbolic

/// FluidSynth renderers shared by the analyses of one engine: a renderer renders one score at a time (it
/// holds a lock), so up to `size` of them (one per thread of the compute budget) let scores render side by
/// side. Each loads the soundfont once, on first use, and renders at one sample rate. With `splitsScores`, one
/// score is cut into `size` parts (`MIDIScore.renderingParts`) rendered on as many renderers at once and
/// summed: a MIDI query's rendering, most of its analysis, then runs on every thread of the budget, to audio
/// close to the whole rendering but not equal to it (see `Engine.Configuration.splitsScoreRendering`).
final class RendererPool: @unchecked Sendable {
    let soundfont: String?
    /// FluidSynth's interpolation for every render of the pool.
    let interpolation: MIDIRenderer.Interpolation
    /// Hz: a score asked for at a higher rate is rendered at this one and resampled up (soxr). FluidSynth's
    /// work is per voice per output sample, so half the rate is about half the rendering time; the encoders'
    /// highest bins (the CQTs stop near 4 kHz) stay below this rate's Nyquist frequency when it is at least
    /// about 9 kHz. Nil: render at the rate asked for.
    let renderRate: Double?
    /// Whether a score is rendered in parts on several renderers at once (see the type's comment).
    let splitsScores: Bool
    private let size: Int
    private var renderers: [Double: [MIDIRenderer]] = [:]
    private var next = 0
    private let lock = NSLock()

    /// - Parameters:
    ///   - soundfont: a `.sf2`/`.sf3` file; nil finds one (`SoundfontLocator`).
    ///   - size: renderers per sample rate (at least 1).
    ///   - interpolation: FluidSynth's sample interpolation (`MIDIRenderer.Interpolation`).
    ///   - splitsScores: render each score in up to `size` parts at once.
    init(soundfont: String?, size: Int, interpolation: MIDIRenderer.Interpolation = .fourthOrder, renderRate: Double? = nil,
         splitsScores: Bool = false) {
        self.soundfont = soundfont
        self.interpolation = interpolation
        self.renderRate = renderRate
        self.size = max(1, size)
        self.splitsScores = splitsScores
    }

    /// Renders `score` to mono audio at `sampleRate` Hz (in parts, summed, with `splitsScores`; each part is
    /// resampled before the sum, as resampling is linear). A whole score rendered below `sampleRate` with
    /// `threads` above 1 is resampled piece by piece on a second thread while it renders
    /// (`renderedWhileResampling`), to the same samples.
    func render(_ score: MIDIScore, sampleRate: Double, threads: Int = 1) throws -> AudioSignal {
        try render(score, sampleRate: sampleRate, threads: threads, streaming: []).signal
    }

    /// Whether `render` resamples a score while it renders at `sampleRate` with `threads` (and so can feed CQTs
    /// computed alongside, `render(_:sampleRate:threads:feeding:)`).
    func rendersWhileResampling(sampleRate: Double, threads: Int) -> Bool {
        !splitsScores && (renderRate.map { min($0, sampleRate) } ?? sampleRate) < sampleRate && threads > 1
    }

    /// `render(_:sampleRate:threads:)`, and when it resamples while rendering (`rendersWhileResampling`), a
    /// `CQTStream` of each of `cqts` (with `threads`, as `CQT.magnitude`'s) made and fed every piece of the
    /// resampled audio, in order, on the resampling thread, so that the transforms advance while the rest renders:
    /// `streams` holds them, each fed the whole signal and ready to `finish()`, or is nil (not this path, or a
    /// stream failed: they must not be used).
    func render(_ score: MIDIScore, sampleRate: Double, threads: Int, streaming cqts: [CQT]) throws -> (signal: AudioSignal, streams: [CQTStream]?) {
        let parts = splitsScores ? score.renderingParts(size) : [score]
        let rate = renderRate.map { min($0, sampleRate) } ?? sampleRate
        let renderers = try take(parts.count, sampleRate: rate)
        let end = MIDIRenderer.soundingEnd(of: score)
        if parts.count == 1, rate < sampleRate, threads > 1 {
            let (samples, streams) = try Self.renderedWhileResampling(score, on: renderers[0], end: end, to: sampleRate,
                                                                        streaming: cqts, threads: threads)
            return (AudioSignal(samples: samples, sampleRate: sampleRate), streams)
        }
        return (try plainRender(parts, on: renderers, end: end, rate: rate, sampleRate: sampleRate), nil)
    }

    /// The parts rendered one per renderer (at once when several) at `rate`, each resampled to `sampleRate`, summed.
    private func plainRender(_ parts: [MIDIScore], on renderers: [MIDIRenderer], end: Double, rate: Double,
                             sampleRate: Double) throws -> AudioSignal {
        @Sendable func rendered(_ p: Int) throws -> [Float] {
            let signal = AudioSignal(samples: try renderers[p].render(parts[p], end: end), sampleRate: rate)
            return rate < sampleRate ? try signal.resampled(to: sampleRate, threads: 1).samples : signal.samples
        }
        guard parts.count > 1 else { return AudioSignal(samples: try rendered(0), sampleRate: sampleRate) }
        var outcomes = [Result<[Float], Error>](repeating: .success([]), count: parts.count)
        outcomes.withUnsafeMutableBufferPointer { slots in
            let out = UncheckedSendable(slots.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: parts.count) { p in out.value[p] = Result { try rendered(p) } }
        }
        var sum = try outcomes[0].get()
        for outcome in outcomes.dropFirst() {
            let samples = try outcome.get()
            for i in 0..<min(sum.count, samples.count) { sum[i] += samples[i] }
        }
        return AudioSignal(samples: sum, sampleRate: sampleRate)
    }

    /// Samples handed from the rendering to the resampling thread at a time (about a second at 16 kHz).
    static let streamedPiece = 1 << 14

    /// `score` rendered by `renderer` on this thread while a serial queue resamples each finished piece of
    /// `streamedPiece` samples to `sampleRate` (`ResampleStream`): the resampling, 6-7 ms of a 3-minute score's
    /// analysis, overlaps the rendering instead of following it. Bit for bit the samples of rendering first and
    /// resampling after on one thread (`resample(threads: 1)`, as the serial path does).
    static func renderedWhileResampling(_ score: MIDIScore, on renderer: MIDIRenderer, end: Double, to sampleRate: Double) throws -> [Float] {
        try renderedWhileResampling(score, on: renderer, end: end, to: sampleRate, streaming: [], threads: 1).samples
    }

    /// `renderedWhileResampling(_:on:end:to:)`, and a `CQTStream` of each of `cqts` (with `threads`) made on the
    /// resampling queue and fed the resampled samples there as soon as they are final (`ResampleStream.finalCount`),
    /// the rest after the stream's end: each stream has the whole signal, in order. `streams` is nil when one
    /// failed (its error is not the render's: the encoders then transform the audio themselves and meet it, if it is
    /// theirs).
    static func renderedWhileResampling(_ score: MIDIScore, on renderer: MIDIRenderer, end: Double, to sampleRate: Double,
                                        streaming cqts: [CQT], threads: Int) throws -> (samples: [Float], streams: [CQTStream]?) {
        let stream = UncheckedSendable(try ResampleStream(from: renderer.sampleRate, to: sampleRate))
        let state = UncheckedSendable(QueueState())
        let queue = DispatchQueue(label: "refrain.render-resample")
        // The resampled length, about: the render's samples (its end and one second of tail) at the new rate.
        let expected = Int(((end + 1.0) * sampleRate).rounded(.up)) + 1
        if !cqts.isEmpty {
            // Made on the queue, while the rendering starts.
            let made = UncheckedSendable(cqts)
            queue.async {
                stream.value.reserveCapacity(outputSamples: expected)
                state.value.make(made.value, threads: threads, expectedSamples: expected)
            }
        }
        do {
            try renderer.render(score, end: end, every: streamedPiece) { piece in
                queue.async {
                    guard state.value.error == nil else { return }
                    do { try piece.withUnsafeBufferPointer { try stream.value.feed($0) } } catch { state.value.error = error; return }
                    let final = stream.value.finalCount
                    stream.value.withProduced { state.value.feedStreams(UnsafeBufferPointer(rebasing: $0[..<final])) }
                }
            }
        } catch {
            queue.sync {}  // nothing may still feed the stream
            throw error
        }
        return try queue.sync {
            if let error = state.value.error { throw error }
            let samples = try stream.value.finish()
            samples.withUnsafeBufferPointer { state.value.feedStreams($0) }
            return (samples, state.value.streamFailed ? nil : state.value.streams)
        }
    }

    /// What the resampling queue keeps (read and written on that queue only): its first error, and how far the
    /// CQT streams it feeds have been fed.
    final class QueueState {
        var error: Error?
        var streams: [CQTStream] = []
        /// Samples of the resampled signal every stream has had.
        var handed = 0
        var streamFailed = false

        /// Makes the streams of `cqts`.
        func make(_ cqts: [CQT], threads: Int, expectedSamples: Int) {
            do { streams = try cqts.map { try CQTStream($0, threads: threads, expectedSamples: expectedSamples) } } catch { streamFailed = true }
        }

        /// Feeds the streams `final[handed...]` (`final`: the resampled signal's final samples so far).
        func feedStreams(_ final: UnsafeBufferPointer<Float>) {
            guard !streams.isEmpty, !streamFailed, final.count > handed else { return }
            let piece = UnsafeBufferPointer(rebasing: final[handed...])
            do { for stream in streams { try stream.feed(piece) } } catch { streamFailed = true }
            handed = final.count
        }
    }

    /// `count` different renderers at `sampleRate` (made up to the pool's size; beyond it, some repeat and
    /// their renders wait for each other).
    private func take(_ count: Int, sampleRate: Double) throws -> [MIDIRenderer] {
        lock.lock()
        defer { lock.unlock() }
        var pool = renderers[sampleRate] ?? []
        // One more on every call until the pool is full (renders of several callers then go side by side).
        repeat {
            if pool.count < size { pool.append(try MIDIRenderer(soundfont: soundfont, sampleRate: sampleRate, interpolation: interpolation)) }
        } while pool.count < min(size, count)
        renderers[sampleRate] = pool
        return (0..<count).map { _ in
            next = (next + 1) % pool.count
            return pool[next]
        }
    }
}
