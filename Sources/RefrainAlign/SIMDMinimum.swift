import RefrainMath

// Lane-wise minimum and maximum that compile to one compare and blend (or `vminps`). The standard
// library's `pointwiseMin` honours NaN ordering lane by lane and is scalarized by the compiler; DTW
// costs are never NaN, so a plain compare-and-select is exact here.

@inline(__always)
func lanewiseMin(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a.replacing(with: b, where: b .< a) }

@inline(__always)
func lanewiseMin(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> { a.replacing(with: b, where: b .< a) }

@inline(__always)
func lanewiseMax(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> { a.replacing(with: b, where: b .> a) }
