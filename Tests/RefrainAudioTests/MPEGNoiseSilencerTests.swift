import Foundation
@testable import RefrainAudio
import XCTest

/// Which data the decoder treats as possibly reaching libmpg123 (whose "Note:" lines it silences once an
/// executable opts in).
final class MPEGNoiseSilencerTests: XCTestCase {
    func testMPEGSyncAndID3ReachTheMPEGDecoder() {
        XCTAssertTrue(MPEGNoiseSilencer.mayReachMPEGDecoder([0xFF, 0xFB, 0x90, 0x64]))
        XCTAssertTrue(MPEGNoiseSilencer.mayReachMPEGDecoder([0xFF, 0xE3]))
        XCTAssertTrue(MPEGNoiseSilencer.mayReachMPEGDecoder(Array("ID3\u{4}".utf8)))
    }

    /// Text or noise is no container libsndfile knows by its first bytes: it then goes by the extension
    /// (`.mp3`) or probes the MPEG decoder, so it is silenced too.
    func testUnrecognisedDataMayReachTheMPEGDecoder() {
        XCTAssertTrue(MPEGNoiseSilencer.mayReachMPEGDecoder(Array("This is text".utf8)))
        XCTAssertTrue(MPEGNoiseSilencer.mayReachMPEGDecoder([0x12, 0x34, 0x56, 0x78]))
        XCTAssertTrue(MPEGNoiseSilencer.mayReachMPEGDecoder([0x00]))
    }

    func testContainersLibsndfileParsesItselfDoNot() {
        for magic in ["RIFF", "RIFX", "RF64", "riff", "FORM", "OggS", "fLaC", "caff", ".snd", "dns."] {
            XCTAssertFalse(MPEGNoiseSilencer.mayReachMPEGDecoder(Array(magic.utf8) + [0, 0, 0, 0]), magic)
        }
        XCTAssertTrue(MPEGNoiseSilencer.mayReachMPEGDecoder(Array("RIF".utf8)), "a prefix too short to name a container")
    }
}
