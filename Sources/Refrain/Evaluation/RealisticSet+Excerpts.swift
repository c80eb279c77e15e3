import Foundation
import RefrainAudio
import RefrainMath
import RefrainSymbolic

extension RealisticSet.Maker {
    /// What every audio-excerpt query of one piece is drawn from: the piece, the fonts of its half and its
    /// indexed recordings (their performed scores give the expected spans).
    struct ExcerptSource {
        struct Recording { var key: String; var score: MIDIScore; var semitones: Int }
        var key: String
        var half: String
        var score: MIDIScore
        var fonts: [String]
        var recordings: [Recording]
        /// Global tempo of the first recording; an excerpt's tempo is 0.6-1.6 times it.
        var firstTempo: Double

        /// True when no recording is in the key `semitones` from the score: the query is transposed against all.
        func transposed(_ semitones: Int) -> Bool { !recordings.contains { $0.semitones == semitones } }
    }

    /// Audio-excerpt query `q` of a piece (`<key>-excerpt<q>`), drawn from `random`: a new rendition (soundfont,
    /// arrangement, tempo 0.6-1.6 times the first recording's with a local curve, transposed half of the time) cut
    /// to 5 s ... the whole piece, under `ConditionSampler.realistic`; its span in every recording (seconds) comes
    /// from the tempo maps. Renders the file unless it exists.
    func excerpt(_ q: Int, of source: ExcerptSource, random: inout SplitMix64) throws -> RealisticSet.Query {
        let score = source.score
        let font = random.pick(source.fonts)
        let arrangement = ArrangementEdit.draw(for: score, changeProbability: 0.5, using: &random)
        let semitones = random.chance(0.5) ? random.pick(RealisticSet.shifts) : 0
        let ratio = random.logUniform(0.6...1.6)
        let performance = try performed(arrangement.applied(to: score).transposed(by: semitones), global: source.firstTempo * ratio,
                                        random: &random)
        let total = performance.endTime
        let whole = random.chance(0.15) || total <= 5
        let length = whole ? total : min(total, random.logUniform(5...60))
        let start = whole ? 0 : random.uniform(0...max(0, total - length))
        let condition = ConditionSampler.realistic.draw(seed: random.next())
        let id = "\(source.key)-excerpt\(q)"
        let file = try write(performance, font: font, condition: condition, to: directory.appendingPathComponent("queries/\(id)"),
                             excerpt: start...(start + length))
        let startTick = performance.tempoMap.tick(atSeconds: start), endTick = performance.tempoMap.tick(atSeconds: start + length)
        var spans: [String: [Double]] = [:]
        for recording in source.recordings {
            spans[recording.key] = [recording.score.tempoMap.seconds(atTick: startTick), recording.score.tempoMap.seconds(atTick: endTick)]
        }
        let first = spans[source.recordings[0].key]!
        return .init(id: id, path: file.path, task: "audio-match", relevant: source.recordings.map(\.key), spans: spans, half: source.half,
                     labels: labels(condition: condition, font: font, arrangement: arrangement, transposed: source.transposed(semitones),
                                    tempo: (first[1] - first[0]) / max(length, 1e-9),
                                    length: Self.lengthBand(length, whole: whole)),
                     condition: "\(RealisticSet.fontName(font, unseen: options.unseenSoundfonts)), \(arrangement.label), \(semitones) semitones, tempo x\(String(format: "%.2f", ratio)), \(String(format: "%.1f", length)) s from \(String(format: "%.1f", start)) s, \(condition)")
    }

    /// The `extraTuneExcerptQueries` more excerpts of a tune-half piece (none for the report half), numbered after
    /// the `excerptQueriesPerWork` ordinary ones. Each is drawn from its own seed (the set's seed and its id), not
    /// from the piece's stream, so the recordings and every ordinary query stay exactly as they are without them.
    func extraTuneExcerpts(of source: ExcerptSource) throws -> [RealisticSet.Query] {
        guard source.half == "tune", options.extraTuneExcerptQueries > 0 else { return [] }
        let first = options.excerptQueriesPerWork
        return try (first..<(first + options.extraTuneExcerptQueries)).map { q in
            var random = SplitMix64(seed: options.seed ^ stableHash("\(source.key)-excerpt\(q)"))
            return try excerpt(q, of: source, random: &random)
        }
    }
}
