"""The scenario beside the guide's surveyed cost effects: guide 2.5 read per municipality (the guide's wording)
and for the prefecture as a whole, guide 2.6's recommended-module effect (printed and reconciled figures, the 83 %
and 41 % cases), and where they are shown (dashboard panel, report)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import workbench as wb
import workbench.cost as wc
from workbench import reference
from workbench.cost import effect as E
from workbench.cost.model import READING_MEMBER, READING_TOTAL, module_factors
from workbench.inventory.costs import CostScenario

# The cost section of the Fukushima sample (data/prefectures/07_fukushima.yaml, 2026-11), copied so that the
# hand-computed figures below stay tied to these inputs even if the sample is edited.
FUKUSHIMA_COSTS = """prefecture: 福島県
costs:
  horizon_years: 5
  discount_rate: 0.04
  shared: {initial: 300000000, annual_fixed: 40000000, annual_per_member: 2000000, initial_per_member: 500000}
  standalone:
    initial: 50000000
    annual: 10000000
    scale_by_population: 0.5
    reference_population: 100000
    overrides: {"072036": {initial: 120000000}}
  members: ["072010", "072028", "072036", "072044", "072052", "072079", "072087", "072125", "072133", "072141"]
  scheme: fukushima
  join_year: {"072141": 2}
