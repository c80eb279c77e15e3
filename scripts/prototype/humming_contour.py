"""Prototype of round 3 of query by humming (issue 21) on the TUNING half of refrain-bench humming's set.

Reads the folder `refrain-bench humming --dump DIR` writes and compares, on the tuning half only (unless
--half 1 is given):
  * note segmentation by optimal partitioning (Jackson et al. 2005: least squared error per segment plus a
    penalty per segment, by dynamic programming over each voiced run) against the current readings;
  * the contour stage of Sources/Refrain/Humming/ContourAlignment.swift (ported to numba): the hum's pitch at
    10 frames a second against each melody's notes, key and tempo followed along the path;
  * aligning the second and third readings with the first reading's best 200 melodies only;
  * the fusion of note alignment and contour cost over the note stage's best N melodies (ContourFusion.swift).

    /work/venvs/hum/bin/python scripts/prototype/humming_contour.py /tmp/hum-dump [--half 0]
"""
import argparse
import json
import math
import os
import sys

import numpy as np
from numba import njit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from humming_tune import align, metrics, segment, shape  # noqa: E402


@njit(cache=True)
def partition(x, penalty):
    """Cut points of x minimising the sum over segments of squared deviation from the segment's mean + penalty."""
    n = len(x)
    s1 = np.zeros(n + 1)
    s2 = np.zeros(n + 1)
    for k in range(n):
        s1[k + 1] = s1[k] + x[k]
        s2[k + 1] = s2[k] + x[k] * x[k]
    best = np.full(n + 1, 1e30)
    best[0] = 0.0
    back = np.zeros(n + 1, dtype=np.int64)
    for b in range(1, n + 1):
        for a in range(b):
            m = b - a
            s = s1[b] - s1[a]
            c = best[a] + s2[b] - s2[a] - s * s / m + penalty
            if c < best[b]:
                best[b] = c
                back[b] = a
    cuts = [n]
    b = n
    while b > 0:
        b = back[b]
        cuts.append(b)
    return cuts[::-1]


