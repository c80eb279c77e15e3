import ArgumentParser
import Foundation
import Refrain

/// Plain number formatting for benchmark tables.
func fmt(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }

/// A comma-separated list of positive integers given to `option` (`10000,100000`).
func positiveInts(_ text: String, option: String) throws -> [Int] {
    try text.split(separator: ",").map { part in
        guard let n = Int(part.trimmingCharacters(in: .whitespaces)), n > 0 else {
            throw RefrainError.invalidArgument("\(option) takes positive integers separated by commas, not '\(part)'")
        }
        return n
    }
}

/// Runs `body`; a `RefrainError` is printed as one line `error: <message>` on standard error and the command
/// exits with status 1.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as RefrainError {
        FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
        throw ExitCode.failure
    }
}

extension String {
    /// Left-aligned in a field of `width` characters.
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
