#!/usr/bin/env python3
"""Peer timing for `refrain bench onsets`: librosa on the same signal with the same parameters.

Usage: onsets_peer.py SIGNAL.npy [--sr 22050] [--repeats 3]
Prints one JSON object: librosa version and median seconds per stage (after one warm-up run, which
also triggers numba compilation):
  stft:  np.abs(librosa.stft(y))                     (n_fft 2048, hop 512, centred, zero pad)
  onset: librosa.onset.onset_strength(y, aggregate=np.median)  (128 mels, dB, lag 1)
  beats: librosa.beat.beat_track(onset_envelope=env)  (tempo estimate + DP beat tracker, trimmed)
"""
import argparse
import json
import statistics
import sys
import time

import numpy as np

try:
    import librosa
except ImportError:
    print(json.dumps({"error": "librosa is not installed"}))
    sys.exit(0)


def timed(f, repeats):
    f()  # warm-up (numba JIT, FFT plan caches)
    times = []
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("signal")
    ap.add_argument("--sr", type=float, default=22050)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    y = np.load(a.signal).astype(np.float32)
    sr = a.sr
    t_stft, _ = timed(lambda: np.abs(librosa.stft(y)), a.repeats)
    t_onset, env = timed(lambda: librosa.onset.onset_strength(y=y, sr=sr, aggregate=np.median), a.repeats)
    t_beats, (bpm, beats) = timed(lambda: librosa.beat.beat_track(onset_envelope=env, sr=sr), a.repeats)
    print(json.dumps({
        "librosa": librosa.__version__,
        "stft": t_stft, "onset": t_onset, "beats": t_beats,
        "bpm": float(np.atleast_1d(bpm)[0]), "beat_count": int(len(beats)),
        "beat_frames": [int(b) for b in beats],
    }))


if __name__ == "__main__":
    main()
