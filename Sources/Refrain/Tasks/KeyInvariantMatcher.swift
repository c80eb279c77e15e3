import Foundation
import RefrainIndex
import RefrainMath

/// Makes any matcher invariant to transposition at close to the cost of one key: per item, the twelve
/// transpositions of the query are scored by the optimal transposition index of their chroma profiles
/// (`TranspositionEstimate`; Serrà et al. 2008), and the inner matcher runs only on the query moved by
/// the best `maxShifts` of them (those within `margin` of the best), instead of on all twelve (Müller &
/// Clausen 2007's exhaustive cyclic shifts). The query's CENS is shifted cyclically; its beat-synchronous
/// CQT, which has no wrap-around, by whole bins in the octave direction that better matches the item's
/// mean CQT.
///
/// `window` chooses the profiles: `.query` compares the query's profile with every window of the item as
/// long as the query (the key of the passage, for excerpts of pieces that modulate); `.whole` compares
/// whole sequences (for whole-piece queries).
public struct KeyInvariantMatcher: SequenceMatcher {
    public enum Window: String, Sendable { case query, whole }

    public let inner: any SequenceMatcher
    public var maxShifts: Int
    public var margin: Float
    public var window: Window

    public init(_ inner: any SequenceMatcher, maxShifts: Int = 2, margin: Float = 0.1, window: Window = .query) {
        self.inner = inner
        self.maxShifts = min(max(1, maxShifts), 12)
        self.margin = margin
        self.window = window
    }

    public var arrays: [String] { inner.arrays }
    /// The inner matcher's optional arrays, plus CENS when the inner one does not need it (for the profiles).
    public var optionalArrays: [String] {
        inner.arrays.contains(CENSEncoder.name) || inner.optionalArrays.contains(CENSEncoder.name)
            ? inner.optionalArrays : inner.optionalArrays + [CENSEncoder.name]
    }

    public func matches(_ query: SearchQuery, item: [String: StoredFeature], abandonAbove: Double) throws -> [SequenceMatch] {
        try prepared(for: query).matches(query, item: item, abandonAbove: abandonAbove)
    }

    /// Every transposed query (cyclic classes for CENS, both octave directions for the CQT), each with its
    /// inner matcher prepared once.
    public func prepared(for query: SearchQuery) throws -> any SequenceMatcher {
        guard let cens = query.analysis.features[CENSEncoder.name], cens.frameCount > 0 else { return try inner.prepared(for: query) }
        var versions: [Int: (query: SearchQuery, matcher: any SequenceMatcher)] = [:]
        // The CQT is shifted (in both octave directions) only for an inner matcher that reads it: the items of one
        // that does not are never given the CQT, so their shifts are the twelve classes (`Prepared.shifts`).
        let readsCQT = (arrays + optionalArrays).contains(CQTBeatsEncoder.name)
        let hasCQT = readsCQT && query.analysis.features[CQTBeatsEncoder.name] != nil
        for shift in (hasCQT ? Array(-11...11) : Array(0...11)) {
            var shifted = query
            shifted.analysis.features[CENSEncoder.name] = FeatureSequence(values: cyclicallyShifted(cens.values, by: shift), times: cens.times)
            if hasCQT, let cqt = query.analysis.features[CQTBeatsEncoder.name] {
                shifted.analysis.features[CQTBeatsEncoder.name] = FeatureSequence(values: binShifted(cqt.values, by: shift), times: cqt.times)
            }
            versions[shift] = (shifted, try inner.prepared(for: shifted))
        }
        return Prepared(matcher: self, profile: TranspositionEstimate.profile(cens.values), queryFrames: cens.frameCount,
                        queryCQT: hasCQT ? query.analysis.features[CQTBeatsEncoder.name]?.values : nil, versions: versions)
    }

    struct Prepared: SequenceMatcher {
        let matcher: KeyInvariantMatcher
        let profile: [Float]
        let queryFrames: Int
        let queryCQT: Matrix?
        let versions: [Int: (query: SearchQuery, matcher: any SequenceMatcher)]

        var arrays: [String] { matcher.arrays }
        var optionalArrays: [String] { matcher.optionalArrays }

        /// The shifts this item gets, signed for the CQT.
        func shifts(for item: [String: StoredFeature]) -> [Int] {
            guard let cens = item[CENSEncoder.name], cens.values.frames > 0 else { return [0] }
            let values = cens.values.matrix()
            let window = matcher.window == .whole ? values.rows : queryFrames
            let scores = TranspositionEstimate.shiftScores(query: profile, item: values, window: window, hop: max(1, window / 4))
            let classes = TranspositionEstimate.choose(scores, count: matcher.maxShifts, margin: matcher.margin)
            guard let queryCQT, let itemCQT = item[CQTBeatsEncoder.name] else { return classes }
            let itemValues = itemCQT.values.matrix()
            return classes.map { TranspositionEstimate.direction(of: $0, query: queryCQT, item: itemValues) }
        }

        func matches(_ query: SearchQuery, item: [String: StoredFeature], abandonAbove: Double) throws -> [SequenceMatch] {
            var found: [SequenceMatch] = []
            for shift in shifts(for: item) {
                guard let version = versions[shift] ?? versions[((shift % 12) + 12) % 12] else { continue }
                found += try version.matcher.matches(version.query, item: item, abandonAbove: abandonAbove)
            }
            return AudioMatchMatcher.nonOverlapping(found, limit: max(found.count, 1))
        }
    }
}

extension KeyInvariantMatcher {
    /// `inner` wrapped as the stage options say: `key` = `estimate` (default: `KeyInvariantMatcher` with
    /// `key_shifts` shifts, default 2, within `key_margin`, default 0.1, profiles over `key_window`,
    /// default `window`) or `off` (the inner matcher alone, in the query's key).
    public static func wrapping(_ inner: any SequenceMatcher, spec: StageSpec, window: Window) throws -> any SequenceMatcher {
        switch spec.options["key"] ?? "estimate" {
        case "off": return inner
        case "estimate":
            let windowName = spec.options["key_window"] ?? window.rawValue
            guard let chosen = Window(rawValue: windowName) else {
                throw RefrainError.invalidArgument("stage \(spec.stage): key_window must be query or whole, got '\(windowName)'")
            }
            return KeyInvariantMatcher(inner, maxShifts: try spec.int("key_shifts", default: 2),
                                       margin: Float(try spec.double("key_margin", default: 0.1)), window: chosen)
        case let other:
            throw RefrainError.invalidArgument("stage \(spec.stage): key must be estimate or off, got '\(other)'")
        }
    }
}
