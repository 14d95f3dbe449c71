"""Step 3 action plan (guide 3.1 Step 3, 3.3): generation per pattern, scheduling, user edits, round trip."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import sample_text_without_plan

import workbench as wb
from workbench import plan
from workbench.errors import InputError

FULL = "[auth, non_personal, personal]"
SAMPLE = wb.reference.data_dir() / "prefectures" / "07_fukushima.yaml"


def plat(pid: str, op: str, levels: str = "2, 2") -> str:
    p, a = levels.split(", ")
    return (
        f'  - {{id: {pid}, name: 基盤{pid}, operated_by: "{op}", components: {FULL}, '
        f"identity_proofing: {p}, authenticator: {a}}}\n"
    )


PATTERN_FILES = {
    "A": "prefecture: 福島県\n",
    "B": "prefecture: 福島県\nplatforms:\n"
    + plat("m", "072028")
    + "target: {source: single, user_scope: prefectural, providers: municipalities, approach: expand}\n",
    "D": "prefecture: 福島県\nplatforms:\n"
    + plat("m", "072028")
    + "target: {source: single, user_scope: prefectural, providers: mixed, approach: join}\n",
    "C": "prefecture: 福島県\nplatforms:\n"
    + plat("a", "072028")
    + plat("b", "072036")
    + "target: {source: single, user_scope: prefectural, providers: mixed}\n",
    "link": "prefecture: 福島県\nplatforms:\n"
    + plat("a", "072028")
    + plat("b", "072036")
    + "target: {source: multiple, user_scope: municipal, providers: mixed, approach: link}\n",
}


def by_id(ap):
    return {i.id: i for i in ap.items}


@pytest.mark.parametrize("pattern", ["A", "B", "C", "D", "link"])
def test_generation_per_pattern(pattern):
    ap = plan.action_plan(wb.loads(PATTERN_FILES[pattern]))
    assert ap.pattern == pattern
    items = by_id(ap)
    work = wb.reference.table("pattern_work_items.csv").fillna("")
    rows = work[work["pattern"] == pattern].reset_index(drop=True)
    # every plain work item keeps its id; an umbrella item (C, D) is replaced by the items it stands for
    plain = [f"{pattern}-{k + 1}" for k in rows.index if not rows.loc[k, "expands"]]
    umbrella = [f"{pattern}-{k + 1}" for k in rows.index if rows.loc[k, "expands"]]
    mine = [i for i in items if i.startswith(f"{pattern}-")]
    assert sorted(i for i in mine if i.count("-") == 1) == sorted(plain)
    assert not set(umbrella) & set(items)
    assert sorted(mine) == sorted(g["id"] for g in plan.pattern_items(pattern))
    assert sum(i.startswith("c") and "-" in i for i in items) == 15  # guide 3.3: five considerations' items
    assert plan.ORG_SETUP_ID in items and plan.LAUNCH_ID in items
    assert all(i.owner in set(wb.reference.table("owner_roles.csv")["code"]) for i in ap.items)
    assert all(i.source for i in ap.items)


def test_schedule_honours_dependencies_and_defaults():
    ap = plan.action_plan(wb.loads(PATTERN_FILES["A"]))
    items = by_id(ap)
    for i in ap.items:
        for d in i.depends_on:
            assert items[d].end_month <= i.start_month, (d, i.id)
    # consideration 1 before 2, 2 before 3 and 4, 5 in parallel, organisation early
    assert items["c2-1"].start_month >= items["c1-2"].end_month
    assert items["c3-1"].start_month >= items["c2-1"].end_month
    assert items["c4-1"].start_month >= items["c2-1"].end_month
    assert items["c5-1"].start_month == 0 and items["c2-3"].start_month == 0
    launch = items[plan.LAUNCH_ID]
    assert launch.duration == 0 and launch.start_month == ap.months
    assert ap.critical_path[0] == "c1-1" and ap.critical_path[-1] == plan.LAUNCH_ID
    assert all(items[c].critical for c in ap.critical_path)


def test_external_body_takes_longer_to_set_up():
    serial = plan.action_plan(wb.loads("prefecture: 福島県\nvision: {external_body_possible: false}\n"))
    external = plan.action_plan(wb.loads("prefecture: 福島県\nvision: {external_body_possible: true}\n"))
    assert serial.organisation == "serial" and external.organisation == "external"
    assert by_id(external)["org-setup"].duration > by_id(serial)["org-setup"].duration
    assert "外部組織型" in by_id(external)["org-setup"].title


EDITS = """plan:
  start: 2026-04
  removed: [c1-3]          # 評価方法は別途
  items:
    - id: c4-2             # 公平性の協議は長めに
      duration: 6
      owner: 運営組織
    - id: council
      title: 県議会への説明
      consideration: 公平なコスト負担の方法
      owner: 都道府県
      duration: 1
      depends_on: [c4-2]
    - id: c5-1
      start: 2026-10-01
