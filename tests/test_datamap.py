"""The データマップ: the prefecture file's data_map section and its analysis (workbench.datamap).

Cases come from the sources: the 防災 rows of guidebook 11.2 (避難所混雑度通知アプリ, 指定避難所一覧), the hospital
booking → demand transport flow of guidebook 15.3 ② (図36) with and without consent, the four legal classes of
15.3 ①, the matrix of guidebook 11.3, the three layers of 10.1 and the roadmap of 10.4. Quotes are beside the
assertions they support.
"""

from __future__ import annotations

import copy
import json
import re

import pytest

import workbench as wb
from workbench import reference
from workbench.datamap import (
    datamap,
    frequency_codes,
    method_codes,
    model_from_name,
    plan_items,
    vision_goals,
)

# guidebook 第3.0版 11.2, サービス側データマップ 記入例（防災分野）
GB_SERVICE = {
    "サービス名": "避難所混雑度通知アプリ",
    "取込データ": "避難所情報、混雑度、水位情報、気象警報",
    "取得データ：外部提供可能データ": "アプリ利用状況、避難所閲覧数、通知開封率",
    "提供先サービス": "防災ダッシュボード、地域ポータル",
    "提供頻度": "リアルタイム、または5分間隔",
    "提供方式": "REST API、Webhook",
}
# guidebook 第3.0版 11.2, データアセット側データマップ 記入例（防災分野）
GB_ASSET = {
    "データセット名": "指定避難所一覧",
    "データ所管元": "防災危機管理課",
    "データの所在": "防災情報管理システム",
    "提供先サービス": "防災アプリ、観光アプリ、地域ポータル",
    "提供頻度": "日次、随時更新",
    "提供方式": "CSV、REST API、NGSI-LD",
}


def base(**extra) -> dict:
    data = {
        "prefecture": "香川県",
        "platforms": [
            {
                "id": "area",
                "name": "エリアデータ連携基盤",
                "operated_by": "prefecture",
                "components": ["non_personal"],
                "api_published": True,
                "modules": ["orion"],
                "terms": {
                    "exists": True,
                    "component_responsibility": True,
                    "platform_service_split": True,
                    "certification_audit": True,
                },
            }
        ],
        "services": [],
    }
    data.update(extra)
    return data


def load(data: dict):
    return wb.loads(json.dumps(data, ensure_ascii=False), file="test.yaml")


def gb_112() -> dict:
    """The two rows of guidebook 11.2 as a prefecture file: the services they name exist on one platform."""
    services = [
        ("shelter_app", "避難所混雑度通知アプリ", "防災"),
        ("bousai_app", "防災アプリ", "防災"),
        ("kanko_app", "観光アプリ", "観光"),
        ("portal", "地域ポータル", "分野横断"),
        ("bousai_dashboard", "防災ダッシュボード", "防災"),
    ]
    return base(
        services=[{"id": i, "name": n, "platform": "area"} for i, n, _ in services],
        data_map={
            "services": [
                {
                    "service": GB_SERVICE["サービス名"],
                    "field": "防災",
                    "intake": GB_SERVICE["取込データ"],
                    "external": [
                        {
                            "name": name,
                            "frequency": GB_SERVICE["提供頻度"],
                            "method": GB_SERVICE["提供方式"],
                            "to": GB_SERVICE["提供先サービス"],
                        }
                        for name in GB_SERVICE["取得データ：外部提供可能データ"].split("、")
                    ],
                },
                *[{"service": n, "field": f} for i, n, f in services[1:]],
            ],
            "assets": [
                {
                    "id": "shelters",
                    "name": GB_ASSET["データセット名"],
                    "owner": GB_ASSET["データ所管元"],
                    "location": GB_ASSET["データの所在"],
                    "platform": "area",
                    "frequency": GB_ASSET["提供頻度"],
                    "method": GB_ASSET["提供方式"],
                    "to": GB_ASSET["提供先サービス"],
                }
            ],
        },
    )


# --- normalising the free-text columns ----------------------------------------------------------------------


def test_frequency_and_method_wordings_of_the_guidebook_examples():
    # guidebook 11.2: 提供頻度「リアルタイム、または5分間隔」「日次、随時更新」; 提供方式「REST API、Webhook」「CSV、REST API、NGSI-LD」
    assert frequency_codes("リアルタイム、または5分間隔") == ("realtime",)
    assert frequency_codes("日次、随時更新") == (
        "on_update",
        "daily",
    )  # 随時更新 is not read as 随時 (realtime)
    assert method_codes(["REST API", "Webhook"]) == ("rest_api", "webhook")
    assert method_codes(["CSV", "REST API", "NGSI-LD"]) == ("file", "rest_api", "ngsi_ld")
    assert method_codes(["NGSI v2"]) == ("ngsi_v2",)  # NGSI-LD is not also read as NGSI v2 and vice versa
    assert method_codes(["ＮＧＳＩ－ＬＤ"]) == ("ngsi_ld",)  # full-width
    assert frequency_codes("気が向いたら") == ()


