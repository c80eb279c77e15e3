/// libFuzzer's driver, which the harnesses call from their `main` (libFuzzer brings its own).
@_silgen_name("LLVMFuzzerRunDriver")
private func llvmFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

/// One fuzzing input: any bytes; returns 0 (a finding is a crash, a failed precondition, a leak or a hang).
public typealias FuzzTarget = @convention(c) (UnsafePointer<UInt8>, Int) -> CInt

/// A harness's `main` (SwiftPM links an executable's `main` to `<module>_main`): `--seeds DIR` calls
/// `writeSeeds(DIR)`, where the harness has seeds to write; anything else goes to libFuzzer's driver with `target`.
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                     writeSeeds: ((String) -> CInt)? = nil, target: FuzzTarget) -> CInt {
    if let writeSeeds, argc == 3, let flag = argv?[1], String(cString: flag) == "--seeds", let folder = argv?[2] {
        return writeSeeds(String(cString: folder))
    }
    var count = argc
    var arguments = argv
    return llvmFuzzerRunDriver(&count, &arguments, target)
}
