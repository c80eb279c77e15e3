import Foundation
import RefrainLearn
import RefrainMath

/// The model of a learned encoder: one or more networks by role (a hasher has `audio` and `synth`; a piano-roll
/// hasher `pianoroll`; an embedder `audio` and `synth`; a shingle reducer `chroma`) in one Refrain model file (docs/model-format.md,
/// `kind` "learned-encoder"), whose tensors are named `<role>.<layer>.<weight|bias>` and whose metadata holds
/// the model's kind (`model`), each network's architecture (`networks`, JSON) and training facts. The SHA-256
/// of the file's bytes is the model's identity: an index records it for every array the model encoded.
public struct LearnedModel: @unchecked Sendable {
    /// "hasher", "pianoroll-hasher", "embedder" or "shingles".
    public let kind: String
    /// Architectures by role.
    public let architectures: [String: Architecture]
    /// Free-form facts (training corpus, seed, steps, validation figures), as written.
    public let metadata: [String: String]
    /// Lower-case hex SHA-256 of the model file's bytes.
    public let sha256: String
    let file: ModelFile

    static let fileKind = "learned-encoder"

    /// A model of `kind` made of `networks` (by role).
    public init(kind: String, networks: [String: Network], metadata: [String: String] = [:]) throws {
        var meta = metadata
        meta["model"] = kind
        let architectures = networks.mapValues(\.architecture)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        meta["networks"] = String(decoding: try encoder.encode(architectures), as: UTF8.self)
        var tensors: [(name: String, array: NPYArray)] = []
        for role in networks.keys.sorted() {
            for p in networks[role]!.parameters { tensors.append(("\(role).\(p.name)", NPYArray(p.value, shape: p.shape))) }
        }
        file = ModelFile(description: ModelDescription(kind: Self.fileKind, metadata: meta), tensors: tensors)
        self.kind = kind
        self.architectures = architectures
        self.metadata = meta
        sha256 = try file.sha256()
    }

    private init(file: ModelFile, sha256: String, name: String, expecting kind: String) throws {
        guard file.description.kind == Self.fileKind, let model = file.description.metadata["model"],
              let json = file.description.metadata["networks"],
              let architectures = try? JSONDecoder().decode([String: Architecture].self, from: Data(json.utf8)) else {
            throw RefrainError.invalidFile(name, "is not a model of a Refrain learned encoder")
        }
        guard model == kind else { throw RefrainError.invalidFile(name, "holds a \(model) model, not a \(kind)") }
        self.file = file
        self.kind = model
        self.architectures = architectures
        self.metadata = file.description.metadata
        self.sha256 = sha256
        // Every network must build and take its weights now, so that a damaged file fails here, once.
        for role in architectures.keys { _ = try network(role, name: name) }
    }

