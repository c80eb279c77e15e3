"""Writes the reference output of the shipped embedder (Tests/Fixtures/learned/embedder-reference.json).

Run: python3 scripts/reference/embedder_forward.py [MODEL]   (NumPy only; MODEL defaults to the shipped
Sources/Refrain/Resources/models/embedder.npz)

An independent NumPy forward pass (learned_numpy.py) of both networks of a Refrain embedder (Raffel & Ellis
2016: convolutional front end, dense layers per step, feed-forward attention over all steps, dense, L2
normalisation). The input is made here: 300 frames x 48 bins (a seeded random walk of notes over a noise
floor; 300 is not the training window, so pooling over any length is checked), standardised per bin with the
model's metadata as EmbeddingEncoder does. The fixture keeps the model's SHA-256, the input and both
networks' unit vectors.
"""
import json
import os
import sys

from learned_numpy import forward, read_model, sha256, standardised, test_input

root = os.path.join(os.path.dirname(__file__), "..", "..")
model_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "Sources", "Refrain", "Resources", "models", "embedder.npz")
out = os.path.join(root, "Tests", "Fixtures", "learned")
os.makedirs(out, exist_ok=True)

raw, meta, networks, tensors = read_model(model_path)
frames = 300
x = test_input(2016, frames)
result = {"sha256": sha256(raw), "frames": frames, "bins": 48, "input": x.reshape(-1).tolist()}
for role in ["audio", "synth"]:
    y = forward(networks, tensors, role, standardised(meta, role, x))
    result[role] = {"embedding": y.reshape(-1).tolist()}
with open(os.path.join(out, "embedder-reference.json"), "w") as f:
    json.dump(result, f)
print("wrote", os.path.join(out, "embedder-reference.json"), "for", result["sha256"][:12],
      {r: [round(v, 4) for v in result[r]["embedding"][:3]] for r in ["audio", "synth"]})
