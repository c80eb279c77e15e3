import Foundation
import RefrainMath
import RefrainSymbolic
import RefrainTestSupport

/// One JSON fixture written by scripts/reference/midi.py (pretty_midi's view of one MIDI file).
struct PrettyMIDIReference {
    let json: [String: Any]
    let midiURL: URL

    /// Every fixture whose MIDI file is available (corpus ones only when ../shared/corpus exists).
    static func all() throws -> [PrettyMIDIReference] {
        let dir = Fixtures.url("midi")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }.sorted()
        return try names.compactMap { name in
            let data = try Data(contentsOf: dir.appendingPathComponent(name))
            let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
            let file = json["file"] as! String
            if json["corpus"] as? Bool == true {
                guard let corpus = Fixtures.corpus else { return nil }
                return PrettyMIDIReference(json: json, midiURL: corpus.appendingPathComponent(file))
            }
            return PrettyMIDIReference(json: json, midiURL: dir.appendingPathComponent(file))
        }
    }

    var name: String { json["file"] as! String }
    func doubles(_ key: String) -> [Double] { (json[key] as? [Any] ?? []).map { ($0 as! NSNumber).doubleValue } }
    func rows(_ key: String) -> [[Double]] {
        (json[key] as? [[Any]] ?? []).map { $0.map { ($0 as! NSNumber).doubleValue } }
    }
    func shape(_ key: String) -> (Int, Int) {
        let s = json[key] as! [Int]
        return (s[0], s[1])
    }

    /// A dense `rows x cols` matrix from run-length runs `[row, start, length, value]`.
    func fromRuns(_ key: String, shapeKey: String) -> Matrix {
        let (r, c) = shape(shapeKey)
        var m = Matrix(rows: r, cols: c)
        for run in rows(key) {
            let p = Int(run[0]), s = Int(run[1]), n = Int(run[2])
            for j in s..<(s + n) { m[p, j] = Float(run[3]) }
        }
        return m
    }

    /// A dense matrix from sparse entries `[row, col, value]`.
    func fromSparse(_ key: String, shapeKey: String) -> Matrix {
        let (r, c) = shape(shapeKey)
        var m = Matrix(rows: r, cols: c)
        for e in rows(key) { m[Int(e[0]), Int(e[1])] = Float(e[2]) }
        return m
    }
}
