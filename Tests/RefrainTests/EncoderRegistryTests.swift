import Foundation
@testable import Refrain
import RefrainIndex
import RefrainMath
import XCTest

/// Encoders as named, versioned parts: settings round-trip, unknown or bad settings and version or weight
/// mismatches are refused with a sentence that says how to re-encode.
final class EncoderRegistryTests: XCTestCase {
    func testSettingsRoundTripAndBadValuesAreRefused() throws {
        var custom = CENSEncoder.Settings()
        custom.downsampling = 10
        let encoder = try CENSEncoder(settings: custom)
        XCTAssertEqual(try CENSEncoder.Settings(encoder.record.settings), custom)
        XCTAssertThrowsError(try CENSEncoder.Settings(["cens_window_shape": "hann"])) { error in
            XCTAssertTrue((error as? RefrainError)?.message.contains("unknown setting 'cens_window_shape'") ?? false, "\(error)")
        }
        XCTAssertThrowsError(try CQTBeatsEncoder.Settings(["cqt_bins": "many"])) { error in
            XCTAssertTrue((error as? RefrainError)?.message.contains("cqt_bins") ?? false, "\(error)")
        }
    }

    func testRecordedEncodersMustMatchThisProgramsVersionAndWeights() throws {
        let registry = EncoderRegistry.standard
        let current = try registry.defaults().map(\.record)
        XCTAssertEqual(try registry.encoders(for: current, directory: "lib").map(\.name), ["cens", "cens_fine", "cqt_beats", "crp", "crp_coarse", "melody"])
        var older = current[0]
        older.version += 1
        XCTAssertThrowsError(try registry.encoders(for: [older], directory: "lib")) { error in
            let message = (error as? RefrainError)?.message ?? ""
            XCTAssertTrue(message.contains("cens/2") && message.contains("cens/1") && message.contains("refrain reindex lib"), message)
        }
        var learned = current[0]
        learned.weightsSHA256 = String(repeating: "ab", count: 32)
        XCTAssertThrowsError(try registry.encoders(for: [learned], directory: "lib")) { error in
            XCTAssertTrue((error as? RefrainError)?.message.contains("weights abababababab") ?? false, "\(error)")
        }
        let foreign = EncoderRecord(name: "hasher", version: 1, dims: 1, dtype: .uint32)
        XCTAssertThrowsError(try registry.encoders(for: [foreign], directory: "lib")) { error in
            XCTAssertTrue((error as? RefrainError)?.message.contains("'hasher/1', which this Refrain does not have") ?? false, "\(error)")
        }
    }

    func testFingerprintChangesWithAnythingRecorded() throws {
        let record = try CENSEncoder().record
        var other = record
        XCTAssertEqual(record.fingerprint, other.fingerprint)
        other.settings["cens_smoothing"] = "41"
        XCTAssertNotEqual(record.fingerprint, other.fingerprint)
        XCTAssertNotNil(record.difference(from: other))
        XCTAssertNil(record.difference(from: record))
    }
}
