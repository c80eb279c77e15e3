import Foundation
import RefrainMath
import RefrainTestSupport
import XCTest

/// Runs `refrain arguments...` (throws, failing the test, when the executable is not built).
func refrain(_ arguments: String...) throws -> RefrainExecutable.Outcome {
    try RefrainExecutable.run(arguments)
}

/// The run failed the way the command line promises: no signal, a non-zero exit status, and standard
/// error exactly one line `error: ...` that contains every string of `mentioning` (no stack trace).
func assertOneLineError(_ outcome: RefrainExecutable.Outcome, mentioning: [String], _ context: String,
                        file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertFalse(outcome.signalled, "\(context): killed by signal \(outcome.status); stderr: \(outcome.stderr)", file: file, line: line)
    XCTAssertNotEqual(outcome.status, 0, "\(context): exit status 0", file: file, line: line)
    let lines = outcome.stderr.split(separator: "\n", omittingEmptySubsequences: false)
    XCTAssertEqual(lines.count, 2, "\(context): stderr is not one line: \(outcome.stderr.debugDescription)", file: file, line: line)
    XCTAssertEqual(lines.last, "", "\(context): stderr does not end its line: \(outcome.stderr.debugDescription)", file: file, line: line)
    XCTAssertTrue(outcome.stderr.hasPrefix("error: "), "\(context): \(outcome.stderr.debugDescription)", file: file, line: line)
    for word in mentioning {
        XCTAssertTrue(outcome.stderr.contains(word), "\(context): stderr does not mention \(word): \(outcome.stderr)", file: file, line: line)
    }
}

/// The run succeeded; returns its standard output.
@discardableResult
func assertSuccess(_ outcome: RefrainExecutable.Outcome, _ context: String,
                   file: StaticString = #filePath, line: UInt = #line) -> String {
    XCTAssertFalse(outcome.signalled, "\(context): killed by signal \(outcome.status)", file: file, line: line)
    XCTAssertEqual(outcome.status, 0, "\(context): \(outcome.stderr)", file: file, line: line)
    return outcome.stdout
}

/// Deterministic pseudo-random 64-bit words (xorshift64*), for test inputs.
func pseudoRandomWords(_ count: Int, seed: UInt64) -> [UInt64] {
    var x = seed | 1
    return (0..<count).map { _ in
        x ^= x >> 12; x ^= x << 25; x ^= x >> 27
        return x &* 0x2545_F491_4F6C_DD1D
    }
}
