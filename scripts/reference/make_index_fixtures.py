#!/usr/bin/env python3
"""Fixtures for RefrainIndexTests: PCA of correlated samples by NumPy's eigh (the reference for our
ssyevd-based PCA) and nearest neighbours by hnswlib and by brute force (the reference for the CHNSW shim).

Writes Tests/Fixtures/index/*.npy (about 100 kB)."""
import os
import numpy as np
import hnswlib

out = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Fixtures", "index")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)

# PCA: 300 samples of 24 dims with a decaying spectrum.
n, d, k = 300, 24, 6
mixing = rng.normal(size=(d, d)) * (0.7 ** np.arange(d))[:, None]
samples = (rng.normal(size=(n, d)) @ mixing + rng.normal(size=d)).astype(np.float32)
x = samples.astype(np.float64)
mean = x.mean(axis=0)
cov = np.cov(x, rowvar=False)  # divisor n - 1
values, vectors = np.linalg.eigh(cov)
order = np.argsort(values)[::-1][:k]
components = vectors[:, order].T
for row in components:  # sign: largest-magnitude entry positive
    if row[np.argmax(np.abs(row))] < 0:
        row *= -1
np.save(os.path.join(out, "pca_samples.npy"), samples)
np.save(os.path.join(out, "pca_mean.npy"), mean.astype(np.float32))
np.save(os.path.join(out, "pca_components.npy"), components.astype(np.float32))
np.save(os.path.join(out, "pca_variances.npy"), values[order].astype(np.float32))
np.save(os.path.join(out, "pca_projection.npy"), ((x - mean) @ components.T).astype(np.float32))

# HNSW: 2000 points of 16 dims, 50 queries; exact 10-NN by brute force and hnswlib's answer.
points = rng.normal(size=(2000, 16)).astype(np.float32)
queries = rng.normal(size=(50, 16)).astype(np.float32)
d2 = ((queries[:, None, :] - points[None, :, :]) ** 2).sum(-1)
exact = np.argsort(d2, axis=1)[:, :10].astype(np.int64)
index = hnswlib.Index(space="l2", dim=16)
index.init_index(max_elements=2000, M=16, ef_construction=200, random_seed=100)
index.add_items(points, np.arange(2000))
index.set_ef(100)
labels, distances = index.knn_query(queries, k=10)
np.save(os.path.join(out, "hnsw_points.npy"), points)
np.save(os.path.join(out, "hnsw_queries.npy"), queries)
np.save(os.path.join(out, "hnsw_exact.npy"), exact)
np.save(os.path.join(out, "hnsw_exact_d2.npy"), np.sort(d2, axis=1)[:, :10].astype(np.float32))
np.save(os.path.join(out, "hnsw_hnswlib_labels.npy"), labels.astype(np.int64))
recall = np.mean([len(set(labels[i]) & set(exact[i])) / 10 for i in range(len(queries))])
print(f"hnswlib recall@10 = {recall:.3f}")
