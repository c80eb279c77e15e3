// swift-tools-version:6.0
import Foundation
import PackageDescription

/// Hot loops (DTW lanes, CQT kernels) are written with Swift SIMD types; they reach the machine's
/// vector width only when the compiler may use it. We build for the host CPU's vector extensions:
/// AVX-512 with BITALG (16-bit popcount, "icelake-server"), plain AVX-512 ("skylake-avx512"), or
/// AVX2 + FMA ("haswell", x86-64-v3), and fall back to the portable baseline otherwise, or when
/// REFRAIN_PORTABLE=1. A `SIMD16<Float>` is one zmm register on the first two, two ymm on the third.
let hostCPU: (swift: String, c: String)? = {
    guard ProcessInfo.processInfo.environment["REFRAIN_PORTABLE"] != "1",
          let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
    let has = Set(flags.split(separator: " ").map(String.init))
    let avx512 = ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"].allSatisfy(has.contains)
    if avx512 && has.contains("avx512_bitalg") && has.contains("avx512_vpopcntdq") {
        return ("icelake-server", "icelake-server")
    }
    if avx512 { return ("skylake-avx512", "skylake-avx512") }
    if has.contains("avx2") && has.contains("fma") { return ("haswell", "x86-64-v3") }
    return nil
}()
let vectorFlags: [SwiftSetting] = hostCPU.map { [.unsafeFlags(["-target-cpu", $0.swift])] } ?? []
let cVectorFlags: [CSetting] = hostCPU.map { [.unsafeFlags(["-march=\($0.c)"])] } ?? []

