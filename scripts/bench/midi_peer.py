#!/usr/bin/env python3
"""Peer timing for `refrain-bench midi`: pretty_midi parse + get_piano_roll(times=get_beats()) over every
.mid file of a folder; prints `files_per_second X` (best of --passes)."""
import argparse
import os
import sys
import time
import warnings

try:
    import pretty_midi
except ImportError:
    print("pretty_midi not installed", file=sys.stderr)
    sys.exit(2)

parser = argparse.ArgumentParser()
parser.add_argument("--dir", default="../shared/corpus")
parser.add_argument("--passes", type=int, default=3)
args = parser.parse_args()
files = sorted(os.path.join(args.dir, f) for f in os.listdir(args.dir) if f.lower().endswith((".mid", ".midi")))
warnings.simplefilter("ignore")
best = float("inf")
for _ in range(max(1, args.passes)):
    start = time.perf_counter()
    for path in files:
        try:
            pm = pretty_midi.PrettyMIDI(path)
            pm.get_piano_roll(times=pm.get_beats())
        except Exception:
            pass
    best = min(best, time.perf_counter() - start)
print(f"files {len(files)}")
print(f"seconds {best:.6f}")
print(f"files_per_second {len(files) / best:.3f}")
