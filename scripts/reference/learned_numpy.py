"""NumPy forward passes of Refrain's learned networks, read straight from a model file (docs/model-format.md).

Used by hasher_forward.py and embedder_forward.py. PyTorch's layer conventions: conv2d weights [out, in, kh, kw]
with zero padding, max pooling with floor, dense y = x W^T + b, `tosequence` from channels x time x width to
time x (channels * width), feed-forward attention (Raffel & Ellis 2016) alpha = softmax_t(h_t . w + b),
c = sum_t alpha_t h_t, and L2 normalisation y = x / max(|x|, eps). Everything in float64.
"""
import hashlib
import io
import json
import zipfile

import numpy as np


def read_model(path):
    """(raw bytes, metadata, networks by role, tensors by name) of a Refrain model file."""
    raw = open(path, "rb").read()
    archive = zipfile.ZipFile(io.BytesIO(raw))
    description = json.loads(archive.read("architecture.json"))
    tensors = {n[:-4]: np.load(io.BytesIO(archive.read(n))) for n in archive.namelist() if n.endswith(".npy")}
    meta = description["metadata"]
    return raw, meta, json.loads(meta["networks"]), tensors


def sha256(raw):
    return hashlib.sha256(raw).hexdigest()


def test_input(seed, frames):
    """frames x 48 values in [0, 1]: a seeded random walk of notes (with fifth and octave) over a noise floor."""
    rng = np.random.default_rng(seed)
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
    return x.astype(np.float32)


def standardised(meta, role, x):
    mean = np.array([float(v) for v in meta[f"{role}.input_mean"].split(",")])
    dev = np.array([float(v) for v in meta[f"{role}.input_deviation"].split(",")])
    return (x - mean) / dev


def conv2d(a, w, b, pad):
    # a: [c, h, w]; w: [o, c, kh, kw]
    o, _, kh, kw = w.shape
    a = np.pad(a, ((0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    oh, ow = a.shape[1] - kh + 1, a.shape[2] - kw + 1
    out = np.zeros((o, oh, ow), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            out += np.einsum("oc,chw->ohw", w[:, :, i, j], a[:, i:i + oh, j:j + ow])
    return out + b[:, None, None]


def maxpool(a, k):
    c, h, w = a.shape
    oh, ow = h // k[0], w // k[1]
    return a[:, :oh * k[0], :ow * k[1]].reshape(c, oh, k[0], ow, k[1]).max(axis=(2, 4))


def forward(networks, tensors, role, inp):
    """The `role` network on one input (frames x 48): per-step outputs, or one vector after attention."""
    y = inp[None, :, :].astype(np.float64)
    for layer in networks[role]["layers"]:
        kind, name = layer["type"], layer["name"]
        weight = tensors.get(f"{role}.{name}.weight")
        bias = tensors.get(f"{role}.{name}.bias")
        if kind == "conv2d":
            y = conv2d(y, weight.astype(np.float64), bias.astype(np.float64), layer.get("padding", [0, 0]))
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
            y = y @ weight.astype(np.float64).T + bias.astype(np.float64)
        elif kind == "attention":
            scores = y @ weight.astype(np.float64)[0] + float(bias[0])
            alpha = np.exp(scores - scores.max())
            alpha /= alpha.sum()
            y = alpha @ y
        elif kind == "l2normalize":
            y = y / max(np.linalg.norm(y), layer.get("epsilon") or 1e-12)
        else:
            raise SystemExit(f"layer type {kind} is not in this reference")
    return y
