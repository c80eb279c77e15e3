#!/usr/bin/env bash
# Reproduces the shipped embedder (Sources/Refrain/Resources/models/embedder.npz) from its seed, in two stages.
# Stage 1 (round 6, shipped as e0c9a018...): the hasher's material (same corpus, seed, pieces, renditions), its
# front end started from the shipped hasher, 256-frame windows, one thread; skipped when its output is already
# there with that SHA-256. Stage 2 (round 9): training continued from stage 1 on 800 training pieces (the first
# 200 are stage 1's) with windows of 256 to 768 frames, each modality on its own clock.
# The same inputs give the same model bit for bit on one machine.
# Usage: scripts/train/embedder.sh [TRAIN_CORPUS] [OUT]
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus="${1:-../shared/train-corpus}"
out="${2:-.cache/models/embedder.npz}"
stage1=.cache/models/embedder-stage1.npz
stage1_sha=e0c9a0189b63e221f381077d2178f5d47503504782e7d5ab6ee9ca7f20fb0b6e
swift build -c release --product refrain
if [ ! -f "$stage1" ] || [ "$(sha256sum "$stage1" | cut -d' ' -f1)" != "$stage1_sha" ]; then
    nice -n 10 stdbuf -oL .build/release/refrain train embedder --corpus "$corpus" --out "$stage1" \
        --train-pieces 200 --validation-pieces 30 --renditions 2 --cache .cache/train \
        --init-hasher Sources/Refrain/Resources/models/hasher.npz \
        --steps 5000 --width 128 --dimensions 128 --window 256 --batch 16 --learning-rate 0.0003 --margin 0.5 \
        --seed 20 --threads 1
fi
[ "$(sha256sum "$stage1" | cut -d' ' -f1)" = "$stage1_sha" ] || { echo "stage 1 did not reproduce $stage1_sha" >&2; exit 1; }
nice -n 5 stdbuf -oL .build/release/refrain train embedder --corpus "$corpus" --out "$out" \
    --train-pieces 800 --validation-pieces 30 --renditions 2 --cache .cache/train \
    --init-embedder "$stage1" \
    --steps 600 --width 128 --dimensions 128 --window 768 --shortest-window 256 --batch 16 --learning-rate 0.0001 --margin 0.5 \
    --seed 20 --threads 1
