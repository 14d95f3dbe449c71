"""Step 1 classification: every before-type, after-type, pattern-flow branch and issue rule.

Synthetic cases exercise every branch; the cases taken from the sources themselves are in
tests/test_sources.py (tests/sources/*.yaml)."""

import pytest

import workbench as wb
from workbench import reference
from workbench.classify import shortest_path
from workbench.inventory import Platform, Prefecture, Service, Target

FULL = ["auth", "non_personal", "personal"]
FED_B = {"auth_federation_with": ["b"], "data_federation_with": ["b"]}


def plat(pid="p", op="072028", comps=FULL, **kw):
    kw.setdefault("identity_proofing", 2)
    kw.setdefault("authenticator", 2)
    kw.setdefault("means", ["ekyc_ic", "passkey"])
    kw.setdefault(
        "terms",
        {
            "exists": True,
            "component_responsibility": True,
            "platform_service_split": True,
            "certification_audit": True,
        },
    )
    kw.setdefault("modules", ["orion", "personal_data_module"])
    kw.setdefault("api_published", True)
    kw.setdefault("non_personal_broker", "internal_separated")
    kw.setdefault("personal_broker", "external")
    kw.setdefault("field", "cross")
    kw.setdefault("data_models", ["自治体標準オープンデータセット"])
    if "auth" not in comps:
        kw.pop("identity_proofing"), kw.pop("authenticator"), kw.pop("means")
    return Platform(id=pid, name=f"基盤{pid}", operated_by=op, components=comps, **kw)


def pref(platforms=(), services=(), target=None, code="07"):
    return Prefecture(
        prefecture=code,
        platforms=list(platforms),
        services=list(services),
        target=Target(**target) if target else None,
    )


def codes(result):
    return {i.code for i in result.issues}


# --- before-types --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "comps, scheme, expected",
    [
        (FULL, "municipality", "1.2"),
        (FULL, "both", "1.3"),
        (FULL, "private", "1.3"),
        (["non_personal"], "municipality", "1.4"),
        (["auth", "non_personal"], "both", "1.4"),
        (["auth", "personal"], "municipality", "1.5"),
        (["personal"], "both", "1.5"),
    ],
)
def test_every_before_type(comps, scheme, expected):
    r = wb.classify(pref([plat(comps=comps, service_scheme=scheme)]))
    assert r.before[0].type == expected
    assert r.before[0].municipality == "072028"
    assert r.current_type == expected


def test_no_platform_is_1_1_and_pattern_a():
    r = wb.classify(pref())
    assert r.current_type == "1.1" and r.before == [] and r.pattern == "A"
    assert r.counts.model_dump() == {"auth": 0, "non_personal": 0, "personal": 0}
    assert r.pattern_target_assumed


def test_planned_platforms_are_not_counted():
    r = wb.classify(pref([plat(status="planned")]))
    assert r.current_type == "1.1" and r.counts.non_personal == 0


def test_several_unshared_platforms_join_their_types_in_list_order():
    r = wb.classify(pref([plat("a", comps=["non_personal"]), plat("b", op="072010", comps=FULL)]))
    assert r.current_type == "1.4+1.2"
    assert [b.platform for b in r.before] == ["a", "b"]


def test_counts_non_personal_and_personal_separately():
    r = wb.classify(
        pref([plat("a", comps=["non_personal"]), plat("b", op="072010", comps=["auth", "personal"])])
    )
    assert r.counts.model_dump() == {"auth": 1, "non_personal": 1, "personal": 1}


# --- after-types (the three questions in order) ---------------------------------------------------


@pytest.mark.parametrize(
    "source, scope, providers, expected",
    [
        ("single", "municipal", "municipalities", "2.1"),
        ("single", "prefectural", "municipalities", "2.2"),
        ("single", "municipal", "mixed", "2.3"),
        ("single", "prefectural", "mixed", "2.4"),
        ("multiple", "municipal", "municipalities", "2.5"),
        ("multiple", "prefectural", "municipalities", "2.6"),
        ("multiple", "municipal", "mixed", "2.7"),
        ("multiple", "prefectural", "mixed", "2.8"),
    ],
)
def test_every_after_type_from_the_target(source, scope, providers, expected):
    r = wb.classify(pref([plat()], target={"source": source, "user_scope": scope, "providers": providers}))
    assert r.after.type == expected
    if expected in ("2.6", "2.8"):
        assert any("整合" in d for d in r.after.demands)
    if expected == "2.8":
        assert r.after.data_federation
    assert r.after.goal == (expected == "2.4")


