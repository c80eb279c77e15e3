import Foundation
@testable import Refrain
import RefrainFeatures
import RefrainIndex
import XCTest

/// How many melodies the contour stage re-scores: the note stage's best `candidates`, or for a short hum
/// (`ContourFusion.wideNotes`) the best `wideCandidates` (0: every melody), in `HummingSearch` and in the engine's
/// `contour-fusion` stage options.
final class ContourFusionTests: XCTestCase {
    /// The rule: by default a query under 10 notes gets the best 500, on the usual scale; a query under
    /// `wideNotes` notes gets `wideCandidates` (0: all), never fewer than `candidates` and never more than there
    /// are; a query of unknown length gets `candidates`; `wideNotes` 0 turns it off.
    func testShortHumsGetAWiderContourStage() {
        var fusion = ContourFusion()
        XCTAssertEqual(fusion.wideNotes, 10)
        XCTAssertEqual(fusion.wideCandidates, 500)
        XCTAssert(fusion.wideOnUsualScale)
        XCTAssertEqual(fusion.candidates(notes: 9, of: 2_844), 500)
        fusion.wideNotes = 0
        XCTAssertEqual(fusion.candidates(notes: 5, of: 2_844), 100, "off")
        fusion.wideNotes = 10
        fusion.wideCandidates = 0
        XCTAssertEqual(fusion.candidates(notes: 9, of: 2_844), 2_844, "wideCandidates 0: every melody")
        XCTAssertEqual(fusion.candidates(notes: 10, of: 2_844), 100)
        XCTAssertEqual(fusion.candidates(notes: nil, of: 2_844), 100)
        XCTAssertEqual(fusion.candidates(notes: 9, of: 40), 40)
        XCTAssertEqual(fusion.candidates(notes: 12, of: 40), 40, "never more than there are")
        fusion.wideCandidates = 500
        XCTAssertEqual(fusion.candidates(notes: 9, of: 2_844), 500)
        fusion.wideCandidates = 50
        XCTAssertEqual(fusion.candidates(notes: 9, of: 2_844), 100, "never fewer than candidates")
        XCTAssertEqual(fusion.candidates(notes: 3, of: 0), 1)
    }

    /// A deterministic stream of whole numbers below `n` (a linear congruential generator).
    struct Stream {
        var state: UInt64
        mutating func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
    }

    /// Quarter notes of 0.5 s at these pitches.
    static func notes(_ pitches: [Double]) -> [(onset: Double, duration: Double, pitch: Double)] {
        pitches.enumerated().map { (Double($0.offset) * 0.5, 0.45, $0.element) }
    }

