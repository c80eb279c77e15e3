import Refrain
import XCTest

/// The rule by which the humming benchmark keeps distractors that carry a queried tune out of its distractor set.
final class SharedTuneTests: XCTestCase {
    /// Random intervals in −5...5 from a seeded generator (no tune).
    static func noise(_ count: Int, seed: UInt64) -> [Int] {
        tune(count, seed: seed)
    }

    /// Intervals no tune of `noise` holds (20 and up), so a planted stretch cannot grow by chance at its ends.
    static func filler(_ count: Int, seed: UInt64) -> [Int] {
        tune(count, seed: seed).map { $0 + 25 }
    }

    static func tune(_ count: Int, seed: UInt64) -> [Int] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % 11) - 5
        }
    }

    func testIntervalsMergeRepeatsAndRound() {
        func shape(_ pitches: [Double]) -> MelodyShape {
            MelodyShape(notes: pitches.enumerated().map { (onset: Double($0.offset), duration: 1, pitch: $0.element) })
        }
        XCTAssertEqual(SharedTune.intervals(shape([60, 60, 62, 62.2, 64, 59.6])), [2, 2, -4])
        XCTAssertEqual(SharedTune.intervals(shape([67])), [])
    }

    func testAnIdenticalStretchScoresItsLength() {
        let tune = Self.noise(30, seed: 1)
        let other = Self.noise(40, seed: 2) + tune + Self.noise(25, seed: 3)
        let a = SharedTune().alignment(of: tune, in: other)
        XCTAssertEqual(a.score, 30)
        XCTAssertEqual(a.identical, 30)
        // One substituted interval in the middle: 29 identical, one edit at cost 9.
        var varied = tune
        varied[15] += 1
        let b = SharedTune().alignment(of: tune, in: Self.noise(40, seed: 2) + varied)
        XCTAssertEqual(b.score, 29 - 9)
        XCTAssertEqual(b.identical, 29)
        // One added interval (a passing note's extra step) costs the same.
        let added = Array(tune[..<10]) + [7] + Array(tune[10...])
        XCTAssertEqual(SharedTune().alignment(of: tune, in: added).score, 30 - 9)
    }

    func testMoreThanATenthOfEditsBreaksTheStretch() {
        // Edits every 5th interval (20 %): no stretch longer than the runs between them scores.
        let tune = Self.noise(40, seed: 4)
        var other = tune
        for k in stride(from: 4, to: other.count, by: 5) { other[k] += 1 }
        XCTAssertEqual(SharedTune().alignment(of: tune, in: other).score, 4)
    }

    func testCarriesNeedsTheLeastScore() {
        let rule = SharedTune()
        XCTAssertEqual(rule.leastScore, 17)
        let tune = Self.noise(60, seed: 5)
        let sixteen = Self.filler(30, seed: 6) + Array(tune[20..<36]) + Self.filler(30, seed: 7)
        let seventeen = Self.filler(30, seed: 6) + Array(tune[20..<37]) + Self.filler(30, seed: 7)
        XCTAssertLessThan(rule.alignment(of: tune, in: sixteen).score, 17)
        XCTAssertFalse(rule.carries(tune, in: [sixteen, Self.noise(200, seed: 8)]))
        XCTAssertTrue(rule.carries(tune, in: [Self.noise(200, seed: 8), seventeen]))
        XCTAssertFalse(rule.carries(tune, in: []))
    }
}
