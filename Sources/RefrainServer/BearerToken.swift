/// The token write requests must present (`Authorization: Bearer TOKEN`), compared in constant time.
struct BearerToken: Sendable {
    private let expected: [UInt8]

    init(_ token: String) { expected = Array(token.utf8) }

    /// Whether an `Authorization` header carries the token. The comparison's time depends only on the length of
    /// what was presented, never on how much of it matches, nor on the expected token's length.
    func accepts(authorization: String?) -> Bool {
        guard let authorization else { return false }
        let scheme = "bearer "
        guard authorization.utf8.count > scheme.utf8.count,
              authorization.prefix(scheme.count).lowercased() == scheme else { return false }
        let presented = Array(authorization.utf8.dropFirst(scheme.utf8.count))
        return Self.constantTimeEqual(presented, expected)
    }

    /// `a == b` by XOR-accumulating every byte of `a` against `b` (cycled), plus the length difference: no early
    /// exit, so the time taken tells nothing about `b`.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard !b.isEmpty else { return false }
        var difference = UInt(bitPattern: a.count ^ b.count)
        for i in 0..<a.count {
            difference |= UInt(a[i] ^ b[i % b.count])
        }
        return difference == 0
    }
}
