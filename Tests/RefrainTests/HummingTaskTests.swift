import Foundation
@testable import Refrain
import RefrainAudio
import RefrainIndex
import RefrainMath
import RefrainSymbolic
import RefrainTestSupport
import XCTest

/// Query by humming through the engine: the `melody` encoder in the index, the `humming` task (note alignment,
/// then the recordings of each matched work), refusals, old indexes, and `refrain features --kind f0`'s road.
final class HummingTaskTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws { dir = try Fixtures.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    static let tuneKeys = ["twinkle", "ode-to-joy", "greensleeves", "amazing-grace", "oh-susanna", "frere-jacques"]
    var tunes: [BuiltInTune] { BuiltInTune.all.filter { Self.tuneKeys.contains($0.key) } }

    /// An index of the scores of six built-in tunes (melody, chords and bass; each its own work) plus a rendered
    /// recording of "greensleeves" in the same work.
    func makeIndex(configuration: Engine.Configuration = Engine.Configuration()) throws -> Engine {
        let engine = try Engine.create(at: dir.appendingPathComponent("index"), configuration: configuration)
        var jobs: [AddJob] = []
        for tune in tunes {
            let url = dir.appendingPathComponent("\(tune.key).mid")
            try tune.score().write(to: url)
            jobs.append(AddJob(key: tune.key, url: url, work: tune.key))
        }
        let demo = try DemoCollection(directory: dir)
        let recording = try demo.writeRecordings(BuiltInTune.all.filter { $0.key == "greensleeves" })[0]
        jobs.append(AddJob(key: "greensleeves-recording", url: recording, work: "greensleeves"))
        try engine.add(jobs)
        return engine
    }

    func hum(_ key: String, seed: UInt64) throws -> HumQuery {
        let tune = try XCTUnwrap(BuiltInTune.all.first { $0.key == key })
        return try HumQueryGenerator().query(try tune.score().hummableMelody(), seed: seed, start: .songStart, noise: .room)
    }

    /// End to end: a synthesized hum of each tune, in another key and at another tempo, finds its work at rank 1,
    /// with the matched span at the score's start; ranked by item, the score comes first and a recording of its
    /// work follows (without a span); the recording item itself has no melody of its own.
    func testAHumFindsItsWorkThroughTheEngine() throws {
        let engine = try makeIndex()
        XCTAssert(try engine.tasks.map(\.name).contains("humming"))
        let recording = try XCTUnwrap(try engine.item(key: "greensleeves-recording"))
        let stored = try IndexStore.open(at: engine.directory).feature(MelodyEncoder.name, of: recording.id)
        XCTAssertGreaterThan(stored.info.frames, 0, "version 2: a recording gets the notes of its predominant melody")
        var spansOnTheOpening: [String] = []
        for (k, key) in Self.tuneKeys.enumerated() {
            let query = try hum(key, seed: UInt64(100 + k))
            XCTAssertGreaterThan(abs(query.info.transposition), 0.4, "another key")
            XCTAssertGreaterThan(abs(query.info.tempo - 1), 0.2, "another tempo")
            let signal = AudioSignal(samples: query.samples, sampleRate: query.sampleRate)
            let byWork = try engine.query(.audio(signal, name: "hum-\(key)"), options: QueryOptions(task: "humming", top: 3, by: .work)).result
            XCTAssertEqual(byWork.task, "humming")
            XCTAssertEqual(byWork.ranking.first?.work, key, "\(key): \(byWork.ranking.map(\.key))")
            let hit = try XCTUnwrap(byWork.ranking.first)
            let start = try XCTUnwrap(hit.start), end = try XCTUnwrap(hit.end)
            // The hum starts at the song's start: the span should start there or where the opening returns (these
            // tunes repeat their first phrase), i.e. the melody's next four intervals from the span's first note
            // are the opening's. Three of these six hums (all in room noise) are not heard as their opening, so
            // the span starts where what was heard fits: pYIN calls twinkle's third to fifth notes (G A A, hummed
            // at MIDI 71-73) unvoiced, and its readings are "C C' G | G F F' E" (repeats sung 0.7-0.8 apart), matched
            // from note 6; the ode-to-joy hum skips "G G" (the generator's error) and sings the E-F semitones 0.4-0.9
            // apart, so its readings are "E D C D E D", the score's notes 4-9; oh-susanna's A A (MIDI 72) were lost
            // too, and the match started at its second note. Counted below so that the others cannot get worse
            // unnoticed. Since the gated noise floor (`PYINParameters.hummedNoiseFloor`, issue 21 round 12; both hums
            // read about 14 dB, under the 18 dB gate) twinkle's G A A and oh-susanna's A A are heard: oh-susanna's span
            // now starts on its opening, but twinkle's readings "C C' G A G F F' E" are matched from note 15 (repeats merged:
            // the D at 18.0 s that ends the fourth phrase, right before bars 9-12 repeat the opening at 19.2 s), still at
            // rank 1: the same notes at their reprise, one note early, so twinkle's span is not bounded to the first phrase.
            let melody = MelodyShape(try XCTUnwrap(BuiltInTune.all.first { $0.key == key }).score().hummableMelody())
            let first = try XCTUnwrap(melody.onsets.indices.min { abs(melody.onsets[$0] - start) < abs(melody.onsets[$1] - start) })
            XCTAssertLessThan(abs(melody.onsets[first] - start), 0.3, "\(key): the span starts on a note")
            if first + 4 <= melody.intervals.count, Array(melody.intervals[first..<first + 4]) == Array(melody.intervals[0..<4]) {
                spansOnTheOpening.append(key)
            }
            print("\(key): span \(start)-\(end) s, from note \(first)")
            if key != "twinkle" {
                XCTAssertLessThanOrEqual(first, 6, "\(key): the span starts within the hummed opening's first phrase (measured: 0 to 4)")
            }
            XCTAssertGreaterThan(end, start + 2, "\(key): the span covers the hummed notes")
        }
        print("spans that start on the hummed opening: \(spansOnTheOpening.count) of \(Self.tuneKeys.count): \(spansOnTheOpening)")
        // Measured (issue 21 round 6): greensleeves, amazing-grace and frere-jacques, the three heard as their opening;
        // oh-susanna too since round 12's noise floor.
        for key in ["greensleeves", "amazing-grace", "oh-susanna", "frere-jacques"] {
            XCTAssertTrue(spansOnTheOpening.contains(key), "\(key): its span starts on the hummed opening")
        }
        let query = try hum("greensleeves", seed: 7)
        let byItem = try engine.query(.audio(AudioSignal(samples: query.samples, sampleRate: query.sampleRate)),
                                      options: QueryOptions(task: "humming", top: 4)).result
        XCTAssertEqual(byItem.ranking.prefix(2).map(\.key), ["greensleeves", "greensleeves-recording"])
        XCTAssertEqual(byItem.ranking[1].score, byItem.ranking[0].score)
        XCTAssertNil(byItem.ranking[1].start)
    }