def test_standard_model_guessed_from_the_data_name():
    assert model_from_name("指定避難所一覧")["model"] == "避難所"  # guidebook 10.3 防災 (announced)
    assert model_from_name("AED設置箇所一覧")["model"] == "AED設置場所"  # guidebook 11.3 name ↔ model name
    assert model_from_name("標準的なバス情報フォーマット")["status"] == "delegated"  # GTFS-JP (DMG 3.5)
    assert model_from_name("職員の出張記録") is None


# --- guidebook 11.2: the 避難所混雑度通知アプリ rows ---------------------------------------------------------------


def test_guidebook_11_2_rows_load_and_flow():
    pref = load(gb_112())
    res = datamap(pref)
    by = {(f.source, f.service): f for f in res.flows}
    # asset side 提供先サービス「防災アプリ、観光アプリ、地域ポータル」: three flows through the platform
    for sid in ("bousai_app", "kanko_app", "portal"):
        f = by[("shelters", sid)]
        assert f.route == "platform" and f.platform == "area"
    # the shelter list (防災) feeds the 観光アプリ: a realised cross-field link, 防災 → 観光
    assert by[("shelters", "kanko_app")].cross_field
    assert (by[("shelters", "kanko_app")].data_field, by[("shelters", "kanko_app")].service_field) == (
        "disaster",
        "tourism",
    )
    assert not by[("shelters", "bousai_app")].cross_field
    # service side: three 外部提供可能データ, each to 防災ダッシュボード and 地域ポータル, back through the platform (図24 還流)
    items = [f for f in res.flows if f.source_kind == "item"]
    assert len(items) == 6 and {f.service for f in items} == {"bousai_dashboard", "portal"}
    assert all(f.route == "platform" and f.frequency == ["realtime"] for f in items)
    # 取込データ「避難所情報、混雑度、水位情報、気象警報」name no registered asset: shown, not a 課題
    shelter = next(s for s in res.services if s.id == "shelter_app")
    assert shelter.unresolved == ["避難所情報", "混雑度", "水位情報", "気象警報"]
    assert "DM_DIRECT_LINK" not in {f.code for f in res.findings}
    # 11.3: 「基盤に集まった共通のオープンデータを、複数の異なる分野のアプリ（サービス）で『利活用』」
    stages = {s.platform: s for s in res.stages}["area"]
    assert "multi_use" in stages.reached
    # the shelter model is announced in guidebook 10.3 but has no table in the guideline: not counted as available
    cov = {c.platform: c for c in res.coverage}["area"]
    assert cov.with_model == 0 and cov.announced_only == 1 and cov.share is None
    assert "DM_NO_STANDARD_MODEL" not in {f.code for f in res.findings}
    assert res.matrix["disaster"]["tourism"] == 1
    # the flow graph of 図24: データ所管元 → データアセット →（データ供給）→ 基盤 →（データ取得）→ サービス → 還流
    edges = {(e.source, e.target, e.kind) for e in res.edges}
    assert ("owner:防災危機管理課", "asset:shelters", "holds") in edges
    assert ("asset:shelters", "platform:area", "supply") in edges
    assert {e.target for e in res.edges if e.kind == "provide"} == {
        f"service:{s}" for s in ("bousai_app", "kanko_app", "portal", "bousai_dashboard")
    }
    assert (
        sum(e.kind == "return" for e in res.edges) == 3 and sum(e.kind == "acquire" for e in res.edges) == 3
    )


def test_direct_intake_of_a_platform_asset_is_duplicated_linkage():
    # guidebook 11.1 意義3: 「重複投資や非効率な個別での連携開発を回避」; README サービス側2
    # 「直接または基盤経由で取り込んでいる」, データセット側5 「基盤を…介してデータ提供を行っている先」
    data = gb_112()
    data["data_map"]["services"][0]["intake"] = ["指定避難所一覧"]  # not among the asset's 提供先サービス
    res = datamap(load(data))
    f = next(f for f in res.flows if f.source == "shelters" and f.service == "shelter_app")
    assert f.route == "direct" and f.declared_by == "service_side"
    hits = [x for x in res.findings if x.code == "DM_DIRECT_LINK"]
    assert hits and hits[0].service == "shelter_app" and hits[0].platform == "area"
    issue = next(i for i in wb.classify(load(data)).issues if i.code == "DM_DIRECT_LINK")
    assert issue.severity == "medium" and issue.source.startswith("データマップ作成フォーマット")