@pytest.mark.parametrize(
    "platforms, expected",
    [
        ([plat(municipalities=["072028", "072010"], service_scheme="municipality")], "2.1"),
        (
            [
                plat(
                    municipalities=["072028", "072010"],
                    service_scheme="municipality",
                    user_scope="prefectural",
                )
            ],
            "2.2",
        ),
        ([plat(municipalities=["072028", "072010"], service_scheme="both")], "2.3"),
        ([plat(op="prefecture", service_scheme="both", user_scope="prefectural")], "2.4"),
        ([plat(op="operating_body", service_scheme="municipality")], "2.1"),
        (
            [
                plat("a", municipalities=["072028", "072010"], service_scheme="municipality", **FED_B),
                plat("b", op="072036", service_scheme="municipality"),
            ],
            "2.5",
        ),
        (
            [
                plat("a", op="prefecture", service_scheme="municipality", user_scope="prefectural", **FED_B),
                plat("b", op="072036", service_scheme="municipality"),
            ],
            "2.6",
        ),
        (
            [
                plat("a", municipalities=["072028", "072010"], service_scheme="both", **FED_B),
                plat("b", op="072036", service_scheme="municipality"),
            ],
            "2.7",
        ),
        (
            [
                plat("a", op="prefecture", service_scheme="both", user_scope="prefectural", **FED_B),
                plat("b", op="072036", service_scheme="municipality"),
            ],
            "2.8",
        ),
        (  # not federated: the municipal platform is no source of the shared arrangement (2.4 + 1.2)
            [
                plat("a", op="prefecture", service_scheme="both", user_scope="prefectural"),
                plat("b", op="072036", service_scheme="municipality"),
            ],
            "2.4+1.2",
        ),
        (  # a shared platform and one run alone: "2.2+1.3" (CONTRACT.md current_type)
            [
                plat("a", op="prefecture", service_scheme="municipality", user_scope="prefectural"),
                plat("b", op="072036", service_scheme="both"),
            ],
            "2.2+1.3",
        ),
    ],
)
def test_current_type_of_already_shared_platforms(platforms, expected):
    assert wb.classify(pref(platforms)).current_type == expected


def test_2_8_without_alignment_is_2_8_with_the_failed_condition_shown():
    # guidebook 第3.0版 7.1: the type follows the 判定フロー's answers (複数・都道府県内・官民混在 → 型2.8); its own
    # condition 「整合あり」 that fails is a finding and the wording 「型2.8（条件未達: …）」, never 型2.7
    a = plat("a", op="prefecture", service_scheme="both", user_scope="prefectural", **FED_B)
    b = plat("b", op="072036", service_scheme="municipality", authenticator=1, means=["ekyc_ic", "password"])
    r = wb.classify(pref([a, b]))
    assert r.current_type == "2.8" and r.conditions_met is False
    assert r.arrangements[0].unmet_conditions == ["個人認証レベルの整合"]
    assert r.current_text == "型2.8（条件未達: 個人認証レベルの整合）"
    assert {"FED_LEVEL_MISMATCH", "TYPE_CONDITION_UNMET"} <= codes(r)


def test_private_services_make_providers_mixed():
    p = plat(municipalities=["072028", "072010"], service_scheme="municipality")
    s = Service(id="s", name="民間サービス", platform="p", provider="private")
    assert wb.classify(pref([p], [s])).current_type == "2.3"


# --- the pattern flow: every branch ---------------------------------------------------------------

TARGET_24 = {"source": "single", "user_scope": "prefectural", "providers": "mixed"}


def test_flow_none_running_gives_a():
    r = wb.classify(pref(target=TARGET_24))
    assert r.pattern == "A" and [s.answer for s in r.flow] == ["0"]
    assert [s.type for s in r.path_to_goal] == ["1.1", "2.1", "2.2", "2.4"]


def test_flow_one_running_not_widened_gives_a():
    # ガイドブック第3.0版 8.2 図: 型1.2等 → 利用者の範囲を広げるか？ → 市区町村内に閉じる → パターンA（新規構築／
    # 近隣市区町村との共同利用）; guidebook-ver3.md では型2.1等（パターンなし）
    r = wb.classify(
        pref([plat()], target={"source": "single", "user_scope": "municipal", "providers": "mixed"})
    )
    assert r.pattern == "A" and [s.answer for s in r.flow] == ["1", "no"]
    # the other published text's reading is said where it concerns the pattern shown, without its file name
    assert "もう一つの公開本文" in r.pattern_reading and ".md" not in r.pattern_reading


