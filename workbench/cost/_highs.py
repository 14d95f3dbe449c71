"""A small incremental linear program on HiGHS, for the nucleolus' sequential LPs (games.py, nucleolus.py).

The nucleolus solves many small LPs that differ by a few rows (constraint generation) or a few bounds (a
stage fixing its tight coalitions). Calling ``scipy.optimize.linprog`` for each costs about 1 ms of argument
checking and matrix conversion before HiGHS starts, and throws the basis away. This class keeps one HiGHS
model, adds rows and changes bounds in place, and lets HiGHS re-solve from the previous basis.

Backends, first available: the HiGHS bindings SciPy ships (``scipy.optimize._highspy._core``, SciPy ≥ 1.15),
the ``highspy`` package, else ``scipy.optimize.linprog`` on the stored model (same answers, no warm start). A
binding is used only after it passed a small LP against ``linprog`` (:func:`_works`): the bindings SciPy ships
are private, and a release that renames or changes them makes the nucleolus slower, never wrong or broken.
Sign convention of duals (HiGHS, minimisation): a row or column at its upper bound has a dual ≤ 0.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

INF = float("inf")


_CORE: list = []
_POOL = threading.local()  # idle HiGHS instances of this thread: creating one costs ~40 µs, reusing ~5 µs


def _core():  # noqa: ANN202 - the binding module, or None (looked up once)
    if not _CORE:
        _CORE.append(_find_core())
    return _CORE[0]


def _find_core():  # noqa: ANN202
    """The first binding that is present and passes :func:`_works`, else None (then ``linprog``).

    The binding SciPy ships is private (``scipy.optimize._highspy``): a SciPy release may rename, move or
    change any of it. A binding whose calls fail or whose answers differ from ``linprog``'s on a small LP
    is not used; the nucleolus is then slower, never wrong."""
    for load in (_scipy_core, _highspy_core):
        try:
            core = load()
        except (ImportError, AttributeError):
            continue
        if core is not None and _works(core):
            return core
    return None


_CORE_NAME = "scipy.optimize._highspy._core"


def _scipy_core():  # noqa: ANN202
    """SciPy's HiGHS extension module, loaded by itself: ``from scipy.optimize._highspy import _core`` first runs
    ``scipy.optimize/__init__`` (linalg, sparse, every solver: ~1 s of a 7 s national batch) though the binding
    needs none of it. The extension is loaded under its own name and registered in ``sys.modules``, so a later
    ``import scipy.optimize`` (the linprog fallback, a notebook) finds this very module instead of loading the
    library a second time."""
    import sys

    core = sys.modules.get(_CORE_NAME)
    if core is None:
        core = _load_extension()
    core._Highs  # noqa: B018 - present since SciPy 1.15
    return core


def _load_extension():  # noqa: ANN202
    """``scipy/optimize/_highspy/_core*.so`` executed as the module ``scipy.optimize._highspy._core``."""
    import importlib.machinery
    import importlib.util
    import sys
    from pathlib import Path

    spec = importlib.util.find_spec("scipy")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("scipy")
    folder = Path(next(iter(spec.submodule_search_locations))) / "optimize" / "_highspy"
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    files = sorted(p for p in folder.glob("_core.*") if p.name.endswith(suffixes)) if folder.is_dir() else []
    if not files:
        raise ImportError(f"No module named {_CORE_NAME!r}")
    loader = importlib.machinery.ExtensionFileLoader(_CORE_NAME, str(files[0]))
    ext = importlib.util.spec_from_file_location(_CORE_NAME, files[0], loader=loader)
    if ext is None:  # pragma: no cover - a path with an extension suffix always gives a spec
        raise ImportError(_CORE_NAME)
    module = importlib.util.module_from_spec(ext)
    loader.exec_module(module)
    sys.modules[_CORE_NAME] = module
    return module


def _highspy_core():  # noqa: ANN202 - only where SciPy is older and highspy is installed
    import highspy as core  # type: ignore[import-not-found]

    return core


def _probe(backend: str, core: object = None) -> list[np.ndarray]:
    """A small LP through every call :class:`IncrementalLP` makes on a binding (a new instance and one
    reused from the pool, a row added, its bounds, a coefficient and a column's bounds changed, re-solved
    each time), its answers in order. Every optimum is unique, duals included: min −x0 − 2·x1 with
    0 ≤ x ≤ 10 and one row x0 + x1 ≤ 4, then ≤ 3, then 0.25·x0 + x1 ≤ 3, then x0 ≤ 4."""
    out: list[np.ndarray] = []
    for _ in range(2):  # the second one reuses the first instance (clearModel)
        lp = IncrementalLP(np.array([-1.0, -2.0]), np.zeros(2), np.full(2, 10.0), backend=backend, _core=core)
        try:
            lp.add_rows(np.array([[1.0, 1.0]]), -INF, 4.0)
            for step in range(4):
                if step == 1:
                    lp.set_row_bounds(0, -INF, 3.0)
                elif step == 2:
                    lp.set_coef(0, 0, 0.25)
                elif step == 3:
                    lp.set_col_bounds(0, 0.0, 4.0)
                sol = lp.solve()
                if not sol.ok:
                    raise ValueError(sol.status)
                out += [sol.x, sol.row_dual, sol.col_dual]
        finally:
            lp.close()
    return out


#: :func:`_probe`'s answers (x, row duals, column duals after each of its four solves), worked by hand and the
#: same as ``linprog``'s (tests/test_round3_hostile.py compares them): min −x0 − 2·x1 puts x1 on the row
#: (x = (0, 4), then (0, 3); the row's dual −2, x0's reduced cost −1 + 2 = 1); with 0.25·x0 + x1 ≤ 3 the
#: objective is −6 − 0.5·x0, so x0 goes to its bound 10 (x1 = 0.5; x0's reduced cost −1 + 0.25·2 = −0.5), then 4
#: (x1 = 2). Comparing with these instead of solving with ``linprog`` spares importing scipy.optimize.
PROBE_ANSWERS = [
    np.array(v, dtype=float)
    for step in (
        ([0.0, 4.0], [-2.0], [1.0, 0.0]),
        ([0.0, 3.0], [-2.0], [1.0, 0.0]),
        ([10.0, 0.5], [-2.0], [-0.5, 0.0]),
        ([4.0, 2.0], [-2.0], [-0.5, 0.0]),
    )
    * 2
    for v in step
]


def _works(core: object) -> bool:
    """Whether a HiGHS binding takes our calls and gives the right answers on :func:`_probe`'s LP
    (:data:`PROBE_ANSWERS`, which are ``linprog``'s)."""
    try:
        got = _probe("highs", core)
    except Exception:  # a changed signature, a missing name, a failed solve: not this binding
        return False
    want = PROBE_ANSWERS
    return len(got) == len(want) and all(
        np.shape(a) == np.shape(b) and np.allclose(a, b, atol=1e-7) for a, b in zip(got, want, strict=True)
    )


@dataclass(frozen=True)
class Solution:
    ok: bool
    status: str
    x: np.ndarray
    row_dual: np.ndarray
    col_dual: np.ndarray


class IncrementalLP:
    """min cost·x s.t. row_lo ≤ A x ≤ row_hi, col_lo ≤ x ≤ col_hi, with rows added and bounds changed in place.

    ``backend`` "auto" (HiGHS bindings when present) or "linprog" (SciPy's linprog, for tests and old SciPy).
    """

    def __init__(
        self,
        cost: np.ndarray,
        col_lo: np.ndarray,
        col_hi: np.ndarray,
        backend: str = "auto",
        *,
        _core: object = None,
    ) -> None:
        self.ncol = len(cost)
        self.cost = np.asarray(cost, dtype=float)
        self.col_lo = np.asarray(col_lo, dtype=float).copy()
        self.col_hi = np.asarray(col_hi, dtype=float).copy()
        self.nrow = 0
        self.solves = 0
        # the model itself is kept only for the linprog backend (HiGHS keeps its own)
        self.rows: list[np.ndarray] = []
        self.row_lo: list[float] = []
        self.row_hi: list[float] = []
        core = _core if backend == "highs" else globals()["_core"]() if backend == "auto" else None
        self._h = None
        if core is not None:
            idle = getattr(_POOL, "idle", None)
            if idle is None:
                idle = _POOL.idle = []
            if idle:
                h = idle.pop()
                h.clearModel()
            else:
                h = core._Highs() if hasattr(core, "_Highs") else core.Highs()
                h.setOptionValue("output_flag", False)
                h.setOptionValue("presolve", "off")  # small, warm-started LPs: presolve only costs time
                h.setOptionValue("threads", 1)  # and no thread pool to wake up
            big = core.kHighsInf
            h.addVars(
                self.ncol,
                np.where(np.isfinite(self.col_lo), self.col_lo, -big),
                np.where(np.isfinite(self.col_hi), self.col_hi, big),
            )
            for j in np.flatnonzero(self.cost):
                h.changeColCost(int(j), float(self.cost[j]))
            self._h, self._core, self._ok = h, core, core.HighsModelStatus.kOptimal
            self._exact_inf = bool(np.isinf(big))  # then bounds pass through unchanged

    def close(self) -> None:
        """Give the HiGHS instance back for the next LP of this thread."""
        if self._h is not None:
            _POOL.idle.append(self._h)
            self._h = None

    @property
    def backend(self) -> str:
        return "highs" if self._h is not None else "linprog"

    def _inf(self, v: np.ndarray) -> np.ndarray:
        """Infinite bounds as HiGHS's infinity."""
        v = np.asarray(v, dtype=float)
        if self._h is None or self._exact_inf:
            return v
        big = self._core.kHighsInf  # pragma: no cover - HiGHS builds with a finite infinity
        return np.where(np.isfinite(v), v, np.copysign(big, v))  # pragma: no cover

    def add_rows(self, coefs: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> list[int]:
        """Append rows (dense coefficient matrix); returns their indices."""
        coefs = np.atleast_2d(np.asarray(coefs, dtype=float))
        k = len(coefs)
        lo = np.broadcast_to(np.asarray(lo, dtype=float), (k,))
        hi = np.broadcast_to(np.asarray(hi, dtype=float), (k,))
        first = self.nrow
        self.nrow += k
        if self._h is None:
            self.rows.extend(coefs)
            self.row_lo.extend(lo.tolist())
            self.row_hi.extend(hi.tolist())
        elif k:
            r, c = np.nonzero(coefs)
            starts = np.searchsorted(r, np.arange(k)).astype(np.int32)
            self._h.addRows(k, self._inf(lo), self._inf(hi), len(r), starts, c.astype(np.int32), coefs[r, c])
        return list(range(first, first + k))

    def set_coef(self, row: int, col: int, value: float) -> None:
        if self._h is not None:
            self._h.changeCoeff(row, col, float(value))
        else:
            self.rows[row] = self.rows[row].copy()
            self.rows[row][col] = value

    def set_row_bounds(self, row: int, lo: float, hi: float) -> None:
        if self._h is not None and self._exact_inf:
            self._h.changeRowBounds(row, float(lo), float(hi))
        elif self._h is not None:  # pragma: no cover - HiGHS builds with a finite infinity
            self._h.changeRowBounds(row, *map(float, self._inf(np.array([lo, hi]))))
        else:
            self.row_lo[row], self.row_hi[row] = float(lo), float(hi)

    def set_col_bounds(self, col: int, lo: float, hi: float) -> None:
        self.col_lo[col], self.col_hi[col] = float(lo), float(hi)
        if self._h is not None:
            self._h.changeColBounds(col, *map(float, self._inf(np.array([lo, hi]))))

    def solve(self) -> Solution:
        self.solves += 1
        if self._h is not None:
            self._h.run()
            status = self._h.getModelStatus()
            s = self._h.getSolution()
            return Solution(
                status == self._ok,
                "" if status == self._ok else str(status),
                np.asarray(s.col_value),
                np.asarray(s.row_dual),
                np.asarray(s.col_dual),
            )
        return self._solve_linprog()

    def _solve_linprog(self) -> Solution:
        from scipy.optimize import linprog

        a = np.array(self.rows) if self.rows else np.zeros((0, self.ncol))
        lo, hi = np.array(self.row_lo), np.array(self.row_hi)
        eq = np.isfinite(lo) & np.isfinite(hi) & (lo == hi)
        up = np.isfinite(hi) & ~eq
        down = np.isfinite(lo) & ~eq
        a_ub = np.vstack([a[up], -a[down]])
        b_ub = np.r_[hi[up], -lo[down]]
        bounds = [
            (lo_ if np.isfinite(lo_) else None, hi_ if np.isfinite(hi_) else None)
            for lo_, hi_ in zip(self.col_lo, self.col_hi, strict=True)
        ]
        res = linprog(
            self.cost,
            A_ub=a_ub if len(a_ub) else None,
            b_ub=b_ub if len(a_ub) else None,
            A_eq=a[eq] if eq.any() else None,
            b_eq=lo[eq] if eq.any() else None,
            bounds=bounds,
            method="highs",
        )
        row_dual = np.zeros(len(a))
        if res.status == 0:
            m_ub = np.asarray(res.ineqlin.marginals) if len(a_ub) else np.zeros(0)
            n_up = int(up.sum())
            row_dual[up] += m_ub[:n_up]
            row_dual[down] -= m_ub[n_up:]
            if eq.any():
                row_dual[eq] = np.asarray(res.eqlin.marginals)
            col_dual = np.asarray(res.upper.marginals) + np.asarray(res.lower.marginals)
            return Solution(True, "Optimal", np.asarray(res.x), row_dual, col_dual)
        return Solution(False, str(res.message), np.zeros(self.ncol), row_dual, np.zeros(self.ncol))
