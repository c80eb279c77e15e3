#!/usr/bin/env python3
"""Peer timing for `refrain-bench features`: librosa 0.11 on the same file with the same parameters.

Stages (median seconds over --runs runs, after one warm-up run):
  decode    librosa.load(sr=None, mono=True)                  file -> mono float32 at the file's rate
  resample  librosa.resample(res_type="soxr_hq") to --sr
  cqt       |librosa.cqt| with Raffel & Ellis (2015) settings: 48 bins from MIDI 36, hop --hop
  chroma    librosa.feature.chroma_cqt(tuning=0.0): 7 octaves x 36 bins from C1, hop --hop
  onset     librosa.onset.onset_strength(aggregate=np.median): STFT 2048/--hop, 128 mels, dB (as beat_track)
  beats     librosa.beat.beat_track(onset_envelope=...): tempo estimate + dynamic-programming tracker

Prints one JSON object: {"stages": {name: wall seconds}, "cpu": {name: process CPU seconds, all threads},
"librosa": version, "frames": n, "bpm": tempo, "beat_frames": [...]}.
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
        wall, cpu, state = {}, {}, {}

        def stage(name, fn):
            t, c = time.perf_counter(), time.process_time()
            fn()
            wall[name] = time.perf_counter() - t
            cpu[name] = time.process_time() - c

        def decode():
            state["y"], state["sr"] = librosa.load(a.file, sr=None, mono=True)

        def resample():
            state["y"] = librosa.resample(state["y"], orig_sr=state["sr"], target_sr=a.sr, res_type="soxr_hq")

        def cqt():
            state["c"] = np.abs(librosa.cqt(state["y"], sr=a.sr, hop_length=a.hop, fmin=librosa.midi_to_hz(36),
                                            n_bins=48, bins_per_octave=12))

        def chroma():
            librosa.feature.chroma_cqt(y=state["y"], sr=a.sr, hop_length=a.hop, tuning=0.0)

        def onset():
            state["env"] = librosa.onset.onset_strength(y=state["y"], sr=a.sr, hop_length=a.hop, aggregate=np.median)

        def beats():
            state["bpm"], state["beats"] = librosa.beat.beat_track(onset_envelope=state["env"], sr=a.sr,
                                                                   hop_length=a.hop)

        for name, fn in [("decode", decode), ("resample", resample), ("cqt", cqt), ("chroma", chroma),
                         ("onset", onset), ("beats", beats)]:
            stage(name, fn)
        return wall, cpu, state["c"].shape[1], state

    once()  # warm-up: imports, numba compilation, FFT plans
    runs = [once() for _ in range(max(1, a.runs))]
    names = list(runs[0][0])
    last = runs[-1][3]
    print(json.dumps({"bpm": float(np.atleast_1d(last["bpm"])[0]), "beat_frames": [int(b) for b in last["beats"]],
                      "stages": {k: statistics.median(r[0][k] for r in runs) for k in names},
                      "cpu": {k: statistics.median(r[1][k] for r in runs) for k in names},
                      "librosa": librosa.__version__, "frames": runs[0][2]}))


if __name__ == "__main__":
    main()