# --- guidebook 15.3: hospital booking → demand transport ----------------------------------------------------


def hospital(consent: str | None, pi_class: str = "個人情報", two_platforms: bool = False) -> dict:
    platforms = [
        {
            "id": "area",
            "name": "エリアデータ連携基盤",
            "operated_by": "prefecture",
            "components": ["auth", "non_personal", "personal"],
            "identity_proofing": 2,
            "authenticator": 2,
            "api_published": True,
            "modules": ["orion", "personal_data_module"],
            "terms": {
                "exists": True,
                "component_responsibility": True,
                "platform_service_split": True,
                "certification_audit": True,
            },
        }
    ]
    demand_platform = "area"
    if two_platforms:
        platforms.append(
            {
                "id": "mobility",
                "name": "交通の基盤",
                "operated_by": "operating_body",
                "components": ["auth", "personal"],
                "identity_proofing": 2,
                "authenticator": 2,
                "api_published": True,
            }
        )
        platforms[0]["identity_proofing"] = platforms[0]["authenticator"] = 1
        demand_platform = "mobility"
    item = {"name": "予約日時・場所", "method": ["NGSI v2"], "to": ["demand"], "pi_class": pi_class}
    if consent is not None:
        item["consent"] = consent
    return {
        "prefecture": "北海道",
        "platforms": platforms,
        "services": [
            {
                "id": "hospital",
                "name": "病院予約アプリ",
                "platform": "area",
                "category": "resident",
                "personal_data": True,
            },
            {
                "id": "demand",
                "name": "デマンド交通サービス",
                "platform": demand_platform,
                "category": "resident",
                "personal_data": True,
            },
        ],
        "data_map": {
            "services": [
                {"service": "hospital", "field": "健康・医療", "external": [item]},
                {"service": "demand", "field": "交通・モビリティ", "intake": ["予約日時・場所"]},
            ]
        },
    }


def test_hospital_booking_to_demand_transport_with_consent():
    # 15.3 ② 図36: 病院予約アプリ →同意内容登録→ 同意管理 →利用可否を判定→ ブローカー →許可されたデータのみ提供→ デマンド交通サービス
    res = datamap(load(hospital("同意管理あり")))
    f = next(f for f in res.flows if f.service == "demand")
    assert f.source_kind == "item" and f.from_service == "hospital" and f.route == "platform"
    assert f.cross_field and (f.data_field, f.service_field) == ("health", "mobility")
    assert f.personal and f.consent == "managed" and f.declared_by == "both"
    assert "DM_PERSONAL_NO_CONSENT" not in {x.code for x in res.findings}
    # 12.2 ②: 「あるアプリが持つパーソナルデータを、別の分野のアプリへと安全に橋渡し」
    assert "personal_exchange" in res.stages[0].reached
    org = next(layer for layer in res.interop[0].layers if layer.code == "organisational")
    assert org.held is True and "同意管理: 記録あり" in org.evidence


def test_hospital_booking_to_demand_transport_without_consent():
    # 15.3 ①: 個人情報は第三者（別サービス等）へ提供するには「本人の事前確認と明示的な同意（オプトイン）が必須」.
    # 同意管理なし (stated) is a finding; no record of it (blank, 不明) is a question, not an assertion of absence.
    for consent, code, severity, held in (
        ("なし", "DM_PERSONAL_NO_CONSENT", "high", False),
        (None, "DM_PERSONAL_CONSENT_UNKNOWN", "medium", None),
        ("不明", "DM_PERSONAL_CONSENT_UNKNOWN", "medium", None),
    ):
        pref = load(hospital(consent))
        issues = wb.classify(pref).issues
        hits = [i for i in issues if i.code == code]
        assert len(hits) == 1 and hits[0].severity == severity and hits[0].service == "hospital"
        assert "デマンド交通サービス" in hits[0].message
        assert {i.code for i in issues} & {"DM_PERSONAL_NO_CONSENT", "DM_PERSONAL_CONSENT_UNKNOWN"} == {code}
        org = next(layer for layer in datamap(pref).interop[0].layers if layer.code == "organisational")
        assert org.held is held


