"""The ``vision:`` (Step 2) and ``plan:`` (Step 3) sections of a prefecture file, so that a meeting's work
is saved and resumed (guide 3.1 共同利用実現に向けたプロセス, Step 2 and Step 3).

``vision:`` records the choices of Step 2 目的の設定とビジョンの策定: the purposes (the survey's three, guide
2.4), whether an external operating body can be set up (the condition guide 2.7 names), the operating
organisation type, the cost-sharing rule and prefecture scheme (data/cost_rules.csv,
data/prefecture_schemes.csv) and KPI targets (data/kpis.csv, guidebook 8.3). The target 型 itself stays in
the file's ``target:`` section.

``plan:`` records the user's edits to the generated action plan of Step 3 実行計画の策定及び実行: items that
override generated ones by ``id`` (only the keys written override), items the user adds, and generated items
removed by id. Loading checks what the file itself says (:meth:`Plan.cross_check`); checks that need the
generated items (an unknown or removed dependency, a removed id that is not generated, a new item without a
title, cycles) run when Step 3 generates the plan (:func:`workbench.plan.action_plan` raises them located
under ``plan``), so that loading a file never runs the Step 3 analysis.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema, field_validator

from .. import reference
from ..text import fold
from .base import Code, Loc, Model

if TYPE_CHECKING:  # the model that holds every section (models.py imports this module)
    from .models import Prefecture

ID_PATTERN = r"^[^\s,]+$"
_LEGACY_ISSUE_ID = re.compile(r"^issue-([A-Z][A-Z0-9_]*)(?=-|$)")


def issue_item_id(code: str, *where: str) -> str:
    """The id of the action item generated for a 課題リスト issue: ``issue-terms-missing-nasu`` for rule
    ``TERMS_MISSING`` on platform ``nasu`` (lower case, hyphens: the rule's code never reaches staff's tables)."""
    return "-".join(["issue", code.lower().replace("_", "-"), *[w for w in where if w]])


def canonical_item_id(item_id: str) -> str:
    """An item id as the plan uses it; files written before ids were lower-cased (``issue-TERMS_MISSING-x``)
    still point at their item."""
    m = _LEGACY_ISSUE_ID.match(item_id)
    return issue_item_id(m.group(1)) + item_id[m.end() :] if m else item_id


_Id = Annotated[str, BeforeValidator(lambda v: canonical_item_id(v) if isinstance(v, str) else v)]


# --- lookups in reference tables (code, label or alias -> code) -----------------------------------------


def _index(rows: list[tuple[str, ...]]) -> dict[str, str]:
    idx: dict[str, str] = {}
    for code, *names in rows:
        for name in (code, *names):
            for part in str(name).split("|"):
                if part:
                    idx.setdefault(fold(part), code)
                    idx.setdefault(fold(part.split("（")[0]), code)
    return idx


@functools.cache
def purpose_index() -> dict[str, str]:
    """Purposes of shared use (guide 2.4, data/survey_counts.csv question=purpose)."""
    df = reference.table("survey_counts.csv")
    df = df[df["question"] == "purpose"]
    return _index([(c, ja) for c, ja in df[["code", "label_ja"]].itertuples(index=False)])


@functools.cache
def kpi_index() -> dict[str, str]:
    """KPIs of the vision (guidebook 8.3, data/kpis.csv)."""
    df = reference.table("kpis.csv")
    return _index([(c, ja) for c, ja in df[["code", "label_ja"]].itertuples(index=False)])


@functools.cache
def rule_index() -> dict[str, str]:
    """Cost-allocation rules (data/cost_rules.csv)."""
    df = reference.table("cost_rules.csv")
    return _index([tuple(r) for r in df[["code", "label_ja", "label_en"]].itertuples(index=False)])


@functools.cache
def scheme_index() -> dict[str, str]:
    """Prefecture cost-sharing schemes (data/prefecture_schemes.csv)."""
    df = reference.table("prefecture_schemes.csv")
    return _index([tuple(r) for r in df[["code", "label_ja"]].itertuples(index=False)])


@functools.cache
def owner_index() -> dict[str, str]:
    """Owner roles of action items (data/owner_roles.csv)."""
    df = reference.table("owner_roles.csv")
    return _index([tuple(r) for r in df[["code", "label_ja", "label_en", "aliases"]].itertuples(index=False)])


@functools.cache
def consideration_index() -> dict[str, int]:
    """The five considerations (guide 3.3, data/considerations.csv): number, code or label -> number."""
    df = reference.table("considerations.csv").drop_duplicates("number")
    idx: dict[str, int] = {}
    for num, code, ja in df[["number", "code", "label_ja"]].itertuples(index=False):
        for key in (str(num), code, ja, ja.split("（")[0]):
            idx[fold(key)] = int(num)
    return idx


def _allowed(
    table: str, cols: tuple[str, str] = ("code", "label_ja"), where: tuple[str, str] | None = None
) -> str:
    df = reference.table(table)
    if where:
        df = df[df[where[0]] == where[1]]
    return ", ".join(f"{c}（{ja}）" for c, ja in df[list(cols)].itertuples(index=False))


def _lookup(idx_fn: Any, what: str, allowed: Any, value: Any) -> Any:
    if value is None:
        return value
    if isinstance(value, bool) or isinstance(value, dict | list):
        raise reference.EnumValueError(f"{what}として {value!r} は使えません", allowed())
    try:
        return idx_fn()[fold(str(value))]
    except KeyError:
        raise reference.EnumValueError(f"{str(value)!r} は{what}にありません", allowed()) from None


def _ref_code(idx_fn: Any, what: str, allowed: Any, codes: Any) -> Any:
    return Annotated[
        str,
        BeforeValidator(functools.partial(_lookup, idx_fn, what, allowed)),
        WithJsonSchema(
            {"type": "string", "description": f"{what}のコードまたは日本語ラベル", "enum": codes()}
        ),
    ]


def _codes(table: str, where: tuple[str, str] | None = None) -> list[str]:
    df = reference.table(table)
    if where:
        df = df[df[where[0]] == where[1]]
    return list(df["code"])


PurposeCode = _ref_code(
    purpose_index,
    "共同利用の目的（ガイド 2.4）",
    lambda: _allowed("survey_counts.csv", where=("question", "purpose")),
    lambda: _codes("survey_counts.csv", ("question", "purpose")),
)
KpiCode = _ref_code(
    kpi_index, "KPI（ガイドブック 8.3）", lambda: _allowed("kpis.csv"), lambda: _codes("kpis.csv")
)
RuleCode = _ref_code(
    rule_index,
    "費用按分ルール（data/cost_rules.csv）",
    lambda: _allowed("cost_rules.csv"),
    lambda: _codes("cost_rules.csv"),
)
SchemeCode = _ref_code(
    scheme_index,
    "県負担の方式（data/prefecture_schemes.csv）",
    lambda: _allowed("prefecture_schemes.csv"),
    lambda: _codes("prefecture_schemes.csv"),
)
OWNER_MAX = 80


def _owner(value: Any) -> Any:
    """担当: one of the five roles (code, label or alias → its code), else the office as the file names it
    (「デジタル推進課」, 「〇〇市 企画政策課」): offices assign a 課, not a category. One line, not empty."""
    if value is None:
        return value
    if isinstance(value, bool) or isinstance(value, dict | list):
        raise reference.EnumValueError(f"担当として {value!r} は使えません", _allowed("owner_roles.csv"))
    text = str(value).strip()
    hit = owner_index().get(fold(text))
    if hit is not None:
        return hit
    if not text:
        raise ValueError(
            "担当を入力してください（課の名前、または 都道府県・市区町村・運営組織・ベンダ・サービス提供者）"
        )
    if "\n" in text or "\r" in text or len(text) > OWNER_MAX:
        raise ValueError(f"担当は {OWNER_MAX} 文字までの1行で入力してください")
    return text


OwnerCode = Annotated[
    str,
    BeforeValidator(_owner),
    WithJsonSchema(
        {
            "type": "string",
            "description": "担当: 役割のコードまたは日本語ラベル（data/owner_roles.csv）、または課の名前（自由記入）",
            "examples": ["prefecture", "都道府県", "デジタル推進課"],
        }
    ),
]


def _consideration(value: Any) -> Any:
    if value is None:
        return value
    if isinstance(value, bool) or isinstance(value, dict | list):
        raise reference.EnumValueError(f"検討事項として {value!r} は使えません", _allowed_considerations())
    try:
        return consideration_index()[fold(str(value))]
    except KeyError:
        raise reference.EnumValueError(
            f"{str(value)!r} はガイド 3.3 の五つの検討事項にありません", _allowed_considerations()
        ) from None


def _allowed_considerations() -> str:
    df = reference.table("considerations.csv").drop_duplicates("number")
    return ", ".join(
        f"{n}={c}（{ja}）" for n, c, ja in df[["number", "code", "label_ja"]].itertuples(index=False)
    )


Consideration = Annotated[
    int,
    BeforeValidator(_consideration),
    WithJsonSchema(
        {"type": ["integer", "string"], "description": "検討事項 1..5、コードまたは日本語ラベル（guide 3.3）"}
    ),
]


def _month_date(value: Any) -> Any:
    """``2026-04`` (a month) reads as its first day."""
    if isinstance(value, str) and len(value.strip()) == 7 and value.strip()[4] == "-":
        return value.strip() + "-01"
    return value


# --- vision -----------------------------------------------------------------------------------------


class KpiTarget(Model):
    """A KPI of the vision with its target (guidebook 8.3; the list is data/kpis.csv)."""

    code: KpiCode = Field(description="KPIのコードまたは日本語ラベル（data/kpis.csv）")  # type: ignore[valid-type]
    target: float = Field(ge=0, allow_inf_nan=False, description="目標値（data/kpis.csv の単位）")
    year: int = Field(ge=2000, le=2100, description="目標年度")
    baseline: float | None = Field(None, ge=0, allow_inf_nan=False, description="現状値")
    baseline_year: int | None = Field(None, ge=2000, le=2100)
    service: str | None = Field(None, description="サービスごとのKPI（mau_per_service など）の対象サービスID")
    notes: str | None = None


class Vision(Model):
    """Step 2 目的の設定とビジョンの策定 (guide 3.1): the choices written into the 共同利用ビジョン."""

    purposes: list[PurposeCode] = Field(  # type: ignore[valid-type]
        default_factory=list,
        description="共同利用の目的（ガイド 2.4 の三つ: cost_reduction, wide_area_dx, service_sharing）",
    )
    statement: str | None = Field(None, description="ビジョン（目指す姿・実現により得られるメリット）の文章")
    external_body_possible: bool | None = Field(
        None,
        description="公益性の高い外部組織（株式会社、一般社団法人、コンソーシアム等）を立ち上げられるか（ガイド 2.7）",
    )
    organisation: Code("organisation") | None = Field(  # type: ignore[valid-type]
        None, description="運営組織の型: serial（直列型）| parallel（並列型）| external（外部組織型）"
    )
    cost_rule: RuleCode | None = Field(None, description="費用按分ルール（data/cost_rules.csv）")  # type: ignore[valid-type]
    scheme: SchemeCode | None = Field(  # type: ignore[valid-type]
        None, description="県負担の方式（data/prefecture_schemes.csv: none | fukushima | tochigi | tottori）"
    )
    kpis: list[KpiTarget] = Field(default_factory=list)
    source: str | None = Field(None, description="出典（会議名・日付など）")
    notes: str | None = None

    @field_validator("purposes")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        dup = sorted({x for x in v if v.count(x) > 1})
        if dup:
            raise ValueError(f"目的が重複しています: {', '.join(dup)}")
        return v

    def cross_check(self, pref: Prefecture) -> Iterator[tuple[Loc, str, object]]:
        target_org = pref.target.organisation if pref.target else None
        if self.organisation and target_org and self.organisation != target_org:
            yield (
                ("organisation",),
                f"target.organisation（{reference.label('organisation', target_org)}）と食い違っています",
                self.organisation,
            )
        cost_scheme = pref.costs.scheme if pref.costs else None
        if self.scheme and cost_scheme and self.scheme != cost_scheme:
            yield ("scheme",), f"costs.scheme（{cost_scheme}）と食い違っています", self.scheme
        services = {s.id for s in pref.services}
        seen: dict[tuple[str, str | None], int] = {}
        for i, k in enumerate(self.kpis):
            key = (k.code, k.service)
            if key in seen:
                yield ("kpis", i, "code"), f"同じKPIが重複しています（kpis[{seen[key]}] と同じ）", k.code
            seen.setdefault(key, i)
            if k.service is not None and k.service not in services:
                known = ", ".join(sorted(services)) or "なし"
                yield ("kpis", i, "service"), f"不明なサービスIDです（既知: {known}）", k.service
            if k.baseline_year is not None and k.baseline_year > k.year:
                yield ("kpis", i, "baseline_year"), "現状値の年度が目標年度より後です", k.baseline_year


# --- plan -------------------------------------------------------------------------------------------


class ActionItemEdit(Model):
    """One action item as the user wrote it: overrides the generated item with the same ``id`` (only the
    keys written), or adds a new item (then ``title`` is required)."""

    id: _Id = Field(
        pattern=ID_PATTERN, description="取組事項のID（生成された項目のIDで上書き、新しいIDで追加）"
    )
    title: str | None = Field(None, min_length=1, description="取組事項")
    consideration: Consideration | None = None  # type: ignore[valid-type]
    owner: OwnerCode | None = Field(
        None, description="担当: 5つの役割（data/owner_roles.csv）のどれか、または課の名前（自由記入）"
    )  # type: ignore[valid-type]
    start: Annotated[int | date, BeforeValidator(_month_date)] | None = Field(
        None,
        description="最早開始: 計画開始からの月数（整数）または日付（YYYY-MM-DD / YYYY-MM、plan.start が必要）",
    )
    duration: int | None = Field(None, ge=0, le=120, description="期間（月）。0 はマイルストーン")
    depends_on: list[_Id] | None = Field(None, description="先行する取組事項のID（[] で依存なし）")
    done: bool | None = Field(None, description="完了した")
    notes: str | None = None

    @field_validator("start")
    @classmethod
    def _start(cls, v: int | date | None) -> int | date | None:
        if isinstance(v, int) and v < 0:
            raise ValueError("開始月は 0 以上を指定してください")
        return v

    @field_validator("depends_on")
    @classmethod
    def _deps(cls, v: list[str] | None) -> list[str] | None:
        if v:
            dup = sorted({x for x in v if v.count(x) > 1})
            if dup:
                raise ValueError(f"依存先が重複しています: {', '.join(dup)}")
        return v


class Plan(Model):
    """Step 3 実行計画 (guide 3.1): the user's edits to the generated action plan."""

    start: Annotated[date, BeforeValidator(_month_date)] | None = Field(
        None, description="計画の開始日（YYYY-MM-DD または YYYY-MM）"
    )
    items: list[ActionItemEdit] = Field(default_factory=list)
    removed: list[_Id] = Field(default_factory=list, description="生成された取組事項のうち外すもののID")
    notes: str | None = None

    def cross_check(self, pref: Prefecture) -> Iterator[tuple[Loc, str, object]]:
        seen: dict[str, int] = {}
        for i, it in enumerate(self.items):
            if it.id in seen:
                yield ("items", i, "id"), f"取組事項IDが重複しています（items[{seen[it.id]}] と同じ）", it.id
            seen.setdefault(it.id, i)
            if isinstance(it.start, date) and self.start is None:
                yield (
                    ("items", i, "start"),
                    "日付で開始を指定するには plan.start（計画の開始日）が必要です",
                    None,
                )
            elif isinstance(it.start, date) and self.start is not None and it.start < self.start:
                yield ("items", i, "start"), f"計画の開始日（{self.start}）より前です", it.start.isoformat()
            for j, dep in enumerate(it.depends_on or []):
                if dep == it.id:
                    yield ("items", i, "depends_on", j), "取組事項が自分自身に依存しています", dep
