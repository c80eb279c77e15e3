import ArgumentParser
import Foundation
import Refrain
import RefrainFeatures
import RefrainIndex
import RefrainMath
import RefrainSymbolic

/// `refrain-bench humming`: query by humming on the development set of issue 21. Melodies of every corpus
/// piece plus `--distractors` train-corpus pieces are indexed (in manifest order, leaving out the pieces that carry
/// a queried tune by `SharedTune`, as MIREX's distractors hold none of the queried songs); seeded synthetic hums (HumQueryGenerator) of the
/// corpus's melodic pieces (their first part, the manifest's tune) are searched; queries alternate between a
/// tuning half and a report half. Prints MRR, P@1, recall@10 with breakdowns, latency p50 at the given size and
/// at `--large` melodies (the rest made by splicing and mutating train-corpus melodies), and the f0 speed.
struct HummingBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "humming",
        abstract: "Query by humming: MRR, P@1, recall@10 and latency on synthetic hums of the corpus's melodic pieces.")

    @Option(help: "Development corpus folder.") var corpus: String = "../shared/corpus"
    @Option(help: "Training corpus folder (distractor melodies).") var trainCorpus: String = "../shared/train-corpus"
    @Option(help: "Train-corpus pieces indexed as distractors.") var distractors: Int = 2000
    @Option(help: "Queries per melodic corpus piece (alternately tuning and report half).") var perPiece: Int = 2
    @Option(help: "Melodies for the large latency run (0 to skip).") var large: Int = 10_000
    @Option(help: "Candidates the n-gram filter passes to note alignment (0: align every melody).") var filterLimit: Int = 0
    @Option(help: "Seed of the query generator.") var seed: UInt64 = 21
    @Option(help: "Limit the number of melodic pieces queried (0: all).") var limit: Int = 0
    @Flag(help: "Also rank every query with exhaustive alignment and with filter votes alone (slower).") var compare = false
    @Option(help: "Write each query's result as a JSON line here.") var log: String?
    @Option(help: "Note segmentation: split threshold (semitones), hold frames, smoothing frames.") var segmentation: String = "0.6,2,1"
    @Option(help: "Further segmentations whose readings are also searched (each item keeps its best score), separated by ';'; empty for none.") var secondSegmentation: String = "0.7,1,3;0.5,3,5"
    @Option(help: "Experiment: pre-emphasis coefficient a of y[n] = x[n] - a x[n-1] applied to the hum before pYIN (0: none).") var preEmphasis: Double = 0
    @Option(help: "Experiment: pYIN's beta prior over thresholds for the hums, 'a,b' (librosa: 2,18).") var pyinBeta: String?
    @Option(help: "Experiment: pYIN's probability for the global minimum when no trough is under a threshold (librosa: 0.01).") var pyinNoTrough: Double?
    @Option(help: "Voiced runs of the query's track whose voiced probability never reaches P are unvoiced (FaintRuns), 'P,lead-in' only those before the first run that does, or 'off' (default: the product's).") var faintRuns: String?
    @Option(help: "pYIN's spectral subtraction of the hum's noise (NoiseFloor), 'quantile,over-subtraction,spectral floor[,rescue below[,gate: below this estimated SNR, dB]]', or 'off' (default: the product's).") var noiseFloor: String?
    @Option(help: "Note model whose reading is searched first, before the segmentations: 'hmm' (NoteHMM, the product's QueryMelody.noteModel) or 'none'.") var noteModel: String = "hmm"
    @Option(help: "What the note model observes: 'decoded' (pYIN's decoded f0) or 'candidates' (every pYIN candidate, Tony's observation model) or 'unvoiced-candidates' (candidates where pYIN decoded unvoiced); default: the product's.") var noteObservation: String?
    @Option(help: "Candidate observation: voicing prior weight and probability 'w,pi' (default: the product's).") var voicingPrior: String?
    @Option(help: "Candidate observation: semitones the pitch grid reaches beyond the decoded f0's range (default: the product's).") var candidateMargin: Double?
    @Flag(help: "Diagnostics: search with the notes as sung (before synthesis) instead of those heard by pYIN.") var oracleNotes = false
    @Flag(help: "Grid-search the alignment costs on the tuning half (exhaustive alignment) and print each setting's MRR.") var tune = false
    @Option(help: "Print sung and heard notes and the f0 agreement of the first N queries.") var debug: Int = 0
    @Option(help: "Write the indexed melodies and every query's pYIN track as JSON lines into this folder (for prototyping).") var dump: String?
    @Flag(help: "Spans of fused hits from the contour path instead of the note alignment.") var contourSpans = false
    @Option(help: "Contour stage: align the contour only with the notes within this many span lengths (at least 2 s) of the note stage's span (0: whole melodies).") var contourWindow: Double = 0
    @Option(help: "Least voiced probability of a frame the contour keeps (the engine uses QueryContour.voicedFloor).") var contourVoicedFloor: Double = Double(QueryContour.voicedFloor)
    @Option(help: "Contour stage: the note stage's best N melodies re-scored by contour alignment and fused (0: note stage alone).") var contourCandidates: Int = 100
    @Option(help: "Weight of the contour stage's standardised cost in the fused score.") var contourWeight: Double = 1
    @Option(help: "Contour weight for queries whose first reading has fewer than N notes, 'weight,N' (default: the product's).") var shortContourWeight: String?
    @Option(help: "Contour stage for short hums: queries whose first reading has fewer than N notes have the note stage's best M melodies re-scored, 'M,N' (M 0: every melody; default: the product's), 'M,N,usual' standardised on the usual stage's scale.") var contourWide: String?
    @Option(help: "Also rank every query with each of these contour fusions, on the same readings and note alignment: ';'-separated variants, each a ','-separated list of the contour-fusion stage's options from the product's defaults (e.g. 'wide-notes=10,wide-candidates=0;weight=1.5'); listed with --also-alignment's variants.") var alsoFusion: String?
    @Option(help: "Also index the same scores through the Engine (melody encoder only) in this folder and run the report half through `Engine.query` with the humming task (ranks and latency of the product's road).") var engineIndex: String?

    @Flag(help: "With --engine-index: query the index already in that folder (made by an earlier run with the same corpus and distractors) instead of rebuilding it.") var engineReuse = false
    @Option(help: "With --engine-index: write each engine query's top 10 (key and score) as one line into this file (to compare rankings between builds).") var engineRankings: String?

    @Option(help: "Heard notes closer than this many semitones count as one (NoteCleanup.repeatTolerance; default: the product's).") var repeatTolerance: Double = NoteCleanup.standard.repeatTolerance
    @Option(help: "A heard note farther than this many semitones from its neighbours' median moves by octaves towards it (NoteCleanup.octaveFold, 0: off; default: the product's).") var octaveFold: Double = NoteCleanup.standard.octaveFold
    @Option(help: "Neighbours each side a heard note's pitch is compared with for the octave fold (NoteCleanup.neighbours; default: the product's).") var octaveNeighbours: Int = NoteCleanup.standard.neighbours
    @Option(help: "Which half's queries to run: 'both', 'tuning' or 'report'.") var half: String = "both"
    @Option(help: "Diagnostics: make every query in this noise condition ('clean', 'room' or 'telephone'; the queries then differ from the default draw), to study one condition on the tuning half.") var noise: String?
    @Option(help: "Note alignment's replacement move cost (NoteAlignment.replaceCost; 'inf' leaves it out; default: the product's).") var replaceCost: Float = NoteAlignment().replaceCost
    @Option(help: "Note alignment's reference-length correction c: a melody of n intervals loses c ln(n) / m per query interval for a query of m (NoteAlignment.lengthPenalty; 0: none; default: the product's).") var lengthPenalty: Float = NoteAlignment().lengthPenalty
    @Option(help: "Note alignment's rhythm weight (NoteAlignment.rhythmWeight; 0 ignores rhythm; default: the product's).") var rhythmWeight: Float = NoteAlignment().rhythmWeight
    @Option(help: "Note alignment's rhythm doubling tolerance (NoteAlignment.rhythmDoubling; 'inf' scores rhythm errors as they are; default: the product's).") var rhythmDoubling: Float = NoteAlignment().rhythmDoubling
    @Option(help: "Note alignment's repeat doubling tolerance: rhythm ratios doubled or halved forgiven only next to a heard note merged from repeats (NoteAlignment.repeatDoubling; 'inf': off; default: the product's).") var repeatDoubling: Float = NoteAlignment().repeatDoubling
    @Option(help: "Also rank every query with each of these note alignments, on the same readings and contour: ';'-separated variants, each a ','-separated list of the note-alignment stage's options from the product's defaults (e.g. 'repeat_doubling=0.25;merge_cost=0.3'); prints their figures and the queries whose rank moved (an interleaved comparison).") var alsoAlignment: String?
    @Option(help: "Rhythm agreement credited to the query's first interval, a fraction of the rhythm weight (NoteAlignment.firstRhythm; 'score' compares it as any other; default: the product's).") var firstRhythm: String?
    @Option(help: "Diagnostics: write every query's note scores of every melody (and with rhythm ignored), and the contour costs of the note stage's best 300, as JSON lines into this file (the melodies' keys and lengths into FILE.melodies).") var scoreMatrix: String?
    @Option(help: "Note alignment's octave tolerance (NoteAlignment.octaveCost, semitones; 'inf' scores octave errors as they are; default: the product's).") var octaveCost: Float = NoteAlignment().octaveCost
    @Option(help: "Halve the f0 of query frames whose subharmonic-to-harmonic ratio exceeds this (SubharmonicCheck.ratio; 0: no check; default: the product's).") var subharmonicRatio: Double = SubharmonicCheck.standard?.ratio ?? 0
    @Option(help: "With --subharmonic-ratio: frames in the check's running majority (SubharmonicCheck.smoothing, odd; default: the product's).") var subharmonicSmoothing: Int = SubharmonicCheck.standard?.smoothing ?? SubharmonicCheck(ratio: 0).smoothing
    @Option(help: "With --subharmonic-ratio: run the check only on hums with less than this share of their energy below 250 Hz (SubharmonicCheck.gateShare; 0: always).") var subharmonicGate: Double = SubharmonicCheck.standard?.gateShare ?? 0
    @Flag(help: "Diagnostics: print the subharmonic-to-harmonic ratios of the plain pYIN frames that are right and an octave up (HummingOctaveStats).") var octaveStats = false
    @Flag(help: "Also search the note model's reading without the octave fold when the fold moved a note (QueryMelody.unfoldedReading).") var unfoldedReading = false
    @Option(help: "Melodies (the first reading's best) the other readings are aligned with, 0 for all (HummingSearch.laterReadingsLimit; default: the product's).") var laterReadings: Int = HummingSearch().laterReadingsLimit

    @Flag(help: "Keep train-corpus pieces that carry a queried tune in the distractor set (the pre-round-7 set).") var keepSharedDistractors = false
    @Option(help: "Least SharedTune alignment score for a distractor to carry a queried tune.") var sharedTuneScore: Int = SharedTune().leastScore
    @Option(help: "Write every (queried tune, train piece) pair scoring at least --shared-tune-listed into this file.") var sharedTunePairs: String?
    @Option(help: "Least alignment score of the pairs written to --shared-tune-pairs.") var sharedTuneListed: Int = 12

    @Option(help: "Index the corpus pieces as recordings rendered with this soundfont (the notes of their predominant melody, as the melody encoder reads an indexed recording) instead of their scores.") var recordings: String?

    struct Entry { var key: String; var file: URL; var melodic: Bool; var category: String; var source: String }

    /// For each tune that some line carries at a positive score: the tune's index and the best alignment over the lines.
    static func sharedTunes(_ lines: [[Int]], tunes: [[Int]], rule: SharedTune) -> [(Int, (score: Int, identical: Int))] {
        var best = [(score: Int, identical: Int)](repeating: (0, 0), count: tunes.count)
        best.withUnsafeMutableBufferPointer { out in
            try? concurrentForEach(tunes.count) { t in
                for line in lines {
                    let a = rule.alignment(of: tunes[t], in: line)
                    if a.score > out[t].score { out[t] = a }
                }
            }
        }
        return best.enumerated().filter { $0.element.score > 0 }.map { ($0.offset, $0.element) }
    }

    static func manifest(_ folder: URL) throws -> [Entry] {
        let text = try String(contentsOf: folder.appendingPathComponent("manifest.csv"), encoding: .utf8)
        return text.split(whereSeparator: \.isNewline).dropFirst().compactMap { line in
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count >= 7 else { return nil }
            return Entry(key: String(f[0]), file: folder.appendingPathComponent(String(f[1])), melodic: f[f.count - 1] == "True",
                         category: String(f[2]), source: String(f[3]))
        }
    }

    struct Outcome {
        var info: HumQueryInfo
        var rank: Int?  // 1-based, nil when not in the top 10
        var rankTune: Int?  // counting any item that holds the same tune (the same score notes) as right
        var seconds: Double  // f0 + notes + search
        var searchSeconds: Double
        var audioSeconds: Double
        var f0Seconds: Double
        var error: String?
        var half: Int
        var rankExhaustive: Int?
        var rankVotes: Int?
        var exhaustiveSeconds: Double
        var rankNotes: Int?  // note stage alone (when the contour stage is on)
        var rankContour: Int?  // contour cost alone over the note stage's candidates
        var depthNotes: Int?  // the item's rank in the note stage's whole ranking (nil: not ranked at all)
        var depthFused: Int?  // the same in the fused ranking
        var agreement: (pitch: Double, voicing: Double, falseAlarm: Double)?  // pYIN against the intended f0 (`f0Agreement`)
        var noteSeconds = 0.0  // the note stage alone (when the contour stage is on)
        var spanNotes: Bool?  // the note stage's rank-1 hit is right and its span starts within 0.5 s of the hum's first note
        var spanFused: Bool?  // the same for the fused hit (its span the contour path's when ContourFusion.contourSpans)
        var mergedNotes = 0  // notes of the first reading merged from repeats (MelodyShape.repeats > 1)
        var notes = 0  // notes of the first reading
        var alsoRanks: [Int?] = []  // the fused rank under each of --also-alignment
        var key = ""  // the queried tune
    }

    var segmentationSettings: (Double, Int, Int) {
        let f = segmentation.split(separator: ",").map(String.init)
        return (Double(f.first ?? "") ?? 0.5, Int(f.count > 1 ? f[1] : "") ?? 3, Int(f.count > 2 ? f[2] : "") ?? 7)
    }

    func run() throws {
        try reportingErrors {
            let corpusURL = URL(fileURLWithPath: corpus), trainURL = URL(fileURLWithPath: trainCorpus)
            guard ["both", "tuning", "report"].contains(half) else { throw RefrainError.invalidArgument("--half is 'both', 'tuning' or 'report', got '\(half)'") }
            let forcedNoise = try noise.map { name in
                guard let n = HumQueryInfo.Noise(rawValue: name) else { throw RefrainError.invalidArgument("--noise is 'clean', 'room' or 'telephone', got '\(name)'") }
                return n
            }
            guard FileManager.default.fileExists(atPath: corpusURL.appendingPathComponent("manifest.csv").path) else {
                throw RefrainError.fileNotFound(corpusURL.appendingPathComponent("manifest.csv").path)
            }
            let started = Date()
            var collection = MelodyCollection()
            var tunes: [(key: String, melody: [MelodyNote])] = []
            let renderer = try recordings.map { try MIDIRenderer(soundfont: $0, sampleRate: PredominantMelodyParameters().sampleRate) }
            var renderedSeconds = 0.0
            for entry in try Self.manifest(corpusURL) {
                let score = try MIDIScore(contentsOf: entry.file)
                if let renderer {
                    let samples = try renderer.render(score)
                    renderedSeconds += Double(samples.count) / renderer.sampleRate
                    let line = try MelodyEncoder.recordingLine(samples, threads: ComputeBudget.machine.threads)
                    if line.count >= 2 { collection.add(IndexedMelody(key: entry.key, shape: MelodyShape(notes: line))) }
                } else {
                    for m in indexMelodies(of: score, key: entry.key) { collection.add(m) }
                }
                if entry.melodic, let first = score.instruments.indices.first(where: { !score.instruments[$0].isDrum && !score.instruments[$0].notes.isEmpty }) {
                    tunes.append((entry.key, try score.melody(instrument: first)))
                }
            }
            // Distractors: train-corpus pieces in manifest order, leaving out those that carry a queried tune
            // (SharedTune; as MIREX's distractors hold none of the queried songs) unless --keep-shared-distractors.
            let rule = SharedTune(leastScore: sharedTuneScore)
            let tuneIntervals = tunes.map { SharedTune.intervals(MelodyShape($0.melody)) }
            var trainMelodies: [[MelodyNote]] = []
            var kept: [Entry] = [], pairs: [String] = [], excluded = 0
            if FileManager.default.fileExists(atPath: trainURL.appendingPathComponent("manifest.csv").path) {
                for entry in try Self.manifest(trainURL) where kept.count < distractors {
                    guard let score = try? MIDIScore(contentsOf: entry.file) else { continue }
                    let lines = indexMelodies(of: score, key: "train/" + entry.key)
                    let carried = Self.sharedTunes(lines.map { SharedTune.intervals($0.shape) }, tunes: tuneIntervals, rule: rule)
                    for (t, a) in carried where a.score >= sharedTuneListed {
                        pairs.append("\(tunes[t].key) \(tuneIntervals[t].count) train/\(entry.key) \(entry.source) score \(a.score) identical \(a.identical)")
                    }
                    if !keepSharedDistractors, carried.contains(where: { $0.1.score >= rule.leastScore }) { excluded += 1; continue }
                    kept.append(entry)
                    for m in lines { collection.add(m) }
                    if let part = score.melodyPart(), let line = try? score.melody(instrument: part) { trainMelodies.append(line) }
                }
            }
            if let sharedTunePairs { try (pairs.joined(separator: "\n") + "\n").write(toFile: sharedTunePairs, atomically: true, encoding: .utf8) }
            print("distractors: \(kept.count) train-corpus pieces; \(excluded) left out as carrying a queried tune (alignment score >= \(rule.leastScore))" +
                  (keepSharedDistractors ? " (none: --keep-shared-distractors)" : ""))
            let items = Set(collection.melodies.map(\.key)).count
            // Items that carry a queried tune by the same rule (a chorale melody harmonized twice in the corpus, or
            // a kept distractor with --keep-shared-distractors): listed so that the figures can count them as right too.
            var sameTune: [String: Set<String>] = [:]
            var linesByKey: [String: [[Int]]] = [:]
            for m in collection.melodies { linesByKey[m.key, default: []].append(SharedTune.intervals(m.shape)) }
            for (t, tune) in tunes.enumerated() {
                sameTune[tune.key] = Set(linesByKey.filter { $0.key == tune.key || rule.carries(tuneIntervals[t], in: $0.value) }.map(\.key))
            }
            var dumpQueries: [String] = []
            if let dump {
                try FileManager.default.createDirectory(atPath: dump, withIntermediateDirectories: true)
                let lines = collection.melodies.map { m in
                    "{\"key\":\"\(m.key)\",\"pitches\":\(m.shape.pitches),\"onsets\":\(m.shape.onsets),\"ends\":\(m.shape.ends)}"
                }
                try lines.joined(separator: "\n").write(toFile: dump + "/melodies.jsonl", atomically: true, encoding: .utf8)
                let same = sameTune.map { "{\"key\":\"\($0.key)\",\"same\":\(Array($0.value).sorted())}" }
                try same.joined(separator: "\n").write(toFile: dump + "/same.jsonl", atomically: true, encoding: .utf8)
                let tuneLines = tunes.map { t in
                    "{\"key\":\"\(t.key)\",\"onsets\":\(t.melody.map(\.onset)),\"durations\":\(t.melody.map(\.duration)),\"pitches\":\(t.melody.map(\.pitch))}"
                }
                try tuneLines.joined(separator: "\n").write(toFile: dump + "/tunes.jsonl", atomically: true, encoding: .utf8)
            }
            if let recordings {
                print("corpus pieces indexed as recordings rendered with \(recordings) (\(fmt(renderedSeconds, 0)) s of audio), no scores: " +
                      "their predominant-melody notes")
            }
            let duplicated = sameTune.values.filter { $0.count > 1 }.count
            print("\(duplicated) of \(tunes.count) queried tunes are carried by another indexed item too (SharedTune; the same hymn tune or song)")
            print("refrain-bench humming: \(items) items (\(collection.count) melodies: corpus + \(min(distractors, trainMelodies.count)) train-corpus distractor pieces), " +
                  "indexed in \(fmt(Date().timeIntervalSince(started), 1)) s")
            if limit > 0 { tunes = Array(tunes.prefix(limit)) }
            let generator = HumQueryGenerator()
            var pitch = PYINParameters.hummed()
            if let beta = pyinBeta?.split(separator: ",").compactMap({ Double($0) }), beta.count == 2 { pitch.betaParameters = (beta[0], beta[1]) }
            if let pyinNoTrough { pitch.noTroughProbability = pyinNoTrough }
            if let noiseFloor {
                let f = noiseFloor.split(separator: ",").compactMap { Double($0) }
                guard noiseFloor == "off" || (3...5).contains(f.count) else {
                    throw RefrainError.invalidArgument("--noise-floor is 'quantile,over-subtraction,floor[,rescue below[,below SNR dB]]' or 'off', got '\(noiseFloor)'")
                }
                pitch.noiseFloor = f.count >= 3 ? NoiseFloor(quantile: f[0], overSubtraction: f[1], spectralFloor: f[2], rescueBelow: f.count >= 4 ? f[3] : NoiseFloor().rescueBelow,
                                                             belowSNR: f.count == 5 ? f[4] : nil) : nil
            }
            print("pYIN noise floor: \(pitch.noiseFloor.map { "\($0)" } ?? "off")")
            var search = HummingSearch(filterLimit: filterLimit, pitch: pitch)
            search.alignment.replaceCost = replaceCost
            search.alignment.octaveCost = octaveCost
            search.alignment.lengthPenalty = lengthPenalty
            search.alignment.rhythmWeight = rhythmWeight
            search.alignment.rhythmDoubling = rhythmDoubling
            search.alignment.repeatDoubling = repeatDoubling
            if let firstRhythm {
                guard firstRhythm == "score" || Float(firstRhythm) != nil else { throw RefrainError.invalidArgument("--first-rhythm is a fraction or 'score', got '\(firstRhythm)'") }
                search.alignment.firstRhythm = Float(firstRhythm)
            }
            search.octaveCheck = subharmonicRatio > 0 ? SubharmonicCheck(ratio: subharmonicRatio) : nil
            if subharmonicGate > 0 { search.octaveCheck?.gateShare = subharmonicGate }
            search.octaveCheck?.smoothing = max(1, subharmonicSmoothing)
            if let faintRuns {
                let f = faintRuns.split(separator: ",").map(String.init)
                guard faintRuns == "off" || (f.count == 1 && Float(f[0]) != nil) || (f.count == 2 && Float(f[0]) != nil && f[1] == "lead-in") else {
                    throw RefrainError.invalidArgument("--faint-runs is a voiced probability, 'probability,lead-in' or 'off', got '\(faintRuns)'")
                }
                search.faintRuns = Float(f[0]).map { FaintRuns(peakBelow: $0, leadInOnly: f.count == 2) }
            }
            print("faint runs unvoiced: \(search.faintRuns.map { "below voiced probability \($0.peakBelow)\($0.leadInOnly ? ", lead-in only" : "")" } ?? "off")")
            search.laterReadingsLimit = laterReadings
            print("note alignment: rhythm weight \(rhythmWeight), doubling tolerance \(rhythmDoubling), repeat doubling tolerance \(repeatDoubling), first interval's rhythm \(search.alignment.firstRhythm.map { "\($0)" } ?? "scored"), replacement move cost \(replaceCost), octave cost \(octaveCost), length penalty \(lengthPenalty); other readings aligned with the first's best \(laterReadings) (0: all); " +
                  "unfolded reading \(unfoldedReading ? "on" : "off"); octave check of the f0 \(subharmonicRatio > 0 ? "above ratio \(subharmonicRatio), majority of \(max(1, subharmonicSmoothing)) frames" + (subharmonicGate > 0 ? " on hums with under \(subharmonicGate) of their energy below 250 Hz" : "") : "off")")
            let variantOptions = { (text: Substring, flag: String) throws -> [String: String] in
                var options: [String: String] = [:]
                for pair in text.split(separator: ",") {
                    let f = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                    guard f.count == 2 else { throw RefrainError.invalidArgument("\(flag): '\(pair)' is not option=value") }
                    options[f[0]] = f[1]
                }
                return options
            }
            // Each variant: a note alignment (nil: this run's) or a contour fusion (nil: this run's).
            var variants = try (alsoAlignment ?? "").split(separator: ";").map { text -> (name: String, alignment: NoteAlignment?, fusion: ContourFusion?) in
                (String(text), try NoteAlignmentStage(spec: StageSpec(stage: "note-alignment", options: variantOptions(text, "--also-alignment"))).alignment, nil)
            }
            variants += try (alsoFusion ?? "").split(separator: ";").map { text -> (name: String, alignment: NoteAlignment?, fusion: ContourFusion?) in
                (String(text), nil, try ContourFusionStage(spec: StageSpec(stage: "contour-fusion", options: variantOptions(text, "--also-fusion"))).fusion)
            }
            var cleanup = NoteCleanup(octaveFold: octaveFold, repeatTolerance: repeatTolerance)
            cleanup.neighbours = max(1, octaveNeighbours)
            print("heard notes: octaves folded beyond \(octaveFold) semitones from the median of \(cleanup.neighbours) neighbours each side, repeats merged within \(repeatTolerance)")
            var hmm = QueryMelody.noteModel ?? NoteHMM()
            if let noteObservation {
                guard let o = NoteHMM.Observation(rawValue: noteObservation) else { throw RefrainError.invalidArgument("--note-observation is 'decoded', 'candidates' or 'unvoiced-candidates', got '\(noteObservation)'") }
                hmm.observation = o
            }
            if let prior = voicingPrior?.split(separator: ",").compactMap({ Double($0) }), prior.count == 2 { (hmm.voicingPriorWeight, hmm.voicingPrior) = (prior[0], prior[1]) }
            if let candidateMargin { hmm.candidateMargin = candidateMargin }
            print("note model: \(noteModel == "hmm" ? "\(hmm)" : "none")")
            var fusion = ContourFusion()
            fusion.candidates = contourCandidates
            fusion.weight = contourWeight
            if let f = shortContourWeight?.split(separator: ",").compactMap({ Double($0) }), f.count == 2 { (fusion.shortWeight, fusion.shortNotes) = (f[0], Int(f[1])) }
            if let contourWide {
                let parts = contourWide.split(separator: ",").map(String.init)
                let f = parts.prefix(2).compactMap { Int($0) }
                guard f.count == 2, f[0] >= 0, f[1] >= 0, parts.count == 2 || (parts.count == 3 && ["usual", "all"].contains(parts[2])) else {
                    throw RefrainError.invalidArgument("--contour-wide is 'candidates,notes[,usual|all]' (whole numbers, candidates 0: every melody), got '\(contourWide)'")
                }
                (fusion.wideCandidates, fusion.wideNotes) = (f[0], f[1])
                fusion.wideOnUsualScale = parts.count == 3 && parts[2] == "usual"
            }
            print("contour fusion: \(fusion.candidates) candidates, weight \(fusion.weight), short queries (< \(fusion.shortNotes) notes) \(fusion.shortWeight.map { "\($0)" } ?? "the same"); " +
                  (fusion.wideNotes > 0 ? "queries under \(fusion.wideNotes) notes re-score \(fusion.wideCandidates == 0 ? "every melody" : "the best \(fusion.wideCandidates)") (\(fusion.wideOnUsualScale ? "on the usual scale" : "standardised over them"))" : "no wider stage for short queries"))
            fusion.contourSpans = contourSpans
            fusion.window = contourWindow
            let exhaustive = HummingSearch(filterLimit: filterLimit == 0 ? 150 : 0)  // the other option, for --compare
            var outcomes: [Outcome] = []
            var octaveStatistics = HummingOctaveStats()
            var logLines: [String] = []
            var matrixLines: [String] = []
            var generationSeconds = 0.0
            var tuningShapes: [(key: String, shape: MelodyShape)] = []
            for (p, tune) in tunes.enumerated() {
                for k in 0..<perPiece where half == "both" || (half == "tuning") == (k % 2 == 0) {
                    let querySeed = seed &* 1_000_003 &+ UInt64(p * 97 + k)
                    let g0 = Date()
                    guard let query = try? generator.query(tune.melody, seed: querySeed, noise: forcedNoise) else { continue }
                    generationSeconds += Date().timeIntervalSince(g0)
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    var outcome = Outcome(info: query.info, rank: nil, seconds: 0, searchSeconds: 0,
                                          audioSeconds: Double(query.samples.count) / query.sampleRate, f0Seconds: 0, error: nil,
                                          half: k % 2, rankExhaustive: nil, rankVotes: nil, exhaustiveSeconds: 0)
                    outcome.key = tune.key
                    do {
                        var samples = query.samples
                        if preEmphasis > 0 { for i in stride(from: samples.count - 1, to: 0, by: -1) { samples[i] -= Float(preEmphasis) * samples[i - 1] } }
                        let track = try search.track(of: samples, sampleRate: query.sampleRate)
                        let t1 = DispatchTime.now().uptimeNanoseconds
                        if outcomes.count < debug { Self.explain(query, track: track, tune: tune.melody) }
                        if dump != nil {
                            let pitch = track.midiPitch.map { $0.isFinite ? "\($0)" : "null" }.joined(separator: ",")
                            let sung = query.sung.map { "[\($0.onset),\($0.duration),\($0.pitch)]" }.joined(separator: ",")
                            dumpQueries.append("{\"key\":\"\(tune.key)\",\"half\":\(k % 2),\"step\":\(track.times.count > 1 ? track.times[1] - track.times[0] : 0)," +
                                               "\"pitch\":[\(pitch)],\"prob\":\(track.voicedProbability),\"voiced\":\(track.voiced.map { $0 ? 1 : 0 })," +
                                               "\"intended\":[\(Self.intendedPitch(query, track: track).map { $0.isFinite ? "\($0)" : "null" }.joined(separator: ","))]," +
                                               "\"sung\":[\(sung)],\"info\":\(String(decoding: try JSONEncoder().encode(query.info), as: UTF8.self))}")
                        }
                        let shape = oracleNotes ? MelodyShape(notes: query.sung.map { ($0.onset, $0.duration, $0.pitch) })
                            : MelodyShape(try QueryMelody.usableNotes(from: track, segmentation: segmentationSettings, cleanup: cleanup))
                        let t2 = DispatchTime.now().uptimeNanoseconds
                        if k % 2 == 0 { tuningShapes.append((tune.key, shape)) }
                        var readings = [shape]
                        for setting in secondSegmentation.split(separator: ";") where !oracleNotes {
                            let f = setting.split(separator: ",").map(String.init)
                            if f.count == 3, let a = Double(f[0]), let b = Int(f[1]), let c = Int(f[2]),
                               let other = try? QueryMelody.usableNotes(from: track, segmentation: (a, b, c), cleanup: cleanup) {
                                readings.append(MelodyShape(other))
                            }
                        }
                        if noteModel == "hmm", !oracleNotes, let heard = try? QueryMelody.usable(hmm.notes(from: track), of: track) {
                            let folded = cleanup.apply(heard)
                            readings.insert(MelodyShape(folded), at: 0)
                            if unfoldedReading, let plain = cleanup.unfolded(heard, unlike: folded) { readings.append(MelodyShape(plain)) }
                        }
                        outcome.mergedNotes = readings.first.map { $0.repeats.filter { $0 > 1 }.count } ?? 0
                        outcome.notes = readings.first?.noteCount ?? 0
                        let fused = contourCandidates > 0 && !oracleNotes
                        let hits = fused ? search.search(readings, contour: QueryContour(track: track, voicedFloor: Float(contourVoicedFloor)), fusion: fusion, in: collection, topK: 10)
                            : search.search(readings, in: collection, topK: 10)
                        let t3 = DispatchTime.now().uptimeNanoseconds
                        if scoreMatrix != nil {
                            matrixLines.append(HummingScoreMatrix.line(key: tune.key, half: k % 2, readings: readings, search: search, collection: collection,
                                                                       contour: oracleNotes ? nil : QueryContour(track: track, voicedFloor: Float(contourVoicedFloor)),
                                                                       fusion: fusion, info: query.info))
                        }
                        outcome.agreement = Self.f0Agreement(query, track: track)
                        if octaveStats { try octaveStatistics.add(query, pitch: pitch) }
                        if fused {
                            let everyNote = search.search(readings, in: collection, topK: collection.count)
                            outcome.noteSeconds = Double(DispatchTime.now().uptimeNanoseconds - t3) / 1e9
                            let notesOnly = Array(everyNote.prefix(10))
                            outcome.depthNotes = everyNote.firstIndex { $0.key == tune.key }.map { $0 + 1 }
                            outcome.depthFused = search.search(readings, contour: QueryContour(track: track, voicedFloor: Float(contourVoicedFloor)), fusion: fusion,
                                                               in: collection, topK: collection.count).firstIndex { $0.key == tune.key }.map { $0 + 1 }
                            outcome.rankNotes = notesOnly.firstIndex { $0.key == tune.key }.map { $0 + 1 }
                            if let top = notesOnly.first, top.key == tune.key { outcome.spanNotes = abs(top.start - query.info.scoreStart) <= 0.5 }
                            if let top = hits.first, top.key == tune.key { outcome.spanFused = abs(top.start - query.info.scoreStart) <= 0.5 }
                            let alone = search.search(readings, contour: QueryContour(track: track, voicedFloor: Float(contourVoicedFloor)), fusion: fusion, in: collection, topK: 10, contourOnly: true)
                            outcome.rankContour = alone.firstIndex { $0.key == tune.key }.map { $0 + 1 }
                        }
                        // After the timed searches, so that the note stage's time is its own.
                        for variant in variants {
                            var other = search
                            if let alignment = variant.alignment { other.alignment = alignment }
                            var otherFusion = variant.fusion ?? fusion
                            otherFusion.contourSpans = fusion.contourSpans
                            otherFusion.window = fusion.window
                            let moved = fused ? other.search(readings, contour: QueryContour(track: track, voicedFloor: Float(contourVoicedFloor)), fusion: otherFusion, in: collection, topK: 10)
                                : other.search(readings, in: collection, topK: 10)
                            outcome.alsoRanks.append(moved.firstIndex { $0.key == tune.key }.map { $0 + 1 })
                        }
                        outcome.f0Seconds = Double(t1 - t0) / 1e9
                        outcome.searchSeconds = Double(t3 - t2) / 1e9
                        outcome.seconds = Double(t3 - t0) / 1e9
                        outcome.rank = hits.firstIndex { $0.key == tune.key }.map { $0 + 1 }
                        let same = sameTune[tune.key] ?? [tune.key]
                        outcome.rankTune = hits.firstIndex { same.contains($0.key) }.map { $0 + 1 }
                        if compare {
                            let e0 = DispatchTime.now().uptimeNanoseconds
                            let all = exhaustive.search(shape, in: collection, topK: 10)
                            outcome.exhaustiveSeconds = Double(DispatchTime.now().uptimeNanoseconds - e0) / 1e9
                            outcome.rankExhaustive = all.firstIndex { $0.key == tune.key }.map { $0 + 1 }
                            if debug > 0 && k % 2 == 1 && outcome.rankExhaustive != 1 {
                                let mine = exhaustive.search(shape, in: collection, topK: 3000).first { $0.key == tune.key }
                                print("miss \(tune.key) rank \(outcome.rankExhaustive.map(String.init) ?? ">10") notes \(shape.noteCount) \(query.info.start.rawValue) \(query.info.noise.rawValue) errors \(query.info.skipped)/\(query.info.repeated)/\(query.info.wrong): " +
                                      "top \(all.prefix(3).map { "\($0.key) \(fmt($0.score, 3))" }.joined(separator: ", ")); ours \(fmt(mine?.score ?? .nan, 3))")
                            }
                            var keys: [String] = []
                            for v in collection.filter(shape, limit: 200) where !keys.contains(collection.melodies[v.melody].key) {
                                keys.append(collection.melodies[v.melody].key)
                                if keys.count == 10 { break }
                            }
                            outcome.rankVotes = keys.firstIndex(of: tune.key).map { $0 + 1 }
                        }
                        if log != nil {
                            logLines.append("{\"key\":\"\(tune.key)\",\"half\":\(k % 2),\"rankNotes\":\(outcome.rankNotes ?? 0),\"rank\":\(outcome.rank ?? 0),\"rankContour\":\(outcome.rankContour ?? 0),\"depthNotes\":\(outcome.depthNotes ?? 0),\"depthFused\":\(outcome.depthFused ?? 0),\"notes\":\(shape.noteCount),\"merged\":\(outcome.mergedNotes),\"readings\":\(readings.map(\.noteCount)),\"heard\":[\(readings.first.map { $0.pitches.map { fmt($0, 2) }.joined(separator: ",") } ?? "")],\"heardOnsets\":[\(readings.first.map { $0.onsets.map { fmt($0, 2) }.joined(separator: ",") } ?? "")],\"sung\":\(query.sung.count),\"rpa\":\(fmt(outcome.agreement?.pitch ?? 0, 3)),\"voicing\":\(fmt(outcome.agreement?.voicing ?? 0, 3)),\"falseAlarm\":\(fmt(outcome.agreement?.falseAlarm ?? 0, 3)),\"lowBand\":\(fmt(SubharmonicCheck(ratio: 0).lowBandShare(query.samples, sampleRate: query.sampleRate), 5)),\"snr\":[\([0.01, 0.03, 0.1].map { fmt(min(NoiseFloor(quietShare: $0).signalToNoise(query.samples, yin: pitch.yin) ?? 999, 999), 2) }.joined(separator: ","))],\"info\":\(String(decoding: try JSONEncoder().encode(query.info), as: UTF8.self)),\"top\":\"\(hits.first?.key ?? "")\",\"top10\":[\(hits.map { "\"\($0.key)\"" }.joined(separator: ","))]}")
                        }
                    } catch let error as RefrainError {
                        outcome.error = error.message
                        if debug > 0 { print("refused \(tune.key) \(query.info.noise) \(query.info.style): \(error.message)") }
                    }
                    outcomes.append(outcome)
                }
            }
            if tune {
                print("tuning half, exhaustive alignment: tolerance slope merge gap rhythm -> MRR P@1 R@10")
                for tolerance: Float in [0.2, 0.35, 0.5] {
                    for slope: Float in [0.8, 1.2] {
                        for merge: Float in [0.2, 0.5] {
                            for gap: Float in [0.6, 1.0] {
                                for rhythm: Float in [0, 0.25, 0.5] {
                                    var a = NoteAlignment()
                                    a.tolerance = tolerance; a.slope = slope; a.mergeCost = merge; a.gapCost = gap; a.rhythmWeight = rhythm
                                    let s = HummingSearch(filterLimit: 0, alignment: a)
                                    let ranks = tuningShapes.map { q in s.search(q.shape, in: collection, topK: 10).firstIndex { $0.key == q.key }.map { $0 + 1 } }
                                    print("\(tolerance) \(slope) \(merge) \(gap) \(rhythm) -> " + Self.metrics(ranks))
                                }
                            }
                        }
                    }
                }
            }
            if let dump { try dumpQueries.joined(separator: "\n").write(toFile: dump + "/queries.jsonl", atomically: true, encoding: .utf8) }
            if let scoreMatrix {
                try matrixLines.joined(separator: "\n").write(toFile: scoreMatrix, atomically: true, encoding: .utf8)
                try HummingScoreMatrix.melodies(collection).write(toFile: scoreMatrix + ".melodies", atomically: true, encoding: .utf8)
            }
            if let log { try logLines.joined(separator: "\n").write(toFile: log, atomically: true, encoding: .utf8) }
            print("\(outcomes.count) queries of \(tunes.count) melodic pieces (seed \(seed), generated in \(fmt(generationSeconds, 1)) s); " +
                  "\(outcomes.filter { $0.error != nil }.count) refused as unusable")
            if !variants.isEmpty {
                print("")
                print("note alignment variants on the same readings (MRR / P@1 / R@10 of the ranking, fused unless the contour is off; this run's own alignment first, then each variant):")
                let halvesHere = [("tuning", 0), ("report", 1)].filter { named in outcomes.contains { $0.half == named.1 } }
                for (name, half) in halvesHere {
                    let group = outcomes.filter { $0.half == half }
                    print("\(name) this run: " + Self.metrics(group.map(\.rank)))
                    for (v, variant) in variants.enumerated() {
                        print("\(name) \(variant.name): " + Self.metrics(group.map { v < $0.alsoRanks.count ? $0.alsoRanks[v] : nil }))
                        for (label, noise) in [("clean", HumQueryInfo.Noise.clean), ("room", .room), ("telephone", .telephone)] {
                            let part = group.filter { $0.info.noise == noise }
                            print("    \(label) \(part.count): \(Self.metrics(part.map(\.rank))) -> \(Self.metrics(part.map { v < $0.alsoRanks.count ? $0.alsoRanks[v] : nil }))")
                        }
                    }
                }
                for (v, variant) in variants.enumerated() {
                    let moved = outcomes.filter { v < $0.alsoRanks.count && $0.alsoRanks[v] != $0.rank }
                    let gain = moved.reduce(0.0) { $0 + ($1.alsoRanks[v].map { 1 / Double($0) } ?? 0) - ($1.rank.map { 1 / Double($0) } ?? 0) }
                    print("\(variant.name): \(moved.count) queries moved, reciprocal rank \(gain >= 0 ? "+" : "")\(fmt(gain, 2)): " +
                          moved.map { "\($0.key) h\($0.half) \($0.rank.map(String.init) ?? ">10")->\($0.alsoRanks[v].map(String.init) ?? ">10") (merged \($0.mergedNotes), sung twice \($0.info.repeated), notes \($0.notes), note stage \($0.depthNotes.map(String.init) ?? "-"))" }.joined(separator: "; "))
                }
            }
            let shortBelow = fusion.wideNotes > 0 ? fusion.wideNotes : 10
            let shortOnes = outcomes.filter { $0.error == nil && $0.notes < shortBelow }
            print("short hums (first reading under \(shortBelow) notes): \(shortOnes.count); key half notes: note-stage rank, fused rank\(variants.isEmpty ? "" : ", then each variant's")")
            for o in shortOnes {
                print("  \(o.key) h\(o.half) \(o.notes): \(o.depthNotes.map(String.init) ?? "-"), \(o.rank.map(String.init) ?? ">10")" +
                      o.alsoRanks.map { ", \($0.map(String.init) ?? ">10")" }.joined())
            }
            let withMerges = outcomes.filter { $0.mergedNotes > 0 }, sungTwice = outcomes.filter { $0.info.repeated > 0 }
            print("first readings holding a note merged from repeats: \(withMerges.count) of \(outcomes.count) queries " +
                  "(\(withMerges.reduce(0) { $0 + $1.mergedNotes }) notes); of the \(sungTwice.count) queries with a note sung twice, " +
                  "\(sungTwice.filter { $0.mergedNotes > 0 }.count)")
            print("")
            // Only the halves this run has queries of (--half tuning or report leaves the other empty).
            let halves = [("tuning", 0), ("report", 1)].filter { named in outcomes.contains { $0.half == named.1 } }
            print("half     queries   MRR     P@1     R@10   (goals on the report half: MRR >= 0.92, P@1 >= 0.88, R@10 >= 0.97)")
            for (name, half) in halves {
                print(Self.row(name, outcomes.filter { $0.half == half }))
            }
            print("spans: right rank-1 hits whose span starts within 0.5 s of the hum's first note (note stage; fused, contour spans \(fusion.contourSpans ? "on" : "off"))")
            for (name, half) in halves {
                for (start, label) in [(HumQueryInfo.Start.songStart, "song start"), (.phrase, "phrase")] {
                    let group = outcomes.filter { $0.half == half && $0.info.start == start }
                    let notes = group.compactMap(\.spanNotes), fused = group.compactMap(\.spanFused)
                    print("\(name) \(label): notes \(notes.filter { $0 }.count) of \(notes.count); fused \(fused.filter { $0 }.count) of \(fused.count)")
                }
            }
            if contourCandidates > 0 && !oracleNotes {
                print("where the right item falls out of the top 10 (by its rank in the note stage's whole ranking):")
                for (name, half) in halves {
                    let missed = outcomes.filter { $0.half == half && $0.rank == nil }
                    let refused = missed.filter { $0.error != nil }.count
                    let deep = missed.filter { $0.error == nil && ($0.depthNotes ?? Int.max) > contourCandidates }.count
                    print("\(name): \(missed.count) missed: \(refused) refused, \(deep) below the note stage's best \(contourCandidates) " +
                          "(the contour never sees them), \(missed.count - refused - deep) within them but below 10 after fusion")
                }
            }
            print("same, counting an item with the same tune as right:")
            for (name, half) in halves {
                let group = outcomes.filter { $0.half == half }
                print("\(name.padding(13))  \(String(group.count).leftPadded(4))  " + Self.metrics(group.map(\.rankTune)))
            }
            let report = outcomes.filter { $0.half == 1 }
            // The breakdown is of the report half, or of the tuning half when only that one ran (for tuning).
            let brokenDown = report.isEmpty ? outcomes.filter { $0.half == 0 } : report
            print("")
            print("\(report.isEmpty ? "tuning" : "report") half by condition")
            let conditions: [(String, (Outcome) -> Bool)] = [
                ("song start", { $0.info.start == .songStart }), ("phrase start", { $0.info.start == .phrase }),
                ("hummed", { $0.info.style == .hummed }), ("syllables", { $0.info.style == .syllables }),
                ("female", { $0.info.register == .female }), ("male", { $0.info.register == .male }),
                ("clean", { $0.info.noise == .clean }), ("room noise", { $0.info.noise == .room }),
                ("telephone", { $0.info.noise == .telephone }),
                ("with errors", { $0.info.skipped + $0.info.repeated + $0.info.wrong > 0 }),
                ("no errors", { $0.info.skipped + $0.info.repeated + $0.info.wrong == 0 }),
                ("short (<10 n)", { $0.notes < 10 }), ("longer", { $0.notes >= 10 }),
            ]
            for (name, test) in conditions {
                print(Self.row(name, brokenDown.filter(test)))
            }
            if contourCandidates > 0 && !oracleNotes {
                print("")
                print("options (note stage alone; contour cost alone over the note stage's best \(contourCandidates); fused, weight \(contourWeight))")
                print("condition     queries   notes: MRR  P@1  R@10     contour: MRR  P@1  R@10     fused: MRR  P@1  R@10")
                for (name, group) in halves.map({ named in ("\(named.0) half", outcomes.filter { $0.half == named.1 }) })
                    + conditions.map({ ($0.0, brokenDown.filter($0.1)) }) {
                    print("\(name.padding(13))  \(String(group.count).leftPadded(4))  " + Self.metrics(group.map(\.rankNotes)) + "   "
                          + Self.metrics(group.map(\.rankContour)) + "   " + Self.metrics(group.map(\.rank)))
                }
                let searched = outcomes.filter { $0.error == nil }
                let median = { (xs: [Double]) -> Double in xs.isEmpty ? 0 : xs.sorted()[xs.count / 2] }
                if octaveStats { octaveStatistics.report() }
                print("search p50: note stage alone \(fmt(median(searched.map(\.noteSeconds)) * 1000, 1)) ms; " +
                      "readings + note stage + contour stage (fused) \(fmt(median(searched.map(\.searchSeconds)) * 1000, 1)) ms")
            }
            if compare {
                print("")
                print("options on the report half (same queries)        MRR     P@1     R@10   search p50 ms")
                let p50 = { (xs: [Double]) -> Double in xs.isEmpty ? 0 : xs.sorted()[xs.count / 2] }
                print((filterLimit > 0 ? "n-gram filter (\(filterLimit)) + note alignment     " : "note alignment, exhaustive            ") + Self.metrics(report.map(\.rank)) + "  " +
                      fmt(p50(report.filter { $0.error == nil }.map(\.searchSeconds)) * 1000, 2))
                print((filterLimit > 0 ? "note alignment, exhaustive            " : "n-gram filter (150) + note alignment  ") + Self.metrics(report.map(\.rankExhaustive)) + "  " +
                      fmt(p50(report.filter { $0.error == nil }.map(\.exhaustiveSeconds)) * 1000, 2))
                print("n-gram votes alone                    " + Self.metrics(report.map(\.rankVotes)))
            }
            let ok = outcomes.filter { $0.error == nil }
            let p50 = { (xs: [Double]) -> Double in xs.isEmpty ? 0 : xs.sorted()[xs.count / 2] }
            let audio = ok.reduce(0) { $0 + $1.audioSeconds }, f0Time = ok.reduce(0) { $0 + $1.f0Seconds }
            print("")
            print("latency at \(collection.count) melodies: p50 \(fmt(p50(ok.map(\.seconds)) * 1000, 1)) ms, p95 \(fmt(Self.p95(ok.map(\.seconds)) * 1000, 1)) ms per query end to end " +
                  "(f0 \(fmt(p50(ok.map(\.f0Seconds)) * 1000, 1)) ms, search \(fmt(p50(ok.map(\.searchSeconds)) * 1000, 2)) ms); " +
                  "queries average \(fmt(audio / Double(max(ok.count, 1)), 1)) s; f0 at \(fmt(audio / max(f0Time, 1e-9), 0))x real time")
            if let engineIndex {
                try runThroughEngine(URL(fileURLWithPath: engineIndex), corpus: corpusURL, distractors: kept, tunes: tunes, generator: generator)
            }
            if large > collection.count, !trainMelodies.isEmpty {
                var big = collection
                var random = SplitMix64(seed: seed &+ 7)
                var made = 0
                while big.count < large {
                    let a = trainMelodies[Int(random.next() % UInt64(trainMelodies.count))]
                    let b = trainMelodies[Int(random.next() % UInt64(trainMelodies.count))]
                    big.add(IndexedMelody(key: "synthetic/\(made)", shape: MelodyShape(Self.splice(a, b, random: &random))))
                    made += 1
                }
                var times: [Double] = [], ranks: [Int?] = []
                // The run's half (the report half unless --half tuning, so that tuning runs never look at the report half).
                let largeHalf = half == "tuning" ? 0 : 1
                for (p, tune) in tunes.enumerated() {
                    for k in 0..<perPiece where k % 2 == largeHalf {
                        guard let query = try? generator.query(tune.melody, seed: seed &* 1_000_003 &+ UInt64(p * 97 + k)) else { continue }
                        let t0 = DispatchTime.now().uptimeNanoseconds
                        guard let track = try? search.track(of: query.samples, sampleRate: query.sampleRate),
                              let readings = try? search.readings(of: track) else { continue }
                        let hits = contourCandidates > 0 ? search.search(readings, contour: QueryContour(track: track, voicedFloor: Float(contourVoicedFloor)), fusion: fusion, in: big, topK: 10)
                            : search.search(readings, in: big, topK: 10)
                        times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
                        ranks.append(hits.firstIndex { $0.key == tune.key }.map { $0 + 1 })
                    }
                }
                print("latency at \(big.count) melodies (\(made) spliced and mutated train-corpus melodies added): p50 \(fmt(p50(times) * 1000, 1)) ms, p95 \(fmt(Self.p95(times) * 1000, 1)) ms end to end; " +
                      "\(largeHalf == 0 ? "tuning" : "report") half there: " + Self.metrics(ranks))
            }
        }
    }

    /// The report half through the product's road: an index of the corpus and distractor scores made by
    /// `Engine.add` with the `melody` encoder alone (the CQT and CENS encoders, which render every score, are not
    /// needed by the humming task), then `Engine.query` with the humming task on each query's samples.
    func runThroughEngine(_ url: URL, corpus: URL, distractors: [Entry], tunes: [(key: String, melody: [MelodyNote])],
                          generator: HumQueryGenerator) throws {
        if engineReuse, FileManager.default.fileExists(atPath: url.appendingPathComponent("catalog.sqlite").path) {
            return try queryThroughEngine(try Engine.open(at: url), tunes: tunes, generator: generator)
        }
        try? FileManager.default.removeItem(at: url)
        let standard = EncoderRegistry.standard
        var registry = standard
        for name in [CQTBeatsEncoder.name, CENSEncoder.name] {
            let entry = standard.entry(name)!
            registry.register(name, version: entry.version, summary: entry.summary, isDefault: false) { try standard.make(name, settings: $0) }
        }
        let configuration = Engine.Configuration(encoders: registry)
        let engine = try Engine.create(at: url, layout: .music(shingles: false), configuration: configuration)
        var jobs = try Self.manifest(corpus).map { AddJob(key: $0.key, url: $0.file) }
        jobs += distractors.map { AddJob(key: "train/" + $0.key, url: $0.file) }
        let t0 = Date()
        let added = try engine.add(jobs)
        print("engine index: \(try engine.itemCount) items added in \(fmt(Date().timeIntervalSince(t0), 1)) s (\(added.failed.count) unreadable)")
        try queryThroughEngine(engine, tunes: tunes, generator: generator)
    }

    /// The report half through `Engine.query` on `engine`: ranks, p50 latency, and the p50 of each step (analysis
    /// and every stage of the cascade), milliseconds.
    func queryThroughEngine(_ engine: Engine, tunes: [(key: String, melody: [MelodyNote])], generator: HumQueryGenerator) throws {
        var steps: [String: [Double]] = [:], order: [String] = ["analysis"], lines: [String] = []
        var times: [Double] = [], ranks: [Int?] = [], refused = 0
        for (p, tune) in tunes.enumerated() {
            for k in 0..<perPiece where k % 2 == 1 {
                guard let query = try? generator.query(tune.melody, seed: seed &* 1_000_003 &+ UInt64(p * 97 + k)) else { continue }
                let signal = AudioSignal(samples: query.samples, sampleRate: query.sampleRate)
                let q0 = DispatchTime.now().uptimeNanoseconds
                do {
                    let answer = try engine.query(.audio(signal), options: QueryOptions(task: "humming", top: 10))
                    let result = answer.result
                    times.append(Double(DispatchTime.now().uptimeNanoseconds - q0) / 1e9)
                    steps["analysis", default: []].append(answer.analysisSeconds)
                    for step in answer.trace {
                        if steps[step.stage] == nil { order.append(step.stage) }
                        steps[step.stage, default: []].append(step.seconds)
                    }
                    lines.append("\(tune.key) \(k): " + result.ranking.map { "\($0.key) \($0.score)" }.joined(separator: ", "))
                    ranks.append(result.ranking.firstIndex { $0.key == tune.key }.map { $0 + 1 })
                } catch {
                    refused += 1
                    ranks.append(nil)
                }
            }
        }
        let p50 = times.isEmpty ? 0 : times.sorted()[times.count / 2]
        let p95 = Self.p95(times)
        print("through Engine.query (humming task, \(try engine.itemCount) items): report half \(ranks.count) queries, \(refused) refused: "
              + Self.metrics(ranks) + "; p50 \(fmt(p50 * 1000, 1)) ms, p95 \(fmt(p95 * 1000, 1)) ms end to end (f0, notes, search)")
        print("  p50 per step: " + order.map { name in
            let xs = (steps[name] ?? []).sorted()
            return "\(name) \(fmt((xs.isEmpty ? 0 : xs[xs.count / 2]) * 1000, 2)) ms"
        }.joined(separator: ", "))
        if let engineRankings {
            try (lines.joined(separator: "\n") + "\n").write(toFile: engineRankings, atomically: true, encoding: .utf8)
        }
    }

    /// A distractor: the first part of `a` and the second of `b`, with a tenth of the pitches moved by 1 or 2 semitones.
    static func splice(_ a: [MelodyNote], _ b: [MelodyNote], random: inout SplitMix64) -> [MelodyNote] {
        let head = Array(a.prefix(max(1, a.count / 2))), tail = Array(b.suffix(max(1, b.count / 2)))
        let shift = (head.last.map { $0.onset + $0.duration } ?? 0) - (tail.first?.onset ?? 0)
        var out = head + tail.map { MelodyNote(onset: $0.onset + shift, duration: $0.duration, pitch: $0.pitch) }
        for i in out.indices where random.next() % 10 == 0 {
            out[i].pitch += [-2, -1, 1, 2][Int(random.next() % 4)]
        }
        return out
    }

    /// pYIN's track against the f0 the hum was made with: over the frames sung, the share within 50 cents (raw pitch
    /// accuracy) and the share called voiced (voicing recall); over the frames not sung, the share called voiced
    /// (voicing false alarm).
    static func f0Agreement(_ query: HumQuery, track: PitchTrack) -> (pitch: Double, voicing: Double, falseAlarm: Double) {
        var hit = 0, total = 0, voicedHit = 0, silent = 0, falseAlarms = 0
        for (t, intended) in intendedF0(query, track: track).enumerated() {
            guard let intended else { continue }
            guard intended.isFinite else {
                silent += 1
                if track.voiced[t] { falseAlarms += 1 }
                continue
            }
            total += 1
            if track.voiced[t] { voicedHit += 1 }
            if track.voiced[t] && abs(1200 * log2(track.f0[t] / intended)) < 50 { hit += 1 }
        }
        return (Double(hit) / Double(max(total, 1)), Double(voicedHit) / Double(max(total, 1)), Double(falseAlarms) / Double(max(silent, 1)))
    }

    /// The intended f0 (Hz) at each of the track's frames: NaN where the voice was silent, nil past the hum's end.
    static func intendedF0(_ query: HumQuery, track: PitchTrack) -> [Float?] {
        track.times.map { time in
            let i = Int((time * query.sampleRate / Double(query.f0Hop)).rounded())
            return query.intendedF0.indices.contains(i) ? query.intendedF0[i] : nil
        }
    }

    /// `intendedF0` as fractional MIDI pitch, NaN where silent or past the end (for the dump).
    static func intendedPitch(_ query: HumQuery, track: PitchTrack) -> [Float] {
        intendedF0(query, track: track).map { f in f.map { $0.isFinite && $0 > 0 ? 69 + 12 * log2($0 / 440) : .nan } ?? .nan }
    }

    static func explain(_ query: HumQuery, track: PitchTrack, tune: [MelodyNote]) {
        let agreement = f0Agreement(query, track: track)
        print("query \(query.info): pYIN RPA vs intended f0 \(fmt(agreement.pitch, 3)), voicing recall \(fmt(agreement.voicing, 3))")
        print("  sung:  " + query.sung.prefix(24).map { fmt($0.pitch, 1) }.joined(separator: " "))
        let heard = QueryMelody.notes(from: track)
        print("  heard: " + heard.prefix(24).map { fmt($0.pitch, 1) }.joined(separator: " "))
        print("  shape: " + MelodyShape(heard).intervals.prefix(24).map { fmt(Double($0), 1) }.joined(separator: " "))
        for observation in [NoteHMM.Observation.decoded, .candidates, .unvoicedCandidates] {
            var model = NoteHMM()
            model.observation = observation
            print("  hmm \(observation.rawValue): " + model.notes(from: track).prefix(24).map { fmt($0.pitch, 1) }.joined(separator: " "))
        }
        let start = tune.firstIndex { $0.onset >= query.info.scoreStart - 1e-6 } ?? 0
        print("  score: " + MelodyShape(Array(tune[start...].prefix(30))).intervals.prefix(24).map { fmt(Double($0), 0) }.joined(separator: " "))
    }

    static func metrics(_ ranks: [Int?]) -> String {
        let n = Double(max(ranks.count, 1))
        let mrr = ranks.reduce(0.0) { $0 + ($1.map { 1 / Double($0) } ?? 0) } / n
        let p1 = Double(ranks.filter { $0 == 1 }.count) / n
        let r10 = Double(ranks.filter { $0 != nil }.count) / n
        return "\(fmt(mrr, 3).leftPadded(6))  \(fmt(p1, 3).leftPadded(6))  \(fmt(r10, 3).leftPadded(6))"
    }

    /// The 95th percentile of `xs` by nearest rank (the value at rank ceil(0.95 n)); 0 for none.
    static func p95(_ xs: [Double]) -> Double {
        xs.isEmpty ? 0 : xs.sorted()[min(xs.count - 1, Int((0.95 * Double(xs.count)).rounded(.up)) - 1)]
    }

    static func row(_ name: String, _ outcomes: [Outcome]) -> String {
        "\(name.padding(13))  \(String(outcomes.count).leftPadded(4))  " + metrics(outcomes.map(\.rank))
    }
}
