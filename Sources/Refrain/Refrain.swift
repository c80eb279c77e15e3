// Refrain: find music by its content.
//
// `Engine` is the one public entry: the command line, the server and the benchmarks open an index through it,
// add and remove files or bytes, and query it with a typed input (`QueryInput`) under a `SearchTask`. The
// modules below (RefrainMath, RefrainAudio, RefrainFeatures, RefrainSymbolic, RefrainAlign, RefrainIndex) are
// not re-exported: the types an application needs from them are named here (`PublicTypes.swift`).

/// Refrain's version, printed by `refrain --version` and stored in index metadata.
public let refrainVersion = "0.2.0"
