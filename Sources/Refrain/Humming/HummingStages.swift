import Foundation
import RefrainIndex
import RefrainMath

/// The query's melody lines (its stored-form `melody` array: a hum's readings, a score's parts, given notes).
func queryShapes(_ query: SearchQuery, array: String, stage: String) throws -> [MelodyShape] {
    guard let sequence = query.analysis.features[array] else {
        throw RefrainError.invalidArgument("\(stage): the query has no '\(array)' notes (the humming task encodes them)")
    }
    let shapes = MelodyEncoder.shapes(sequence.values)
    guard !shapes.isEmpty else {
        throw RefrainError.invalidArgument("the query holds no melody of at least two notes to search with")
    }
    return shapes
}

/// `melody-filter`: the fast first stage of query by humming — pitch-interval n-gram votes (`MelodyCollection.filter`,
/// after Downie 1999) keep the items of the `keep` best-voted melodies. `keep` 0 (the default) passes every
/// candidate on: on the development set the n-gram filter cost recall, and exhaustive note alignment of
/// 10,000 melodies runs within the latency goal.
public struct MelodyFilterStage: SearchStage {
    public let name = "melody-filter"
    public var keep: Int
    public var array: String

    public init(spec: StageSpec) throws {
        keep = try spec.int("keep", default: 0)
        guard keep >= 0 else { throw RefrainError.invalidArgument("melody-filter: keep must be 0 (off) or positive") }
        array = spec.options["array"] ?? MelodyEncoder.name
    }

    public func run(_ query: SearchQuery, candidates: [Candidate], store: IndexStore) throws -> [Candidate] {
        guard keep > 0 else { return candidates }
        let shapes = try queryShapes(query, array: array, stage: name)
        let table = try MelodyTable.current(in: store, arrayName: array)
        var votes: [Int64: Int] = [:]
        for shape in shapes {
            for hit in table.collection.filter(shape, limit: keep) {
                votes[table.itemIDs[hit.melody]] = max(votes[table.itemIDs[hit.melody]] ?? 0, hit.votes)
            }
        }
        return candidates.compactMap { c in votes[c.itemID].map { Candidate(itemID: c.itemID, key: c.key, score: -Double($0)) } }
            .sorted { $0.score != $1.score ? $0.score < $1.score : $0.itemID < $1.itemID }
    }
}

/// `note-alignment`: the exact stage of query by humming — every candidate item's melody lines against every
/// line of the query by `NoteAlignment` (pitch intervals and rhythm ratios, Mongeau & Sankoff 1990
/// fragmentation and consolidation; key, tuning and tempo invariant, starting anywhere in the piece). An item
/// scores its best line pair; the cost is minus the alignment score per query interval (lower is better, down
/// to -1.5), and the span is the matched notes of the score, seconds. The query's first line is aligned with every
/// candidate melody, its other lines with the first's best 200 (`HummingSearch.noteScores`). Options: `tolerance` (semitones),
/// `rhythm_weight`, `gap_cost`, `merge_cost`, `replace_cost` (`NoteAlignment.replaceCost`; `inf` leaves the move out), `octave_cost`
/// (`NoteAlignment.octaveCost`, semitones, 1 by default; `inf` scores octave errors as they are), `length_penalty`
/// (`NoteAlignment.lengthPenalty`, the weight of the reference-length correction; 0 for none), `rhythm_doubling`
/// (`NoteAlignment.rhythmDoubling`, log2 units; `inf` scores rhythm errors as they are), `repeat_doubling`
/// (`NoteAlignment.repeatDoubling`, log2 units, only next to a heard note merged from repeats; `inf`: off), `repeat_credit`
/// (`NoteAlignment.repeatCredit`: a repeat heard where the score repeats the note; 0: off), `repeat_halving`
/// (`NoteAlignment.repeatHalving`, log2 units, next to a score note merged from repeats; `inf`: off).
public struct NoteAlignmentStage: SearchStage {
    public let name = "note-alignment"
    public var alignment = NoteAlignment()
    public var array: String

    public init(spec: StageSpec) throws {
        alignment.tolerance = Float(try spec.double("tolerance", default: Double(alignment.tolerance)))
        alignment.rhythmWeight = Float(try spec.double("rhythm_weight", default: Double(alignment.rhythmWeight)))
        alignment.gapCost = Float(try spec.double("gap_cost", default: Double(alignment.gapCost)))
        alignment.mergeCost = Float(try spec.double("merge_cost", default: Double(alignment.mergeCost)))
        alignment.replaceCost = Float(try spec.double("replace_cost", default: Double(alignment.replaceCost)))
        alignment.octaveCost = Float(try spec.double("octave_cost", default: Double(alignment.octaveCost)))
        alignment.lengthPenalty = Float(try spec.double("length_penalty", default: Double(alignment.lengthPenalty)))
        alignment.rhythmDoubling = Float(try spec.double("rhythm_doubling", default: Double(alignment.rhythmDoubling)))
        alignment.repeatDoubling = Float(try spec.double("repeat_doubling", default: Double(alignment.repeatDoubling)))
        alignment.repeatCredit = Float(try spec.double("repeat_credit", default: Double(alignment.repeatCredit)))
        alignment.repeatHalving = Float(try spec.double("repeat_halving", default: Double(alignment.repeatHalving)))
        guard alignment.tolerance >= 0, alignment.rhythmWeight >= 0, alignment.gapCost >= 0, alignment.mergeCost >= 0,
              alignment.replaceCost >= 0, alignment.octaveCost >= 0, alignment.lengthPenalty >= 0, alignment.lengthPenalty.isFinite,
              alignment.rhythmDoubling >= 0, alignment.repeatDoubling >= 0, alignment.repeatCredit >= 0, alignment.repeatCredit.isFinite, alignment.repeatHalving >= 0 else {
            throw RefrainError.invalidArgument("note-alignment: tolerance, rhythm_weight, gap_cost, merge_cost, replace_cost, octave_cost, length_penalty, rhythm_doubling, repeat_doubling, repeat_credit and repeat_halving must not be negative")
        }
        array = spec.options["array"] ?? MelodyEncoder.name
    }

