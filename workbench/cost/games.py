"""Cooperative cost games: Shapley value, nucleolus, SCRB and core checks.

Pure numpy functions (the nucleolus and the least core: :mod:`workbench.cost.nucleolus`). A *generic* game on n ≤ 20 players is a vector ``v`` of 2^n costs indexed by bitmask
(bit i set = player i in the coalition, ``v[0] == 0``) or a callable taking a boolean mask array of shape
(m, n) and returning m costs. A *structured* game (:class:`StructuredGame`) is this project's cost model,
``c({i}) = s_i`` and ``c(S) = G(|S|) + Σ_{i∈S} a_i`` for ``|S| ≥ 2``, for which Shapley value, SCRB, the
core check, the nucleolus and the least core are exact at any size without enumerating coalitions.

SciPy is imported lazily (only the nucleolus needs it, :mod:`workbench.cost._highs`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..text import money_ja
from .coalitions import masks, popcounts, subset_sums  # noqa: F401  (re-exported)
from .nucleolus import nucleolus_structured, nucleolus_vector

MAX_GENERIC = 20
Game = np.ndarray | Callable[[np.ndarray], np.ndarray]


def game_vector(c: Game, n: int) -> np.ndarray:
    """The 2^n cost vector of a game given as a vector or as a callable on boolean masks."""
    if n > MAX_GENERIC:
        raise ValueError(f"全連合の列挙は{MAX_GENERIC}団体までです（{n}団体）")
    if callable(c):
        v = np.asarray(c(masks(n)), dtype=float)
    else:
        v = np.asarray(c, dtype=float)
    if v.shape != (2**n,):
        raise ValueError(f"費用ベクトルの長さは 2^{n} = {2**n} にしてください（いまは {v.shape}）")
    if not np.all(np.isfinite(v)):
        raise ValueError("費用ベクトルに NaN または無限大があります")
    v = v.copy()
    v[0] = 0.0
    return v


# --- the structured game --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StructuredGame:
    """c(∅)=0, c({i}) = standalone[i], c(S) = fixed[|S|] + Σ_{i∈S} additive[i] for |S| ≥ 2.

    ``fixed`` has length n+1 (entries 0 and 1 unused): a constant platform cost, or one that steps with the
    number of members (capacity). This is the cost model of DOMAIN §6b: a shared platform's fixed cost plus
    per-member costs, against each member's stand-alone cost.
    """

    fixed: np.ndarray
    additive: np.ndarray
    standalone: np.ndarray

    def __post_init__(self) -> None:
        """Costs must be finite: a NaN or an infinity failed deep in the nucleolus' LP (or gave NaN shares)."""
        for name, what in (
            ("fixed", "共通の費用"),
            ("additive", "団体ごとの費用"),
            ("standalone", "単独の費用"),
        ):
            v = np.asarray(getattr(self, name), dtype=float)
            bad = np.flatnonzero(~np.isfinite(v))
            if bad.size:
                more = f"ほか {bad.size - 1} 件" if bad.size > 1 else ""
                raise ValueError(
                    f"費用ゲームの{what}に NaN または無限大があります（{name}[{int(bad[0])}] = {v[bad[0]]}{more}）。"
                    "有限の金額にしてください"
                )

    @classmethod
    def make(cls, fixed: float | np.ndarray, additive: np.ndarray, standalone: np.ndarray) -> StructuredGame:
        a = np.asarray(additive, dtype=float)
        s = np.asarray(standalone, dtype=float)
        n = len(a)
        g = np.full(n + 1, float(fixed)) if np.ndim(fixed) == 0 else np.asarray(fixed, dtype=float)
        if g.shape != (n + 1,) or s.shape != (n,):
            raise ValueError("fixed は長さ n+1、standalone は長さ n にしてください")
        return cls(g, a, s)

    @property
    def n(self) -> int:
        return len(self.additive)

    def grand(self) -> float:
        """c(N), computed once per game (a frozen game's costs do not change; every rule, and the audit's check of
        every rule on the same subgames, asks for it)."""
        g = self.__dict__.get("_wb_grand")
        if g is None:
            g = self.cost(np.ones(self.n, dtype=bool))
            object.__setattr__(self, "_wb_grand", g)
        return g

    def cost(self, mask: np.ndarray) -> float:
        """c(S) of one coalition given as a boolean mask."""
        mask = np.asarray(mask, dtype=bool)
        k = int(mask.sum())
        if k == 0:
            return 0.0
        if k == 1:
            return float(self.standalone[mask][0])
        return float(self.fixed[k] + self.additive[mask].sum())

    def costs(self, mask_rows: np.ndarray) -> np.ndarray:
        """c(S) for many coalitions (boolean array (m, n)), vectorised."""
        mask_rows = np.asarray(mask_rows, dtype=bool)
        k = mask_rows.sum(axis=1)
        out = self.fixed[k] + mask_rows @ self.additive
        single = k == 1
        if single.any():
            out[single] = mask_rows[single] @ self.standalone
        out[k == 0] = 0.0
        return out

    def vector(self) -> np.ndarray:
        """All 2^n costs (n ≤ 20), an array of the caller's own."""
        return self.shared_vector().copy()

    def shared_vector(self) -> np.ndarray:
        """All 2^n costs (n ≤ 20), built once per game (a frozen game's costs do not change, and the audit checks
        every rule's allocation against the same 2^20 costs); read-only: :meth:`vector` gives a copy to change."""
        if self.n > MAX_GENERIC:
            raise ValueError(f"全連合の列挙は{MAX_GENERIC}団体までです（{self.n}団体）")
        v = self.__dict__.get("_wb_vector")
        if v is None:
            sizes = popcounts(self.n)
            v = self.fixed[sizes] + subset_sums(self.additive)
            v[0] = 0.0
            v[1 << np.arange(self.n)] = self.standalone
            v.flags.writeable = False
            object.__setattr__(self, "_wb_vector", v)
        return v

    def capped(self) -> StructuredGame:
        """The game with c({i}) = min(s_i, G(1) + a_i): a member alone may also use the shared platform.

        Makes the game monotone when G is non-decreasing and a ≥ 0 (a member never lowers a coalition's
        cost by joining), so Shapley values and core allocations are never negative; SCRB's textbook
        formula can still go negative when the separable costs exceed c(N) (capacity steps), which
        :func:`scrb_detail_from` catches.
        """
        return StructuredGame(
            self.fixed, self.additive, np.minimum(self.standalone, self.fixed[1] + self.additive)
        )

    def scaled(self, fixed: float = 1.0, additive: float = 1.0) -> StructuredGame:
        """The game with the fixed and additive parts scaled (stand-alone costs unchanged)."""
        return StructuredGame(self.fixed * fixed, self.additive * additive, self.standalone)

    def __add__(self, other: StructuredGame) -> StructuredGame:
        return StructuredGame(
            self.fixed + other.fixed, self.additive + other.additive, self.standalone + other.standalone
        )

    def subgame(self, keep: np.ndarray) -> StructuredGame:
        """The game restricted to the players where ``keep`` is true."""
        keep = np.asarray(keep, dtype=bool)
        return self._unchecked(self.fixed[: int(keep.sum()) + 1], self.additive[keep], self.standalone[keep])

    @classmethod
    def _unchecked(cls, fixed: np.ndarray, additive: np.ndarray, standalone: np.ndarray) -> StructuredGame:
        """A game made of parts of a game already checked (finite costs): the check of :meth:`__post_init__`
        is skipped (the audit's monotonicity makes one subgame per member and rule: 8,000 in a national batch)."""
        game = object.__new__(cls)
        object.__setattr__(game, "fixed", fixed)
        object.__setattr__(game, "additive", additive)
        object.__setattr__(game, "standalone", standalone)
        return game

    def shapley(self) -> np.ndarray:
        return shapley_model(self.fixed, self.additive, self.standalone)


