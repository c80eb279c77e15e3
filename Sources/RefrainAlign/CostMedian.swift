import RefrainMath

extension CostMatrix {
    /// Median of a matrix's finite entries (0 when there are none; the mean of the two middle ones for an even
    /// count): Raffel & Ellis's default penalty (ICASSP 2016). The same value as sorting the finite entries and
    /// reading the middle, found without copying the matrix: a histogram of the top 16 bits of each entry's
    /// order-preserving bit key (sign, exponent, 7 mantissa bits: a pass over the entries), then only the entries
    /// of the bin that holds the middle are gathered and selected (a few hundred of a 500 x 500 cost matrix's
    /// 250,000). Two linear passes instead of a copy and Hoare's selection over all entries, whose unpredictable
    /// branches made it about half of the exact stage's CPU in the learned cascade (issue 20, seventeenth round).
    /// `+0` and `-0` are equal as values but `-0` sorts first here; either is the median when it is.
    public static func median(of cost: Matrix) -> Float {
        cost.storage.withUnsafeBufferPointer { medianOfFinite($0) }
    }

    /// The median of the finite values of `values` (0 when there are none), as `median(of:)`.
    static func medianOfFinite(_ values: UnsafeBufferPointer<Float>) -> Float {
        let bins = 1 << 16
        var histogram = [UInt32](repeating: 0, count: bins)
        var n = 0
        histogram.withUnsafeMutableBufferPointer { h in
            for v in values {
                let u = v.bitPattern
                guard u & 0x7F80_0000 != 0x7F80_0000 else { continue }  // infinite or NaN
                h[Int(orderKey(u) >> 16)] &+= 1
                n += 1
            }
        }
        guard n > 0 else { return 0 }
        // The bin of the upper middle (0-based rank n / 2) and how many finite entries lie in the bins below it.
        let k = n / 2
        var bin = 0, below = 0
        histogram.withUnsafeBufferPointer { h in
            while below + Int(h[bin]) <= k { below += Int(h[bin]); bin += 1 }
        }
        var bucket: [Float] = []
        bucket.reserveCapacity(Int(histogram[bin]))
        var highestBelow: UInt32 = 0, anyBelow = false
        for v in values {
            let u = v.bitPattern
            guard u & 0x7F80_0000 != 0x7F80_0000 else { continue }
            let key = orderKey(u), at = Int(key >> 16)
            if at == bin {
                bucket.append(v)
            } else if at < bin, !anyBelow || key > highestBelow {
                highestBelow = key
                anyBelow = true
            }
        }
        let rank = k - below
        return bucket.withUnsafeMutableBufferPointer { p -> Float in
            let upper = select(p, rank)
            guard n % 2 == 0 else { return upper }
            // The lower middle: the largest entry left of the upper middle in its bin, or the largest of the bins below.
            var lower = -Float.infinity
            if rank > 0 {
                for i in 0..<rank where p[i] > lower { lower = p[i] }
            } else if anyBelow {
                lower = Float(bitPattern: keyBits(highestBelow))
            }
            return 0.5 * (lower + upper)
        }
    }

    /// An unsigned key in the order of the floats (for finite values; `-0` just before `+0`): positive floats with
    /// the sign bit set, negative ones with every bit flipped.
    @inline(__always)
    static func orderKey(_ bits: UInt32) -> UInt32 {
        bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
    }

    /// The float bits of an `orderKey`.
    @inline(__always)
    static func keyBits(_ key: UInt32) -> UInt32 {
        key & 0x8000_0000 != 0 ? key & 0x7FFF_FFFF : ~key
    }
}
