import Foundation
import RefrainAudio
import RefrainFeatures
import RefrainIndex
import RefrainMath
import RefrainSymbolic

/// `melody`: the tune a person would hum, as notes — the stored form of query by humming.
///
/// - A score (MIDI item or query): the skyline of its most melodic part and, for a score of several parts, of
///   the runner-up (`MIDIScore.melodyPartScores`: part names, range, density; a listener may hum a doubling or
///   obbligato line), one line each.
/// - A hummed or sung query (audio): its pYIN f0 (Mauch & Dixon 2014) read into notes by a note-level HMM
///   (`QueryMelody.noteModel`, after Mauch et al. 2015) and by threshold readings (`QueryMelody.readings`), one
///   line per usable reading, cleaned by `NoteCleanup.standard` (octave errors folded, repeats merged; a merged note is
///   stored as its re-attacks, `storedLine`); a recording with no usable tune (silence, noise, drums,
///   under 2 s of voiced sound, pitch that never settles) is refused with a one-sentence `RefrainError`.
/// - A melody given as notes: those notes, one line.
/// - A recording added to the index: its predominant melody (`predominantMelody`, after Salamon & Gómez 2012)
///   read into notes (`PredominantMelody.notes`), one line; none when fewer than two notes are found.
///
/// Output: `notes x 4` float32 rows of (onset seconds, duration seconds, MIDI pitch — fractional for a sung
/// query, line number), lines one after the other, each in time order; frame times are the onsets. A hummed
/// query adds its pitch contour (`QueryContour`, for the `contour-fusion` stage) as rows of line -1: (bin start
/// seconds, bin length seconds, fractional MIDI pitch, -1).
public struct MelodyEncoder: MusicEncoder {
    public static let name = "melody"
    /// 1: melody part and runner-up skylines for scores, pYIN readings for hums, none for recordings.
    /// 2: as 1, and indexed recordings get the notes of their predominant melody.
    public static let version = 2
    /// Values per row: onset, duration, pitch, line.
    public static let dims = 4

    public struct Settings: Hashable, Sendable {
        /// Hz: the rate a hum is tracked at (pYIN's, librosa's default).
        public var sampleRate: Double = 22050
        /// Parts of a score kept as lines (best first).
        public var parts: Int = 2

        public init() {}

        /// The settings as an index records them.
        public var dictionary: [String: String] {
            ["sample_rate": String(sampleRate), "melody_parts": String(parts)]
        }

        /// Reads recorded settings (missing keys keep their defaults).
        public init(_ values: [String: String]) throws {
            var reader = SettingsReader(encoder: MelodyEncoder.name, values)
            sampleRate = try reader.value("sample_rate", default: sampleRate)
            parts = try reader.value("melody_parts", default: parts)
            try reader.finish()
        }
    }

    public let settings: Settings

    public init(settings: Settings = Settings()) throws {
        guard settings.sampleRate >= 8000, settings.sampleRate <= 96000, (1...8).contains(settings.parts) else {
            throw RefrainError(.index, "encoder melody: the sample rate must be 8000 to 96000 Hz and parts 1 to 8")
        }
        self.settings = settings
    }

    public var record: EncoderRecord {
        EncoderRecord(name: Self.name, version: Self.version, settings: settings.dictionary, dims: Self.dims)
    }

    public var inputs: Set<InputKind> { [.audio, .midi, .melody] }

    /// pYIN's settings for a hum at the encoder's rate (`PYINParameters.hummed`).
    var pitch: PYINParameters { .hummed(sampleRate: settings.sampleRate) }

    public func encode(_ source: AnalysisSource) throws -> EncodedArray {
        guard source.kind == .audio, !source.isIndexedItem else { return .features(Self.array(try lines(source))) }
        let hum = try hummed(source)
        return .features(Self.array(hum.lines, contour: QueryContour(track: hum.track)))
    }

    /// A hummed query's pYIN track (`SubharmonicCheck.standard` applied) and its usable readings as lines (or the
    /// one-sentence refusal).
    func hummed(_ source: AnalysisSource) throws -> (lines: [[(onset: Double, duration: Double, pitch: Double)]], track: PitchTrack) {
        let signal = try source.audio(at: settings.sampleRate)
        let track = try SubharmonicCheck.hummedTrack(signal.samples, parameters: pitch)
        return (try QueryMelody.usableReadings(from: track).map(Self.storedLine), track)
    }

