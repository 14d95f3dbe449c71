"""The library as an analyst meets it (issue 27): every way in raises wb.InputError naming the field in Japanese,
wb.validate runs the file's checks on a prefecture changed in code, the analyses refuse an inconsistent
prefecture with the same message; load_sample's error, short Japanese reprs, the national summary."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

import workbench as wb
from workbench import reference
from workbench.inventory import checks
from workbench.inventory.base import field_label
from workbench.inventory.costs import CostScenario
from workbench.inventory.models import Levels, Target, Terms
from workbench.sheets import platform_columns, service_columns

ROOT = Path(__file__).resolve().parent.parent


# --- point 1: every way in ----------------------------------------------------------------------------------------


def test_assignment_raises_input_error_naming_the_field_in_japanese_and_changes_nothing() -> None:
    pref = wb.load_sample("07")
    platform = pref.platforms[0]
    with pytest.raises(wb.InputError) as info:
        platform.user_scope = "nationwide"
    err = info.value
    assert isinstance(err, ValueError)
    assert err.field == "user_scope"
    assert err.problems[0].label == f"基盤「{platform.name}」のサービス利用者の範囲"
    assert "サービス利用者の範囲" in str(err) and "nationwide" in str(err)
    assert "validation error" not in str(err)  # not pydantic's English
    assert platform.user_scope == "prefectural"  # unchanged


def test_assignment_of_a_bad_number_and_a_label_accepted() -> None:
    pref = wb.load_sample("07")
    with pytest.raises(wb.InputError, match="割引率"):
        pref.costs.discount_rate = -1
    pref.platforms[0].user_scope = "基礎自治体内"  # a Japanese label is accepted, the code stored
    assert pref.platforms[0].user_scope == "municipal"


def test_construction_in_code_raises_input_error() -> None:
    with pytest.raises(wb.InputError) as info:
        wb.Platform(id="p", name="県の基盤", operated_by="どこか", identity_proofing=7)
    labels = {p.field: p.label for p in info.value.problems}
    assert labels == {"operated_by": "運営主体", "identity_proofing": "身元確認レベル"}


def test_model_validate_raises_input_error_that_importers_still_read_as_pydantic_errors() -> None:
    """The hearing-sheet and data-map importers and the notebook editors catch pydantic's ValidationError and read
    its .errors(); the error is both."""
    with pytest.raises(wb.InputError) as info:
        wb.Service.model_validate({"id": "s", "name": "n", "platform": "p", "category": "bogus"})
    err = info.value
    assert isinstance(err, ValidationError)
    assert err.errors()[0]["loc"] == ("category",)
    assert err.problems[0].label == "サービスカテゴリ"


def test_prefecture_built_by_keyword_runs_the_cross_checks() -> None:
    with pytest.raises(wb.InputError) as info:
        wb.Prefecture(prefecture="福島県", services=[{"id": "s", "name": "ポータル", "platform": "nope"}])
    problem = info.value.problems[0]
    assert (problem.field, problem.label) == ("services[0].platform", "サービス「ポータル」の基盤ID")


def test_file_errors_name_the_field_in_japanese_beside_the_key() -> None:
    text = "prefecture: 福島県\nplatforms:\n  - id: p1\n    name: x\n    operated_by: prefecture\n    user_scope: 全国\n"
    with pytest.raises(wb.InputError) as info:
        wb.loads(text, file="07.yaml")
    assert str(info.value).startswith("07.yaml:6: platforms[0].user_scope（サービス利用者の範囲）: ")


def test_validate_finds_the_references_a_removed_platform_leaves() -> None:
    """The issue's case: after removing 会津若松市's platform in code, 7 references are broken (two federations,
    two services' platform and data sources, one published API); wb.save found them, now wb.validate does."""
    pref = wb.load_sample("07")
    pref.platforms = [p for p in pref.platforms if p.id != "aizu-platform"]
    with pytest.raises(wb.InputError) as info:
        wb.validate(pref)
    problems = info.value.problems
    assert len(problems) == 7
    assert all(p.value == "aizu-platform" and p.line is None for p in problems)
    assert all(p.file and p.file.endswith("07_fukushima.yaml") for p in problems)
    assert "サービス「会津ポイント」の基盤ID" in {p.label for p in problems}
    with pytest.raises(wb.InputError) as saved:
        wb.save(pref, ROOT / "build" / "never-written.yaml")
    assert len(saved.value.problems) == 7  # the same findings save reports


def test_validate_finds_lists_changed_in_place() -> None:
    pref = wb.load_sample("07")
    pref.platforms[0].components.append("bogus")  # no assignment: only the whole check sees it
    with pytest.raises(wb.InputError, match="構成"):
        wb.validate(pref)
    assert wb.validate(wb.load_sample("07")).code == "07"  # a consistent prefecture passes, returned as is


@pytest.mark.parametrize(
    "analysis",
    [
        wb.classify,
        wb.match_auth,
        wb.allocate,
        wb.compare_rules,
        wb.audit_rules,
        wb.cash_flow,
        wb.datamap,
        wb.vision,
        wb.action_plan,
    ],
    ids=lambda f: f.__name__,
)
def test_analyses_refuse_an_inconsistent_prefecture_with_validates_message(analysis) -> None:
    pref = wb.load_sample("07")
    pref.platforms.pop(1)
    with pytest.raises(wb.InputError) as expected:
        wb.validate(pref)
    with pytest.raises(wb.InputError) as got:
        analysis(pref)
    assert str(got.value) == str(expected.value)


def test_an_analysis_checks_once_however_many_analyses_it_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = checks.problems
    monkeypatch.setattr(checks, "problems", lambda pref: calls.append(1) or real(pref))
    wb.vision(wb.load_sample("07"))  # vision calls classify, match_auth, datamap and the costs
    assert len(calls) == 1


def test_a_prefecture_changed_consistently_in_code_is_analysed() -> None:
    pref = wb.load_sample("09")
    nasu = pref.platform("nasushiobara")
    assert wb.classify(pref).current_type == "1.4"
    nasu.municipalities = list(reference.municipalities_of("09")["code"][:5])
    nasu.user_scope = "prefectural"
    assert wb.classify(pref).current_type == "2.4"


def test_field_labels_are_the_hearing_sheets_headers() -> None:
    """data/field_labels.csv names platform and service keys as the hearing sheet heads their columns."""
    df = reference.table("field_labels.csv")
    labels = {(m, f): str(v) for m, f, v in df[["model", "field", "label_ja"]].itertuples(index=False)}
    for model, columns in (("Platform", platform_columns()), ("Service", service_columns())):
        for col in columns:
            if re.fullmatch(r"[a-z_]+", col.key):
                assert labels[(model, col.key)] == col.header, (model, col.key)


@pytest.mark.parametrize(
    "model", [wb.Prefecture, wb.Platform, wb.Service, Target, Terms, Levels, CostScenario]
)
def test_every_field_of_the_main_models_has_a_japanese_name(model) -> None:
    for name in model.model_fields:
        label = field_label(model, [name])
        assert label and not re.search(r"[a-z]{3}", label), (model.__name__, name, label)


def test_editors_apply_edits_through_the_models_as_before() -> None:
    """The notebook editor validates a row, replaces it in a copy and cross-checks (issue 25's flow)."""
    from workbench.widgets import Session
    from workbench.widgets.editors import PlatformEditor

    session = Session.from_sample("07")
    editor = PlatformEditor(session)
    editor.chooser.value = session.pref.platforms[0].id
    editor.fields["name"].control.value = "福島県データ連携基盤（改称）"
    assert editor.apply()
    assert session.pref.platforms[0].name == "福島県データ連携基盤（改称）"


# --- point 4: small things --------------------------------------------------------------------------------------


def test_load_sample_of_an_unknown_prefecture_names_the_samples() -> None:
    with pytest.raises(wb.InputError) as info:
        wb.load_sample("99")
    text = str(info.value)
    assert "都道府県が分かりません" in text
    assert all(s in text for s in ("07 福島県", "09 栃木県", "10 群馬県", "24 三重県"))
    assert not isinstance(info.value, KeyError)


def test_synth_dir_follows_workbench_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path))
    assert wb.synth_dir() == tmp_path / "synthetic"
    assert wb.sample_path("13").parent == tmp_path / "synthetic"
    monkeypatch.delenv("WORKBENCH_CACHE")
    assert wb.synth_dir() == Path.home() / ".cache" / "workbench" / "synthetic"


