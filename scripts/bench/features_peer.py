#!/usr/bin/env python3
"""Peer timing for `refrain bench features`: librosa 0.11 on the same file with the same parameters.

Stages (median seconds over --runs runs, after one warm-up run):
  decode    librosa.load(sr=None, mono=True)                  file -> mono float32 at the file's rate
  resample  librosa.resample(res_type="soxr_hq") to --sr
  cqt       |librosa.cqt| with Raffel & Ellis (2015) settings: 48 bins from MIDI 36, hop --hop
  chroma    librosa.feature.chroma_cqt(tuning=0.0): 7 octaves x 36 bins from C1, hop --hop

Prints one JSON object: {"stages": {name: seconds}, "librosa": version, "frames": n}.
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
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--sr", type=int, default=22050)
    p.add_argument("--hop", type=int, default=512)
    a = p.parse_args()

    def once():
        times = {}
        t = time.perf_counter()
        y, sr = librosa.load(a.file, sr=None, mono=True)
        times["decode"] = time.perf_counter() - t
        t = time.perf_counter()
        y = librosa.resample(y, orig_sr=sr, target_sr=a.sr, res_type="soxr_hq")
        times["resample"] = time.perf_counter() - t
        t = time.perf_counter()
        c = np.abs(librosa.cqt(y, sr=a.sr, hop_length=a.hop, fmin=librosa.midi_to_hz(36), n_bins=48,
                               bins_per_octave=12))
        times["cqt"] = time.perf_counter() - t
        t = time.perf_counter()
        librosa.feature.chroma_cqt(y=y, sr=a.sr, hop_length=a.hop, tuning=0.0)
        times["chroma"] = time.perf_counter() - t
        return times, c.shape[1]

    once()  # warm-up: imports, numba compilation, FFT plans
    runs = [once() for _ in range(max(1, a.runs))]
    stages = {k: statistics.median(r[0][k] for r in runs) for k in runs[0][0]}
    print(json.dumps({"stages": stages, "librosa": librosa.__version__, "frames": runs[0][1]}))


if __name__ == "__main__":
    main()