def shapley_model(fixed: float | np.ndarray, additive: np.ndarray, standalone: np.ndarray) -> np.ndarray:
    """Exact Shapley value of the structured game, closed form, O(n).

    With c({i}) = s_i and c(S) = G(|S|) + Σ_S a_j for |S| ≥ 2, a player's position in a random order is
    uniform over 1..n. First: s_i. Second: G(2) + a_i − s_j averaged over j ≠ i, plus a_j. Later (k ≥ 2
    before it): G(k+1) − G(k) + a_i. Summing (the G terms telescope to G(n))::

        φ_i = [ s_i + G(n) + (n−1) a_i + Σ_{j≠i} (a_j − s_j) / (n−1) ] / n

    With s_i = F + a_i (a plain fixed-plus-additive game) this is F/n + a_i. Shapley 1953 (symmetry,
    additivity); derivation: this project (DOMAIN §6b cost model).
    """
    a = np.asarray(additive, dtype=float)
    s = np.asarray(standalone, dtype=float)
    n = len(a)
    if n == 0:
        return np.zeros(0)
    if n == 1:
        return s.copy()
    g_n = float(fixed) if np.ndim(fixed) == 0 else float(np.asarray(fixed)[n])
    d = a - s
    return (s + g_n + (n - 1) * a + (d.sum() - d) / (n - 1)) / n


