"""Step 3 実行計画の策定及び実行 (guide 3.1): the action plan.

:func:`action_plan` generates action items from the pattern's work items (data/pattern_work_items.csv), the
five considerations (guide 3.3, data/considerations.csv) and Step 1's high-severity issues, applies the user's
edits from the file's ``plan:`` section and schedules them (:mod:`workbench.plan.graph`: earliest start
honouring dependencies, critical path). Pure functions; the workbook is written by :mod:`workbench.plan_sheet`.
The default durations and dependencies of generated items are the workbench's assumptions (marked
``workbench 既定``), editable in the file.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any, ClassVar, Literal

import pandas as pd
from pydantic import BaseModel, Field

from .. import reference
from ..classify import Classification, classify, pattern_text
from ..datamap import plan_items
from ..errors import InputError, Problem, field_path, locate
from ..inventory import Prefecture, checked
from ..inventory.plan import Plan, canonical_item_id, issue_item_id
from ..results import Result, frame
from ..text import date_ja, fiscal_year, fiscal_year_ja
from .graph import add_months, find_cycle, month_offset, schedule
from .step2 import PrefectureRef, recommend_organisation

DEFAULT_SOURCE = "workbench 既定（編集可）"
Loc = tuple[str | int, ...]


# --- reference tables -----------------------------------------------------------------------------------


@functools.cache
def owner_roles() -> pd.DataFrame:
    """Owner roles of action items with Japanese labels and colours (data/owner_roles.csv)."""
    return reference.table("owner_roles.csv")


def owner_label(code: str) -> str:
    """The Japanese label of an owner role (data/owner_roles.csv)."""
    hit = owner_roles()[owner_roles()["code"] == code]
    return str(hit["label_ja"].iloc[0]) if len(hit) else code


@functools.cache
def _considerations() -> pd.DataFrame:
    return reference.table("considerations.csv")


def consideration_label(number: int) -> str:
    """The label of one of the five considerations (guide 3.3)."""
    df = _considerations()
    hit = df[df["number"] == number]
    return str(hit["label_ja"].iloc[0]) if len(hit) else str(number)


# --- Step 3: action plan --------------------------------------------------------------------------------

# Default durations (months) and dependencies of the generated items are data: data/considerations.csv
# (duration_months, depends_on), data/org_types.csv (setup_months, setup_owner) and
# data/pattern_work_items.csv (duration_months). The guide iterates the five considerations; as a first plan:
# services (1) before design (2), design before responsibilities (3) and cost (4), residents (5) in parallel,
# the operating organisation considered from the start (guide 3.1 Step 3: 運営組織を整備).
# pattern work items start once the consideration's first step is done
_PATTERN_ANCHOR = {1: "c1-1", 2: "c2-1", 3: "c3-1", 4: "c4-1", 5: "c5-1"}
ORG_SETUP_ID = "org-setup"
LAUNCH_ID = "launch"

Origin = Literal["generated", "edited", "added"]


class ActionItem(BaseModel):
    """One scheduled action item (取組事項) of the plan."""

    id: str
    title: str
    consideration: int | None
    consideration_label: str | None
    owner: str
    owner_label: str
    duration: int
    depends_on: list[str]
    start_floor: int = Field(0, description="指定された最早開始（月）")
    start_month: int = 0
    end_month: int = 0
    start_date: date | None = None
    end_date: date | None = None
    slack: int = 0
    critical: bool = False
    done: bool = False
    origin: Origin
    edited_fields: list[str] = Field(default_factory=list)
    pattern: str | None = None
    issue: str | None = Field(None, description="この取組が対応する課題リスト（Step 1）の課題コード")
    notes: str | None = None
    source: str


class ActionPlan(Result):
    """Step 3 実行計画 (guide 3.1): action items with a computed schedule (months from the plan start)."""

    prefecture: PrefectureRef
    pattern: str
    pattern_label: str
    organisation: str
    organisation_label: str
    start: date | None
    items: list[ActionItem]
    months: int = Field(description="全体の期間（月）")
    critical_path: list[str]
    removed: list[str]
    sources: dict[str, str]

    def card_title(self) -> str:
        return f"{self.prefecture.name} Step 3 実行計画"

    def card_rows(self) -> list[tuple[str, str]]:
        n = {o: sum(i.origin == o for i in self.items) for o in ("generated", "edited", "added")}
        return [
            ("パターン", pattern_text(self.pattern, self.pattern_label)),
            ("運営組織", self.organisation_label),
            ("開始", date_ja(self.start) if self.start else "未設定（月数で表示）"),
            ("期間", f"{self.months} か月"),
            (
                "取組事項",
                f"{len(self.items)} 件（生成 {n['generated']}、編集 {n['edited']}、追加 {n['added']}、"
                f"除外 {len(self.removed)}）",
            ),
            ("クリティカルパス", self.critical_path_text()),
        ]

    def label(self, item_id: str) -> str:
        """An item as staff name it: its number and its name (「2-3 運営組織の検討」), never its id."""
        nums = self.numbers()
        title = next((i.title for i in self.items if i.id == item_id), None)
        if title is None:  # pragma: no cover - every id of the plan is one of its items
            return nums.get(item_id, "（不明な取組事項）")
        return f"{nums[item_id]} {title}"

    def labels(self) -> dict[str, str]:
        """Every item id → :meth:`label` (for choosers and charts: the id stays the value behind the label)."""
        nums = self.numbers()
        return {i.id: f"{nums[i.id]} {i.title}" for i in self.items}

    def critical_path_text(self) -> str:
        """The critical path as staff read it: the items by number and name, 「1-1 … → 1-2 … → 1 共同利用の開始」."""
        labels = self.labels()
        return " → ".join(labels.get(i, i) for i in self.critical_path) or "—"

    def depends_text(self, item: ActionItem, sep: str = "、") -> str:
        """The items ``item`` waits for, by number (「1-2、2-3」); 「—」 for none."""
        nums = self.numbers()
        return sep.join(nums.get(d, d) for d in item.depends_on) or "—"

    def numbers(self) -> dict[str, str]:
        """The item numbers staff read instead of ids: 「2-3」 for the third item of consideration (2) of
        guide 3.3 in schedule order, 「1」「2」 for the items of no consideration (the operating body's
        setting-up, the start of shared use). The file and the JSON keep the ids."""
        out: dict[str, str] = {}
        count: dict[int | None, int] = {}
        for i in self.items:
            count[i.consideration] = count.get(i.consideration, 0) + 1
            n = count[i.consideration]
            out[i.id] = f"{i.consideration}-{n}" if i.consideration is not None else str(n)
        return out

    def staff_frame(self) -> pd.DataFrame:
        """The plan as staff file it: 番号 instead of ids (dependencies too), 取組・担当・期間, dates as offices
        write them (令和, 年度 of the start) once the plan has a start date, else months from the start."""
        nums = self.numbers()
        recs = []
        for i in self.items:
            if self.start is not None and i.start_date is not None and i.end_date is not None:
                last = i.end_date - timedelta(days=1) if i.duration else i.end_date
                period = f"{date_ja(i.start_date, western=False)}〜" + (
                    date_ja(last, western=False) if i.duration else "（節目）"
                )
            else:
                period = f"{i.start_month + 1}か月目〜" + (
                    f"{i.end_month}か月目" if i.duration else "（節目）"
                )
            recs.append(
                {
                    "番号": nums[i.id],
                    "取組事項": i.title,
                    "担当": i.owner_label,
                    "期間": period,
                    "月数": i.duration,
                    "前提の取組": self.depends_text(i),
                    "クリティカルパス": "★" if i.critical else "",
                }
            )
        return frame(recs, ["番号", "取組事項", "担当", "期間", "月数", "前提の取組", "クリティカルパス"])

    def card_tables(self) -> list[tuple[str, pd.DataFrame]]:
        return [("取組事項", self.to_staff_frame())]

    COLUMNS: ClassVar[list[str]] = [
        "番号",
        "取組事項",
        "検討事項",
        "担当",
        "開始（月）",
        "期間（月）",
        "終了（月）",
        "開始日",
        "終了日",
        "依存",
        "クリティカル",
        "完了",
        "由来",
        "備考",
        "根拠",
    ]

    FIELD_DOCS: ClassVar[dict[str, str]] = {
        "prefecture": "{code, name} of the prefecture",
        "pattern": "the pattern the plan follows",
        "pattern_label": "its name",
        "organisation": "the operating organisation's type code",
        "organisation_label": "its name",
        "start": "the plan's start date, or None (months only)",
        "items": "the action items with their schedule",
        "critical_path": "ids of the items on the critical path",
        "removed": "ids removed by the file's plan.removed",
        "sources": "sources",
    }

    FRAME_COLUMNS: ClassVar[dict[str, str]] = {
        "id": "the item's id (plan item ids of the file)",
        "title": "the item (取組事項), Japanese",
        "consideration": "number of the guide's 検討事項 it belongs to, or <NA>",
        "owner": "who carries it out (code)",
        "start_month": "start, months from the plan's start",
        "duration": "months",
        "end_month": "end, months from the plan's start",
        "start_date": "start date (None without the plan's start date)",
        "end_date": "end date (None without the plan's start date)",
        "depends_on": "ids of the items it waits for, joined by ``|``",
        "critical": "on the critical path",
        "done": "marked done",
        "origin": "generated | edited | added",
        "issue": "code of the Step 1 issue it answers, or None",
        "notes": "notes, or None",
        "source": "the guide or guidebook section",
    }

    def to_frame(self) -> pd.DataFrame:
        """One row per item in schedule order, codes as values (columns: :attr:`FRAME_COLUMNS`)."""
        recs = [
            {
                "id": i.id,
                "title": i.title,
                "consideration": i.consideration,
                "owner": i.owner,
                "start_month": i.start_month,
                "duration": i.duration,
                "end_month": i.end_month,
                "start_date": i.start_date,
                "end_date": i.end_date,
                "depends_on": "|".join(i.depends_on),
                "critical": i.critical,
                "done": i.done,
                "origin": i.origin,
                "issue": i.issue,
                "notes": i.notes,
                "source": i.source,
            }
            for i in self.items
        ]
        return frame(recs, self.FRAME_COLUMNS).astype({"consideration": "Int64"})

    def to_staff_frame(self) -> pd.DataFrame:
        """One row per item, Japanese columns, in schedule order; items by their number (:meth:`numbers`), the
        items they wait for too (the ids stay in :meth:`to_frame`)."""

        def made(i: ActionItem) -> str:
            origin = reference.label("plan_origin", i.origin)
            return origin + ("・課題リスト" if i.issue and i.origin != "added" else "")

        nums = self.numbers()
        recs = [
            {
                "番号": nums[i.id],
                "取組事項": i.title,
                "検討事項": i.consideration_label or "—",
                "担当": i.owner_label,
                "開始（月）": i.start_month,
                "期間（月）": i.duration,
                "終了（月）": i.end_month,
                "開始日": i.start_date.isoformat() if i.start_date else "",
                "終了日": i.end_date.isoformat() if i.end_date else "",
                "依存": self.depends_text(i),
                "クリティカル": "○" if i.critical else "",
                "完了": "○" if i.done else "",
                "由来": made(i),
                "備考": i.notes or "",
                "根拠": i.source,
            }
            for i in self.items
        ]
        return frame(recs, self.COLUMNS)

    def item(self, item_id: str) -> ActionItem:
        for i in self.items:
            if i.id == canonical_item_id(item_id):
                return i
        raise KeyError(item_id)


def pattern_items(pattern: str) -> list[dict[str, Any]]:
    """The pattern's work items (guidebook 第3.0版 8.2, data/pattern_work_items.csv), ids ``{pattern}-{k}``.

    An umbrella item (its ``expands`` column names patterns, e.g. パターンC「A・Bのガバナンス・規約の全取組」:
    「パターンA〜Cの全てのガバナンス項目・規約改定が「要取組」となります」; パターンD: 「基本的には「パターンA
    （新規構築）」と同様のガバナンスルール・コスト負担の取り決めが要取組」) is replaced by those patterns' items
    marked ``governance``, ids ``{pattern}-{k}-{j}``, each starting once its consideration's first step is done.
    """
    df = reference.table("pattern_work_items.csv").fillna("")
    out: list[dict[str, Any]] = []
    rows = df[df["pattern"] == pattern].to_dict("records")
    for k, r in enumerate(rows, start=1):
        expands = [x for x in str(r["expands"]).split("|") if x]
        if not expands:
            subs = [(f"{pattern}-{k}", r, str(r["item_ja"]))]
        else:
            gov = df[df["pattern"].isin(expands) & (df["governance"] == "yes")].to_dict("records")
            subs = [
                (f"{pattern}-{k}-{j}", g, f"{g['item_ja']}（パターン{g['pattern']}の取組）")
                for j, g in enumerate(gov, start=1)
            ]
        for iid, g, title in subs:
            n = int(g["consideration"])
            via = f"「{r['item_ja']}」の展開: パターン{g['pattern']}の取組事項; " if expands else ""
            out.append(
                dict(
                    id=iid,
                    title=title,
                    consideration=n,
                    owner=str(g["owner"]),
                    duration=int(g["duration_months"]),
                    depends_on=[_PATTERN_ANCHOR[n]],
                    pattern=pattern,
                    source=f"{r['source']}; {via}パターン{pattern}の取組事項（data/pattern_work_items.csv）; "
                    f"担当・期間・依存は{DEFAULT_SOURCE}",
                )
            )
    return out


def issue_items(issues: list[Any], names: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """One action item per high-severity issue of the 課題リスト (Step 1 → Step 3, guide 3.1).

    Owner role, consideration and default duration come from the issue's rule (data/issue_rules.csv columns
    ``owner``, ``consideration``, ``duration_months``); the source is the issue's own. Ids
    ``issue-{code in lower case with hyphens}[-{platform}][-{service}]``; ``names`` maps platform and service ids to their names.
    """
    rules = reference.table("issue_rules.csv").fillna("").set_index("code")
    names = names or {}
    out: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for issue in issues:
        if issue.severity != "high":
            continue
        r = rules.loc[issue.code] if issue.code in rules.index else None
        owner = str(r["owner"]) if r is not None and str(r["owner"]) else ""
        cons = str(r["consideration"]) if r is not None else ""
        dur = str(r["duration_months"]) if r is not None else ""
        base = issue_item_id(issue.code, issue.platform or "", issue.service or "")
        seen[base] = seen.get(base, 0) + 1
        iid = base if seen[base] == 1 else f"{base}-{seen[base]}"
        where = "・".join(
            f"{what} {names.get(x, x)}"
            for what, x in (("基盤", issue.platform), ("サービス", issue.service))
            if x
        )
        title = issue.title or issue.code
        out.append(
            dict(
                id=iid,
                title=f"課題への対応: {title}" + (f"（{where}）" if where else ""),
                consideration=int(float(cons)) if cons else None,
                owner=owner or "prefecture",
                duration=int(float(dur)) if dur else 3,
                depends_on=[],
                issue=issue.code,
                notes=issue.message,
                source=f"課題リスト（Step 1）: {issue.source}; "
                + (f"担当・期間は{DEFAULT_SOURCE}" if owner else "担当が未設定のため都道府県（要確認）"),
            )
        )
    return out


def generated_items(
    pattern: str,
    organisation: str = "serial",
    issues: list[Any] | None = None,
    names: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The action items the plan starts from (before the user's edits): the five considerations' work items
    (guide 3.3), setting up the operating organisation (guide 3.1 Step 3, 2.7), the pattern's work items with
    umbrella items expanded (:func:`pattern_items`), one item per high-severity issue of Step 1's 課題リスト
    (:func:`issue_items`) and the start of shared use as a milestone. Plain dicts, ids stable."""
    out: list[dict[str, Any]] = []
    orgs = reference.table("org_types.csv").set_index("code")
    for r in _considerations().to_dict("records"):
        iid = str(r["id"])
        out.append(
            dict(
                id=iid,
                title=str(r["item_ja"]),
                consideration=int(r["number"]),
                owner=str(r["owner"]),
                duration=int(r["duration_months"]),
                depends_on=[d for d in str(r["depends_on"]).split("|") if d],
                source=f"{r['source']}; 期間・依存は{DEFAULT_SOURCE}",
            )
        )
        if iid == "c2-3":
            org = orgs.loc[organisation] if organisation in orgs.index else orgs.loc["serial"]
            out.append(
                dict(
                    id=ORG_SETUP_ID,
                    title=f"運営組織の整備（{reference.label('organisation', organisation)}）",
                    consideration=2,
                    owner=str(org["setup_owner"]),
                    duration=int(org["setup_months"]),
                    depends_on=["c2-3"],
                    source=f"guide 3.1 Step3（運営組織を整備）; 2.7; 期間・依存は{DEFAULT_SOURCE}",
                )
            )
    out += pattern_items(pattern)
    out += issue_items(issues or [], names)
    out.append(
        dict(
            id=LAUNCH_ID,
            title="共同利用の開始（計画の実行）",
            consideration=None,
            owner="operating_body",
            duration=0,
            depends_on=None,
            source="guide 3.1 Step3（計画を実行に移す）",
        )
    )
    return out


