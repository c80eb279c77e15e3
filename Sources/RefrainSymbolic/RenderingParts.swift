import Foundation

extension MIDIScore {
    /// The score cut into at most `count` scores that render, one synthesizer each, to audio whose sum is close
    /// to the whole score's rendering, so that a score can be rendered on several threads. Close, not equal: in
    /// `RenderingPartsTests` the largest sample difference is 1.2-1.7 % of the peak (the cause was not found).
    ///
    /// FluidSynth with reverb and chorus off (as `MIDIRenderer` runs it) adds its voices together, and a voice
    /// depends mostly on its note and its channel's state (program, controls, bends). So a part may hold any
    /// notes as long as what makes voices interact stays in one part: a drum instrument goes whole to one part
    /// (its exclusive classes, such as the open and the closed hi-hat, cut each other), and a pitched
    /// instrument's notes are dealt out by key (a key struck again on its channel ends its own earlier voice);
    /// every part that holds notes of an instrument gets all of its control changes and pitch bends. The parts
    /// are balanced by sounding time (each note's duration plus `release` seconds), the longest groups first,
    /// each into the lightest part so far (Graham's greedy schedule).
    ///
    /// Returns `[self]` when `count` is below 2, when the score has more instruments than `MIDIRenderer` has
    /// channels (there instruments share channels) or when the notes form a single group.
    /// - Parameters:
    ///   - count: parts wanted (threads to render on).
    ///   - release: seconds added to each note's duration when weighing parts (a typical release).
    public func renderingParts(_ count: Int, release: Double = 0.3) -> [MIDIScore] {
        guard count >= 2, instruments.count <= MIDIRenderer.channelCount else { return [self] }
        // Groups: a drum instrument, or one key of a pitched instrument (`key` -1 for drums).
        struct Group: Hashable { let instrument: Int; let key: Int }
        var weight: [Group: Double] = [:]
        for (i, instrument) in instruments.enumerated() {
            for note in instrument.notes {
                weight[Group(instrument: i, key: instrument.isDrum ? -1 : note.pitch), default: 0] += max(0, note.duration) + release
            }
        }
        guard weight.count >= 2 else { return [self] }
        let ordered = weight.sorted { a, b in
            a.value != b.value ? a.value > b.value : (a.key.instrument, a.key.key) < (b.key.instrument, b.key.key)
        }
        var load = [Double](repeating: 0, count: min(count, weight.count))
        var part: [Group: Int] = [:]
        for (group, w) in ordered {
            let lightest = load.indices.min { load[$0] < load[$1] }!
            part[group] = lightest
            load[lightest] += w
        }
        return load.indices.map { p in
            var score = self
            score.instruments = instruments.enumerated().compactMap { i, instrument in
                var kept = instrument
                kept.notes = instrument.notes.filter { part[Group(instrument: i, key: instrument.isDrum ? -1 : $0.pitch)] == p }
                return kept.notes.isEmpty ? nil : kept
            }
            return score
        }
    }
}
