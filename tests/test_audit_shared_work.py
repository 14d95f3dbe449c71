"""The cost audit computes shared work once (issue 28, point 1) and gives what the computation before did.

The monotonicity check reruns every rule on the n subsets without one member: the subsets are now built once per
players and shared by every rule (:meth:`Players.without_each`), and the national batch takes the audit's own
allocations instead of building the model and allocating again (:func:`audited_allocations`). Each test below
compares with the computation as it was written before (kept here), on the sample prefectures.
"""

from __future__ import annotations

import numpy as np
import pytest

import workbench as wb
from workbench.batch import summarize
from workbench.cost import allocate, audit_rules, build_model
from workbench.cost.audit import audit_rules_model, audited_allocations, monotonicity
from workbench.cost.model import rule_code, rule_codes
from workbench.cost.rules import players_of, rule_shares, shares_for

SAMPLES = ["07", "09", "10", "24"]


def _monotonicity_before(p, rule: str, shares: np.ndarray) -> list[tuple[int, int, float]]:
    """The check as written before: one subset per member, made again for every rule."""
    n = p.game.n
    out: list[tuple[int, int, float]] = []
    if n < 2:
        return out
    tol = 1e-7 * max(1.0, abs(p.game.grand()))
    for j in range(n):
        keep = np.ones(n, dtype=bool)
        keep[j] = False
        before = shares_for(p.subset(keep), rule)
        after = shares[keep]
        idx = np.flatnonzero(keep)
        for i in np.flatnonzero(after > before + tol):
            out.append((j, int(idx[i]), float(after[i] - before[i])))
    return out


def _models():
    for code in SAMPLES:
        pref = wb.load_sample(code)
        yield code, pref, build_model(pref)
        # the same file with the prefecture paying nothing: other shares, other violations
        yield code + "/none", pref, build_model(pref, "none")


@pytest.fixture(scope="module")
def models():
    return list(_models())


def test_monotonicity_is_what_it_was_for_every_rule_of_every_sample(models):
    found = 0
    for name, _pref, m in models:
        p = players_of(m)
        for rule in rule_codes():
            try:
                shares = shares_for(p, rule)
            except wb.InputError:
                continue  # the rule cannot run on this file (usage without drivers …)
            new = monotonicity(p, rule, shares)
            assert new == _monotonicity_before(p, rule, shares), (name, rule)
            assert all(type(j) is int and type(i) is int and type(x) is float for j, i, x in new)
            found += len(new)
    assert found > 0  # some rule breaks monotonicity on the samples: the comparison is not of empty lists


def test_the_subsets_are_those_of_subset_and_built_once(models):
    _name, _pref, m = models[0]
    p = players_of(m)
    subsets = p.without_each()
    assert p.without_each() is subsets and len(subsets) == p.game.n
    for j, (idx, sub) in enumerate(subsets):
        keep = np.ones(p.game.n, dtype=bool)
        keep[j] = False
        ref = p.subset(keep)
        assert idx.tolist() == np.flatnonzero(keep).tolist()
        assert sub.codes == ref.codes
        for a, b in ((sub.game.fixed, ref.game.fixed), (sub.game.additive, ref.game.additive)):
            assert np.array_equal(a, b)
        assert np.array_equal(sub.game.standalone, ref.game.standalone)
        assert np.array_equal(sub.population, ref.population)
        assert sub.drivers.keys() == ref.drivers.keys()
        assert all(np.array_equal(sub.drivers[k], ref.drivers[k], equal_nan=True) for k in sub.drivers)
    for rule in ("equal", "population", "shapley", "scrb"):
        assert rule_shares(rule)(subsets[0][1]).tolist() == shares_for(subsets[0][1], rule).tolist()


