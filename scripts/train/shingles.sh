#!/usr/bin/env bash
# Reproduces the shipped shingle reducer (Sources/Refrain/Resources/models/shingles.npz) from its seed: the
# hasher's split and pieces (same corpus, seed, piece counts), each rendered with the reference soundfont and as
# two renditions and reduced to CENS (cached in .cache/train), one thread. The same inputs give the same model
# bit for bit on one machine. Usage: scripts/train/shingles.sh [TRAIN_CORPUS] [OUT] [DIMENSIONS]
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus="${1:-../shared/train-corpus}"
out="${2:-.cache/models/shingles.npz}"
dimensions="${3:-30}"
swift build -c release --product refrain
nice -n 10 stdbuf -oL .build/release/refrain train shingles --corpus "$corpus" --out "$out" \
    --train-pieces 200 --validation-pieces 30 --renditions 2 --cache .cache/train \
    --steps 8000 --width 128 --dimensions "$dimensions" --pieces 64 --passages 1 --learning-rate 0.001 --margin 0.3 \
    --mining hard --seed 20 --threads 1
