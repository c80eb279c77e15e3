"""Writes the reference output of a shipped hasher (Tests/Fixtures/learned/<kind>-reference.json: hasher-reference.json
for the hasher, pianoroll-hasher-reference.json for the piano-roll hasher).

Run: python3 scripts/reference/hasher_forward.py [MODEL]   (NumPy only; MODEL defaults to the shipped
Sources/Refrain/Resources/models/hasher.npz; pass .../pianoroll-hasher.npz for the piano-roll hasher)

An independent NumPy forward pass of every network of a Refrain hasher (learned_numpy.py): `audio` and `synth`,
or the piano-roll hasher's `pianoroll`. The input is made
here: 64 frames x 48 bins in [0, 1] (a seeded random walk of notes over a noise floor), standardised per bin
with the model's `<role>.input_mean` / `<role>.input_deviation` metadata, as HashEncoder does; for the piano-roll
hasher only the walk's notes are kept (every other cell 0), as in a piano roll. The fixture
keeps the model's SHA-256, the input, both networks' tanh outputs and the codes (bit k set where output k > 0).
"""
import json
import os
import sys

import numpy as np

from learned_numpy import forward, read_model, sha256, standardised, test_input

root = os.path.join(os.path.dirname(__file__), "..", "..")
model_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "Sources", "Refrain", "Resources", "models", "hasher.npz")
out = os.path.join(root, "Tests", "Fixtures", "learned")
os.makedirs(out, exist_ok=True)

raw, meta, networks, tensors = read_model(model_path)
frames = 64
x = test_input(2015, frames)
if meta["model"] == "pianoroll-hasher":
    # A piano roll: the walk's notes (0.7-0.95, like velocities / 127) and nothing else.
    x = np.where(x > 0.6, x, 0).astype(np.float32)
result = {"sha256": sha256(raw), "frames": frames, "bins": 48, "input": x.reshape(-1).tolist()}
roles = sorted(networks)
for role in roles:
    y = forward(networks, tensors, role, standardised(meta, role, x))
    codes = [int(sum(1 << k for k in range(y.shape[1]) if row[k] > 0)) for row in y]
    result[role] = {"outputs": y.reshape(-1).tolist(), "steps": int(y.shape[0]), "bits": int(y.shape[1]), "codes": codes}
name = f"{meta['model']}-reference.json"
with open(os.path.join(out, name), "w") as f:
    json.dump(result, f)
print("wrote", os.path.join(out, name), "for", result["sha256"][:12], {r: result[r]["codes"][:4] for r in roles})