def shapley_weights(n: int) -> np.ndarray:
    """w(k) = k!(n−k−1)!/n!, k = 0..n−1 (Shapley 1953)."""
    k = np.arange(n)
    logw = (
        np.array([math.lgamma(x + 1) for x in k])
        + np.array([math.lgamma(n - x) for x in k])
        - math.lgamma(n + 1)
    )
    return np.exp(logw)


def shapley_exact(c: Game, n: int) -> np.ndarray:
    """Exact Shapley value of any cost game on n ≤ 20 players, vectorised over the 2^n coalitions.

    ``c`` is the 2^n cost vector (index = bitmask) or a callable on a boolean mask array (2^n, n).
    For each player i the array is viewed as (2^(n−i−1), 2, 2^i) so that [:, 1, :] − [:, 0, :] are its
    marginal costs, weighted by w(|S|) (Shapley 1953).
    """
    v = game_vector(c, n)
    if n == 0:
        return np.zeros(0)
    # φ_i = Σ_{S∋i} w(|S|−1) v(S) − Σ_{S∌i} w(|S|) v(S)
    #     = Σ_{S∋i} [w(|S|−1) + w(|S|)] v(S) − Σ_S w(|S|) v(S)   (w(n) := 0)
    # Σ_{S∋i} for every i by folding the top bit away: O(2·2^n) contiguous work in all.
    w = np.append(shapley_weights(n), 0.0)
    sizes = popcounts(n)
    after = np.where(sizes > 0, w[np.maximum(sizes - 1, 0)], 0.0) * v
    before = w[sizes] * v
    both = after + before
    total_before = float(before.sum())
    phi = np.empty(n)
    for i in range(n - 1, -1, -1):
        half = 1 << i
        upper = both[half:]
        phi[i] = float(upper.sum()) - total_before
        both = both[:half] + upper
    return phi


@dataclass(frozen=True)
class MonteCarloShapley:
    """A Shapley estimate by permutation sampling: mean and standard error per player."""

    value: np.ndarray
    stderr: np.ndarray
    samples: int


