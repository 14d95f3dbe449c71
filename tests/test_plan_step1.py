"""Step 3 reads Step 1 (guide 3.1): every high-severity issue of the 課題リスト becomes an action item with an
owner role and its source, driven by data/issue_rules.csv; umbrella work items of the guidebook's patterns are
expanded into their items (guidebook 第3.0版 8.2)."""

from __future__ import annotations

import pandas as pd
import pytest

import workbench as wb
from workbench import plan, reference
from workbench.classify import Issue

FULL = "[auth, non_personal, personal]"


def rules() -> pd.DataFrame:
    return reference.table("issue_rules.csv").fillna("")


def owners() -> set[str]:
    return set(reference.table("owner_roles.csv")["code"])


# --- the rule table drives the mapping ------------------------------------------------------------------


def datamap_actions() -> pd.DataFrame:
    return reference.table("datamap_actions.csv").fillna("").set_index("finding")


def test_every_high_severity_rule_has_an_owner_role_a_consideration_and_a_duration():
    """A high-severity issue must become an action item someone owns: the rule table says who (for the data
    map's findings, the data map's action table, which makes their items). This test fails for any high rule
    added (or renamed) without an owner role of data/owner_roles.csv."""
    df = rules()
    acts = datamap_actions()
    high = df[df["severity"] == "high"]
    assert len(high) > 0
    missing = []
    for r in high.itertuples(index=False):
        row = r._asdict() if str(r.owner) else (acts.loc[r.code].to_dict() if r.code in acts.index else None)
        if row is None or str(row["owner"]) not in owners():
            missing.append(r.code)
            continue
        assert str(row["consideration"]).strip() and 1 <= int(float(row["consideration"])) <= 5, r.code
        assert str(row["duration_months"]).strip() and int(float(row["duration_months"])) >= 1, r.code
    assert not missing, f"high-severity rules without an owner role (data/issue_rules.csv owner): {missing}"


def test_owner_roles_of_other_rules_are_known_when_given():
    df = rules()
    given = [o for o in df["owner"] if str(o)]
    assert set(given) <= owners()


def _terms_missing_file() -> str:
    # guide 3.4 住民向け規約「なし 住民向け規約が存在しない状態を指す」 → TERMS_MISSING (high);
    # guide 3.3 (5) 住民の理解: 「利用規約の策定」
    return (
        "prefecture: 栃木県\nplatforms:\n"
        '  - {id: nasu, name: 那須塩原市の基盤, operated_by: "092134", components: ' + FULL + ", "
        "identity_proofing: 2, authenticator: 2, terms: {exists: false}}\n"
    )


def test_a_platform_without_terms_gets_an_item_owned_by_the_operating_body_with_the_guide_source():
    pref = wb.loads(_terms_missing_file())
    issue = next(i for i in wb.classify(pref).issues if i.code == "TERMS_MISSING")
    ap = plan.action_plan(pref)
    item = next(i for i in ap.items if i.issue == "TERMS_MISSING")
    row = rules().set_index("code").loc["TERMS_MISSING"]
    assert item.owner == row["owner"] == "operating_body" and item.owner_label == "運営組織"
    assert item.consideration == 5 and item.consideration_label.startswith("住民の理解")
    assert "guide 3.4 住民向け規約" in item.source and issue.source in item.source
    assert "課題リスト（Step 1）" in item.source
    assert "那須塩原市の基盤" in item.title and item.notes == issue.message
    assert item.id == "issue-terms-missing-nasu"  # no rule code in staff's tables
    frame = ap.to_staff_frame().set_index("番号")
    assert frame.loc[ap.numbers()[item.id], "由来"] == "生成・課題リスト"
    # the milestone waits for it
    assert item.id in plan.action_plan(pref).item(plan.LAUNCH_ID).depends_on


@pytest.mark.parametrize("code", ["07", "09", "10", "24"])
def test_every_high_issue_of_a_sample_becomes_exactly_one_action_item(code):
    pref = wb.load_sample(code)
    cl = wb.classify(pref)
    ap = plan.action_plan(pref)
    table = rules().set_index("code")
    acts = datamap_actions()
    # the data map's findings get the data map's own items (ids dm-…, data/datamap_actions.csv)
    for issue in (i for i in cl.issues if i.severity == "high" and i.code in acts.index):
        title = str(acts.loc[issue.code, "title_ja"])
        assert any(i.id.startswith("dm-") and i.title.startswith(title) for i in ap.items), issue
    high = [i for i in cl.issues if i.severity == "high" and i.code not in acts.index]
    made = [i for i in ap.items if i.issue]
    assert len(made) == len(high)
    for issue in high:
        matches = [
            i for i in made if i.issue == issue.code and i.notes == issue.message and issue.source in i.source
        ]
        assert len(matches) == 1, issue
        assert matches[0].owner == table.loc[issue.code, "owner"]
    low = {i.code for i in cl.issues if i.severity != "high"} - {i.code for i in high}
    assert not low & {i.issue for i in made}


