import Foundation
import RefrainIndex
import RefrainMath

/// Draws the training batches of the shingle reducer from `ShinglePiece`s: a batch holds `pieces` pieces, and
/// of each `passages` passages at least one shingle length apart in the score. A passage is a pair of shingles
/// of two versions of the piece, the second starting where the score time of the first's middle frame falls in
/// its version (alignment through the tempo maps). Labels number the passages: the two shingles of a passage
/// are positives; every other shingle of the batch is a negative, the other passages of the same piece being
/// the hard ones (the same instruments, key and texture, another place in the music).
struct ShingleTriplets {
    /// Every shingle (hop 1) of every version of a piece, transformed, and its middle frame's score time.
    struct Piece {
        var shingles: [Matrix]
        var middles: [[Float]]
    }

    let length: Int
    let width: Int
    let pieces: [Piece]

    /// Shingles of `length` frames of every version, transformed by `transform`; pieces with fewer than two
    /// versions long enough for a shingle are left out.
    init(_ source: [ShinglePiece], length: Int, transform: ShingleTransform) {
        self.length = length
        width = transform.width(length: length, dims: 12)
        pieces = source.compactMap { piece in
            var shingles: [Matrix] = [], middles: [[Float]] = []
            for version in piece.versions {
                let starts = Shingles.starts(frames: version.cens.rows, length: length, hop: 1)
                guard !starts.isEmpty else { continue }
                shingles.append(version.cens.storage.withUnsafeBufferPointer {
                    transform.indexShingles($0, dims: version.cens.cols, length: length, starts: starts)
                })
                middles.append(starts.map { version.referenceTimes[$0 + length / 2] })
            }
            return shingles.count >= 2 ? Piece(shingles: shingles, middles: middles) : nil
        }
    }

    /// The shingle of version `b` whose middle is nearest `time` in the score (within `tolerance` seconds).
    static func nearest(_ middles: [Float], to time: Float, tolerance: Float) -> Int? {
        var best: Int?, gap = tolerance
        for (i, m) in middles.enumerated() where m.isFinite && abs(m - time) <= gap {
            best = i
            gap = abs(m - time)
        }
        return best
    }

    /// A batch of `pieces x passages x 2` shingles (`batch x width`, rows in pairs) and their passage labels;
    /// nil when fewer than two pieces give a passage. `minimumGap`: seconds between a piece's passages.
    func batch(pieces count: Int, passages: Int, minimumGap: Float, random: inout SplitMix64) -> (x: [Float], labels: [Int])? {
        var x: [Float] = [], labels: [Int] = []
        var chosen = Array(pieces.indices)
        chosen.shuffle(using: &random)
        var used = 0
        for p in chosen where used < count {
            let piece = pieces[p]
            var times: [Float] = []
            for _ in 0..<(passages * 4) where times.count < passages {
                let a = Int(random.next() % UInt64(piece.shingles.count))
                var b = Int(random.next() % UInt64(piece.shingles.count - 1))
                if b >= a { b += 1 }
                let i = Int(random.next() % UInt64(piece.shingles[a].rows))
                let time = piece.middles[a][i]
                guard time.isFinite, times.allSatisfy({ abs($0 - time) >= minimumGap }),
                      let j = Self.nearest(piece.middles[b], to: time, tolerance: 1) else { continue }
                times.append(time)
                x += piece.shingles[a].row(i) + piece.shingles[b].row(j)
                labels += [labels.count / 2, labels.count / 2]
            }
            if !times.isEmpty { used += 1 }
        }
        return used >= 2 ? (x, labels) : nil
    }
}