def shapley_monte_carlo(
    c: Callable[[np.ndarray], np.ndarray] | StructuredGame,
    n: int | None = None,
    samples: int = 2000,
    seed: int | None = 0,
    batch: int = 256,
) -> MonteCarloShapley:
    """Shapley value estimated from random joining orders (Castro, Gómez & Tejada 2009).

    ``c`` is a callable on boolean masks (m, n) -> m costs, or a :class:`StructuredGame`. Each sampled
    order gives every player one marginal cost; the estimate is their mean, with standard error
    sd/√samples. Costs are evaluated in batches of orders, all prefixes at once.
    """
    if isinstance(c, StructuredGame):
        n = c.n
        fn = c.costs
    else:
        if n is None:
            raise ValueError("n を指定してください")
        fn = c
    rng = np.random.default_rng(seed)
    total = np.zeros(n)
    total_sq = np.zeros(n)
    done = 0
    while done < samples:
        m = min(batch, samples - done)
        orders = np.argsort(rng.random((m, n)), axis=1)
        # prefix masks: position p of order r includes players orders[r, :p]
        rank = np.empty_like(orders)
        rows = np.arange(m)[:, None]
        rank[rows, orders] = np.arange(n)[None, :]
        prefix = rank[:, None, :] < np.arange(n + 1)[None, :, None]  # (m, n+1, n)
        vals = np.asarray(fn(prefix.reshape(-1, n)), dtype=float).reshape(m, n + 1)
        marg_by_pos = np.diff(vals, axis=1)  # (m, n): marginal of player orders[r, p]
        marg = np.empty((m, n))
        marg[rows, orders] = marg_by_pos
        total += marg.sum(axis=0)
        total_sq += (marg**2).sum(axis=0)
        done += m
    mean = total / done
    var = np.maximum(total_sq / done - mean**2, 0.0) * done / max(done - 1, 1)
    return MonteCarloShapley(mean, np.sqrt(var / done), done)


# --- SCRB -----------------------------------------------------------------------------------------------


SCRB_LIMITS_SOURCE = (
    "Federal Inter-Agency River Basin Committee, Subcommittee on Benefits and Costs 1950 (Green Book); "
    "Arkansas-White-Red Basins Inter-Agency Committee 1952 (cost allocation report); USACE EP 1165-2-1 "
    "(1999), cost allocation: separable cost the minimum, the cheaper of benefits and the most economical "
    "alternative the maximum"
)


@dataclass(frozen=True)
class ScrbResult:
    """SCRB shares with the quantities behind them, and which formula gave them.

    ``case``: "scrb" (the textbook formula), "limits" (separable costs exceed c(N); shares kept between 0
    and the stand-alone cost, savings split by remaining benefits) or "standalone_ratio" (sharing costs
    more than everyone going alone; c(N) split in proportion to stand-alone costs). ``note`` says so in
    Japanese for the staff ("" for the textbook case).
    """

    shares: np.ndarray
    separable: np.ndarray
    remaining_benefit: np.ndarray
    nonseparable: float
    case: str
    note: str
    #: where the textbook shares exceed a member's stand-alone cost (case "scrb"): the shares the "limits"
    #: fallback gives (between 0 and the stand-alone cost, the saving split by remaining benefit), offered
    #: beside them; None when no share exceeds it or when no allocation keeps every member within it
    fallback: np.ndarray | None = None


def scrb_from(grand: float, without: np.ndarray, alone: np.ndarray) -> np.ndarray:
    """SCRB shares; see :func:`scrb_detail_from`."""
    return scrb_detail_from(grand, without, alone).shares


