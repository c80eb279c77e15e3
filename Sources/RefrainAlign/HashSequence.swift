import RefrainMath

/// A sequence of integer hash codes, one per frame, of one width (Raffel & Ellis 2015 hash frames to
/// 16 bits), compared by Hamming distance (`CostMatrix.hamming`).
public enum HashSequence: Equatable, Sendable {
    case bits16([UInt16])
    case bits32([UInt32])
    case bits64([UInt64])

    /// Frames in the sequence.
    public var count: Int {
        switch self {
        case .bits16(let codes): return codes.count
        case .bits32(let codes): return codes.count
        case .bits64(let codes): return codes.count
        }
    }

    /// Bits per code: 16, 32 or 64.
    public var width: Int {
        switch self {
        case .bits16: return 16
        case .bits32: return 32
        case .bits64: return 64
        }
    }

    /// The codes of an `.npy` array of one integer per frame: shape `(frames,)` or `(frames, 1)`, dtype
    /// `uint16`, `uint32`, `uint64` or their signed counterparts (read as the same bits: `-1` as `int16`
    /// is the code `0xFFFF`). `name` names the array in errors.
    /// - Throws: `RefrainError.invalidFile` for another shape or dtype.
    public init(npy array: NPYArray, name: String) throws {
        guard array.shape.count == 1 || (array.shape.count == 2 && array.shape[1] == 1) else {
            throw RefrainError.invalidFile(name, "expected one hash per frame, shape (frames,) or (frames, 1), got \(array.shape)")
        }
        func codes<T: NPYElement, Code>(_: T.Type, _ convert: (T) -> Code) -> [Code] { array.values(as: T.self)!.map(convert) }
        switch array.dtype {
        case .uint16: self = .bits16(codes(UInt16.self) { $0 })
        case .int16: self = .bits16(codes(Int16.self) { UInt16(bitPattern: $0) })
        case .uint32: self = .bits32(codes(UInt32.self) { $0 })
        case .int32: self = .bits32(codes(Int32.self) { UInt32(bitPattern: $0) })
        case .uint64: self = .bits64(codes(UInt64.self) { $0 })
        case .int64: self = .bits64(codes(Int64.self) { UInt64(bitPattern: $0) })
        default:
            throw RefrainError.invalidFile(name, "Hamming costs need integer hashes (uint16/32/64 or int16/32/64), got \(array.dtype)")
        }
    }
}

extension CostMatrix {
    /// The `N x M` Hamming cost matrix between two hash sequences of the same width (bits in which
    /// the codes differ, 0 ... width).
    /// - Throws: `RefrainError.invalidArgument` when the widths differ.
    public static func hamming(_ a: HashSequence, _ b: HashSequence) throws -> Matrix {
        switch (a, b) {
        case let (.bits16(x), .bits16(y)): return hamming(x, y)
        case let (.bits32(x), .bits32(y)): return hamming(x, y)
        case let (.bits64(x), .bits64(y)): return hamming(x, y)
        default:
            throw RefrainError.invalidArgument("hash widths differ: \(a.width) and \(b.width) bits")
        }
    }
}
