import Foundation

/// Locates committed test fixtures under `Tests/Fixtures/` and the development corpus in `../shared/corpus`.
///
/// Fixtures are made by the scripts under `scripts/reference/`; tests only read them.
public enum Fixtures {
    /// `Tests/` of this checkout.
    public static let testsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The root of this checkout.
    public static let repositoryRoot = testsDirectory.deletingLastPathComponent()

    /// A file under `Tests/Fixtures/`, e.g. `url("math/float32.npy")`.
    public static func url(_ relativePath: String) -> URL {
        testsDirectory.appendingPathComponent("Fixtures").appendingPathComponent(relativePath)
    }

    /// `../shared/corpus` beside the checkout, or nil when it is absent (tests using it then skip).
    public static var corpus: URL? {
        let url = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus")
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    /// `../shared/train-corpus` beside the checkout (the learned models' training corpus), or nil when it is absent
    /// (tests using it then skip).
    public static var trainCorpus: URL? {
        let url = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/train-corpus")
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    /// A fresh temporary directory, removed by the caller.
    public static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("refrain-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
