import Foundation
import RefrainMath

/// The JSON member of a model file (`architecture.json`): what the tensors mean.
public struct ModelDescription: Codable, Equatable, Sendable {
    /// Always "refrain-model".
    public var format: String
    /// Format version, 1.
    public var version: Int
    /// "network" (a `Network`), "linear-metric" (PCA, LDA, LMNN) or "checkpoint" (a network with optimiser
    /// state).
    public var kind: String
    /// Layers and input shape, for networks and checkpoints.
    public var architecture: Architecture?
    /// Every tensor in the file, in order, with its shape and NumPy dtype.
    public var tensors: [TensorInfo]
    /// Free-form facts: training settings, the linear method, the step of a checkpoint.
    public var metadata: [String: String]

    public struct TensorInfo: Codable, Equatable, Sendable {
        public var name: String
        public var shape: [Int]
        public var dtype: String
    }

    public init(kind: String, architecture: Architecture? = nil, tensors: [TensorInfo] = [], metadata: [String: String] = [:]) {
        format = "refrain-model"
        version = 1
        self.kind = kind
        self.architecture = architecture
        self.tensors = tensors
        self.metadata = metadata
    }
}

/// A model file: named float32 tensors as `.npy` plus `architecture.json`, in one `.npz` (uncompressed ZIP, as
/// `numpy.savez` writes) or in a folder holding the same files. See docs/model-format.md.
///
/// NumPy reads it without Refrain (`numpy.load("m.npz")["conv1.weight"]`, `json.loads(numpy.load("m.npz")
/// ["architecture.json"])`), and the tensor names and shapes are PyTorch's, so
/// `module.load_state_dict({k: torch.from_numpy(v) ...})` fills the equivalent `torch.nn` modules. The file's
/// SHA-256 (of the `.npz` bytes, which depend only on the content) identifies the model in an index.
public struct ModelFile: Sendable {
    public var description: ModelDescription
    /// Tensors in file order.
    public var tensors: [(name: String, array: NPYArray)]

    public static let descriptionMember = "architecture.json"

    public init(description: ModelDescription, tensors: [(name: String, array: NPYArray)]) {
        var description = description
        description.tensors = tensors.map { .init(name: $0.name, shape: $0.array.shape, dtype: $0.array.dtype.rawValue) }
        self.description = description
        self.tensors = tensors
    }

    /// A network's weights and architecture.
    public init(network: Network, metadata: [String: String] = [:]) {
        self.init(description: ModelDescription(kind: "network", architecture: network.architecture, metadata: metadata),
                  tensors: network.parameters.map { ($0.name, NPYArray($0.value, shape: $0.shape)) })
    }

    /// The tensor called `name`, if present.
    public func tensor(_ name: String) -> NPYArray? { tensors.first { $0.name == name }?.array }

