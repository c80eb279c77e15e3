import Foundation
import RefrainAlign
import RefrainAudio
import RefrainFeatures
import RefrainIndex
import RefrainMath
import RefrainSymbolic

/// How a query is answered: which task, how many results, items or works, the alignment path, and the
/// cascade's settings.
public struct QueryOptions: Sendable {
    /// A task name (`midi-to-audio`, `audio-match`, ...) or `auto` (from the input's kind).
    public var task: String = "auto"
    /// Results wanted.
    public var top: Int = 10
    /// Rank items (one entry per matched passage) or works (one entry per work: its best item).
    public var by: Ranking = .item
    /// Return each hit's alignment path (query seconds against item seconds).
    public var path: Bool = false
    /// False switches the pruning stage off (exhaustive exact search).
    public var prune: Bool = true
    /// Items the pruning stage passes on.
    public var keep: Int = 200
    /// Audio matching: try all twelve transpositions (instead of those the chroma profiles make likely).
    public var transpositions: Bool = false
    /// Find recordings in other keys than the query (MIDI to audio, audio matching, versions): the exact
    /// stages try the transpositions that the optimal transposition index makes likely. False: the query's
    /// key only.
    public var keyInvariance: Bool = true
    /// Stage options set by hand, by stage name (for experiments): they replace the task's defaults.
    public var overrides: [String: [String: String]] = [:]
    /// An id for the result (the query's file name by default).
    public var id: String?

    public enum Ranking: String, Sendable, CaseIterable, Codable {
        case item, work
    }

    public init(task: String = "auto", top: Int = 10, by: Ranking = .item, path: Bool = false, prune: Bool = true,
                keep: Int = 200, transpositions: Bool = false, keyInvariance: Bool = true,
                overrides: [String: [String: String]] = [:], id: String? = nil) {
        self.task = task
        self.top = top
        self.by = by
        self.path = path
        self.prune = prune
        self.keep = keep
        self.transpositions = transpositions
        self.keyInvariance = keyInvariance
        self.overrides = overrides
        self.id = id
    }

    /// The shingle-vote stage as these options set it (`enabled: prune`).
    public var voteStage: StageSpec {
        StageSpec(stage: "shingle-vote", enabled: prune,
                  options: ["keep": String(keep), "neighbours": "200", "ef": "200", "transpositions": transpositions ? "12" : "1"])
    }

    /// Parses `stage.option=value` settings (as `--set` takes them) into `overrides`.
    public static func overrides(_ settings: [String]) throws -> [String: [String: String]] {
        var out: [String: [String: String]] = [:]
        for setting in settings {
            let parts = setting.split(separator: "=", maxSplits: 1).map(String.init)
            let name = parts.first?.split(separator: ".", maxSplits: 1).map(String.init) ?? []
            guard parts.count == 2, name.count == 2, !name[0].isEmpty, !name[1].isEmpty else {
                throw RefrainError.invalidArgument("setting '\(setting)' is not stage.option=value")
            }
            out[name[0], default: [:]][name[1]] = parts[1]
        }
        return out
    }

    /// Checks the values a caller can get wrong.
    func validate() throws {
        guard top >= 1, top <= 100_000 else { throw RefrainError.invalidArgument("top must be between 1 and 100000, got \(top)") }
        guard keep >= 1 else { throw RefrainError.invalidArgument("keep must be positive, got \(keep)") }
    }
}