"""


def test_user_edits_override_add_remove_and_dates():
    ap = plan.action_plan(wb.loads(PATTERN_FILES["A"] + EDITS))
    items = by_id(ap)
    assert "c1-3" not in items and ap.removed == ["c1-3"]
    assert "c1-3" not in items[plan.LAUNCH_ID].depends_on
    assert items["c4-2"].duration == 6 and items["c4-2"].owner == "operating_body"
    assert items["c4-2"].origin == "edited" and items["c4-2"].edited_fields == ["duration", "owner"]
    assert items["c4-2"].title == "公平性の協議"  # unedited fields keep the generated value
    council = items["council"]
    assert council.origin == "added" and council.consideration == 4
    assert council.start_month == items["c4-2"].end_month
    assert items["c5-1"].start_month == 6 and items["c5-1"].start_date == date(2026, 10, 1)
    assert items["c1-1"].start_date == date(2026, 4, 1)
    df = ap.to_staff_frame()
    assert list(df.columns[:4]) == ["番号", "取組事項", "検討事項", "担当"]  # numbers, not ids
    assert df.set_index("番号").loc[ap.numbers()["council"], "担当"] == "都道府県"
    assert "council" not in df.to_string() and "c4-2" not in df.to_string()
    # the items it waits for by number too, and the critical path by number and name
    assert df.set_index("番号").loc[ap.numbers()["council"], "依存"] == ap.numbers()["c4-2"]
    crit = dict(ap.card_rows())["クリティカルパス"]
    assert ap.label(ap.critical_path[0]) in crit and not any(i in crit.split() for i in ap.critical_path)


def test_cycle_is_a_located_input_error():
    """A cycle through generated items is found when Step 3 generates the plan (loading the file runs no
    Step 3 analysis) and is reported at the file's line and field."""
    text = PATTERN_FILES["A"] + "plan:\n  items:\n    - id: c1-1\n      depends_on: [c2-1]\n"
    pref = wb.loads(text)
    with pytest.raises(InputError) as err:
        plan.action_plan(pref)
    assert err.value.field == "plan.items[0].depends_on"
    assert err.value.line == 5
    assert "循環" in str(err.value) and "c1-1" in str(err.value)


def test_cycle_made_in_memory_raises_from_action_plan():
    pref = wb.loads(PATTERN_FILES["A"])
    plan.set_item(pref, "x1", title="追加1", depends_on=["x2"])
    plan.set_item(pref, "x2", title="追加2", depends_on=["x1"])
    with pytest.raises(InputError) as err:
        plan.action_plan(pref)
    assert err.value.field.startswith("plan.items[")
    assert "循環" in str(err.value)


