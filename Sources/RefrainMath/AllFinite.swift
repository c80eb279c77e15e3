/// Whether every value is finite (no NaN, no infinity), checked eight lanes at a time: `x - x` is 0
/// for finite `x` and NaN otherwise.
public func allFinite(_ values: [Float]) -> Bool {
    values.withUnsafeBufferPointer { allFinite($0) }
}

/// Whether every value at `p` is finite (as `allFinite(_:)` of an array).
public func allFinite(_ p: UnsafeBufferPointer<Float>) -> Bool {
    do {
        var acc = SIMD8<Float>()
        var i = 0
        while i + 8 <= p.count {
            let v = UnsafeRawPointer(p.baseAddress! + i).loadUnaligned(as: SIMD8<Float>.self)
            acc += v - v
            i += 8
        }
        var tail: Float = 0
        while i < p.count { tail += p[i] - p[i]; i += 1 }
        return (acc.sum() + tail) == 0
    }
}
