"""One naming of columns (issue 27, point 2; docs/frames.md): every result's ``to_frame()`` has exactly the
documented snake_case columns of its ``FRAME_COLUMNS`` with codes as values, and ``to_staff_frame()`` is the
Japanese view staff read."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd
import pytest

import workbench as wb
from workbench.cost import module_effect_view, sensitivity
from workbench.cost.effect import cost_effect
from workbench.datamap import vision_goals
from workbench.overview import overview

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import check_docs  # noqa: E402

SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
JAPANESE = re.compile(r"[ぁ-んァ-ン一-龥（]")


def _results(code: str = "07") -> dict[str, object]:
    pref = wb.load_sample(code)
    return {
        "Classification": wb.classify(pref),
        "AuthMatch": wb.match_auth(pref),
        "Allocation": wb.allocate(pref, rule="shapley"),
        "Comparison": wb.compare_rules(pref, ["equal", "population"]),
        "FairnessReport": wb.audit_rules(pref, ["equal", "shapley"]),
        "FairnessAudit": wb.audit_rules(pref, ["equal"]).audits["equal"],
        "CashFlow": wb.cash_flow(pref, rule="equal"),
        "LateJoin": wb.late_joiner(pref, "072095", 3),
        "Sensitivity": sensitivity(pref),
        "CostEffect": cost_effect(pref, "shapley"),
        "ModuleEffectView": module_effect_view(pref),
        "DataMapResult": wb.datamap(pref),
        "CrossFieldGoals": vision_goals(pref),
        "VisionResult": wb.vision(pref),
        "ActionPlan": wb.action_plan(pref),
        "OverviewData": overview(pref, pref.platforms[0].id),
        "NationalSummary": wb.national_summary(["07"], rules=[]),
        "OptionsResult": wb.options(pref),
    }


RESULTS = _results()


def test_every_result_class_is_exercised_here() -> None:
    assert {c.__name__ for c in check_docs.result_classes()} <= set(RESULTS)


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_to_frame_has_the_documented_snake_case_columns(name: str) -> None:
    result = RESULTS[name]
    df = result.to_frame()
    assert isinstance(df, pd.DataFrame) and len(df), name
    documented = list(type(result).FRAME_COLUMNS)
    assert documented, f"{name}: FRAME_COLUMNS is empty"
    assert all(SNAKE.match(c) or c.startswith("{rule}_") for c in documented)
    fixed = [c for c in documented if not c.startswith("{rule}_")]
    assert list(df.columns[: len(fixed)]) == fixed, name
    assert all(SNAKE.match(str(c)) for c in df.columns), (name, list(df.columns))
    assert all(str(v).strip() for v in type(result).FRAME_COLUMNS.values())  # each column explained


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_to_staff_frame_is_the_japanese_view(name: str) -> None:
    staff = RESULTS[name].to_staff_frame()
    headers = [str(c) for c in staff.columns]
    assert sum(bool(JAPANESE.search(h)) for h in headers) >= len(headers) - 1, (name, headers)


def test_allocation_has_the_prefectures_part_as_a_row_and_a_rule_column() -> None:
    pref = wb.load_sample("07")
    alloc = wb.allocate(pref, rule="population")
    df = alloc.to_frame()
    assert set(df["rule"]) == {"population"}
    assert df["kind"].tolist() == ["member"] * len(alloc.members) + ["prefecture"]
    last = df.iloc[-1]
    assert (last["code"], last["name"], last["share"]) == ("07", "福島県", alloc.prefecture)
    assert abs(df["share"].sum() - alloc.total) <= 1  # CONTRACT: shares plus the prefecture's part = total
    assert df["code"].str.fullmatch(r"\d{6}|\d{2}").all()  # codes as strings, zeros kept
    assert df["population"].dtype == "Int64" and df["individually_rational"].dtype == "boolean"


def test_comparison_and_audit_name_rules_by_code() -> None:
    pref = wb.load_sample("07")
    comp = wb.compare_rules(pref, ["equal", "population", "shapley", "nucleolus"])
    df = comp.to_frame()
    assert sorted(df["rule"].unique()) == ["equal", "nucleolus", "population", "shapley"]
    wide = df[df["kind"] == "member"].pivot(index="code", columns="rule", values="share")
    assert list(wide.columns) == ["equal", "nucleolus", "population", "shapley"]
    assert not any(JAPANESE.search(str(c)) for c in df.columns)
    audit = wb.audit_rules(pref, ["equal", "shapley"]).to_frame()
    assert audit["rule"].tolist() == ["equal", "shapley"] and "配分ルール" not in audit.columns
    staff = wb.audit_rules(pref, ["equal", "shapley"]).to_staff_frame()
    assert staff["配分ルール"].tolist() == ["均等割", "シャープレイ値"] and "rule" not in staff.columns


def test_the_comparisons_staff_tables_have_only_japanese_headings() -> None:
    """The rules table (summary) and the members table of a comparison: every heading Japanese, no code column
    headed in English (issue 27: one naming of columns; docs/frames.md)."""
    comp = wb.compare_rules(wb.load_sample("07"), ["equal", "shapley"])
    for table in (comp.summary(), comp.to_staff_frame()):
        headers = [str(c) for c in table.columns]
        assert all(JAPANESE.search(h) for h in headers), headers
    assert comp.summary()["配分ルール"].tolist() == ["均等割", "シャープレイ値"]


def test_classification_frame_holds_codes_the_staff_frame_labels() -> None:
    res = RESULTS["Classification"]
    df = res.to_frame().set_index("platform")
    staff = res.to_staff_frame().set_index("名称")  # the platform by name: no id column (staff read names)
    assert "id" not in staff.reset_index().columns
    assert df.loc["pref-platform", "user_scope"] == "prefectural"
    assert staff.loc["福島県データ連携基盤（仮称）", "利用者の範囲"] == "都道府県内"
    assert df.loc["pref-platform", "components"] == "auth|non_personal|personal"


def test_cash_flow_present_values_add_up_with_the_prefectures_rows() -> None:
    cf = RESULTS["CashFlow"]
    df = cf.to_frame()
    assert abs(df["present_value"].sum() - cf.total_npv) < 1
    assert set(df.loc[df["kind"] == "prefecture", "code"]) == {"07"}


@pytest.mark.parametrize(
    "name",
    ["Classification", "AuthMatch", "Allocation", "Comparison", "FairnessReport", "FairnessAudit", "CashFlow",
     "LateJoin", "ActionPlan"],
)  # fmt: skip
def test_every_field_of_the_main_results_is_explained(name: str) -> None:
    """The reference's fields table (docs/conf.py ``wb-fields``) reads a field's description, else FIELD_DOCS."""
    cls = type(RESULTS[name])
    missing = [n for n, f in cls.model_fields.items() if not (f.description or cls.FIELD_DOCS.get(n))]
    assert not missing, (name, missing)
