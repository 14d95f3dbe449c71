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
    name = next(p.name for p in pref.platforms if p.id == "mebuku")
    row = r.to_staff_frame().set_index("名称").loc[name]  # staff's table: the platform by name
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
    assert "那須塩原市" in r.path_to_goal[0].note and "nasushiobara" not in r.path_to_goal[0].note


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
    # 型2.x比較表: 型2.8「整合あり」「認証連携とデータ連携を両立」 — with data federation removed the type stays what
    # the 判定フロー's three answers give (複数・都道府県内・官民混在 → 型2.8) and its condition is shown as unmet
    r = wb.classify(_aizu(data=False))
    (a,) = r.arrangements
    assert (
        r.current_type == "2.8" and a.conditions_met is False and a.unmet_conditions == ["基盤間のデータ連携"]
    )
    assert any("データ連携がない" in u for u in a.unmet)
    assert "TYPE_CONDITION_UNMET" in codes(r) and r.conditions_met is False
    assert [s.text() for s in r.path_to_goal] == ["型2.8（条件未達）", "型2.4"]
    assert "データ連携がない" in r.path_to_goal[0].note
    # … and with the levels apart (FED_LEVEL_MISMATCH) it is 型2.8（条件未達: 個人認証レベルの整合）
    r2 = wb.classify(_aizu(levels=((2, 1), (2, 2))))
    assert r2.current_type == "2.8" and {"FED_LEVEL_MISMATCH", "TYPE_CONDITION_UNMET"} <= codes(r2)
    assert any("揃っていない" in u for u in r2.arrangements[0].unmet)
    assert r2.current_text == "型2.8（条件未達: 個人認証レベルの整合）"


def test_2_6_needs_aligned_levels_only():
    # 型2.6「複数 | 自治体 | 都道府県内 | 整合あり」
    r = wb.classify(_aizu(mixed=False, data=False))
    assert r.current_type == "2.6" and r.conditions_met is True
    r2 = wb.classify(_aizu(mixed=False, levels=((3, 3), (2, 2))))
    assert r2.current_type == "2.6" and r2.current_text == "型2.6（条件未達: 個人認証レベルの整合）"


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
    assert r.undetermined_platforms == ["kumamoto-pref"] and "COMPONENTS_MISSING" in codes(r)
    assert r.current_type is None and r.model_dump()["current_type"] is None  # CONTRACT: null + reasons
    assert r.undetermined == [
        "熊本県のデータ連携基盤は運用中ですが、構成（個人認証サービス・非パーソナル・パーソナルのどれを持つか）が未記入です"
    ]
    assert r.counts.model_dump() == {"auth": 0, "non_personal": 0, "personal": 0}
    assert "未確定" in dict(r.card_rows())["現在の型"] and "構成" in r.current_reason
    assert "運用中の基盤がありません" not in r.current_reason and "型1.1" not in str(r)
    assert r.path_to_goal == [] and r.current_label.startswith("未確定")


# --- point 7: health services need public personal authentication -------------------------------------