def test_audited_allocations_are_those_of_allocate_and_the_report_that_of_audit_rules():
    for code in SAMPLES:
        pref = wb.load_sample(code)
        report, allocations = audited_allocations(pref)
        assert report.model_dump() == audit_rules(pref).model_dump()
        assert set(allocations) == set(report.audits)
        for rule, alloc in allocations.items():
            assert alloc.model_dump() == allocate(pref, rule=rule).model_dump(), (code, rule)
        chosen, some = audit_rules_model(build_model(pref), ["equal", "shapley"])
        assert list(some) == ["equal", "shapley"]
        assert chosen.model_dump() == audit_rules(pref, ["equal", "shapley"]).model_dump()


def test_a_rule_the_file_cannot_run_is_skipped_by_the_audit_and_raises_when_named():
    pref = wb.load_sample("09")  # no usage drivers: usage and hybrid cannot run
    report, allocations = audited_allocations(pref)
    assert set(report.skipped) == {"usage", "hybrid"}
    for rule in report.skipped:
        assert rule not in allocations
        with pytest.raises(wb.InputError):
            allocate(pref, rule=rule)
        with pytest.raises(wb.InputError):
            audited_allocations(pref, [rule])


def test_the_batch_row_is_what_it_was():
    """summarize's cost columns as computed before (audit_rules, then allocate for each rule)."""
    for code in SAMPLES:
        pref = wb.load_sample(code)
        costs_under = [r for r in rule_codes() if r not in audit_rules(pref).skipped]
        row = summarize(pref, costs_under=costs_under)
        report = audit_rules(pref)
        shap = allocate(pref, rule="shapley")
        standalone = sum(m.standalone for m in shap.members)
        assert row["shared_total"] == round(shap.total)
        assert row["standalone_total"] == round(standalone)
        assert row["prefecture_part"] == round(shap.prefecture)
        assert row["rules_not_ir"] == "|".join(
            r for r, au in report.audits.items() if not au.individually_rational
        )
        assert row["rules_in_core"] == "|".join(r for r, au in report.audits.items() if au.in_core)
        for rule in costs_under:
            shares = [m.share for m in allocate(pref, rule=rule).members]
            assert row[f"{rule}_municipal_total"] == round(sum(shares))
            assert row[f"{rule}_max_share"] == round(max(shares))


def test_rule_code_remembers_only_what_it_found():
    assert rule_code("人口割") == rule_code("人口割") == "population"
    assert rule_code("Shapley value") == "shapley"
    for bad in ("no-such-rule", "no-such-rule"):  # an unknown rule raises every time, never remembered
        with pytest.raises(wb.InputError):
            rule_code(bad)


def test_models_from_makes_the_objects_the_constructor_makes():
    """results.models_from validates many rows in one call: the same objects as the constructor, fields set
    included, and the same refusal of a bad row."""
    import pydantic

    from workbench.cost.audit import MemberAudit, MonotonicityViolation
    from workbench.cost.rules import MemberShare
    from workbench.results import models_from

    rows = [{"joiner": "072010", "incumbent": "072028", "increase": 1.5}]
    (made,) = models_from(MonotonicityViolation, rows)
    one = MonotonicityViolation(**rows[0])
    assert (
        made == one and made.model_fields_set == one.model_fields_set and type(made) is MonotonicityViolation
    )
    alloc = allocate(wb.load_sample("07"), rule="population")
    fields = ("code", "name", "share", "standalone", "saving_ratio", "individually_rational")
    audits = models_from(MemberAudit, [{k: getattr(x, k) for k in fields} for x in alloc.members])
    assert audits == [MemberAudit(**{k: getattr(x, k) for k in fields}) for x in alloc.members]
    partial = {"code": "072010", "name": "福島市", "population": 1, "share": 1.0, "standalone": 2.0}
    partial |= {
        "individually_rational": True,
        "saving": 1.0,
        "saving_ratio": 0.5,
    }  # join_year, outside: defaults
    (share,) = models_from(MemberShare, [partial])
    assert share == MemberShare(**partial) and share.model_fields_set == set(partial)
    with pytest.raises(pydantic.ValidationError):
        models_from(MonotonicityViolation, [{"joiner": "072010", "incumbent": "072028", "increase": "many"}])
