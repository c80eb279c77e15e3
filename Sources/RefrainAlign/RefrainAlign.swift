// RefrainAlign: dynamic time warping and its family.
//
// Shapes: a feature sequence is a `Matrix` of `frames x dims`; a cost matrix between sequences of
// `N` and `M` frames is `N x M` (rows: the first sequence / the query). Paths are `[PathStep]`
// of frame indices `(i, j)`; `FeatureSequence.times` turns them into seconds.
//
// - `CostMatrix`: Euclidean, squared Euclidean, cosine (BLAS), Hamming on UInt16/32/64 hashes.
// - `DTW`: accumulated cost and path (`align`), distance only in O(min(N, M)) memory (`distance`),
//   step weights (`StepWeights`), global constraints (`GlobalConstraint`), early abandoning.
// - `SubsequenceDTW`: the query anywhere inside a longer sequence; k best non-overlapping matches.
// - `RaffelEllis`: MIDI-to-audio matching (penalty, gully, normalized score).
// - `BatchDTW` with `DTWBatchDatabase` / `HashBatchDatabase`: one query against many sequences,
//   one sequence per SIMD lane, on every core, with early abandoning and top-k search.
// - `LowerBound` (LB_Kim, LB_Keogh) and `DTWSearch` (the UCR cascade).
// - `SoftDTW`: value and gradient (expected alignment).
// - `MultiscaleDTW`: long sequences in bounded memory.
