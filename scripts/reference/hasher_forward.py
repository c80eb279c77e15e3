"""Writes the reference output of the shipped hasher (Tests/Fixtures/learned/hasher-reference.json).

Run: python3 scripts/reference/hasher_forward.py [MODEL]   (NumPy only; MODEL defaults to the shipped
Sources/Refrain/Resources/models/hasher.npz)

An independent NumPy forward pass of both networks of a Refrain hasher (learned_numpy.py). The input is made
here: 64 frames x 48 bins in [0, 1] (a seeded random walk of notes over a noise floor), standardised per bin
with the model's `<role>.input_mean` / `<role>.input_deviation` metadata, as HashEncoder does. The fixture
keeps the model's SHA-256, the input, both networks' tanh outputs and the codes (bit k set where output k > 0).
"""
import json
import os
import sys

from learned_numpy import forward, read_model, sha256, standardised, test_input

root = os.path.join(os.path.dirname(__file__), "..", "..")
model_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "Sources", "Refrain", "Resources", "models", "hasher.npz")
out = os.path.join(root, "Tests", "Fixtures", "learned")
os.makedirs(out, exist_ok=True)

raw, meta, networks, tensors = read_model(model_path)
frames = 64
x = test_input(2015, frames)
result = {"sha256": sha256(raw), "frames": frames, "bins": 48, "input": x.reshape(-1).tolist()}
for role in ["audio", "synth"]:
    y = forward(networks, tensors, role, standardised(meta, role, x))
    codes = [int(sum(1 << k for k in range(y.shape[1]) if row[k] > 0)) for row in y]
    result[role] = {"outputs": y.reshape(-1).tolist(), "steps": int(y.shape[0]), "bits": int(y.shape[1]), "codes": codes}
with open(os.path.join(out, "hasher-reference.json"), "w") as f:
    json.dump(result, f)
print("wrote", os.path.join(out, "hasher-reference.json"), "for", result["sha256"][:12],
      {r: result[r]["codes"][:4] for r in ["audio", "synth"]})
