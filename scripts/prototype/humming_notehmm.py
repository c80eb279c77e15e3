"""Prototype of round 5 of query by humming (issue 21): a note-level hidden Markov model on pYIN's track, in the
manner of the pYIN note tracker of Mauch et al. 2015 ("Computer-aided melody note transcription using the Tony
software: accuracy and efficiency"), compared on the TUNING half of refrain-bench humming's set with the current
threshold segmentation (QueryMelody.readings).

Model (written here from the paper's description, not from its code): a pitch grid of `per` bins a semitone over
the query's range; per bin three states, attack, stable and silent. An attack lasts a few frames and hands on to
the stable state of its bin; a stable note stays, ends into its silent state, or moves straight (legato) to
another bin's attack; a silent state stays or starts a note, the new note's interval from the last one drawn from
a wide Gaussian. Observations are pYIN's frames: a voiced frame with pitch x is a Gaussian around the bin's pitch
for the note states (wider for the attack, which may still glide) and a constant for silence; an unvoiced frame
is a constant for the note states (a short dropout inside a note) and 1 for silence. Viterbi gives the path; each
run of one bin's attack+stable states is a note whose pitch is the voiced-probability-weighted median of its
inner frames (as QueryMelody does).

    /work/venvs/hum/bin/python scripts/prototype/humming_notehmm.py .cache/humdump3 [--half 0]
"""
import argparse
import math
import os
import sys

import numpy as np
from numba import njit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from humming_contour import ALIGN, Collection, contour, load_queries  # noqa: E402
from humming_notes import READINGS, segment, weighted_median  # noqa: E402
from humming_tune import align, metrics, shape  # noqa: E402


@njit(cache=True)
def viterbi(x, voiced, lo, per, nb, sig_s, sig_a, a_self, s_self, s_end, s_change, q_self, jump_sigma, c_qv, c_nu, tail):
    """Path of (bin, kind) per frame; kind 0 attack, 1 stable, 2 silent. Log domain, float64."""
    T = len(x)
    S = 3 * nb
    NEG = -1e18
    ls_s = math.log(s_self)
    ls_end = math.log(s_end)
    ls_ch = math.log(s_change)
    la_self = math.log(a_self)
    la_on = math.log(1 - a_self)
    lq_self = math.log(q_self)
    lq_on = math.log(1 - q_self)
    # interval prior over bins d = j - i: Gaussian, normalized over the grid
    prior = np.empty(2 * nb - 1)
    for d in range(-(nb - 1), nb):
        prior[d + nb - 1] = -0.5 * (d / per / jump_sigma) ** 2
    m = prior.max()
    tot = 0.0
    for k in range(len(prior)):
        tot += math.exp(prior[k] - m)
    for k in range(len(prior)):
        prior[k] = prior[k] - m - math.log(tot)
    # legato prior: no move within one bin (that is the same note drifting)
    legato = prior.copy()
    for d in (-1, 0, 1):
        legato[d + nb - 1] = NEG
    back = np.zeros((T, S), dtype=np.int32)
    v = np.full(S, NEG)
    nv = np.empty(S)
    mu = lo + np.arange(nb) / per

    for t in range(T):
        # emissions
        em = np.empty(S)
        for b in range(nb):
            if voiced[t]:
                d = x[t] - mu[b]
                em[b] = max(-0.5 * (d / sig_a) ** 2 - math.log(sig_a), tail)
                em[nb + b] = max(-0.5 * (d / sig_s) ** 2 - math.log(sig_s), tail)
                em[2 * nb + b] = c_qv
            else:
                em[b] = c_nu
                em[nb + b] = c_nu
                em[2 * nb + b] = 0.0
        if t == 0:
            for s in range(S):
                v[s] = em[s] if (s < nb or s >= 2 * nb) else NEG
                back[t, s] = s
            continue
        for b in range(nb):
            # attack b: from attack b (self), from stable i (legato, i != b), from silent i
            best = v[b] + la_self
            arg = b
            for i in range(nb):
                c = v[nb + i] + ls_ch + legato[b - i + nb - 1]
                if c > best:
                    best, arg = c, nb + i
                c = v[2 * nb + i] + lq_on + prior[b - i + nb - 1]
                if c > best:
                    best, arg = c, 2 * nb + i
            nv[b] = best + em[b]
            back[t, b] = arg
            # stable b: from attack b, from stable b
            c1 = v[b] + la_on
            c2 = v[nb + b] + ls_s
            if c1 > c2:
                nv[nb + b] = c1 + em[nb + b]
                back[t, nb + b] = b
            else:
                nv[nb + b] = c2 + em[nb + b]
                back[t, nb + b] = nb + b
            # silent b: from stable b (end), from silent b
            c1 = v[nb + b] + ls_end
            c2 = v[2 * nb + b] + lq_self
            if c1 > c2:
                nv[2 * nb + b] = c1 + em[2 * nb + b]
                back[t, 2 * nb + b] = nb + b
            else:
                nv[2 * nb + b] = c2 + em[2 * nb + b]
                back[t, 2 * nb + b] = 2 * nb + b
        mx = nv.max()
        for s in range(S):
            v[s] = nv[s] - mx
    path = np.empty(T, dtype=np.int32)
    s = int(np.argmax(v))
    for t in range(T - 1, -1, -1):
        path[t] = s
        s = back[t, s]
    return path