@pytest.mark.parametrize(
    ("snippet", "field", "words"),
    [
        ("  items:\n    - {id: c1-1, duration: -2}\n", "plan.items[0].duration", "0 以上"),
        ("  items:\n    - {id: c1-1, owner: [県, 市]}\n", "plan.items[0].owner", "担当"),
        ("  items:\n    - {id: c1-1, start: 2026-05-01}\n", "plan.items[0].start", "plan.start"),
        ("  items:\n    - {id: c1-1}\n    - {id: c1-1}\n", "plan.items[1].id", "重複"),
    ],
)
def test_plan_errors_are_located(snippet, field, words):
    """What the file itself gets wrong is refused on loading, at its line and field."""
    with pytest.raises(InputError) as err:
        wb.loads(PATTERN_FILES["A"] + "plan:\n" + snippet)
    assert err.value.field == field
    assert err.value.line is not None and err.value.line >= 2
    assert words in str(err.value)


@pytest.mark.parametrize(
    ("snippet", "field", "words"),
    [
        (
            "  items:\n    - {id: x, title: 追加, depends_on: [nothing]}\n",
            "plan.items[0].depends_on[0]",
            "不明",
        ),
        ("  items:\n    - {id: newone, duration: 2}\n", "plan.items[0].title", "title"),
        ("  removed: [no-such-item]\n", "plan.removed[0]", "生成された"),
    ],
)
def test_references_to_generated_items_are_checked_by_step3_at_their_line(snippet, field, words, tmp_path):
    """Ids that only the generated plan knows are checked when Step 3 runs (``action_plan``, the CLI's
    ``workbench plan``, the plan panel), still naming the file, the line and the field."""
    path = tmp_path / "pref.yaml"
    path.write_text(PATTERN_FILES["A"] + "plan:\n" + snippet, encoding="utf-8")
    pref = wb.load(path)
    with pytest.raises(InputError) as err:
        plan.action_plan(pref)
    assert err.value.field == field and err.value.file == str(path)
    assert err.value.line is not None and err.value.line >= 2
    assert words in str(err.value)


def test_loading_a_file_runs_no_step3_analysis(monkeypatch):
    """Loading checks the file; it never classifies, matches authentication or generates the plan."""
    import workbench.auth
    import workbench.plan

    def ran(*args, **kwargs):
        raise AssertionError("loading ran the Step 3 analysis")

    monkeypatch.setattr(workbench.auth, "match_auth", ran)
    monkeypatch.setattr(workbench.plan.step3, "_resolve", ran)
    monkeypatch.setattr(workbench.plan.step3, "generated_items", ran)
    pref = wb.loads(PATTERN_FILES["A"] + EDITS)
    assert [e.id for e in pref.plan.items] == ["c4-2", "council", "c5-1"]


def test_edits_survive_save_and_load_with_comments(tmp_path):
    path = tmp_path / "fukushima.yaml"
    text = sample_text_without_plan() + (
        "vision:\n  purposes: [cost_reduction]   # 会議で合意\n  external_body_possible: false\n"
        "plan:\n  start: 2026-04-01\n  items:\n    - id: c4-2   # 市長会\n      duration: 5\n"
    )
    path.write_text(text, encoding="utf-8")
    pref = wb.load(path)
    plan.set_item(pref, "c4-2", notes="市長会で協議")
    plan.set_item(
        pref, "council", title="県議会への説明", owner="prefecture", duration=1, depends_on=["c4-2"]
    )
    plan.remove_item(pref, "c1-3")
    pref.vision.kpis = [wb.inventory.plan.KpiTarget(code="connected_services", target=10, year=2028)]
    wb.save(pref)
    saved = path.read_text(encoding="utf-8")
    assert "# 会議で合意" in saved and "# 市長会" in saved
    assert "# 福島県 — サンプル都道府県ファイル" in saved
    again = wb.load(path)
    ap = plan.action_plan(again)
    items = by_id(ap)
    assert items["c4-2"].duration == 5 and items["c4-2"].notes == "市長会で協議"
    assert items["council"].origin == "added" and items["council"].depends_on == ["c4-2"]
    assert "c1-3" not in items and again.plan.removed == ["c1-3"]
    assert again.vision.kpis[0].code == "connected_services"
    # restoring a removed item through set_item takes it off removed:
    plan.set_item(again, "c1-3", duration=1)
    assert again.plan.removed == []