def scrb_detail_from(grand: float, without: np.ndarray, alone: np.ndarray) -> ScrbResult:
    """Separable costs, remaining benefits (Federal Inter-Agency River Basin Committee 1950; TVA; Young,
    Okada & Hashimoto 1982), with a fallback where the method's own limits cannot hold.

    Separable cost SC_i = c(N) − c(N∖i); remaining benefit RB_i = max(0, c({i}) − SC_i); the non-separable
    cost NSC = c(N) − Σ SC is split in proportion to RB (equally if every RB is 0). The method's stated
    limits (SCRB_LIMITS_SOURCE): a share is at least the separable cost and at most the stand-alone cost.

    When Σ SC > c(N) (NSC < 0 — a capacity step that the last member triggers makes every member's
    separable cost include the step) the minimums cannot all hold (and the core is empty, since every core
    allocation pays at least SC_i), and the formula spreads the negative NSC by RB: a member can be
    charged a negative share while others pay more than alone. Then, writing SCRB in its savings form
    share_i = c({i}) − (Σ_j c({j}) − c(N)) × RB_i / Σ RB (an identity when NSC ≥ 0 and every RB > 0):

    * if sharing still saves (Σ c({j}) ≥ c(N)), the total saving is split in proportion to RB (to the
      stand-alone costs if every RB is 0), no member's saving exceeding its stand-alone cost (the share is
      floored at zero and the rest of the saving re-spread over the others the same way): every share
      lies between 0 and the stand-alone cost, the maximum the sources keep;
    * if sharing costs more than everyone going alone, no allocation keeps every member at or below its
      stand-alone cost; c(N) is split in proportion to the stand-alone costs (each pays the same multiple
      of its own cost).
    """
    grand = float(grand)
    alone = np.asarray(alone, dtype=float)
    n = len(alone)
    sc = grand - np.asarray(without, dtype=float)
    noise = 1e-9 * max(1.0, abs(grand))
    rb = np.maximum(alone - sc, 0.0)
    rb[rb <= noise] = 0.0  # rounding noise is no benefit
    nsc = grand - float(sc.sum())
    saving = float(alone.sum()) - grand
    if nsc >= -noise:
        weights = rb / rb.sum() if rb.sum() > 0 else np.full(n, 1 / n)
        shares = sc + nsc * weights
        over = shares > alone + noise
        if not over.any():
            return ScrbResult(shares, sc, rb, nsc, "scrb", "")
        # a member's separable cost above its stand-alone cost (a small village whose per-member cost
        # exceeds what it would spend alone): the textbook share breaks the method's own maximum
        fallback = _within_standalone(grand, alone, rb, saving, noise) if saving >= -noise else None
        note = (
            f"分離費用・残余便益法の式どおりでは、{int(over.sum())}団体の負担が単独の費用を上回ります"
            "（その団体が最後に加わるときに増える費用＝分離費用が、単独の費用より大きいため）。"
            + (
                "負担を0以上・単独の費用以下に収め、全団体が単独で整備する場合に比べた節減額 "
                f"{money_ja(saving)} を残余便益に比例して配分する方法（費用配分の原則：負担は単独の費用を上限とする）も"
                "選べます。"
                if fallback is not None
                else f"共同利用の費用が全団体の単独の費用の合計を {money_ja(-saving)} 上回るため、どの配分でも単独より"
                "高くなる団体が出ます。"
            )
        )
        return ScrbResult(shares, sc, rb, nsc, "scrb", note, fallback)
    head = (
        f"分離費用・残余便益法：各団体が最後に加わるときの費用（分離費用）の合計 {money_ja(float(sc.sum()))} が"
        f"共同利用の費用 {money_ja(grand)} を上回るため（容量の段差などで起こります）、通常の式では負担が負になる団体や"
        "単独の費用を超える団体が出ます。"
    )
    if saving >= -noise and alone.sum() > 0:
        shares = _within_standalone(grand, alone, rb, saving, noise)
        note = head + (
            f"このため、各団体の負担を0以上・単独の費用以下に収め、全団体が単独で整備する場合に比べた節減額 "
            f"{money_ja(saving)} を残余便益（単独の費用－分離費用）に比例して配分しました"
            "（費用配分の原則：負担は単独の費用を上限とする。単独の費用は、自前で整備する費用と共同基盤を"
            "1団体だけで使う費用の安い方）。"
        )
        return ScrbResult(shares, sc, rb, nsc, "limits", note)
    total_alone = float(alone.sum())
    shares = alone * grand / total_alone if total_alone > 0 else np.full(n, grand / n)
    note = head + (
        f"さらに共同利用の費用が全団体の単独の費用の合計を {money_ja(-saving)} 上回るため、どの配分でも単独より"
        "高くなる団体が出ます。共同利用の費用を単独の費用に比例して按分しました（全団体が単独の費用の同じ倍率を負担。"
        "単独の費用は、自前で整備する費用と共同基盤を1団体だけで使う費用の安い方）。"
    )
    return ScrbResult(shares, sc, rb, nsc, "standalone_ratio", note)


