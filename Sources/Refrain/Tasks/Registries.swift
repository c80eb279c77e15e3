extension StageRegistry {
    /// The index module's stages plus the music tasks' own: `kind-filter`, `raffel-ellis` (MIDI to
    /// audio) and `audio-match` (CENS subsequence matching); `shingle-vote` gains the option
    /// `transpositions` (12: vote with every cyclic shift of the query's chroma).
    public static var refrain: StageRegistry {
        var registry = StageRegistry.standard
        registry.register("shingle-vote") { spec, store in
            let stage = try ShingleVoteStage(spec: spec, store: store)
            let shifts = try spec.int("transpositions", default: 1)
            return shifts > 1 ? TransposingStage(stage, shifts: shifts, keep: stage.keep) : stage
        }
        registry.register("kind-filter") { spec, _ in try KindFilterStage(spec: spec) }
        registry.register("raffel-ellis") { spec, _ in
            ExactStage(name: "raffel-ellis", matcher: try RaffelEllisMatcher(spec: spec))
        }
        registry.register("audio-match") { spec, _ in
            let matcher = try AudioMatchMatcher(spec: spec)
            return ExactStage(name: "audio-match", matcher: matcher, maxMatchesPerItem: matcher.matchesPerItem)
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
            representation.apply(settings.features)
            return try RefrainAnalyzer(settings: representation, soundfont: soundfont)
        }
        return registry
    }
}

extension RepresentationSettings {
    /// Reads back the values `dictionary` wrote; unknown or missing keys keep their defaults.
    mutating func apply(_ values: [String: String]) {
        if let v = values["sample_rate"].flatMap(Double.init) { sampleRate = v }
        if let v = values["cqt_hop"].flatMap(Int.init) { cqtHop = v }
        if let v = values["cqt_lowest_note"].flatMap(Double.init) { cqtLowestNote = v }
        if let v = values["cqt_bins"].flatMap(Int.init) { cqtBins = v }
        if let v = values["chroma_hop"].flatMap(Int.init) { chromaHop = v }
        if let v = values["cens_smoothing"].flatMap(Int.init) { censSmoothing = v }
        if let v = values["cens_downsampling"].flatMap(Int.init) { censDownsampling = v }
    }
}