def step1_inputs(pref: Prefecture, cl: Classification) -> dict[str, Any]:
    """What Step 3 reads from Step 1: the 課題リスト and the names of the platforms and services it cites.

    Issues whose action item another table makes are left to it: the data map's findings (DM_…) become
    items ``dm-…`` from data/datamap_actions.csv (:func:`workbench.datamap.plan_items`)."""
    names = {p.id: p.name for p in pref.platforms} | {s.id: s.name for s in pref.services}
    covered = set(reference.table("datamap_actions.csv")["finding"])
    return {"issues": [i for i in cl.issues if i.code not in covered], "names": names}


Problems = list[tuple[Loc, str, object]]


def _resolve(pref: Prefecture, section: Plan | None) -> tuple[list[dict[str, Any]], Problems]:
    """Generated items with the user's edits applied; problems located relative to ``plan:``."""
    cl = classify(pref)
    org = recommend_organisation(pref).effective
    gen = generated_items(cl.pattern, org, **step1_inputs(pref, cl)) + plan_items(pref)
    problems: Problems = []
    section = section or Plan()
    removed = _removed(section, {g["id"] for g in gen}, problems)
    items = [dict(g, origin="generated", edited_fields=[], index=None) for g in gen if g["id"] not in removed]
    pos = _apply_edits(items, section, problems)
    _dependencies(items, set(pos), removed, problems)
    _launch_waits(items, pos)
    _start_floors(items, section)
    problems += [(loc, msg, val) for loc, msg, val in _cycle_problems(items)]
    return items, problems