let package = Package(
    name: "Refrain",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "refrain", targets: ["refrain"]),
        .executable(name: "refrain-bench", targets: ["refrain-bench"]),
        .library(name: "Refrain", targets: ["Refrain"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.20.0"),
    ],
    targets: [
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f"),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas"),
        .systemLibrary(name: "CSndFile", pkgConfig: "sndfile"),
        .systemLibrary(name: "CSoxr", pkgConfig: "soxr"),
        .systemLibrary(name: "CFluidSynth"),  // its pkg-config flags (-pthread) are refused by SwiftPM
        .systemLibrary(name: "CPNG", pkgConfig: "libpng"),
        .systemLibrary(name: "CMalloc"),  // glibc's <malloc.h>, for ProcessMemory
        .systemLibrary(name: "CStdio"),  // C stdio's buffering of stdout, for StandardOutput
        // A C shim over the header-only hnswlib (Debian libhnswlib-dev): Swift's C++ interop cannot link it directly.
        .target(name: "CHNSW", cxxSettings: [.unsafeFlags(["-std=c++17", "-O3"] + (hostCPU.map { ["-march=\($0.c)"] } ?? []))]),

        .target(name: "RefrainMath", dependencies: ["CFFTW", "CBLAS", "CPNG", "CMalloc", "CStdio"], swiftSettings: vectorFlags),
        .target(name: "RefrainAudio", dependencies: ["RefrainMath", "CSndFile", "CSoxr"], swiftSettings: vectorFlags),
        .target(name: "RefrainFeatures", dependencies: ["RefrainMath", "RefrainAudio"], swiftSettings: vectorFlags),
        .target(name: "RefrainSymbolic", dependencies: ["RefrainMath", "CFluidSynth"], swiftSettings: vectorFlags),
        // Soft-DTW's wavefront kernel in C with clang vector extensions (lane shifts as single permutes).
        .target(name: "CSoftDTW", cSettings: [.unsafeFlags(["-O3"])] + cVectorFlags),
        .target(name: "RefrainAlign", dependencies: ["RefrainMath", "CSoftDTW"], swiftSettings: vectorFlags),
        // Optimiser updates in C (a vectorised square root; Swift's goes through libm's sqrtf element by element).
        .target(name: "CLearnKernels", cSettings: [.unsafeFlags(["-O3", "-fno-math-errno"])] + cVectorFlags),
        .target(name: "RefrainLearn", dependencies: ["RefrainMath", "RefrainAlign", "CLearnKernels"], swiftSettings: vectorFlags),
        .target(name: "RefrainIndex",
                dependencies: ["RefrainMath", "RefrainLearn", "CHNSW", .product(name: "GRDB", package: "GRDB.swift")],
                swiftSettings: vectorFlags),
        // Resources/models: the shipped weights of the learned encoders (LearnedModel.shipped).
        .target(name: "Refrain",
                dependencies: ["RefrainMath", "RefrainAudio", "RefrainFeatures", "RefrainSymbolic", "RefrainAlign", "RefrainLearn", "RefrainIndex"],
                resources: [.copy("Resources/models")],
                swiftSettings: vectorFlags),
        // The HTTP API and the web page (`refrain serve`); its page, script, style and OpenAPI document are
        // compiled into the binary.
        .target(name: "RefrainServer",
                dependencies: ["Refrain", .product(name: "Hummingbird", package: "hummingbird"),
                               .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"),
                               .product(name: "HTTPTypes", package: "swift-http-types"),
                               .product(name: "NIOHTTPTypes", package: "swift-nio-extras")],
                resources: [.embedInCode("Assets/index.html"), .embedInCode("Assets/app.css"), .embedInCode("Assets/app.js"),
                            .embedInCode("Assets/openapi.json")]),
        .executableTarget(name: "refrain",
                          dependencies: ["Refrain", "RefrainServer", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: vectorFlags),
        // Benchmarks against the peer libraries (librosa, pretty_midi, tslearn, dtaidistance, PyTorch, wrk).
        // Component benchmarks time one module's functions, so this target also sees the modules below Refrain.
        .executableTarget(name: "refrain-bench",
                          dependencies: ["Refrain", "RefrainMath", "RefrainAudio", "RefrainFeatures", "RefrainSymbolic",
                                         "RefrainAlign", "RefrainLearn", "RefrainIndex",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: vectorFlags),

        .target(name: "RefrainTestSupport", path: "Tests/RefrainTestSupport"),
        .testTarget(name: "RefrainMathTests", dependencies: ["RefrainMath", "RefrainTestSupport"]),
        .testTarget(name: "RefrainAudioTests", dependencies: ["RefrainAudio", "RefrainTestSupport"]),
        .testTarget(name: "RefrainFeaturesTests", dependencies: ["RefrainFeatures", "RefrainAudio", "RefrainTestSupport"]),
        .testTarget(name: "RefrainSymbolicTests", dependencies: ["RefrainSymbolic", "RefrainTestSupport"]),
        .testTarget(name: "RefrainAlignTests", dependencies: ["RefrainAlign", "RefrainTestSupport"]),
        .testTarget(name: "RefrainLearnTests", dependencies: ["RefrainLearn", "RefrainMath", "RefrainAlign", "RefrainTestSupport"]),
        .testTarget(name: "RefrainTests", dependencies: ["Refrain", "RefrainMath", "RefrainAudio", "RefrainFeatures", "RefrainSymbolic",
                                                       "RefrainAlign", "RefrainLearn", "RefrainIndex", "RefrainTestSupport"]),
        .testTarget(name: "RefrainIndexTests", dependencies: ["RefrainIndex", "RefrainTestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        // Runs the built `refrain` executable (Sources/refrain) as a user would.
        .testTarget(name: "RefrainServerTests",
                    dependencies: ["RefrainServer", "Refrain", "RefrainTestSupport",
                                   .product(name: "Hummingbird", package: "hummingbird"),
                                   .product(name: "HummingbirdTesting", package: "hummingbird"),
                                   .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"),
                                   .product(name: "HTTPTypes", package: "swift-http-types")]),
        .testTarget(name: "RefrainCLITests", dependencies: ["RefrainMath", "RefrainAudio", "RefrainSymbolic", "RefrainTestSupport"]),
    ]
)
