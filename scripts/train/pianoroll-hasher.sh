#!/usr/bin/env bash
# Reproduces the shipped piano-roll hasher (Sources/Refrain/Resources/models/pianoroll-hasher.npz) from its seed:
# a network reading scores' piano rolls, trained against the frozen audio network of the shipped hasher
# (hasher.npz), on the hasher's material (same corpus, split, pieces, renditions and cache). The same corpus,
# seed, piece counts and thread count give the same model bit for bit on one machine.
# Usage: scripts/train/pianoroll-hasher.sh [TRAIN_CORPUS] [OUT]
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus="${1:-../shared/train-corpus}"
out="${2:-.cache/models/pianoroll-hasher.npz}"
swift build -c release --product refrain
nice -n 10 .build/release/refrain train hasher --modality pianoroll --audio-hasher shipped --corpus "$corpus" --out "$out" \
    --train-pieces 200 --validation-pieces 30 --renditions 2 --cache .cache/train \
    --steps 1500 --width 128 --batch 32 --learning-rate 0.001 --alpha 1 --margin 16 --seed 20 --threads 1
