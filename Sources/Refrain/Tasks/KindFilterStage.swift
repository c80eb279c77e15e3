import Foundation
import RefrainAlign
import RefrainAudio
import RefrainFeatures
import RefrainIndex
import RefrainMath
import RefrainSymbolic
/// Keeps only the candidates of the given kinds (MIDI-to-audio ranks audio items only).
public struct KindFilterStage: SearchStage {
    public let name = "kind-filter"
    public var kinds: Set<ItemKind>

    public init(kinds: Set<ItemKind>) { self.kinds = kinds }

    /// Option `kinds`: comma-separated kind names (`audio,midi`).
    public init(spec: StageSpec) throws {
        var kinds: Set<ItemKind> = []
        for name in (spec.options["kinds"] ?? "audio").split(separator: ",") {
            guard let kind = ItemKind(rawValue: String(name)) else {
                throw RefrainError.invalidArgument("kind-filter: unknown kind '\(name)'")
            }
            kinds.insert(kind)
        }
        self.init(kinds: kinds)
    }

    public func run(_ query: SearchQuery, candidates: [Candidate], store: IndexStore) throws -> [Candidate] {
        let allowed = try store.itemIDs(kinds: kinds)
        return candidates.filter { allowed.contains($0.itemID) }
    }
}
