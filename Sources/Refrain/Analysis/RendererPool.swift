import Foundation

/// A few FluidSynth renderers sharing the work of rendering MIDI files on several threads. A renderer
/// renders one score at a time (it holds a lock), so one per core keeps both cores busy; the soundfont
/// is loaded once per renderer, on first use.
final class RendererPool: @unchecked Sendable {
    private let soundfont: String?
    private let sampleRate: Double
    private var renderers: [MIDIRenderer] = []
    private var next = 0
    private let size: Int
    private let lock = NSLock()

    init(soundfont: String?, sampleRate: Double, size: Int = 2) {
        self.soundfont = soundfont
        self.sampleRate = sampleRate
        self.size = max(1, size)
    }

    /// Renders `score` to mono audio at the pool's sample rate.
    func render(_ score: MIDIScore) throws -> AudioSignal {
        let renderer = try take()
        return AudioSignal(samples: try renderer.render(score), sampleRate: sampleRate)
    }

    private func take() throws -> MIDIRenderer {
        lock.lock()
        defer { lock.unlock() }
        if renderers.count < size {
            renderers.append(try MIDIRenderer(soundfont: soundfont, sampleRate: sampleRate))
        }
        next = (next + 1) % renderers.count
        return renderers[next]
    }
}