def test_the_four_legal_classes_of_15_3():
    # ② 仮名加工情報「第三者への提供は原則禁止」; ③ 匿名加工情報「本人同意なしで第三者提供が可能」;
    # ④ 個人関連情報: 提供先が本人から同意を取得していることの確認義務
    codes = lambda pref: {f.code for f in datamap(pref).findings}  # noqa: E731
    assert "DM_PSEUDONYMISED_OUT" in codes(load(hospital("同意管理あり", "仮名加工情報")))
    anon = codes(load(hospital(None, "匿名加工情報")))
    assert not anon & {"DM_PSEUDONYMISED_OUT", "DM_PERSONAL_NO_CONSENT"}
    # ④ applies 「『提供先（別アプリ等）で個人データ化される』ことが予見される場合」, which a data map does not say:
    # a note naming the condition, never a finding
    related = datamap(load(hospital(None, "個人関連情報")))
    assert not {f.code for f in related.findings} & {"DM_PERSONAL_NO_CONSENT", "DM_PERSONAL_CONSENT_UNKNOWN"}
    assert any("個人関連情報" in w and "予見" not in w and "見込まれる" in w for w in related.warnings)


def test_flows_of_the_data_map_reach_the_authentication_checks():
    # guide 3.4 基盤間連携: a service using another platform's data needs that platform's levels too. The data map
    # shows the demand service takes data from the hospital's platform; uses_data_from does not list it.
    pref = load(hospital("あり", two_platforms=True))
    assert pref.services[1].uses_data_from == []
    res = datamap(pref)
    demand = next(s for s in res.services if s.id == "demand")
    assert demand.derived_sources == ["area"] and demand.missing_sources == ["area"]
    assert "DM_FLOW_NOT_DECLARED" in {i.code for i in wb.classify(pref).issues}
    denied = wb.match_auth(pref).denied_flows
    assert [(d.service, d.from_platform) for d in denied] == [("demand", "area")]
    # without the data map the auth check cannot see that flow
    plain = load({k: v for k, v in hospital("あり", two_platforms=True).items() if k != "data_map"})
    assert wb.match_auth(plain).denied_flows == []


# --- every DM rule fires on a small case --------------------------------------------------------------------


def one_asset(**asset) -> dict:
    a = {
        "id": "a1",
        "name": "医療機関一覧",
        "owner": "健康福祉課",
        "location": "医療情報システム",
        "platform": "area",
        "frequency": "日次",
        "method": ["REST API"],
        "to": ["app"],
        "model": "医療機関",
    }
    a.update(asset)
    return base(
        services=[{"id": "app", "name": "健康アプリ", "platform": "area"}],
        data_map={"services": [{"service": "app", "field": "健康・医療", "intake": ["a1"]}], "assets": [a]},
    )


def test_duplicate_registration_on_two_platforms():
    # guidebook 11.1 意義3: 「同一地域内や隣接自治体間での重複投資…を回避」
    data = one_asset()
    data["platforms"].append({**data["platforms"][0], "id": "city", "operated_by": "072010"})
    data["prefecture"] = "福島県"
    data["data_map"]["assets"].append(
        {**data["data_map"]["assets"][0], "id": "a2", "platform": "city", "to": []}
    )
    res = datamap(load(data))
    assert res.duplicates == [["a1", "a2"]]
    kpi = {k.code: k for k in res.kpis}
    assert kpi["linked_data_assets"].value == 1  # 8.3: 連携データアセット数は重複データを含めない


def rule_cases() -> dict[str, dict]:
    cases = {}
    d = one_asset(to=[])
    d["data_map"]["services"][0]["intake"] = []
    cases["DM_ORPHAN_ASSET"] = d
    cases["DM_NO_STANDARD_MODEL"] = one_asset(model="独自")
    d = one_asset(method=["NGSI v2"])
    d["data_map"]["services"][0]["status"] = "構築中"
    cases["DM_NEW_NOT_STANDARD"] = d
    cases["DM_NO_API_FLOW"] = one_asset(method=["CSV"])
    cases["DM_NO_CROSS_FIELD"] = one_asset()
    cases["DM_PSEUDONYMISED_OUT"] = hospital("あり", "仮名加工情報")
    cases["DM_PERSONAL_NO_CONSENT"] = hospital("なし")
    cases["DM_PERSONAL_CONSENT_UNKNOWN"] = hospital(None)
    cases["DM_LEGACY_NO_ROADMAP"] = one_asset(method=["NGSI v2"], model="独自")
    d = one_asset()
    d["data_map"]["template_version"] = "1.2"
    cases["DM_TEMPLATE_VERSION"] = d
    cases["DM_FLOW_NOT_DECLARED"] = hospital("あり", two_platforms=True)
    d = one_asset(to=["other"])  # 提供先サービス filled in, without the service that takes the asset
    d["services"].append({"id": "other", "name": "別のアプリ", "platform": "area"})
    cases["DM_DIRECT_LINK"] = d
    d = one_asset()
    d["platforms"].append({**d["platforms"][0], "id": "p2"})
    d["data_map"]["assets"].append({**d["data_map"]["assets"][0], "id": "a2", "platform": "p2", "to": []})
    cases["DM_DUP_ASSET"] = d
    return cases


