extension StageRegistry {
    /// The index module's stages plus the music tasks' own: `kind-filter`, `raffel-ellis` (MIDI to
    /// audio) and `audio-match` (CENS subsequence matching); `shingle-vote` gains the options
    /// `transpositions` (12: vote with every cyclic shift of the query's chroma) and `tempi`
    /// (comma-separated factors: vote with the query resampled in time by each, e.g. `0.8,1,1.25`).
    public static var refrain: StageRegistry {
        var registry = StageRegistry.standard
        registry.register("shingle-vote") { spec, store in
            let stage = try ShingleVoteStage(spec: spec, store: store)
            let shifts = try spec.int("transpositions", default: 1), tempi = try spec.doubles("tempi", default: [1])
            guard tempi.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw RefrainError.invalidArgument("shingle-vote: tempi must be positive factors")
            }
            let voting: any SearchStage = shifts > 1 || tempi != [1] ? QueryVariantsStage(stage, shifts: shifts, tempi: tempi, keep: stage.keep) : stage
            // Queries shorter than one shingle vote played slower (ShortQueryStage).
            return stage.index.map { ShortQueryStage(voting, array: $0.settings.array, minimumFrames: $0.settings.length, keep: stage.keep) } ?? voting
        }
        registry.register("kind-filter") { spec, _ in try KindFilterStage(spec: spec) }
        // Key invariance by default (KeyInvariantMatcher; option key=off for the query's key only).
        registry.register("raffel-ellis") { spec, _ in
            ExactStage(name: "raffel-ellis", matcher: try KeyInvariantMatcher.wrapping(try RaffelEllisMatcher(spec: spec), spec: spec, window: .whole))
        }
        // Audio matching: all twelve keys when transpositions=12; else the estimated keys, coarse to fine
        // (method=full: every tempo version at the full rate).
        registry.register("audio-match") { spec, _ in
            let matcher = try AudioMatchMatcher(spec: spec)
            let chosen: any SequenceMatcher = matcher.transpositions > 1 ? matcher
                : spec.options["method"] == "full" ? try KeyInvariantMatcher.wrapping(matcher, spec: spec, window: .query)
                : try CoarseToFineAudioMatcher(spec: spec)
            return ExactStage(name: "audio-match", matcher: chosen, maxMatchesPerItem: matcher.matchesPerItem)
        }
        registry.register("version") { spec, _ in
            let stage = ExactStage(name: "version", matcher: try KeyInvariantMatcher.wrapping(try VersionMatcher(spec: spec), spec: spec, window: .whole))
            return spec.options["keep"] == nil ? stage : KeepBestStage(stage, keep: try spec.int("keep", default: 25))
        }
        return registry
    }
}

extension AnalyzerRegistry {
    /// The index module's analyzers plus `refrain-music/1` (audio and MIDI).
    public static func refrain(soundfont: String? = nil) -> AnalyzerRegistry {
        var registry = AnalyzerRegistry.standard
        registry.register(RefrainAnalyzer.identifier) { settings in
            var representation = RepresentationSettings()
            try representation.apply(settings.features)
            return try RefrainAnalyzer(settings: representation, soundfont: soundfont)
        }
        return registry
    }
}

extension RepresentationSettings {
    /// Reads back the values `dictionary` wrote; missing keys keep their defaults. An unknown key or a
    /// value that does not parse is an error: an index recorded with settings this version does not know
    /// would otherwise be analysed differently from how it was built.
    public mutating func apply(_ values: [String: String]) throws {
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            func number<T: LosslessStringConvertible>(_: T.Type) throws -> T {
                guard let parsed = T(value) else {
                    throw RefrainError(.index, "feature setting \(key) = '\(value)' is not a number")
                }
                return parsed
            }
            switch key {
            case "sample_rate": sampleRate = try number(Double.self)
            case "cqt_hop": cqtHop = try number(Int.self)
            case "cqt_lowest_note": cqtLowestNote = try number(Double.self)
            case "cqt_bins": cqtBins = try number(Int.self)
            case "cqt_block_seconds": cqtBlockSeconds = try number(Double.self)
            case "chroma_hop": chromaHop = try number(Int.self)
            case "cens_smoothing": censSmoothing = try number(Int.self)
            case "cens_downsampling": censDownsampling = try number(Int.self)
            default:
                throw RefrainError(.index, "unknown feature setting '\(key)' (known: \(RepresentationSettings().dictionary.keys.sorted().joined(separator: ", ")))")
            }
        }
    }
}