def _removed(section: Plan, generated: set[str], problems: Problems) -> set[str]:
    """The ids in ``removed:`` that can be removed (generated, not edited in ``items:``)."""
    removed = set()
    edited_ids = {e.id for e in section.items}
    for j, rid in enumerate(section.removed):
        if rid not in generated:
            problems.append((("removed", j), "生成された取組事項にないIDです", rid))
        elif rid in edited_ids:
            problems.append((("removed", j), "items で編集している取組事項は外せません", rid))
        else:
            removed.add(rid)
    return removed


def _added(e: Any, i: int, fields: list[str], problems: Problems) -> dict[str, Any]:
    """A new item of the user's (``items:`` entry ``i`` with an id nothing generates)."""
    if not e.title:
        problems.append((("items", i, "title"), "新しい取組事項には title（取組事項の名前）が必要です", None))
    return dict(
        id=e.id,
        title=e.title or e.id,
        consideration=None,
        owner="prefecture",
        duration=1,
        depends_on=[],
        source="your input",
        origin="added",
        edited_fields=sorted(fields),
        index=i,
    )


def _apply_edits(items: list[dict[str, Any]], section: Plan, problems: Problems) -> dict[str, int]:
    """The user's ``items:`` over the generated items (only the keys written), new ones appended; id → index."""
    pos = {it["id"]: k for k, it in enumerate(items)}
    for i, e in enumerate(section.items):
        fields = [f for f in e.model_fields_set if f != "id"]
        values = {f: getattr(e, f) for f in fields}
        if "start" in values:
            values["start_floor"] = values.pop("start")
        if e.id not in pos:
            new = _added(e, i, fields, problems)
            new.update(values)
            pos[e.id] = len(items)
            items.append(new)
        elif items[pos[e.id]]["index"] is None:
            it = items[pos[e.id]]
            it.update(values)
            it["origin"], it["edited_fields"], it["index"] = "edited", sorted(fields), i
        # else a duplicate id: reported by Plan.cross_check
    return pos