@pytest.mark.parametrize("code", sorted(rule_cases()))
def test_every_datamap_rule_fires_on_its_case_and_joins_the_issue_list(code):
    pref = load(rule_cases()[code])
    hits = [i for i in wb.classify(pref).issues if i.code == code]
    assert hits, [i.code for i in wb.classify(pref).issues]
    rule = reference.table("issue_rules.csv").set_index("code").loc[code]
    assert hits[0].severity == rule["severity"] and hits[0].source == rule["source"]
    assert hits[0].message.startswith(rule["message_ja"])


def test_every_datamap_rule_has_a_case():
    table = {c for c in reference.table("issue_rules.csv")["code"] if c.startswith("DM_")}
    assert table == set(rule_cases())


def test_a_clean_data_map_has_no_findings():
    # API, standard model declared, NGSI-LD, a cross-field consumer, nothing unused
    data = one_asset(method=["NGSI-LD"])
    data["services"].append({"id": "bus", "name": "デマンド交通", "platform": "area"})
    data["data_map"]["services"].append({"service": "bus", "field": "交通", "intake": ["医療機関一覧"]})
    data["data_map"]["assets"][0]["to"] = ["app", "bus"]
    res = datamap(load(data))
    assert res.findings == [], res.findings
    assert {c.platform: c.share for c in res.coverage} == {"area": 1.0}
    assert [layer.held for layer in res.interop[0].layers] == [True, True, True] and res.interop[0].stage == 3
    assert res.migration[0].phase == 4


# --- the file: optional section, located errors, round trip ------------------------------------------------------


def test_files_without_a_data_map_load_and_analyse():
    pref = load(base(services=[{"id": "s", "name": "S", "platform": "area"}]))
    assert pref.data_map is None
    res = datamap(pref)
    assert not res.has_data_map and res.flows == [] and res.findings == []
    assert not [i for i in wb.classify(pref).issues if i.code.startswith("DM_")]


@pytest.mark.parametrize(
    "change,field,text",
    [
        (
            lambda d: d["data_map"]["services"][0].update(service="nothing"),
            "data_map.services[0].service",
            "services: にない",
        ),
        (
            lambda d: d["data_map"]["assets"][0].update(platform="nowhere"),
            "data_map.assets[0].platform",
            "不明な基盤ID",
        ),
        (
            lambda d: d["data_map"]["assets"][0].update(to=["誰か"]),
            "data_map.assets[0].to[0]",
            "提供先サービス",
        ),
        (
            lambda d: d["data_map"]["services"][0].update(field="宇宙"),
            "data_map.services[0].field",
            "分野にありません",
        ),
        (
            lambda d: d["data_map"]["services"][0].update(internal=["アプリ利用状況"]),
            "data_map.services[0].external[0].name",
            "重複しないように",
        ),
        (
            lambda d: d["data_map"]["assets"].append(dict(d["data_map"]["assets"][0])),
            "data_map.assets[1].id",
            "重複",
        ),
        (lambda d: d["data_map"].update(colour="red"), "data_map.colour", "不明な項目"),
    ],
)
def test_bad_data_map_values_are_located(change, field, text):
    data = copy.deepcopy(gb_112())
    change(data)
    with pytest.raises(wb.InputError) as err:
        load(data)
    p = next(p for p in err.value.problems if p.field == field)
    assert text in p.message and p.file == "test.yaml" and p.line is not None


def test_a_data_map_round_trips_with_comments(tmp_path):
    text = """prefecture: 香川県
platforms:
  - {id: area, name: 基盤, operated_by: prefecture, components: [non_personal]}
services:
  - {id: app, name: 防災アプリ, platform: area}
# データマップ（ヒアリング 2026-10）
data_map:
  services:
    - service: app   # 防災課の回答
      field: 防災
      intake: [shelters]
  assets:
    - id: shelters
      name: 指定避難所一覧
      platform: area
      to: [防災アプリ]
      model: 避難所   # ガイドブック 10.3
"""
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    pref = wb.load(path)
    assert pref.data_map.assets[0].to == ["防災アプリ"]
    pref.data_map.assets[0].owner = "防災危機管理課"
    wb.save(pref)
    out = path.read_text(encoding="utf-8")
    assert (
        "# データマップ（ヒアリング 2026-10）" in out
        and "# 防災課の回答" in out
        and "# ガイドブック 10.3" in out
    )
    assert "owner: 防災危機管理課" in out and "field: 防災" in out  # the user's label is kept
    assert wb.load(path).data_map.assets[0].owner == "防災危機管理課"


