import Foundation
import FuzzDriver
import RefrainSymbolic

/// libFuzzer entry point: any bytes must give a score or a `RefrainError`, never a crash or a hang. A score
/// that reads is also rolled, beat-tracked, rewritten and read again.
@_cdecl("LLVMFuzzerTestOneInput")
public func midiReaderFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    guard let score = try? MIDIScore(data: bytes, name: "fuzz") else { return 0 }
    if score.endTime < 600 {
        _ = try? score.pianoRoll(fs: 10)
        _ = score.downbeats()
        _ = try? score.melody()
    }
    let written = score.midiData()
    guard let again = try? MIDIScore(data: written, name: "fuzz rewritten") else {
        fatalError("a score read from fuzz input wrote a file that does not read back")
    }
    _ = again
    return 0
}

/// Hands control to libFuzzer's driver.
@_cdecl("MIDIReaderFuzz_main")
public func harnessMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    fuzzMain(argc, argv) { data, size in midiReaderFuzz(data, size) }
}