def _dependencies(
    items: list[dict[str, Any]], known: set[str], removed: set[str], problems: Problems
) -> None:
    """Dependencies on removed items dropped from generated ones; the user's unknown ones reported."""
    for it in items:
        deps = it.get("depends_on")
        if deps is None:
            continue
        if it["origin"] == "generated" or "depends_on" not in it["edited_fields"]:
            it["depends_on"] = [d for d in deps if d not in removed]
            continue
        for j, d in enumerate(deps):
            if d not in known and d != it["id"]:
                msg = (
                    "外した取組事項（removed）に依存しています"
                    if d in removed
                    else "不明な取組事項IDです（生成された項目か items にあるID）"
                )
                problems.append((("items", it["index"], "depends_on", j), msg, d))
        it["depends_on"] = [d for d in deps if d in known and d != it["id"]]


def _launch_waits(items: list[dict[str, Any]], pos: dict[str, int]) -> None:
    """The milestone waits for every item nothing else waits for (unless the user set its dependencies)."""
    if LAUNCH_ID in pos and items[pos[LAUNCH_ID]].get("depends_on") is None:
        waited = {d for it in items for d in (it.get("depends_on") or [])}
        items[pos[LAUNCH_ID]]["depends_on"] = [
            it["id"] for it in items if it["id"] != LAUNCH_ID and it["id"] not in waited
        ]