    /// A short hum whose notes were misheard as another, leaping tune: 110 decoy melodies hold that tune (with a note
    /// or two moved) and 40 more leap at random. The note stage ranks the hummed melody ("Ode to joy") below its best
    /// 100, so the usual contour stage never sees it and it stays out of the top 10 (below all 100 fused). With the
    /// wider stage for short hums (the default, on the usual scale) its contour, which matches, is aligned and fused,
    /// and it rises above melodies the usual stage fused.
    func testAShortHumsMelodyBeyondTheNoteStagesBestIsReScored() throws {
        let misheard: [Double] = [60, 72, 55, 70, 58, 67, 52, 65]
        var random = Stream(state: 17)
        var collection = MelodyCollection()
        let leaps = { (random: inout Stream, count: Int) -> [Double] in (0..<count).map { _ in Double(50 + random.next(25)) } }
        for d in 0..<110 {
            var tune = misheard
            for _ in 0..<(d % 3) { tune[random.next(tune.count)] += Double([-2, -1, 1, 2][random.next(4)]) }
            let pitches = leaps(&random, 6) + tune + leaps(&random, 6)
            collection.add(IndexedMelody(key: "decoy/\(d)", shape: MelodyShape(notes: Self.notes(pitches))))
        }
        for f in 0..<40 {
            collection.add(IndexedMelody(key: "leaps/\(f)", shape: MelodyShape(notes: Self.notes(leaps(&random, 20)))))
        }
        collection.add(IndexedMelody(key: "ode", shape: MelodyShape(notes: ContourAlignmentTests.ode)))
        let contour = QueryContour(track: ContourAlignmentTests.track(ContourAlignmentTests.ode, from: 0, count: 8, transpose: 2, tempo: 1.1))
        let reading = MelodyShape(notes: Self.notes(misheard))
        XCTAssertLessThan(reading.noteCount, 10)
        let search = HummingSearch(threads: 2)
        let noteOrder = search.search([reading], in: collection, topK: collection.count).map(\.key)
        XCTAssertGreaterThan(try XCTUnwrap(noteOrder.firstIndex(of: "ode")), 100, "the note stage ranks the hummed melody below its best 100")

        var fusion = ContourFusion()
        fusion.wideNotes = 0
        let usualOrder = search.search([reading], contour: contour, fusion: fusion, in: collection, topK: collection.count).map(\.key)
        let usual = Array(usualOrder.prefix(10))
        XCTAssertFalse(usual.contains("ode"), "the usual contour stage never sees it")
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(usualOrder.firstIndex(of: "ode")), 100)
        fusion.wideNotes = 10
        let onUsualScale = search.search([reading], contour: contour, fusion: fusion, in: collection, topK: collection.count).map(\.key)
        XCTAssertLessThan(try XCTUnwrap(onUsualScale.firstIndex(of: "ode")), 100, "on the usual scale it passes melodies the usual stage fused")
        fusion.wideNotes = 8
        XCTAssertEqual(search.search([reading], contour: contour, fusion: fusion, in: collection, topK: 10).map(\.key), usual,
                       "a reading of 8 notes is not under 8")
    }

    /// On the usual scale (`wideOnUsualScale`) the note stage's best `candidates` keep the fused scores the usual stage
    /// gives them, the further melodies placed on that scale; standardised over every melody, the scores differ.
    func testTheUsualScaleKeepsTheBestFusedAsTheUsualStageDoes() {
        var random = Stream(state: 5)
        let notes = (0..<150).map { 10 - Double($0) * 0.05 - Double(random.next(100)) * 0.001 }
        let costs = (0..<150).map { _ in 0.2 + Double(random.next(1_000)) * 0.002 }
        var fusion = ContourFusion()
        fusion.candidates = 100
        fusion.wideOnUsualScale = false
        let usual = fusion.fused(noteScores: Array(notes.prefix(100)), contourCosts: Array(costs.prefix(100)))
        let overAll = fusion.fused(noteScores: notes, contourCosts: costs)
        XCTAssertGreaterThan(zip(usual, overAll.prefix(100)).map { abs($0 - $1) }.max()!, 0.01, "standardised over all 150, the scale differs")
        fusion.wideOnUsualScale = true
        let onUsual = fusion.fused(noteScores: notes, contourCosts: costs)
        XCTAssertEqual(onUsual.count, 150)
        for (a, b) in zip(usual, onUsual.prefix(100)) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        let mean = costs.prefix(100).reduce(0, +) / 100, noteMean = notes.prefix(100).reduce(0, +) / 100
        let sd = (costs.prefix(100).reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 100).squareRoot()
        let noteSD = (notes.prefix(100).reduce(0) { $0 + ($1 - noteMean) * ($1 - noteMean) } / 100).squareRoot()
        XCTAssertEqual(onUsual[120], (notes[120] - noteMean) / noteSD - (costs[120] - mean) / sd, accuracy: 1e-9, "a further melody on the usual scale")
    }

    /// The engine's stage takes the rule as options and refuses negative ones.
    func testTheStageTakesTheWideOptions() throws {
        let stage = try ContourFusionStage(spec: StageSpec(stage: "contour-fusion", options: ["wide-notes": "10", "wide-candidates": "400"]))
        XCTAssertEqual(stage.fusion.wideNotes, 10)
        XCTAssertEqual(stage.fusion.wideCandidates, 400)
        XCTAssert(stage.fusion.wideOnUsualScale, "the default")
        XCTAssertFalse(try ContourFusionStage(spec: StageSpec(stage: "contour-fusion", options: ["wide-scale": "all"])).fusion.wideOnUsualScale)
        XCTAssertEqual(try ContourFusionStage(spec: StageSpec(stage: "contour-fusion", options: ["wide-notes": "0"])).fusion.candidates(notes: 3, of: 500), 100)
        XCTAssertThrowsError(try ContourFusionStage(spec: StageSpec(stage: "contour-fusion", options: ["wide-scale": "some"])))
        XCTAssertEqual(try ContourFusionStage(spec: StageSpec(stage: "contour-fusion")).fusion.wideNotes, ContourFusion().wideNotes)
        XCTAssertThrowsError(try ContourFusionStage(spec: StageSpec(stage: "contour-fusion", options: ["wide-notes": "-1"])))
        XCTAssertThrowsError(try ContourFusionStage(spec: StageSpec(stage: "contour-fusion", options: ["wide-candidates": "-5"])))
    }
}