def test_the_mapping_reads_the_rule_table_not_a_list_of_codes(monkeypatch):
    """A rule that does not exist today (as the other branches add and rename rules) maps through the table."""
    real = reference.table

    def table(name: str) -> pd.DataFrame:
        df = real(name)
        if name == "issue_rules.csv":
            extra = {c: "" for c in df.columns} | {
                "code": "NEW_RULE_X",
                "severity": "high",
                "title_ja": "新しい規則",
                "owner": "service_providers",
                "consideration": "3",
                "duration_months": "4",
            }
            df = pd.concat([df, pd.DataFrame([extra])], ignore_index=True)
        return df

    monkeypatch.setattr(reference, "table", table)
    issue = Issue(
        code="NEW_RULE_X", platform="p1", severity="high", title="新しい規則", message="m", source="guide 9.9"
    )
    low = Issue(code="NEW_RULE_X", platform="p2", severity="medium", message="m", source="s")
    (item,) = plan.issue_items([issue, low], {"p1": "基盤一"})
    assert item["owner"] == "service_providers" and item["consideration"] == 3 and item["duration"] == 4
    assert item["source"].startswith("課題リスト（Step 1）: guide 9.9") and "（基盤 基盤一）" in item["title"]


def test_an_issue_whose_rule_has_no_owner_still_becomes_an_item_marked_for_review():
    issue = Issue(code="NOT_IN_TABLE", severity="high", message="m", source="guide 1.1")
    (item,) = plan.issue_items([issue])
    assert item["owner"] == "prefecture" and "要確認" in item["source"] and item["id"] == "issue-not-in-table"


def test_two_issues_with_the_same_code_and_place_get_distinct_ids():
    a = Issue(code="TERMS_MISSING", platform="p", severity="high", message="a", source="s")
    items = plan.issue_items([a, a.model_copy(update={"message": "b"})])
    assert [i["id"] for i in items] == ["issue-terms-missing-p", "issue-terms-missing-p-2"]


def test_issue_items_can_be_edited_and_removed_like_generated_ones(tmp_path):
    pref = wb.loads(_terms_missing_file())
    plan.set_item(pref, "issue-terms-missing-nasu", owner="都道府県", duration=2)
    item = plan.action_plan(pref).item("issue-terms-missing-nasu")
    assert item.owner == "prefecture" and item.duration == 2 and item.origin == "edited"
    plan.remove_item(pref, "issue-terms-missing-nasu")
    assert "issue-terms-missing-nasu" in pref.plan.removed
    assert all(i.id != "issue-terms-missing-nasu" for i in plan.action_plan(pref).items)
    out = plan.plan_xlsx(pref, tmp_path / "plan.xlsx")
    assert out.exists()


# --- umbrella work items (guidebook 第3.0版 8.2) --------------------------------------------------------


def _governance(pattern: str) -> list[str]:
    df = reference.table("pattern_work_items.csv").fillna("")
    return list(df[(df["pattern"] == pattern) & (df["governance"] == "yes")]["item_ja"])


def test_governance_items_are_the_business_rows_of_responsibility_cost_and_residents():
    """guidebook 8.2 パターンA: 責任範囲の明確化とコスト負担（事業・制度）and 住民の理解・セキュリティ（事業・制度）;
    パターンB: 責任範囲・コスト・住民の理解（共通）. The technical rows (同意管理, 認証レベル, 認可) are not."""
    assert _governance("A") == [
        "サービス提供責任と基盤運営責任の明確な線引き",
        "参加団体間での年間運用費の公平な分担",
        "民間の利用者も支払う利用料",
        "参加する提供者の厳格な認定",
        "データ流通の監査ルール",
    ]
    assert _governance("B") == ["新たに参加する自治体との運用費の再按分", "都道府県共通の利用規約"]


