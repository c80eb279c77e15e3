// swift-tools-version:6.0
// libFuzzer harnesses for the parsers of hostile files: the MIDI reader, the HNSW graph loader, the audio
// decoder (libsndfile and Refrain's reading around it) and the .npy / .npz readers. Kept out
// of the main package because libFuzzer brings its own `main`. Build and run them with scripts/fuzz.sh;
// Sources/ holds links to the real module sources.
import PackageDescription

let package = Package(
    name: "RefrainFuzz",
    targets: [
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f"),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas"),
        .systemLibrary(name: "CFluidSynth"),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng"),
        .systemLibrary(name: "CMalloc"),
        .systemLibrary(name: "CStdio"),
        .systemLibrary(name: "CSndFile", pkgConfig: "sndfile"),
        .systemLibrary(name: "CSoxr", pkgConfig: "soxr"),
        .target(name: "RefrainMath", dependencies: ["CFFTW", "CBLAS", "CPNG", "CMalloc", "CStdio"]),
        .target(name: "RefrainAudio", dependencies: ["RefrainMath", "CSndFile", "CSoxr"]),
        .target(name: "RefrainSymbolic", dependencies: ["RefrainMath", "CFluidSynth"]),
        // hnswlib's SSE prefetches read one id past a full link list (harmless: a prefetch address, inside
        // malloc's rounding), which AddressSanitizer would report on every search; the portable code has none.
        .target(name: "CHNSW", cxxSettings: [.define("NO_MANUAL_VECTORIZATION"), .unsafeFlags(["-std=c++17", "-O2"])]),
        .executableTarget(name: "MIDIReaderFuzz", dependencies: ["RefrainSymbolic", "FuzzDriver"],
                          swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        .target(name: "FuzzDriver"),
        .executableTarget(name: "AudioDecodeFuzz", dependencies: ["RefrainAudio", "FuzzDriver"],
                          swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        .executableTarget(name: "NPYReaderFuzz", dependencies: ["RefrainMath", "FuzzDriver"],
                          swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
        .executableTarget(name: "HNSWLoadFuzz", dependencies: ["CHNSW", "FuzzDriver"],
                          swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
    ]
)
