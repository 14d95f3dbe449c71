"""The nucleolus and the least core by sequential linear programs, generic (n ≤ 20) and structured (any n).

Cost games, excess e(S, x) = c(S) − x(S) over proper coalitions ∅ ≠ S ≠ N. The nucleolus (Schmeidler
1969) maximises the sorted vector of excesses lexicographically over the imputations (x(N) = c(N),
x_i ≤ c({i})), or over all efficient x (the prenucleolus) when there are no imputations or ``pre`` is set.
Both are computed by the sequential LPs of Maschler, Peleg & Shapley (1979): stage r solves

    max ε  s.t.  x(S) + ε ≤ c(S) for every coalition not yet fixed,  fixed coalitions at their level,

the coalitions with a positive dual are tight on every optimum and get fixed (their indicator joins the
subspace L of fixed functionals), and coalitions whose indicator lies in L have constant excess from then on
and leave the problem. Each stage raises the rank of L (the duals of the ε column sum to 1, so some
not-yet-fixed row has a positive dual), so at most n stages. Rows enter by constraint generation: an oracle
returns the most violated coalitions outside L, the LP is re-solved warm (HiGHS), until none is violated.

The least core (Maschler, Peleg & Shapley 1979) is the first stage over all efficient x: its value ε₁ says
how far from stable every allocation must be (ε₁ < 0: the core is empty, and whatever the split, some
coalition pays at least −ε₁ more than it would on its own), and the prenucleolus is a point of it.

**Structured games** (this project's cost model, :class:`~workbench.cost.games.StructuredGame`)::

    c({i}) = s_i,   c(S) = G(|S|) + Σ_{i∈S} a_i  for 2 ≤ |S|,   G(2..n), a, s any real numbers.

The method is exact (the same point as the 2^n method, up to floating-point rounding) for every game of this
form — no monotonicity or concavity of G assumed, the nucleolus and the prenucleolus; anything else (a cost
vector or a callable) goes to the generic method, n ≤ 20. The reduction:

1. *Shift.* With y = x − a and t = s − a, every excess is c(S) − x(S) = G(|S|) − y(S) for |S| ≥ 2 and
   t_i − y_i for singletons; x(N) = c(N) ⟺ y(N) = Γ := G(n); x_i ≤ s_i ⟺ y_i ≤ t_i. The nucleolus is
   translation-covariant, so nucleolus(c) = a + nucleolus of this game in y.
2. *Order.* The multiset {G(|S|) − y(S) : |S| ≥ 2} is a symmetric function of y. Let y be the
   (pre)nucleolus and suppose t_i < t_j but y_i > y_j. Swapping y_i and y_j keeps that multiset, keeps
   efficiency (and y_i ≤ t_i, y_j ≤ t_j, since y_j < y_i ≤ t_i < t_j), and replaces the singleton pair
   (p, q) = (t_i − y_i, t_j − y_j) by (t_i − y_j, t_j − y_i): same sum, and both new values exceed p
   (y_j < y_i; t_j > t_i), while p < q. At the level p the swapped point has one excess fewer at or below
   p and none new below it, so its sorted excess vector is lexicographically larger — a contradiction. So
   t_i < t_j ⟹ y_i ≤ y_j, and t_i = t_j ⟹ y_i = y_j (the swap is then a symmetry and the nucleolus is
   unique). The nucleolus therefore lies in the ordered cone C = {y: y ordered as t, equal on ties of t};
   restricting every stage to C (players with equal t merged into one variable with multiplicity) loses
   nothing, because the lexicographic optimum over the imputations lies in the smaller set (and the
   least core's ε, attained by the prenucleolus, is the same over C).
3. *Top sets.* On C the coalition of size k with the smallest excess is a top set: the k largest y. Stage 1
   (and the least core) is therefore one LP with O(n) rows: the top set of each size and the singletons.
4. *Later stages, by size.* Let c* be a best coalition of size k (top set) at the current point. If c* is
   in L, the best coalition of size k outside L is c* with one member swapped for a non-member: for any
   optimal c' ∉ L farther away, take b ∈ c*∖c', b' ∈ c'∖c* (so y_b ≥ y_b'); then c' + e_b − e_b' is no
   worse than c', and either it is outside L (closer to c*, contradiction with choosing c' closest) or
   e_b − e_b' ∉ L and then the neighbour c* − e_b + e_b' is outside L and no worse than c'. The best
   neighbour swaps the cheapest member for the dearest non-member of another class of the relation
   b ~ b' ⟺ e_b − e_b' ∈ L. Coalitions are count vectors per group of equal t, so a separation costs
   O(n · groups) arithmetic.

Validated against the generic 2^n method at n ≤ 20 (tests/test_cost_nucleolus.py) and coopgame-py (B2).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from ._highs import INF, IncrementalLP, Solution
from .coalitions import masks, subset_sums

TOL = 1e-8  # violation and tightness tolerance on the normalised game
SLACK = 1e-9  # band for fixed rows, only after an exact equality made a stage infeasible (rounding)


@dataclass
class Stats:
    """What one run did: stages, LP solves, rows in the LP, the excess level of each stage (normalised)."""

    stages: int = 0
    lp_solves: int = 0
    rows: int = 0
    levels: list[float] = field(default_factory=list)
    domain: str = "imputation"
    scale: float = 1.0  # levels × scale are in the game's units (yen)

    @property
    def levels_yen(self) -> list[float]:
        return [lv * self.scale for lv in self.levels]


@dataclass(slots=True)
class Row:
    key: object
    coef: np.ndarray
    cost: float


@dataclass(slots=True)
class Rows:
    """A batch of coalitions: keys, functionals (one row each, in the LP's variables) and costs."""

    keys: list
    coef: np.ndarray
    cost: np.ndarray

    @classmethod
    def of(cls, rows: list[Row], m: int) -> Rows:
        if not rows:
            return cls([], np.zeros((0, m)), np.zeros(0))
        return cls([r.key for r in rows], np.array([r.coef for r in rows]), np.array([r.cost for r in rows]))


SPAN = 1e-6  # a functional is in L when its part outside L is below SPAN × its norm


class _Fixed:
    """The subspace L of functionals constant on the current optimal face, with their values.

    Keeps an orthonormal basis B (Gram–Schmidt through the maintained projector I − B Bᵀ, updated by rank
    one), and the triangular factor T with fixed rows = T Bᵀ that solves them exactly at the end.
    """

    def __init__(self, m: int) -> None:
        self.m = m
        self.rhs: list[float] = []
        self._tri = np.zeros((m, m))  # fixed rows = T Bᵀ, T lower triangular
        self._b = np.zeros((m, m))
        self.rank = 0
        self.proj = np.eye(m)

    @property
    def basis(self) -> np.ndarray:
        """Orthonormal basis of L, one column per fixed functional (m × rank)."""
        return self._b[:, : self.rank]

    def in_span(self, c: np.ndarray) -> np.ndarray:
        """Which rows of ``c`` lie in L."""
        c = np.atleast_2d(np.asarray(c, dtype=float))
        r = c @ self.proj
        return np.einsum("ij,ij->i", r, r) <= SPAN**2 * np.maximum(1.0, np.einsum("ij,ij->i", c, c))

    def add(self, row: np.ndarray, rhs: float) -> bool:
        """Add ``row = rhs`` when independent of L (its part outside L, by the maintained projector)."""
        k = self.rank
        if k == self.m:
            return False
        r = self.proj @ row
        norm = float(np.sqrt(r @ r))
        if norm <= SPAN * max(1.0, float(np.sqrt(row @ row))):
            return False
        q = r / norm
        self._tri[k, :k] = self._b[:, :k].T @ row
        self._tri[k, k] = float(q @ row)
        self._b[:, k] = q
        self.proj -= np.outer(q, q)
        self.rank = k + 1
        self.rhs.append(float(rhs))
        return True

    def classes(self) -> np.ndarray:
        """Labels of the equivalence b ~ b' ⟺ e_b − e_b' ∈ L (equal columns of the projector)."""
        m = self.m
        key = np.random.default_rng(0).standard_normal(m) @ self.proj
        order = np.argsort(key, kind="stable")
        labels = np.full(m, -1)
        reps: list[int] = []  # representatives of the run of nearly equal keys
        for i in order:
            col = self.proj[:, i]
            reps = [r for r in reps if key[i] - key[r] <= 10 * SPAN * np.sqrt(m)]
            for r in reps:
                d = col - self.proj[:, r]
                if d @ d <= 2 * SPAN**2:
                    labels[i] = labels[r]
                    break
            else:
                labels[i] = i
                reps.append(i)
        return labels

    def point(self) -> np.ndarray:
        """The unique z with every fixed functional at its value (rank m): T u = rhs by forward
        substitution, z = B u (no LAPACK solve: on a busy machine a threaded solve of this size can take
        hundreds of milliseconds)."""
        u = np.zeros(self.rank)
        for k in range(self.rank):
            u[k] = (self.rhs[k] - float(self._tri[k, :k] @ u[:k])) / self._tri[k, k]
        return self.basis @ u


class Oracle:
    """Coalitions of one game in the LP's variables: the first rows, and the most violated ones outside L."""

    m: int

    def initial(self) -> Rows:
        raise NotImplementedError

    def separate(self, z: np.ndarray, threshold: float, fixed: _Fixed, known: set) -> Rows:
        raise NotImplementedError


def lexmax(
    oracle: Oracle,
    weights: np.ndarray,
    total: float,
    upper: np.ndarray | None,
    cone: bool,
    backend: str = "auto",
    stages: int | None = None,
) -> tuple[np.ndarray, Stats]:
    """The sequential LPs on normalised data: z maximising the sorted excesses lexicographically.

    ``weights·z = total`` is efficiency; ``upper`` the imputation bounds (None: prenucleolus); ``cone``
    adds z_0 ≤ z_1 ≤ … (the structured game's ordered cone). ``stages`` stops early (1: the least core).
    """
    m = oracle.m
    stats = Stats(domain="imputation" if upper is not None else "preimputation")
    hi = np.full(m + 1, INF)
    if upper is not None:
        hi[:m] = upper
    cost = np.zeros(m + 1)
    cost[m] = -1.0
    lp = IncrementalLP(cost, np.full(m + 1, -INF), hi, backend=backend)
    try:
        z = _stages(lp, oracle, weights, total, upper, cone, stages, stats)
    finally:
        stats.lp_solves, stats.rows = lp.solves, lp.nrow
        lp.close()
    return z, stats


class _Stages:
    """The state of the sequential LPs: the LP, the subspace L of fixed functionals, and the coalition rows
    still competing for ε (LP row index, functional, cost as parallel lists)."""

    def __init__(
        self,
        lp: IncrementalLP,
        oracle: Oracle,
        weights: np.ndarray,
        total: float,
        upper: np.ndarray | None,
        cone: bool,
    ) -> None:
        m = self.m = oracle.m
        self.lp, self.oracle, self.upper = lp, oracle, upper
        lp.add_rows(np.append(weights, 0.0), total, total)
        self.fixed = _Fixed(m)
        self.fixed.add(weights, total)
        self.cone_rows: list[int] = []
        if cone and m > 1:
            d = np.zeros((m - 1, m + 1))
            d[np.arange(m - 1), np.arange(m - 1)] = 1.0
            d[np.arange(m - 1), np.arange(1, m)] = -1.0
            self.cone_rows = lp.add_rows(d, -INF, 0.0)
        self.act_row: list[int] = []
        self.act_coef: list[np.ndarray] = []
        self.act_cost: list[float] = []
        self.known: set = set()
        self.relaxed = 0
        self.held: list[tuple[int, float]] = []  # fixed coalition rows and their levels, held exactly
        self.banded = False
        first = oracle.initial()
        if first.keys:
            self.add(first, ~self.fixed.in_span(first.coef))
        self.z = np.full(m, total / max(float(np.sum(weights)), 1e-300))

    def add(self, rows: Rows, take: np.ndarray | None = None) -> None:
        pick = [j for j, k in enumerate(rows.keys) if k not in self.known and (take is None or take[j])]
        if not pick:
            return
        coefs = np.ones((len(pick), self.m + 1))
        coefs[:, : self.m] = rows.coef[pick]
        costs = rows.cost[pick]
        self.act_row.extend(self.lp.add_rows(coefs, -INF, costs))
        self.act_coef.extend(coefs[:, : self.m])
        self.act_cost.extend(costs.tolist())
        self.known.update(rows.keys[j] for j in pick)

    def _solve(self) -> Solution:
        lp, m, upper = self.lp, self.m, self.upper
        sol = lp.solve()
        while not sol.ok and upper is not None and self.relaxed < 2:
            # imputation bounds that are barely feasible (Σ c({i}) ≈ c(N)) can fail the solver's
            # tolerance: relax them a little, and as a last resort drop them (prenucleolus)
            self.relaxed += 1
            for g in range(m):
                lp.set_col_bounds(g, -INF, upper[g] + 1e-7 if self.relaxed == 1 else INF)
            sol = lp.solve()
        if not sol.ok and not self.banded and self.held:  # pragma: no cover - rounding in the levels
            self.banded = True  # a band of ±SLACK shifts later levels by about SLACK × scale: last resort
            for i, level in self.held:
                lp.set_row_bounds(i, level - SLACK, level + SLACK)
            sol = lp.solve()
        if not sol.ok:  # pragma: no cover - numerical trouble
            raise RuntimeError(f"仁の線形計画が解けませんでした（{sol.status}）")
        return sol

    def level(self) -> tuple[Solution, float]:
        """One stage's ε: solve, add the coalitions the oracle finds below it, until none is."""
        while True:
            sol = self._solve()
            self.z, eps = sol.x[: self.m], float(sol.x[self.m])
            new = self.oracle.separate(self.z, eps - TOL, self.fixed, self.known)
            if not new.keys:
                return sol, eps
            self.add(new)

    def fix_coalitions(self, sol: Solution, eps: float) -> tuple[bool, np.ndarray]:
        """Coalition rows with a positive dual are tight on every optimum: fixed at this level (or, when
        already in L, released). Returns whether L grew, and which active rows were handled."""
        lp, m = self.lp, self.m
        duals = -sol.row_dual
        d_act = duals[self.act_row] if self.act_row else np.zeros(0)
        done = np.zeros(len(self.act_row), dtype=bool)
        grew = False
        for j in np.flatnonzero(d_act > TOL)[np.argsort(-d_act[d_act > TOL], kind="stable")]:
            i, level = self.act_row[j], self.act_cost[j] - eps
            if self.fixed.add(self.act_coef[j], level):  # tight on every optimum: fixed at this level
                lp.set_coef(i, m, 0.0)
                lp.set_row_bounds(i, level, level)
                self.held.append((i, level))
                grew = True
            else:
                lp.set_row_bounds(i, -INF, INF)
            done[j] = True
        return grew, done

    def fix_cone(self, sol: Solution) -> bool:
        """Ordered-cone rows z_g ≤ z_g+1 with a positive dual: fixed as equalities."""
        grew = False
        duals = -sol.row_dual
        for g, i in enumerate(self.cone_rows):
            if duals[i] > TOL:
                row = np.zeros(self.m)
                row[g], row[g + 1] = 1.0, -1.0
                if self.fixed.add(row, 0.0):
                    self.lp.set_row_bounds(i, 0.0, 0.0)
                    grew = True
        return grew

    def fix_bounds(self, sol: Solution) -> bool:
        """Imputation bounds with a negative dual: the variable fixed at its bound."""
        if self.upper is None or self.relaxed >= 2:
            return False
        grew = False
        for g in np.flatnonzero(sol.col_dual[: self.m] < -TOL):
            ub = float(self.lp.col_hi[g])  # the imputation bound (relaxed by 1e-7 if it had to be)
            unit = np.zeros(self.m)
            unit[g] = 1.0
            if self.fixed.add(unit, ub):
                self.lp.set_col_bounds(int(g), ub, ub)
                grew = True
        return grew

    def retire(self, done: np.ndarray) -> None:
        """Rows handled this stage, and rows now in L (their excess is constant), leave the problem."""
        keep = ~done
        if keep.any() and self.fixed.rank < self.m:
            idx = np.flatnonzero(keep)
            inside = self.fixed.in_span(np.array([self.act_coef[j] for j in idx]))
            for j in idx[inside]:
                self.lp.set_row_bounds(self.act_row[j], -INF, INF)
            keep[idx[inside]] = False
        kept = np.flatnonzero(keep).tolist()
        self.act_row = [self.act_row[j] for j in kept]
        self.act_coef = [self.act_coef[j] for j in kept]
        self.act_cost = [self.act_cost[j] for j in kept]


def _stages(
    lp: IncrementalLP,
    oracle: Oracle,
    weights: np.ndarray,
    total: float,
    upper: np.ndarray | None,
    cone: bool,
    stages: int | None,
    stats: Stats,
) -> np.ndarray:
    """Stage after stage: the level ε, then fix what is tight at it, until L spans everything."""
    st = _Stages(lp, oracle, weights, total, upper, cone)
    while st.fixed.rank < st.m and (stages is None or stats.stages < stages):
        stats.stages += 1
        sol, eps = st.level()
        stats.levels.append(eps)
        grew, done = st.fix_coalitions(sol, eps)
        grew = st.fix_cone(sol) | grew
        grew = st.fix_bounds(sol) | grew
        if not grew:  # pragma: no cover - the duals of ε sum to 1, so this means numerical trouble
            break
        st.retire(done)
    return st.fixed.point() if st.fixed.rank == st.m else st.z


# --- generic games (bitmask vectors, n ≤ 20) -----------------------------------------------------------


@functools.lru_cache(maxsize=15)
def _indicator_matrix(n: int) -> np.ndarray:
    """The 2^n × n 0/1 matrix of all coalitions, as floats (read-only; at most 1.8 MB, for n ≤ 14)."""
    out = masks(n).astype(float)
    out.flags.writeable = False
    return out


class GenericOracle(Oracle):
    """All 2^n coalitions of a cost vector ``v`` (normalised), checked vectorised at each separation."""

    def __init__(self, v: np.ndarray, n: int) -> None:
        self.m = n
        self.v = v
        self.full = 2**n - 1
        self.alive = np.ones(2**n, dtype=bool)
        self.alive[0] = self.alive[self.full] = False
        self._bits = np.arange(n)
        # x(S) for all S: one product with the 0/1 matrix when it is small, else by doubling (O(2^n))
        self._ind = _indicator_matrix(n) if n <= 14 else None
        self._doubling = subset_sums

    def _sums(self, z: np.ndarray) -> np.ndarray:
        return self._ind @ z if self._ind is not None else self._doubling(z)

    def indicator(self, masks: np.ndarray) -> np.ndarray:
        return ((np.asarray(masks)[:, None] >> self._bits) & 1).astype(float)

    def rows(self, masks: np.ndarray) -> Rows:
        return Rows(masks.tolist(), self.indicator(masks), self.v[masks])

    def initial(self) -> Rows:
        bits = 1 << self._bits
        first = np.unique(np.r_[bits, self.full ^ bits])
        first = first[(first != 0) & (first != self.full)]
        return self.rows(first)

    def separate(self, z: np.ndarray, threshold: float, fixed: _Fixed, known: set) -> Rows:
        excess = self.v - self._sums(z)
        if known:
            self.alive[np.fromiter(known, dtype=np.int64, count=len(known))] = False
        cand = np.flatnonzero(self.alive & (excess < threshold))
        if len(cand) == 0:
            return Rows.of([], self.m)
        cand = cand[np.argsort(excess[cand], kind="stable")]
        batch = max(4 * self.m, 32)
        for start in range(0, len(cand), batch):
            part = cand[start : start + batch]
            inside = fixed.in_span(self.indicator(part))
            self.alive[part[inside]] = False  # constant excess from now on
            if (~inside).any():
                return self.rows(part[~inside])
        return Rows.of([], self.m)


def nucleolus_vector(
    v: np.ndarray, n: int, *, pre: bool = False, backend: str = "auto"
) -> tuple[np.ndarray, Stats]:
    """(Pre)nucleolus of a cost vector over the 2^n bitmask coalitions (v[0] = 0), with run statistics."""
    if n == 1:
        return v[1:2].copy(), Stats(domain="imputation")
    full = 2**n - 1
    scale = max(1.0, float(np.max(np.abs(v))))
    vs = v / scale
    alone = vs[1 << np.arange(n)]
    upper = None if pre or alone.sum() < vs[full] - 1e-12 else alone
    z, stats = lexmax(GenericOracle(vs, n), np.ones(n), float(vs[full]), upper, cone=False, backend=backend)
    stats.scale = scale
    z = z + (vs[full] - z.sum()) / n  # efficiency exactly, whatever the LP tolerance left
    return z * scale, stats


# --- structured games (any n) --------------------------------------------------------------------------


class StructuredOracle(Oracle):
    """Coalitions of c(S) = g(|S|) (|S| ≥ 2), c({i}) = τ_group(i) as count vectors over groups of equal τ.

    ``tau`` ascending (one value per group), ``w`` group sizes, ``g`` the size costs for 0..n (normalised).
    """

    def __init__(self, tau: np.ndarray, w: np.ndarray, g: np.ndarray) -> None:
        self.m = len(tau)
        self.tau, self.w, self.g = tau, w.astype(np.int64), g
        self.n = int(w.sum())
        self.eye = np.eye(self.m)

    def row(self, c: np.ndarray) -> Row:
        c = np.asarray(c, dtype=np.int64)
        k = int(c.sum())
        cost = float(self.tau[int(np.flatnonzero(c)[0])]) if k == 1 else float(self.g[k])
        return Row(c.astype(np.int16).tobytes(), c.astype(float), cost)

    def _tops(self, order: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Count vectors of the top sets of sizes 2..n−1 when groups are taken in ``order``."""
        ws = self.w[order]
        cum = np.cumsum(ws)
        k = np.arange(2, self.n)
        j = np.searchsorted(cum, k)  # boundary position: first with cum ≥ k
        part = k - np.where(j > 0, cum[np.maximum(j - 1, 0)], 0)
        pos = np.arange(self.m)
        sorted_c = np.where(pos[None, :] < j[:, None], ws[None, :], 0) + np.where(
            pos[None, :] == j[:, None], part[:, None], 0
        )
        c = np.empty_like(sorted_c)
        c[:, order] = sorted_c
        return c, j, part

    def initial(self) -> Rows:
        rows = [self.row(self.eye[g]) for g in range(self.m)]
        if self.n > 2:
            c, _, _ = self._tops(np.arange(self.m)[::-1])  # on the cone the top groups have the largest z
            rows += [self.row(ci) for ci in c]
        return Rows.of(rows, self.m)

    def separate(self, z: np.ndarray, threshold: float, fixed: _Fixed, known: set) -> Rows:
        """Violated singletons outside L, and per size k the best coalition outside L: the top set, or
        the top set with one member swapped (module docstring, step 4)."""
        out: list[Row] = []
        col2 = np.einsum("ij,ij->j", fixed.proj, fixed.proj)
        for gi in np.flatnonzero((self.tau - z < threshold) & (col2 > SPAN**2)):
            out.append(self.row(self.eye[gi]))
        if self.n > 2:
            order = np.lexsort((-np.arange(self.m), -z))  # z descending, ties: higher group first
            c, j, part = self._tops(order)
            best = c @ z
            viol = np.flatnonzero(self.g[2 : self.n] - best < threshold)
            if len(viol):
                inside = fixed.in_span(c[viol])
                out += [self.row(c[k]) for k in viol[~inside]]
                if inside.any():
                    out += self._swaps(z, order, c, j, part, viol[inside], best, threshold, fixed.classes())
        return Rows.of([r for r in out if r.key not in known], self.m)

    def _swaps(
        self,
        z: np.ndarray,
        order: np.ndarray,
        c: np.ndarray,
        j: np.ndarray,
        part: np.ndarray,
        ks: np.ndarray,
        best: np.ndarray,
        threshold: float,
        labels: np.ndarray,
    ) -> list[Row]:
        """For top sets in L: the best swap of a member (support positions 0..j) for a non-member
        (positions j if partly filled, j+1, …) of another class of the relation e_b − e_b' ∈ L.

        With o = the member of smallest z and i = the non-member of largest z: (o, i) if their classes
        differ; else the better of (o, best non-member outside that class) and (best member outside that
        class, i). Vectorised over the sizes with next/previous-different-label arrays.
        """
        zs, ws, lab = z[order], self.w[order], labels[order]
        m = self.m
        pos = np.arange(m)
        change = np.r_[True, lab[1:] != lab[:-1]]
        prev_diff = np.maximum.accumulate(np.where(change, pos, 0)) - 1  # (start of p's run) − 1
        start_next = np.r_[pos[1:][lab[1:] != lab[:-1]], m]  # first position of each following run
        run_id = np.cumsum(change) - 1
        next_diff = start_next[run_id]  # first position > p with another label (m if none)
        jj, pp = j[ks], part[ks]
        o = jj
        i = np.where(pp < ws[jj], jj, jj + 1)
        out: list[Row] = []
        for kk, oo, ii in zip(ks, o, i, strict=True):
            if ii >= m:
                continue
            cands = []
            if lab[oo] != lab[ii]:
                cands.append((oo, ii))
            else:
                if next_diff[ii] < m:
                    cands.append((oo, next_diff[ii]))
                if prev_diff[oo] >= 0:
                    cands.append((prev_diff[oo], ii))
            if not cands:
                continue
            a, b = max(cands, key=lambda ab: zs[ab[1]] - zs[ab[0]])
            if self.g[kk + 2] - (best[kk] + zs[b] - zs[a]) < threshold:
                c2 = c[kk].copy()
                c2[order[a]] -= 1
                c2[order[b]] += 1
                out.append(self.row(c2))
        return out


def nucleolus_structured(
    fixed: np.ndarray,
    additive: np.ndarray,
    standalone: np.ndarray,
    *,
    pre: bool = False,
    backend: str = "auto",
    stages: int | None = None,
) -> tuple[np.ndarray, Stats]:
    """(Pre)nucleolus of c({i}) = s_i, c(S) = G(|S|) + Σ_S a_i (|S| ≥ 2), exact at any n (module docstring)."""
    a = np.asarray(additive, dtype=float)
    s = np.asarray(standalone, dtype=float)
    n = len(a)
    if n == 1:
        return s.copy(), Stats()
    G = np.asarray(fixed, dtype=float)
    t = s - a
    gamma = float(G[n])
    scale = max(1.0, float(np.max(np.abs(t))), float(np.max(np.abs(G[2:]))))
    tau, inverse, w = np.unique(t / scale, return_inverse=True, return_counts=True)
    upper = None if pre or float(np.sum(t)) < gamma - 1e-12 * scale else tau
    oracle = StructuredOracle(tau, w, G / scale)
    z, stats = lexmax(
        oracle, w.astype(float), gamma / scale, upper, cone=True, backend=backend, stages=stages
    )
    stats.scale = scale
    y = z[inverse] * scale
    y = y + (gamma - y.sum()) / n
    return a + y, stats
