"""Prototype of query-by-humming changes on the TUNING half of refrain-bench humming's development set.

Reads the folder `refrain-bench humming --dump DIR` writes (indexed melodies, every query's pYIN track and
the notes it was synthesized from) and re-ranks the tuning half's queries with the note alignment of
Sources/Refrain/Humming/NoteAlignment.swift (ported to numba) under variants of the note segmentation and of
the alignment, printing MRR, P@1 and R@10 for each. Never reads the report half unless --half 1 is given.

    /work/venvs/hum/bin/python scripts/prototype/humming_tune.py /tmp/hum2-dump
"""
import argparse
import json
import math
import sys

import numpy as np
from numba import njit


def shape(notes, tol=0.5):
    """MelodyShape: merge consecutive notes closer than tol semitones, then intervals and log2 IOI ratios."""
    merged = []
    for onset, dur, pitch in sorted(notes):
        if merged and abs(merged[-1][2] - pitch) < tol:
            a = merged[-1][1] - merged[-1][0]
            merged[-1][2] = (merged[-1][2] * a + pitch * dur) / max(a + dur, 1e-9)
            merged[-1][1] = max(merged[-1][1], onset + dur)
        else:
            merged.append([onset, onset + dur, pitch])
    p = np.array([m[2] for m in merged], dtype=np.float32)
    on = np.array([m[0] for m in merged])
    iv = (p[1:] - p[:-1]).astype(np.float32)
    r = np.zeros(len(iv), dtype=np.float32)
    for k in range(1, len(iv)):
        a = max(on[k] - on[k - 1], 0.03)
        b = max(on[k + 1] - on[k], 0.03)
        r[k] = min(3, max(-3, math.log2(b / a)))
    return iv, r


@njit(cache=True)
def align(q, qr, r, rr, tol, slope, rw, merge, gap):
    m, n = len(q), len(r)
    if m == 0 or n == 0:
        return -np.inf
    NEG = -1e30
    prev2 = np.full(n + 1, NEG, dtype=np.float32)
    prev = np.zeros(n + 1, dtype=np.float32)
    cur = np.full(n + 1, NEG, dtype=np.float32)
    for i in range(1, m + 1):
        qi = q[i - 1]
        qm = q[i - 2] + q[i - 1] if i >= 2 else 0.0
        rq = qr[i - 1]
        cur[0] = prev[0] - gap
        for j in range(1, n + 1):
            d = abs(qi - r[j - 1])
            s = max(-1.0, 1 - slope * max(0.0, d - tol))
            rd = min(2.0, abs(rq - rr[j - 1]))
            best = prev[j - 1] + s + rw * (1 - rd)
            if j >= 2:
                d = abs(qi - (r[j - 2] + r[j - 1]))
                v = prev[j - 2] + max(-1.0, 1 - slope * max(0.0, d - tol)) - merge
                if v > best:
                    best = v
            if i >= 2:
                d = abs(qm - r[j - 1])
                v = prev2[j - 1] + 2 * max(-1.0, 1 - slope * max(0.0, d - tol)) - merge
                if v > best:
                    best = v
            v = prev[j] - gap
            if v > best:
                best = v
            cur[j] = best
        prev2, prev, cur = prev, cur, prev2
    best = prev[1]
    for j in range(1, n + 1):
        if prev[j] > best:
            best = prev[j]
    return best / m


