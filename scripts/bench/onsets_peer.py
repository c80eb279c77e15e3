#!/usr/bin/env python3
"""Peer timing for `refrain bench onsets`: librosa on the same signal with the same parameters.

Usage: onsets_peer.py SIGNAL.npy [--sr 22050] [--repeats 3]
Prints one JSON object: librosa version and, per stage, median wall seconds (`stft`) and median
process-CPU seconds (`stft_cpu`), after one warm-up run, which also triggers numba compilation:
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
    """Median wall and median process-CPU seconds of `repeats` runs after one warm-up run."""
    f()  # warm-up (numba JIT, FFT plan caches)
    wall, cpu = [], []
    out = None
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        out = f()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return (statistics.median(wall), statistics.median(cpu)), out


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
        "stft": t_stft[0], "onset": t_onset[0], "beats": t_beats[0],
        "stft_cpu": t_stft[1], "onset_cpu": t_onset[1], "beats_cpu": t_beats[1],
        "bpm": float(np.atleast_1d(bpm)[0]), "beat_count": int(len(beats)),
        "beat_frames": [int(b) for b in beats],
    }))


if __name__ == "__main__":
    main()