def test_flow_one_running_widened_by_default_is_b():
    r = wb.classify(pref([plat(comps=["non_personal"])], target=TARGET_24))
    assert r.pattern == "B" and [s.answer for s in r.flow] == ["1", "yes", "expand"]
    assert [s.type for s in r.path_to_goal] == ["1.4", "2.4"]  # 8.2: パターンB → 型2.2、型2.4
    t22 = {**TARGET_24, "providers": "municipalities"}
    r22 = wb.classify(pref([plat(comps=["non_personal"])], target=t22))
    assert [s.type for s in r22.path_to_goal] == ["1.4", "2.2", "2.4"]


def test_flow_join_a_hub_is_d_with_shortest_path():
    hub = plat("hub", op="prefecture", status="building")
    r = wb.classify(pref([plat(comps=["non_personal"]), hub], target={**TARGET_24, "hub": "hub"}))
    assert r.pattern == "D" and r.flow[-1].answer == "join"
    assert [s.type for s in r.path_to_goal] == ["1.4", "2.4"]
    assert "2.4" in r.pattern_reading and "表" in r.pattern_reading


def test_flow_explicit_approach_join():
    r = wb.classify(pref([plat()], target={**TARGET_24, "approach": "join"}))
    assert r.pattern == "D"


def test_flow_several_running_integrate_is_c():
    r = wb.classify(pref([plat("a"), plat("b", op="072010")], target=TARGET_24))
    assert r.pattern == "C" and r.flow[-1].answer == "integrate"
    assert "型2.6・型2.8" in r.pattern_reading and "図と本文では型2.8のみ" in r.pattern_reading


def test_flow_several_running_link():
    r = wb.classify(
        pref(
            [plat("a"), plat("b", op="072010")],
            target={"source": "multiple", "user_scope": "municipal", "providers": "mixed"},
        )
    )
    assert r.pattern == "link" and r.pattern_text() == r.pattern_label  # no letter, no code shown
    # 8.2 型の選定指針:「無理に1つに統合して破綻させるのを避け、お互いのシステムを安全なハブで結ぶ「パターンC」」 —
    # not integrating but widening to the prefecture is C in the text (the figure calls it 基盤間連携: both said)
    r2 = wb.classify(pref([plat("a"), plat("b", op="072010")], target={**TARGET_24, "approach": "link"}))
    assert r2.pattern == "C" and not r2.pattern_from_approach and "APPROACH_CONFLICT" not in codes(r2)
    assert "安全なハブで結ぶ" in r2.pattern_reading and "図" in r2.pattern_reading


def test_work_items_come_from_the_pattern_table():
    for pattern, tgt in [("A", None), ("C", None)]:
        plats = [] if pattern == "A" else [plat("a"), plat("b", op="072010")]
        r = wb.classify(pref(plats, target=tgt or TARGET_24))
        table = reference.table("pattern_work_items.csv")
        assert len(r.work_items) == (table["pattern"] == pattern).sum() > 0


def test_target_outside_the_pattern_is_an_issue():
    r = wb.classify(pref(target={"source": "multiple", "user_scope": "municipal", "providers": "mixed"}))
    assert r.pattern == "A" and "TARGET_PATTERN_MISMATCH" in codes(r)


# --- the issue rules ------------------------------------------------------------------------------