def test_json_schema_describes_the_section():
    from workbench.cli.schema import prefecture_schema

    schema = prefecture_schema()
    assert "data_map" in schema["properties"]
    assert {"services", "assets", "apis"} <= set(schema["$defs"]["DataMap"]["properties"])


# --- cross-field candidates (guidebook 11.3), coverage, layers, stages, phases ----------------------------------


def test_matrix_candidates_and_missing_datasets():
    # guidebook 11.3: 観光・まち歩き uses 公衆トイレ一覧 …; 地域防災 uses 公衆トイレ一覧, AED設置箇所一覧 …
    data = base(
        services=[
            {"id": "kanko", "name": "観光アプリ", "platform": "area"},
            {"id": "bousai", "name": "防災アプリ", "platform": "area"},
        ],
        data_map={
            "services": [
                {"service": "kanko", "field": "観光"},
                {"service": "bousai", "field": "防災", "intake": ["t"]},
            ],
            "assets": [
                {"id": "t", "name": "公衆トイレ一覧", "platform": "area", "to": ["bousai"], "method": "CSV"}
            ],
        },
    )
    res = datamap(load(data))
    cand = [(c.service, c.asset) for c in res.candidates]
    assert ("kanko", "t") in cand and ("bousai", "t") not in cand
    missing = {(m.field, m.dataset) for m in res.missing}
    assert ("tourism", "観光施設一覧") in missing and ("disaster", "AED設置箇所一覧") in missing
    assert ("tourism", "公衆トイレ一覧") not in missing


def test_migration_phases_follow_the_roadmap_figure():
    # guidebook 10.4 ③ 図23: Phase1 既存資産活用継続 → Phase2 変換コネクタ整備 → Phase3 新規規格の標準化 → Phase4 レガシー規格の縮退
    def phase(methods, status=None, model="医療機関"):
        d = one_asset(method=methods, model=model)
        d["services"].append({"id": "new", "name": "新サービス", "platform": "area"})
        d["data_map"]["services"].append(
            {"service": "new", "field": "健康", "intake": ["b"], **({"status": status} if status else {})}
        )
        d["data_map"]["assets"].append(
            {
                "id": "b",
                "name": "介護サービス事業所一覧",
                "platform": "area",
                "to": ["new"],
                "method": ["NGSI-LD"],
                "model": "介護サービス事業所",
            }
        )
        return datamap(load(d)).migration[0].phase

    assert phase(["NGSI-LD"]) == 4
    assert phase(["NGSI v2"]) == 2
    assert phase(["NGSI v2"], status="計画中") == 3
    d = one_asset(method=["CSV"])
    assert datamap(load(d)).migration[0].phase == 1


def test_common_id_stage_needs_auth_and_two_sign_in_services():
    # 12.2 ① 複数サービスでの「共通ID」の活用 (OIDC itself is not in a data map: said in the evidence)
    res = datamap(load(hospital("あり")))
    assert "common_id" in res.stages[0].reached and "OIDC" in res.stages[0].evidence["common_id"]


def test_published_api_table():
    data = gb_112()
    data["data_map"]["apis"] = [
        {
            "platform": "area",
            "side": "サービス向け",
            "name": "NGSI API",
            "protocol": "NGSI v2",
            "published": True,
            "spec": "https://example.lg.jp/api",
        },
        {
            "platform": "area",
            "side": "データアセット向け",
            "name": "取込API",
            "protocol": "REST",
            "published": False,
        },
    ]
    res = datamap(load(data))
    df = res.apis_frame()
    assert list(df["区分"]) == ["サービス向けAPI", "データアセット向けAPI"]
    assert list(df["公開"]) == ["公開", "非公開"] and list(df["方式"]) == ["NGSI v2", "REST"]
    # without entries, the service-facing protocols are read from the data map's 提供方法 and say so
    plain = datamap(load(gb_112())).apis
    assert {a.protocol for a in plain if a.side == "service"} == {"ngsi_ld", "rest", "file"}
    assert all("推定" in a.basis for a in plain if a.side == "service")
    assert [a.name for a in plain if a.side == "asset"] == ["（記録なし）"]