def _within_standalone(
    grand: float, alone: np.ndarray, rb: np.ndarray, saving: float, noise: float
) -> np.ndarray:
    """SCRB in its savings form kept within its limits: the total saving against everyone going alone split
    in proportion to the remaining benefits (to the stand-alone costs if every one is 0), no member's saving
    above its stand-alone cost (floored at a zero share, the rest spread over the others the same way)."""
    n = len(alone)
    weights = rb if rb.sum() > 0 else alone
    share_of_saving = np.zeros(n)
    left, free = max(saving, 0.0), np.ones(n, dtype=bool)
    while left > noise and free.any():
        w = weights * free
        if w.sum() <= 0:  # only members without remaining benefit are left: by stand-alone cost
            w = alone * free
        if w.sum() <= 0:  # pragma: no cover - saving ≤ Σ stand-alone whenever c(N) ≥ 0
            break
        part = left * w / w.sum()
        over = free & (share_of_saving + part > alone)
        if not over.any():
            share_of_saving += part
            break
        left -= float((alone[over] - share_of_saving[over]).sum())
        share_of_saving[over] = alone[over]
        free &= ~over
    shares = alone - share_of_saving
    if shares.sum() > 0:
        shares *= grand / shares.sum()  # rounding only; keeps zero shares at zero
    return shares


def scrb(c: Game | StructuredGame, n: int | None = None) -> np.ndarray:
    """SCRB allocation of a structured game (exact, any n) or a generic game (n ≤ 20), with the fallback
    of :func:`scrb_detail_from` where the separable costs exceed c(N)."""
    return scrb_detail(c, n).shares


def scrb_detail(c: Game | StructuredGame, n: int | None = None) -> ScrbResult:
    """SCRB with its separable costs, remaining benefits, case and note (:func:`scrb_detail_from`)."""
    if isinstance(c, StructuredGame):
        n = c.n
        if n == 1:
            s = c.standalone.copy()
            return ScrbResult(s, s.copy(), np.zeros(1), 0.0, "scrb", "")
        without = c.fixed[n - 1] + c.additive.sum() - c.additive
        if n == 2:
            without = c.standalone[::-1].copy()
        return scrb_detail_from(c.grand(), without, c.standalone)
    if n is None:
        raise ValueError("n を指定してください")
    v = game_vector(c, n)
    full = 2**n - 1
    bits = 1 << np.arange(n)
    return scrb_detail_from(v[full], v[full ^ bits], v[bits])


# --- core -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoreCheck:
    """Result of a core check: the smallest excess c(S) − x(S) over proper coalitions and where."""

    in_core: bool
    min_excess: float
    coalition: np.ndarray  # boolean mask of the worst coalition
    method: str


def core_check_vector(v: np.ndarray, x: np.ndarray, tol: float = 1e-6) -> CoreCheck:
    """Every proper coalition checked, vectorised over 2^n subsets: x(S) ≤ c(S)."""
    n = len(x)
    excess = subset_sums(x)
    np.subtract(
        v, excess, out=excess
    )  # c(S) − x(S) in place: a second 2^n array cost more than the subtraction
    excess[0] = np.inf
    excess[-1] = np.inf
    if n == 1:
        return CoreCheck(True, 0.0, np.ones(1, dtype=bool), "2^n 全連合")
    worst = int(np.argmin(excess))
    scale = max(1.0, abs(v[-1]))
    mask = ((worst >> np.arange(n)) & 1).astype(bool)
    return CoreCheck(bool(excess[worst] >= -tol * scale), float(excess[worst]), mask, "2^n 全連合")