def hmm_notes(pitch, prob, step, per=3, sig_s=0.5, sig_a=1.5, a_self=0.5, s_self=0.97, s_end=0.015, s_change=0.015,
              q_self=0.9, jump_sigma=6.0, c_qv=-4.0, c_nu=-1.5, tail=-1e9, minimum=0.07):
    T = len(pitch)
    voiced = np.array([p is not None for p in pitch])
    if voiced.sum() < 2:
        return []
    x = np.array([p if p is not None else 0.0 for p in pitch], dtype=np.float64)
    lo = math.floor(x[voiced].min()) - 1
    hi = math.ceil(x[voiced].max()) + 1
    nb = int((hi - lo) * per) + 1
    path = viterbi(x, voiced, float(lo), per, nb, sig_s, sig_a, a_self, s_self, s_end, s_change, q_self, jump_sigma,
                   c_qv, c_nu, tail)
    kind = path // nb
    b = path % nb
    out = []
    t = 0
    pr = np.array(prob)
    while t < T:
        if kind[t] == 2:
            t += 1
            continue
        a = t
        t += 1
        while t < T and b[t] == b[a] and (kind[t] == 1 or (kind[t] == 0 and kind[t - 1] == 0)):
            t += 1
        frames = [k for k in range(a, t) if voiced[k]]
        if len(frames) * step < minimum:
            continue
        trim = len(frames) // 5
        inner = frames[trim:len(frames) - trim]
        pitch_n = weighted_median(x[inner], pr[inner] + 1e-3)
        out.append((a * step, (t - a) * step, pitch_n))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dump")
    ap.add_argument("--half", type=int, default=0)
    ap.add_argument("--proxy-only", action="store_true")
    ap.add_argument("--grid", default="")
    ap.add_argument("--combos", action="store_true", help="score the grid's readings together instead of one by one")
    args = ap.parse_args()
    queries = load_queries(args.dump, args.half)

    def proxy(make):
        """Mean note-alignment score of the heard shape against the sung shape (1 = every interval right)."""
        s = []
        for q in queries:
            sung = shape([tuple(n) for n in q["sung"]])
            heard = shape(make(q))
            s.append(align(heard[0], heard[1], sung[0], sung[1], *ALIGN) if len(heard[0]) >= 2 else -1.0)
        return float(np.mean(s))

    cur = lambda q: segment(q["pitch"], q["prob"], q["step"], *READINGS[0], mode="stable", slope=9.0)
    variants = {"current reading 1": cur,
                "current reading 2": lambda q: segment(q["pitch"], q["prob"], q["step"], *READINGS[1], mode="stable", slope=9.0),
                "current reading 3": lambda q: segment(q["pitch"], q["prob"], q["step"], *READINGS[2], mode="stable", slope=9.0),
                "hmm default": lambda q: hmm_notes(q["pitch"], q["prob"], q["step"])}
    grid = {}
    for spec in filter(None, args.grid.split(";")):
        kw = {k: float(v) for k, v in (p.split("=") for p in spec.split(","))}
        if "per" in kw:
            kw["per"] = int(kw["per"])
        grid["hmm " + spec] = (lambda kw: lambda q: hmm_notes(q["pitch"], q["prob"], q["step"], **kw))(kw)
    variants.update(grid)
    for name, make in variants.items():
        print(f"{name:60s} proxy {proxy(make):.4f}", flush=True)
    if args.proxy_only:
        return

    collection = Collection(args.dump)
    note_scores, rank, fused = collection.note_scores, collection.rank, collection.fused

    def readings_scores(readings):
        first = note_scores(readings[:1])
        if len(readings) == 1:
            return first
        top = np.argsort(-first)[:200]
        na = first.copy()
        na[top] = np.maximum(na[top], note_scores(readings[1:], only=top)[top])
        return na

    hmm_names = [n for n in variants if n.startswith("hmm")]
    results = {}
    for qi, q in enumerate(queries):
        cq = contour(q["pitch"], q["step"])
        current = [shape(segment(q["pitch"], q["prob"], q["step"], *s, mode="stable", slope=9.0)) for s in READINGS]
        sets = {"current three readings": current}
        if args.combos:
            hs = [shape(variants[name](q)) for name in hmm_names if name != "hmm default"]
            sets["the grid's hmm readings"] = hs
            sets["the grid's hmm readings, then current three"] = hs + current
            sets["the grid's hmm readings, then current first"] = hs + current[:1]
        for name in ([] if args.combos else hmm_names):
            h = shape(variants[name](q))
            sets[f"{name}: alone"] = [h]
            sets[f"{name}: first, then current three"] = [h] + current
            sets[f"{name}: current three, then hmm"] = current + [h]
        for name, readings in sets.items():
            na = readings_scores(readings)
            results.setdefault(name + " | notes", []).append(rank(na, q["key"]))
            results.setdefault(name + " | fused", []).append(rank(fused(na, *cq), q["key"]))
        if qi % 20 == 19:
            print(f"{qi + 1} queries", file=sys.stderr, flush=True)
    for name, ranks in results.items():
        print(f"{name:80s} MRR %.3f P@1 %.3f R@10 %.3f" % metrics(ranks), flush=True)


if __name__ == "__main__":
    main()
