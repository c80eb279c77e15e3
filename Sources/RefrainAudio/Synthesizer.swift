import Foundation
import RefrainMath

/// Deterministic test music: additive tones with harmonics and a soft attack and release, for demos,
/// benchmarks and tests that must not depend on audio files.
public enum Synthesizer {
    /// One event: MIDI notes sounding together for `seconds`.
    public struct Event: Sendable {
        public var notes: [Int]
        public var seconds: Double
        public init(notes: [Int], seconds: Double) {
            self.notes = notes
            self.seconds = seconds
        }
    }

    /// The events one after another, mono at `sampleRate` Hz: every note has `harmonics` partials with amplitudes
    /// 0.6^h, a 10 ms linear attack and a 30 ms release; the mix is scaled so that chords stay below 1.
    public static func render(_ events: [Event], sampleRate: Double = 22050, harmonics: Int = 4) -> [Float] {
        var out = [Float]()
        for event in events {
            let n = Int(event.seconds * sampleRate)
            var block = [Float](repeating: 0, count: n)
            let gain = 0.5 / Double(max(event.notes.count, 1)).squareRoot()
            let attack = Int(0.01 * sampleRate), release = Int(0.03 * sampleRate)
            for note in event.notes {
                let f0 = 440 * pow(2, (Double(note) - 69) / 12)
                for h in 0..<harmonics where f0 * Double(h + 1) < sampleRate / 2 {
                    let w = 2 * Double.pi * f0 * Double(h + 1) / sampleRate, a = gain * pow(0.6, Double(h))
                    // sin(w i) by rotating a unit phasor (exact to ~1e-12 over a few seconds, no libm call per sample).
                    let c = cos(w), s = sin(w)
                    var x = 1.0, y = 0.0
                    for i in 0..<n {
                        block[i] += Float(a * y)
                        (x, y) = (x * c - y * s, x * s + y * c)
                    }
                }
            }
            for i in 0..<n {
                let env = min(1, Double(i) / Double(max(attack, 1)), Double(n - 1 - i) / Double(max(release, 1)))
                block[i] *= Float(max(0, env))
            }
            out += block
        }
        return out
    }

    /// A C major scale (C4 to C5, `noteSeconds` each) followed by I-IV-V-I in C with bass (`chordSeconds` each).
    public static func scaleAndCadence(noteSeconds: Double = 0.5, chordSeconds: Double = 1) -> [Event] {
        let scale = [60, 62, 64, 65, 67, 69, 71, 72].map { Event(notes: [$0], seconds: noteSeconds) }
        let chords = [[48, 60, 64, 67], [53, 60, 65, 69], [55, 59, 62, 67], [48, 60, 64, 67]]
            .map { Event(notes: $0, seconds: chordSeconds) }
        return scale + chords
    }

    /// `seconds` of a pseudo-random diatonic chord progression (seeded, reproducible), one chord per `chordSeconds`.
    public static func progression(seconds: Double, chordSeconds: Double = 0.5, seed: UInt64 = 1) -> [Event] {
        var state = seed &* 6364136223846793005 &+ 1442695040888963407
        func next() -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int(state >> 33) }
        let roots = [48, 50, 52, 53, 55, 57]  // C D E F G A
        let count = Int((seconds / chordSeconds).rounded(.up))
        return (0..<count).map { _ in
            let root = roots[next() % roots.count]
            let third = [50, 52, 57].contains(root) ? 3 : 4  // ii, iii, vi are minor
            return Event(notes: [root - 12, root, root + third + 12, root + 19], seconds: chordSeconds)
        }
    }
}
