import Foundation
import RefrainMath

/// A picture of an f0 track: the signal's log-frequency spectrogram (STFT magnitude in dB, 80 dB range,
/// rows spaced `pixelsPerSemitone` per semitone from `track`'s `fmin` to `fmax`, one column per pYIN frame)
/// in the `magma` colormap, with the voiced f0 contour drawn over it in cyan; unvoiced frames are left bare.
/// `height = pixelsPerSemitone * 12 * log2(fmax / fmin)`; width = frames x `xScale`.
///
/// The STFT uses the track's frame length and hop, so columns line up with the track's frames.
public func pitchPicture(_ samples: [Float], track: PitchTrack, parameters: YINParameters = YINParameters(),
                         pixelsPerSemitone: Int = 4, xScale: Int = 2) throws -> RGBImage {
    guard track.frameCount > 0 else { throw RefrainError.invalidArgument("the f0 track has no frames to draw") }
    guard (1...32).contains(pixelsPerSemitone), (1...32).contains(xScale) else {
        throw RefrainError.invalidArgument("picture scales must be 1 to 32 pixels")
    }
    let spectrum = try stft(samples, sampleRate: parameters.sampleRate,
                            parameters: STFTParameters(fftSize: parameters.frameLength, hopLength: parameters.hopLength))
    let semitones = 12 * log2(parameters.fmax / parameters.fmin)
    let height = max(1, Int((semitones * Double(pixelsPerSemitone)).rounded()))
    let frames = min(track.frameCount, spectrum.frameCount)
    guard frames > 0 else { throw RefrainError.invalidArgument("the signal is too short to draw") }
    // Each picture row reads the STFT bin nearest its frequency (linear interpolation between the two).
    var rows = Matrix(rows: frames, cols: height)
    let binHz = parameters.sampleRate / Double(parameters.frameLength)
    let bins = spectrum.dimension
    for r in 0..<height {
        let hz = parameters.fmin * pow(2, Double(r) / Double(pixelsPerSemitone) / 12)
        let position = min(hz / binHz, Double(bins - 1)), low = Int(position), frac = Float(position - Double(low))
        let high = min(low + 1, bins - 1)
        for t in 0..<frames {
            let m = spectrum.values[t, low] * (1 - frac) + spectrum.values[t, high] * frac
            rows[t, r] = 20 * log10(max(m, 1e-10))
        }
    }
    let top = Heatmap.finiteRange(rows.storage).1
    var image = Heatmap.image(of: rows, colormap: .magma, range: (top - 80)...top, xScale: xScale, yScale: 1)
    func y(_ hz: Float) -> Int? {
        guard hz.isFinite, hz > 0 else { return nil }
        let r = Double(pixelsPerSemitone) * 12 * log2(Double(hz) / parameters.fmin)
        return height - 1 - Int(r.rounded())
    }
    let cyan: (UInt8, UInt8, UInt8) = (0, 255, 255)
    for t in 0..<frames where track.voiced[t] {
        guard let here = y(track.f0[t]) else { continue }
        let x = t * xScale
        if t + 1 < frames, track.voiced[t + 1], let next = y(track.f0[t + 1]) {
            image.line(from: (x, here), to: (x + xScale, next), cyan)
        } else {
            for dx in 0..<xScale { image.set(x: x + dx, y: here, cyan) }
        }
        image.set(x: x, y: here - 1, cyan)
    }
    return image
}
