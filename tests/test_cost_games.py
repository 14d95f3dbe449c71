"""Cooperative-game core of the cost module: Shapley (closed form, generic, Monte Carlo), nucleolus, SCRB."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.cost.games import (
    StructuredGame,
    core_check_structured,
    core_check_vector,
    nucleolus,
    scrb,
    shapley_exact,
    shapley_model,
    shapley_monte_carlo,
)

AIRPORT = np.array([8.0, 11.0, 13.0, 18.0])


def airport(m: np.ndarray) -> np.ndarray:
    """The runway game: a coalition pays for the longest runway its members need."""
    return np.where(m.any(axis=1), (m * AIRPORT).max(axis=1), 0.0)


def test_airport_game_reproduces_littlechild_owen():
    # Littlechild & Owen 1973: Shapley of the airport game = sequential equal split of runway segments
    assert np.allclose(shapley_exact(airport, 4), [2, 3, 4, 9])


def test_airport_nucleolus_and_scrb_are_efficient_and_in_core():
    from workbench.cost.games import masks

    v = airport(masks(4))
    x = nucleolus(v, 4)
    assert np.allclose(x, [3.25, 3.25, 3.25, 8.25])  # max min excess: x1=x2=x3=x4-5
    assert core_check_vector(v, x).in_core
    assert scrb(v, 4).sum() == pytest.approx(18)


def test_fixed_plus_additive_shapley_is_f_over_n_plus_a():
    a = np.array([1.0, 2.0, 5.0, 7.0])
    f = 40.0
    g = StructuredGame.make(f, a, f + a)  # c(S) = F + Σa for every non-empty S
    assert np.allclose(g.shapley(), f / 4 + a)
    assert np.allclose(shapley_exact(g.vector(), 4), f / 4 + a)


games_st = st.integers(2, 12).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.floats(0, 1e9),
        st.lists(st.floats(0, 1e8), min_size=n, max_size=n),
        st.lists(st.floats(0, 1e9), min_size=n, max_size=n),
        st.lists(st.floats(0, 5e7), min_size=n + 1, max_size=n + 1),
    )
)


@settings(max_examples=150, deadline=None)
@given(games_st)
def test_model_shapley_equals_generic(data):
    n, f, a, s, steps = data
    fixed = f + np.cumsum(steps)  # any size-dependent platform cost (capacity steps)
    g = StructuredGame.make(fixed, np.array(a), np.array(s))
    fast = shapley_model(g.fixed, g.additive, g.standalone)
    slow = shapley_exact(g.vector(), n)
    assert np.allclose(fast, slow, rtol=1e-9, atol=1e-3)
    assert fast.sum() == pytest.approx(g.grand(), rel=1e-12, abs=1e-3)


@settings(max_examples=60, deadline=None)
@given(games_st)
def test_capped_game_gives_non_negative_shapley_and_scrb(data):
    n, f, a, s, _ = data
    g = StructuredGame.make(f, np.array(a), np.array(s)).capped()
    assert (g.shapley() >= -1e-6).all()
    assert (scrb(g) >= -1e-6).all()
    assert np.allclose(scrb(g), scrb(g.vector(), n), atol=1e-3)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 8).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.floats(1, 100),
            st.lists(st.floats(0, 10), min_size=n, max_size=n),
            st.lists(st.floats(1, 200), min_size=n, max_size=n),
        )
    )
)
def test_nucleolus_in_core_when_core_not_empty(data):
    n, f, a, s = data
    g = StructuredGame.make(f, np.array(a), np.array(s)).capped()
    v = g.vector()
    x = nucleolus(v, n)
    assert x.sum() == pytest.approx(v[-1], rel=1e-7)
    # the core is non-empty iff its LP has a solution; Shapley or SCRB in the core is a witness
    witness = any(core_check_vector(v, y).in_core for y in (g.shapley(), scrb(g)))
    if witness:
        assert core_check_vector(v, x, tol=1e-6).in_core


@settings(max_examples=40, deadline=None)
@given(st.integers(3, 7), st.integers(0, 10_000))
def test_nucleolus_in_core_for_random_subadditive_games(n, seed):
    # a random game generated as the cheapest cover by random "projects" is subadditive; check when core not empty
    rng = np.random.default_rng(seed)
    masks = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(bool)
    v = np.where(masks.any(1), rng.uniform(1, 10, 2**n) * masks.sum(1) ** 0.7, 0.0)
    x = nucleolus(v, n)
    assert x.sum() == pytest.approx(v[-1])
    from scipy.optimize import linprog

    core = linprog(
        np.zeros(n),
        A_ub=masks[1:-1].astype(float),
        b_ub=v[1:-1],
        A_eq=np.ones((1, n)),
        b_eq=[v[-1]],
        bounds=[(None, None)] * n,
        method="highs",
    )
    if core.status == 0:
        assert core_check_vector(v, x, tol=1e-7).in_core


def test_structured_core_check_matches_exhaustive():
    rng = np.random.default_rng(3)
    for _ in range(50):
        n = int(rng.integers(3, 11))
        g = StructuredGame.make(rng.uniform(0, 100), rng.uniform(0, 20, n), rng.uniform(0, 80, n))
        x = rng.dirichlet(np.ones(n)) * g.grand()
        a, b = core_check_structured(g, x), core_check_vector(g.vector(), x)
        assert a.in_core == b.in_core
        assert a.min_excess == pytest.approx(b.min_excess, abs=1e-9)


def test_monte_carlo_close_to_exact_within_standard_errors():
    rng = np.random.default_rng(0)
    g = StructuredGame.make(100.0, rng.uniform(1, 5, 9), rng.uniform(20, 60, 9))
    exact = g.shapley()
    mc = shapley_monte_carlo(g, samples=4000, seed=2)
    assert np.all(np.abs(mc.value - exact) <= 5 * mc.stderr + 1e-9)
    mc2 = shapley_monte_carlo(lambda m: g.costs(m), n=9, samples=500, seed=2)
    assert mc2.samples == 500 and mc2.value.sum() == pytest.approx(g.grand())


def test_large_model_shapley_is_fast_and_efficient():
    import time

    rng = np.random.default_rng(1)
    g = StructuredGame.make(3e8, rng.uniform(1e6, 5e6, 179), rng.uniform(5e7, 2e8, 179))
    t = time.perf_counter()
    phi = g.shapley()
    assert time.perf_counter() - t < 0.05
    assert phi.sum() == pytest.approx(g.grand())


def test_generic_shapley_rejects_too_many_players():
    with pytest.raises(ValueError):
        shapley_exact(np.zeros(2**21), 21)