"""

GUIDE_2_5_BUILD = (
    "各市町村が独自で構築した場合は、それぞれで数千万円の費用が発生することになる。"
    "これと比較すれば1/2～1/12程度の抑制効果がある。"
)
GUIDE_2_5_RUNNING = "運用時のコストについては、個別に運用した場合と比較して1/5～1/20程度の抑制効果がある。"


def alone_annual(pop: int) -> float:
    """standalone.annual 10,000,000 × (population / 100,000)^0.5 (the sample's scaling)."""
    return 1e7 * (pop / 1e5) ** 0.5


# --- guide 2.5 ------------------------------------------------------------------------------------------


def test_the_ranges_carry_the_guides_sentences():
    """guide 2.5: build 1/2～1/12 per municipality against its own build; running 1/5～1/20."""
    r = {x.code: x for x in E.effect_ranges()}
    assert (r["build"].low, r["build"].high) == (2, 12) and r["build"].quote == GUIDE_2_5_BUILD
    assert (r["running"].low, r["running"].high) == (5, 20) and r["running"].quote == GUIDE_2_5_RUNNING
    assert {x.source for x in r.values()} == {"guide 2.5"}


def test_fukushima_sample_placed_per_municipality_against_the_surveyed_range():
    """guide 2.5 read as written: each municipality's share against its own stand-alone cost.

    Fukushima's scheme (DOMAIN §6b, guidebook 9.6: the prefecture pays 100 % of the build and 1/2 of O&M) and
    the equal rule: each of the 10 members pays (40,000,000 + 10 × 2,000,000) / 2 / 10 = 3,000,000 円 a year.
    福島市 alone 10,000,000 × √2.82693 = 16,813,477 円 → 1/5.6, inside 1/5～1/20; 本宮市 5,498,727 円 → 1/1.8,
    a smaller effect than surveyed. The build costs them nothing (the prefecture pays it all).
    """
    pref = wb.loads(FUKUSHIMA_COSTS)
    e = wc.cost_effect(pref, "equal")
    by = {m.name: m for m in e.members}
    assert len(by) == 10
    for m in e.members:
        assert m.running_share == pytest.approx(3_000_000)
        assert m.running_alone == pytest.approx(alone_annual(m.population))
        assert m.running_ratio == pytest.approx(alone_annual(m.population) / 3_000_000)
        assert m.build_share == pytest.approx(0, abs=1e-6) and m.build_ratio is None
        assert m.build_verdict == "no_burden"
    assert (
        by["福島市"].running_ratio == pytest.approx(5.604, abs=1e-3)
        and by["福島市"].running_verdict == "within"
    )
    assert (
        by["本宮市"].running_ratio == pytest.approx(1.833, abs=1e-3)
        and by["本宮市"].running_verdict == "below"
    )
    inside = sorted(m.name for m in e.members if m.running_verdict == "within")
    assert inside == ["いわき市", "福島市", "郡山市"]  # the three largest: alone ≥ 15,000,000 円 a year
    assert e.counts["running"] == {"below": 7, "within": 3, "above": 0, "no_burden": 0}
    assert e.counts["build"]["no_burden"] == 10
    # before the prefecture's part: (300,000,000 + 10 × 500,000) / 10 = 30,500,000 円 each;
    # 郡山市 (own build 120,000,000 円, an override) → 1/3.93
    assert by["郡山市"].build_share_gross == pytest.approx(30_500_000)
    assert by["郡山市"].build_ratio_gross == pytest.approx(120_000_000 / 30_500_000)
    assert e.counts_gross["build"] == {"below": 7, "within": 3, "above": 0, "no_burden": 0}


def test_fukushima_total_reading_divides_the_sums():
    """The prefecture-wide reading (reference): Σ stand-alone builds / the whole shared build
    (300,000,000 + 10 × 500,000 = 305,000,000 円)."""
    pref = wb.loads(FUKUSHIMA_COSTS)
    e = wc.cost_effect(pref, "equal")
    total = {t.code: t for t in e.total}
    s0 = sum(m.build_alone for m in e.members)
    assert total["build"].ratio == pytest.approx(s0 / 305_000_000)
    assert total["build"].ratio == pytest.approx(1.865, abs=1e-3) and total["build"].verdict == "below"
    run = sum(m.running_alone for m in e.members) / (40_000_000 + 10 * 2_000_000)
    assert total["running"].ratio == pytest.approx(run)


def test_both_readings_are_named_and_say_which_is_which():
    e = wc.cost_effect(wb.loads(FUKUSHIMA_COSTS), "equal")
    assert set(e.readings) == {READING_MEMBER, READING_TOTAL}
    assert "ガイド 2.5 の記述どおり" in READING_MEMBER and "参考" in READING_TOTAL
    lines = e.summary_lines()
    assert "各市町村が独自で構築した場合" in lines[0] and "市町村ごと" in lines[0]
    assert sum(line.startswith(READING_MEMBER) for line in lines) == 2
    assert sum(line.startswith(READING_TOTAL) for line in lines) == 2
    # the allocation's own guide lines say which reading they are
    a = wc.allocate(wb.loads(FUKUSHIMA_COSTS), "equal")
    assert all(g.text.startswith(READING_TOTAL) for g in a.guide_comparison)
    assert "1/1.9" in a.guide_comparison[0].text


def test_the_sample_itself_runs_with_the_visions_rule():
    pref = wb.load_sample("07")
    e = wc.cost_effect(pref)
    assert e.rule == (pref.vision.cost_rule if pref.vision and pref.vision.cost_rule else "shapley")
    assert len(e.members) == len(pref.costs.members)
    assert {m.code for m in e.members} == set(pref.costs.members)
    shown = e.display_frame()
    assert all(str(x).endswith("万円") for col in ("単独の構築費", "運用費の負担（年）") for x in shown[col])


def test_a_prefecture_that_pays_everything_leaves_no_burden_and_the_gross_reading():
    pref = wb.load_sample("09")  # 栃木県: the prefecture pays the build and, for now, the running cost
    e = wc.cost_effect(pref, "equal")
    assert e.counts["build"]["no_burden"] == e.counts["running"]["no_burden"] == len(e.members)
    assert all(m.build_ratio_gross is not None for m in e.members)
    assert any("県の負担を除く前" in s for s in e.summary_lines())


def test_a_share_above_going_alone_is_a_smaller_effect_than_one():
    sc = {
        "shared": {"initial": 5e8, "annual_fixed": 1e8},
        "standalone": {"initial": 1e7, "annual": 1e6},
        "members": ["072010", "072028"],
    }
    pref = SimpleNamespace(code="07", name="福島県", costs=CostScenario.model_validate(sc))
    e = wc.cost_effect(pref, "equal")
    assert all(m.build_ratio < 1 and m.build_verdict == "below" for m in e.members)
    assert E.ratio_text(e.members[0].build_ratio) == "1/0.0"


members_st = st.lists(
    st.sampled_from(list(reference.municipalities_of("07").query("population_2020 > 0")["code"])),
    min_size=2,
    max_size=8,
    unique=True,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    members=members_st,
    ini=st.floats(1e6, 1e9),
    fixed=st.floats(0, 1e8),
    per=st.floats(0, 1e7),
    pref_ini=st.floats(0, 1),
    pref_run=st.floats(0, 1),
    rule=st.sampled_from(["equal", "population", "shapley", "scrb"]),
)
def test_per_municipality_shares_add_up_to_the_members_part_of_each_period(
    members, ini, fixed, per, pref_ini, pref_run, rule
):
    sc = CostScenario.model_validate(
        {
            "shared": {"initial": ini, "annual_fixed": fixed, "annual_per_member": per},
            "standalone": {"initial": 5e7, "annual": 1e7},
            "members": members,
            "prefecture_share": {"initial": pref_ini, "running": pref_run},
        }
    )
    pref = SimpleNamespace(code="07", name="福島県", costs=sc)
    e = wc.cost_effect(pref, rule)
    n = len(members)
    build = sum(m.build_share for m in e.members)
    running = sum(m.running_share for m in e.members)
    # members pay at most their part; the cap at going alone (a member alone uses the cheaper way) may lower it
    assert build <= (1 - pref_ini) * ini + 1e-6 * ini + 1
    assert running <= (1 - pref_run) * (fixed + n * per) + 1
    for m in e.members:
        assert m.build_share >= -1e-6 and m.running_share >= -1e-6
        assert m.build_share_gross + 1e-6 >= m.build_share
        if m.build_ratio is not None:
            assert m.build_ratio == pytest.approx(m.build_alone / m.build_share)


# --- guide 2.6 ------------------------------------------------------------------------------------------


def test_guide_2_6_total_270_to_45_8_is_83_percent_printed_and_reconciled():
    """guide 2.6: 「合計 270百万円 45.8百万円 －２２8.3百万円（83%減）」; the phases add up to 274.1 (29.4 + 233.2
    + 11.5), printed rounded as 270 (DOMAIN §2)."""
    total = next(p for p in E.module_phases() if p.phase_code == "total")
    assert total.printed_without == pytest.approx(270e6) and total.printed_with == pytest.approx(45.8e6)
    assert 1 - total.printed_with / total.printed_without == pytest.approx(0.83, abs=0.005)
    assert total.printed_rate == pytest.approx(0.83)
    assert total.reconciled_without == pytest.approx(274.1e6)
    assert total.reconciled_rate == pytest.approx(228.3 / 274.1)
    build = next(p for p in E.module_phases() if p.phase_code == "build")
    # 「２33.2百万円 … ６２．４百万円 … -211.7百万円（９2％減）」: 62.4 fits neither; reconciled 21.5
    assert build.printed_with == pytest.approx(62.4e6) and build.reconciled_with == pytest.approx(21.5e6)
    assert (build.without_weeks, build.with_weeks) == (76, 20)


def test_guide_2_6_cases_83_and_41_percent():
    """guide 2.6: 「工程全体で83%減（スクラッチ開発でない場合は４1％減）」."""
    ini, run = module_factors("scratch")
    assert ini == pytest.approx((14.4 + 21.5) / (29.4 + 233.2)) and run == pytest.approx(9.9 / 11.5)
    assert module_factors("non_scratch") == pytest.approx((0.59, 0.59))
    # printed 構築 62.4 instead of 21.5 would give a much smaller initial effect
    assert module_factors("scratch", basis="printed")[0] == pytest.approx((14.4 + 62.4) / (29.4 + 233.2))
    cases = {c.code: c for c in E.module_effect_view().cases}
    assert cases["scratch"].reduction == pytest.approx(0.83) and "83%" in cases["scratch"].quote
    assert cases["non_scratch"].reduction == pytest.approx(0.41)
    assert cases["non_scratch"].quote == "スクラッチ開発でない場合は41%減"


def _fukushima(**extra: object) -> SimpleNamespace:
    pref = wb.loads(FUKUSHIMA_COSTS)
    data = pref.costs.model_dump(exclude_none=True) | extra
    return SimpleNamespace(code="07", name="福島県", costs=CostScenario.model_validate(data))


def test_the_41_percent_case_scales_the_shared_cost_by_0_59():
    base = wc.allocate(_fukushima(), "equal").total
    non_scratch = wc.allocate(_fukushima(module_effect=True, module_baseline="non_scratch"), "equal").total
    scratch = wc.allocate(_fukushima(module_effect=True), "equal").total
    assert non_scratch == pytest.approx(0.59 * base)
    assert scratch < non_scratch < base
    # guide 2.6「スクラッチ開発でない場合は41%減」: the case applied is said in the notes and in the text summary
    alloc = wc.allocate(_fukushima(module_effect=True, module_baseline="non_scratch"), "equal")
    assert any("スクラッチ開発でない場合は41%減" in n and "本ツールの読み" in n for n in alloc.notes)
    assert any("スクラッチ開発でない場合は41%減" in line for line in alloc.summary_lines())


def test_module_baseline_accepts_the_japanese_label_and_rejects_others():
    sc = _fukushima(module_baseline="スクラッチ開発でない場合").costs
    assert sc.module_baseline == "non_scratch"
    with pytest.raises(ValidationError) as ei:
        _fukushima(module_baseline="パッケージ")
    assert ei.value.errors()[0]["loc"] == ("module_baseline",)


def test_module_effect_view_applies_both_cases_to_the_scenario():
    view = wc.module_effect_view(wb.loads(FUKUSHIMA_COSTS))
    assert view.scenario_initial == pytest.approx(305_000_000)  # 300,000,000 + 10 × 500,000
    assert view.scenario_annual == pytest.approx(60_000_000)  # 40,000,000 + 10 × 2,000,000
    cases = {c.code: c for c in view.cases}
    assert cases["non_scratch"].shared_initial == pytest.approx(0.59 * 305_000_000)
    assert cases["scratch"].shared_annual == pytest.approx(60_000_000 * 9.9 / 11.5)
    assert view.applied is None and not any(c.applied for c in view.cases)
    on = wc.module_effect_view(_fukushima(module_effect=True, module_baseline="non_scratch"))
    assert on.applied == "non_scratch" and {c.code for c in on.cases if c.applied} == {"non_scratch"}
    # the shared cost as entered does not change when the effect is switched on
    assert on.scenario_initial == pytest.approx(305_000_000)
    text = "\n".join(view.summary_lines())
    assert "2.70億円 → 4,580万円" in text and "2.74億円" in text and "適用していません" in text
    frame = view.to_staff_frame().set_index("工程")
    assert frame.loc["システム構築", "モジュールあり（印刷値）"] == "6,240万円"
    assert frame.loc["システム構築", "モジュールあり（整合値）"] == "2,150万円"
    assert frame.loc["合計", "削減率（印刷値）"] == "83%"


def test_module_effect_view_without_a_scenario_shows_the_guide_alone():
    view = wc.module_effect_view()
    assert view.scenario_initial is None and all(c.shared_initial is None for c in view.cases)
    assert len(view.phases) == 4 and "<table" in view.details_html()


# --- money in 千円/万円/億円 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "yen, unit, text",
    [
        (274_100_000, "auto", "2.74億円"),
        (45_800_000, "auto", "4,580万円"),
        (9_999, "auto", "9,999円"),
        (30_500_000, "万円", "3,050万円"),
        (980_000, "千円", "980千円"),
        (-1_600_000, "auto", "−160万円"),
        (-1_600_000, "万円", "−160万円"),
    ],
)
def test_money_is_shown_in_japanese_units_with_separators(yen, unit, text):
    from workbench.text import money_ja

    assert money_ja(yen, unit) == text


