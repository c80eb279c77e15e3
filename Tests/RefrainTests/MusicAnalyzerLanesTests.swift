import Foundation
@testable import Refrain
import RefrainIndex
import RefrainMath
import RefrainSymbolic
import RefrainTestSupport
import XCTest

/// `MusicAnalyzer.analysis(of:encoders:lanes:)` on two lanes: encoders run side by side, each lane with the
/// source's threads; a score's arrays (render, `cqt_beats`, `cens`, the shipped embedder and hasher) equal those
/// of the encoders run one after another on the whole source; an error is the first failed encoder's.
final class MusicAnalyzerLanesTests: XCTestCase {
    /// An encoder that notes the threads its source has, and meets `partner` (waits up to 5 s for it to start).
    struct Meeting: MusicEncoder {
        let name: String
        let started: DispatchSemaphore, partner: DispatchSemaphore
        let log: Log
        final class Log: @unchecked Sendable {
            let lock = NSLock()
            var entries: [String] = []
            func add(_ entry: String) { lock.lock(); entries.append(entry); lock.unlock() }
        }
        var record: EncoderRecord { EncoderRecord(name: name, version: 1, settings: [:], dims: 1) }
        var inputs: Set<InputKind> { [.audio] }
        func encode(_ source: AnalysisSource) throws -> EncodedArray {
            started.signal()
            let met = partner.wait(timeout: .now() + 5) == .success
            log.add("\(name) threads \(source.threads) met \(met)")
            if name.hasPrefix("fail") { throw RefrainError.invalidArgument("\(name) failed") }
            return .features(FeatureSequence(values: Matrix(rows: 1, cols: 1), times: [0]))
        }
    }

    func pair(_ a: String, _ b: String, log: Meeting.Log) -> [any MusicEncoder] {
        let first = DispatchSemaphore(value: 0), second = DispatchSemaphore(value: 0)
        return [Meeting(name: a, started: first, partner: second, log: log), Meeting(name: b, started: second, partner: first, log: log)]
    }

    func source(threads: Int) -> AnalysisSource {
        AnalysisSource(signal: AudioSignal(samples: [Float](repeating: 0, count: 4096), sampleRate: 22050), name: "silence", threads: threads)
    }

    func testTwoLanesRunEncodersSideBySideWithTheSourcesThreads() throws {
        let analyzer = MusicAnalyzer(encoders: [], renderers: RendererPool(soundfont: nil, size: 1))
        let log = Meeting.Log()
        let analysis = try analyzer.analysis(of: source(threads: 2), encoders: pair("a", "b", log: log), lanes: 2)
        XCTAssertEqual(Set(analysis.features.keys), ["a", "b"])
        XCTAssertEqual(Set(log.entries), ["a threads 2 met true", "b threads 2 met true"], "each met the other while running")
    }

    func testAnErrorIsTheFirstFailedEncodersInOrder() throws {
        let analyzer = MusicAnalyzer(encoders: [], renderers: RendererPool(soundfont: nil, size: 1))
        XCTAssertThrowsError(try analyzer.analysis(of: source(threads: 2), encoders: pair("a", "fail-b", log: Meeting.Log()), lanes: 2)) { error in
            XCTAssertEqual("\(error)", "\(RefrainError.invalidArgument("fail-b failed"))")
        }
        XCTAssertThrowsError(try analyzer.analysis(of: source(threads: 2), encoders: pair("fail-a", "fail-b", log: Meeting.Log()), lanes: 2)) { error in
            XCTAssertEqual("\(error)", "\(RefrainError.invalidArgument("fail-a failed"))")
        }
    }

