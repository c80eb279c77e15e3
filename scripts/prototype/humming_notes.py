"""Prototype of round 4 of query by humming (issue 21) on the TUNING half of refrain-bench humming's set.

Reads the folder `refrain-bench humming --dump DIR` writes and compares, on the tuning half only (unless
--half 1 is given), the fused ranking (note stage, then the contour stage over its best 100, standardised,
weight 1; ContourFusion.swift) under:
  * per-note pitch: the current median of the note's inner three fifths, against a voiced-probability-weighted
    median of its stable frames (pitch slope under a bound: glides left out);
  * contour bins gated by voiced probability (frames under a floor left out before pooling);
  * one reading against the current three readings.

    /work/venvs/hum/bin/python scripts/prototype/humming_notes.py .cache/humdump3 [--half 0]
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from humming_contour import Collection, contour, load_queries  # noqa: E402
from humming_tune import metrics, shape  # noqa: E402
from humming_tune import segment as threshold_segment  # noqa: E402

READINGS = ((0.6, 2, 1), (0.7, 1, 3), (0.5, 3, 5))


def weighted_median(values, weights):
    order = np.argsort(values)
    v, w = values[order], weights[order]
    c = np.cumsum(w)
    return float(v[np.searchsorted(c, 0.5 * c[-1])])


def note_pitch(pitch, prob, a, b, mode, slope):
    """A note's pitch from frames a..<b: 'median' (inner three fifths) or 'stable' (probability-weighted median of
    the inner frames whose central-difference slope is under `slope` semitones a frame)."""
    trim = (b - a) // 5
    inner = np.array(pitch[a + trim:b - trim], dtype=np.float64)
    if mode == "median":
        return float(np.sort(inner)[len(inner) // 2])
    x = np.array(pitch[a:b], dtype=np.float64)
    p = np.array(prob[a:b], dtype=np.float64)
    d = np.abs(np.gradient(x)) if len(x) > 1 else np.zeros(len(x))
    keep = np.zeros(len(x), dtype=bool)
    keep[trim:len(x) - trim] = True
    stable = keep & (d < slope)
    if stable.sum() < max(2, keep.sum() // 3):
        stable = keep
    return weighted_median(x[stable], p[stable] + 1e-3)


def segment(pitch, prob, step, split, hold, smooth, mode="median", slope=0.15, minimum=0.07):
    """QueryMelody.notes (humming_tune.segment) with the note pitch chosen by `note_pitch`."""
    return threshold_segment(pitch, step, split, hold, smooth, minimum,
                             pitch_of=lambda a, b: note_pitch(pitch, prob, a, b, mode, slope))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dump")
    ap.add_argument("--half", type=int, default=0)
    args = ap.parse_args()
    queries = load_queries(args.dump, args.half)
    collection = Collection(args.dump)
    note_scores, rank, fused = collection.note_scores, collection.rank, collection.fused
    note_variants = [("median", 0.0), ("stable", 0.1), ("stable", 0.2), ("stable", 9.0)]
    gates = (0.0, 0.2, 0.4, 0.6)
    results = {}
    for qi, q in enumerate(queries):
        contours = {}
        for g in gates:
            gp = [v if v is not None and p >= g else None for v, p in zip(q["pitch"], q["prob"])]
            if sum(v is not None for v in gp) < 10:
                gp = q["pitch"]
            contours[g] = contour(gp, q["step"])
        for mode, slope in note_variants:
            readings = [shape(segment(q["pitch"], q["prob"], q["step"], *s, mode=mode, slope=slope)) for s in READINGS]
            first = note_scores(readings[:1])
            top = np.argsort(-first)[:200]
            na = first.copy()
            na[top] = np.maximum(na[top], note_scores(readings[1:], only=top)[top])
            variants = {"notes": na}
            for g in gates:
                variants[f"fused gate {g}"] = fused(na, *contours[g])
                variants[f"fused gate {g}, one reading"] = fused(first, *contours[g])
            for name, s in variants.items():
                results.setdefault(f"{mode} {slope}: {name}", []).append(rank(s, q["key"]))
        if qi % 20 == 19:
            print(f"{qi + 1} queries", file=sys.stderr, flush=True)
    for name, ranks in results.items():
        print(f"{name:40s} MRR %.3f P@1 %.3f R@10 %.3f" % metrics(ranks), flush=True)


if __name__ == "__main__":
    main()