@pytest.mark.parametrize(
    "category, health_finding, gap",
    [(None, True, False), ("resident", False, True), ("points", False, True), ("public", False, True)],
)
def test_the_kind_of_service_decides_and_an_explicit_category_wins(category, health_finding, gap):
    # guide 2.2 No.7「ヘルスケアサービスのデータをポイントサービスに連携」; guide 4.1 2/2「公的な個人認証が必要な
    # サービス（健康保険・ヘルスケア・電子申請など）」. The category written wins over the name (resident: the
    # resident levels, a SERVICE_LEVEL_GAP on 多気町's platform without authentication, no 4.1 health finding);
    # without one, the name says health and the 4.1 finding is raised, inferred from the name.
    pref = load("guide_2_2_07_taki.yaml")
    health = {"id": "health", "name": "ヘルスケアサービス", "platform": "taki", "personal_data": True}
    if category:
        health["category"] = category
    points = {"id": "points", "name": "ポイントサービス", "platform": "taki", "category": "points"}
    r = wb.classify(edit(pref, services=[health, points]))
    hits = [i for i in r.issues if i.code == "HEALTH_AUTH_BELOW_PUBLIC"]
    assert bool(hits) == health_finding and all(i.service == "health" for i in hits)
    assert any(i.code == "SERVICE_LEVEL_GAP" and i.service == "health" for i in r.issues) == gap
    if hits:
        assert hits[0].severity == "high" and hits[0].source.startswith("guide 4.1")
        assert "サービス名から" in hits[0].message and "種別を" in hits[0].message


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
    # (the two platforms of the 9.6 会津若松市 case, each run alone by one city: the move 1.x + 1.x → 2.x of C)
    pref = _aizu()
    ps = []
    for p, op in zip(pref.platforms, ["072028", "072036"], strict=True):
        d = p.model_dump(exclude_none=True) | {
            "components": ["auth", "non_personal", "personal"],
            "operated_by": op,
        }
        d.pop("organisation", None), d.pop("municipalities", None)
        ps.append(d)
    ps[0]["non_personal_broker"] = "internal_shared"
    r = wb.classify(edit(pref, platforms=ps))
    assert r.current_type == "1.3+1.3" and r.pattern == "C" and "NP_BROKER_SHARED_DB" in codes(r)


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
    assert "もう一つの公開本文" in r.pattern_reading and "第3.0版" in r.guidebook_text
    assert ".md" not in r.pattern_reading + r.guidebook_text  # outputs name no repository files


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
    # 8.2 型の選定指針「域内にエリアデータ連携基盤が【複数乱立している】場合 ➔ 無理に1つに統合して破綻させるのを
    # 避け、お互いのシステムを安全なハブで結ぶ「パターンC」」 — 那須塩原市 has one platform; the message quotes
    # the sentence whole, the clause it turns on included
    t = {"source": "single", "user_scope": "prefectural", "providers": "mixed", "approach": "integrate"}
    r = wb.classify(edit(load("guide_2_2_04_nasushiobara.yaml"), target=t))
    assert r.pattern == "C" and r.pattern_from_approach and "APPROACH_CONFLICT" in codes(r)
    msg = next(i.message for i in r.issues if i.code == "APPROACH_CONFLICT")
    assert "無理に1つに統合して破綻させるのを避け、お互いのシステムを安全なハブで結ぶ「パターンC」" in msg
    assert "…" not in msg and "場合の進め方" in msg and "1つ場合" not in msg
    t["approach"] = "expand"
    r2 = wb.classify(edit(load("guide_2_2_04_nasushiobara.yaml"), target=t))
    assert r2.pattern == "B" and "APPROACH_CONFLICT" not in codes(r2)


def test_pattern_flow_data_names_the_text_followed_and_the_other():
    flow = wb.reference.yaml_table("pattern_flow.yaml")
    assert "第3.0版" in flow["text_followed"] and "もう一つの公開本文" in flow["text_other"]
    assert ".md" not in flow["text_followed"] + flow["text_other"]  # staff-visible: no repository file names
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


# === issue 22: answers the sources would give, round 3 — one case per point, each from its sentence =========


# --- 1. the kind of service decides its authentication need (guide 4.1 2/2) ---------------------------------


def test_22_1_an_explicit_category_wins_over_a_health_name():
    # guide 4.1 2/2「本人の実在性なく当人性のみの確認を行うサービス（ポイントサービスなど）」: a point service is of
    # that kind even when its name says health (多気町: 「ヘルスケアサービスのデータをポイントサービスに連携」, 2.2 No.7)
    pref = load("guide_2_2_07_taki.yaml")
    points = {"id": "hp", "name": "ヘルスケアポイント", "platform": "taki", "category": "points"}
    r = wb.classify(edit(pref, services=[points]))
    assert "HEALTH_AUTH_BELOW_PUBLIC" not in codes(r)
    (s,) = wb.match_auth(edit(pref, services=[points])).services
    assert s.basis == "category" and s.required.model_dump() == {"proofing": 1, "authenticator": 1}