RULE_CASES = {
    "TERMS_MISSING": lambda: pref([plat(terms={"exists": False})]),
    "TERMS_NO_SPLIT": lambda: pref(
        [plat(terms={"exists": True, "component_responsibility": True, "certification_audit": True})]
    ),
    "TERMS_NO_COMPONENT": lambda: pref(
        [plat(terms={"exists": True, "platform_service_split": True, "certification_audit": True})]
    ),
    "NO_CERT_AUDIT": lambda: pref(
        [plat(terms={"exists": True, "platform_service_split": True, "component_responsibility": True})]
    ),
    "BROKER_SHARED_DB": lambda: pref([plat(personal_broker="internal_shared", op="operating_body")]),
    "BROKER_SHARED_DB_PLANNED": lambda: pref([plat(personal_broker="internal_shared")], target=TARGET_24),
    "NP_BROKER_SHARED_DB": lambda: pref(
        [plat("a", non_personal_broker="internal_shared"), plat("b", op="072010")], target=TARGET_24
    ),
    "COMPONENTS_MISSING": lambda: pref([plat(comps=[])]),
    "FIELD_UNKNOWN": lambda: pref([plat(field=None)]),
    "SCHEME_CONFLICT": lambda: pref(
        [plat(service_scheme="municipality")],
        [Service(id="s", name="民間サービス", platform="p", provider="private", contracted=False)],
    ),
    "CONTRACT_UNKNOWN": lambda: pref(
        [plat(service_scheme="municipality")], [Service(id="s", name="s", platform="p", provider="private")]
    ),
    "HEALTH_AUTH_BELOW_PUBLIC": lambda: pref(
        [plat()], [Service(id="s", name="健康保険の手続き", platform="p", personal_data=True)]
    ),
    "SERVICE_CATEGORY_UNKNOWN": lambda: pref(
        [plat()], [Service(id="s", name="市民アンケート", platform="p", personal_data=True)]
    ),
    "DATA_MODEL_NOT_STANDARD": lambda: pref([plat(data_models=["ベンダ独自形式（標準データモデル非準拠）"])]),
    "TYPE_CONDITION_UNMET": lambda: pref(
        [
            plat("a", op="prefecture", service_scheme="both", user_scope="prefectural", **FED_B),
            plat("b", op="072036", authenticator=1, means=["password"]),
        ]
    ),
    "APPROACH_CONFLICT": lambda: pref([plat()], target={**TARGET_24, "approach": "integrate"}),
    "DATA_MODEL_UNKNOWN": lambda: pref([plat(data_models=[])]),
    "NO_API": lambda: pref([plat(api_published=False)]),
    "API_UNKNOWN": lambda: pref([plat(api_published=None)]),
    "NO_MODULE": lambda: pref([plat(modules=[])]),
    "DATA_FED_WITHOUT_AUTH_FED": lambda: pref(
        [plat("a", data_federation_with=["b"]), plat("b", op="072010")]
    ),
    "P1_MULTIPLE_PER_FIELD": lambda: pref(
        [plat("a", field="tourism"), plat("b", op="072010", field="tourism")]
    ),
    "P2_MULTIPLE_CROSS": lambda: pref([plat("a"), plat("b", op="072010")]),
    "SHARED_NO_OPERATING_BODY": lambda: pref([plat(municipalities=["072028", "072010"])]),
    # not on 並列型 (guide 2.7); tested in tests/test_sources.py with 多気町ほか4町
    "PERSONAL_WITHOUT_AUTH": lambda: pref([plat(comps=["personal"])]),
    "AUTH_LEVELS_UNKNOWN": lambda: pref([plat(identity_proofing=None, authenticator=None, means=[])]),
    "NO_SHARED_AUTH": lambda: pref([plat()]),
    "TARGET_PATTERN_MISMATCH": lambda: pref(
        target={"source": "multiple", "user_scope": "municipal", "providers": "mixed"}
    ),
}


@pytest.mark.parametrize("code", sorted(RULE_CASES))
def test_every_issue_rule_fires_on_its_case(code):
    r = wb.classify(RULE_CASES[code]())
    hits = [i for i in r.issues if i.code == code]
    assert hits, f"{code} did not fire: {codes(r)}"
    rule = reference.table("issue_rules.csv").set_index("code").loc[code]
    assert hits[0].severity == rule["severity"] and hits[0].source == rule["source"]
    assert hits[0].message.startswith(rule["message_ja"])


def test_a_clean_prefectural_platform_has_no_issues():
    r = wb.classify(pref([plat(op="prefecture", user_scope="prefectural")]))
    assert r.issues == [], [i.code for i in r.issues]


def test_every_rule_in_the_table_is_covered_by_a_test():
    table = set(reference.table("issue_rules.csv")["code"])
    auth_rules = {
        "SERVICE_LEVEL_GAP",
        "FED_LEVEL_MISMATCH",
        "MULTI_PREF_UNALIGNED",
        "DECLARED_MISMATCH",
        "MEANS_EXPIRED",
        "MEANS_EXPIRING",
        "DENIED_FLOW",
    }  # tests/test_auth*.py
    datamap_rules = {c for c in table if c.startswith("DM_")}  # tests/test_datamap.py
    assert table - auth_rules - datamap_rules == set(RULE_CASES)


