import Foundation
import RefrainAudio
import RefrainSymbolic

/// FluidSynth renderers shared by the analyses of one engine: a renderer renders one score at a time (it
/// holds a lock), so up to `size` of them (one per thread of the compute budget) let scores render side by
/// side. Each loads the soundfont once, on first use, and renders at one sample rate.
final class RendererPool: @unchecked Sendable {
    let soundfont: String?
    /// FluidSynth's interpolation for every render of the pool.
    let interpolation: MIDIRenderer.Interpolation
    /// Hz: a score asked for at a higher rate is rendered at this one and resampled up (soxr). FluidSynth's
    /// work is per voice per output sample, so half the rate is about half the rendering time; the encoders'
    /// highest bins (the CQTs stop near 4 kHz) stay below this rate's Nyquist frequency when it is at least
    /// about 9 kHz. Nil: render at the rate asked for.
    let renderRate: Double?
    private let size: Int
    private var renderers: [Double: [MIDIRenderer]] = [:]
    private var next = 0
    private let lock = NSLock()

    /// - Parameters:
    ///   - soundfont: a `.sf2`/`.sf3` file; nil finds one (`SoundfontLocator`).
    ///   - size: renderers per sample rate (at least 1).
    ///   - interpolation: FluidSynth's sample interpolation (`MIDIRenderer.Interpolation`).
    init(soundfont: String?, size: Int, interpolation: MIDIRenderer.Interpolation = .fourthOrder, renderRate: Double? = nil) {
        self.soundfont = soundfont
        self.interpolation = interpolation
        self.renderRate = renderRate
        self.size = max(1, size)
    }

    /// Renders `score` to mono audio at `sampleRate` Hz.
    func render(_ score: MIDIScore, sampleRate: Double) throws -> AudioSignal {
        if let renderRate, renderRate < sampleRate {
            let renderer = try take(sampleRate: renderRate)
            return try AudioSignal(samples: try renderer.render(score), sampleRate: renderRate).resampled(to: sampleRate, threads: 1)
        }
        let renderer = try take(sampleRate: sampleRate)
        return AudioSignal(samples: try renderer.render(score), sampleRate: sampleRate)
    }

    private func take(sampleRate: Double) throws -> MIDIRenderer {
        lock.lock()
        defer { lock.unlock() }
        var pool = renderers[sampleRate] ?? []
        if pool.count < size {
            pool.append(try MIDIRenderer(soundfont: soundfont, sampleRate: sampleRate, interpolation: interpolation))
            renderers[sampleRate] = pool
        }
        next = (next + 1) % pool.count
        return pool[next]
    }
}
