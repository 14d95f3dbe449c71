"""Issue 17: the nucleolus at full scale, the least core, SCRB's edge case.

The structured method (workbench/cost/nucleolus.py) is checked against the generic 2^n method, and both
against independent computations: SciPy's linprog over every coalition for the least core and the core,
published values (Aumann & Maschler 1985 for the Talmud estates), coopgame-py where installed.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import workbench as wb
import workbench.cost as wc
from workbench.cost import games
from workbench.cost.games import (
    StructuredGame,
    core_check_structured,
    core_check_vector,
    least_core,
    masks,
    nucleolus,
)
from workbench.cost.nucleolus import nucleolus_structured, nucleolus_vector


def close(a, b, scale):
    return np.abs(np.asarray(a) - np.asarray(b)).max() <= 1e-9 * max(1.0, scale)


def lp_least_core(v: np.ndarray, n: int) -> float:
    """ε of the least core by one LP over every proper coalition (SciPy linprog, no code of ours)."""
    from scipy.optimize import linprog

    mk = masks(n)[1:-1].astype(float)
    res = linprog(
        np.r_[np.zeros(n), -1.0],
        A_ub=np.hstack([mk, np.ones((len(mk), 1))]),
        b_ub=v[1:-1],
        A_eq=np.r_[np.ones(n), 0.0][None, :],
        b_eq=[v[-1]],
        bounds=[(None, None)] * (n + 1),
        method="highs",
    )
    assert res.status == 0
    return float(res.x[-1])


# --- structured games: any G(2..n), a, s -------------------------------------------------------------------


def structured_games(max_n: int = 12):
    """c({i}) = s_i, c(S) = G(|S|) + Σ a_i: constant, stepped (capacity) or arbitrary G; ties in s − a."""
    return st.integers(2, max_n).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.sampled_from(["constant", "steps", "arbitrary"]),
            st.lists(st.integers(0, 40), min_size=n + 1, max_size=n + 1),
            st.lists(st.integers(0, 20), min_size=n, max_size=n),
            st.lists(st.integers(0, 120), min_size=n, max_size=n),
            st.booleans(),
        )
    )


def build(data) -> tuple[int, StructuredGame]:
    n, kind, g, a, s, capped = data
    g = np.array(g, dtype=float) * 1e6
    if kind == "constant":
        fixed = np.full(n + 1, 60e6 + g[0])
    elif kind == "steps":
        fixed = 60e6 + g[0] + 80e6 * np.maximum(np.ceil(np.arange(n + 1) / 2) - 1, 0)
    else:
        fixed = g
    game = StructuredGame.make(fixed, np.array(a, float) * 1e6, np.array(s, float) * 1e6)
    return n, game.capped() if capped else game


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(structured_games())
def test_structured_nucleolus_equals_the_generic_one(data):
    n, g = build(data)
    v = g.vector()
    for pre in (False, True):
        fast = nucleolus_structured(g.fixed, g.additive, g.standalone, pre=pre)[0]
        slow = nucleolus_vector(v, n, pre=pre)[0]
        assert close(fast, slow, np.abs(v).max()), (pre, fast, slow)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(structured_games())
def test_nucleolus_properties(data):
    """Efficiency, symmetry, imputation bounds, y = x − a ordered as t = s − a, in the core whenever the
    core is not empty (decided by an independent LP over every coalition)."""
    n, g = build(data)
    v = g.vector()
    x = nucleolus(g)
    scale = np.abs(v).max()
    assert x.sum() == pytest.approx(g.grand(), abs=1e-6 * max(1.0, scale))
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    for i, j in pairs:  # symmetric players (same a and s) pay the same
        if g.additive[i] == g.additive[j] and g.standalone[i] == g.standalone[j]:
            assert x[i] == pytest.approx(x[j], abs=1e-6 * max(1.0, scale))
    y, t = x - g.additive, g.standalone - g.additive
    for i, j in pairs:
        if t[i] < t[j]:
            assert y[i] <= y[j] + 1e-6 * max(1.0, scale)
    if g.standalone.sum() >= g.grand():
        assert (x <= g.standalone + 1e-6 * max(1.0, scale)).all()  # an imputation
    if lp_least_core(v, n) >= -1e-9 * max(1.0, scale):
        assert core_check_vector(v, x, tol=1e-7).in_core
        assert core_check_structured(g, x, tol=1e-7).in_core


@pytest.mark.parametrize("n", [16, 20])
def test_structured_equals_generic_at_sixteen_and_twenty(n):
    rng = np.random.default_rng(n)
    fixed = 3e7 * np.sqrt(np.arange(n + 1)) + rng.uniform(0, 1e7, n + 1)  # many stages
    g = StructuredGame.make(fixed, rng.uniform(0, 5e6, n), rng.uniform(0, 6e7, n) * rng.random(n))
    v = g.vector()
    fast, stats = nucleolus_structured(g.fixed, g.additive, g.standalone)
    slow, _ = nucleolus_vector(v, n)
    assert stats.stages > 1
    assert close(fast, slow, np.abs(v).max())


def test_hokkaido_size_is_exact_and_stable():
    rng = np.random.default_rng(1)
    n = 179
    fixed = 3e8 + 2e8 * np.maximum(np.ceil(np.arange(n + 1) / 40) - 1, 0)  # capacity steps
    g = StructuredGame.make(fixed, rng.uniform(1e6, 5e6, n), rng.uniform(5e7, 2e8, n)).capped()
    x, stats = nucleolus_structured(g.fixed, g.additive, g.standalone)
    assert x.sum() == pytest.approx(g.grand(), rel=1e-12)
    lc = least_core(g)
    assert lc.epsilon == pytest.approx(stats.levels_yen[0], rel=1e-9) or not lc.core_empty
    if not lc.core_empty:
        assert core_check_structured(g, x).in_core
    # the first level of the nucleolus is its smallest excess, which no allocation can beat
    assert core_check_structured(g, x, tol=0).min_excess == pytest.approx(stats.levels_yen[0], rel=1e-6)


def test_ties_collapse_and_equal_standalones_split_the_platform_equally():
    g = StructuredGame.make(9e7, np.full(179, 1e6), np.full(179, 5e7))
    x = nucleolus(g)
    assert np.allclose(x, g.grand() / 179)


# --- the generic method ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "estate, expected",
    [(100, [100 / 3] * 3), (200, [50, 75, 75]), (300, [50, 100, 150])],
)
def test_talmud_estates_are_the_nucleolus(estate, expected):
    """Aumann & Maschler (1985), Table 1: the Talmud's divisions of an estate among creditors with claims
    100, 200, 300 are the nucleolus of the bankruptcy game v(S) = max(0, E − claims outside S). As a cost
    game c = −v, whose nucleolus is −x."""
    claims = np.array([100.0, 200.0, 300.0])
    mk = masks(3)
    v = np.maximum(0.0, estate - (claims * ~mk).sum(axis=1))
    v[0] = 0.0
    assert np.allclose(-nucleolus(-v, 3), expected, atol=1e-6)


def test_generic_prenucleolus_and_least_core_match_an_independent_lp():
    rng = np.random.default_rng(4)
    for _ in range(25):
        n = int(rng.integers(3, 8))
        mk = masks(n)
        v = np.where(mk.any(1), rng.uniform(0, 10, 2**n), 0.0)  # arbitrary: often an empty core
        lc = least_core(v, n)
        assert lc.epsilon == pytest.approx(lp_least_core(v, n), abs=1e-7)
        assert lc.allocation.sum() == pytest.approx(v[-1])
        assert core_check_vector(v, lc.allocation, tol=0).min_excess == pytest.approx(lc.epsilon, abs=1e-7)
        assert lc.core_empty == (lp_least_core(v, n) < -1e-9)


def test_linprog_backend_gives_the_same_nucleolus():
    rng = np.random.default_rng(9)
    for n in (4, 6, 8):
        mk = masks(n)
        v = np.where(mk.any(1), rng.uniform(1, 10, 2**n) * mk.sum(1) ** 0.7, 0.0)
        a, _ = nucleolus_vector(v, n)
        b, _ = nucleolus_vector(v, n, backend="linprog")
        assert np.allclose(a, b, atol=1e-6)
    g = StructuredGame.make(np.linspace(10, 60, 11), rng.uniform(0, 2, 10), rng.uniform(0, 30, 10))
    a, _ = nucleolus_structured(g.fixed, g.additive, g.standalone)
    b, _ = nucleolus_structured(g.fixed, g.additive, g.standalone, backend="linprog")
    assert np.allclose(a, b, atol=1e-6)


def test_against_coopgame_where_installed():
    """coopgame-py (PyPI, Rust): its float nucleolus, and its rational one (exact, up to 10 players)."""
    from fractions import Fraction

    coopgame = pytest.importorskip("coopgame")  # make bench installs it; CI does not
    rng = np.random.default_rng(2)
    for n in (5, 8, 10):
        g = StructuredGame.make(3e8, rng.uniform(1e6, 5e6, n), rng.uniform(5e7, 1.5e8, n)).capped()
        v = g.vector()
        theirs = np.array(coopgame.cost_nucleolus(coopgame.Game(list(v[1:]))))
        assert close(nucleolus(g), theirs, np.abs(v).max())
        assert close(nucleolus(v, n), theirs, np.abs(v).max())
        exact = coopgame.nucleolus_exact([Fraction(-x) for x in v[1:]])["allocation"]
        assert np.abs(nucleolus(g) + np.array([float(Fraction(a)) for a in exact])).max() < 1e-3  # yen


# --- the least core on a prefecture ------------------------------------------------------------------------


def mie_capacity():
    """The Mie sample (guide 2.2 No.7: 多気町・大台町・明和町・度会町・紀北町 share one platform) with a
    capacity step every 2 members (2億円 of initial cost per step) and 明和町 at 5億円 initial alone."""
    from workbench.cost.model import with_costs
    from workbench.inventory.costs import CostScenario

    pref = wb.load_sample("24")
    d = pref.costs.model_dump(exclude_none=True)
    d["shared"]["capacity"] = {"members_per_step": 2, "initial": 2e8}
    d["standalone"]["overrides"]["244422"]["initial"] = 5e8
    return with_costs(pref, CostScenario.model_validate(d))


def test_least_core_in_the_audit_in_yen():
    pref = mie_capacity()
    au = wc.audit(pref, "shapley")
    lc = au.least_core
    assert lc is not None and lc.core_empty and lc.epsilon < 0
    assert "コアは空です" in lc.text and "万円" in lc.text
    assert "コアは空です" in au.summary
    # the same ε from an independent LP over the members' 2^5 coalitions
    from workbench.cost.rules import players_of

    game = players_of(wc.build_model(pref)).game
    assert lc.epsilon == pytest.approx(lp_least_core(game.vector(), game.n), rel=1e-7)
    assert sum(lc.allocation.values()) == pytest.approx(game.grand())
    report = wc.audit_rules(pref)
    assert report.least_core is not None and report.least_core.epsilon == pytest.approx(lc.epsilon)
    assert report.least_core.text in report.summary
    fukushima = wc.audit(wb.load_sample("07"), "shapley").least_core
    assert not fukushima.core_empty and "コアは空ではありません" in fukushima.text


def test_batch_row_has_the_least_core():
    from workbench.batch import COLUMNS_JA, summarize

    row = summarize(wb.load_sample("07"))
    assert row["least_core_epsilon"] > 0 and "least_core_epsilon" in COLUMNS_JA
    assert "nucleolus" in row["rules_in_core"].split("|")


def test_nucleolus_for_every_member_of_a_large_prefecture_in_the_simulator():
    from workbench import widgets as W

    session = W.Session()
    session.set(wb.load_sample("01"))  # 北海道, 179 municipalities (synthetic sample)
    sim = W.CostSimulator(session)
    sim.rule.value = "nucleolus"
    assert sim.allocation is not None and sim.allocation.rule == "nucleolus"
    assert len(sim.allocation.members) == 179 and "最小コア" in sim.fairness.value


# --- SCRB's edge case --------------------------------------------------------------------------------------


def test_scrb_negative_share_case_falls_back_with_a_note():
    """Issue 17: with the capacity step the separable costs (206.7 million yen each) exceed c(N), and the
    textbook formula charges 明和町 a negative share: (206.7, 206.7, −184.3, 206.7, 206.7) million yen."""
    from workbench.cost.rules import players_of

    pref = mie_capacity()
    game = players_of(wc.build_model(pref)).game
    d = games.scrb_detail(game)
    textbook = d.separable + d.nonseparable * d.remaining_benefit / d.remaining_benefit.sum()
    assert np.round(textbook / 1e6, 1).tolist() == [206.7, 206.7, -184.3, 206.7, 206.7]
    assert d.separable.sum() > game.grand() and d.nonseparable < 0
    # sharing costs more than everyone going alone here: c(N) in proportion to the stand-alone costs
    assert d.case == "standalone_ratio"
    assert (d.shares >= 0).all() and d.shares.sum() == pytest.approx(game.grand())
    assert np.allclose(d.shares / game.standalone, game.grand() / game.standalone.sum())
    a = wc.allocate(pref, "scrb")
    assert all(m.share >= 0 for m in a.members)
    assert a.caveats and "分離費用" in a.caveats[0] and a.caveats[0] in a.summary_lines()
    assert any("1950" in s for s in a.sources)


def test_scrb_fallback_keeps_shares_between_zero_and_standalone_when_sharing_saves():
    # separable costs exceed c(N) (the last member triggers a step), but sharing still saves
    fixed = np.array([0, 100, 100, 100, 100, 500.0])
    g = StructuredGame.make(fixed, np.zeros(5), np.array([400, 300, 20, 250, 5.0]))
    d = games.scrb_detail(g)
    assert d.nonseparable < 0 and d.case == "limits"
    assert d.shares.sum() == pytest.approx(g.grand())
    assert (d.shares >= -1e-9).all() and (d.shares <= g.standalone + 1e-9).all()
    assert d.note and "単独の費用以下" in d.note
    # one member keeps a remaining benefit: the saving goes to it up to its whole stand-alone cost, the
    # rest by stand-alone cost
    g2 = StructuredGame.make(fixed, np.zeros(5), np.array([450, 300, 20, 250, 5.0]))
    d2 = games.scrb_detail(g2)
    assert d2.case == "limits" and d2.shares[0] == pytest.approx(0.0, abs=1e-9)
    assert d2.shares.sum() == pytest.approx(g2.grand()) and (d2.shares >= -1e-9).all()
    assert (d2.shares <= g2.standalone + 1e-9).all()
    # the textbook case is unchanged
    plain = StructuredGame.make(100.0, np.array([1.0, 2, 3]), np.array([60.0, 50, 40]))
    assert games.scrb_detail(plain).case == "scrb" and games.scrb_detail(plain).note == ""


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(structured_games(8))
def test_scrb_is_efficient_non_negative_and_within_stand_alone_when_sharing_saves(data):
    if data[1] == "arbitrary":  # the model's platform cost never falls as members join
        data = (data[0], "steps", *data[2:])
    n, g = build(data)
    g = g.capped()  # the members' game of the model
    d = games.scrb_detail(g)
    scale = max(1.0, abs(g.grand()))
    assert d.shares.sum() == pytest.approx(g.grand(), abs=1e-6 * scale)
    assert (d.shares >= -1e-6 * scale).all(), d.case
    if d.case == "limits":
        assert (d.shares <= g.standalone + 1e-6 * scale).all()
    assert np.allclose(d.shares, games.scrb(g.vector(), n), atol=1e-6 * scale)


def test_scrb_note_writes_money_as_staff_read_it():
    """The SCRB caveat uses the library's one money formatter (workbench.text.money_ja: 億円 with two
    decimals, else 万円), not a second spelling of its own."""
    from workbench.cost.rules import players_of
    from workbench.text import money_ja

    game = players_of(wc.build_model(mie_capacity())).game
    d = games.scrb_detail(game)
    assert f"分離費用）の合計 {money_ja(float(d.separable.sum()))} が" in d.note
    assert f"共同利用の費用 {money_ja(game.grand())} を上回る" in d.note
    assert money_ja(642_425_114) == "6.42億円" and money_ja(45_000_000) == "4,500万円"
    assert money_ja(-1234) == "−1,234円"
    assert not hasattr(games, "yen_ja")