    /// The archive bytes: the description first, then one `<name>.npy` per tensor.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json = try encoder.encode(description)
        return NPZ.encode([NPZ.Member(name: Self.descriptionMember, bytes: json)]
                          + tensors.map { NPZ.Member(name: $0.name + ".npy", bytes: NPY.encode($0.array)) })
    }

    /// Hex SHA-256 of `encoded()`: the model's identity.
    public func sha256() throws -> String { SHA256.hex(of: try encoded()) }

    /// Writes an `.npz` when `url` ends in ".npz", else a folder of `.npy` files and `architecture.json`;
    /// atomically (a temporary file or folder renamed into place), so a reader never sees half a model.
    public func write(to url: URL) throws {
        let fm = FileManager.default
        if url.pathExtension == "npz" {
            do { try encoded().write(to: url, options: .atomic) } catch let error as RefrainError { throw error } catch {
                throw RefrainError(.io, "\(url.path): cannot write (\(error.localizedDescription))")
            }
            return
        }
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString)")
        do {
            try fm.createDirectory(at: temporary, withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(description).write(to: temporary.appendingPathComponent(Self.descriptionMember))
            for t in tensors { try NPY.encode(t.array).write(to: temporary.appendingPathComponent(t.name + ".npy")) }
            if fm.fileExists(atPath: url.path) {
                _ = try fm.replaceItemAt(url, withItemAt: temporary)
            } else {
                try fm.moveItem(at: temporary, to: url)
            }
        } catch {
            try? fm.removeItem(at: temporary)
            throw RefrainError(.io, "\(url.path): cannot write the model folder (\(error.localizedDescription))")
        }
    }

    /// Reads and checks a model file (`.npz` or folder): the description must parse, and every tensor it lists
    /// must be present, whole, float32 and of the listed shape.
    /// - Throws: `RefrainError(.invalidFile)` with one sentence naming the file and the tensor at fault.
    public static func read(_ url: URL) throws -> ModelFile {
        let fm = FileManager.default
        var isFolder: ObjCBool = false
        guard fm.fileExists(atPath: url.path, isDirectory: &isFolder) else { throw RefrainError.fileNotFound(url.path) }
        var members: [String: Data] = [:]
        do {
            if isFolder.boolValue {
                for name in try fm.contentsOfDirectory(atPath: url.path) where name.hasSuffix(".npy") || name == descriptionMember {
                    members[name] = try Data(contentsOf: url.appendingPathComponent(name))
                }
            } else {
                let data: Data
                do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
                    throw RefrainError(.io, "\(url.path): cannot read (\(error.localizedDescription))")
                }
                for m in try NPZ.decode(data) { members[m.name] = m.bytes }
            }
        } catch let error as RefrainError {
            throw error.kind == .invalidFile ? RefrainError.invalidFile(url.path, error.message.replacingOccurrences(of: "member ", with: "tensor ").replacingOccurrences(of: ".npy", with: "")) : error
        } catch {
            throw RefrainError(.io, "\(url.path): cannot read (\(error.localizedDescription))")
        }
        guard let json = members[descriptionMember] else {
            throw RefrainError.invalidFile(url.path, "not a Refrain model (no \(descriptionMember))")
        }
        let description: ModelDescription
        do { description = try JSONDecoder().decode(ModelDescription.self, from: json) } catch {
            throw RefrainError.invalidFile(url.path, "\(descriptionMember) is not a valid model description")
        }
        guard description.format == "refrain-model", description.version == 1 else {
            throw RefrainError.invalidFile(url.path, "unsupported model format \(description.format) version \(description.version)")
        }
        var tensors: [(name: String, array: NPYArray)] = []
        for info in description.tensors {
            guard let bytes = members[info.name + ".npy"] else { throw RefrainError.invalidFile(url.path, "tensor \(info.name) is missing") }
            let array: NPYArray
            do { array = try NPY.decode(bytes) } catch let error as RefrainError {
                throw RefrainError.invalidFile(url.path, "tensor \(info.name) is damaged (\(error.message))")
            }
            guard array.shape == info.shape else {
                throw RefrainError.invalidFile(url.path, "tensor \(info.name) has shape \(array.shape), the description says \(info.shape)")
            }
            guard array.dtype == .float32, info.dtype == NPYArray.DType.float32.rawValue else {
                throw RefrainError.invalidFile(url.path, "tensor \(info.name) is \(array.dtype.rawValue), expected float32 (<f4)")
            }
            tensors.append((info.name, array))
        }
        return ModelFile(description: description, tensors: tensors)
    }

    /// The network the file describes, with its weights.
    /// - Throws: `RefrainError(.invalidFile)` naming the tensor whose shape disagrees with the architecture.
    public func network(path: String = "model") throws -> Network {
        guard description.kind == "network" || description.kind == "checkpoint", let architecture = description.architecture else {
            throw RefrainError.invalidFile(path, "holds a \(description.kind), not a network")
        }
        let net: Network
        do { net = try Network(architecture, seed: 0) } catch let error as RefrainError {
            throw RefrainError.invalidFile(path, "its architecture is invalid (\(error.message))")
        }
        do { try net.load(Dictionary(tensors.map { ($0.name, $0.array) }, uniquingKeysWith: { a, _ in a })) } catch let error as RefrainError {
            throw RefrainError.invalidFile(path, error.message)
        }
        return net
    }
}