def test_output_kpis_count_real_use_only():
    # guidebook 8.3 注意点: 接続サービス数は実利用の有無で、連携データアセット数は重複を含めない
    data = gb_112()
    data["services"].append({"id": "idle", "name": "使われていないアプリ", "platform": "area"})
    res = datamap(load(data))
    kpi = {k.code: k for k in res.kpis}
    assert kpi["connected_services"].value == 5 and "登録 6 件" in kpi["connected_services"].note
    assert kpi["cross_field_flows"].value == sum(f.cross_field for f in res.flows)


def test_vision_goals_and_plan_items_come_from_the_data_map():
    pref = load(hospital("なし"))
    goals = vision_goals(pref)
    assert any(g["目標"] == "分野をまたぐデータの流れ" for g in goals.goals)
    items = plan_items(pref)
    ids = {i["id"] for i in items}
    assert "dm-personal-no-consent-area" in ids
    consent = next(i for i in items if i["id"] == "dm-personal-no-consent-area")
    assert consent["consideration"] == 5 and consent["depends_on"] == ["c5-2"]
    plan = wb.action_plan(pref)
    assert "dm-personal-no-consent-area" in {i.id for i in plan.items}


def test_result_json_and_frames_are_japanese():
    res = datamap(load(gb_112()))
    data = res.model_dump(mode="json")
    assert data["has_data_map"] and len(data["flows"]) == len(res.to_frame())
    for df in (
        res.to_staff_frame(),
        res.assets_frame(),
        res.services_frame(),
        res.coverage_frame(),
        res.apis_frame(),
    ):
        assert all(
            c in ("ID", "API") or any("\u3040" <= ch <= "\u9fff" for ch in str(c)) for c in df.columns
        ), list(df.columns)
    text = str(res)
    assert "分野をまたぐ流れ: 5 件" in text


@pytest.mark.parametrize("code", ["07", "09", "10", "24"])
def test_every_sample_has_a_data_map_with_facts_and_assumptions_apart(code):
    pref = wb.load_sample(code)
    dm = pref.data_map
    assert dm is not None and dm.facts and dm.assumptions
    rows = [*dm.services, *dm.assets, *dm.apis]
    assert rows and all(r.basis in ("fact", "assumption") for r in rows)
    assert all(r.source for r in rows if r.basis == "fact")  # a fact names where it comes from
    res = datamap(pref)
    assert res.flows and res.warnings == [] and all(not s.unresolved for s in res.services)
    assert res.facts == dm.facts and res.assumptions == dm.assumptions


def test_the_card_and_the_coverage_chart_read_as_staff_read_them():
    """栃木県's sample: the card names the platform (那須塩原市データ連携基盤 50%, not its id); the coverage
    chart's legend sits above the bars (below them it covered the axis title) and counts whole assets."""
    from workbench.charts.datamap import coverage_figure

    res = wb.datamap(wb.load_sample("09"))
    assert dict(res.card_rows())["標準データモデル準拠率"] == "那須塩原市データ連携基盤 50%"
    fig = coverage_figure(res)
    assert fig.layout.legend.y >= 1 and fig.layout.legend.yanchor == "bottom"
    assert fig.layout.xaxis.dtick == 1


# --- counts and staff text (issue 26, points 8 and 9) -----------------------------------------------------------


def test_a_missing_dataset_several_fields_want_is_counted_once():
    # guidebook 11.3's matrix names 公衆トイレ一覧 for 観光・まち歩き and for 地域防災: one dataset missing, not two
    data = base(
        services=[
            {"id": "kanko", "name": "観光アプリ", "platform": "area"},
            {"id": "bousai", "name": "防災アプリ", "platform": "area"},
        ],
        data_map={
            "services": [{"service": "kanko", "field": "観光"}, {"service": "bousai", "field": "防災"}]
        },
    )
    res = datamap(load(data))
    toilets = [m for m in res.missing if m.dataset == "公衆トイレ一覧"]
    assert len(toilets) == 1 and set(toilets[0].fields) == {"tourism", "disaster"}
    assert len({m.dataset for m in res.missing}) == len(res.missing)
    assert dict(res.card_rows())["不足データ（マトリクス）"] == f"{len(res.missing)} 件"
    row = res.missing_frame().query("不足しているデータ == '公衆トイレ一覧'").iloc[0]
    assert "観光" in row["分野"] and "防災" in row["分野"]


