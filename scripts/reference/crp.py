#!/usr/bin/env python3
"""Reference fixtures for RefrainFeatures' CRP (chroma DCT-reduced log pitch; Müller & Ewert 2010), computed
with numpy and scipy from the definition of the Chroma Toolbox's pitch_to_CRP (Müller & Ewert 2011):

  log pitch energy: v = log(1 + eta * e) over MIDI pitches 1..120;
  orthonormal DCT-II over pitch, coefficients below the first kept (1-based) set to 0, inverse DCT;
  fold into 12 pitch classes (MIDI pitch p -> p mod 12, C = 0); unit L2 length, or the flat unit vector
  when the length is below 1e-6.

The pitch energies come from a constant-Q magnitude of 36 bins per octave from C1 (MIDI 24), 7 octaves, folded
as librosa's cq_to_chroma folds bins (bin b belongs to semitone (b + 1) // 3): e = sum of squared magnitudes.
Writes under Tests/Fixtures/features/:

  crp_cqt252.npy       the input: 24 frames x 252 constant-Q magnitudes (seeded; frames 5 and 17 silent)
  crp_default.npy      CRP with eta 1000 and the coefficients from the 55th kept, 24 x 12
  crp_k25_eta100.npy   CRP with eta 100 and the coefficients from the 25th kept, 24 x 12

Run: python3 scripts/reference/crp.py
"""
import os

import numpy as np
from scipy.fft import dct, idct

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Fixtures", "features")
BINS_PER_OCTAVE = 36
LOWEST_MIDI = 24


def magnitudes(frames=24, bins=252, seed=18):
    """Harmonic tones at a few random pitches over a faint floor, like a CQT of chords."""
    rng = np.random.default_rng(seed)
    cqt = 1e-3 * rng.random((frames, bins))
    for t in range(frames):
        for _ in range(rng.integers(1, 5)):
            bin0 = 3 * rng.integers(0, 48)
            for h, offset in enumerate([0, 36, 57, 72, 84]):
                if bin0 + offset < bins:
                    cqt[t, bin0 + offset] += rng.uniform(0.2, 1.0) * 0.6 ** h
    cqt[[5, 17]] = 0
    return cqt


def crp(cqt, eta, first_kept):
    frames, bins = cqt.shape
    energy = np.zeros((frames, 120))
    for b in range(bins):
        midi = LOWEST_MIDI + (b + BINS_PER_OCTAVE // 24) // (BINS_PER_OCTAVE // 12)
        if 1 <= midi <= 120:
            energy[:, midi - 1] += cqt[:, b] ** 2
    logp = np.log(1 + eta * energy)
    coefficients = dct(logp, type=2, norm="ortho", axis=1)
    coefficients[:, :first_kept - 1] = 0
    reduced = idct(coefficients, type=2, norm="ortho", axis=1)
    chroma = np.zeros((frames, 12))
    for p in range(1, 121):
        chroma[:, p % 12] += reduced[:, p - 1]
    length = np.linalg.norm(chroma, axis=1, keepdims=True)
    flat = np.full((1, 12), 1 / np.sqrt(12))
    return np.where(length < 1e-6, flat, chroma / np.maximum(length, 1e-300))


def save(name, array):
    np.save(os.path.join(OUT, name), np.ascontiguousarray(array, dtype=np.float32))


def main():
    os.makedirs(OUT, exist_ok=True)
    cqt = magnitudes().astype(np.float32)
    save("crp_cqt252.npy", cqt)
    save("crp_default.npy", crp(cqt.astype(np.float64), 1000, 55))
    save("crp_k25_eta100.npy", crp(cqt.astype(np.float64), 100, 25))
    print("wrote crp_cqt252.npy, crp_default.npy, crp_k25_eta100.npy")


if __name__ == "__main__":
    main()
