import Foundation
import RefrainTestSupport
import XCTest

/// The fuzzing package (`Fuzz/`, built by `scripts/fuzz.sh` with libFuzzer, never by `swift build` here) links to
/// the real module sources; when a module gains a dependency in `Package.swift`, `Fuzz/Package.swift` must gain it
/// too or the fuzzers stop building (as they did when `RefrainMath` began to use `CStdio`). This checks the two
/// manifests agree, so the drift fails the tests instead of the next fuzzing run.
final class FuzzPackageTests: XCTestCase {
    let root = Fixtures.repositoryRoot

    /// `name -> dependencies` of every `.target(name: ..., dependencies: [...])` in a manifest.
    func targetDependencies(_ manifest: String) throws -> [String: [String]] {
        let pattern = try NSRegularExpression(pattern: #"\.target\(name: "([A-Za-z]+)", dependencies: \[([^\]]*)\]"#)
        var out: [String: [String]] = [:]
        for match in pattern.matches(in: manifest, range: NSRange(manifest.startIndex..., in: manifest)) {
            let name = String(manifest[Range(match.range(at: 1), in: manifest)!])
            let list = String(manifest[Range(match.range(at: 2), in: manifest)!])
            out[name] = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
                .filter { !$0.isEmpty }
        }
        return out
    }

    /// The names of every target and system library a manifest declares.
    func declaredNames(_ manifest: String) throws -> Set<String> {
        let pattern = try NSRegularExpression(pattern: #"\.(?:target|systemLibrary|executableTarget)\(name: "([A-Za-z]+)""#)
        return Set(pattern.matches(in: manifest, range: NSRange(manifest.startIndex..., in: manifest)).map {
            String(manifest[Range($0.range(at: 1), in: manifest)!])
        })
    }

    func testFuzzPackageLinksEveryDependencyOfTheModulesItShares() throws {
        let main = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let fuzz = try String(contentsOf: root.appendingPathComponent("Fuzz/Package.swift"), encoding: .utf8)
        let mainTargets = try targetDependencies(main), fuzzTargets = try targetDependencies(fuzz)
        let fuzzNames = try declaredNames(fuzz)
        let sources = root.appendingPathComponent("Fuzz/Sources")
        let shared = try FileManager.default.contentsOfDirectory(atPath: sources.path).filter {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: sources.appendingPathComponent($0).path)) == "../../Sources/\($0)"
        }
        let modules = shared.filter { mainTargets[$0] != nil }
        XCTAssertTrue(Set(["RefrainMath", "RefrainAudio", "RefrainSymbolic"]).isSubset(of: Set(modules)), "\(shared)")
        for module in modules {
            let needed = try XCTUnwrap(mainTargets[module])
            XCTAssertEqual(Set(fuzzTargets[module] ?? []), Set(needed), "Fuzz/Package.swift: \(module)'s dependencies")
            for dependency in needed {
                XCTAssertTrue(fuzzNames.contains(dependency), "Fuzz/Package.swift does not declare \(dependency)")
                XCTAssertTrue(FileManager.default.fileExists(atPath: sources.appendingPathComponent(dependency).path),
                              "Fuzz/Sources has no link to \(dependency)")
            }
        }
    }
}
