import Foundation
import Refrain
import RefrainMath
import XCTest

/// The realistic benchmark's choice of performers: its report half must never run without the unseen one.
final class RealisticSetTests: XCTestCase {
    func testAMissingUnseenPerformerIsAnErrorNamingItsPackage() throws {
        let missing = "/nonexistent/MuseScore_General_Lite.sf3"
        XCTAssertThrowsError(try RealisticSet.unseenPerformers(among: [missing])) { error in
            let message = String(describing: error)
            XCTAssertTrue(message.contains("musescore-general-soundfont-small"), message)
            XCTAssertTrue(message.contains(missing), message)
        }
    }

    func testTheInstalledUnseenPerformersAreKeptAndTheMissingOnesLeftOut() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("unseen-\(UUID().uuidString).sf3")
        try Data([0]).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        XCTAssertEqual(try RealisticSet.unseenPerformers(among: ["/nonexistent/other.sf2", file.path]), [file.path])
    }
}