# --- charts, dashboard panel, report ---------------------------------------------------------------------


def test_effect_chart_shades_the_surveyed_ranges_and_places_every_member():
    from workbench.charts.effect import effect_ranges, module_phases

    e = wc.cost_effect(wb.loads(FUKUSHIMA_COSTS), "equal")
    fig = effect_ranges(e)
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    assert sorted((s.y0, s.y1) for s in rects) == [(2, 12), (5, 20)]
    filled = [t for t in fig.data if t.marker.symbol != "circle-open"]
    assert sum(len(t.x) for t in filled) == 2 * len(e.members)
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert sorted(round(s.y0, 3) for s in lines) == sorted(round(t.ratio, 3) for t in e.total)
    bars = module_phases(wc.module_effect_view())
    assert [t.type for t in bars.data] == ["bar", "bar", "scatter"]
    assert list(bars.data[1].y) == pytest.approx([1440, 2150, 990])


def test_cost_dashboard_shows_the_effect_and_follows_the_simulator(costed_copy):
    from workbench.widgets import CostDashboard

    dash = CostDashboard()
    dash.session.set(wb.load(costed_copy), costed_copy)
    panel = dash.effect
    assert panel.effect is not None and panel.module_view is not None
    assert READING_MEMBER in panel.summary.value and READING_TOTAL in panel.summary.value
    assert "スクラッチ開発でない場合" in panel.module.value
    assert panel.figure.figure is not None and panel.module_figure.figure is not None
    dash.simulator.rule.value = "equal"
    assert panel.effect.rule == "equal"
    dash.simulator.pref_running.value = 0.0
    assert panel.effect.prefecture_fractions["running"] == 0.0