    /// Notes given as a melody (another key, half the speed) pick the humming task by themselves; a score as the
    /// query is searched by its melody part.
    func testMelodyNotesAndScoresAreSearchedByTheirTune() throws {
        let engine = try makeIndex()
        let melody = try XCTUnwrap(BuiltInTune.all.first { $0.key == "ode-to-joy" }).score().hummableMelody()
        let notes = melody.prefix(14).map { MelodyNote(onset: 2 * $0.onset, duration: 2 * $0.duration, pitch: $0.pitch - 5) }
        let result = try engine.query(.melody(Array(notes))).result
        XCTAssertEqual(result.task, "humming")
        XCTAssertEqual(result.ranking.first?.key, "ode-to-joy")
        let score = try XCTUnwrap(BuiltInTune.all.first { $0.key == "amazing-grace" }).score(melodyProgram: 73).scalingTempo(by: 1.3)
        let byScore = try engine.query(.score(score), options: QueryOptions(task: "humming", by: .work)).result
        XCTAssertEqual(byScore.ranking.first?.work, "amazing-grace")
        XCTAssertThrowsError(try engine.query(.melody(Array(notes.prefix(3))))) { error in
            XCTAssert((error as? RefrainError)?.message.contains("distinct notes") == true, "\(error)")
        }
    }

