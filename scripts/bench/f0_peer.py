#!/usr/bin/env python3
"""Peer timing for `refrain-bench f0`: librosa.pyin (0.11) on the same WAV file with the same parameters
(fmin C2 = 65.41 Hz, fmax C6 = 1046.5 Hz, 22050 Hz, frame 2048, hop 512, all other arguments at librosa's
defaults). Median wall and CPU seconds over --runs runs after one warm-up run (numba compiles on first use).

Prints one JSON object: {"seconds": wall, "cpu": cpu, "librosa": version, "f0": [...], "voiced": [...]}.
"""
import argparse
import json
import statistics
import time

import librosa
import numpy as np


def main():
    p = argparse.ArgumentParser()
    p.add_argument("file")
    p.add_argument("--runs", type=int, default=1)
    a = p.parse_args()
    y, sr = librosa.load(a.file, sr=22050, mono=True)
    fmin, fmax = librosa.midi_to_hz(36), librosa.midi_to_hz(84)
    librosa.pyin(y[: sr * 2], fmin=fmin, fmax=fmax, sr=sr)  # warm-up (numba)
    wall, cpu = [], []
    for _ in range(a.runs):
        t, c = time.perf_counter(), time.process_time()
        f0, voiced, _ = librosa.pyin(y, fmin=fmin, fmax=fmax, sr=sr)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    print(json.dumps({"seconds": statistics.median(wall), "cpu": statistics.median(cpu), "librosa": librosa.__version__,
                      "f0": [None if np.isnan(v) else float(v) for v in f0], "voiced": [bool(v) for v in voiced]}))


if __name__ == "__main__":
    main()
