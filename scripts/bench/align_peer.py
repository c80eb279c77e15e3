"""Peer timings for `refrain-bench align`: dtaidistance, librosa and tslearn on the same sizes.

Prints one JSON object per line: {"task": ..., "peer": ..., "cells_per_second": ...} or
{"task": ..., "peer": ..., "error": ...}. Inputs are random with a fixed seed; the figure is the
best of a few runs (cells = N * M per alignment).
Usage: python3 align_peer.py [--quick]
"""
import json
import sys
import time

import numpy as np

quick = "--quick" in sys.argv
rng = np.random.default_rng(2012)


def best_time(fn, reps=3, budget=3.0):
    best = float("inf")
    start = time.perf_counter()
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        if time.perf_counter() - start > budget:
            break
    return best


def report(task, peer, cells, fn, reps=3):
    try:
        fn()  # warm-up (numba compilation, imports)
        t = best_time(fn, reps)
        print(json.dumps({"task": task, "peer": peer, "cells_per_second": cells / t}), flush=True)
    except Exception as e:  # report and go on
        print(json.dumps({"task": task, "peer": peer, "error": str(e)[:200]}), flush=True)


sizes = [(12, 1000), (48, 1000)] + ([] if quick else [(12, 4000), (48, 4000)])
try:
    from dtaidistance import dtw_ndim
    have_dtai = True
except ImportError:
    have_dtai = False
try:
    import librosa
    from scipy.spatial.distance import cdist
    have_librosa = True
except ImportError:
    have_librosa = False

for d, n in sizes:
    a = rng.random((n, d))
    b = rng.random((n, d))
    task = f"float-{d}d-{n}"
    if have_dtai:
        report(task + "-distance", "dtaidistance", n * n, lambda: dtw_ndim.distance_fast(a, b))
    if have_librosa and n <= 4000:
        report(task + "-path", "librosa", n * n,
               lambda: librosa.sequence.dtw(C=cdist(a, b, "sqeuclidean"), backtrack=True), reps=2)

if have_librosa:
    q = rng.random((200, 12))
    db = rng.random((20000, 12))
    report("subsequence-12d-200x20000", "librosa", 200 * 20000,
           lambda: librosa.sequence.dtw(C=cdist(q, db, "sqeuclidean"), subseq=True, backtrack=True), reps=2)

try:
    from tslearn.metrics import SoftDTW
    from scipy.spatial.distance import cdist as _cdist
    x = rng.standard_normal((500, 12))
    y = rng.standard_normal((500, 12))

    def soft():
        s = SoftDTW(_cdist(x, y, "sqeuclidean"), gamma=1.0)
        s.compute()
        s.grad()
    report("softdtw-500x500", "tslearn", 500 * 500, soft)
except ImportError:
    pass