def test_effect_panel_alone_and_without_costs(tmp_path):
    from workbench.widgets import CostEffectPanel, Session

    path = tmp_path / "no_costs.yaml"
    path.write_text("prefecture: 福島県\n", encoding="utf-8")
    panel = CostEffectPanel(Session.from_file(path))
    assert panel.effect is None and "costs:" in panel.message.text
    assert panel.module_view is not None and panel.module_view.scenario_initial is None


def test_report_shows_both_readings_and_the_module_effect():
    from workbench.report import snapshot_html

    page = snapshot_html(wb.load_sample("07"))
    for text in (
        READING_MEMBER,
        READING_TOTAL,
        "各市町村が独自で構築した場合",
        "スクラッチ開発でない場合は41%減",
        "モジュールあり（印刷値）",
        "モジュールあり（整合値）",
    ):
        assert text in page


def test_nothing_is_infinite_in_the_json():
    e = wc.cost_effect(wb.load_sample("07"))
    data = e.model_dump()
    for m in data["members"]:
        for k, v in m.items():
            if isinstance(v, float):
                assert math.isfinite(v), k
    assert np.isfinite([t.ratio for t in e.total if t.ratio is not None]).all()


def test_module_baseline_codes_are_the_reference_tables():
    from typing import get_args

    field = CostScenario.model_fields["module_baseline"]
    assert set(get_args(field.annotation)) == set(wc.model.module_cases()["code"])


def test_cli_text_adds_the_per_municipality_reading(capsys):
    from workbench.cli import main

    path = reference.data_dir() / "prefectures" / "07_fukushima.yaml"
    assert main(["cost", str(path), "--rule", "equal"]) == 0
    out = capsys.readouterr().out
    assert out.count(READING_MEMBER) == 2 and out.count(READING_TOTAL) == 2
