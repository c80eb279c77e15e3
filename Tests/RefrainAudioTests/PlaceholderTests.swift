import RefrainAudio
import XCTest

// Placeholder until the first real tests of this module land; delete it then.
final class RefrainAudioPlaceholderTests: XCTestCase {
    func testModuleLinks() { XCTAssertEqual(Matrix(rows: 1, cols: 2).count, 2) }
}
