import Foundation
import RefrainAudio
import RefrainMath
import RefrainTestSupport
import XCTest

/// `refrain features --kind cens` with `--win-len-smooth` (frames) and `--cens-downsample` (a factor), and
/// without them: the index's CENS.
final class FeaturesCommandTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws { directory = try Fixtures.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// 6 s at 22050 Hz: a triad that changes every second (C, F, G, A minor, D minor, G).
    func writeChords() throws -> String {
        let sr = 22050.0, roots = [60, 65, 67, 69, 62, 67]
        let samples = (0..<Int(6 * sr)).map { n -> Float in
            let root = roots[Int(Double(n) / sr)], t = Double(n) / sr
            let third = root == 69 || root == 62 ? 3 : 4
            return Float([0, third, 7].reduce(0.0) { $0 + 0.2 * sin(2 * .pi * 440 * pow(2, Double(root + $1 - 69) / 12) * t) })
        }
        let url = directory.appendingPathComponent("chords.wav")
        try writeAudio(samples, sampleRate: 22050, to: url)
        return url.path
    }

    /// Runs `refrain features WAV --kind cens extra... --out NAME.npy`; returns the values and frame times.
    func cens(_ wav: String, _ name: String, _ extra: [String]) throws -> (values: Matrix, times: [Double], output: String) {
        let out = directory.appendingPathComponent(name + ".npy").path
        let output = assertSuccess(try RefrainExecutable.run(["features", wav, "--kind", "cens", "--out", out] + extra), name)
        let times = try XCTUnwrap(NPY.read(directory.appendingPathComponent(name + "_times.npy")).values(as: Double.self))
        return (try NPY.readMatrix(URL(fileURLWithPath: out)), times, output)
    }

    func testCENSDownsamplingKeepsEveryNthFrameAndItsTime() throws {
        let wav = try writeChords()
        let full = try cens(wav, "full", ["--win-len-smooth", "21", "--hop", "512", "--cens-downsample", "1"])
        let down = try cens(wav, "down", ["--win-len-smooth", "21", "--hop", "512", "--cens-downsample", "4"])
        // Centred frames every 512 samples: 1 + floor(132300 / 512) = 259, at t = k * 512 / 22050 s.
        XCTAssertEqual(full.values.rows, 259)
        XCTAssertEqual(full.values.cols, 12)
        XCTAssertEqual(full.times.count, 259)
        XCTAssertEqual(down.values.rows, 65)  // frames 0, 4, ..., 256
        XCTAssertEqual(down.times.count, 65)
        for k in 0..<65 {
            XCTAssertEqual(down.times[k], Double(4 * k * 512) / 22050, accuracy: 1e-9, "frame \(k)")
            XCTAssertEqual(down.values.row(k), full.values.row(4 * k), "frame \(k) is frame \(4 * k) of the full rate")
        }
        XCTAssertTrue(down.output.contains("65 frames x 12 dims"), down.output)
        XCTAssertTrue(down.output.contains("10.77 frames/s (hop 512 at 22050 Hz, 1 frame in 4 kept)"), down.output)
        XCTAssertTrue(full.output.contains("43.07 frames/s (hop 512 at 22050 Hz)"), full.output)
    }

    func testCENSSmoothingWindowIsTheOneAsked() throws {
        let wav = try writeChords()
        let rate = ["--hop", "512", "--cens-downsample", "1"]
        let w21 = try cens(wav, "w21", ["--win-len-smooth", "21"] + rate)
        let w41 = try cens(wav, "w41", ["--win-len-smooth", "41"] + rate)
        let plain = try cens(wav, "plain", rate)
        let none = try cens(wav, "none", ["--win-len-smooth", "0"] + rate)
        XCTAssertEqual(plain.values, w21.values, "the default window is the index's 21 frames")
        XCTAssertTrue(plain.output.contains("other settings than the index's cens/1: cens_downsampling 1 (index 5), chroma_hop 512 (index 2048)"),
                      plain.output)
        XCTAssertNotEqual(w21.values, w41.values)
        // Frame-to-frame change (total variation, the sum of L1 distances between neighbouring frames)
        // shrinks as the window grows.
        func variation(_ m: Matrix) -> Double {
            var total = 0.0
            for r in 1..<m.rows { total += zip(m.row(r), m.row(r - 1)).reduce(0.0) { $0 + Double(abs($1.0 - $1.1)) } }
            return total
        }
        XCTAssertGreaterThan(variation(none.values), variation(w21.values))
        XCTAssertGreaterThan(variation(w21.values), variation(w41.values))
    }

    /// Without options, `features --kind cens` is the CENS an index stores: hop 2048, 21-frame window, 1 frame
    /// in 5 kept (about 2.15 frames per second), and it says so.
    func testDefaultCENSIsTheIndexEncoders() throws {
        let wav = try writeChords()
        let plain = try cens(wav, "plain", [])
        let same = try cens(wav, "same", ["--hop", "2048", "--win-len-smooth", "21", "--cens-downsample", "5"])
        XCTAssertEqual(plain.values, same.values)
        // 1 + floor(132300 / 2048) = 65 chroma frames, every 5th kept: 13.
        XCTAssertEqual(plain.values.rows, 13)
        XCTAssertEqual(plain.times[1], 5 * 2048 / 22050, accuracy: 1e-9)
        XCTAssertTrue(plain.output.contains("2.15 frames/s (hop 2048 at 22050 Hz, 1 frame in 5 kept)"), plain.output)
        XCTAssertTrue(plain.output.contains("settings    the index's settings (cens/1)"), plain.output)
    }

    func testCENSOptionsAreRefusedWhereTheyDoNotApply() throws {
        let wav = try writeChords()
        for (arguments, words) in [(["--kind", "cens", "--cens-downsample", "0"], ["downsampling"]),
                                   (["--kind", "cens", "--win-len-smooth=-1"], ["smoothing"]),
                                   (["--kind", "chroma", "--win-len-smooth", "9"], ["--kind cens"]),
                                   (["--kind", "cens", "--beat-sync", "--cens-downsample", "2"], ["beat"])] {
            assertOneLineError(try RefrainExecutable.run(["features", wav] + arguments), mentioning: words, arguments.joined(separator: " "))
        }
    }
}
