import Foundation
import RefrainMath

extension IndexStore {
    /// Every item's array `name` in one block (`PackedArrays`), read from its pack file
    /// (`PackedArrayFile`, one read) when one exists for the current item set. Otherwise (first use, items
    /// added, removed or re-encoded, or a cut or damaged pack) it is built: rows of the newest readable earlier
    /// pack are reused for items whose array file is unchanged, the other items' `.npy` files are read, and the
    /// result is saved for later processes (kept in memory only when the index folder cannot be written).
    /// Items without the array are left out; all must share one element type and `dims`.
    public func packedArrays(named name: String) throws -> PackedArrays {
        guard Self.isSafeName(name) else { throw RefrainError.invalidArgument("array name '\(name)' is not [A-Za-z0-9_-]+") }
        let state = PackedArrayFile.state(array: name, setState: try arraySetState(named: name))
        let url = directory.appendingPathComponent(PackedArrayFile.relativePath(array: name, state: state))
        if FileManager.default.fileExists(atPath: url.path), let pack = try? PackedArrayFile.read(url, state: state) {
            return pack
        }
        let pack = try buildPack(name, reusing: newestEarlierPack(of: name, other: url.lastPathComponent))
        try? PackedArrayFile.save(pack, array: name, state: state, in: directory)
        return pack
    }

    /// The newest pack of `array` other than `other` that still reads (its own state is in its header, so it
    /// is decoded against that).
    private func newestEarlierPack(of array: String, other: String) -> PackedArrays? {
        let folder = directory.appendingPathComponent(PackedArrayFile.folder)
        let candidates = PackedArrayFile.others(of: array, in: directory)
            .filter { $0.hasSuffix(".pack") && $0 != other }
            .map { folder.appendingPathComponent($0) }
            .sorted {
                let a = (try? $0.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate) ?? .distantPast
                let b = (try? $1.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate) ?? .distantPast
                return a > b
            }
        for url in candidates {
            guard let bytes = try? [UInt8](Data(contentsOf: url)), bytes.count >= PackedArrayFile.headerSize else { continue }
            let state = bytes[48..<64].map { String(format: "%02x", $0) }.joined()
            if let pack = try? PackedArrayFile.decode(bytes, state: state, name: url.path) { return pack }
        }
        return nil
    }

    /// Packs the catalog's arrays `name`, copying rows of `earlier` whose item and file are unchanged.
    private func buildPack(_ name: String, reusing earlier: PackedArrays?) throws -> PackedArrays {
        let infos = try arrays(named: name).sorted { $0.itemID < $1.itemID }
        var earlierPosition: [Int64: Int] = [:]
        if let earlier { for (k, id) in earlier.ids.enumerated() { earlierPosition[id] = k } }
        guard let first = infos.first else {
            return try PackedArrays(dtype: .float32, dims: 1, ids: [], fileKeys: [], offsets: [0], bytes: [])
        }
        let dtype = first.dtype, dims = first.dims
        var ids: [Int64] = [], keys: [UInt64] = [], offsets = [0], bytes: [UInt8] = []
        ids.reserveCapacity(infos.count)
        for info in infos {
            guard info.dtype == dtype, info.dims == dims else {
                throw RefrainError(.index, "the arrays '\(name)' differ between items (\(first.dims) \(dtype.rawValue) values per frame in \(first.file), \(info.dims) \(info.dtype.rawValue) in \(info.file)); re-encode the index with `refrain reindex`")
            }
            let key = PackedArrays.fileKey(info.file)
            if let earlier, let k = earlierPosition[info.itemID], earlier.fileKeys[k] == key,
               earlier.dtype == dtype, earlier.dims == dims, earlier.frames(at: k) == info.frames {
                let size = dims * dtype.size
                bytes += earlier.bytes[(earlier.offsets[k] * size)..<(earlier.offsets[k + 1] * size)]
            } else {
                let npy = try NPY.read(directory.appendingPathComponent(info.file))
                guard npy.shape == [info.frames, info.dims], npy.dtype == dtype.npy else {
                    throw RefrainError(.index, "\(info.file): not the catalog's \(info.frames)x\(info.dims) \(dtype.rawValue) array")
                }
                bytes += npy.bytes
            }
            ids.append(info.itemID)
            keys.append(key)
            offsets.append(offsets[offsets.count - 1] + info.frames)
        }
        return try PackedArrays(dtype: dtype, dims: dims, ids: ids, fileKeys: keys, offsets: offsets, bytes: bytes)
    }
}