def test_22_1_a_health_service_without_category_gets_the_4_1_finding_inferred_from_its_name():
    # guide 4.1 2/2「公的な個人認証が必要なサービス（健康保険・ヘルスケア・電子申請など）」 — 多気町's platform has no
    # personal authentication (2.2 No.7 gives none); a 健診 service with no category is inferred, never 「充足」
    pref = edit(
        load("guide_2_2_07_taki.yaml"),
        services=[{"id": "kenshin", "name": "健診結果の通知", "platform": "taki", "personal_data": True}],
    )
    r = wb.classify(pref)
    hit = next(i for i in r.issues if i.code == "HEALTH_AUTH_BELOW_PUBLIC")
    assert hit.severity == "high" and hit.service == "kenshin"
    assert "サービス名から" in hit.message and "サービス種別を確認してください" in hit.message
    am = wb.match_auth(pref)
    (s,) = am.services
    assert s.basis == "inferred" and not s.need_known and not s.satisfied
    row = am.to_staff_frame().iloc[0]
    assert row["充足"] != "充足" and "推定" in row["必要"]
    assert "種別の確認が必要 1 件" in dict(am.card_rows())["サインインが必要なサービス"]


def test_22_1_a_personal_service_of_unknown_kind_is_never_shown_as_satisfied():
    # guide 4.1: the need follows the kind of service; a personal-data service whose kind is not given is unknown
    pref = edit(
        load("guide_2_2_07_taki.yaml"),
        services=[{"id": "q", "name": "住民アンケート", "platform": "taki", "personal_data": True}],
    )
    (s,) = wb.match_auth(pref).services
    assert s.basis == "unknown" and not s.satisfied and s.missing[0].kind == "category"
    assert wb.match_auth(pref).to_staff_frame().iloc[0]["充足"] == "要確認"
    assert "SERVICE_CATEGORY_UNKNOWN" in codes(wb.classify(pref))


def test_22_1_staff_read_levels_in_words():
    # guide 3.4 身元確認レベル・当人認証レベル: 「身元確認レベル2・当人認証レベル1」, never 「2/1」 (会津若松市 9.6 case)
    am = wb.match_auth(_aizu(levels=((2, 1), (2, 2))))
    texts = [f.detail for f in am.findings] + am.recommendations
    texts += [str(v) for df in (am.to_staff_frame(), am.federation_frame()) for v in df.to_numpy().ravel()]
    assert not [t for t in texts if re.search(r"\d/\d", t)]
    assert any("身元確認レベル2・当人認証レベル1" in t for t in texts)


# --- 2. a type's words never contradict the facts (guidebook 第3.0版 7.1 判定フロー) ------------------------


def test_22_2_a_prefecture_wide_arrangement_with_levels_apart_is_2_8_with_the_condition_unmet():
    # 7.1「3. 元になった基盤の数は？」「2. 利用者の範囲は？」「1. サービスの提供主体は？」 — 複数・都道府県内・官民混在 is
    # 型2.8; 型2.7's row says 「官民混在サービスを含め、拠点ごとの利用を維持する」 and 7.2 「利用範囲は各自治体内に閉じます」,
    # which the facts deny (9.6: 会津若松市 ⇔ 福島県の全県エリアデータ連携基盤)
    r = wb.classify(_aizu(levels=((2, 1), (2, 2))))
    assert r.current_type == "2.8" and r.current_text == "型2.8（条件未達: 個人認証レベルの整合）"
    assert r.conditions_met is False and "TYPE_CONDITION_UNMET" in codes(r)
    assert "利用者は都道府県内" in r.current_reason and "2.7" not in r.current_reason + str(r)
    assert r.path_to_goal[0].unmet == ["個人認証レベルの整合"]
    # the sample of 福島県 (same two platforms, levels apart by assumption) reads the same
    s = wb.classify(wb.load_sample("07"))
    assert s.current_type == "2.8" and dict(s.card_rows())["現在の型"].startswith("型2.8（条件未達")


