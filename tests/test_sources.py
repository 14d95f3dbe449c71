"""The sources as the test suite (issue 11): every body of guide 2.2 and every case study of guidebook 第3.0版
chapter 9 that fixes a type, written only from its source (tests/sources/*.yaml, quote and section inside),
classified here. Where the source leaves the sub-type open, only the group (1.x / 2.x) is checked.

The rule tests below each start from one of those files (a real case) and change one attribute; the quote of
the sentence the rule implements stands beside the test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import workbench as wb
from workbench.classify import arrangements, current_state
from workbench.inventory import Prefecture, Service, Target

SOURCES = Path(__file__).parent / "sources"
FILES = sorted(SOURCES.glob("*.yaml"))


def expected_group(path: Path) -> str:
    m = re.search(r"^# expect-group: (\S+)$", path.read_text("utf-8"), re.M)
    assert m, f"{path.name}: no '# expect-group:' line"
    return m.group(1)


def group(current_type: str) -> str:
    """2.x when any part of today's type is a shared arrangement, else 1.x."""
    return "2.x" if any(t.startswith("2.") for t in current_type.split("+")) else "1.x"


def load(name: str) -> Prefecture:
    return wb.load(SOURCES / name)


def edit(pref: Prefecture, **changes) -> Prefecture:
    """A copy of a source case with top-level changes (platforms, services, target)."""
    data = pref.model_dump(exclude_none=True)
    data.update(changes)
    return Prefecture.model_validate(data, context={"pref_code": pref.code})


def codes(r) -> set[str]:
    return {i.code for i in r.issues}


def test_every_body_of_guide_2_2_and_every_typed_case_of_chapter_9_is_here():
    names = [p.name for p in FILES]
    assert sum(n.startswith("guide_2_2_") for n in names) == 10  # ten bodies, guide 2.2 table
    assert {n for n in names if n.startswith("guidebook_9_")} == {
        "guidebook_9_5_tochigi.yaml",
        "guidebook_9_5_fukushima.yaml",
        "guidebook_9_5_9_6_tottori.yaml",
        "guidebook_9_6_aizuwakamatsu.yaml",
        "guidebook_9_6_maebashi.yaml",
    }
    for p in FILES:
        text = p.read_text("utf-8")
        assert "「" in text and ("ガイド 2." in text or "ガイドブック第3.0版 9." in text), p.name


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_source_case_classifies_in_the_group_its_source_fixes(path):
    r = wb.classify(wb.load(path))
    assert group(r.current_type) == expected_group(path), (r.current_type, r.current_reason)


# --- point 1: an operating body providing the platform is shared use ----------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "guide_2_2_01_ebetsu.yaml",
        "guide_2_2_02_sarabetsu.yaml",
        "guide_2_2_05_maebashi.yaml",
        "guide_2_2_09_kibichuo.yaml",
    ],
)
def test_external_body_alone_in_its_prefecture_is_shared_use(name):
    # guide 2.2: 江別市・更別村・前橋市・吉備中央町「共同利用 実施中」; 2.7「外部組織型」;
    # guidebook 第3.0版 7.1「型2.1：… 運営組織が基盤を提供し、基礎自治体（C1）が…「自分の自治体内向け」に提供」
    r = wb.classify(load(name))
    assert r.before == [] and r.current_type == r.shared_type == "2.1"
    (a,) = r.arrangements
    assert len(a.municipalities) == 1 and "運営組織" in next(iter(a.why_shared.values()))


@pytest.mark.parametrize(
    "name", ["guide_2_2_03_fukushima.yaml", "guide_2_2_08_nara.yaml", "guide_2_2_10_kumamoto.yaml"]
)
def test_prefecture_platform_under_serial_licensing_is_shared_use(name):
    # guide 2.7「都道府県がベンダと契約し、基礎自治体に使用させる（直列型）」: 福島県・奈良県・熊本県、2.2「実施中」
    r = wb.classify(load(name))
    assert group(r.current_type) == "2.x"
    assert "直列型" in next(iter(r.arrangements[0].why_shared.values()))


