import ArgumentParser
import Foundation
import Refrain

/// `refrain align A B`: aligns two inputs with DTW, prints the cost, writes the path as seconds and
/// optionally draws the cost matrix with the path.
struct AlignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "align",
        abstract: "Align two sequences with DTW; print the cost, write the path as CSV (seconds), draw it.",
        discussion: """
        Inputs: audio (WAV, FLAC, OGG, MP3) and MIDI files, aligned on chroma (librosa chroma_cqt at \
        22050 Hz, hop 2048, about 10.8 frames per second; MIDI rendered through FluidSynth), or .npy \
        feature matrices of shape frames x dims (float or integer) at --rate frames per second. \
        --metric hamming aligns .npy hash sequences instead: one integer code per frame, shape (frames,) \
        or (frames, 1), dtype uint16/32/64 or int16/32/64, the same width in A and B; the cost of two \
        frames is the number of bits in which their codes differ.
        Above 50 million cells the alignment is multiscale DTW (bounded memory). The CSV has one row per path step, "a_seconds,b_seconds"; with --every S it has instead one \
        row every S seconds of A with the matching time in B (the "interpretation switcher").
        """)

    @Argument(help: "First input (rows of the cost matrix; the query with --subsequence).")
    var a: String

    @Argument(help: "Second input (columns of the cost matrix).")
    var b: String

    @Option(help: "Frame cost: euclidean, sqeuclidean, cosine, or hamming (for .npy integer hash sequences).")
    var metric: String = "cosine"

    @Option(help: "Sakoe-Chiba band radius as a fraction of the shorter sequence (librosa's band_rad).")
    var band: Float?

    @Flag(help: "Find A inside B: the path may start and end anywhere in B.")
    var subsequence = false

    @Option(help: "Frames per second of .npy inputs (10 Hz: librosa chroma at 22050 Hz with hop 2205).")
    var rate: Double = 10

    @Option(help: "Frames per second of B when it differs from --rate.")
    var rateB: Double?

    @Option(help: "Write the path CSV here (default: standard output).")
    var csv: String?

    @Option(help: "Resample the path: one row every this many seconds of A.")
    var every: Double?

    @Option(help: "Draw the cost matrix with the path to this PNG file.")
    var png: String?

    func run() throws {
        do {
            try align()
        } catch let error as RefrainError {
            FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
            throw ExitCode.failure
        }
    }

    func align() throws {
        let hamming = metric == "hamming"
        let costMetric = CostMetric(rawValue: metric)
        guard hamming || costMetric != nil else {
            throw RefrainError.invalidArgument("unknown metric \(metric); use euclidean, sqeuclidean, cosine or hamming")
        }
        guard rate > 0, (rateB ?? rate) > 0 else { throw RefrainError.invalidArgument("--rate must be positive") }
        if let every, !(every > 0) { throw RefrainError.invalidArgument("--every must be positive") }
        if let band, !(band > 0) { throw RefrainError.invalidArgument("--band must be positive") }
        let x: FrameTimes, y: FrameTimes
        let costMatrix: () throws -> Matrix
        var features: (FeatureSequence, FeatureSequence)?
        if hamming {
            let ha = try Self.loadHashes(a), hb = try Self.loadHashes(b)
            guard ha.width == hb.width else {
                throw RefrainError.invalidArgument("\(a) holds \(ha.width)-bit hashes, \(b) \(hb.width)-bit; --metric hamming needs the same width")
            }
            (x, y) = (FrameTimes(count: ha.count, rate: rate), FrameTimes(count: hb.count, rate: rateB ?? rate))
            costMatrix = { try CostMatrix.hamming(ha, hb) }
        } else {
            let fa = try Self.loadFeatures(a, rate: rate), fb = try Self.loadFeatures(b, rate: rateB ?? rate)
            guard fa.dimension == fb.dimension else {
                throw RefrainError.invalidArgument("\(a) has \(fa.dimension) dims per frame, \(b) has \(fb.dimension)")
            }
            (x, y) = (FrameTimes(fa.times), FrameTimes(fb.times))
            costMatrix = { try CostMatrix.compute(fa, fb, metric: costMetric!) }
            features = (fa, fb)
        }
        guard x.frameCount > 0, y.frameCount > 0 else { throw RefrainError.invalidArgument("an input has no frames") }
        let cells = x.frameCount.multipliedReportingOverflow(by: y.frameCount)
        let exactLimit = 50_000_000
        let long = cells.overflow || cells.partialValue > exactLimit
        if long && (subsequence || band != nil || png != nil || hamming) {
            throw RefrainError.invalidArgument("\(x.frameCount) x \(y.frameCount) cells is too large for --subsequence, --band, --png or --metric hamming; lower the frame rate")
        }
        let path: [PathStep]
        let total: Float
        var cost: Matrix?
        if long, let (fa, fb) = features, let costMetric {
            // Bounded memory: coarse-to-fine alignment inside a band around the projected path.
            let result = try MultiscaleDTW.align(fa.values, fb.values, metric: costMetric)
            (path, total) = (result.alignment.path, result.alignment.cost)
            print("multiscale DTW: \(result.levels) levels, \(result.cellsAtFinestLevel) cells at full rate")
        } else if subsequence {
            let c = try costMatrix()
            cost = c
            guard let match = try SubsequenceDTW.bestMatches(cost: c, count: 1).first else {
                throw RefrainError.invalidArgument("no subsequence match")
            }
            (path, total) = (match.path, match.cost)
            print(String(format: "match: B %.3f s - %.3f s", y.times[match.start], y.times[match.end]))
        } else {
            let c = try costMatrix()
            cost = c
            let options = DTWOptions(constraint: band.map { .sakoeChiba(radiusFraction: $0) } ?? .none)
            let alignment = try DTW.align(cost: c, options: options)
            (path, total) = (alignment.path, alignment.cost)
        }
        print(String(format: "cost: %.6g (%@, %d x %d frames, %d path steps, %.6g per step)",
                     total, metric, x.frameCount, y.frameCount, path.count, total / Float(path.count)))
        let text = Self.csv(path: path, x: x, y: y, every: every)
        if let csv {
            do { try text.write(toFile: csv, atomically: true, encoding: .utf8) } catch {
                throw RefrainError(.io, "\(csv): cannot write (\(error.localizedDescription))")
            }
            print("path: \(csv)")
        } else {
            print(text, terminator: "")
        }
        if let png, let cost {
            let data = try Self.picture(cost: cost, path: path).pngData()
            do { try data.write(to: URL(fileURLWithPath: png)) } catch {
                throw RefrainError(.io, "\(png): cannot write (\(error.localizedDescription))")
            }
            print("picture: \(png)")
        }
    }

    /// Reads an input as a hash sequence for `--metric hamming` (see `HashSequence.init(npy:name:)`);
    /// audio, MIDI and float arrays are refused.
    static func loadHashes(_ path: String) throws -> HashSequence {
        guard FileManager.default.fileExists(atPath: path) else { throw RefrainError.fileNotFound(path) }
        let url = URL(fileURLWithPath: path)
        guard url.pathExtension.lowercased() == "npy" else {
            throw RefrainError.invalidArgument("\(path): --metric hamming aligns .npy hash sequences, not audio or MIDI")
        }
        return try HashSequence(npy: NPY.read(url), name: path)
    }

    /// Reads an input as a feature sequence. `.npy`: a `frames x dims` matrix (a 1-D array is one
    /// dimension) at `rate` frames per second; audio and MIDI files: their chroma (`chromaFeatures`).
    static func loadFeatures(_ path: String, rate: Double) throws -> FeatureSequence {
        guard FileManager.default.fileExists(atPath: path) else { throw RefrainError.fileNotFound(path) }
        let url = URL(fileURLWithPath: path)
        guard url.pathExtension.lowercased() == "npy" else { return try chromaFeatures(of: url) }
        let array = try NPY.read(url)
        let matrix: Matrix
        switch array.shape.count {
        case 1: matrix = Matrix(rows: array.shape[0], cols: 1, storage: array.floats())
        case 2: matrix = try array.matrix()
        default: throw RefrainError.invalidFile(path, "expected a frames x dims array, got shape \(array.shape)")
        }
        guard matrix.storage.allSatisfy({ $0.isFinite }) else {
            throw RefrainError.invalidFile(path, "contains NaN or infinite values")
        }
        return FeatureSequence(values: matrix, times: FrameTimes(count: matrix.rows, rate: rate).times)
    }

    /// The path in seconds; with `every`, B's time at regular times of A (mean over the B frames
    /// matched to each A frame, linearly interpolated between A frames).
    static func csv(path: [PathStep], x: FrameTimes, y: FrameTimes, every: Double?) -> String {
        var out = "a_seconds,b_seconds\n"
        guard let every else {
            for s in path { out += String(format: "%.4f,%.4f\n", x.times[s.i], y.times[s.j]) }
            return out
        }
        var sum = [Double](repeating: 0, count: x.frameCount), count = [Double](repeating: 0, count: x.frameCount)
        for s in path { sum[s.i] += y.times[s.j]; count[s.i] += 1 }
        var frames: [(Double, Double)] = []
        for i in 0..<x.frameCount where count[i] > 0 { frames.append((x.times[i], sum[i] / count[i])) }
        guard let first = frames.first, let last = frames.last else { return out }
        var k = 0
        var t = (first.0 / every).rounded(.up) * every
        while t <= last.0 + 1e-9 {
            while k + 1 < frames.count && frames[k + 1].0 < t { k += 1 }
            let (t0, b0) = frames[k]
            let (t1, b1) = k + 1 < frames.count ? frames[k + 1] : frames[k]
            let w = t1 > t0 ? min(max((t - t0) / (t1 - t0), 0), 1) : 0
            out += String(format: "%.4f,%.4f\n", t, b0 + w * (b1 - b0))
            t += every
        }
        return out
    }

    /// The cost matrix (A across, B upwards), reduced to at most 1200 pixels a side by averaging,
    /// with the path in white.
    static func picture(cost: Matrix, path: [PathStep]) -> RGBImage {
        let limit = 1200
        let fx = max(1, (cost.rows + limit - 1) / limit), fy = max(1, (cost.cols + limit - 1) / limit)
        let w = (cost.rows + fx - 1) / fx, h = (cost.cols + fy - 1) / fy
        var small = Matrix(rows: w, cols: h)
        var counts = Matrix(rows: w, cols: h)
        for i in 0..<cost.rows {
            for j in 0..<cost.cols where cost[i, j].isFinite {
                small[i / fx, j / fy] += cost[i, j]
                counts[i / fx, j / fy] += 1
            }
        }
        for k in 0..<small.count { small.storage[k] = counts.storage[k] > 0 ? small.storage[k] / counts.storage[k] : .nan }
        let scale = max(1, 400 / max(w, h))
        var image = Heatmap.image(of: small, colormap: .viridis)
        for s in path { image.set(x: s.i / fx, y: h - 1 - s.j / fy, (255, 255, 255)) }
        return scale > 1 ? image.scaled(x: scale, y: scale) : image
    }
}

/// The frame times of one input of `refrain align`, seconds, one per frame.
struct FrameTimes {
    var times: [Double]
    var frameCount: Int { times.count }

    init(_ times: [Double]) { self.times = times }

    /// `count` frames at `rate` frames per second, the first at 0 s.
    init(count: Int, rate: Double) { times = (0..<count).map { Double($0) / rate } }
}