def core_check_structured(game: StructuredGame, x: np.ndarray, tol: float = 1e-6) -> CoreCheck:
    """Exact core check of the structured game at any n, by finding the most violated coalition.

    For |S| = k ≥ 2 the excess G(k) + Σ_S (a_i − x_i) is smallest for the k smallest a_i − x_i
    (sort once, cumulative sums); singletons give s_i − x_i. O(n log n) — the separation problem of
    constraint generation solved in closed form for this c(S).
    """
    n = game.n
    x = np.asarray(x, dtype=float)
    scale = max(1.0, abs(game.grand()))
    best_val = np.inf
    best = np.zeros(n, dtype=bool)
    if n >= 1:
        single = game.standalone - x
        i = int(np.argmin(single))
        best_val = float(single[i])
        best[i] = True
    if n >= 3:
        d = game.additive - x
        order = np.argsort(d)
        cums = np.cumsum(d[order])
        k = np.arange(2, n)  # proper coalitions only
        ex = game.fixed[k] + cums[k - 1]
        j = int(np.argmin(ex))
        if ex[j] < best_val:
            best_val = float(ex[j])
            best = np.zeros(n, dtype=bool)
            best[order[: k[j]]] = True
    return CoreCheck(bool(best_val >= -tol * scale), best_val, best, "最も不利な連合の探索（構造化 c(S)）")


# --- nucleolus and least core --------------------------------------------------------------------------


def nucleolus(
    c: Game | StructuredGame, n: int | None = None, tol: float = 1e-9, *, pre: bool = False
) -> np.ndarray:
    """Nucleolus of a cost game by sequential linear programs on HiGHS (:mod:`workbench.cost.nucleolus`).

    Maximises lexicographically the sorted excesses c(S) − x(S) (Schmeidler 1969) over imputations
    (x_i ≤ c({i}), Σx = c(N)); when the imputation set is empty, or ``pre`` is set, the prenucleolus.
    A :class:`StructuredGame` (this project's cost model) is solved exactly at any size on the ordered
    cone, by size (reduction proved in :mod:`workbench.cost.nucleolus`); a cost vector or a callable on
    masks by the generic method over all 2^n coalitions, n ≤ 20. ``tol`` is kept for compatibility (the
    tolerances are those of the sequential LPs).
    """
    if isinstance(c, StructuredGame):
        return nucleolus_structured(c.fixed, c.additive, c.standalone, pre=pre)[0]
    if n is None:
        raise ValueError("n を指定してください")
    return nucleolus_vector(game_vector(c, n), n, pre=pre)[0]


@dataclass(frozen=True)
class LeastCore:
    """The least core (Maschler, Peleg & Shapley 1979) of a cost game, in the game's units (yen).

    ``epsilon`` = max over efficient x of min over proper coalitions of c(S) − x(S). ε ≥ 0: the core is
    not empty, and some allocation leaves every coalition at least ε below its own cost; ε < 0: the core is
    empty, and whatever the allocation, some coalition pays at least −ε more than it would on its own.
    ``allocation`` is the prenucleolus, the lexicographic centre of the least core; ``coalition`` a
    coalition whose excess at that allocation is ε (boolean mask).
    """

    epsilon: float
    allocation: np.ndarray
    coalition: np.ndarray
    method: str

    @property
    def core_empty(self) -> bool:
        return self.epsilon < -1e-9 * max(1.0, float(np.abs(self.allocation).sum()))


def least_core(c: Game | StructuredGame, n: int | None = None) -> LeastCore:
    """The least core's ε and its prenucleolus; exact at any n for a :class:`StructuredGame` (one LP with
    O(n) rows for ε on the ordered cone), over all 2^n coalitions (n ≤ 20) otherwise."""
    if isinstance(c, StructuredGame):
        game = c
        x, stats = nucleolus_structured(c.fixed, c.additive, c.standalone, pre=True)
        method = "順序付き錐上の線形計画（構造化 c(S)、全団体）"
        check = core_check_structured(game, x, tol=0.0)
    else:
        if n is None:
            raise ValueError("n を指定してください")
        v = game_vector(c, n)
        x, stats = nucleolus_vector(v, n, pre=True)
        method = "2^n 全連合の線形計画"
        check = core_check_vector(v, x, tol=0.0)
    eps = stats.levels_yen[0] if stats.levels else float(check.min_excess)
    return LeastCore(float(eps), x, check.coalition, method)
