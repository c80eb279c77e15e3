#!/usr/bin/env bash
# Reproduces the shipped hasher (Sources/Refrain/Resources/models/hasher.npz) from its seed: the same
# corpus, seed, piece counts and thread count give the same model bit for bit on one machine.
# Usage: scripts/train/hasher.sh [TRAIN_CORPUS] [OUT]
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus="${1:-../shared/train-corpus}"
out="${2:-.cache/models/hasher.npz}"
swift build -c release --product refrain
nice -n 10 .build/release/refrain train hasher --corpus "$corpus" --out "$out" \
    --train-pieces 200 --validation-pieces 30 --renditions 2 --cache .cache/train \
    --steps 5000 --width 128 --batch 32 --learning-rate 0.001 --alpha 1 --margin 16 --seed 20 --threads 1