def test_a_municipal_platform_without_partners_stays_before_sharing():
    # guide 2.2 No.4 那須塩原市「未実施」; guidebook 第3.0版 7.1 型1.4「非パーソナルのみ」
    r = wb.classify(load("guide_2_2_04_nasushiobara.yaml"))
    assert r.current_type == "1.4" and r.arrangements == []
    assert r.before[0].municipality == "092134"


# --- point 2: members outside the prefecture ----------------------------------------------------------


def test_members_of_other_prefectures_are_accepted_counted_and_marked():
    # guide 1.2 (3)「都道府県を超えた取組が行われることは、むしろ好ましい」; guidebook 第3.0版 9.6「北海道江別市や
    # 長崎県大村市、大阪府門真市などへシームレスに横展開」
    pref = load("guidebook_9_6_maebashi.yaml")
    r = wb.classify(pref)
    (a,) = r.arrangements
    assert a.municipalities == ["102016", "012173", "422053", "272230"]
    assert a.outside == ["012173", "422053", "272230"]
    assert pref.municipality_label("012173") == "江別市（北海道・外部の団体）"
    row = r.to_frame().set_index("id").loc["mebuku"]
    assert row["利用団体数"] == 4 and "大村市（長崎県・外部の団体）" in row["うち外部の団体"]
    from workbench.charts import classify as cc

    df = cc.municipality_use_frame(pref)
    assert df["outside"].sum() == 3
    assert "ほか外部の団体 3" in cc.municipalities_figure(pref).layout.title.text


def test_outside_member_of_a_platform_makes_a_single_user_platform_shared():
    # the same 9.6 sentence read from 前橋市 alone: with its three outside users it is shared use
    pref = load("guidebook_9_6_maebashi.yaml")
    p = pref.platforms[0].model_dump(exclude_none=True) | {"operated_by": "102016", "organisation": None}
    r = wb.classify(edit(pref, platforms=[p]))
    assert r.current_type.startswith("2.") and "うち外部の団体3" in r.arrangements[0].why_shared["mebuku"]


# --- point 3: one shared arrangement beside platforms run alone -----------------------------------------


def test_shared_prefectural_platform_beside_a_municipal_one_is_typed_side_by_side():
    # guidebook 第3.0版 9.5「栃木県では、2026年3月にエリアデータ連携基盤の運用を開始…県内全25市町のデータを集約」
    # beside guide 2.2 No.4 那須塩原市（未実施）: the shared arrangement gets its 2.x, 那須塩原市 keeps 1.4.
    tochigi = load("guidebook_9_5_tochigi.yaml")
    nasu = load("guide_2_2_04_nasushiobara.yaml")
    both = edit(
        tochigi, platforms=[p.model_dump(exclude_none=True) for p in tochigi.platforms + nasu.platforms]
    )
    r = wb.classify(both)
    assert r.current_type == f"{r.shared_type}+1.4" and r.shared_type.startswith("2.")
    assert [b.platform for b in r.before] == ["nasushiobara"]
    assert r.arrangements[0].source == "single"  # 那須塩原市 is not federated into it: not a second source
    assert "単独運営の型1.4" in r.current_reason and "共同利用し" in r.current_reason
    assert r.current_reason.count("。") == 1  # one plain sentence
    assert "nasushiobara" in r.path_to_goal[0].note


def _aizu(levels=((2, 2), (2, 2)), data=True, auth=True, scope="prefectural", mixed=True) -> Prefecture:
    pref = load("guidebook_9_6_aizuwakamatsu.yaml")
    ps = []
    for p, (ip, au) in zip(pref.platforms, levels, strict=True):
        d = p.model_dump(exclude_none=True)
        d |= {"identity_proofing": ip, "authenticator": au, "user_scope": scope}
        d["service_scheme"] = "both" if mixed else "municipality"
        if not data:
            d.pop("data_federation_with", None)
        if not auth:
            d.pop("auth_federation_with", None)
        ps.append(d)
    return edit(pref, platforms=ps)


