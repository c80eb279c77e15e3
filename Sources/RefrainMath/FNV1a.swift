import Foundation

/// The 64-bit FNV-1a hash (Fowler, Noll & Vo): offset basis 0xcbf29ce484222325, prime 0x100000001b3, one byte at
/// a time. Not a cryptographic hash (that is `SHA256`): a stable, platform-independent key or seed for short texts
/// (packed-array file keys, per-piece seeds, a fingerprint of a ranking). Text added in pieces hashes as the pieces
/// joined.
public struct FNV1a: Sendable, Equatable {
    /// The hash of everything added so far.
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    /// Adds `text`'s UTF-8 bytes.
    public mutating func add(_ text: String) {
        for byte in text.utf8 { value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
    }

    /// The hash of `text`'s UTF-8 bytes.
    public static func hash(_ text: String) -> UInt64 {
        var hasher = FNV1a()
        hasher.add(text)
        return hasher.value
    }
}
