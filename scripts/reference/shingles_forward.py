"""Writes the reference output of the shipped shingle reducer (Tests/Fixtures/learned/shingles-reference.json).

Run: python3 scripts/reference/shingles_forward.py [MODEL]   (NumPy only; MODEL defaults to the shipped
Sources/Refrain/Resources/models/shingles.npz)

An independent NumPy forward pass (learned_numpy.py) of the shingle reducer (Zalkow & Muller 2020: dense, ReLU,
dense, ReLU, dense, L2 normalisation). The input is made here: 5 shingles of 12 frames x 12 pitch classes (a
seeded random walk of chroma, frames L2-normalised, each shingle scaled to unit length), each multiplied by
sqrt(144) as LearnedShingleReducer does before the network. The fixture keeps the model's SHA-256, the unit-length
shingles (before the scaling) and the reduced vectors.
"""
import json
import os
import sys

import numpy as np

from learned_numpy import forward, read_model, sha256

root = os.path.join(os.path.dirname(__file__), "..", "..")
model_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "Sources", "Refrain", "Resources", "models", "shingles.npz")
out = os.path.join(root, "Tests", "Fixtures", "learned")
os.makedirs(out, exist_ok=True)

raw, meta, networks, tensors = read_model(model_path)
inputs = networks["chroma"]["inputShape"][0]
rng = np.random.default_rng(2020)
shingles = []
for _ in range(5):
    walk = np.abs(np.cumsum(rng.normal(0, 0.3, (inputs // 12, 12)), axis=0)) + 0.05 * rng.random((inputs // 12, 12))
    walk /= np.linalg.norm(walk, axis=1, keepdims=True)
    flat = walk.reshape(-1)
    shingles.append((flat / np.linalg.norm(flat)).astype(np.float32))
reduced = [forward(networks, tensors, "chroma", (s.astype(np.float64) * np.sqrt(inputs))[None, :]).reshape(-1) for s in shingles]
result = {"sha256": sha256(raw), "inputs": inputs, "dimensions": int(len(reduced[0])),
          "shingles": np.concatenate(shingles).tolist(), "reduced": np.concatenate(reduced).tolist()}
with open(os.path.join(out, "shingles-reference.json"), "w") as f:
    json.dump(result, f)
print("wrote", os.path.join(out, "shingles-reference.json"), "for", result["sha256"][:12], [round(v, 4) for v in reduced[0][:3]])