def partition_notes(pitch, step, penalty=2.0, minimum=0.08):
    """Notes from optimal partitioning of each voiced run; segments under `minimum` seconds dropped."""
    out = []
    t, n = 0, len(pitch)
    while t < n:
        if pitch[t] is None:
            t += 1
            continue
        a = t
        while t < n and pitch[t] is not None:
            t += 1
        x = np.array(pitch[a:t], dtype=np.float64)
        cuts = partition(x, penalty)
        for s, e in zip(cuts[:-1], cuts[1:]):
            if (e - s) * step < minimum:
                continue
            trim = (e - s) // 5
            vals = np.sort(x[s + trim:e - trim]) if e - s > 2 * trim else np.sort(x[s:e])
            out.append(((a + s) * step, (e - s) * step, float(vals[len(vals) // 2])))
    return out


def contour(pitch, step, rate=10.0, window=1.0, threshold=7.0):
    """QueryContour: voiced frames, octave errors folded towards the +-window median, median-pooled bins."""
    idx = [k for k, v in enumerate(pitch) if v is not None]
    vals = np.array([pitch[k] for k in idx], dtype=np.float64)
    w = max(1, int(window / step))
    folded = vals.copy()
    for k in range(len(vals)):
        d = vals[k] - np.median(vals[max(0, k - w):k + w + 1])
        if abs(d) > threshold:
            folded[k] = vals[k] - 12 * np.round(d / 12)
    bins = np.floor(np.array(idx) * step * rate).astype(np.int64)
    out_p, out_t = [], []
    k = 0
    while k < len(bins):
        j = k
        while j < len(bins) and bins[j] == bins[k]:
            j += 1
        out_p.append(np.median(folded[k:j]))
        out_t.append(bins[k] / rate)
        k = j
    return np.array(out_p, dtype=np.float32), np.array(out_t, dtype=np.float32)


@njit(cache=True)
def contour_cost(q, t, p, held, tol=0.25, cap=3.0, key_follow=0.05, tempo_weight=3.0, tempo_cap=1.5,
                 tempo_follow=0.3, skip=1.0, tmin=0.4, tmax=2.5):
    """ContourAlignment.cost: per-frame cost of the best subsequence match with key and tempo followed."""
    n, m = len(q), len(p)
    c = np.zeros(m, dtype=np.float32)
    key = (q[0] - p).astype(np.float32)
    tempo = np.full(m, -1.0, dtype=np.float32)
    entry = np.full(m, t[0], dtype=np.float32)
    c2, key2, tempo2, entry2 = c.copy(), key.copy(), tempo.copy(), entry.copy()
    lmin, lmax = math.log(tmin), math.log(tmax)
    for i in range(1, n):
        for j in range(m):
            bc = c[j] + min(cap, max(0.0, abs(q[i] - p[j] - key[j]) - tol))
            bk, bt, be = key[j], tempo[j], entry[j]
            for back in (1, 2):
                k = j - back
                if k < 0:
                    break
                spent = t[i] - entry[k]
                cc = c[k] + (skip if back == 2 else 0.0)
                if tempo[k] < 0:
                    r = math.log(spent / held[k])
                    if r < lmin:
                        cc += tempo_weight * min(lmin - r, tempo_cap)
                        nt = tmin
                    elif r > lmax:
                        cc += tempo_weight * min(r - lmax, tempo_cap)
                        nt = tmax
                    else:
                        nt = spent / held[k]
                else:
                    r = math.log(spent / (tempo[k] * held[k]))
                    cc += tempo_weight * min(abs(r), tempo_cap)
                    nt = tempo[k] * math.exp(tempo_follow * r)
                cc += min(cap, max(0.0, abs(q[i] - p[j] - key[k]) - tol))
                if cc < bc:
                    bc, bk, bt, be = cc, key[k], nt, t[i]
            c2[j] = bc
            key2[j] = bk + key_follow * (q[i] - p[j] - bk)
            tempo2[j] = bt
            entry2[j] = be
        c, c2 = c2, c
        key, key2 = key2, key
        tempo, tempo2 = tempo2, tempo
        entry, entry2 = entry2, entry
    return c.min() / n


def z(x, kind):
    if kind == "mad":
        med = np.median(x)
        return (x - med) / (np.median(np.abs(x - med)) + 1e-6)
    return (x - x.mean()) / (x.std() + 1e-6)


# Note-alignment settings (tolerance, slope, rhythm weight, merge cost, gap cost), as in NoteAlignment.swift.
ALIGN = (0.35, 1.2, 0.5, 0.5, 1.0)


def load_queries(dump, half):
    """The dump's hums of one half; pitch None where unvoiced, voiced probability 0 where missing."""
    queries = [json.loads(l) for l in open(f"{dump}/queries.jsonl")]
    queries = [q for q in queries if q["half"] == half]
    for q in queries:
        q["prob"] = [float(p) if p is not None else 0.0 for p in q["prob"]]
        q["pitch"] = [None if v is None or not voiced else float(v) for v, voiced in zip(q["pitch"], q["voiced"])]
    return queries


class Collection:
    """The dump's melodies as the prototypes search them: note shapes for the note stage, (pitches, held seconds)
    for the contour stage, and work keys for ranking."""

    def __init__(self, dump):
        melodies = [json.loads(l) for l in open(f"{dump}/melodies.jsonl")]
        self.keys = np.array([m["key"] for m in melodies])
        self.refs, self.notes = [], []
        for m in melodies:
            self.refs.append(shape([(o, e - o, p) for o, e, p in zip(m["onsets"], m["ends"], m["pitches"])]))
            on = np.array(m["onsets"])
            held = np.append(np.diff(on), m["ends"][-1] - on[-1]) if len(on) else on
            self.notes.append((np.array(m["pitches"], dtype=np.float32), np.maximum(held, 0.05).astype(np.float32)))

    def note_scores(self, readings, only=None):
        """Each melody's best note-alignment score over the readings (shapes) of 4 or more intervals; -1e9 for
        melodies outside `only`."""
        best = np.full(len(self.refs), -1e9)
        for iv, r in readings:
            if len(iv) < 4:
                continue
            for k in (range(len(self.refs)) if only is None else only):
                best[k] = max(best[k], align(iv, r, self.refs[k][0], self.refs[k][1], *ALIGN))
        return best

    def rank(self, score, key):
        """Rank (1-10) of work `key` when works are ranked by their best melody's score; None beyond 10."""
        per = {}
        for k, s in zip(self.keys, score):
            per[k] = max(per.get(k, -np.inf), s)
        top = sorted(per.items(), key=lambda x: (-x[1], x[0]))[:10]
        return next((i + 1 for i, (k, _) in enumerate(top) if k == key), None)

    def fused(self, na, cq, ct, n=100):
        """Note scores `na` fused with the contour cost of the hum's contour (cq, ct) on the best `n` melodies."""
        top = np.argsort(-na)[:n]
        cost = np.array([contour_cost(cq, ct, *self.notes[k]) for k in top])
        s = np.full(len(na), -1e9)
        s[top] = z(na[top], "std") - z(cost, "std") + 1e6
        return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dump")
    ap.add_argument("--half", type=int, default=0)
    args = ap.parse_args()
    queries = load_queries(args.dump, args.half)
    collection = Collection(args.dump)
    note_scores, rank, notes = collection.note_scores, collection.rank, collection.notes
    current, pruned, dp, stored = [], [], [], []
    for q in queries:
        cur = [shape(segment(q["pitch"], q["step"], *s)) for s in ((0.6, 2, 1), (0.7, 1, 3), (0.5, 3, 5))]
        na = note_scores(cur)
        current.append(rank(na, q["key"]))
        first = note_scores(cur[:1])
        top = np.argsort(-first)[:200]
        narrowed = first.copy()
        narrowed[top] = na[top]
        pruned.append(rank(narrowed, q["key"]))
        dp.append(rank(note_scores([shape(partition_notes(q["pitch"], q["step"]), tol=0.7)]), q["key"]))
        cq, ct = contour(q["pitch"], q["step"])
        top = np.argsort(-na)[:200]
        stored.append((na, top, np.array([contour_cost(cq, ct, *notes[k]) for k in top])))
    print("current readings  MRR %.3f P@1 %.3f R@10 %.3f" % metrics(current))
    print("later readings on the first's best 200 MRR %.3f P@1 %.3f R@10 %.3f" % metrics(pruned))
    print("optimal partition MRR %.3f P@1 %.3f R@10 %.3f" % metrics(dp))
    for n in (50, 100, 200):
        for kind in ("std", "mad"):
            for w in (0.5, 1.0, 1.5):
                ranks = []
                for q, (na, top, cost) in zip(queries, stored):
                    s = np.full(len(na), -1e9)
                    s[top[:n]] = z(na[top[:n]], kind) - w * z(cost[:n], kind) + 1e6
                    ranks.append(rank(s, q["key"]))
                print(f"fused top {n} {kind} weight {w}: MRR %.3f P@1 %.3f R@10 %.3f" % metrics(ranks), flush=True)


if __name__ == "__main__":
    main()