def _start_floors(items: list[dict[str, Any]], section: Plan) -> None:
    """Each item's earliest start in months from the plan start (a date in the file becomes months)."""
    for it in items:
        it["depends_on"] = list(it.get("depends_on") or [])
        floor = it.get("start_floor")
        if isinstance(floor, date):
            it["start_floor"] = month_offset(section.start, floor) if section.start else 0
        elif floor is None:
            it["start_floor"] = 0


def _cycle_problems(items: list[dict[str, Any]]) -> Iterator[tuple[Loc, str, object]]:
    graph = {it["id"]: list(it["depends_on"]) for it in items}
    cyc = find_cycle(graph)
    if not cyc:
        return
    text = " → ".join(reversed(cyc))
    by_id = {it["id"]: it for it in items}
    located = [by_id[c] for c in cyc[:-1] if by_id[c].get("index") is not None]
    if not located:  # pragma: no cover - generated defaults are acyclic
        yield ("items",), f"依存関係が循環しています: {text}", None
        return
    for it in located[:1]:
        yield ("items", it["index"], "depends_on"), f"依存関係が循環しています: {text}", None


def plan_problems(pref: Prefecture, section: Plan) -> Iterator[tuple[Loc, str, object]]:
    """Checks of ``plan:`` that need the generated items (called by :meth:`Plan.cross_check`): unknown or
    removed dependencies, removed ids that are not generated, new items without a title, cycles."""
    try:
        _, problems = _resolve(pref, section)
    except (KeyError, ValueError, IndexError):  # other sections are invalid: reported by their own checks
        return
    yield from problems


