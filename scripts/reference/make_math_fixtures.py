"""Writes .npy files with NumPy for the RefrainMath tests (Tests/Fixtures/math/).

Run: python3 scripts/reference/make_math_fixtures.py
Each array has a known formula, so the Swift test can recompute the expected values itself.
"""
import os
import numpy as np

out = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Fixtures", "math")
os.makedirs(out, exist_ok=True)

a = (np.arange(12, dtype=np.float32).reshape(3, 4) * 0.5 - 1.0)  # a[r, c] = (4r + c) / 2 - 1
np.save(os.path.join(out, "float32_3x4.npy"), a)
np.save(os.path.join(out, "float64_3x4.npy"), a.astype(np.float64))
np.save(os.path.join(out, "fortran_3x4.npy"), np.asfortranarray(a))
np.save(os.path.join(out, "bigendian_3x4.npy"), a.astype(">f4"))
np.save(os.path.join(out, "uint16_5.npy"), np.array([0, 1, 255, 256, 65535], dtype=np.uint16))
np.save(os.path.join(out, "int64_2x2.npy"), np.array([[-1, 2], [3, -4]], dtype=np.int64))
np.save(os.path.join(out, "empty_0x3.npy"), np.zeros((0, 3), dtype=np.float32))
print("wrote", sorted(os.listdir(out)))
