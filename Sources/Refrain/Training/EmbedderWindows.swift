import RefrainLearn
import RefrainMath

/// Aligned window pairs of varied lengths for the embedder, closer to what it pools at inference (whole
/// pieces, each modality on its own clock) than `HasherTraining.batch`'s fixed windows warped onto one clock.
///
/// A pair is `L` frames of a rendition (`L` drawn uniformly among the multiples of 4 in `shortest...longest`,
/// cut to the rendition's length: a short piece gives its whole rendition) and the synthesized score's frames
/// from the reference frame aligned to the window's first frame to the one aligned to its last, on the score's
/// own clock (so a slower rendition pairs with fewer score frames, as a recording and its score's synthesis
/// do at inference), at most `longest`. Both are standardised, then zero-padded to `longest` frames; each
/// item's valid length travels in `Tensor.lengths` so the attention pools its valid steps only (Raffel & Ellis
/// 2016 pool whole sequences).
enum EmbedderWindows {
    /// `count` pairs (fewer when the pieces give too few) as `[n, 1, longest, 48]` tensors with their lengths;
    /// nil when none. Renditions shorter than `shortest` frames, and windows with an unaligned frame, are skipped.
    static func batch(_ pieces: [TrainingPiece], count: Int, shortest: Int, longest: Int, random: inout SplitMix64,
                      standardization: (audio: InputStandardization, synth: InputStandardization)) -> HasherTraining.Batch? {
        let d = LearnedInput.bins, unit = LearnedInference.stride
        let choices = (longest - shortest) / unit + 1
        var audio = [Float](), synth = [Float]()
        var audioLengths: [Int] = [], synthLengths: [Int] = []
        var tries = 0
        while audioLengths.count < count && tries < count * 50 {
            tries += 1
            let piece = random.pick(pieces)
            guard !piece.renditions.isEmpty else { continue }
            let rendition = random.pick(piece.renditions)
            let drawn = shortest + unit * Int(random.next() % UInt64(choices))
            guard rendition.audio.rows >= shortest else { continue }
            let length = min(drawn, rendition.audio.rows / unit * unit)
            let start = rendition.audio.rows > length ? Int(random.next() % UInt64(rendition.audio.rows - length + 1)) : 0
            let reference = rendition.referenceFrames(count: piece.synth.rows)
            guard (start..<(start + length)).allSatisfy({ reference[$0] >= 0 }) else { continue }
            let first = Int(reference[start]), last = Int(reference[start + length - 1])
            let scoreLength = min(longest, last - first + 1)
            guard scoreLength >= LearnedInference.minimumFrames else { continue }
            audio += padded(rendition.audio.storage[(start * d)..<((start + length) * d)], standardization.audio, to: longest)
            synth += padded(piece.synth.storage[(first * d)..<((first + scoreLength) * d)], standardization.synth, to: longest)
            audioLengths.append(length)
            synthLengths.append(scoreLength)
        }
        let n = audioLengths.count
        guard n > 0 else { return nil }
        return HasherTraining.Batch(audio: Tensor(shape: [n, 1, longest, d], data: audio, lengths: audioLengths),
                                    synth: Tensor(shape: [n, 1, longest, d], data: synth, lengths: synthLengths))
    }

    /// `frames` (rows of 48) standardised, then followed by zero rows up to `rows` rows.
    static func padded(_ frames: ArraySlice<Float>, _ standardization: InputStandardization, to rows: Int) -> [Float] {
        var out = Array(frames)
        standardization.apply(&out)
        out += [Float](repeating: 0, count: rows * LearnedInput.bins - out.count)
        return out
    }
}
