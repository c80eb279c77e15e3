import Foundation
import XCTest

/// Runs `python3 -c script arguments...` and returns its standard output; skips the test when python3 with
/// NumPy is not installed (scripts/test.sh installs it). Tests use it to check that NumPy reads what Refrain
/// writes.
public func runPython(_ script: String, arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    if text.contains("No module named 'numpy'") { throw XCTSkip("NumPy is not installed") }
    guard process.terminationStatus == 0 else { throw PythonFailure(output: text) }
    return text
}

/// python3 exited with an error; `output` is what it printed.
public struct PythonFailure: Error, CustomStringConvertible {
    public var output: String
    public var description: String { "python3 failed: \(output)" }
}