def _raise_located(pref: Prefecture, problems: list[tuple[Loc, str, object]]) -> None:
    doc = getattr(pref, "_wb_doc", None)
    path = getattr(pref, "_wb_path", None)
    out = []
    for loc, msg, value in problems:
        full = ("plan", *loc)
        line = locate(doc, full) if doc is not None else None
        out.append(
            Problem(
                msg,
                str(path) if path else None,
                line,
                field_path(full),
                value if not isinstance(value, dict | list) else None,
            )
        )
    raise InputError(out)


@checked
def action_plan(pref: Prefecture) -> ActionPlan:
    """Step 3 実行計画の策定 (guide 3.1): the action items the vision needs, with a schedule.

    Items are generated from the pattern's work items (classify) and the five considerations (guide 3.3),
    plus setting up the operating organisation and the start of shared use; the file's ``plan:`` section
    overrides them by ``id``, adds items and removes some (``removed:``). Each item starts as early as its
    dependencies and its own ``start`` allow. Raises :class:`~workbench.errors.InputError` (located under
    ``plan``) for unknown dependencies and cycles.

    Parameters
    ----------
    pref : Prefecture
        A prefecture from :func:`workbench.load`, :func:`workbench.load_sample` or built in code; one changed in
        code is checked first (:func:`workbench.validate`).

    Returns
    -------
    ActionPlan
        ``items`` with their months and dates, ``critical_path``; ``to_frame()`` one row per item.

    Raises
    ------
    InputError
        When the prefecture is inconsistent (the message of :func:`workbench.validate`), and for unknown dependencies and cycles in ``plan:``.

    Examples
    --------
    >>> import workbench as wb
    >>> plan = wb.action_plan(wb.load_sample("07"))
    >>> print(plan)
    福島県 Step 3 実行計画
    ...
    """
    cl = classify(pref)
    org = recommend_organisation(pref).effective
    section = pref.plan
    items, problems = _resolve(pref, section)
    if problems:
        _raise_located(pref, problems)
    es, slack = schedule(items)
    start = section.start if section else None
    order = sorted(range(len(items)), key=lambda k: (es[items[k]["id"]][0], k))
    out: list[ActionItem] = []
    for k in order:
        it = items[k]
        s, e = es[it["id"]]
        cons = it.get("consideration")
        out.append(
            ActionItem(
                id=it["id"],
                title=it["title"],
                consideration=cons,
                consideration_label=consideration_label(cons) if cons else None,
                owner=it["owner"],
                owner_label=owner_label(it["owner"]),
                duration=int(it["duration"]),
                depends_on=it["depends_on"],
                start_floor=it["start_floor"],
                start_month=s,
                end_month=e,
                start_date=add_months(start, s) if start else None,
                end_date=add_months(start, e) if start else None,
                slack=slack[it["id"]],
                critical=slack[it["id"]] == 0,
                done=bool(it.get("done") or False),
                origin=it["origin"],
                edited_fields=it["edited_fields"],
                pattern=it.get("pattern"),
                issue=it.get("issue"),
                notes=it.get("notes"),
                source=it["source"] if it["origin"] != "edited" else f"{it['source']}; your input（編集）",
            )
        )
    months = max((i.end_month for i in out), default=0)
    crit = _critical_chain(out)
    return ActionPlan(
        prefecture=PrefectureRef(code=pref.code, name=pref.name),
        pattern=cl.pattern,
        pattern_label=cl.pattern_label,
        organisation=org,
        organisation_label=reference.label("organisation", org),
        start=start,
        items=out,
        months=months,
        critical_path=crit,
        removed=list(section.removed) if section else [],
        sources={
            "items": "guide 3.3（data/considerations.csv）; guidebook 第3.0版 8.2 パターン別の取組事項"
            "（data/pattern_work_items.csv）; 課題リストの重要度「高」の課題（Step 1、data/issue_rules.csv）",
            "organisation": "guide 3.1 Step3; 2.7",
            "schedule": f"期間・依存の初期値は{DEFAULT_SOURCE}; 最早開始で計算",
            "owners": "data/owner_roles.csv",
            "input": "your input（都道府県ファイルの plan:）",
        },
    )