def test_22_2_unknown_levels_are_not_an_unmet_condition():
    # 9.6 gives no levels for either platform: the condition cannot be checked (unknown is not "no")
    pref = load("guidebook_9_6_aizuwakamatsu.yaml")
    ps = [p.model_dump(exclude_none=True) | {"user_scope": "prefectural"} for p in pref.platforms]
    r = wb.classify(edit(pref, platforms=ps))
    (a,) = r.arrangements
    assert a.type == "2.6" and a.conditions_met is None and a.unmet == [] and a.unknown
    assert "TYPE_CONDITION_UNMET" not in codes(r) and "条件未確認" in r.current_text


# --- 3. pattern D is joining a hub that runs (guidebook 第3.0版 8.2) ---------------------------------------


def _tochigi_with_nasushiobara(**target) -> Prefecture:
    tochigi, nasu = load("guidebook_9_5_tochigi.yaml"), load("guide_2_2_04_nasushiobara.yaml")
    ps = [p.model_dump(exclude_none=True) for p in tochigi.platforms + nasu.platforms]
    return edit(tochigi, platforms=ps, target=target or None)


def test_22_3_a_city_joining_the_prefectures_running_hub_is_d_without_conflict():
    # 8.2 表「パターンD: 広域基盤への統合 | 市区町村基盤から都道府県基盤へ参加」; 本文「都道府県が用意した、あるいは広域で
    # 運営されている巨大な共通データハブへと合流・移行するパターン」 — 栃木県's hub runs since 2026年3月 (9.5), 那須塩原市
    # runs its own (2.2 No.4): the hub is the destination, not a second platform
    t = {"source": "single", "user_scope": "prefectural", "providers": "mixed"}
    r = wb.classify(_tochigi_with_nasushiobara(**t, approach="join"))
    assert r.current_type.endswith("+1.4") and r.pattern == "D"
    assert "APPROACH_CONFLICT" not in codes(r) and not r.pattern_from_approach
    assert r.flow[0].answer == "1" and "共同利用中の基盤 1 件" in r.flow[0].why
    # without an approach the running hub makes joining the default answer
    r2 = wb.classify(_tochigi_with_nasushiobara(**t))
    assert r2.pattern == "D" and "運用中の共同利用の基盤" in r2.flow[-1].why


# --- 4. 8.2 選定指針 for several platforms, followed as written ---------------------------------------------


def test_22_4_connecting_several_platforms_through_a_hub_is_pattern_c_as_the_text_says():
    # 8.2 型の選定指針「域内にエリアデータ連携基盤が【複数乱立している】場合 ➔ 無理に1つに統合して破綻させるのを避け、
    # お互いのシステムを安全なハブで結ぶ「パターンC」」; the figure reads 「統合せず基盤間をつなぐ」 ➔ 基盤間連携: both said
    pref = _aizu()
    ps = []
    for p, op in zip(pref.platforms, ["072028", "072036"], strict=True):  # each run alone by one city (1.x)
        d = p.model_dump(exclude_none=True) | {"operated_by": op}
        d.pop("organisation", None), d.pop("municipalities", None)
        ps.append(d)
    t = {"source": "multiple", "user_scope": "prefectural", "providers": "mixed", "approach": "link"}
    r = wb.classify(edit(pref, platforms=ps, target=t))
    assert r.pattern == "C" and "APPROACH_CONFLICT" not in codes(r)
    assert "お互いのシステムを安全なハブで結ぶ「パターンC」" in r.pattern_reading
    assert "統合せず基盤間をつなぐ" in r.pattern_reading  # the figure's reading beside it
    page = (Path(__file__).parent.parent / "docs" / "classification_rules.md").read_text("utf-8")
    assert "無理に1つに統合して破綻させるのを避け、お互いのシステムを安全なハブで結ぶ「パターンC」" in page
    assert "➔ …「パターンC」" not in page  # never the quote with its clause elided


