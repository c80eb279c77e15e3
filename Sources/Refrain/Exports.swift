// `import Refrain` is all an application needs: the public face re-exports every layer below it.
@_exported import RefrainAlign
@_exported import RefrainAudio
@_exported import RefrainFeatures
@_exported import RefrainMath
@_exported import RefrainSymbolic

/// Refrain's version, printed by `refrain --version` and stored in index metadata.
public let refrainVersion = "0.1.0"
@_exported import RefrainIndex