    /// The note stage's cost options: `replace_cost` sets the replacement move's cost (off, +inf, by default),
    /// `octave_cost` the octave tolerance (1 semitone by default; `inf` turns it off), `length_penalty` the
    /// reference-length correction (0, off, by default), `rhythm_doubling` the rhythm doubling tolerance, `repeat_doubling` and `repeat_halving` the ones next to merged repeats (the hum's, the score's) and `repeat_credit` the repeat agreement credit; each takes a value, and a negative one is refused with one
    /// sentence naming the option.
    func testTheNoteStageTakesItsCostOptions() throws {
        let options: [(name: String, cost: KeyPath<NoteAlignment, Float>, default: Float, values: [(String, Float)])] = [
            ("replace_cost", \.replaceCost, .infinity, [("0.7", 0.7)]),
            ("octave_cost", \.octaveCost, 1, [("inf", .infinity), ("0.5", 0.5)]),
            ("length_penalty", \.lengthPenalty, 0, [("0.5", 0.5)]),
            ("rhythm_doubling", \.rhythmDoubling, NoteAlignment().rhythmDoubling, [("0.25", 0.25), ("inf", .infinity)]),
            ("repeat_doubling", \.repeatDoubling, NoteAlignment().repeatDoubling, [("0.25", 0.25), ("inf", .infinity)]),
            ("repeat_halving", \.repeatHalving, NoteAlignment().repeatHalving, [("0.5", 0.5), ("inf", .infinity)]),
            ("repeat_credit", \.repeatCredit, 0, [("0.25", 0.25)]),
        ]
        for option in options {
            XCTAssertEqual(try NoteAlignmentStage(spec: StageSpec(stage: "note-alignment")).alignment[keyPath: option.cost], option.default, option.name)
            for (text, value) in option.values {
                let stage = try NoteAlignmentStage(spec: StageSpec(stage: "note-alignment", options: [option.name: text]))
                XCTAssertEqual(stage.alignment[keyPath: option.cost], value, "\(option.name)=\(text)")
            }
            XCTAssertThrowsError(try NoteAlignmentStage(spec: StageSpec(stage: "note-alignment", options: [option.name: "-1"]))) { error in
                let message = (error as? RefrainError)?.message ?? ""
                XCTAssertTrue(message.contains(option.name), message)
                XCTAssertFalse(message.contains("\n"))
            }
        }
    }

    /// Silence, noise and a hum too short to search get one sentence each, not a ranking.
    func testQueriesWithoutATuneAreRefusedWithASentence() throws {
        let engine = try makeIndex()
        var random = SplitMix64(seed: 3)
        let noise = (0..<(22050 * 4)).map { _ in Float(Double(random.next() >> 11) / 9_007_199_254_740_992 - 0.5) * 0.3 }
        let short = try hum("twinkle", seed: 5)
        let inputs: [(String, [Float])] = [("silence", [Float](repeating: 0, count: 22050 * 4)), ("noise", noise),
                                            ("short", Array(short.samples.prefix(Int(1.2 * short.sampleRate))))]
        for (name, samples) in inputs {
            XCTAssertThrowsError(try engine.query(.audio(AudioSignal(samples: samples, sampleRate: 22050), name: name),
                                                  options: QueryOptions(task: "humming"))) { error in
                let message = (error as? RefrainError)?.message ?? "\(error)"
                XCTAssert(message.contains("sung or hummed pitch") || message.contains("distinct notes"), "\(name): \(message)")
                XCTAssertFalse(message.contains("\n"), "one sentence")
            }
        }
    }

    /// An index made before the `melody` encoder existed opens and answers its own tasks; a humming query says
    /// to run `refrain reindex`, which adds the melodies, after which the hum is found.
    func testAnIndexWithoutMelodiesSaysToReindex() throws {
        var older = EncoderRegistry.standard
        older.register(MelodyEncoder.name, version: MelodyEncoder.version, summary: "", isDefault: false) { settings in
            try MelodyEncoder(settings: try MelodyEncoder.Settings(settings))
        }
        _ = try makeIndex(configuration: Engine.Configuration(encoders: older))
        let engine = try Engine.open(at: dir.appendingPathComponent("index"))
        XCTAssertFalse(try engine.tasks.map(\.name).contains("humming"))
        let query = try hum("oh-susanna", seed: 11)
        let input = QueryInput.audio(AudioSignal(samples: query.samples, sampleRate: query.sampleRate))
        XCTAssertThrowsError(try engine.query(input, options: QueryOptions(task: "humming"))) { error in
            XCTAssert((error as? RefrainError)?.message.contains("refrain reindex") == true, "\(error)")
        }
        let report = try engine.reindex()
        XCTAssert(report.finished)
        XCTAssert(report.to.contains { $0.name == MelodyEncoder.name })
        XCTAssertEqual(try engine.query(input, options: QueryOptions(task: "humming", by: .work)).result.ranking.first?.work, "oh-susanna")
    }

