import Foundation
import RefrainMath

/// Segment boundaries for beat-synchronous pooling with `librosa.util.fix_frames` semantics: frames
/// clipped to `0...frameCount`, with `pad` also 0 and `frameCount` added, sorted and made unique.
public func segmentBoundaries(_ frames: [Int], frameCount: Int, pad: Bool = true) throws -> [Int] {
    guard frames.allSatisfy({ $0 >= 0 }) else { throw RefrainError.invalidArgument("negative frame index") }
    var b = pad ? frames.map { min($0, frameCount) } + [0, frameCount] : frames.filter { $0 <= frameCount }
    b = Array(Set(b)).sorted()
    return b
}

/// Pools `features` (`frames x dims`) over the segments between consecutive boundaries
/// (`librosa.util.sync(data, frames, aggregate=..., pad=pad)` along time): one row per segment, the
/// mean or median of its frames, timed at the segment's first frame. With `pad`, the segments start at
/// frame 0 and end at the last frame, so every frame is pooled once.
///
/// - Parameters:
///   - features: `frames x dims`.
///   - frames: boundary frames, e.g. `BeatTrack.frames` (same frame rate as `features`).
/// - Returns: `segments x dims`.
public func beatSynchronous(_ features: FeatureSequence, frames: [Int], aggregate: FrequencyAggregate = .mean,
                            pad: Bool = true) throws -> FeatureSequence {
    let bounds = try segmentBoundaries(frames, frameCount: features.frameCount, pad: pad)
    let dims = features.dimension
    let segments = max(0, bounds.count - 1)
    var out = Matrix(rows: segments, cols: dims)
    var times: [Double] = []
    times.reserveCapacity(segments)
    var column = [Float]()
    features.values.storage.withUnsafeBufferPointer { s in
        out.storage.withUnsafeMutableBufferPointer { o in
            for seg in 0..<segments {
                let lo = bounds[seg], hi = bounds[seg + 1]
                times.append(features.times[lo])
                let len = hi - lo
                switch aggregate {
                case .mean:
                    for t in lo..<hi { for d in 0..<dims { o[seg * dims + d] += s[t * dims + d] } }
                    for d in 0..<dims { o[seg * dims + d] /= Float(len) }
                case .median:
                    column = [Float](repeating: 0, count: len)
                    for d in 0..<dims {
                        for t in lo..<hi { column[t - lo] = s[t * dims + d] }
                        o[seg * dims + d] = column.withUnsafeMutableBufferPointer { median($0) }
                    }
                }
            }
        }
    }
    return FeatureSequence(values: out, times: times)
}
