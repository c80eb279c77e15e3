import Foundation
import Refrain
import RefrainFeatures

/// Diagnostics for `refrain-bench humming --octave-stats`: the subharmonic-to-harmonic ratio (`SubharmonicCheck`)
/// of the plain pYIN track's voiced frames, split by whether the frame is within 50 cents of the f0 the hum was made
/// with ("right") or within 100 cents of twice it ("octave up"), per noise and register; quantiles printed at the end.
struct HummingOctaveStats {
    var ratios: [String: [Double]] = [:]

    mutating func add(_ query: HumQuery, pitch: PYINParameters) throws {
        let track = try SubharmonicCheck.hummedTrack(query.samples, parameters: pitch, check: nil)
        let check = SubharmonicCheck(ratio: 0), window = SubharmonicCheck.hann(pitch.yin.frameLength)
        let group = "\(query.info.noise.rawValue) \(query.info.register.rawValue)"
        for t in 0..<track.frameCount where track.voiced[t] {
            let i = Int((track.times[t] * query.sampleRate / Double(query.f0Hop)).rounded())
            guard query.intendedF0.indices.contains(i), query.intendedF0[i].isFinite else { continue }
            let cents = 1200 * log2(Double(track.f0[t] / query.intendedF0[i]))
            let kind = abs(cents) < 50 ? "right" : abs(cents - 1200) < 100 ? "octave up" : nil
            guard let kind else { continue }
            let ratio = check.subharmonicRatio(query.samples, centre: Int((track.times[t] * query.sampleRate).rounded()), f0: Double(track.f0[t]),
                                               sampleRate: query.sampleRate, window: window)
            ratios["\(group) \(kind)", default: []].append(ratio)
        }
    }

    func report() {
        print("subharmonic-to-harmonic ratio of plain pYIN frames (quantiles 0.05 0.1 0.25 0.5 0.75 0.9 0.95; share above 0.2 0.3 0.5)")
        for (key, values) in ratios.sorted(by: { $0.key < $1.key }) {
            let v = values.sorted()
            let q = [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95].map { fmt(v[min(v.count - 1, Int($0 * Double(v.count)))], 3) }
            let above = [0.2, 0.3, 0.5].map { x in fmt(Double(v.filter { $0 > x }.count) / Double(v.count), 3) }
            print("\(key.padding(toLength: 26, withPad: " ", startingAt: 0)) \(v.count) frames: \(q.joined(separator: " ")); above: \(above.joined(separator: " "))")
        }
    }
}
