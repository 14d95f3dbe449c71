"""Step 2 vision (guide 2.4, 2.7, 3.2; guidebook 8.3): recommendations, organisation, KPIs, cost."""

from __future__ import annotations

import pytest

import workbench as wb
from workbench import plan
from workbench.errors import InputError

FULL = "[auth, non_personal, personal]"


def platform(
    pid: str,
    op: str,
    *,
    comps: str = FULL,
    levels: tuple[int, int] = (2, 2),
    field: str = "cross",
    scheme: str = "municipality",
    scope: str = "municipal",
    munis: str | None = None,
) -> str:
    lines = [
        f"  - id: {pid}",
        f"    name: 基盤{pid}",
        f'    operated_by: "{op}"',
        f"    components: {comps}",
        f"    field: {field}",
        f"    service_scheme: {scheme}",
        f"    user_scope: {scope}",
    ]
    if "auth" in comps:
        lines += [f"    identity_proofing: {levels[0]}", f"    authenticator: {levels[1]}"]
    if munis:
        lines.append(f"    municipalities: {munis}")
    return "\n".join(lines)


def make(platforms: list[str] = (), extra: str = "", target: str | None = None) -> wb.Prefecture:
    text = "prefecture: 福島県\n"
    if platforms:
        text += "platforms:\n" + "\n".join(platforms) + "\n"
    if target:
        text += target
    return wb.loads(text + extra)


SINGLE_MIXED = "target: {source: single, user_scope: prefectural, providers: mixed}\n"
SINGLE_MUNI = "target: {source: single, user_scope: prefectural, providers: municipalities}\n"


def test_no_platform_recommends_new_platform_via_2_1_and_2_2():
    v = plan.vision(make())
    assert v.target.running_platforms == 0
    assert v.target.route == "new"
    assert v.target.recommended_path == ["1.1", "2.1", "2.2", "2.4"]
    assert v.pattern == "A"
    assert "基盤を用意" in v.target.direction  # guide 3.2


def test_one_platform_widens_via_2_2():
    v = plan.vision(make([platform("m", "072028")], target=SINGLE_MUNI))
    assert v.target.route == "widen"
    assert v.target.recommended_path == ["1.2", "2.2", "2.4"]
    assert "既存の基盤の共同利用" in v.target.direction


def test_one_platform_mixed_aim_goes_straight_to_2_4():
    v = plan.vision(make([platform("m", "072028")], target=SINGLE_MIXED))
    assert v.target.recommended_path == ["1.2", "2.4"]


def test_several_aligned_platforms_converge_on_one():
    ps = [platform("a", "072028"), platform("b", "072036")]
    v = plan.vision(make(ps, target=SINGLE_MUNI))
    assert v.target.harm_factors == []
    assert v.target.route == "converge"
    assert v.target.recommended_path[-2:] == ["2.2", "2.4"]


def test_several_platforms_with_unaligned_levels_federate_first():
    ps = [platform("a", "072028", levels=(2, 2)), platform("b", "072036", levels=(2, 1))]
    v = plan.vision(make(ps, target=SINGLE_MIXED))
    assert v.target.route == "federate_first"
    assert v.target.recommended_path == ["1.2+1.2", "2.8", "2.4"]
    assert any("レベルが揃っていません" in r for r in v.target.reasons)


def test_several_platforms_with_different_fields_federate_first_via_2_6():
    ps = [platform("a", "072028", field="tourism"), platform("b", "072036", field="healthcare")]
    v = plan.vision(make(ps, target=SINGLE_MUNI))
    assert v.target.route == "federate_first"
    assert v.target.recommended_path[1] == "2.6"
    assert any("分野が異なります" in h for h in v.target.harm_factors)


def test_fukushima_sample_already_shared_federates_first():
    v = plan.vision(wb.load(wb.reference.data_dir() / "prefectures" / "07_fukushima.yaml"))
    # levels apart (sample assumption): 型2.8 by the 判定フロー, its condition not met (guidebook 第3.0版 7.1)
    assert v.target.current_type == "2.8" and "条件未達" in v.target.current_text
    assert v.target.recommended_path == ["2.8", "2.4"]
    assert "まず条件を満たします" in v.target.reasons[0]
    assert v.target.harm_factors


def test_purposes_carry_survey_counts_and_selection():
    v = plan.vision(make(extra="vision:\n  purposes: [コスト削減, wide_area_dx]\n"))
    counts = {p.code: (p.count, p.out_of, p.selected) for p in v.purposes}
    assert counts == {
        "cost_reduction": (10, 10, True),
        "wide_area_dx": (4, 10, True),
        "service_sharing": (3, 10, False),
    }
    assert [c.count for c in v.challenges] == [4, 2, 5, 8, 9]
    assert "guide 2.4" in v.sources["purposes"]


