"""Writes reference alignments for the RefrainAlign tests (Tests/Fixtures/align/).

Run: python3 scripts/reference/make_align_fixtures.py
Sources: librosa.sequence.dtw (plain, step weights, Sakoe-Chiba band, subsequence), tslearn soft-DTW
(value and gradient with respect to the cost matrix) and Itakura masks, dtaidistance (1-D and n-D
distance_fast).
Inputs are random with a fixed seed (continuous values, so optimal paths are unique).
"""
import json
import os

import numpy as np
import scipy.spatial.distance as ssd

try:
    import librosa
    import tslearn.metrics
    from tslearn.metrics import SoftDTW
    from dtaidistance import dtw, dtw_ndim
except ImportError:
    import subprocess, sys
    subprocess.check_call([sys.executable, "-m", "pip", "install", "librosa", "tslearn", "dtaidistance"])
    import librosa
    import tslearn.metrics
    from tslearn.metrics import SoftDTW
    from dtaidistance import dtw, dtw_ndim

out = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Fixtures", "align")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20150101)
meta = {}


def save(name, array, dtype=np.float32):
    np.save(os.path.join(out, name + ".npy"), np.ascontiguousarray(array, dtype=dtype))


# 1. Plain DTW on a Euclidean cost matrix (librosa's default metric), N < M.
X = rng.random((40, 12)).astype(np.float32)
Y = rng.random((55, 12)).astype(np.float32)
save("X", X)
save("Y", Y)
C = ssd.cdist(X, Y, "euclidean")
D, wp = librosa.sequence.dtw(C=C)
save("plain_D", D)
save("plain_path", wp[::-1], np.int64)

# Cosine and squared-Euclidean cost matrices, for the BLAS cost code.
save("cost_cosine", ssd.cdist(X, Y, "cosine"))
save("cost_sqeuclidean", ssd.cdist(X, Y, "sqeuclidean"))

# 2. Step weights.
wmul = np.array([1.0, 1.5, 1.25])
wadd = np.array([0.0, 0.2, 0.1])
D, wp = librosa.sequence.dtw(C=C, weights_mul=wmul, weights_add=wadd)
save("weighted_D", D)
save("weighted_path", wp[::-1], np.int64)
meta["weights_mul"] = wmul.tolist()
meta["weights_add"] = wadd.tolist()

# 3. Sakoe-Chiba band, both orientations.
for name, CC in (("band_wide", C), ("band_tall", C.T.copy())):
    D, wp = librosa.sequence.dtw(C=CC, global_constraints=True, band_rad=0.25)
    save(name + "_C", CC)
    save(name + "_D", D)
    save(name + "_path", wp[::-1], np.int64)

# 4. Subsequence DTW: a noisy copy of Y[100:130] hidden in a 300-frame sequence.
Ylong = rng.random((300, 12)).astype(np.float32)
Q = (Ylong[100:130] + 0.05 * rng.standard_normal((30, 12))).astype(np.float32)
Cs = ssd.cdist(Q, Ylong, "euclidean")
D, wp = librosa.sequence.dtw(C=Cs, subseq=True)
save("subseq_C", Cs)
save("subseq_lastrow", D[-1])
save("subseq_path", wp[::-1], np.int64)

# 5. Soft-DTW (tslearn): squared Euclidean costs, value and gradient w.r.t. the cost matrix.
a = rng.standard_normal((30, 3))
b = rng.standard_normal((25, 3))
save("soft_a", a)
save("soft_b", b)
for gamma in (1.0, 0.1):
    key = str(gamma).replace(".", "p")
    meta["soft_value_" + key] = float(tslearn.metrics.soft_dtw(a, b, gamma=gamma))
    sdtw = SoftDTW(ssd.cdist(a, b, "sqeuclidean"), gamma=gamma)
    meta["soft_compute_" + key] = float(sdtw.compute())
    save("soft_grad_" + key, sdtw.grad())

# 6. dtaidistance: squared differences accumulated, square root of the total.
s1 = rng.standard_normal(120)
s2 = rng.standard_normal(100)
save("dtai_s1", s1)
save("dtai_s2", s2)
meta["dtai_1d"] = float(dtw.distance_fast(s1, s2))
m1 = rng.standard_normal((60, 4))
m2 = rng.standard_normal((70, 4))
save("dtai_m1", m1)
save("dtai_m2", m2)
meta["dtai_nd"] = float(dtw_ndim.distance_fast(m1, m2))

# 7. Itakura parallelograms (tslearn.metrics.itakura_mask, True = allowed cell), saved as uint8 N x M.
# Square sizes, where tslearn and Refrain agree, and one N < M size, where tslearn scales the slope
# bounds by N/M and Refrain by (N-1)/(M-1) (the tests check each against its own definition).
# No random draws here, so the fixtures above do not change.
for n, m, slope in ((6, 6, 3.0), (20, 20, 2.0), (12, 20, 2.0)):
    mask = tslearn.metrics.itakura_mask(n, m, max_slope=slope)
    save("itakura_%dx%d_s%g" % (n, m, slope), mask, np.uint8)

with open(os.path.join(out, "meta.json"), "w") as f:
    json.dump(meta, f, indent=1, sort_keys=True)
print("wrote", sorted(os.listdir(out)))
