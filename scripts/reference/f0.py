#!/usr/bin/env python3
"""Reference f0 tracks for Tests/RefrainFeaturesTests/PYINTests.swift: librosa.pyin and librosa.yin (0.11) on
sung-like signals this script synthesises (vibrato, glides between notes, breath noise, silences, room noise).

Run with a Python that has librosa (e.g. a venv outside the repository):
    python scripts/reference/f0.py Tests/Fixtures/f0

Writes, per signal NAME:
  NAME_signal.npy   int16 samples at 22050 Hz (the float signal is int16 / 32768, which librosa also reads)
  NAME_pyin_f0.npy  float32 f0 in Hz, NaN where unvoiced        (librosa.pyin, fmin=C2, fmax=C6, defaults)
  NAME_pyin_voiced.npy  uint8 voiced flag
  NAME_pyin_prob.npy    float32 voiced probability
  NAME_yin_f0.npy   float32 f0 in Hz                             (librosa.yin, fmin=C2, fmax=C6, defaults)
  NAME_true_f0.npy  float32 f0 the signal was made with, per pYIN frame (NaN in silences)
and meta.json with the parameters and library versions.
"""
import json
import os
import sys

import librosa
import numpy as np
import scipy

SR = 22050
FMIN = librosa.midi_to_hz(36)  # C2
FMAX = librosa.midi_to_hz(84)  # C6
HOP = 512


def sung(notes, seed, vibrato_cents=40.0, vibrato_hz=5.5, glide=0.06, snr_db=None, breath=True, formants=(700, 1200, 2600)):
    """notes: list of (midi or None for a rest, seconds). Returns (signal float32, f0 per sample or NaN)."""
    rng = np.random.default_rng(seed)
    f0 = []
    amp = []
    prev = None
    for midi, seconds in notes:
        n = int(seconds * SR)
        if midi is None:
            f0.append(np.full(n, np.nan)); amp.append(np.zeros(n)); prev = None
            continue
        target = librosa.midi_to_hz(midi)
        curve = np.full(n, float(target))
        if prev is not None:
            g = min(n, int(glide * SR))
            # raised-cosine glide in log frequency from the previous note
            w = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, g))
            curve[:g] = np.exp(np.log(prev) * (1 - w) + np.log(target) * w)
        t = np.arange(n) / SR
        depth = vibrato_cents * np.clip(t / 0.25, 0, 1)  # vibrato grows in after the onset
        curve *= 2 ** (depth * np.sin(2 * np.pi * vibrato_hz * t + rng.uniform(0, 2 * np.pi)) / 1200)
        curve *= 2 ** (rng.normal(0, 3, n).cumsum() / np.sqrt(np.arange(1, n + 1)) / 1200)  # slow wander
        f0.append(curve)
        env = np.minimum(1, np.minimum(t / 0.03, (seconds - t) / 0.05))
        amp.append(np.clip(env, 0, 1) * (0.6 + 0.1 * rng.uniform()))
        prev = curve[-1]
    f0 = np.concatenate(f0)
    amp = np.concatenate(amp)
    phase = 2 * np.pi * np.cumsum(np.nan_to_num(f0)) / SR
    y = np.zeros_like(f0)
    safe = np.nan_to_num(f0, nan=1.0)
    for h in range(1, 30):
        fh = h * safe
        # glottal-like source (-12 dB/octave) shaped by three formant resonances
        gain = h ** -1.0
        for fc, bw in zip(formants, (80, 90, 120)):
            gain = gain * (1 + 4 / (1 + ((fh - fc) / bw) ** 2))
        gain = np.where(fh < SR / 2 - 500, gain, 0)
        y += gain * np.sin(h * phase)
    y = y / np.max(np.abs(y)) * amp
    if breath:
        noise = rng.normal(0, 1, y.size)
        b, a = scipy.signal.butter(2, [1500 / (SR / 2), 6000 / (SR / 2)], btype="band")
        y += 0.02 * scipy.signal.lfilter(b, a, noise) * (amp == 0)
    if snr_db is not None:
        power = np.mean(y[amp > 0] ** 2)
        y += rng.normal(0, np.sqrt(power / 10 ** (snr_db / 10)), y.size)
    y = y / max(1.0, np.max(np.abs(y)) / 0.9)
    return y.astype(np.float32), f0


SIGNALS = {
    # A soprano phrase: stepwise notes with glides, vibrato, rests with breaths.
    "soprano": dict(notes=[(None, 0.3), (67, 0.45), (69, 0.45), (71, 0.3), (72, 0.6), (None, 0.25), (74, 0.4),
                           (72, 0.4), (69, 0.7), (None, 0.3)], seed=1),
    # A baritone hum with wider vibrato and room noise at 20 dB SNR.
    "baritone": dict(notes=[(None, 0.2), (45, 0.5), (47, 0.35), (48, 0.35), (50, 0.7), (None, 0.2), (52, 0.5),
                            (50, 0.4), (45, 0.8), (None, 0.2)], seed=2, vibrato_cents=60, snr_db=20,
                     formants=(300, 900, 2400)),
    # A child-like / high voice with big leaps and 10 dB noise.
    "leaps": dict(notes=[(None, 0.25), (64, 0.4), (76, 0.4), (71, 0.3), (59, 0.5), (None, 0.3), (66, 0.4), (78, 0.5),
                         (62, 0.6), (None, 0.25)], seed=3, snr_db=10, glide=0.04),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "Tests/Fixtures/f0"
    os.makedirs(out, exist_ok=True)
    meta = {"librosa": librosa.__version__, "numpy": np.__version__, "sr": SR, "fmin": FMIN, "fmax": FMAX,
            "hop": HOP, "frame_length": 2048, "signals": {}}
    for name, spec in SIGNALS.items():
        y, f0 = sung(**spec)
        q = np.clip(np.round(y * 32768), -32768, 32767).astype(np.int16)
        y = (q.astype(np.float32) / 32768).astype(np.float32)
        np.save(f"{out}/{name}_signal.npy", q)
        f0_p, voiced, prob = librosa.pyin(y, fmin=FMIN, fmax=FMAX, sr=SR)
        np.save(f"{out}/{name}_pyin_f0.npy", f0_p.astype(np.float32))
        np.save(f"{out}/{name}_pyin_voiced.npy", voiced.astype(np.uint8))
        np.save(f"{out}/{name}_pyin_prob.npy", prob.astype(np.float32))
        f0_y = librosa.yin(y, fmin=FMIN, fmax=FMAX, sr=SR)
        np.save(f"{out}/{name}_yin_f0.npy", f0_y.astype(np.float32))
        frames = np.arange(f0_p.size) * HOP
        true = f0[np.minimum(frames, f0.size - 1)].astype(np.float32)
        np.save(f"{out}/{name}_true_f0.npy", true)
        ok = ~np.isnan(true) & voiced
        cents = np.abs(1200 * np.log2(f0_p[ok] / true[ok]))
        meta["signals"][name] = {"frames": int(f0_p.size), "voiced_frames": int(voiced.sum()),
                                 "pyin_rpa50_vs_truth": float(np.mean(cents < 50)) if ok.any() else None}
        print(name, meta["signals"][name])
    with open(f"{out}/meta.json", "w") as f:
        json.dump(meta, f, indent=1)


if __name__ == "__main__":
    main()
