"""Peer timings for `refrain-bench learn`: PyTorch (CPU) training steps per second of the same two networks,
and tslearn's soft-DTW, printed as one JSON object per line: {"task": ..., "rate": ..., "unit": ...}.

Run by refrain-bench with the interpreter given by --python (a venv with torch and tslearn). The networks,
batch and optimisers mirror Sources/refrain-bench/LearnBenchCommand.swift:
  front end: input 1 x 100 x 48; conv 16 (5x12, padding (2, 0)), ReLU, max pool 2x2; conv 32 (3x3, padding 1),
             ReLU, max pool 2x2 -> 32 x 25 x 9
  hasher:    flatten 7200, dense 2048 ReLU, dense 2048 ReLU, dense 16 tanh; Raffel's hashing loss against a
             fixed batch of the other modality's codes; RMSprop
  embedder:  per step (25 steps of 288), dense 2048 ReLU, dense 2048 ReLU, attention pooling, dense 128,
             L2 normalisation; batch-hard triplet loss (10 classes x 5); Adam
Batch 50. A "forward" is torch.no_grad(); a "step" is forward, loss, backward and the optimiser update.
Usage: learn_peer.py [--threads 1,2] [--quick]
"""
import json
import sys
import time

import numpy as np

threads = [1, 2]
quick = "--quick" in sys.argv
for i, a in enumerate(sys.argv):
    if a == "--threads":
        threads = [int(t) for t in sys.argv[i + 1].split(",")]


def report(task, rate, unit):
    print(json.dumps({"task": task, "rate": rate, "unit": unit}), flush=True)


def best_rate(fn, min_runs=3, min_seconds=1.0):
    fn()
    fn()
    best, runs, start = float("inf"), 0, time.perf_counter()
    while runs < min_runs or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        runs += 1
        if runs >= 30:
            break
    return 1.0 / best


try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class FrontEnd(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 16, (5, 12), padding=(2, 0))
            self.conv2 = nn.Conv2d(16, 32, (3, 3), padding=(1, 1))

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)
            return F.max_pool2d(F.relu(self.conv2(x)), 2)

    class Hasher(nn.Module):
        def __init__(self):
            super().__init__()
            self.front = FrontEnd()
            self.dense1 = nn.Linear(7200, 2048)
            self.dense2 = nn.Linear(2048, 2048)
            self.out = nn.Linear(2048, 16)

        def forward(self, x):
            x = self.front(x).flatten(1)
            return torch.tanh(self.out(F.relu(self.dense2(F.relu(self.dense1(x))))))

    class Embedder(nn.Module):
        def __init__(self):
            super().__init__()
            self.front = FrontEnd()
            self.dense1 = nn.Linear(288, 2048)
            self.dense2 = nn.Linear(2048, 2048)
            self.attention = nn.Linear(2048, 1)
            self.out = nn.Linear(2048, 128)

        def forward(self, x):
            h = self.front(x).permute(0, 2, 1, 3).flatten(2)
            h = F.relu(self.dense2(F.relu(self.dense1(h))))
            alpha = F.softmax(self.attention(h).squeeze(-1), dim=1)
            c = (alpha.unsqueeze(-1) * h).sum(1)
            return F.normalize(self.out(c), dim=-1)

    def hashing_loss(x, y, negatives, margin=4.0, alpha=1.0):
        pos = ((x - y) ** 2).sum(1).mean()
        neg = torch.clamp(margin - ((x - y[negatives]) ** 2).sum(1), min=0).mean()
        return pos + alpha * neg

    def batch_hard_triplet(e, labels, margin=0.2):
        d = torch.cdist(e, e).clamp(min=1e-6)
        same = labels[:, None] == labels[None, :]
        eye = torch.eye(len(labels), dtype=torch.bool)
        hardest_pos = (d * (same & ~eye)).max(1).values
        hardest_neg = d.masked_fill(same, float("inf")).min(1).values
        return F.relu(hardest_pos - hardest_neg + margin).mean()

    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    x = torch.rand(50, 1, 100, 48, generator=g)
    targets = torch.tanh(torch.randn(50, 16, generator=g))
    negatives = torch.roll(torch.arange(50), 1)
    labels = torch.arange(50) % 10
    for n in threads:
        torch.set_num_threads(n)
        hasher = Hasher()
        opt = torch.optim.RMSprop(hasher.parameters(), lr=1e-4)

        def hasher_forward():
            with torch.no_grad():
                hasher(x)

        def hasher_step():
            opt.zero_grad(set_to_none=False)
            hashing_loss(hasher(x), targets, negatives).backward()
            opt.step()

        report(f"hasher-forward-{n}", best_rate(hasher_forward), "batches/s")
        report(f"hasher-step-{n}", best_rate(hasher_step), "steps/s")
        embedder = Embedder()
        opt2 = torch.optim.Adam(embedder.parameters(), lr=1e-4)

        def embedder_forward():
            with torch.no_grad():
                embedder(x)

        def embedder_step():
            opt2.zero_grad(set_to_none=False)
            batch_hard_triplet(embedder(x), labels).backward()
            opt2.step()

        report(f"embedder-forward-{n}", best_rate(embedder_forward), "batches/s")
        report(f"embedder-step-{n}", best_rate(embedder_step), "steps/s")
    report("torch-version", 0, torch.__version__)
except ImportError:
    pass

try:
    from tslearn.metrics import SoftDTW
except ImportError:
    SoftDTW = None
if SoftDTW is not None:
    from scipy.spatial.distance import cdist

    rng = np.random.default_rng(2012)
    a, b = rng.random((500, 12)), rng.random((500, 12))

    def soft():
        s = SoftDTW(cdist(a, b, "sqeuclidean"), gamma=1.0)
        s.compute()
        s.grad()

    report("softdtw-500x500", best_rate(soft, min_seconds=0.5) * 500 * 500, "cells/s")