def test_pattern_c_umbrella_is_expanded_into_the_governance_items_of_a_and_b():
    """guidebook 8.2 パターンC, 責任範囲・コスト・住民の理解（共通）: 「➔ パターンA〜Cの全てのガバナンス項目・
    規約改定が「要取組」となります。」"""
    items = plan.pattern_items("C")
    titles = [i["title"] for i in items]
    assert "A・Bのガバナンス・規約の全取組" not in titles
    expanded = [i for i in items if i["id"].startswith("C-3-")]
    assert [i["title"] for i in expanded] == [f"{t}（パターンAの取組）" for t in _governance("A")] + [
        f"{t}（パターンBの取組）" for t in _governance("B")
    ]
    a = {i["title"]: i for i in plan.pattern_items("A")}
    for i in expanded[:5]:
        src = a[i["title"].removesuffix("（パターンAの取組）")]
        assert (i["owner"], i["consideration"], i["duration"]) == (
            src["owner"],
            src["consideration"],
            src["duration"],
        )
        assert i["pattern"] == "C" and "パターンA〜Cの全てのガバナンス項目" in i["source"]
    # the plan of a pattern-C file schedules them like any other work item
    pref = wb.loads(
        "prefecture: 福島県\nplatforms:\n"
        f'  - {{id: a, name: 基盤a, operated_by: "072028", components: {FULL}, identity_proofing: 2, authenticator: 2}}\n'
        f'  - {{id: b, name: 基盤b, operated_by: "072036", components: {FULL}, identity_proofing: 2, authenticator: 2}}\n'
        "target: {source: single, user_scope: prefectural, providers: mixed}\n"
    )
    ap = plan.action_plan(pref)
    assert ap.pattern == "C"
    ids = {i.id for i in ap.items}
    assert {f"C-3-{j}" for j in range(1, 8)} <= ids and "C-3" not in ids


def test_pattern_d_umbrella_is_expanded_into_the_governance_items_of_a():
    """guidebook 8.2 パターンD: 「➔ 基本的には「パターンA（新規構築）」と同様のガバナンスルール・コスト負担の
    取り決めが要取組となります。」"""
    expanded = [i for i in plan.pattern_items("D") if i["id"].startswith("D-3-")]
    assert [i["title"] for i in expanded] == [f"{t}（パターンAの取組）" for t in _governance("A")]
    assert "ガバナンスと費用負担（Aと同様）" not in [i["title"] for i in plan.pattern_items("D")]


def test_work_items_sit_under_the_consideration_the_guidebook_gives():
    """guidebook 8.2: パターンA 共同利用する基盤の設計（技術）「基礎自治体（市区町村）に特化した固有サービスを提供
    できる仕組みの確保」; パターンD 共同利用する基盤の設計（技術）「サービス利用者の範囲を「都道府県下」全域とする
    共通サービスの提供」."""
    df = reference.table("pattern_work_items.csv").set_index(["pattern", "item_ja"])
    assert df.loc[("A", "自治体固有のサービスの余地を残す"), "consideration"] == 2
    assert df.loc[("D", "都道府県共通サービス"), "consideration"] == 2


def test_only_known_patterns_are_expanded():
    df = reference.table("pattern_work_items.csv").fillna("")
    named = {p for e in df["expands"] if e for p in e.split("|")}
    assert named <= set(df["pattern"]) and all(
        not df[(df["pattern"] == p) & (df["expands"] != "")].empty for p in ("C", "D")
    )


def test_gantt_rows_of_issue_items_read_as_issues_and_stay_distinct():
    from workbench.charts.plan import gantt

    ap = plan.action_plan(wb.load_sample("07"))
    fig = gantt(ap)
    rows = [y for t in fig.data for y in (t.y or [])]
    issue_rows = [y for y in rows if str(y).split(" ", 1)[-1].startswith("課題 ")]
    assert len(issue_rows) == sum(1 for i in ap.items if i.issue) and len(set(issue_rows)) == len(issue_rows)
    assert not any("issue-" in str(y) for y in issue_rows)  # the rows by number and name, never by id
    numbers = set(ap.numbers().values())
    assert rows and all(str(y).split(" ", 1)[0] in numbers for y in rows)  # each row opens with its number


def test_files_written_with_the_old_issue_item_ids_still_point_at_their_items():
    """Ids used to carry the rule code (``issue-TERMS_MISSING-nasu``); a file that edits, depends on or removes
    an item by the old id keeps working (read as the new id)."""
    text = _terms_missing_file() + (
        "plan:\n  items:\n    - id: issue-TERMS_MISSING-nasu\n      duration: 5\n"
        "    - id: extra\n      title: 追加の取組\n      depends_on: [issue-TERMS_MISSING-nasu]\n"
    )
    pref = wb.loads(text)
    ap = plan.action_plan(pref)
    assert ap.item("issue-terms-missing-nasu").duration == 5
    assert ap.item("issue-TERMS_MISSING-nasu").origin == "edited"
    assert ap.item("extra").depends_on == ["issue-terms-missing-nasu"]
    removed = wb.loads(_terms_missing_file() + "plan:\n  removed: [issue-TERMS_MISSING-nasu]\n")
    assert all(i.issue != "TERMS_MISSING" for i in plan.action_plan(removed).items)
