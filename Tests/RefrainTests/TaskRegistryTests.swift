import Foundation
import Refrain
import XCTest

/// Tasks as registered types: what `auto` picks, which inputs a task takes, the encoders it needs, its cascade.
final class TaskRegistryTests: XCTestCase {
    func testAutoFollowsTheInputKindAndNamedTasksCheckTheirInputs() throws {
        let tasks = TaskRegistry.standard
        XCTAssertEqual(tasks.names, ["midi-to-audio", "audio-match", "version", "humming", "midi-to-audio-hashed", "midi-to-audio-hash-only",
                                    "midi-to-audio-embedding-only"])
        XCTAssertEqual(try tasks.resolve("auto", for: .midi).name, "midi-to-audio")
        XCTAssertEqual(try tasks.resolve("auto", for: .audio).name, "audio-match")
        XCTAssertEqual(try tasks.resolve("audio-match", for: .midi).name, "audio-match", "a score can be matched as audio")
        XCTAssertThrowsError(try tasks.resolve("midi-to-audio", for: .audio)) { error in
            XCTAssertTrue((error as? RefrainError)?.message.contains("takes midi queries, not audio") ?? false, "\(error)")
        }
        XCTAssertEqual(try tasks.resolve("version", for: .audio).name, "version")
        XCTAssertThrowsError(try tasks.resolve("version", for: .midi), "versions are whole recordings")
        XCTAssertEqual(try tasks.resolve("auto", for: .melody).name, "humming", "notes are searched by their tune")
        XCTAssertEqual(try tasks.resolve("humming", for: .audio).name, "humming")
        XCTAssertThrowsError(try tasks.resolve("karaoke", for: .audio)) { error in
            XCTAssertTrue((error as? RefrainError)?.message.contains("unknown task 'karaoke'") ?? false, "\(error)")
        }
    }

    func testEachTaskNeedsOnlyItsEncoders() {
        XCTAssertEqual(AudioMatchTask().encoders, ["cens"], "audio matching needs no CQT and no beat tracker")
        XCTAssertEqual(Set(MIDIToAudioTask().encoders), ["cqt_beats", "cens"])
        let stages = MIDIToAudioTask().stages(QueryOptions(prune: false)).filter(\.enabled).map(\.stage)
        XCTAssertEqual(stages, ["kind-filter", "raffel-ellis"])
        XCTAssertEqual(VersionTask().encoders, ["cens"])
    }

    /// Key invariance is the default of every task's exact DTW stages, and an option turns it off. (Humming
    /// compares pitch intervals, key invariant by construction; the hash-only and embedding-only tasks measure
    /// one learned stage each.)
    func testKeyInvarianceIsTheDefaultAndCanBeSwitchedOff() {
        for task in TaskRegistry.standard.all where !["humming", "midi-to-audio-hash-only", "midi-to-audio-embedding-only"].contains(task.name) {
            let on = task.stages(QueryOptions()).filter { $0.options["key"] != nil }
            let off = task.stages(QueryOptions(keyInvariance: false)).filter { $0.options["key"] != nil }
            XCTAssertFalse(on.isEmpty, task.name)
            XCTAssertTrue(on.allSatisfy { $0.options["key"] == "estimate" }, "\(task.name): \(on)")
            XCTAssertTrue(off.allSatisfy { $0.options["key"] == "off" }, "\(task.name): \(off)")
        }
        let all12 = AudioMatchTask().stages(QueryOptions(transpositions: true)).first { $0.stage == "audio-match" }
        XCTAssertEqual(all12?.options["transpositions"], "12")
    }

    /// `STAGE.enabled=false` leaves a stage out (for experiments and benchmarks).
    func testAnOverrideSwitchesAStageOff() throws {
        let options = QueryOptions(overrides: try QueryOptions.overrides(["version.enabled=false"]))
        let specs = Engine.stageSpecs(MIDIToAudioTask(), options: options)
        XCTAssertEqual(specs.filter(\.enabled).map(\.stage), ["kind-filter", "shingle-vote", "raffel-ellis"])
        XCTAssertNil(specs[2].options["enabled"])
    }

    func testOverridesParseStageOptionValueAndRefuseMalformedSettings() throws {
        let parsed = try QueryOptions.overrides(["raffel-ellis.cens_weight=1", "shingle-vote.keep=50", "raffel-ellis.gully=0.9",
                                                 "audio-match.tempi=0.5,1=x"])
        XCTAssertEqual(parsed, ["raffel-ellis": ["cens_weight": "1", "gully": "0.9"], "shingle-vote": ["keep": "50"],
                                "audio-match": ["tempi": "0.5,1=x"]])
        for bad in ["cens_weight=1", "raffel-ellis.cens_weight", ".x=1", "raffel-ellis.=1", "=1"] {
            XCTAssertThrowsError(try QueryOptions.overrides([bad]), bad) { error in
                XCTAssertTrue((error as? RefrainError)?.message.contains("stage.option=value") ?? false, "\(error)")
            }
        }
    }

    func testOverridesReplaceTheTaskDefaultsOfTheirStageOnly() throws {
        let options = QueryOptions(keep: 30, overrides: try QueryOptions.overrides(["shingle-vote.keep=7", "raffel-ellis.cens_weight=0.5",
                                                                                     "no-such-stage.x=1"]))
        let specs = Engine.stageSpecs(MIDIToAudioTask(), options: options)
        XCTAssertEqual(specs.map(\.stage), ["kind-filter", "shingle-vote", "version", "raffel-ellis"])
        XCTAssertEqual(specs[1].options["keep"], "7", "an override wins over --keep")
        XCTAssertEqual(specs[1].options["query_hop"], "2", "other options stay")
        XCTAssertNil(specs[1].options["tempi"], "the score votes at its own tempo only")
        XCTAssertEqual(specs[2].options, ["keep": "25", "key": "estimate"])
        XCTAssertEqual(specs[3].options, ["cens_weight": "0.5", "key": "estimate"])
        XCTAssertEqual(specs[0].options, ["kinds": "audio"])
    }
}
