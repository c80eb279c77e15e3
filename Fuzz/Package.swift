// swift-tools-version:6.0
// libFuzzer harness for the MIDI reader, kept out of the main package because libFuzzer brings its own
// `main`. Build and run it with scripts/fuzz-midi.sh; Sources/ holds links to the real module sources.
import PackageDescription

let package = Package(
    name: "RefrainFuzz",
    targets: [
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f"),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas"),
        .systemLibrary(name: "CFluidSynth"),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng"),
        .target(name: "RefrainMath", dependencies: ["CFFTW", "CBLAS", "CPNG"]),
        .target(name: "RefrainSymbolic", dependencies: ["RefrainMath", "CFluidSynth"]),
        .executableTarget(name: "MIDIReaderFuzz", dependencies: ["RefrainSymbolic"],
                          swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
    ]
)