def test_federated_platforms_form_one_multi_platform_arrangement():
    # guidebook 第3.0版 9.6「福島県が構築する全県エリアデータ連携基盤…とのID・サービス接続へ拡張」;
    # 7.1 型2.8「認証連携とデータ連携を両立する複数基盤系の高度統合形」
    r = wb.classify(_aizu())
    (a,) = r.arrangements
    assert a.platforms == ["aizu", "fukushima-pref"] and a.source == "multiple"
    assert r.current_type == "2.8" and a.unmet == []


def test_2_8_needs_its_conditions_and_says_which_one_fails():
    # 型2.x比較表: 型2.8「整合あり」「認証連携とデータ連携を両立」 — with data federation removed it is not 2.8
    r = wb.classify(_aizu(data=False))
    assert r.current_type == "2.7" and r.arrangements[0].table_type == "2.8"
    assert any("データ連携がない" in u for u in r.arrangements[0].unmet)
    assert "TYPE_CONDITION_UNMET" in codes(r)
    assert [s.type for s in r.path_to_goal] == ["2.7", "2.8", "2.4"]
    assert "データ連携がない" in r.path_to_goal[1].note
    # … and with the levels apart (FED_LEVEL_MISMATCH) it is not 2.8 either
    r2 = wb.classify(_aizu(levels=((2, 1), (2, 2))))
    assert r2.current_type == "2.7" and {"FED_LEVEL_MISMATCH", "TYPE_CONDITION_UNMET"} <= codes(r2)
    assert any("揃っていない" in u for u in r2.arrangements[0].unmet)


def test_2_6_needs_aligned_levels_only():
    # 型2.6「複数 | 自治体 | 都道府県内 | 整合あり」
    assert wb.classify(_aizu(mixed=False, data=False)).current_type == "2.6"
    assert wb.classify(_aizu(mixed=False, levels=((3, 3), (2, 2)))).current_type == "2.5"


def test_without_any_federation_two_shared_platforms_are_two_arrangements():
    r = wb.classify(_aizu(data=False, auth=False))
    assert len(r.arrangements) == 2 and all(a.source == "single" for a in r.arrangements)
    assert r.current_type == "2.4+2.4"


# --- point 4 and 5: contracted vendors; 1.2/1.3 read from the services --------------------------------


def _odawara(*services: dict, scheme: str = "municipality") -> Prefecture:
    pref = load("guide_2_2_06_odawara.yaml")
    p = pref.platforms[0].model_dump(exclude_none=True) | {"service_scheme": scheme}
    return edit(pref, platforms=[p], services=list(services))


POINT = {"id": "point", "name": "ポイントサービス", "platform": "odawara", "provider": "private"}


def test_contracted_vendor_counts_as_the_municipality():
    # guide 3.4「民間のみ … ただし、自治体から業務委託を請けた民間業者はこの対象ではない。」
    assert wb.classify(_odawara(POINT | {"contracted": True})).current_type == "1.2"
    r = wb.classify(_odawara(POINT | {"contracted": False}))
    assert r.current_type == "1.3" and "SCHEME_CONFLICT" in codes(r)


def test_unknown_contract_that_decides_the_type_is_reported():
    r = wb.classify(_odawara(POINT))
    assert r.current_type == "1.3" and "CONTRACT_UNKNOWN" in codes(r) and "SCHEME_CONFLICT" not in codes(r)
    assert "CONTRACT_UNKNOWN" not in codes(wb.classify(_odawara(POINT, scheme="both")))


