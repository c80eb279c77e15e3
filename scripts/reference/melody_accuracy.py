#!/usr/bin/env python3
"""Reference MIREX melody measures for Tests/RefrainFeaturesTests/MelodyAccuracyTests.swift: mir_eval.melody
(0.8) on reference and estimated melodies this script makes (a 10 ms grid, as MIREX uses), with the errors a
melody extractor makes: octave errors, pitch off by 20 to 80 cents, missed and false voicing, and unvoiced
frames that carry a pitch guess (negative frequency, mir_eval's convention).

Run with a Python that has mir_eval (e.g. a venv outside the repository):
    python scripts/reference/melody_accuracy.py Tests/Fixtures/melody

Writes, per case NAME: NAME_times.npy (float64 seconds), NAME_ref.npy and NAME_est.npy (float32 Hz, 0 where
unvoiced, negative for an unvoiced frame with a pitch guess), and meta.json with mir_eval's measures per case.
"""
import json
import os
import sys

import mir_eval
import numpy as np

HOP = 0.01


def melody(rng, frames):
    """A reference: notes of 10 to 60 frames between MIDI 55 and 80 with rests, in Hz (0 in rests)."""
    out = np.zeros(frames)
    t = 0
    while t < frames:
        length = int(rng.integers(10, 60))
        if rng.random() < 0.25:
            t += length
            continue
        midi = rng.integers(55, 81) + rng.normal(0, 0.1)
        out[t:t + length] = 440 * 2 ** ((midi - 69) / 12)
        t += length
    return out


def estimate(rng, ref, kind):
    est = ref.copy()
    n = len(ref)
    voiced = ref > 0
    if kind in ("octaves", "mixed"):
        flip = voiced & (rng.random(n) < 0.15)
        est[flip] *= np.where(rng.random(flip.sum()) < 0.5, 2.0, 0.5)
    if kind in ("detuned", "mixed"):
        cents = rng.uniform(-80, 80, n)
        est[voiced] *= 2 ** (cents[voiced] / 1200)
    if kind in ("voicing", "mixed"):
        miss = voiced & (rng.random(n) < 0.1)
        est[miss] = 0
        guess = voiced & (rng.random(n) < 0.1) & (est > 0)
        est[guess] = -est[guess]
        false = ~voiced & (rng.random(n) < 0.2)
        est[false] = 440 * 2 ** ((rng.integers(50, 80, false.sum()) - 69) / 12)
    return est


def main(out):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(2012)
    cases = {}
    for name, frames in [("octaves", 1500), ("detuned", 1200), ("voicing", 1000), ("mixed", 2000)]:
        ref = melody(rng, frames)
        est = estimate(rng, ref, name)
        times = np.arange(frames) * HOP
        ref32, est32 = ref.astype(np.float32), est.astype(np.float32)
        scores = mir_eval.melody.evaluate(times, ref32.astype(np.float64), times, est32.astype(np.float64))
        np.save(os.path.join(out, f"{name}_times.npy"), times)
        np.save(os.path.join(out, f"{name}_ref.npy"), ref32)
        np.save(os.path.join(out, f"{name}_est.npy"), est32)
        cases[name] = {k: float(v) for k, v in scores.items()}
    meta = {"mir_eval": mir_eval.__version__, "numpy": np.__version__, "hop": HOP, "cases": cases}
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "Tests/Fixtures/melody")