def many_assets(n: int, method: str = "CSV") -> dict:
    assets = [
        {
            "id": f"a{k}",
            "name": f"施設一覧{k}",
            "platform": "area",
            "to": ["app"],
            "method": [method],
            "frequency": "月次",
        }
        for k in range(n)
    ]
    return base(
        services=[{"id": "app", "name": "地図アプリ", "platform": "area"}],
        data_map={
            "services": [{"service": "app", "field": "観光", "intake": [a["id"] for a in assets]}],
            "assets": assets,
        },
    )


def test_stage_evidence_counts_the_other_data():
    res = datamap(load(many_assets(3)))
    assert (
        res.stages[0].evidence["static_gis"] == "静的なデータ: 施設一覧0 ほか 2 件"
    )  # three data, not 「ほか 3 件」
    one = datamap(load(many_assets(1)))
    assert one.stages[0].evidence["static_gis"] == "静的なデータ: 施設一覧0"


def test_the_api_list_shows_files_as_files_and_never_cuts_silently():
    res = datamap(load(many_assets(14, "REST API")))
    rest = res.apis_frame().iloc[0]
    assert rest["扱うデータ"].endswith("ほか 4 件") and len(res.apis[0].data) == 14
    files = datamap(load(many_assets(2, "CSV"))).apis_frame()
    row = files[files["区分"] == "サービス向けAPI"].iloc[0]
    assert row["公開"] == "ファイル提供（APIではない）" and "ファイル提供" in row["API"]


def test_staff_text_names_platforms_and_services_never_their_ids():
    """「河川水位（P1 に接続済み）」「公衆トイレ一覧→bousai」「P1 40%→80%以上」 were shown before (issue 26, point 9)."""
    data = base(
        services=[
            {"id": "bousai", "name": "防災アプリ", "platform": "P1"},
            {"id": "kanko", "name": "観光アプリ", "platform": "P1"},
        ],
        data_map={
            "services": [
                {"service": "bousai", "field": "防災", "intake": ["river"]},
                {"service": "kanko", "field": "観光", "intake": ["spots"]},
            ],
            "assets": [
                {"id": "river", "name": "河川水位", "platform": "P1", "to": ["kanko"], "method": ["CSV"]},
                {"id": "spots", "name": "観光施設一覧", "platform": "P1", "to": ["kanko"], "model": "独自"},
                {
                    "id": "toilets",
                    "name": "公衆トイレ一覧",
                    "platform": "P1",
                    "to": ["kanko"],
                    "model": "公衆トイレ",
                },
                {"id": "aed", "name": "AED設置箇所一覧", "platform": "P1", "model": "独自", "to": ["kanko"]},
                {"id": "event", "name": "イベント一覧", "platform": "P1", "model": "独自", "to": ["kanko"]},
            ],
        },
    )
    data["platforms"][0].update(id="P1", name="県の基盤", api_published=False)
    pref = load(data)
    res = datamap(pref)
    goals = vision_goals(pref, res).goals
    items = plan_items(pref)
    texts = (
        [f.detail for f in res.findings]
        + [g["内容"] for g in goals]
        + [i["title"] + i["notes"] for i in items]
        + [v for _, v in res.card_rows()]
        + [
            str(x)
            for df in (res.findings_frame(), res.candidates_frame(), res.stages_frame())
            for x in df.to_numpy().ravel()
        ]
    )
    joined = "\n".join(texts)
    for ident in ("P1", "bousai", "kanko", "river", "spots", "toilets"):
        assert not re.search(rf"(?<![A-Za-z0-9_-]){ident}(?![A-Za-z0-9_-])", joined), ident
    assert "河川水位（県の基盤 に接続済み）" in joined and "→防災アプリ" in joined and "県の基盤 " in joined
    assert "guidebook" not in "".join(res.findings_frame()["根拠"]) and "ガイドブック" in "".join(
        res.findings_frame()["根拠"]
    )


@pytest.mark.parametrize("code", ["07", "09", "10", "24"])
def test_the_samples_staff_text_has_no_ids(code):
    pref = wb.load_sample(code)
    res = datamap(pref)
    texts = [f.detail for f in res.findings] + [g["内容"] for g in vision_goals(pref, res).goals]
    texts += [i["title"] + i["notes"] for i in plan_items(pref)] + [v for _, v in res.card_rows()]
    joined = "\n".join(texts)
    for ident in [p.id for p in pref.platforms] + [s.id for s in pref.services]:
        assert not re.search(rf"(?<![A-Za-z0-9_-]){re.escape(ident)}(?![A-Za-z0-9_-])", joined), ident