def _critical_chain(items: list[ActionItem]) -> list[str]:
    """One chain of zero-slack items from the start to the end of the plan."""
    by_id = {i.id: i for i in items}
    crit = [i for i in items if i.critical]
    if not crit:
        return []
    last = max(crit, key=lambda i: (i.end_month, i.id == LAUNCH_ID))
    chain = [last.id]
    cur = last
    while True:
        preds = [
            by_id[d] for d in cur.depends_on if by_id[d].critical and by_id[d].end_month == cur.start_month
        ]
        if not preds:
            break
        cur = max(preds, key=lambda i: i.duration)
        chain.append(cur.id)
    return list(reversed(chain))


def schedule_frame(plan: ActionPlan) -> pd.DataFrame:
    """The schedule as staff read it (notebooks, the plan editor): items by number (「2-3」, the items they wait
    for too), dates as offices write them and the 年度 of the start once the plan has a start date, else months
    from the plan start; ○/— for yes/no."""
    recs = []
    nums = plan.numbers()
    for i in plan.items:
        if plan.start is not None and i.start_date is not None and i.end_date is not None:
            last = i.end_date - timedelta(days=1) if i.duration else i.end_date
            begin, end = date_ja(i.start_date, western=False), date_ja(last, western=False)
            fy = fiscal_year_ja(fiscal_year(i.start_date), western=False)
        else:
            begin, end, fy = f"{i.start_month + 1}か月目", f"{max(i.end_month, i.start_month + 1)}か月目", "—"
        recs.append(
            {
                "番号": nums[i.id],
                "取組事項": i.title,
                "担当": i.owner_label,
                "開始": begin,
                "終了": end if i.duration else "（節目）",
                "開始年度": fy,
                "期間（月）": i.duration,
                "依存": plan.depends_text(i),
                "クリティカル": "○" if i.critical else "—",
                "完了": "○" if i.done else "—",
            }
        )
    cols = [
        "番号",
        "取組事項",
        "担当",
        "開始",
        "終了",
        "開始年度",
        "期間（月）",
        "依存",
        "クリティカル",
        "完了",
    ]
    return frame(recs, cols)