def _results() -> dict[str, object]:
    pref = wb.load_sample("07")
    return {
        "classify": wb.classify(pref),
        "match_auth": wb.match_auth(pref),
        "allocate": wb.allocate(pref, rule="population"),
        "compare_rules": wb.compare_rules(pref, ["equal", "shapley"]),
        "audit_rules": wb.audit_rules(pref, ["equal", "shapley"]),
        "audit": wb.audit_rules(pref, ["equal"]).audits["equal"],
        "cash_flow": wb.cash_flow(pref),
        "late_joiner": wb.late_joiner(pref, "072095", 3),
        "datamap": wb.datamap(pref),
        "vision": wb.vision(pref),
        "action_plan": wb.action_plan(pref),
        "options": wb.options(pref),
    }


def test_every_result_prints_and_reprs_in_short_japanese() -> None:
    for name, result in _results().items():
        lines = result.summary_lines()
        assert lines and re.search(r"[ぁ-んァ-ン一-龥]", lines[0]), name
        text, short = str(result), repr(result)
        assert "=" not in short.split("\n")[0] and not short.startswith(type(result).__name__ + "("), name
        assert len(short.splitlines()) <= 7, name
        assert text.splitlines()[0] == lines[0], name


def test_national_summary_answers_what_an_analyst_asks_first() -> None:
    nat = wb.national_summary(["07", "09", "13"], rules=["equal", "population"])
    df = nat.to_frame()
    assert df["code"].tolist() == ["07", "09", "13"]
    row = df.set_index("code").loc["07"]
    # 福島県's sample: two running platforms, the prefecture's listing nine cities and 会津若松市's own: ten of 59
    pref = wb.load_sample("07")
    users = {c for p in pref.platforms for c in pref.users_of(p)}
    assert (
        (row["platforms"], row["covered_municipalities"], row["municipalities"])
        == (2, len(users), 59)
        == (2, 10, 59)
    )
    covered = reference.municipalities_of("07").set_index("code").loc[sorted(users), "population_2020"]
    assert row["covered_population"] == covered.sum()
    alloc = wb.allocate(wb.load_sample("07"), rule="population")
    assert row["population_municipal_total"] == round(sum(m.share for m in alloc.members))
    assert row["population_max_share"] == round(max(m.share for m in alloc.members))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", c) for c in df.columns)
    staff = nat.to_staff_frame()
    assert "人口割：市区町村の負担合計（円）" in staff.columns and "基盤を利用する市区町村数" in staff.columns
    assert "全国サマリー" in str(nat) and "人口割" in str(nat)


def test_the_command_lines_csv_keeps_japanese_headers(tmp_path: Path) -> None:
    from workbench.cli import main

    out = tmp_path / "全国.csv"
    assert main(["batch", "--prefectures", "07", "--rules", "equal", "--csv", str(out), "--quiet"]) == 0
    header = out.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert header[:3] == ["コード", "都道府県", "合成データ"]
    assert "均等割：市区町村の負担合計（円）" in header and "基盤数" in header
    assert not any(re.fullmatch(r"[a-z_]+", h) for h in header)


def test_the_readme_library_example_works_outside_the_checkout() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## ライブラリ", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    assert 'wb.load_sample("07")' in block and "data/prefectures" not in block
    assert "~/.cache/workbench/synthetic" in text and "WORKBENCH_CACHE" in text