# --- 5. a data model written in is not a standard one (guide 1.2 (1), 4.2) -----------------------------------


@pytest.mark.parametrize(
    "models, state, finding",
    [
        (["ベンダ独自形式（標準データモデル非準拠）"], "×", "DATA_MODEL_NOT_STANDARD"),
        (["自治体標準オープンデータセット"], "○", None),
        (["避難所", "医療機関"], "○", None),  # guidebook 第3.0版 10.3 の標準データモデル
        (["めぶくデータ形式"], "？", None),
        ([], "？", "DATA_MODEL_UNKNOWN"),
    ],
)
def test_22_5_open_data_model_is_met_only_by_standard_or_recommended_models(models, state, finding):
    # guide 1.2 (1)「分野ごとに整理・標準化されたデータモデルの活用」; 4.2「活用すべき標準化されたデータモデルの現状を
    # 踏まえ合理的な選択を図る」; guidebook 第3.0版 10.3「推奨する標準データモデル」 (めぶくグラウンド 9.6 case)
    pref = load("guidebook_9_6_maebashi.yaml")
    p = pref.platforms[0].model_dump(exclude_none=True) | {"data_models": models}
    r = wb.classify(edit(pref, platforms=[p]))
    state_of = {x.code: ("？" if x.unknown else "○" if x.ok else "×") for x in r.principles}
    assert state_of["OPEN_DATA_MODEL"] == state, state_of
    if finding:
        assert finding in codes(r)
    assert "すべて記入" not in {x.code: x.detail for x in r.principles}["OPEN_DATA_MODEL"]


# --- 6. costs across prefectures (guide 1.2 (3); guidebook 第3.0版 9.6) -------------------------------------

MAEBASHI_COSTS = """
costs:
  shared: {initial: 150000000, annual_fixed: 30000000, annual_per_member: 3000000}
  standalone: {initial: 45000000, annual: 9000000, scale_by_population: 0.5, overrides: {北海道江別市: {initial: 60000000}}}
  members: [前橋市, 北海道江別市, 長崎県大村市, 大阪府門真市]
  drivers: {前橋市: {users: 30000}, 北海道江別市: {users: 9000}, 長崎県大村市: {users: 7000}, 大阪府門真市: {users: 8000}}
  join_year: {大阪府門真市: 2}
"""


def test_22_6_members_of_other_prefectures_are_costed_with_census_population_and_marked():
    # guide 1.2 (3)「都道府県を超えた取組が行われることは、むしろ好ましいことと考えられる」; guidebook 第3.0版 9.6
    # めぶくグラウンド「定額制のサービス形態をとり、北海道江別市や長崎県大村市、大阪府門真市などへシームレスに横展開」
    from workbench.charts import cost as ccharts
    from workbench.cost.model import with_costs

    text = (SOURCES / "guidebook_9_6_maebashi.yaml").read_text("utf-8") + MAEBASHI_COSTS
    pref = wb.loads(text)  # members, overrides, drivers and join_year outside 群馬県 are accepted
    a = wb.allocate(pref, "population")
    out = {m.code: m for m in a.members if m.outside}
    assert set(out) == {"012173", "422053", "272230"}
    assert out["012173"].name == "江別市（北海道・外部の団体）" and out["012173"].population == 121056
    assert out["272230"].join_year == 2 and a.model_dump()["members"][1]["outside"] is True
    assert a.to_staff_frame()["外部の団体"].tolist() == [False, True, True, True]
    assert abs(sum(m.share for m in a.members) + a.prefecture - a.total) < 1
    # the same scenario built in code keeps them (with_costs)
    again = wb.allocate(with_costs(pref, pref.costs.model_copy()), "population")
    assert [m.outside for m in again.members] == [False, True, True, True]
    # and every chart names them as such
    fig = ccharts.shares_by_rule(wb.compare_rules(pref, ["equal", "population"]))
    assert sum("外部の団体" in str(y) for y in fig.data[0].y) == 3