def test_the_word_jigyosha_is_not_mapped_silently():
    with pytest.raises(wb.InputError) as e:
        wb.loads(
            "prefecture: 神奈川県\nplatforms:\n  - {id: o, name: o, operated_by: 小田原市, components: [personal]}\n"
            "services:\n  - {id: s, name: s, platform: o, provider: 事業者}\n"
        )
    assert "業務委託" in str(e.value)


def test_private_service_on_a_platform_marked_municipal_only_is_1_3_and_reported():
    # guide 3.4 サービス提供スキーム「自治体と民間: … どちらからも提供している状態」
    r = wb.classify(_odawara(POINT | {"contracted": False}, scheme="municipality"))
    hit = next(i for i in r.issues if i.code == "SCHEME_CONFLICT")
    assert r.before[0].type == "1.3" and "ポイントサービス" in hit.message


# --- point 6: incomplete input ------------------------------------------------------------------------


def test_a_running_platform_without_components_is_incomplete_not_1_1():
    # guide 3.5 Step1フロー「基盤毎の俯瞰図を作成」; guidebook 第3.0版 7.1 型1.x「基盤の種類」
    pref = load("guide_2_2_10_kumamoto.yaml")
    p = pref.platforms[0].model_dump(exclude_none=True) | {"components": []}
    r = wb.classify(edit(pref, platforms=[p]))
    assert r.undetermined == ["kumamoto-pref"] and "COMPONENTS_MISSING" in codes(r)
    assert r.counts.model_dump() == {"auth": 0, "non_personal": 0, "personal": 0}
    assert "未確定" in dict(r.card_rows())["現在の型"] and "構成が未記入" in r.current_reason
    assert r.path_to_goal == [] and r.current_label.startswith("未確定")


# --- point 7: health services need public personal authentication -------------------------------------


@pytest.mark.parametrize("category, fires", [("resident", True), ("points", True), ("public", False)])
def test_health_service_below_public_authentication_is_a_finding(category, fires):
    # guide 2.2 No.7「ヘルスケアサービスのデータをポイントサービスに連携」; guide 4.1 2/2「公的な個人認証が必要な
    # サービス（健康保険・ヘルスケア・電子申請など）」
    pref = load("guide_2_2_07_taki.yaml")
    health = {"id": "health", "name": "ヘルスケアサービス", "platform": "taki", "category": category}
    points = {"id": "points", "name": "ポイントサービス", "platform": "taki", "category": "points"}
    r = wb.classify(edit(pref, services=[health, points]))
    hits = [i for i in r.issues if i.code == "HEALTH_AUTH_BELOW_PUBLIC"]
    assert bool(hits) == fires and all(i.service == "health" for i in hits)
    if hits:
        assert hits[0].severity == "high" and hits[0].source.startswith("guide 4.1")


def test_health_aliases_map_to_public_authentication():
    assert wb.reference.enum_code("service_category", "ヘルスケア") == "public"
    assert wb.reference.enum_code("service_category", "健康保険") == "public"


# --- point 8: 並列型 -----------------------------------------------------------------------------------


def test_parallel_licensing_is_a_valid_organisation():
    # guide 2.7「各基礎自治体がベンダと契約し、各基礎自治体が使用する（並列型）」: 多気町（大台町、昭和町、度会町、紀北町）
    pref = load("guide_2_2_07_taki.yaml")
    r = wb.classify(pref)
    assert r.arrangements[0].organisation == "parallel" and "SHARED_NO_OPERATING_BODY" not in codes(r)
    p = pref.platforms[0].model_dump(exclude_none=True)
    p.pop("organisation")
    assert "SHARED_NO_OPERATING_BODY" in codes(wb.classify(edit(pref, platforms=[p])))


# --- point 9: separation of the data layers -----------------------------------------------------------


