import Foundation
import RefrainAudio
import RefrainMath
import RefrainTestSupport
import XCTest

/// `refrain features --kind f0` and `refrain query --task humming`, as a user runs them.
final class HummingCommandTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws { directory = try Fixtures.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// Half a second of silence, then a tone whose fundamental steps through `notes` (MIDI, `noteSeconds` each,
    /// three harmonics), then half a second of silence.
    func writeTune(_ name: String, notes: [Int], noteSeconds: Double = 0.4) throws -> URL {
        let sr = 22050.0
        var samples = [Float](repeating: 0, count: Int((1 + Double(notes.count) * noteSeconds) * sr))
        var phase = 0.0
        for n in Int(0.5 * sr)..<(samples.count - Int(0.5 * sr)) {
            let note = notes[min(notes.count - 1, Int((Double(n) / sr - 0.5) / noteSeconds))]
            phase += 2 * .pi * 440 * pow(2, Double(note - 69) / 12) / sr
            samples[n] = Float(0.3 * sin(phase) + 0.12 * sin(2 * phase) + 0.06 * sin(3 * phase))
        }
        let url = directory.appendingPathComponent(name)
        try writeAudio(samples, sampleRate: 22050, to: url)
        return url
    }

    func testF0FeatureWritesHertzWithNaNWhereUnvoicedAndAPicture() throws {
        let wav = try writeTune("tune.wav", notes: [57, 59, 61, 62, 64])
        let out = directory.appendingPathComponent("f0.npy").path, png = directory.appendingPathComponent("f0.png").path
        let printed = assertSuccess(try RefrainExecutable.run(["features", wav.path, "--kind", "f0", "--out", out, "--png", png]), "f0")
        XCTAssertTrue(printed.contains("f0          ") && printed.contains("% of frames voiced"), printed)
        let values = try NPY.readMatrix(URL(fileURLWithPath: out))
        let times = try XCTUnwrap(NPY.read(directory.appendingPathComponent("f0_times.npy")).values(as: Double.self))
        XCTAssertEqual(values.cols, 2)
        XCTAssertEqual(times.count, values.rows)
        for t in 0..<values.rows {
            let time = times[t], hz = values[t, 0]
            if time < 0.3 || time > 2.7 { XCTAssertTrue(hz.isNaN, "silence at \(time) s is unvoiced, got \(hz)") }
            if time > 0.6 && time < 0.8 { XCTAssertEqual(Double(hz), 220, accuracy: 2, "A3 at \(time) s") }
            XCTAssertTrue(values[t, 1] >= 0 && values[t, 1] <= 1)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: png))
    }

    func testHummingQueriesRankWorksAndRefuseQueriesWithoutATune() throws {
        let index = directory.appendingPathComponent("lib").path
        let recording = try writeTune("recording.wav", notes: [60, 62, 64, 65, 67, 65, 64, 62, 60, 64, 67, 72])
        assertSuccess(try RefrainExecutable.run(["index", "create", index, "--no-shingles"]), "create")  // one item: no PCA
        assertSuccess(try RefrainExecutable.run(["add", index, recording.path]), "add")
        let hum = try writeTune("hum.wav", notes: [55, 57, 59, 60, 62, 60, 59, 57], noteSeconds: 0.5)
        let json = assertSuccess(try RefrainExecutable.run(["query", index, hum.path, "--task", "humming", "--json"]), "hum")
        let result = try XCTUnwrap(((try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?["results"] as? [[String: Any]])?.first)
        XCTAssertEqual(result["task"] as? String, "humming")
        XCTAssertEqual(result["by"] as? String, "work", "works are ranked by default for humming")
        let silence = directory.appendingPathComponent("silence.wav")
        try writeAudio([Float](repeating: 0, count: 22050 * 3), sampleRate: 22050, to: silence)
        assertOneLineError(try RefrainExecutable.run(["query", index, silence.path, "--task", "humming"]),
                           mentioning: ["sung or hummed pitch"], "silence")
    }
}
