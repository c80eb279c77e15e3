import Foundation
import FuzzDriver
import RefrainMath

/// libFuzzer entry point: any bytes, read as a `.npy` file and as an `.npz` archive (the formats of feature
/// matrices, metrics and model weights a user hands to `refrain`), must give an array or members, or a
/// `RefrainError`, never a crash or a hang. What reads is written again and must read back equal.
@_cdecl("LLVMFuzzerTestOneInput")
public func npyReaderFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    if let array = try? NPY.decode(bytes) {
        roundTrip(array)
    }
    if let members = try? NPZ.decode(bytes) {
        guard let again = try? NPZ.decode(NPZ.encode(members)), again == members else {
            fatalError("members read from fuzz input wrote an archive that does not read back equal")
        }
        for member in members where member.name.hasSuffix(".npy") {
            if let array = try? NPY.decode(member.bytes) { roundTrip(array) }
        }
    }
    return 0
}

/// Writes `array`, reads it back (it must be equal) and, for one or two dimensions, converts it to a matrix.
func roundTrip(_ array: NPYArray) {
    guard let again = try? NPY.decode(NPY.encode(array)), again == array else {
        fatalError("an array read from fuzz input wrote a .npy file that does not read back equal")
    }
    if array.shape.count <= 2, array.count <= 1 << 20 { _ = try? array.matrix() }
}

/// Writes small `.npy` files of every element type Refrain reads (C and Fortran order, big-endian, 0-3
/// dimensions, versions 1.0 and 2.0) and an `.npz` archive of some of them into `folder`: the seeds a fuzzing
/// run mutates.
func writeSeeds(to folder: String) -> CInt {
    var files: [(String, Data)] = []
    for dtype in NPYArray.DType.allCases {
        for shape in [[], [3], [2, 3], [2, 1, 2]] {
            let count = shape.reduce(1, *)
            let array = NPYArray(dtype: dtype, shape: shape, bytes: (0..<(count * dtype.size)).map { UInt8(truncatingIfNeeded: $0 * 37) })
            files.append(("\(dtype.rawValue.dropFirst())-\(shape.count)d.npy", NPY.encode(array)))
        }
    }
    func handWritten(_ header: String, version: UInt8, payload: [UInt8]) -> Data {
        var data = Data(NPY.magic)
        data.append(contentsOf: [version, 0])
        let length = header.utf8.count
        data.append(contentsOf: version == 1 ? [UInt8(length & 0xFF), UInt8(length >> 8)]
                                             : [UInt8(length & 0xFF), UInt8(length >> 8 & 0xFF), 0, 0])
        data.append(contentsOf: Array(header.utf8))
        data.append(contentsOf: payload)
        return data
    }
    files.append(("fortran.npy", handWritten("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }\n", version: 1,
                                            payload: (0..<24).map { UInt8($0) })))
    files.append(("bigendian-v2.npy", handWritten("{'descr': '>i4', 'fortran_order': False, 'shape': (3,), }\n", version: 2,
                                                 payload: (0..<12).map { UInt8($0) })))
    let members = files.prefix(4).map { NPZ.Member(name: $0.0, bytes: $0.1) } + [NPZ.Member(name: "architecture.json", bytes: Data("{\"kind\": \"seed\"}".utf8))]
    files.append(("archive.npz", NPZ.encode(members)))
    for (name, data) in files {
        do { try data.write(to: URL(fileURLWithPath: folder).appendingPathComponent(name)) } catch { return 1 }
    }
    return 0
}

/// `NPYReaderFuzz --seeds DIR` writes the seed files; anything else goes to libFuzzer's driver.
@_cdecl("NPYReaderFuzz_main")
public func harnessMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    fuzzMain(argc, argv, writeSeeds: writeSeeds(to:)) { data, size in npyReaderFuzz(data, size) }
}