def test_unshared_open_data_platform_gets_no_high_broker_finding():
    # guidebook 第3.0版 4.3 内部（データベース分離なし）「まとめて扱いやすい反面、組織ごとのデータ状態の把握が
    # 難しくなる場合があります」 — a concern, not a high-severity fault, for 那須塩原市's non-personal platform
    pref = load("guide_2_2_04_nasushiobara.yaml")
    p = pref.platforms[0].model_dump(exclude_none=True) | {"non_personal_broker": "internal_shared"}
    r = wb.classify(edit(pref, platforms=[p]))
    assert not [i for i in r.issues if "BROKER" in i.code and i.severity == "high"]


def test_shared_platform_must_separate_the_personal_layer():
    # guidebook 第3.0版 8.2 パターンA「個人データを扱う層（パーソナルデータ管理層）を、サービス提供組織単位で確実に
    # 論理分離すること」（B・D も同旨）
    pref = load("guide_2_2_07_taki.yaml")
    p = pref.platforms[0].model_dump(exclude_none=True) | {"personal_broker": "internal_shared"}
    r = wb.classify(edit(pref, platforms=[p]))
    hit = next(i for i in r.issues if i.code == "BROKER_SHARED_DB")
    assert hit.severity == "high" and "8.2" in hit.source


def test_unshared_platform_about_to_be_shared_needs_separation_planned():
    pref = load("guide_2_2_06_odawara.yaml")
    p = pref.platforms[0].model_dump(exclude_none=True) | {"personal_broker": "internal_shared"}
    r = wb.classify(edit(pref, platforms=[p]))
    assert r.pattern == "B" and "BROKER_SHARED_DB_PLANNED" in codes(r) and "BROKER_SHARED_DB" not in codes(r)


def test_pattern_c_asks_separation_of_the_non_personal_layer():
    # guidebook 第3.0版 8.2 パターンC「「非パーソナルデータ管理層」についても、サービス提供組織・地域ごとに安全に
    # 部屋分け（分離）して管理できるマルチテナント構造」
    pref = _aizu()
    ps = [
        p.model_dump(exclude_none=True) | {"components": ["auth", "non_personal", "personal"]}
        for p in pref.platforms
    ]
    ps[0]["non_personal_broker"] = "internal_shared"
    r = wb.classify(edit(pref, platforms=ps))
    assert r.pattern == "C" and "NP_BROKER_SHARED_DB" in codes(r)


# --- point 10 and 11: openness (data models) and the unknown field -------------------------------------


def test_data_model_part_of_openness_is_checked():
    # guide 1.2 (1)「「分野ごとに整理・標準化されたデータモデルの活用」」
    pref = load("guidebook_9_6_maebashi.yaml")
    pr = {p.code: p for p in wb.classify(pref).principles}["OPEN_DATA_MODEL"]
    assert pr.unknown and not pr.ok and "めぶくグラウンドのエリアデータ連携基盤" in pr.detail  # by its name
    p = pref.platforms[0].model_dump(exclude_none=True) | {"data_models": ["自治体標準オープンデータセット"]}
    r = wb.classify(edit(pref, platforms=[p]))
    assert {p.code: p for p in r.principles}["OPEN_DATA_MODEL"].ok and "DATA_MODEL_UNKNOWN" not in codes(r)


def test_unknown_field_stays_unknown_and_is_reported():
    # guide 1.1「（１）分野別にデータ連携基盤は、原則、各都道府県で１つに限る」「（２）分野間の…１つに限る」
    pref = load("guide_2_2_10_kumamoto.yaml")
    assert pref.platforms[0].field is None
    r = wb.classify(pref)
    prs = {p.code: p for p in r.principles}
    assert "FIELD_UNKNOWN" in codes(r) and prs["P1"].unknown and prs["P2"].unknown
    assert r.principles_frame().set_index("原則").loc[prs["P2"].label, "状態"] == "？"
    p = pref.platforms[0].model_dump(exclude_none=True) | {"field": "cross"}
    r2 = wb.classify(edit(pref, platforms=[p]))
    assert "FIELD_UNKNOWN" not in codes(r2) and not {p.code: p for p in r2.principles}["P2"].unknown