def test_issues_are_ordered_by_severity():
    r = wb.classify(pref([plat(terms={"exists": False}, api_published=None, modules=[])]))
    order = {"high": 0, "medium": 1, "low": 2}
    assert [order[i.severity] for i in r.issues] == sorted(order[i.severity] for i in r.issues)


# --- results --------------------------------------------------------------------------------------


def test_contract_json_keys():
    d = wb.classify(wb.load_sample("07")).model_dump(mode="json")
    assert set(d["prefecture"]) == {"code", "name"}
    assert set(d["counts"]) == {"auth", "non_personal", "personal"}
    assert all(set(b) >= {"platform", "municipality", "type"} for b in d["before"])
    assert d["pattern"] in {"A", "B", "C", "D", "link", "none"}
    assert d["after"]["type"] == "2.4"
    assert all(set(i) >= {"code", "platform", "severity", "message", "source"} for i in d["issues"])


@pytest.mark.parametrize(
    "code, current, pattern, path",
    [
        ("07", "2.8", "none", ["2.8", "2.4"]),  # levels apart (assumption): 型2.8（条件未達）, all shared
        ("09", "1.4", "D", ["1.4", "2.4"]),
        ("10", "2.3", "none", ["2.3", "2.4"]),  # めぶくグラウンド (operating body) with outside members
        ("24", "2.3", "none", ["2.3", "2.4"]),  # 多気町ほか4町, 並列型
    ],
)
def test_samples_classify_as_documented(code, current, pattern, path):
    r = wb.classify(wb.load_sample(code))
    assert (r.current_type, r.pattern) == (current, pattern)
    assert [s.type for s in r.path_to_goal] == path


def test_frames_and_card():
    r = wb.classify(wb.load_sample("24"))
    assert len(r.to_staff_frame()) == 1 and "共同利用前の型" in r.to_staff_frame().columns
    assert list(r.issues_frame().columns) == ["重要度", "コード", "基盤", "サービス", "課題", "根拠"]
    html = r._repr_html_()
    assert "三重県" in html and "型2.3" in html and "課題リスト" in html
    assert "SHARED_NO_OPERATING_BODY" not in codes(r)  # 並列型 (guide 2.7)
    assert list(r.arrangements_frame()["型"]) == ["型2.3"]


def test_staff_tables_name_platforms_and_services_and_the_json_keeps_the_ids():
    """福島県's sample: the 課題リスト and the breakdown of today's type name what the file calls its platforms and
    services (staff read 会津若松市 都市OS（仮称）, not aizu-platform); the JSON keeps the ids."""
    pref = wb.load_sample("07")
    r = wb.classify(pref)
    names = {p.id: p.name for p in pref.platforms} | {s.id: s.name for s in pref.services}
    df = r.issues_frame()
    assert not set(df["基盤"]) & set(names) and not set(df["サービス"]) & set(names)
    assert "会津若松市 都市OS（仮称）" in set(df["基盤"]) and "会津ヘルスケア" in set(df["サービス"])
    assert r.arrangements_frame()["基盤"].tolist() == [
        "福島県データ連携基盤（仮称）・会津若松市 都市OS（仮称）"
    ]
    own = r.issues_frame(platform="aizu-platform")
    assert len(own) == sum(i.platform == "aizu-platform" for i in r.issues) > 0
    assert {i["platform"] for i in r.model_dump()["issues"]} >= {"aizu-platform", "pref-platform"}
    # the texts too: 認証連携 (FED_LEVEL_MISMATCH), 経路 (DENIED_FLOW), 分野横断 (P2), the principles
    texts = [i.message for i in r.issues] + [p.detail for p in r.principles]
    assert not [(t, x) for t in texts for x in names if x in t]
    assert any(
        "会津若松市 都市OS（仮称）の当人認証レベルを1から2に引き上げる（影響: 会津ヘルスケア）" in t
        for t in texts
    )


def test_shortest_path_over_the_type_graph():
    assert [s.type for s in shortest_path("2.5")] == ["2.5", "2.6", "2.4"]
    assert [s.type for s in shortest_path("2.7")] == ["2.7", "2.8", "2.4"]
    assert [s.type for s in shortest_path("2.4")] == ["2.4"]
