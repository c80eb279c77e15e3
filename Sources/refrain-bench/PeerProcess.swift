import Foundation

/// Runs `executable` (looked up on `PATH`) with `arguments`; its standard output, or nil when it cannot run
/// or exits with a failure. Standard error is discarded (peers print progress there).
func peerOutput(_ executable: String, _ arguments: [String]) -> String? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [executable] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return nil }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return process.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
}

/// The JSON object on the last line a peer script printed (its result), or nil when it printed none.
func peerResultJSON(_ executable: String, _ arguments: [String]) -> [String: Any]? {
    guard let output = peerOutput(executable, arguments), let line = output.split(separator: "\n").last else { return nil }
    return try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
}
