import Foundation
import RefrainAlign
import RefrainMath

/// Two inputs to align and how: what `refrain align` asks.
///
/// Inputs are audio or MIDI files (aligned on `FeatureKind.chroma`, the chroma under the index's CENS:
/// `chroma_cqt` at 22050 Hz with hop 2048, ≈ 10.8 frames/s; MIDI rendered through FluidSynth), or `.npy`
/// feature matrices (`frames x dims`, float or integer) at `rate` frames per second; with `metric` hamming,
/// `.npy` hash sequences (one integer code per frame) compared by the number of differing bits.
public struct AlignmentRequest: Sendable {
    public var a: URL
    public var b: URL
    /// euclidean, sqeuclidean, cosine or hamming.
    public var metric: String = "cosine"
    /// Sakoe-Chiba band radius as a fraction of the shorter sequence (librosa's `band_rad`).
    public var band: Float?
    /// Find A inside B (the path may start and end anywhere in B).
    public var subsequence = false
    /// Frames per second of `.npy` inputs, and of B's when `rateB` is set.
    public var rate: Double = 10
    public var rateB: Double?
    /// Draw the cost matrix with the path.
    public var picture = false
    /// Renders MIDI inputs (nil: `SoundfontLocator`).
    public var soundfont: String?
    public var threads: Int = ComputeBudget.machine.threads

    public init(a: URL, b: URL) {
        self.a = a
        self.b = b
    }
}

/// The alignment of two inputs: its cost, the path in frames and seconds, and on request a picture.
public struct AlignmentReport: Sendable {
    public var cost: Float
    public var metric: String
    public var framesA: Int
    public var framesB: Int
    /// The path, `i` over A's frames and `j` over B's, monotonic.
    public var path: [PathStep]
    /// Frame times of A and B, seconds.
    public var timesA: [Double]
    public var timesB: [Double]
    /// With `subsequence`: the matched span of B, seconds.
    public var match: ClosedRange<Double>?
    /// Set when the inputs were too long for one cost matrix and multiscale DTW aligned them.
    public var multiscale: (levels: Int, cellsAtFinestLevel: Int)?
    /// The cost matrix (A across, B upwards) with the path, when asked.
    public var picture: RGBImage?

    /// The path in seconds as CSV (`a_seconds,b_seconds`): one row per path step, or with `every`, B's time
    /// at regular times of A (mean over the B frames matched to each A frame, linearly interpolated between
    /// A frames: the "interpretation switcher").
    public func csv(every: Double? = nil) -> String {
        var out = "a_seconds,b_seconds\n"
        guard let every else {
            for s in path { out += String(format: "%.4f,%.4f\n", timesA[s.i], timesB[s.j]) }
            return out
        }
        var sum = [Double](repeating: 0, count: framesA), count = [Double](repeating: 0, count: framesA)
        for s in path { sum[s.i] += timesB[s.j]; count[s.i] += 1 }
        var frames: [(Double, Double)] = []
        for i in 0..<framesA where count[i] > 0 { frames.append((timesA[i], sum[i] / count[i])) }
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
}

/// Aligns two inputs with the DTW variant the request calls for: full DTW (optionally in a Sakoe-Chiba
/// band), subsequence DTW, or above 50 million cells multiscale DTW in bounded memory (Müller, Mattes &
/// Kurth 2006).
public enum Aligner {
    /// Cells above which full DTW gives way to multiscale DTW.
    public static let exactCellLimit = 50_000_000