# --- 7. the schemes say what 9.5 says; outputs cite the sources --------------------------------------------


def test_22_7_tottori_cashless_platform_is_paid_by_the_municipalities_that_use_it():
    # guidebook 第3.0版 9.5 協調・競争領域別負担型（鳥取県）「キャッシュレス基盤は利用する市町村等の負担（サービス利用型）」;
    # 図「基盤整備・運用費用を全額負担（キャッシュレス基盤は除く）」
    row = wb.reference.table("prefecture_schemes.csv").set_index("code").loc["tottori"]
    assert "キャッシュレス基盤は利用する市町村等の負担" in row["description"]
    assert row["source"].startswith("ガイドブック第3.0版 9.5") and "9.6" not in row["source"]
    for table in ("prefecture_schemes.csv", "cost_rules.csv", "cost_drivers.csv", "cost_classes.csv"):
        assert not wb.reference.table(table)["source"].str.contains("DOMAIN").any(), table


def test_22_7_outputs_never_cite_design_notes_and_the_41_percent_case_is_said():
    # guide 2.6「スクラッチ開発でない場合は41%減」
    from workbench.report_vision import vision_markdown

    pref = wb.load_sample("07")
    data = pref.costs.model_dump(exclude_none=True) | {
        "module_effect": True,
        "module_baseline": "non_scratch",
    }
    from workbench.cost.model import with_costs
    from workbench.inventory.costs import CostScenario

    a = wb.allocate(with_costs(pref, CostScenario.model_validate(data)), "shapley")
    assert not [s for s in a.sources if "DOMAIN" in s]
    assert any("スクラッチ開発でない場合は41%減" in line for line in a.summary_lines())
    md = vision_markdown(pref)
    assert "DOMAIN" not in md and "\\_rules.csv" not in md and "出典:\\_" not in md


# --- 8. unknown stays unknown -----------------------------------------------------------------------------


def test_22_8_a_running_platform_without_components_leaves_the_type_undetermined():
    # guide 3.5 Step1フロー（基盤毎に状態を整理）; guidebook 第3.0版 7.1 型1.x「基盤の種類」 — 奈良県's platform runs
    # (2.2 No.8 「実施中」); without its components the type cannot be told, and nothing says no platform runs
    pref = load("guide_2_2_08_nara.yaml")
    p = pref.platforms[0].model_dump(exclude_none=True) | {"components": []}
    r = wb.classify(edit(pref, platforms=[p]))
    assert r.current_type is None and r.undetermined and r.undetermined_platforms == [p["id"]]
    card = dict(r.card_rows())["現在の型"]
    assert "型1.1" not in card and "運用中の基盤がありません" not in r.current_reason
    assert "構成" in r.current_reason and "未記入" in r.current_reason
    # and no principle is said to hold, nor a shared authentication service to be absent, for what is not known
    assert (
        not [x.code for x in r.principles if x.ok] and {x.code: x for x in r.principles}["OPEN_AUTH"].unknown
    )
    assert "NO_SHARED_AUTH" not in codes(r)
    # it runs and the prefecture provides it (直列型, 2.7): counted as a running shared platform, never as none
    assert r.flow[0].answer == "all_shared" and "共同利用中の基盤 1 件" in r.flow[0].why
    # 那須塩原市's platform (2.2 No.4 「未実施」) without components: a running platform still to move
    nasu = load("guide_2_2_04_nasushiobara.yaml")
    q = nasu.platforms[0].model_dump(exclude_none=True) | {"components": []}
    r2 = wb.classify(edit(nasu, platforms=[q]))
    assert r2.current_type is None and r2.flow[0].answer == "1" and "構成が未記入 1 件" in r2.flow[0].why
    v = wb.vision(edit(pref, platforms=[p]))
    assert v.target.current_type is None and v.target.route == "undetermined"


# --- 9. 並列型 has no operating body; patterns are moves from 1.x to 2.x -------------------------------------


