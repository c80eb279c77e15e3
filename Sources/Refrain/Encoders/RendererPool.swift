import Foundation
import RefrainAudio
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
        let parts = splitsScores ? score.renderingParts(size) : [score]
        let rate = renderRate.map { min($0, sampleRate) } ?? sampleRate
        let renderers = try take(parts.count, sampleRate: rate)
        let end = MIDIRenderer.soundingEnd(of: score)
        if parts.count == 1, rate < sampleRate, threads > 1 {
            return AudioSignal(samples: try Self.renderedWhileResampling(score, on: renderers[0], end: end, to: sampleRate),
                               sampleRate: sampleRate)
        }
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
        let stream = UncheckedSendable(try ResampleStream(from: renderer.sampleRate, to: sampleRate))
        let failure = UncheckedSendable(FirstError())
        let queue = DispatchQueue(label: "refrain.render-resample")
        do {
            try renderer.render(score, end: end, every: streamedPiece) { piece in
                queue.async {
                    guard failure.value.error == nil else { return }
                    do { try piece.withUnsafeBufferPointer { try stream.value.feed($0) } } catch { failure.value.error = error }
                }
            }
        } catch {
            queue.sync {}  // nothing may still feed the stream
            throw error
        }
        return try queue.sync {
            if let error = failure.value.error { throw error }
            return try stream.value.finish()
        }
    }

    /// The first error of the resampling queue (read and written on that queue only).
    final class FirstError { var error: Error? }

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
