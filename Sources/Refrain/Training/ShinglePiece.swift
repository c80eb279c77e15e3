import Foundation
import RefrainAudio
import RefrainMath
import RefrainSymbolic

/// One piece as the shingle reducer trains on it: the CENS (`CENSEncoder`, ≈ 2.15 frames per second, `frames x
/// 12`) of several versions of the piece, each frame with its time in the reference score. Version 0 is the
/// reference score rendered with the reference soundfont (as the engine renders a MIDI query); the others are
/// renditions (`RenditionPlan`: soundfont, tempo curve, arrangement, recording condition), aligned exactly
/// through the tempo maps.
public struct ShinglePiece: Sendable {
    public var key: String
    public var versions: [Version]

    /// One version's CENS and, per frame, seconds in the reference score (NaN where unaligned).
    public struct Version: Sendable {
        public var cens: Matrix
        public var referenceTimes: [Float]

        public init(cens: Matrix, referenceTimes: [Float]) {
            self.cens = cens
            self.referenceTimes = referenceTimes
        }
    }

    public init(key: String, versions: [Version]) {
        self.key = key
        self.versions = versions
    }

    /// Renders `source` transposed by `semitones` with the reference soundfont and as each of `plans`, and
    /// takes the CENS of every version with `encoder`.
    public static func rendered(key: String, source: MIDIScore, semitones: Int, plans: [RenditionPlan],
                                renderers: TrainingRenderers, encoder: CENSEncoder) throws -> ShinglePiece {
        let reference = source.transposed(by: semitones)
        guard reference.noteCount > 0 else { throw RefrainError.invalidArgument("\(key): no notes left to render") }
        func cens(_ signal: AudioSignal) throws -> FeatureSequence {
            let resampled = signal.sampleRate == encoder.settings.sampleRate ? signal
                : try signal.resampled(to: encoder.settings.sampleRate, threads: 1)
            return try encoder.features(of: resampled, threads: 1)
        }
        let referenceCENS = try cens(AudioSignal(samples: try renderers.renderer(nil).render(reference), sampleRate: LearnedInput.sampleRate))
        var versions = [Version(cens: referenceCENS.values, referenceTimes: referenceCENS.times.map { Float($0) })]
        for plan in plans {
            guard let (performance, signal) = try TrainingPiece.performed(reference, plan: plan, renderers: renderers, threads: 1) else { continue }
            let features = try cens(signal)
            versions.append(Version(cens: features.values,
                                    referenceTimes: TrainingPiece.referenceTimes(features.times, of: performance, in: reference)))
        }
        return ShinglePiece(key: key, versions: versions)
    }

    /// The piece as an `.npz` (float32 CENS and times per version).
    public func encoded() -> Data {
        var members: [NPZ.Member] = []
        for (k, v) in versions.enumerated() {
            members.append(NPZ.Member(name: "cens\(k).npy", bytes: NPY.encode(NPYArray(v.cens))))
            members.append(NPZ.Member(name: "times\(k).npy", bytes: NPY.encode(NPYArray(v.referenceTimes, shape: [v.referenceTimes.count]))))
        }
        return NPZ.encode(members)
    }

    /// Reads a piece written by `encoded()`.
    /// - Throws: `RefrainError.invalidFile` when a version is missing or its times do not fit its frames.
    public static func decode(_ data: Data, key: String, name: String) throws -> ShinglePiece {
        let members = Dictionary(try NPZ.decode(data).map { ($0.name, $0.bytes) }, uniquingKeysWith: { a, _ in a })
        var versions: [Version] = []
        while let c = members["cens\(versions.count).npy"] {
            guard let t = members["times\(versions.count).npy"] else { throw RefrainError.invalidFile(name, "version \(versions.count) has no times") }
            let cens = try NPY.decode(c).matrix(), times = try NPY.decode(t).floats()
            guard times.count == cens.rows, cens.cols == 12 else { throw RefrainError.invalidFile(name, "version \(versions.count) is misshapen") }
            versions.append(Version(cens: cens, referenceTimes: times))
        }
        guard versions.count >= 2 else { throw RefrainError.invalidFile(name, "not a cached shingle piece (fewer than two versions)") }
        return ShinglePiece(key: key, versions: versions)
    }
}

/// Makes (or reads from the cache) the shingle pieces of a corpus.
public enum ShingleMaterial {
    /// The pieces `keys` of the MIDI folder `corpus`: transposition and plans drawn as for the hasher's material
    /// (`TrainingMaterial`, same seed: the same renditions), CENS of the reference and of each rendition. Cached
    /// in `options.cache` as `<key>.shingles.npz`; pieces that cannot be rendered are skipped and named.
    public static func pieces(corpus: URL, keys: [String], options: TrainingMaterialOptions,
                              progress: ((Int) -> Void)? = nil) throws -> (pieces: [ShinglePiece], skipped: [String]) {
        let encoder = try CENSEncoder()
        return try TrainingMaterial.made(corpus: corpus, keys: keys, options: options, cacheSuffix: ".shingles.npz", progress: progress,
                                         decode: { data, key, file, _ in try ShinglePiece.decode(data, key: key, name: file.path) },
                                         encode: { $0.encoded() }) { key, score, renderers in
            let (semitones, plans) = TrainingMaterial.drawn(key: key, score: score, options: options)
            return try ShinglePiece.rendered(key: key, source: score, semitones: semitones, plans: plans, renderers: renderers,
                                             encoder: encoder)
        }
    }
}
