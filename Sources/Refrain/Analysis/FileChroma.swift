import Foundation

/// Chroma of an audio or MIDI file, for aligning two performances: librosa's `chroma_cqt` (norm inf) at
/// 22050 Hz with hop `hopLength` samples (2048: ≈ 10.8 frames per second). MIDI is rendered through
/// FluidSynth first (`soundfont`, or the one `SoundfontLocator` finds).
///
/// - Returns: `frames x 12`, with frame times in seconds.
public func chromaFeatures(of url: URL, soundfont: String? = nil, hopLength: Int = 2048) throws -> FeatureSequence {
    let sampleRate = 22050.0
    let signal: AudioSignal
    if RefrainAnalyzer.isMIDI(url) {
        let score = try MIDIScore(contentsOf: url)
        let renderer = try MIDIRenderer(soundfont: soundfont, sampleRate: sampleRate)
        signal = AudioSignal(samples: try renderer.render(score), sampleRate: sampleRate)
    } else {
        signal = try AudioDecoder(targetSampleRate: sampleRate).decode(url).signal
    }
    return try ChromaExtractor(sampleRate: sampleRate, hopLength: hopLength).chroma(signal)
}