    /// A hum's note merged from repeats is stored as its re-attacks (`MelodyEncoder.storedLine`) and reads back as
    /// the same note with the same count, so the note-alignment stage sees where a note may have been sung twice.
    func testAHumsMergedRepeatsSurviveTheStoredForm() {
        let heard = [HeardNote(onset: 0.1, duration: 0.4, pitch: 60.2), HeardNote(onset: 0.6, duration: 0.9, pitch: 62.1, repeats: 2),
                     HeardNote(onset: 1.6, duration: 0.4, pitch: 64), HeardNote(onset: 2.1, duration: 1.3, pitch: 65.3, repeats: 3),
                     HeardNote(onset: 3.5, duration: 0.4, pitch: 67)]
        let line = MelodyEncoder.storedLine(heard)
        XCTAssertEqual(line.count, 8)
        let shapes = MelodyEncoder.shapes(MelodyEncoder.array([line]).values)
        XCTAssertEqual(shapes.count, 1)
        let expected = MelodyShape(heard)
        XCTAssertEqual(shapes[0].repeats, [1, 2, 1, 3, 1])
        XCTAssertEqual(expected.repeats, [1, 2, 1, 3, 1])
        XCTAssertEqual(shapes[0].noteCount, 5)
        for (a, b) in zip(shapes[0].pitches + shapes[0].onsets + shapes[0].ends, expected.pitches + expected.onsets + expected.ends) {
            XCTAssertEqual(a, b, accuracy: 1e-5)
        }
        for (a, b) in zip(shapes[0].rhythm, expected.rhythm) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    /// The stored form keeps each line's notes and reads back as the same shapes; a score of several parts
    /// gives two lines, the melody part first.
    func testMelodyArrayRoundTrip() throws {
        let score = try XCTUnwrap(BuiltInTune.all.first { $0.key == "twinkle" }).score()
        let source = try AnalysisSource(score: score, bytes: nil, name: "twinkle", renderers: nil, threads: 1)
        let encoder = try MelodyEncoder()
        let lines = try encoder.lines(source)
        XCTAssertEqual(lines.count, 2)
        XCTAssertEqual(lines[0].map { Int($0.pitch) }, score.hummableMelody().map(\.pitch))
        guard case .features(let sequence) = try encoder.encode(source) else { return XCTFail("a feature sequence") }
        XCTAssertEqual(sequence.dimension, 4)
        XCTAssertEqual(sequence.frameCount, lines[0].count + lines[1].count)
        let shapes = MelodyEncoder.shapes(sequence.values)
        XCTAssertEqual(shapes.count, 2)
        // Stored as float32: times come back within a microsecond, pitches and intervals exactly.
        let expected = MelodyShape(score.hummableMelody())
        XCTAssertEqual(shapes[0].pitches, expected.pitches)
        XCTAssertEqual(shapes[0].intervals, expected.intervals)
        XCTAssertEqual(shapes[0].onsets.count, expected.onsets.count)
        for (a, b) in zip(shapes[0].onsets + shapes[0].ends, expected.onsets + expected.ends) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        for (a, b) in zip(shapes[0].rhythm, expected.rhythm) { XCTAssertEqual(a, b, accuracy: 1e-4) }
        XCTAssertThrowsError(try MelodyEncoder(settings: try MelodyEncoder.Settings(["melody_parts": "0"])))
        XCTAssertThrowsError(try MelodyEncoder.Settings(["melody_voices": "2"]))
    }

    /// `f0` through the analysis road: a harmonic tone at 220 Hz between silences is voiced at 220 Hz (within a
    /// few cents) and NaN in the silences, with voiced probabilities; the picture is drawn.
    func testF0FeatureOfAToneBetweenSilences() throws {
        let sr = 22050.0
        var samples = [Float](repeating: 0, count: Int(2.5 * sr))
        for n in Int(0.5 * sr)..<Int(2.0 * sr) {
            let t = Double(n) / sr
            samples[n] = Float(0.3 * sin(2 * .pi * 220 * t) + 0.15 * sin(2 * .pi * 440 * t) + 0.08 * sin(2 * .pi * 660 * t))
        }
        let url = dir.appendingPathComponent("tone.wav")
        try AudioSignal(samples: samples, sampleRate: sr).write(to: url)
        let result = try FeatureExtraction.compute(url, FeatureRequest(kind: .f0))
        XCTAssertEqual(result.features.dimension, 2)
        XCTAssertEqual(result.frameRate, sr / 512, accuracy: 1e-9)
        var voicedInside = 0, inside = 0, unvoicedOutside = 0, outside = 0
        for t in 0..<result.features.frameCount {
            let time = result.features.times[t], hz = result.features.values[t, 0], p = result.features.values[t, 1]
            XCTAssert(p >= 0 && p <= 1)
            if time > 0.7 && time < 1.8 {
                inside += 1
                if hz.isFinite { voicedInside += 1; XCTAssertEqual(1200 * log2(Double(hz) / 220), 0, accuracy: 10) }
            } else if time < 0.3 || time > 2.2 {
                outside += 1
                if hz.isNaN { unvoicedOutside += 1 }
            }
        }
        XCTAssertEqual(voicedInside, inside)
        XCTAssertEqual(unvoicedOutside, outside)
        let image = try FeaturePicture.image(of: result)
        XCTAssertEqual(image.width, 2 * result.features.frameCount)
    }
}