# --- point 13: the pattern flow of guidebook 第3.0版 8.2 -------------------------------------------------


def test_a_single_municipal_platform_kept_within_the_municipality_is_pattern_a():
    # 第3.0版.md 8.2「パターンA … 対象： 【型 1.1】（基盤運営自治体なし）/【型 1.2】（単一市区町村基盤） ➔ 【型 2.1】」
    pref = edit(
        load("guide_2_2_06_odawara.yaml"),
        target={"source": "single", "user_scope": "municipal", "providers": "municipalities"},
    )
    r = wb.classify(pref)
    assert r.current_type == "1.2" and r.pattern == "A"
    assert [s.type for s in r.path_to_goal][:2] == ["1.2", "2.1"]
    assert "guidebook-ver3.md" in r.pattern_reading and "第3.0版.md" in r.guidebook_text


def test_pattern_b_leads_to_2_2_and_2_4():
    # 8.2「パターンB: 広域展開 | 単一市区町村基盤がある | 型2.2、型2.4」
    t = {"source": "single", "user_scope": "prefectural"}
    r22 = wb.classify(edit(load("guide_2_2_06_odawara.yaml"), target=t | {"providers": "municipalities"}))
    r24 = wb.classify(edit(load("guide_2_2_06_odawara.yaml"), target=t | {"providers": "mixed"}))
    assert r22.pattern == r24.pattern == "B"
    assert [s.type for s in r22.path_to_goal] == ["1.2", "2.2", "2.4"]
    assert [s.type for s in r24.path_to_goal] == ["1.2", "2.4"]
    assert "TARGET_PATTERN_MISMATCH" not in codes(r24)


def test_the_approach_the_user_chose_is_respected_and_contradictions_said():
    # 8.2「域内にエリアデータ連携基盤が【複数乱立している】場合 ➔ …「パターンC」」 — 那須塩原市 has one platform
    t = {"source": "single", "user_scope": "prefectural", "providers": "mixed", "approach": "integrate"}
    r = wb.classify(edit(load("guide_2_2_04_nasushiobara.yaml"), target=t))
    assert r.pattern == "C" and r.pattern_from_approach and "APPROACH_CONFLICT" in codes(r)
    t["approach"] = "expand"
    r2 = wb.classify(edit(load("guide_2_2_04_nasushiobara.yaml"), target=t))
    assert r2.pattern == "B" and "APPROACH_CONFLICT" not in codes(r2)


def test_pattern_flow_data_names_the_text_followed_and_the_other():
    flow = wb.reference.yaml_table("pattern_flow.yaml")
    assert "第3.0版.md" in flow["text_followed"] and "guidebook-ver3.md" in flow["text_other"]
    assert flow["patterns"]["A"]["from"][:2] == ["1.1", "1.2"] and flow["patterns"]["B"]["after"] == [
        "2.2",
        "2.4",
    ]


def test_context_rebuilds_for_every_source_case():
    for path in FILES:
        pref = wb.load(path)
        am = wb.match_auth(pref)
        arr = arrangements(pref, am)
        assert all(a.type.startswith("2.") for a in arr)
        assert current_state(pref, am)[3] == arr


def test_target_model_still_accepts_contract_fields():
    assert Target(source="single", user_scope="prefectural", providers="mixed").approach is None
    assert (
        Service(id="s", name="s", platform="p", provider="private", contracted=True).public_provider is True
    )


def test_rules_page_lists_every_rule_and_both_guidebook_texts():
    page = (Path(__file__).parent.parent / "docs" / "classification_rules.md").read_text("utf-8")
    for code in wb.reference.table("issue_rules.csv")["code"]:
        if code.startswith("DM_"):  # データマップの課題（別のページ）
            continue
        assert f"| {code} |" in page, code
    assert "第3.0版.md" in page and "guidebook-ver3.md" in page and "採らなかった読み" in page
