/// Perceptually ordered colour maps for heat maps: dark for low values, bright for high.
public enum Colormap: String, Sendable, CaseIterable {
    /// Black through purple and orange to pale yellow (after matplotlib's "magma").
    case magma
    /// Dark blue through green to yellow (after matplotlib's "viridis").
    case viridis
    /// Black to white.
    case gray

    private var stops: [(Float, Float, Float)] {
        switch self {
        case .magma:
            return [(0.001, 0.000, 0.014), (0.232, 0.059, 0.437), (0.550, 0.161, 0.506),
                    (0.868, 0.288, 0.409), (0.994, 0.624, 0.427), (0.987, 0.991, 0.750)]
        case .viridis:
            return [(0.267, 0.005, 0.329), (0.229, 0.322, 0.546), (0.128, 0.567, 0.551),
                    (0.369, 0.789, 0.383), (0.993, 0.906, 0.144)]
        case .gray:
            return [(0, 0, 0), (1, 1, 1)]
        }
    }

    /// The colour of `t` in `[0, 1]` (clamped), linearly interpolated between the map's stops.
    public func color(_ t: Float) -> (UInt8, UInt8, UInt8) {
        let stops = self.stops
        let x = (t.isFinite ? min(max(t, 0), 1) : 0) * Float(stops.count - 1)
        let i = min(Int(x), stops.count - 2)
        let f = x - Float(i)
        let a = stops[i], b = stops[i + 1]
        func byte(_ u: Float, _ v: Float) -> UInt8 { UInt8(min(max((u + (v - u) * f) * 255, 0), 255).rounded()) }
        return (byte(a.0, b.0), byte(a.1, b.1), byte(a.2, b.2))
    }
}