    public func run(_ query: SearchQuery, candidates: [Candidate], store: IndexStore) throws -> [Candidate] {
        let shapes = try queryShapes(query, array: array, stage: name)
        let table = try MelodyTable.current(in: store, arrayName: array)
        let allowed = Dictionary(candidates.map { ($0.itemID, $0.key) }, uniquingKeysWith: { a, _ in a })
        let chosen = table.melodies.indices.filter { allowed[table.itemIDs[$0]] != nil }
        let scores = HummingSearch(alignment: alignment, threads: query.threads).noteScores(shapes, of: chosen, in: table.collection)
        var best: [Int64: Candidate] = [:]
        for (c, result) in scores.enumerated() where result.score.isFinite {
            let m = chosen[c], id = table.itemIDs[m], shape = table.melodies[m].shape
            let cost = -Double(result.score)
            if let current = best[id], current.score <= cost { continue }
            best[id] = Candidate(itemID: id, key: allowed[id]!, score: cost,
                                 start: shape.onsets[min(result.first, shape.noteCount - 1)],
                                 end: shape.ends[min(result.last, shape.noteCount - 1)])
        }
        return best.values.sorted { $0.score != $1.score ? $0.score < $1.score : $0.itemID < $1.itemID }
    }
}

/// `work-members`: after each ranked item, the other items of its work (the manifest's `work` column) that
/// the ranking does not hold higher — the recordings of a score whose melody matched — at the same cost and
/// without a span (their own timing is unknown); a member the ranking holds lower (a recording matched by its
/// own, rougher predominant melody) moves up to there. Ranked by work, the work comes once; ranked by item, a
/// hummed tune names its score and then its recordings.
public struct WorkMembersStage: SearchStage {
    public let name = "work-members"
    public var array: String

    public init(spec: StageSpec) throws {
        array = spec.options["array"] ?? MelodyEncoder.name
    }

    public func run(_ query: SearchQuery, candidates: [Candidate], store: IndexStore) throws -> [Candidate] {
        let table = try MelodyTable.current(in: store, arrayName: array)
        var listed = Set<Int64>()
        var out: [Candidate] = []
        out.reserveCapacity(candidates.count)
        for candidate in candidates where listed.insert(candidate.itemID).inserted {
            out.append(candidate)
            guard let work = table.workOf[candidate.itemID], let members = table.members[work], members.count > 1 else { continue }
            for member in members where listed.insert(member.id).inserted {
                out.append(Candidate(itemID: member.id, key: member.key, score: candidate.score))
            }
        }
        return out
    }
}

extension StageRegistry {
    /// Registers the stages of query by humming: `melody-filter`, `note-alignment`, `contour-fusion` and
    /// `work-members`.
    public mutating func registerHummingStages() {
        register("melody-filter") { spec, _ in try MelodyFilterStage(spec: spec) }
        register("note-alignment") { spec, _ in try NoteAlignmentStage(spec: spec) }
        register("contour-fusion") { spec, _ in try ContourFusionStage(spec: spec) }
        register("work-members") { spec, _ in try WorkMembersStage(spec: spec) }
    }
}

/// Which works hold this hummed or sung tune? (Query by humming: Ghias et al. 1995; note-based matching as in
/// MIREX QBSH systems.) The query's melody (`melody`: a hum's pYIN notes, given notes, or a score's melody
/// part) against every indexed melody by note alignment; for a hum, its pitch contour re-scores the best 100
/// (the best 500 for a hum under 10 notes; `contour-fusion`); then the recordings of each matched work. Best
/// asked `--by work` (the command line's default for this task).
public struct HummingTask: SearchTask {
    public init() {}
    public var name: String { "humming" }
    public var summary: String { "which works hold this hummed or sung tune? (ranks scores by melody, with their recordings)" }
    public var inputs: Set<InputKind> { [.audio, .melody, .midi] }
    public var automaticFor: Set<InputKind> { [.melody] }
    public var encoders: [String] { [MelodyEncoder.name] }

    public func stages(_ options: QueryOptions) -> [StageSpec] {
        [StageSpec(stage: "melody-filter", enabled: options.prune, options: ["keep": "0"]),
         StageSpec(stage: "note-alignment"), StageSpec(stage: "contour-fusion"), StageSpec(stage: "work-members")]
    }
}