    func testAScoresArraysOnTwoLanesEqualTheEncodersInOrder() throws {
        let tune = try XCTUnwrap(BuiltInTune.all.first { $0.key == "ode-to-joy" })
        let score = try tune.score()
        let renderers = RendererPool(soundfont: nil, size: 2, interpolation: .linear, renderRate: 16000)
        let encoders: [any MusicEncoder] = [try CQTBeatsEncoder(), try CENSEncoder(), try EmbeddingEncoder.shipped(), try HashEncoder.shipped()]
        let analyzer = MusicAnalyzer(encoders: encoders, renderers: renderers)
        XCTAssertEqual(HashedMIDIToAudioTask().analysisLanes, 2)
        let lanes = try analyzer.analysis(of: try AnalysisSource(score: score, bytes: nil, name: "ode", renderers: renderers, threads: 2),
                                          encoders: encoders, lanes: HashedMIDIToAudioTask().analysisLanes)
        // The encoders one after another on the whole source (two threads each), as before the lanes.
        let whole = try AnalysisSource(score: score, bytes: nil, name: "ode", renderers: renderers, threads: 2)
        var features: [String: FeatureSequence] = [:], codes: [String: CodeSequence] = [:]
        for encoder in encoders {
            switch try encoder.encode(whole) {
            case .features(let sequence): features[encoder.name] = sequence
            case .codes(let sequence): codes[encoder.name] = sequence
            }
        }
        XCTAssertEqual(Set(lanes.features.keys), [CQTBeatsEncoder.name, CENSEncoder.name, EmbeddingEncoder.name])
        for (name, sequence) in features {
            XCTAssertEqual(lanes.features[name]?.values, sequence.values, name)
            XCTAssertEqual(lanes.features[name]?.times, sequence.times, name)
        }
        XCTAssertEqual(lanes.codes[HashEncoder.name]?.array, codes[HashEncoder.name]?.array)
        XCTAssertGreaterThan(codes[HashEncoder.name]?.frameCount ?? 0, 10)
        // Two lanes asked for with one thread run as one lane: the encoders in order on a one-thread source.
        let one = try analyzer.analysis(of: try AnalysisSource(score: score, bytes: nil, name: "ode", renderers: renderers, threads: 1),
                                        encoders: encoders, lanes: 2)
        let single = try AnalysisSource(score: score, bytes: nil, name: "ode", renderers: renderers, threads: 1)
        for encoder in encoders {
            guard case .features(let sequence) = try encoder.encode(single) else { continue }
            XCTAssertEqual(one.features[encoder.name]?.values, sequence.values, encoder.name)
        }
        XCTAssertEqual(one.codes[HashEncoder.name]?.array, codes[HashEncoder.name]?.array)
    }

    /// With two threads and a render rate below 22050 Hz, the CQTs of `cqt_beats` and `cens` are computed while
    /// the score renders (`AnalysisSource.computeWhileRendering`, `CQTStream`) and stored before any encoder asks
    /// for them; every array (the CQTs, `cqt_beats`, `cens`, the shipped embedder and hasher) equals, bit for bit,
    /// the plain path's, where the encoders transform the rendered audio themselves.
    func testCQTsComputedWhileTheScoreRendersGiveThePlainArrays() throws {
        let score = try MIDIScore(contentsOf: Fixtures.url("midi/random_mido.mid"))
        let renderers = RendererPool(soundfont: nil, size: 2, interpolation: .linear, renderRate: 16000)
        let beats = try CQTBeatsEncoder(), cens = try CENSEncoder()
        let encoders: [any MusicEncoder] = [beats, cens, try EmbeddingEncoder.shipped(), try HashEncoder.shipped()]
        let streamed = try AnalysisSource(score: score, bytes: nil, name: "score", renderers: renderers, threads: 2)
        streamed.computeWhileRendering([beats.streamedCQT, cens.streamedCQT])
        let plain = try AnalysisSource(score: score, bytes: nil, name: "score", renderers: renderers, threads: 2)
        let audio = try streamed.audio(at: 22050)
        XCTAssertEqual(audio.samples, try plain.audio(at: 22050).samples)
        XCTAssertGreaterThan(audio.samples.count, 1 << 18, "long enough for the early downsampling's two-thread cut")
        let beatsCQT = try XCTUnwrap(streamed.computedMagnitude(beats.cqt), "cqt_beats' CQT streamed")
        let chromaCQT = try XCTUnwrap(streamed.computedFeature(cens.cqtKey), "the chroma CQT streamed")
        XCTAssertNil(plain.computedMagnitude(beats.cqt))
        XCTAssertTrue(beatsCQT.values.storage == (try beats.cqt.magnitude(audio, threads: 2)).values.storage)
        XCTAssertTrue(chromaCQT.values.storage == (try cens.chroma.cqt.magnitude(audio, threads: 2)).values.storage)
        for encoder in encoders {
            switch (try encoder.encode(streamed), try encoder.encode(plain)) {
            case (.features(let a), .features(let b)):
                XCTAssertTrue(a.values.storage == b.values.storage, encoder.name)
                XCTAssertEqual(a.times, b.times, encoder.name)
            case (.codes(let a), .codes(let b)):
                XCTAssertEqual(a.array, b.array, encoder.name)
            default: XCTFail("\(encoder.name): different kinds of array")
            }
        }
        // The analyzer asks for it on a score's source by itself, on two lanes as the hashed task does.
        let analyzer = MusicAnalyzer(encoders: encoders, renderers: renderers)
        let source = try AnalysisSource(score: score, bytes: nil, name: "score", renderers: renderers, threads: 2)
        let analysis = try analyzer.analysis(of: source, encoders: encoders, lanes: 2)
        XCTAssertNotNil(source.computedFeature(cens.cqtKey))
        XCTAssertTrue(analysis.features[CENSEncoder.name]?.values.storage == (try cens.encode(plain)).featureValues?.storage)
    }
}

private extension EncodedArray {
    var featureValues: Matrix? {
        if case .features(let sequence) = self { return sequence.values }
        return nil
    }
}