    public static func align(_ request: AlignmentRequest) throws -> AlignmentReport {
        let hamming = request.metric == "hamming"
        let costMetric = CostMetric(rawValue: request.metric)
        guard hamming || costMetric != nil else {
            throw RefrainError.invalidArgument("unknown metric \(request.metric); use euclidean, sqeuclidean, cosine or hamming")
        }
        let rateB = request.rateB ?? request.rate
        guard request.rate > 0, rateB > 0 else { throw RefrainError.invalidArgument("--rate must be positive") }
        if let band = request.band, !(band > 0) { throw RefrainError.invalidArgument("--band must be positive") }
        let timesA: [Double], timesB: [Double]
        let costMatrix: () throws -> Matrix
        var features: (FeatureSequence, FeatureSequence)?
        if hamming {
            let ha = try loadHashes(request.a), hb = try loadHashes(request.b)
            guard ha.width == hb.width else {
                throw RefrainError.invalidArgument("\(request.a.path) holds \(ha.width)-bit hashes, \(request.b.path) \(hb.width)-bit; --metric hamming needs the same width")
            }
            (timesA, timesB) = (regularTimes(ha.count, request.rate), regularTimes(hb.count, rateB))
            costMatrix = { try CostMatrix.hamming(ha, hb) }
        } else {
            let fa = try loadFeatures(request.a, rate: request.rate, request: request)
            let fb = try loadFeatures(request.b, rate: rateB, request: request)
            guard fa.dimension == fb.dimension else {
                throw RefrainError.invalidArgument("\(request.a.path) has \(fa.dimension) dims per frame, \(request.b.path) has \(fb.dimension)")
            }
            (timesA, timesB) = (fa.times, fb.times)
            costMatrix = { try CostMatrix.compute(fa, fb, metric: costMetric!) }
            features = (fa, fb)
        }
        guard !timesA.isEmpty, !timesB.isEmpty else { throw RefrainError.invalidArgument("an input has no frames") }
        let cells = timesA.count.multipliedReportingOverflow(by: timesB.count)
        let long = cells.overflow || cells.partialValue > exactCellLimit
        if long && (request.subsequence || request.band != nil || request.picture || hamming) {
            throw RefrainError.invalidArgument("\(timesA.count) x \(timesB.count) cells is too large for --subsequence, --band, --png or --metric hamming; lower the frame rate")
        }
        var report = AlignmentReport(cost: 0, metric: request.metric, framesA: timesA.count, framesB: timesB.count, path: [],
                                     timesA: timesA, timesB: timesB)
        var cost: Matrix?
        if long, let (fa, fb) = features, let costMetric {
            let result = try MultiscaleDTW.align(fa.values, fb.values, metric: costMetric)
            (report.path, report.cost) = (result.alignment.path, result.alignment.cost)
            report.multiscale = (result.levels, result.cellsAtFinestLevel)
        } else if request.subsequence {
            let c = try costMatrix()
            cost = c
            guard let match = try SubsequenceDTW.bestMatches(cost: c, count: 1).first else {
                throw RefrainError.invalidArgument("no subsequence match")
            }
            (report.path, report.cost) = (match.path, match.cost)
            report.match = timesB[match.start]...timesB[match.end]
        } else {
            let c = try costMatrix()
            cost = c
            let options = DTWOptions(constraint: request.band.map { .sakoeChiba(radiusFraction: $0) } ?? .none)
            let alignment = try DTW.align(cost: c, options: options)
            (report.path, report.cost) = (alignment.path, alignment.cost)
        }
        if request.picture, let cost { report.picture = picture(cost: cost, path: report.path) }
        return report
    }

    static func regularTimes(_ count: Int, _ rate: Double) -> [Double] { (0..<count).map { Double($0) / rate } }

    /// Reads an input as a hash sequence for `--metric hamming` (see `HashSequence.init(npy:name:)`);
    /// audio, MIDI and float arrays are refused.
    static func loadHashes(_ url: URL) throws -> HashSequence {
        guard FileManager.default.fileExists(atPath: url.path) else { throw RefrainError.fileNotFound(url.path) }
        guard url.pathExtension.lowercased() == "npy" else {
            throw RefrainError.invalidArgument("\(url.path): --metric hamming aligns .npy hash sequences, not audio or MIDI")
        }
        return try HashSequence(npy: NPY.read(url), name: url.path)
    }

    /// Reads an input as a feature sequence: a `.npy` `frames x dims` matrix (a 1-D array is one dimension) at
    /// `rate` frames per second, or an audio or MIDI file's chroma (`FeatureKind.chroma`).
    static func loadFeatures(_ url: URL, rate: Double, request: AlignmentRequest) throws -> FeatureSequence {
        guard FileManager.default.fileExists(atPath: url.path) else { throw RefrainError.fileNotFound(url.path) }
        guard url.pathExtension.lowercased() == "npy" else {
            var chroma = FeatureRequest(kind: .chroma)
            chroma.soundfont = request.soundfont
            chroma.threads = request.threads
            return try FeatureExtraction.compute(url, chroma).features
        }
        let array = try NPY.read(url)
        let matrix: Matrix
        switch array.shape.count {
        case 1: matrix = Matrix(rows: array.shape[0], cols: 1, storage: array.floats())
        case 2: matrix = try array.matrix()
        default: throw RefrainError.invalidFile(url.path, "expected a frames x dims array, got shape \(array.shape)")
        }
        guard matrix.storage.allSatisfy({ $0.isFinite }) else {
            throw RefrainError.invalidFile(url.path, "contains NaN or infinite values")
        }
        return FeatureSequence(values: matrix, times: regularTimes(matrix.rows, rate))
    }

    /// The cost matrix (A across, B upwards), reduced to at most 1200 pixels a side by averaging, with the
    /// path in white.
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
