"""Writes the reference output of the shipped hasher (Tests/Fixtures/learned/hasher-reference.json).

Run: python3 scripts/reference/hasher_forward.py [MODEL]   (NumPy only; MODEL defaults to the shipped
Sources/Refrain/Resources/models/hasher.npz)

An independent NumPy forward pass of both networks of a Refrain hasher, read straight from the model file's
members (architecture.json and <role>.<layer>.<weight|bias>.npy, docs/model-format.md) with PyTorch's layer
conventions: conv2d weights [out, in, kh, kw] with zero padding, max pooling with floor, dense y = x W^T + b,
`tosequence` from channels x time x width to time x (channels * width). The input is made here: 64 frames x 48
bins in [0, 1] (a seeded random walk of notes over a noise floor), standardised per bin with the model's
`<role>.input_mean` / `<role>.input_deviation` metadata, as HashEncoder does. The fixture keeps the model's
SHA-256, the input, both networks' tanh outputs and the codes (bit k set where output k > 0).
"""
import hashlib
import io
import json
import os
import sys
import zipfile

import numpy as np

root = os.path.join(os.path.dirname(__file__), "..", "..")
model_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "Sources", "Refrain", "Resources", "models", "hasher.npz")
out = os.path.join(root, "Tests", "Fixtures", "learned")
os.makedirs(out, exist_ok=True)

raw = open(model_path, "rb").read()
archive = zipfile.ZipFile(io.BytesIO(raw))
description = json.loads(archive.read("architecture.json"))
tensors = {n[:-4]: np.load(io.BytesIO(archive.read(n))) for n in archive.namelist() if n.endswith(".npy")}
meta = description["metadata"]
networks = json.loads(meta["networks"])

rng = np.random.default_rng(2015)
frames = 64
x = 0.45 + 0.05 * rng.random((frames, 48))
note = 24
for t in range(frames):
    if t % 6 == 0:
        note = int(np.clip(note + rng.integers(-5, 6), 0, 47))
    x[t, note] = 0.95
    if note + 12 < 48:
        x[t, note + 12] = 0.8
    if note + 7 < 48:
        x[t, note + 7] = 0.7
x = x.astype(np.float32)


def conv2d(a, w, b, pad):
    # a: [c, h, w]; w: [o, c, kh, kw]
    c, h, wd = a.shape
    o, _, kh, kw = w.shape
    a = np.pad(a, ((0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    oh, ow = a.shape[1] - kh + 1, a.shape[2] - kw + 1
    out = np.zeros((o, oh, ow), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = a[:, i:i + oh, j:j + ow]  # [c, oh, ow]
            out += np.einsum("oc,chw->ohw", w[:, :, i, j], patch)
    return out + b[:, None, None]


def maxpool(a, k):
    c, h, w = a.shape
    oh, ow = h // k[0], w // k[1]
    a = a[:, :oh * k[0], :ow * k[1]].reshape(c, oh, k[0], ow, k[1])
    return a.max(axis=(2, 4))


def forward(role, inp):
    y = inp[None, :, :].astype(np.float64)
    for layer in networks[role]["layers"]:
        kind, name = layer["type"], layer["name"]
        if kind == "conv2d":
            y = conv2d(y, tensors[f"{role}.{name}.weight"].astype(np.float64), tensors[f"{role}.{name}.bias"].astype(np.float64),
                       layer.get("padding", [0, 0]))
        elif kind == "relu":
            y = np.maximum(y, 0)
        elif kind == "tanh":
            y = np.tanh(y)
        elif kind == "maxpool2d":
            y = maxpool(y, layer["kernel"])
        elif kind == "tosequence":
            c, t, w = y.shape
            y = y.transpose(1, 0, 2).reshape(t, c * w)
        elif kind == "dense":
            y = y @ tensors[f"{role}.{name}.weight"].astype(np.float64).T + tensors[f"{role}.{name}.bias"].astype(np.float64)
        else:
            raise SystemExit(f"layer type {kind} is not in this reference")
    return y


result = {"sha256": hashlib.sha256(raw).hexdigest(), "frames": frames, "bins": 48, "input": x.reshape(-1).tolist()}
for role in ["audio", "synth"]:
    mean = np.array([float(v) for v in meta[f"{role}.input_mean"].split(",")])
    dev = np.array([float(v) for v in meta[f"{role}.input_deviation"].split(",")])
    y = forward(role, (x - mean) / dev)
    codes = [int(sum(1 << k for k in range(y.shape[1]) if row[k] > 0)) for row in y]
    result[role] = {"outputs": y.reshape(-1).tolist(), "steps": int(y.shape[0]), "bits": int(y.shape[1]), "codes": codes}
with open(os.path.join(out, "hasher-reference.json"), "w") as f:
    json.dump(result, f)
print("wrote", os.path.join(out, "hasher-reference.json"), "for", result["sha256"][:12],
      {r: result[r]["codes"][:4] for r in ["audio", "synth"]})
