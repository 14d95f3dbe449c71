"""Bitmask helpers of generic cooperative games (n ≤ 20 players, coalition = bitmask; bit i = player i).

Shared by :mod:`workbench.cost.games` and :mod:`workbench.cost.nucleolus`; pure numpy.

Examples
--------
>>> from workbench.cost.coalitions import masks, subset_sums
>>> masks(2).tolist()
[[False, False], [True, False], [False, True], [True, True]]
>>> subset_sums([1.0, 10.0]).tolist()
[0.0, 1.0, 10.0, 11.0]
"""

from __future__ import annotations

import numpy as np


def popcounts(n: int) -> np.ndarray:
    """Coalition sizes for all 2^n bitmasks (built by doubling, O(2^n))."""
    sizes = np.zeros(1 << n, dtype=np.int8)
    for i in range(n):
        np.add(sizes[: 1 << i], 1, out=sizes[1 << i : 2 << i])
    return sizes


def subset_sums(x: np.ndarray) -> np.ndarray:
    """x(S) = Σ_{i∈S} x_i for all 2^n bitmasks (O(2^n) by doubling)."""
    x = np.asarray(x, dtype=float)
    out = np.zeros(1 << len(x))
    for i, xi in enumerate(x):  # the upper half of each doubling written in place (no copies of the lower)
        np.add(out[: 1 << i], xi, out=out[1 << i : 2 << i])
    return out


def masks(n: int) -> np.ndarray:
    """Boolean array (2^n, n): row m is the coalition of bitmask m."""
    idx = np.arange(2**n, dtype=np.int64)
    return ((idx[:, None] >> np.arange(n)) & 1).astype(bool)