def test_22_9_parallel_licensing_is_not_asked_for_an_operating_body():
    # guide 2.7「各基礎自治体がベンダと契約し、各基礎自治体が使用する（並列型）」 — 多気町ほか4町
    t = {"source": "single", "user_scope": "prefectural", "providers": "mixed", "organisation": "parallel"}
    r = wb.classify(edit(load("guide_2_2_07_taki.yaml"), target=t))
    assert not any("運営組織が基盤を提供・管理する" in d for d in r.after.demands)
    assert any("並列型" in d for d in r.after.demands)
    t["organisation"] = "external"
    r2 = wb.classify(edit(load("guide_2_2_07_taki.yaml"), target=t))
    assert any("運営組織が基盤を提供・管理する" in d for d in r2.after.demands)


@pytest.mark.parametrize("path", [p for p in FILES if expected_group(p) == "2.x"], ids=lambda p: p.stem)
def test_22_9_a_prefecture_already_sharing_every_platform_has_no_pattern(path):
    # guidebook 第3.0版 8.2「共同利用前の現状（型1.x）から、目指すべき共同利用後の姿（型2.x）へ安全にシステムを
    # 移行させるための…取組事項」: the bodies of guide 2.2 in shared use (実施中) and the typed cases of chapter 9
    r = wb.classify(wb.load(path))
    assert r.pattern == "none" and r.pattern_text().startswith("該当なし") and r.work_items == []
    assert "パターンB" not in str(r)


def test_22_9_the_move_that_remains_is_said():
    # 7.2「単一基盤から出発する地域は理想経路をそのまま進み」 — 群馬県's sample (めぶくグラウンド, 型2.3) widens to 2.4
    r = wb.classify(wb.load_sample("10"))
    assert r.pattern == "none" and "残る移行は 7.2 の経路: 型2.3 → 型2.4" in r.pattern_reading
    assert [s.text() for s in r.path_to_goal] == ["型2.3", "型2.4"]
    t = {"source": "single", "user_scope": "prefectural", "providers": "mixed", "approach": "expand"}
    r2 = wb.classify(edit(load("guidebook_9_6_maebashi.yaml"), target=t))
    assert r2.pattern == "B" and "APPROACH_CONFLICT" in codes(r2)  # the user's choice kept, the conflict said
    msg = next(i.message for i in r2.issues if i.code == "APPROACH_CONFLICT")
    assert "共同利用前の現状（型1.x）から、目指すべき共同利用後の姿（型2.x）へ" in msg


# --- 10. staff text ---------------------------------------------------------------------------------------


def test_22_10_staff_text_reads_right():
    # 「1つの場合」「複数の場合」; pattern notes name no repository file and appear only with the pattern they
    # concern; the vision's source lines are whole; コア and 個別合理性 carry a plain explanation beside them
    t = {"source": "single", "user_scope": "prefectural", "providers": "mixed", "approach": "expand"}
    nasu, odawara = load("guide_2_2_04_nasushiobara.yaml"), load("guide_2_2_06_odawara.yaml")
    two = edit(
        nasu,
        platforms=[
            *(p.model_dump(exclude_none=True) for p in nasu.platforms),
            odawara.platforms[0].model_dump(exclude_none=True) | {"operated_by": "092011"},
        ],
        target=t,
    )
    msg = next(i.message for i in wb.classify(two).issues if i.code == "APPROACH_CONFLICT")
    assert "1つだけある場合の進め方" in msg and "1つ場合" not in msg
    for path in FILES:
        r = wb.classify(wb.load(path))
        assert ".md" not in (r.pattern_reading or "") + r.guidebook_text
        assert ("もう一つの公開本文" in (r.pattern_reading or "")) == (r.pattern == "A")
    a = wb.allocate(wb.load_sample("07"), "shapley")
    lines = a.summary_lines()
    assert any("（個別合理性を満たす）" in s or "単独より高くなる団体" in s for s in lines)
    assert any(s.startswith("コアに") and "（" in s for s in lines)
