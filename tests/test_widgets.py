"""The widgets driven from Python: controls change what is shown; editors validate inline and save atomically."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

import workbench as wb
from workbench import widgets as W

WIDGETS_DIR = Path(W.__file__).parent


def test_widgets_never_capture_output():
    """JUPYTER_NOTES: Output capture (``with out: display``), interact and interactive_output hang notebook
    execution; the panels use FigureWidget updated in place instead."""
    for path in WIDGETS_DIR.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\bwith\s+[\w.]+\s*:\s*\n\s*(display|clear_output)", text), path
        assert "interactive_output" not in text and "interact(" not in text, path
        assert "append_display_data" not in text and ".capture(" not in text, path


def test_picker_lists_47_and_loads_the_chosen_prefecture():
    session = W.Session()
    picker = W.PrefecturePicker(session)
    assert len(picker.dropdown.options) == 47
    assert picker.value == "07" and session.pref.name == "福島県"
    seen = []
    session.on_change(lambda p: seen.append(p.code))
    picker.value = "栃木県"
    assert session.pref.code == "09" and seen == ["09"]
    assert "サンプル" in picker.message.text


def test_classification_card_follows_the_session():
    session = W.Session.from_sample("07")
    card = W.ClassificationCard(session)
    res = wb.classify(session.pref)
    assert card.result.current_type == res.current_type
    assert tuple(card.counts.figure.data[0].y) == (
        res.counts.auth,
        res.counts.non_personal,
        res.counts.personal,
    )
    fig_before = card.counts.widget
    session.set(wb.load_sample("09"))
    res9 = wb.classify(session.pref)
    assert card.counts.widget is fig_before  # updated in place, same widget
    assert tuple(card.counts.figure.data[0].y) == (
        res9.counts.auth,
        res9.counts.non_personal,
        res9.counts.personal,
    )
    assert f"型{res9.current_type}" in card.card.value


def test_cost_simulator_rule_and_sliders_change_the_allocation(costed_copy):
    session = W.Session.from_file(costed_copy)
    sim = W.CostSimulator(session)
    assert sim.message.text == "" and sim.allocation is not None
    first = sim.allocation
    assert first.rule == "shapley"
    shown = [m.share for m in first.members]
    sim.rule.value = "population"
    assert sim.allocation.rule == "population"
    assert [m.share for m in sim.allocation.members] != shown
    assert "人口割" in sim.summary.value
    expected = wb.allocate(wb.load(costed_copy), rule="population")
    assert [round(m.share) for m in sim.allocation.members] == [round(m.share) for m in expected.members]
    # the chart shows the allocation: y of the member markers = shares in 万円
    ys = list(sim.standalone_fig.figure.data[1].y)
    assert ys == pytest.approx([m.share / 1e4 for m in sim.allocation.members])
    # the prefecture-share slider changes the prefecture's part and every member's share
    before_pref, before = sim.allocation.prefecture, [m.share for m in sim.allocation.members]
    sim.pref_running.value = 1.0
    assert sim.allocation.prefecture > before_pref
    assert all(a < b for a, b in zip([m.share for m in sim.allocation.members], before, strict=True))
    assert "入力値" in sim.share_note.value
    # the weights change the joint-body formula
    sim.pref_initial.value = 0.0
    sim.pref_running.value = 0.0
    sim.rule.value = "hybrid"
    h1 = [m.share for m in sim.allocation.members]
    sim.flat.value = 1.0
    sim.population.value = 0.0
    sim.usage.value = 0.0
    h2 = [m.share for m in sim.allocation.members]
    assert h1 != h2 and sim.weights() == {"flat": 1.0}
    assert "公平性の監査" in sim.fairness.value
    # the least core beside the core check (issue 17): its value in yen, in words
    assert "最小コア" in sim.fairness.value and sim.audit.least_core is not None


def test_cost_simulator_without_costs_says_so(tmp_path):
    path = tmp_path / "no_costs.yaml"
    path.write_text("prefecture: 福島県\n", encoding="utf-8")
    session = W.Session.from_file(path)
    assert session.pref.costs is None
    sim = W.CostSimulator(session)
    assert sim.allocation is None and "costs:" in sim.message.text


def test_late_joiner_panel_shows_what_the_library_computes_for_the_choice(costed_copy):
    """What staff see for a late joiner is the library's answer for the municipality, year and policy they
    chose: its summary sentence and one row per policy; changing the year or the policy redraws it."""
    import html

    from workbench import reference
    from workbench.cost import late_joiner

    session = W.Session.from_file(costed_copy)
    panel = W.LateJoinerPanel(session)
    assert panel.message.text == ""
    code = panel.municipality.value
    name = reference.municipality_name(code)
    assert code not in (session.pref.costs.members or [])  # a municipality that is not yet a member

    def shown(year: int, policy: str) -> None:
        expected = late_joiner(session.pref, code, year, policy, rule="shapley")
        assert html.escape(expected.summary) in panel.output.value
        assert f"{name}が{year}年目に参加" in panel.output.value
        for row in expected.policies:
            assert html.escape(row.label) in panel.output.value
            assert f"{row.joiner_npv:,.0f}" in panel.output.value

    shown(2, "book_value")
    panel.year.value = 4
    shown(4, "book_value")
    panel.policy.value = "none"
    shown(4, "none")
    assert "（初期費用を負担しない）" in panel.output.value


def test_platform_editor_saves_a_valid_file(sample_copy):
    session = W.Session.from_file(sample_copy)
    editor = W.PlatformEditor(session)
    editor.chooser.value = "aizu-platform"
    editor.fields["authenticator"].control.value = 2
    assert editor.apply(), editor.status.text
    assert editor.dirty
    assert editor.save() == sample_copy
    again = wb.load(sample_copy)
    assert again.platform("aizu-platform").authenticator == 2
    assert sample_copy.with_name(sample_copy.name + ".bak").exists()
    text = sample_copy.read_text(encoding="utf-8")
    assert "# 福島県" in text  # the user's comments survive


def test_platform_editor_adds_and_deletes(sample_copy):
    session = W.Session.from_file(sample_copy)
    editor = W.PlatformEditor(session)
    editor.chooser.value = "__new__"
    editor.fields["id"].control.value = "new-np"
    editor.fields["name"].control.value = "新しい非パーソナル基盤"
    editor.fields["operated_by"].control.value = "072044"
    editor.fields["components"].control.value = ("non_personal",)
    assert editor.apply(), editor.status.text
    assert [p.id for p in session.pref.platforms][-1] == "new-np"
    assert editor.save()
    saved = wb.load(sample_copy)
    assert saved.platform("new-np").operated_by == "072044"
    assert "status" not in sample_copy.read_text(encoding="utf-8").split("new-np")[1]  # defaults not written
    editor.chooser.value = "new-np"
    assert editor.delete()
    assert "new-np" not in [p.id for p in session.pref.platforms]
    # a platform that services use cannot be deleted
    editor.chooser.value = "pref-platform"
    assert not editor.delete() and "参照" in editor.status.text


def test_bad_value_shows_inline_message_and_leaves_the_file(sample_copy):
    before = sample_copy.read_bytes()
    session = W.Session.from_file(sample_copy)
    editor = W.PlatformEditor(session)
    pref_before = session.pref
    editor.fields["id"].control.value = "bad id"
    assert not editor.apply()
    assert "空白" in editor.fields["id"].message.text and editor.fields["id"].message.kind == "error"
    assert session.pref is pref_before
    # a duplicate id is a cross-object problem, shown next to the id
    editor.fields["id"].control.value = "aizu-platform"
    assert not editor.apply()
    assert "重複" in editor.fields["id"].message.text
    assert sample_copy.read_bytes() == before


def test_save_refuses_a_file_changed_on_disk(sample_copy):
    session = W.Session.from_file(sample_copy)
    editor = W.PlatformEditor(session)
    editor.fields["name"].control.value = "名前を変更"
    assert editor.apply()
    sample_copy.write_text(sample_copy.read_text(encoding="utf-8") + "\n# someone else\n", encoding="utf-8")
    changed = sample_copy.read_bytes()
    assert editor.save() is None
    assert "保存しませんでした" in editor.status.text
    assert sample_copy.read_bytes() == changed


def test_service_editor_refuses_unknown_category(sample_copy):
    session = W.Session.from_file(sample_copy)
    editor = W.ServiceEditor(session)
    editor.chooser.value = "portal"
    editor.fields["name"].control.value = ""
    assert not editor.apply()
    assert editor.fields["name"].message.text
    editor.fields["name"].control.value = "ポータル"
    editor.fields["category"].control.value = "public"
    assert editor.apply()
    assert next(s for s in session.pref.services if s.id == "portal").category == "public"


def test_auth_matrix_date_changes_the_result():
    session = W.Session.from_sample("07")
    panel = W.AuthMatrix(session, on=dt.date(2026, 6, 1))
    assert panel.result.on == dt.date(2026, 6, 1)
    assert len(panel.matrix.figure.data) == 1
    panel.when.value = "2027"
    assert panel.result.on == dt.date(2027, 4, 1)
    assert "認証レベルの照合" in panel.card.value


def test_plan_editor_updates_the_gantt_and_refuses_cycles():
    session = W.Session.from_sample("07")
    editor = W.PlanEditor(session)
    first = editor.chooser.value
    months = editor.plan.months
    editor.duration.value = editor.plan.item(first).duration + 6
    assert editor.apply(), editor.message.text
    assert editor.plan.item(first).duration == editor.duration.value
    assert editor.plan.months >= months
    assert session.pref.plan is not None
    # a dependency cycle is refused and nothing changes
    pref_before = session.pref
    dependants = [i.id for i in editor.plan.items if first in i.depends_on]
    if dependants:
        editor.depends_on.value = (dependants[0],)
        assert not editor.apply()
        assert "循環" in editor.messages["depends_on"].text  # beside the field it is about
        assert "適用しませんでした" in editor.status.text
        assert session.pref is pref_before


def test_dashboards_follow_env_and_picker(monkeypatch):
    monkeypatch.setenv("WORKBENCH_PREFECTURE", "09")
    dash = W.OverviewDashboard()
    assert dash.session.pref.code == "09" and "栃木県" in dash.title.value
    monkeypatch.setenv("QUERY_STRING", "pref=%E7%A6%8F%E5%B3%B6%E7%9C%8C")  # ?pref=福島県
    assert dash.follow_request() == "07"
    assert dash.card.result.prefecture.code == "07"
    auth = W.AuthDashboard(pref="10")
    assert auth.matrix.result.prefecture.code == "10"


def test_offline_snapshot_is_self_contained(costed_copy, tmp_path):
    from workbench.cli import main

    out = tmp_path / "snap.html"
    assert main(["report", str(costed_copy), "--html", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.count("plotly.js v") <= 2 and "Plotly.newPlot" in text
    assert "<script src=" not in text and "<link " not in text
    assert text.count("Plotly.newPlot") >= 6
    for heading in ("県の全体像", "費用負担", "認証レベル", "課題リスト", "公平性の監査"):
        assert heading in text


def test_report_bad_input_writes_nothing(tmp_path):
    from workbench.cli import main

    bad = tmp_path / "bad.yaml"
    bad.write_text("prefecture: 福島県\nplatforms: 3\n", encoding="utf-8")
    out = tmp_path / "snap.html"
    assert main(["report", str(bad), "--html", str(out)]) == 2
    assert not out.exists()


def test_editor_autosaves_and_restores(sample_copy):
    session = W.Session.from_file(sample_copy)
    editor = W.PlatformEditor(session)
    editor.fields["name"].control.value = "名前A"
    assert editor.apply()
    editor.fields["name"].control.value = "名前B"
    assert editor.apply()
    assert len([v for _, v in editor.restore_choice.options if v is not None]) == 2
    editor.restore_choice.value = editor.restore_choice.options[-1][1]  # the oldest autosave: 名前A
    assert editor.restore(), editor.status.text
    assert session.pref.platforms[0].name == "名前A"
    assert wb.load(sample_copy).platforms[0].name == "名前A"


def test_editor_terms_facets(sample_copy):
    session = W.Session.from_file(sample_copy)
    editor = W.PlatformEditor(session)
    editor.chooser.value = "pref-platform"
    facets = set(editor.fields["terms"].control.value)
    assert "exists" in facets and "certification_audit" not in facets
    editor.fields["terms"].control.value = tuple(facets | {"certification_audit"})
    assert editor.apply()
    assert editor.save()
    assert wb.load(sample_copy).platform("pref-platform").terms.certification_audit is True


@pytest.mark.slow
def test_dashboards_work_for_all_47_prefectures():
    """Samples and synthetic files alike: no panel of any dashboard reports an error."""
    from workbench import reference

    dashes = [W.OverviewDashboard(), W.CostDashboard(), W.AuthDashboard()]
    failures = []
    for code in reference.prefectures()["code"]:
        for d in dashes:
            d.picker.value = code
        overview, cost, auth = dashes
        messages = [
            overview.picker.message,
            overview.card.message,
            overview.flowchart.message,
            cost.simulator.message,
            cost.late.message,
            auth.matrix.message,
        ]
        errors = [m.text for m in messages if m.kind == "error"]
        if errors:
            failures.append((code, errors))
        assert overview.card.result.prefecture.code == code
    assert failures == []


def test_step1_charts_draw_the_library_results():
    from workbench.charts import classify as cc

    pref = wb.load_sample("07")
    res = wb.classify(pref)
    df = cc.municipality_use_frame(pref)
    assert len(df) == len(wb.reference.municipalities_of("07"))
    assert df["population_2020"].is_monotonic_decreasing
    users = set(pref.users_of(pref.platform("pref-platform")))
    named = df[df["platforms"].str.contains(pref.platform("pref-platform").name, regex=False)]
    assert set(named["code"]) == users
    fig = cc.counts_figure(res)
    assert list(fig.data[0].y) == [res.counts.auth, res.counts.non_personal, res.counts.personal]
    munis = cc.municipalities_figure(pref, top=10)
    assert sum(len(t.y) for t in munis.data) == 10
    assert sum(sum(t.y) for t in cc.issues_figure(res).data) == len(res.issues)


def test_widgets_render_a_short_note_without_a_kernel(sample_copy):
    """nbconvert/GitHub show text/plain for widgets: a Japanese note, not a long Python repr."""
    session = W.Session.from_file(sample_copy)
    for panel in (W.ClassificationCard(session), W.TypeFlowchart(session)):
        bundle = panel._repr_mimebundle_()
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        text = data["text/plain"]
        assert "セルを実行すると表示されます" in text and "children=" not in text
        assert type(panel).__name__ not in text  # plain words, never a class name
        assert "application/vnd.jupyter.widget-view+json" in data


def test_session_later_runs_at_once_outside_voila_and_coalesces_under_it(monkeypatch):
    import asyncio

    session = W.Session()
    ran: list[int] = []
    monkeypatch.delenv("VOILA_KERNEL_ID", raising=False)
    session.later(lambda: ran.append(0), key="k")
    assert ran == [0]

    monkeypatch.setenv("VOILA_KERNEL_ID", "test")

    async def scenario() -> None:
        session.later(lambda: ran.append(1), key="k")
        session.later(lambda: ran.append(2), key="k")  # replaces the pending one
        assert ran == [0]
        await asyncio.sleep(session.PROGRESSIVE_DELAY * 3)

    asyncio.run(scenario())
    assert ran == [0, 2]


def test_session_later_last_runs_after_the_charts_of_the_same_change(monkeypatch):
    """Under Voila the tables (``last``) follow the charts queued by the same change, even when queued first
    (they wait Session.LAST_DELAY: the charts reach the browser alone)."""
    import asyncio

    session = W.Session()
    ran: list[str] = []
    monkeypatch.setenv("VOILA_KERNEL_ID", "test")

    async def scenario() -> None:
        session.later(lambda: ran.append("table"), key="t", last=True)
        session.later(lambda: ran.append("chart"), key="c")
        while len(ran) < 2:
            await asyncio.sleep(0.05)

    asyncio.run(asyncio.wait_for(scenario(), 30))
    assert ran == ["chart", "table"]


def test_a_dashboard_kernel_takes_its_baseline_out_of_the_collector(monkeypatch):
    """Under Voila the page's objects are frozen once built (a full collection over them took ~150 ms inside
    a control change); in notebooks and tests nothing is frozen."""
    import gc

    from workbench.widgets.dashboards import freeze_baseline

    assert gc.get_freeze_count() == 0
    monkeypatch.delenv("VOILA_KERNEL_ID", raising=False)
    freeze_baseline()
    assert gc.get_freeze_count() == 0
    monkeypatch.setenv("VOILA_KERNEL_ID", "test-kernel")
    try:
        freeze_baseline()
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()


def test_a_preheated_dashboard_kernel_parses_the_samples_before_any_viewer(monkeypatch):
    """In a preheated Voila kernel the built-in samples are parsed with the page; a switch to another sample
    then reads no file (the first switch to 栃木県 took 68 ms, 31 of them parsing)."""
    import gc

    import workbench.inventory as inventory
    from workbench import samples
    from workbench.widgets.dashboards import freeze_baseline

    monkeypatch.setattr(samples, "_LOADED", {})
    monkeypatch.setenv("VOILA_KERNEL_ID", "test-kernel")
    monkeypatch.setenv("VOILA_PREHEAT", "False")
    try:
        freeze_baseline()
        assert samples._LOADED == {}  # a kernel started for a viewer does not make them wait
        monkeypatch.setenv("VOILA_PREHEAT", "True")
        freeze_baseline()
    finally:
        gc.unfreeze()
    assert set(samples._LOADED) == set(samples.sample_files().values())

    def no_parse(*_a, **_k):
        raise AssertionError("parsed again")

    monkeypatch.setattr(inventory, "load", no_parse)
    assert samples.load_sample("09").name == "栃木県"
    assert samples.warm_samples() == []
