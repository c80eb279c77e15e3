import CHNSW
import Foundation
import FuzzDriver

/// libFuzzer entry point for the HNSW graph loader (`chnsw_load`): any file must load or be refused with an
/// error, never crash; a graph that loads must answer a search. The graphs are 4-dimensional, L2.
@_cdecl("LLVMFuzzerTestOneInput")
public func hnswLoadFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = scratchPath
    guard let file = fopen(path, "wb") else { return 0 }
    fwrite(data, 1, size, file)
    fclose(file)
    var error = [CChar](repeating: 0, count: 256)
    guard let graph = chnsw_load(path, 4, CHNSW_L2, 0, &error, 256) else { return 0 }
    defer { chnsw_free(graph) }
    let query: [Float] = [0.1, -0.2, 0.3, 0.4]
    var labels = [UInt64](repeating: 0, count: 5)
    var distances = [Float](repeating: 0, count: 5)
    _ = chnsw_search(graph, query, 5, 20, &labels, &distances, &error, 256)
    return 0
}

/// One scratch file per fuzzing process.
let scratchPath = FileManager.default.temporaryDirectory.appendingPathComponent("hnsw-fuzz-\(getpid()).bin").path

/// Writes small valid graphs (1, 7 and 60 points) into `folder`: the seeds a fuzzing run mutates.
func writeSeeds(to folder: String) -> CInt {
    var error = [CChar](repeating: 0, count: 256)
    for points in [1, 7, 60] {
        guard let graph = chnsw_create(4, CHNSW_L2, 4, 16, Int64(points), 1, &error, 256) else { return 1 }
        for p in 0..<points {
            let v: [Float] = (0..<4).map { Float(sin(Double(p * 4 + $0))) }
            guard chnsw_add(graph, v, UInt64(p * 3), &error, 256) == 0 else { return 1 }
        }
        if points == 60 { _ = chnsw_mark_deleted(graph, 9, &error, 256) }
        guard chnsw_save(graph, "\(folder)/graph-\(points).hnsw", &error, 256) == 0 else { return 1 }
        chnsw_free(graph)
    }
    return 0
}

/// `HNSWLoadFuzz --seeds DIR` writes the seed files; anything else goes to libFuzzer's driver.
@_cdecl("HNSWLoadFuzz_main")
public func harnessMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    fuzzMain(argc, argv, writeSeeds: writeSeeds(to:)) { data, size in hnswLoadFuzz(data, size) }
}