def segment(pitch, step, split=0.6, hold=2, smooth=1, minimum=0.07, pitch_of=None):
    """QueryMelody.notes: voiced runs split where the smoothed pitch leaves the note's median. A note's pitch is
    `pitch_of(a, b)` for its frames a..<b, by default the median of its inner frames (a fifth trimmed each side)."""
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
        if pitch_of is not None:
            out.append((a * step, (b - a) * step, pitch_of(a, b)))
            return
        trim = (b - a) // 5
        vals = sorted(pitch[a + trim:b - trim])
        out.append((a * step, (b - a) * step, vals[len(vals) // 2]))

    half = smooth // 2
    for a, b in runs:
        raw = pitch[a:b]
        sm = [sum(raw[max(0, k - half):min(len(raw), k + half + 1)]) / (min(len(raw), k + half + 1) - max(0, k - half))
              for k in range(len(raw))]
        start = 0
        values = []
        k = 0
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


def metrics(ranks):
    n = max(len(ranks), 1)
    mrr = sum(1 / r for r in ranks if r) / n
    return mrr, sum(1 for r in ranks if r == 1) / n, sum(1 for r in ranks if r and r <= 10) / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dump")
    ap.add_argument("--half", type=int, default=0)
    ap.add_argument("--only", default="")
    ap.add_argument("--fuse", action="store_true")
    args = ap.parse_args()
    melodies = [json.loads(l) for l in open(f"{args.dump}/melodies.jsonl")]
    queries = [json.loads(l) for l in open(f"{args.dump}/queries.jsonl")]
    queries = [q for q in queries if q["half"] == args.half]
    keys = [m["key"] for m in melodies]
    refs = []
    for m in melodies:
        notes = [(o, e - o, p) for o, e, p in zip(m["onsets"], m["ends"], m["pitches"])]
        refs.append(shape(notes))
    print(f"{len(queries)} queries (half {args.half}), {len(refs)} melodies", file=sys.stderr)

    def rank_of(readings, key, params, fuse="max"):
        per = {}
        for iv, r in readings:
            seen = {}
            for k, (riv, rr) in enumerate(refs):
                s = align(iv, r, riv, rr, *params)
                if s > seen.get(keys[k], -np.inf):
                    seen[keys[k]] = s
            for k, s in seen.items():
                per.setdefault(k, []).append(s)
        if fuse == "max":
            best = {k: max(v) for k, v in per.items()}
        elif fuse == "sum":
            best = {k: sum(v) for k, v in per.items()}
        else:  # mean of the best two
            best = {k: sum(sorted(v)[-2:]) for k, v in per.items()}
        ordered = sorted(best.items(), key=lambda x: (-x[1], x[0]))
        for i, (k, _) in enumerate(ordered[:10]):
            if k == key:
                return i + 1
        return None

    base = (0.35, 1.2, 0.5, 0.5, 1.0)
    def gated(q, threshold):
        return [v if (v is not None and p >= threshold) else None for v, p in zip(q["pitch"], q["prob"])]

    def cur(q, pitch=None):
        pitch = pitch or q["pitch"]
        return [shape(segment(pitch, q["step"], 0.6, 2, 1)), shape(segment(pitch, q["step"], 0.7, 1, 3))]

    def clean(notes, glide=0.12, octave=True):
        """Drops short notes lying strictly between their neighbours (glides) and folds lone octave jumps."""
        notes = list(notes)
        if glide > 0:
            out = []
            for k, n in enumerate(notes):
                if 0 < k < len(notes) - 1 and n[1] < glide:
                    a, c = notes[k - 1][2], notes[k + 1][2]
                    if min(a, c) < n[2] < max(a, c):
                        continue
                out.append(n)
            notes = out
        if octave and len(notes) >= 3:
            out = []
            for k, n in enumerate(notes):
                around = sorted(x[2] for x in notes[max(0, k - 3):k + 4] if x is not n)
                med = around[len(around) // 2]
                p = n[2]
                while p - med > 9: p -= 12
                while med - p > 9: p += 12
                out.append((n[0], n[1], p))
            notes = out
        return notes

    def cleaned(q, glide=0.12, octave=True, tol=0.5):
        return [shape(clean(segment(q["pitch"], q["step"], 0.6, 2, 1), glide, octave), tol),
                shape(clean(segment(q["pitch"], q["step"], 0.7, 1, 3), glide, octave), tol)]

    variants = {
        "clean glides 0.12 + octaves": lambda q: cleaned(q),
        "clean glides 0.12": lambda q: cleaned(q, 0.12, False),
        "clean octaves": lambda q: cleaned(q, 0, True),
        "clean glides 0.18 + octaves": lambda q: cleaned(q, 0.18),
        "clean + merge 0.7": lambda q: cleaned(q, 0.12, True, 0.7),
        "current (0.6,2,1)+(0.7,1,3)": cur,
        "oracle (sung notes)": lambda q: [shape([tuple(n) for n in q["sung"]])],
        "+ third reading (0.5,3,5)": lambda q: cur(q) + [shape(segment(q["pitch"], q["step"], 0.5, 3, 5))],
        "+ third reading (0.8,2,5)": lambda q: cur(q) + [shape(segment(q["pitch"], q["step"], 0.8, 2, 5))],
        "min note 0.05 s": lambda q: [shape(segment(q["pitch"], q["step"], 0.6, 2, 1, 0.05)), shape(segment(q["pitch"], q["step"], 0.7, 1, 3, 0.05))],
        "voiced prob >= 0.3": lambda q: cur(q, gated(q, 0.3)),
        "voiced prob >= 0.5": lambda q: cur(q, gated(q, 0.5)),
    }
    only = set(args.only.split(",")) if args.only else None
    for q in queries:
        q["pitch"] = [None if v is None else float(v) for v in q["pitch"]]
    for name, make in variants.items():
        if only and not any(o in name for o in only):
            continue
        ranks = []
        for q in queries:
            try:
                readings = [x for x in make(q) if len(x[0]) >= 4]
            except Exception:
                readings = []
            ranks.append(rank_of(readings, q["key"], base) if readings else None)
        print(name, "MRR %.3f P@1 %.3f R@10 %.3f" % metrics(ranks), flush=True)
        if args.fuse:
            for fuse in ("sum", "top2"):
                ranks = []
                for q in queries:
                    readings = [x for x in make(q) if len(x[0]) >= 4]
                    ranks.append(rank_of(readings, q["key"], base, fuse) if readings else None)
                print(name, "fused", fuse, "MRR %.3f P@1 %.3f R@10 %.3f" % metrics(ranks), flush=True)


if __name__ == "__main__":
    main()
