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
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from humming_contour import contour, contour_cost, z  # noqa: E402
from humming_tune import align, metrics, shape  # noqa: E402

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
    out = []
    n = len(pitch)
    t = 0
    runs = []
    while t < n:
        if pitch[t] is None:
            t += 1
            continue
        a = t
        while t < n and pitch[t] is not None:
            t += 1
        runs.append((a, t))

    def emit(a, b):
        if (b - a) * step < minimum:
            return
        out.append((a * step, (b - a) * step, note_pitch(pitch, prob, a, b, mode, slope)))

    half = smooth // 2
    for a, b in runs:
        raw = pitch[a:b]
        sm = [sum(raw[max(0, k - half):min(len(raw), k + half + 1)]) / (min(len(raw), k + half + 1) - max(0, k - half))
              for k in range(len(raw))]
        start, values, k = 0, [], 0
        while k < len(raw):
            values.append(sm[k])
            med = sorted(values)[len(values) // 2]
            away = 0
            while away < hold and k + away < len(raw) and abs(sm[k + away] - med) > split:
                away += 1
            if away == hold and k > start:
                emit(a + start, a + k)
                start = k
                values = [sm[k]]
            k += 1
        emit(a + start, b)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dump")
    ap.add_argument("--half", type=int, default=0)
    args = ap.parse_args()
    melodies = [json.loads(l) for l in open(f"{args.dump}/melodies.jsonl")]
    queries = [json.loads(l) for l in open(f"{args.dump}/queries.jsonl")]
    queries = [q for q in queries if q["half"] == args.half]
    keys = np.array([m["key"] for m in melodies])
    refs, notes = [], []
    for m in melodies:
        refs.append(shape([(o, e - o, p) for o, e, p in zip(m["onsets"], m["ends"], m["pitches"])]))
        on = np.array(m["onsets"])
        held = np.append(np.diff(on), m["ends"][-1] - on[-1]) if len(on) else on
        notes.append((np.array(m["pitches"], dtype=np.float32), np.maximum(held, 0.05).astype(np.float32)))
    base = (0.35, 1.2, 0.5, 0.5, 1.0)

    def note_scores(readings, only=None):
        best = np.full(len(refs), -1e9)
        for iv, r in readings:
            if len(iv) < 4:
                continue
            for k in (range(len(refs)) if only is None else only):
                best[k] = max(best[k], align(iv, r, refs[k][0], refs[k][1], *base))
        return best

    def rank(score, key):
        per = {}
        for k, s in zip(keys, score):
            per[k] = max(per.get(k, -np.inf), s)
        top = sorted(per.items(), key=lambda x: (-x[1], x[0]))[:10]
        return next((i + 1 for i, (k, _) in enumerate(top) if k == key), None)

    def fused(na, cq, ct, n=100):
        top = np.argsort(-na)[:n]
        cost = np.array([contour_cost(cq, ct, *notes[k]) for k in top])
        s = np.full(len(na), -1e9)
        s[top] = z(na[top], "std") - z(cost, "std") + 1e6
        return s

    for q in queries:
        q["prob"] = [float(p) if p is not None else 0.0 for p in q["prob"]]
        q["pitch"] = [None if v is None or not voiced else float(v) for v, voiced in zip(q["pitch"], q["voiced"])]
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