@pytest.mark.parametrize(("possible", "recommended"), [(True, "external"), (False, "serial"), (None, None)])
def test_organisation_recommendation_follows_guide_2_7(possible, recommended):
    extra = "" if possible is None else f"vision:\n  external_body_possible: {str(possible).lower()}\n"
    org = plan.vision(make(extra=extra)).organisation
    assert org.recommended == recommended
    assert org.effective == (recommended or "serial")
    surveyed = {o.code: o.surveyed for o in org.options}
    assert surveyed["serial"] == ["福島県", "奈良県", "熊本県"]
    assert "前橋市" in surveyed["external"] and "小田原市" in surveyed["parallel"]


def test_chosen_organisation_against_recommendation_warns():
    v = plan.vision(make(extra="vision:\n  external_body_possible: true\n  organisation: 並列型\n"))
    assert v.organisation.chosen == "parallel"
    assert len(v.organisation.warnings) == 2


def test_organisation_conflicting_with_target_is_located():
    text = "target: {source: single, user_scope: prefectural, providers: mixed, organisation: serial}\n"
    with pytest.raises(InputError) as err:
        make(target=text, extra="vision:\n  organisation: external\n")
    assert err.value.field == "vision.organisation"
    assert err.value.line == 4


def test_kpis_validated_and_labelled():
    extra = (
        "services:\n  - {id: portal, name: ポータル, platform: m}\n"
        "vision:\n  kpis:\n"
        "    - {code: 接続サービス数, target: 10, year: 2028}\n"
        "    - {code: mau_per_service, service: portal, target: 20000, year: 2028, baseline: 5000}\n"
    )
    v = plan.vision(make([platform("m", "072028")], extra=extra))
    assert [(k.code, k.kind, k.unit) for k in v.kpis] == [
        ("connected_services", "output", "件"),
        ("mau_per_service", "outcome", "人/月"),
    ]
    assert list(v.kpis_frame()["目標値"]) == ["10", "20,000"]


@pytest.mark.parametrize(
    ("kpi", "field"),
    [
        ("{code: no_such_kpi, target: 1, year: 2028}", "vision.kpis[0].code"),
        ("{code: api_calls, target: -1, year: 2028}", "vision.kpis[0].target"),
        ("{code: api_calls, target: 1, year: 1999}", "vision.kpis[0].year"),
        ("{code: mau_per_service, service: nothing, target: 1, year: 2028}", "vision.kpis[0].service"),
    ],
)
def test_bad_kpis_are_located(kpi, field):
    with pytest.raises(InputError) as err:
        make(extra=f"vision:\n  kpis:\n    - {kpi}\n")
    assert err.value.field == field
    assert err.value.line == 4


def test_cost_rule_and_scheme_validated_against_tables():
    with pytest.raises(InputError) as err:
        make(extra="vision:\n  cost_rule: lottery\n")
    assert err.value.field == "vision.cost_rule"
    assert "shapley" in str(err.value)
    v = plan.vision(make(extra="vision:\n  cost_rule: 人口割\n  scheme: 福島県方式\n"))
    assert (v.cost.rule, v.cost.scheme) == ("population", "fukushima")
    assert (
        "費用の前提" in v.cost.note and "未設定" in v.cost.note
    )  # no cost scenario in the file: shares not set
    assert v.cost.shares == []


def test_vision_shows_each_members_share_of_the_chosen_rule():
    """Step 2's cost section for 福島県's sample with 均等割 chosen (by its label, as staff write it): the table
    staff see lists every member of the scenario with the same share, the one wb.allocate computes, and the
    shares plus the prefecture's part make the total."""
    pref = wb.load_sample("07")
    pref.vision = wb.inventory.plan.Vision(cost_rule="均等割")
    v = plan.vision(pref)
    alloc = wb.allocate(pref, "equal")
    df = v.shares_frame()
    assert v.cost.rule == "equal" and v.cost.rule_label == "均等割"
    assert list(df["団体"]) == [m.name for m in alloc.members] and len(df) == 10
    assert list(df["負担額（円）"]) == [round(m.share) for m in alloc.members]
    assert df["負担額（円）"].nunique() == 1 and df["負担額（円）"].iloc[0] > 0  # 均等割: the same for all
    assert abs(sum(s.share for s in v.cost.shares) + v.cost.prefecture - v.cost.total) < 1
    assert "均等割" in v.cost.note


def test_vision_without_choices_lists_open_points():
    v = plan.vision(make())
    assert any("目的" in w for w in v.warnings) and any("KPI" in w for w in v.warnings)
    assert "Step 2" in v._repr_html_()
    assert list(v.to_staff_frame().columns) == ["項目", "内容", "根拠"]