    /// Reads a model file and checks it is a `kind` model whose every network loads.
    /// - Throws: `RefrainError.fileNotFound` or `.invalidFile` with one sentence naming the file and the fault
    ///   (cut short, damaged tensor, another kind of model, shapes that do not fit the architecture).
    public static func read(_ url: URL, expecting kind: String) throws -> LearnedModel {
        guard FileManager.default.fileExists(atPath: url.path) else { throw RefrainError.fileNotFound(url.path) }
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw RefrainError(.io, "\(url.path): cannot read (\(error.localizedDescription))") }
        return try decode(data, name: url.path, expecting: kind)
    }

    /// Reads a model from its file's bytes (`name` names it in errors).
    public static func decode(_ data: Data, name: String, expecting kind: String) throws -> LearnedModel {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("refrain-model-\(UUID().uuidString).npz")
        defer { try? FileManager.default.removeItem(at: scratch) }
        do { try data.write(to: scratch) } catch { throw RefrainError(.io, "cannot stage the model \(name) (\(error.localizedDescription))") }
        let file: ModelFile
        do { file = try ModelFile.read(scratch) } catch let error as RefrainError {
            throw RefrainError(error.kind, error.message.replacingOccurrences(of: scratch.path, with: name))
        }
        return try LearnedModel(file: file, sha256: SHA256.hex(of: data), name: name, expecting: kind)
    }

    /// The model file's bytes.
    public func encoded() throws -> Data { try file.encoded() }

    /// Writes the model file (atomically).
    public func write(to url: URL) throws { try file.write(to: url) }

    /// A fresh network of `role` with the model's weights (networks keep per-call state: one per thread).
    public func network(_ role: String, name: String = "model") throws -> Network {
        guard let architecture = architectures[role] else {
            throw RefrainError.invalidFile(name, "has no \(role) network (it has \(architectures.keys.sorted().joined(separator: ", ")))")
        }
        let net: Network
        do { net = try Network(architecture, seed: 0) } catch let error as RefrainError {
            throw RefrainError.invalidFile(name, "its \(role) architecture is invalid (\(error.message))")
        }
        var tensors: [String: NPYArray] = [:]
        for t in file.tensors where t.name.hasPrefix(role + ".") { tensors[String(t.name.dropFirst(role.count + 1))] = t.array }
        do { try net.load(tensors) } catch let error as RefrainError {
            throw RefrainError.invalidFile(name, "\(role) network: \(error.message)")
        }
        return net
    }

    /// The parameter count of every network together.
    public var parameterCount: Int { file.tensors.reduce(0) { $0 + $1.array.count } }

    // MARK: Shipped models

    /// The model shipped with Refrain as `Resources/models/<name>.npz`, read from the program's own resources.
    /// - Throws: `RefrainError(.missingResource)` when this build has no such model file, or the read errors.
    public static func shipped(_ name: String, kind: String) throws -> LearnedModel {
        try ShippedModels.shared.model(name, kind: kind)
    }
}

/// The shipped models, each read and checked once per process.
final class ShippedModels: @unchecked Sendable {
    static let shared = ShippedModels()
    private var loaded: [String: Result<LearnedModel, RefrainError>] = [:]
    private let lock = NSLock()

    /// The folder of shipped model files, in the program's resources.
    static var folder: URL? { Bundle.module.url(forResource: "models", withExtension: nil) }

    func model(_ name: String, kind: String) throws -> LearnedModel {
        lock.lock()
        defer { lock.unlock() }
        if let done = loaded[name] { return try done.get() }
        let result: Result<LearnedModel, RefrainError>
        if let url = Self.folder?.appendingPathComponent("\(name).npz"), FileManager.default.fileExists(atPath: url.path) {
            do { result = .success(try LearnedModel.read(url, expecting: kind)) } catch let error as RefrainError {
                result = .failure(error)
            } catch {
                result = .failure(RefrainError(.io, "\(url.path): \(error.localizedDescription)"))
            }
        } else {
            result = .failure(RefrainError(.missingResource, "this Refrain was built without its \(name) model (Resources/models/\(name).npz); "
                                           + "rebuild it, or train one with `refrain train` and pass it with --model"))
        }
        loaded[name] = result
        return try result.get()
    }
}

/// Copies of a model's network for concurrent inference: a network keeps the state of its last forward pass,
/// so each caller borrows one (made on demand) and gives it back.
final class NetworkPool: @unchecked Sendable {
    let model: LearnedModel
    let role: String
    private var free: [Network] = []
    private let lock = NSLock()

    init(model: LearnedModel, role: String) throws {
        self.model = model
        self.role = role
        free = [try model.network(role)]
    }

    /// Runs `body` with a network of its own.
    func with<T>(_ body: (Network) throws -> T) throws -> T {
        lock.lock()
        let network = free.popLast()
        lock.unlock()
        let net = try network ?? model.network(role)
        defer { lock.lock(); free.append(net); lock.unlock() }
        return try body(net)
    }
}

extension Network {
    /// Runs the layers on `x` whatever its length along time (the front end and per-step layers take any
    /// length; `Network.forward` insists on the training input shape). Inference only.
    func infer(_ x: Tensor, threads: Int) -> Tensor {
        var y = x
        let pass = Pass(training: false, threads: threads)
        for layer in layers { y = layer.forward(y, pass) }
        return y
    }
}
