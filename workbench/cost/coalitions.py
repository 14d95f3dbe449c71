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
    sizes = np.zeros(1, dtype=np.int8)
    for _ in range(n):
        sizes = np.concatenate([sizes, sizes + 1])
    return sizes


def subset_sums(x: np.ndarray) -> np.ndarray:
    """x(S) = Σ_{i∈S} x_i for all 2^n bitmasks (O(2^n) by doubling)."""
    out = np.zeros(1)
    for xi in np.asarray(x, dtype=float):
        out = np.concatenate([out, out + xi])
    return out


def masks(n: int) -> np.ndarray:
    """Boolean array (2^n, n): row m is the coalition of bitmask m."""
    idx = np.arange(2**n, dtype=np.int64)
    return ((idx[:, None] >> np.arange(n)) & 1).astype(bool)