    /// A hum's cleaned notes as a stored line: a note merged from `repeats` > 1 heard notes (`NoteCleanup`) is written
    /// as that many equal parts of its span at its pitch (its re-attacks), which `shapes` merges back into one note
    /// of the same pitch, onset and end that counts them (`MelodyShape.repeats`, read by `NoteAlignment.repeatDoubling`),
    /// so that the stored form stays `notes x 4`.
    public static func storedLine(_ notes: [HeardNote]) -> [(onset: Double, duration: Double, pitch: Double)] {
        notes.flatMap { note -> [(onset: Double, duration: Double, pitch: Double)] in
            let parts = max(1, note.repeats), step = note.duration / Double(parts)
            return (0..<parts).map { (note.onset + Double($0) * step, step, note.pitch) }
        }
    }

    /// An indexed recording's predominant melody as notes (one line, or none under two notes).
    func recorded(_ source: AnalysisSource) throws -> [[(onset: Double, duration: Double, pitch: Double)]] {
        let signal = try source.audio(at: PredominantMelodyParameters().sampleRate)
        let line = try Self.recordingLine(signal.samples, threads: source.threads)
        return line.count >= 2 ? [line] : []
    }

    /// The notes of a recording's predominant melody (`predominantMelody` with its default settings, then
    /// `PredominantMelody.notes`): `samples` mono at `PredominantMelodyParameters().sampleRate` (22050 Hz).
    public static func recordingLine(_ samples: [Float], threads: Int) throws -> [(onset: Double, duration: Double, pitch: Double)] {
        try predominantMelody(samples, threads: threads).notes().map { ($0.onset, $0.duration, $0.pitch) }
    }

    /// The lines of `source` (see the type's description).
    public func lines(_ source: AnalysisSource) throws -> [[(onset: Double, duration: Double, pitch: Double)]] {
        switch source.kind {
        case .midi:
            guard let score = source.score else { return [] }
            return score.melodyPartScores().prefix(settings.parts).compactMap { row in
                let notes = (try? score.melody(instrument: row.instrument)) ?? []
                return notes.count >= 2 ? notes.map { ($0.onset, $0.duration, Double($0.pitch)) } : nil
            }
        case .melody:
            let notes = source.melody ?? []
            let shape = MelodyShape(notes)
            guard shape.noteCount >= QueryMelody.minimumNotes else {
                throw RefrainError.invalidArgument("\(source.name): the melody holds only \(shape.noteCount) distinct notes; "
                                                   + "at least \(QueryMelody.minimumNotes) are needed to search by melody")
            }
            return [notes.map { ($0.onset, $0.duration, Double($0.pitch)) }]
        case .audio:
            if source.isIndexedItem { return try recorded(source) }
            return try hummed(source).lines
        }
    }

    /// Lines as the stored array (`notes x 4`: onset, duration, pitch, line), then the contour's bins as line -1.
    public static func array(_ lines: [[(onset: Double, duration: Double, pitch: Double)]], contour: QueryContour? = nil) -> FeatureSequence {
        var rows = lines.flatMap { line in line.sorted { $0.onset < $1.onset } }
        var lineOf = lines.enumerated().flatMap { k, line in [Float](repeating: Float(k), count: line.count) }
        if let contour {
            let bin = contour.rate > 0 ? 1 / contour.rate : 0
            rows += zip(contour.times, contour.pitches).map { (Double($0), bin, Double($1)) }
            lineOf += [Float](repeating: -1, count: contour.pitches.count)
        }
        var values = Matrix(rows: rows.count, cols: dims)
        for (r, note) in rows.enumerated() {
            values[r, 0] = Float(note.onset)
            values[r, 1] = Float(note.duration)
            values[r, 2] = Float(note.pitch)
            values[r, 3] = lineOf[r]
        }
        return FeatureSequence(values: values, times: rows.map(\.onset))
    }

    /// The lines of a stored array (`notes x 4`) as melody shapes, in line order.
    public static func shapes(_ values: Matrix) -> [MelodyShape] {
        guard values.cols >= 4 else { return [] }
        var lines: [Int: [(onset: Double, duration: Double, pitch: Double)]] = [:]
        for r in 0..<values.rows where values[r, 3] >= 0 {
            let line = Int(values[r, 3])
            lines[line, default: []].append((Double(values[r, 0]), Double(values[r, 1]), Double(values[r, 2])))
        }
        return lines.keys.sorted().map { MelodyShape(notes: lines[$0]!) }.filter { $0.noteCount >= 2 }
    }

    /// The hummed query's contour stored with its lines (rows of line -1), or nil when there is none.
    public static func contour(_ values: Matrix) -> QueryContour? {
        guard values.cols >= 4 else { return nil }
        var pitches: [Float] = [], times: [Float] = [], bin: Float = 0
        for r in 0..<values.rows where values[r, 3] < 0 {
            times.append(values[r, 0])
            bin = values[r, 1]
            pitches.append(values[r, 2])
        }
        return pitches.isEmpty ? nil : QueryContour(pitches: pitches, times: times, rate: bin > 0 ? (Double(1 / bin) * 1000).rounded() / 1000 : 10)
    }
}
