#!/usr/bin/env bash
# Reproduces the shipped embedder (Sources/Refrain/Resources/models/embedder.npz) from its seed: the hasher's
# material (same corpus, seed, pieces, renditions), its front end started from the shipped hasher, one thread.
# The same inputs give the same model bit for bit on one machine.
# Usage: scripts/train/embedder.sh [TRAIN_CORPUS] [OUT]
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus="${1:-../shared/train-corpus}"
out="${2:-.cache/models/embedder.npz}"
swift build -c release --product refrain
nice -n 10 stdbuf -oL .build/release/refrain train embedder --corpus "$corpus" --out "$out" \
    --train-pieces 200 --validation-pieces 30 --renditions 2 --cache .cache/train \
    --init-hasher Sources/Refrain/Resources/models/hasher.npz \
    --steps 5000 --width 128 --dimensions 128 --window 256 --batch 16 --learning-rate 0.0003 --margin 0.5 \
    --seed 20 --threads 1
