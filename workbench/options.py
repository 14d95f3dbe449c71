"""Step 2 目指す型の選択 (guide 3.1 Step 2, 3.2): the options open to the prefecture side by side with their
costs, a recommendation with its reasons, and what would change it.

:func:`options` builds the options from today's 型 (guide 3.2: the starting point decides; the guidebook's
transitions, data/type_paths.csv), and for each one an end state — a copy of the prefecture file in which the
option is done (platforms converged or federated, users widened, services moved). The analyses run on those
copies through their public functions (:func:`workbench.classify.classify`, :func:`workbench.auth.match_auth`,
:func:`workbench.cost.allocate`, :func:`workbench.plan.action_plan`), so a change of their rules flows through.

Costs (present values over the scenario's horizon, yen):

* where the file states an option's cost (``costs.options``), that cost;
* one platform for every member: the file's shared-platform scenario (``costs.shared``) allocated with the
  vision's rule and the prefecture's scheme (:func:`workbench.cost.allocate`);
* a member alone: its stand-alone cost (``costs.standalone``);
* several municipalities on a platform of their own (today's shared platforms, the platforms of a federation):
  estimated from the guide's surveyed effects of sharing (guide 2.5: build 1/2–1/12, running 1/5–1/20 of going
  alone), never more than the number of members sharing, as a range labelled 推計; with the recommended-module
  effect (guide 2.6: 83 % / 41 %) where the scenario applies it. The cost of federating (認証連携・データ連携)
  has no figure in the sources and is not included (said in the option's risks).

The recommendation weighs five criteria (data/option_criteria.csv: cost, principles of guide 1.1/1.2,
authentication gaps, risks, months) with weights the user can change; the default weights are 本ツールの読み.
Pure functions: no charts, no widgets, no files.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from . import reference
from .errors import InputError
from .inventory import Prefecture, Target
from .inventory.costs import STATUS_QUO
from .results import Result, frame
from .text import fold, money_ja

CRITERIA_TABLE = "option_criteria.csv"
KINDS_TABLE = "option_kinds.csv"
OUR_READING = "本ツールの読み"
#: two options whose weighted scores differ by less than this are close (on a 0–1 scale)
CLOSE = 0.05
GOAL = "2.4"
GUIDE_2_5 = "guide 2.5"
NEW_ID = "new-shared-platform"


# --- the result ------------------------------------------------------------------------------------------


class PrefectureRef(BaseModel):
    code: str
    name: str


class Criterion(BaseModel):
    """A criterion of the recommendation (data/option_criteria.csv) with the weight used."""

    code: str
    name: str
    weight: float = Field(description="使った重み（合計1）")
    default_weight: float = Field(description="本ツールの読みの重み")
    better: Literal["lower", "higher"]
    unit: str
    description: str
    quote: str
    source: str
    active: bool = Field(True, description="比べられる値がない（費用の前提がない等）ときは使わない")


class Reason(BaseModel):
    """A sentence with where it comes from: a sentence of the guide (quoted) or a number of the analyses."""

    text: str
    source: str
    quote: str | None = None


class Risk(Reason):
    """A risk of an option with its weight in the recommendation: 弊害・条件未達 (high, 1 point), 移行の手間・
    費用の不明 (medium, 0.6), a challenge most surveyed bodies met (low, 0.3)."""

    level: Literal["high", "medium", "low"] = "medium"

    @property
    def points(self) -> float:
        return RISK_POINTS[self.level]


RISK_POINTS = {"high": 1.0, "medium": 0.6, "low": 0.3}
#: the points (risks) and gaps (authentication) at which a criterion's score reaches 0
SCALE_CAP = 5.0


class AuthGap(BaseModel):
    """An authentication gap of an option's end state and the smallest means that close it (guide 4.1)."""

    kind: Literal["service", "federation"]
    subject: list[str] = Field(description="サービスまたは基盤のID")
    name: str
    detail: str
    means_to_add: list[str] = Field(default_factory=list, description="不足を埋める最小の手段（コード）")
    means_labels: list[str] = Field(default_factory=list)


class Decision(BaseModel):
    """A decision the option needs and who takes it (data/owner_roles.csv)."""

    text: str
    who: str
    who_label: str
    source: str


class MemberCost(BaseModel):
    """A municipality's cost under an option (present value, yen)."""

    code: str
    name: str
    cost: float | None
    alone: float | None = Field(None, description="単独の場合（現在価値）")


class PrincipleState(BaseModel):
    code: str
    label: str
    ok: bool
    unknown: bool = False
    detail: str = ""


class Option(BaseModel):
    """One option of guide 3.2 with its costs and consequences (CONTRACT ``options``)."""

    id: str = Field(description="status_quo または到達する型（2.x）")
    kind: str = Field(description="status_quo | new | widen | converge | federate")
    label: str
    type: str = Field(description="到達する型（現状維持は今の型）")
    type_label: str
    reached_type: str | None = Field(None, description="到達後の姿を分類した型（classify の結果）")
    description: str
    is_target: bool = Field(False, description="ファイルの目指す型（target:）")
    platforms: list[str] = Field(default_factory=list, description="到達後に残る基盤のID")
    total_cost: float | None = Field(None, description="評価期間の総額（現在価値、円）。推計は範囲の中間")
    total_cost_low: float | None = None
    total_cost_high: float | None = None
    prefecture_cost: float | None = None
    municipal_cost: float | None = None
    saving: float | None = Field(None, description="現状維持との差（正は安くなる、円）")
    saving_low: float | None = None
    saving_high: float | None = None
    estimated: bool = Field(False, description="費用がガイドの調査結果からの推計（ファイルの金額ではない）")
    unpriced: list[str] = Field(
        default_factory=list,
        description="費用に含まれていない部分（出典に金額がなく、ファイルにもない: 基盤間連携の費用など）。"
        "空でなければ費用は下限、現状維持との差は上限",
    )
    cost_basis: list[Reason] = Field(default_factory=list)
    members: list[MemberCost] = Field(default_factory=list)
    months: int | None = Field(None, description="到達までの月数（実行計画のクリティカルパス）")
    plan_items: int | None = None
    auth_gaps: list[AuthGap] = Field(default_factory=list)
    principles_met: list[str] = Field(default_factory=list, description="満たす基本的な考え方（コード）")
    principles: list[PrincipleState] = Field(default_factory=list)
    risks: list[Risk] = Field(default_factory=list)
    goal_steps: int | None = Field(None, description="型2.4までに残る段階")
    decisions: list[Decision] = Field(default_factory=list)
    scores: dict[str, float] = Field(default_factory=dict, description="基準ごとの評点（0〜1）")
    score: float = 0.0
    rank: int = 0
    recommended: bool = False
    reasons: list[Reason] = Field(default_factory=list)
    break_even: float | None = Field(
        None,
        description="推奨が入れ替わる費用（現在価値、円）: 推奨でない選択肢はこの額以下なら推奨に、推奨の選択肢は"
        "この額を超えると別の選択肢に替わる。費用だけでは替わらないときは None",
    )

    def months_text(self) -> str:
        if self.months is None:
            return "不明"
        return "すぐ（今の姿）" if self.kind == STATUS_QUO else f"{self.months}か月"

    def cost_text(self) -> str:
        """The cost as staff read it; with the parts that have no figure named (「＋基盤間連携の費用（不明）」)."""
        if self.total_cost is None:
            return "不明"
        if self.estimated and self.total_cost_low is not None and self.total_cost_high is not None:
            text = f"{money_ja(self.total_cost_low)}〜{money_ja(self.total_cost_high)}（推計）"
        else:
            text = money_ja(self.total_cost)
        return text + "".join(f"＋{part}（不明）" for part in self.unpriced)

    def saving_text(self) -> str:
        """The difference from today as staff read it; where parts of the option have no figure the known part
        and 「（…の費用の分を除く）」, and never 「差なし」 for an option that adds an unknown cost."""
        if self.kind == STATUS_QUO:
            return "—"
        if self.saving is None:
            return "不明"
        lo, hi = self.saving_low, self.saving_high
        text = (
            f"{_signed(lo)}〜{_signed(hi)}" if lo is not None and hi is not None and abs(hi - lo) > 1 else ""
        )
        text = text or _signed(self.saving)
        if not self.unpriced:
            return text
        parts = "・".join(self.unpriced)
        if text == "差なし":
            return f"{parts}の分だけ増（額は不明）"
        return f"{text}（{parts}を除く）"


def _signed(x: float) -> str:
    """A saving as staff read it: 「2.10億円減」, 「3,000万円増」."""
    if abs(x) < 0.5:
        return "差なし"
    return f"{money_ja(abs(x))}{'減' if x > 0 else '増'}"


class OptionsResult(Result):
    """Step 2 目指す型の選択 (guide 3.2): the options, the recommendation and what would change it."""

    prefecture: PrefectureRef
    current_type: str | None
    current_label: str
    current_text: str = Field("", description="今の型を職員が読む形で（「型2.8（条件未達: …）」「未確定」）")
    starting_point: str = Field(description="guide 3.2 の共同利用前の状態")
    direction: str = Field(description="guide 3.2 の目指す共同利用の状態")
    horizon_years: int | None
    discount_rate: float | None
    rule: str | None
    rule_label: str | None
    scheme: str | None
    scheme_label: str | None
    options: list[Option]
    criteria: list[Criterion]
    weights_default: bool = Field(description="重みが本ツールの読み（既定）のまま")
    recommended: str = Field(description="推奨する選択肢のID")
    close: bool = Field(description="推奨と次点が僅差")
    summary: str
    what_changes: list[Reason]
    notes: list[str]
    sources: dict[str, str]

    def option(self, option_id: str) -> Option:
        for o in self.options:
            if o.id == option_id:
                return o
        raise KeyError(option_id)

    @property
    def best(self) -> Option:
        return self.option(self.recommended)

    def card_title(self) -> str:
        return f"{self.prefecture.name} 目指す型の選択肢と推奨（Step 2）"

    def current_words(self) -> str:
        """Today's type as staff read it: 「型2.8（条件未達: …）（複数基盤・…）」 (issue 22's wording), or
        判定できません."""
        if not self.current_type:
            return "判定できません"
        return f"{self.current_text or '型' + self.current_type}（{self.current_label}）"

    def card_rows(self) -> list[tuple[str, str]]:
        b = self.best
        return [
            ("今の型", self.current_words()),
            ("出発点（ガイド 3.2）", f"{self.starting_point} → {self.direction}"),
            ("推奨", b.label),
            ("要旨", self.summary),
            ("重み", self.weights_text()),
        ]

    def card_tables(self) -> list[tuple[str, pd.DataFrame]]:
        return [("選択肢の比較", self.to_staff_frame()), ("推奨の理由", self.reasons_frame())]

    def weights_text(self) -> str:
        head = f"{OUR_READING}（既定）" if self.weights_default else "利用者が変えた重み"
        return head + ": " + "、".join(f"{c.name} {c.weight:.0%}" for c in self.criteria if c.active)

    FIELD_DOCS: ClassVar[dict[str, str]] = {
        "prefecture": "{code, name} of the prefecture",
        "current_type": 'today\'s type ("2.8" …; None when it cannot be determined)',
        "current_label": "today's type in words (the 型 table's label)",
        "horizon_years": "the cost scenario's horizon (years; None without costs:)",
        "discount_rate": "the cost scenario's discount rate (None without costs:)",
        "rule": "the allocation rule the costs are split with (data/cost_rules.csv code)",
        "rule_label": "its name",
        "scheme": "the prefecture's scheme (data/prefecture_schemes.csv code)",
        "scheme_label": "its name",
        "options": "the options, status quo first: costs, gaps, months, principles, risks, decisions, reasons",
        "criteria": "the criteria of the recommendation with the weights used",
        "summary": "the recommendation in one sentence (Japanese)",
        "what_changes": "what would change the recommendation (break-even costs), each with its source",
        "notes": "what the comparison assumes (Japanese)",
        "sources": "where each part comes from (guide sections, the file)",
    }

    FRAME_COLUMNS: ClassVar[dict[str, str]] = {
        "id": 'the option\'s id: status_quo or the 型 it reaches ("2.4")',
        "kind": "status_quo | the kind of move (data/option_kinds.csv)",
        "label": "the option's name (Japanese, platforms by name)",
        "type": 'the 型 of the option ("2.8"); today\'s type for status_quo',
        "reached_type": "the type the end state is classified as (may differ when a condition is still unmet)",
        "total_cost": "present value over the horizon (yen; the middle of the range when estimated); NaN: unknown",
        "total_cost_low": "low end of an estimated cost (yen)",
        "total_cost_high": "high end of an estimated cost (yen)",
        "prefecture_cost": "the prefecture's part (yen)",
        "municipal_cost": "the municipalities' part (yen)",
        "saving": "total_cost of status_quo minus this option's (yen; positive: cheaper)",
        "estimated": "True when the cost is estimated from the guide's survey (guide 2.5), not stated in the file",
        "unpriced": "parts of the option with no cost figure (joined by |): total_cost is then a lower bound",
        "months": "months to get there (the action plan's critical path; 0 for status_quo)",
        "auth_gaps": "number of authentication gaps (services short of their level, federations at unequal levels)",
        "principles_met": "number of the principles of guide 1.1/1.2 met",
        "risks": "number of risks",
        "score": "weighted score (0–1)",
        "rank": "rank by score (1 = recommended)",
        "recommended": "True for the recommended option",
        "break_even": "the cost (yen) at which the recommendation changes; NaN when cost alone does not change it",
    }

    def to_frame(self) -> pd.DataFrame:
        """One row per option, codes as values (analysts; columns: :attr:`FRAME_COLUMNS`): id, kind, type,
        costs (yen), saving, estimated, months, counts of gaps, principles met and risks, score, rank,
        recommended."""
        recs = [
            {
                "id": o.id,
                "kind": o.kind,
                "label": o.label,
                "type": o.type,
                "reached_type": o.reached_type,
                "total_cost": o.total_cost,
                "total_cost_low": o.total_cost_low,
                "total_cost_high": o.total_cost_high,
                "prefecture_cost": o.prefecture_cost,
                "municipal_cost": o.municipal_cost,
                "saving": o.saving,
                "estimated": o.estimated,
                "unpriced": "|".join(o.unpriced),
                "months": o.months,
                "auth_gaps": len(o.auth_gaps),
                "principles_met": len(o.principles_met),
                "risks": len(o.risks),
                "score": o.score,
                "rank": o.rank,
                "recommended": o.recommended,
                "break_even": o.break_even,
            }
            for o in self.options
        ]
        return frame(recs, self.FRAME_COLUMNS)

    def display_frame(self) -> pd.DataFrame:
        """The same as :meth:`to_staff_frame` (the name issue 23's callers use)."""
        return self.to_staff_frame()

    def to_staff_frame(self) -> pd.DataFrame:
        """The comparison as staff read it, one row per option: names, 円 amounts, months, counts, ○ and ◎."""
        years = f"{self.horizon_years}年" if self.horizon_years else "評価期間"
        n_principles = len(self.best.principles) or 6
        recs = [
            {
                "選択肢": o.label,
                "型": f"型{o.type}",
                f"費用（{years}・現在価値）": o.cost_text(),
                "うち県": money_ja(o.prefecture_cost) if o.prefecture_cost is not None else "不明",
                "うち市町村": money_ja(o.municipal_cost) if o.municipal_cost is not None else "不明",
                "現状維持との差": o.saving_text(),
                "到達まで": o.months_text(),
                "認証の不足": f"{len(o.auth_gaps)}件",
                "基本的な考え方": f"{len(o.principles_met)}/{n_principles}",
                "リスク": f"{len(o.risks)}件",
                "評点": f"{o.score * 100:.0f}",
                "ファイルの目標": "○" if o.is_target else "",
                "推奨": "◎" if o.recommended else "",
            }
            for o in self.options
        ]
        return pd.DataFrame.from_records(recs)

    def columns_frame(self) -> pd.DataFrame:
        """The comparison with the options as columns (fits a portrait page): one row per thing compared."""
        df = self.to_staff_frame().set_index("選択肢").T
        df.columns = [("◎" if x.recommended else "") + x.label for x in self.options]
        return (
            df.drop(index=["ファイルの目標"], errors="ignore").reset_index().rename(columns={"index": "項目"})
        )

    def reasons_frame(self) -> pd.DataFrame:
        """The recommended option's reasons with their sources."""
        from .staff import source_ja

        return pd.DataFrame.from_records(
            [{"理由": r.text, "根拠": source_ja(r.source)} for r in self.best.reasons],
            columns=["理由", "根拠"],
        )

    def decisions_frame(self) -> pd.DataFrame:
        """The decisions the recommended option needs, with who takes them."""
        from .staff import source_ja

        return pd.DataFrame.from_records(
            [
                {"誰が": d.who_label, "決めていただきたいこと": d.text, "根拠": source_ja(d.source)}
                for d in self.best.decisions
            ],
            columns=["誰が", "決めていただきたいこと", "根拠"],
        )

    def changes_lines(self) -> list[str]:
        """What would change the recommendation, and the weights used (one line each)."""
        return [r.text for r in self.what_changes] + [self.weights_text()]

    def criteria_frame(self) -> pd.DataFrame:
        from .staff import source_ja

        return pd.DataFrame.from_records(
            [
                {
                    "基準": c.name,
                    "重み": f"{c.weight:.0%}" if c.active else "使わない",
                    f"{OUR_READING}": f"{c.default_weight:.0%}",
                    "良い方向": "少ないほど良い" if c.better == "lower" else "多いほど良い",
                    "説明": c.description,
                    "根拠": f"{source_ja(c.source)}「{c.quote}」",
                }
                for c in self.criteria
            ]
        )

    def members_frame(self) -> pd.DataFrame:
        """Each member's cost under each option (万円 text), municipalities as rows."""
        cols: dict[str, dict[str, str]] = {}
        names: dict[str, str] = {}
        for o in self.options:
            for m in o.members:
                names[m.code] = m.name
                cols.setdefault(o.label, {})[m.code] = money_ja(m.cost) if m.cost is not None else "不明"
        rows = [{"市区町村": names[c], **{k: v.get(c, "—") for k, v in cols.items()}} for c in names]
        return pd.DataFrame.from_records(rows)

    def summary_lines(self) -> list[str]:
        """The recommendation in a few sentences (``print(result)``): the summary, what would change it and the
        weights used (本ツールの読み or 利用者が変えた重み)."""
        return [self.summary, *self.changes_lines()]


# --- reference tables ------------------------------------------------------------------------------------


def criteria_table() -> pd.DataFrame:
    """The recommendation's criteria: code, label_ja, default weight, better, quote_ja, source."""
    return reference.table(CRITERIA_TABLE)


def kinds_table() -> pd.DataFrame:
    return reference.table(KINDS_TABLE)


def criterion_code(value: object) -> str:
    """A criterion given as its code or Japanese name (「費用」, ``cost``)."""
    df = criteria_table()
    for code, ja in df[["code", "label_ja"]].itertuples(index=False):
        if isinstance(value, str) and fold(value) in (fold(code), fold(ja)):
            return str(code)
    raise InputError.single(
        f"基準 {value!r} はありません",
        field="weights",
        value=value,
        allowed="、".join(f"{c}（{j}）" for c, j in df[["code", "label_ja"]].itertuples(index=False)),
    )


def default_weights() -> dict[str, float]:
    """The default weights (本ツールの読み, data/option_criteria.csv)."""
    df = criteria_table()
    return {str(c): float(w) for c, w in df[["code", "weight"]].itertuples(index=False)}


def normalise_weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    """Weights by criterion code, missing ones at their default, scaled to sum to 1; negative or all-zero
    weights are an error."""
    out = default_weights()
    for k, v in (weights or {}).items():
        code = criterion_code(k)
        if not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(v) or v < 0:
            raise InputError.single("重みは0以上の数にしてください", field=f"weights.{code}", value=v)
        out[code] = float(v)
    total = sum(out.values())
    if total <= 0:
        raise InputError.single("重みがすべて0です", field="weights", value=0)
    return {k: v / total for k, v in out.items()}


# --- today's state and the candidate options -------------------------------------------------------------


def _data(p: Any) -> bool:
    return bool(p.has_non_personal or p.has_personal)


def _running_data(pref: Prefecture) -> list[Any]:
    from .classify import running

    return [p for p in running(pref) if _data(p)]


def _mixed_today(pref: Prefecture) -> bool:
    """Private services today (on a running platform) or a platform that lets private firms provide them."""
    run = {p.id for p in _running_data(pref)}
    return any(s.provider == "private" and s.platform in run for s in pref.services) or any(
        p.service_scheme in ("both", "private") for p in _running_data(pref)
    )


def _types() -> pd.DataFrame:
    return reference.table("types_after.csv").set_index("type")


def _successors(start: str) -> list[str]:
    """Types reachable from ``start`` along the guidebook's transitions (data/type_paths.csv), nearest first."""
    df = reference.table("type_paths.csv")
    edges: dict[str, list[str]] = {}
    for a, b in df[["from", "to"]].astype(str).itertuples(index=False):
        edges.setdefault(a, []).append(b)
    out, frontier = [], [start]
    while frontier:
        nxt = []
        for t in frontier:
            for b in edges.get(t, []):
                if b not in out and b != start:
                    out.append(b)
                    nxt.append(b)
        frontier = nxt
    return out


def candidate_types(pref: Prefecture, cl: Any) -> list[str]:
    """The 型 open from today's state (guide 3.2, the starting point decides; data/type_paths.csv):

    * no municipality runs a platform: prepare one for shared use — 型2.2, and 型2.4 with private services;
    * one runs a platform: share it — 型2.2, 型2.4;
    * several run platforms: share one (型2.2, 型2.4) or, where forcing one would do harm, connect them
      (型2.6 with municipal services only, 型2.8 with private services);
    * where private firms provide services today, the types with municipal services only (2.2, 2.6) are left
      out: they would take those services off the platform;
    * already in shared use: the types reachable along the guidebook's transitions (7.2), today's own type
      too where its conditions are not met (型2.8（条件未達）: meeting them is an option);
    * and the file's target, whatever it is.
    """
    n = len(_running_data(pref))
    mixed = _mixed_today(pref)
    out: list[str] = [GOAL] if mixed else ["2.2", GOAL]
    if n >= 2:
        out.append("2.8" if mixed else "2.6")
    base = cl.shared_type or (cl.current_type if (cl.current_type or "").startswith("2.") else None)
    if base:
        out += [t for t in _successors(base) if not (mixed and t in ("2.2", "2.6"))]
    target = cl.after.type if cl.after is not None else None
    if target:
        out.append(target)
    # today's type is open again where its own conditions are not met (型2.8（条件未達）: meeting them is the move)
    reopen = cl.conditions_met is False
    seen = [t for t in dict.fromkeys(out) if t != base or t == target or reopen]
    if base == GOAL and cl.current_type == GOAL:  # already at the goal: only the goal (and the target)
        seen = [t for t in seen if t in (GOAL, target)]
    order = {t: i for i, t in enumerate(["2.1", "2.3", "2.2", "2.5", "2.7", "2.6", "2.8", GOAL])}
    return sorted(seen, key=lambda t: order.get(t, 99))


# --- the end state of an option --------------------------------------------------------------------------


@dataclass
class Spec:
    """How an option is done: its 型 and the platforms it keeps."""

    type: str
    kind: str
    source: str  # single | multiple
    scope: str  # municipal | prefectural
    providers: str  # municipalities | mixed
    destination: str | None = None  # the platform everything converges on (single)
    keep: list[str] = field(default_factory=list)  # platform ids kept (multiple)
    new_platform: bool = False


def destination(pref: Prefecture) -> Any | None:
    """The platform a single-platform option converges on: the target's hub; else the prefecture's data
    platform (running before building); else the running data platform with the most users."""
    by_id = {p.id: p for p in pref.platforms}
    if pref.target and pref.target.hub and pref.target.hub in by_id and _data(by_id[pref.target.hub]):
        return by_id[pref.target.hub]
    prefs = [p for p in pref.platforms if _data(p) and p.operated_by == "prefecture"]
    prefs.sort(key=lambda p: (p.status != "running", p.status != "building"))
    if prefs and prefs[0].status in ("running", "building"):
        return prefs[0]
    run = _running_data(pref)
    if not run:
        return None
    return max(run, key=lambda p: (p.operated_by == "operating_body", len(pref.users_of(p))))


def spec_for(pref: Prefecture, t: str) -> Spec:
    row = _types().loc[t]
    run = _running_data(pref)
    if row["source"] == "single":
        d = destination(pref)
        if d is None:
            kind = "new"
        elif len(run) <= 1 and (not run or run[0].id == d.id):
            kind = "widen"
        else:
            kind = "converge"
        return Spec(
            t,
            kind,
            "single",
            str(row["user_scope"]),
            str(row["providers"]),
            destination=d.id if d else NEW_ID,
            new_platform=d is None,
        )
    keep = [p.id for p in run]
    d = destination(pref)
    if d is not None and d.id not in keep:
        keep.append(d.id)
    return Spec(t, "federate", "multiple", str(row["user_scope"]), str(row["providers"]), keep=keep)


def _members(pref: Prefecture) -> list[str]:
    """The municipalities the options are costed for: the scenario's members, else every municipality."""
    if pref.costs is not None and pref.costs.members:
        return list(pref.costs.members)
    return list(reference.municipalities_of(pref.code)["code"])


def _new_platform(pref: Prefecture) -> Any:
    from .inventory import Platform

    return Platform(
        id=NEW_ID,
        name="共同利用の基盤（新設）",
        operated_by="operating_body",
        field="cross",
        components=["auth", "non_personal", "personal"],
        user_scope="prefectural",
        modules=["orion", "personal_data_module"],
        api_published=True,
        source="本ツールの読み（新設する基盤: ガイド 1.1 (3) の推奨モジュールから採用し、4.3 のとおりAPIを公開する前提）",
    )


def end_state(pref: Prefecture, spec: Spec) -> Prefecture:
    """A copy of the file in which the option is done (nothing of ``pref`` changes):

    * single platform: every member uses the destination platform (its scope widened to the prefecture for
      型2.2/2.4); the other data platforms are retired and their services move to it, with their data sources;
    * several platforms: each platform kept is widened (prefectural types), its authentication federated with
      the others (型2.6/2.8) and its data too (型2.8); members on no platform use the destination's;
    * municipal services only (型2.1/2.2/2.5/2.6): services private firms provide are left out.

    The copy is a file the checks accept (:func:`workbench.validate`), as the analyses run on it refuse any
    other: the データマップ's assets and APIs of a retired platform move with its services, and what names a
    service left out (its data map row, a 提供先, a KPI of the vision) goes with it.
    """
    platforms = list(pref.platforms) + ([_new_platform(pref)] if spec.new_platform else [])
    services = list(pref.services)
    if spec.providers == "municipalities":
        services = [s for s in services if s.provider != "private"]
    if spec.source == "single":
        platforms, services = _converged(pref, spec, platforms, services)
    else:
        platforms = _federated(pref, spec, platforms)
    hub = spec.destination if spec.source == "single" else None
    target = Target(source=spec.source, user_scope=spec.scope, providers=spec.providers, hub=hub)
    kept = {p.id for p in platforms}
    retired = {p.id for p in pref.platforms if p.id not in kept}
    left_out = {s.id for s in pref.services} - {s.id for s in services}
    to = spec.destination or NEW_ID
    update: dict[str, Any] = {"platforms": platforms, "services": services, "target": target}
    if pref.data_map is not None and (retired or left_out):
        update["data_map"] = _carried_map(pref, retired, to, left_out)
    if pref.vision is not None and left_out and any(k.service in left_out for k in pref.vision.kpis):
        kpis = [k for k in pref.vision.kpis if k.service not in left_out]
        update["vision"] = pref.vision.model_copy(update={"kpis": kpis})
    return pref.model_copy(update=update)


def _carried_map(pref: Prefecture, retired: set[str], to: str, left_out: set[str]) -> Any:
    """The data map of an end state: assets and APIs of a retired platform on the destination ``to``; rows and
    提供先 naming a service left out dropped (names resolved as the data map's checks do)."""
    from .inventory.datamap import ServiceNames

    dm = pref.data_map
    assert dm is not None
    names = ServiceNames(pref, dm.systems)

    def gone(text: str) -> bool:
        return names.resolve(text) in left_out

    def kept_to(targets: list[str]) -> list[str]:
        return [t for t in targets if not gone(t)]

    rows = [
        r.model_copy(update={"external": [x.model_copy(update={"to": kept_to(x.to)}) for x in r.external]})
        for r in dm.services
        if not gone(r.service)
    ]
    assets = [
        a.model_copy(update={"platform": to if a.platform in retired else a.platform, "to": kept_to(a.to)})
        for a in dm.assets
    ]
    apis = [a.model_copy(update={"platform": to}) if a.platform in retired else a for a in dm.apis]
    return dm.model_copy(update={"services": rows, "assets": assets, "apis": apis})


def _scheme(spec: Spec) -> str:
    return "both" if spec.providers == "mixed" else "municipality"


def _converged(pref: Prefecture, spec: Spec, platforms: list[Any], services: list[Any]) -> tuple[list, list]:
    """One platform: the destination serves every member (its own users for a municipal scope) with the
    components of the platforms it replaces; those are retired, their services move to it."""
    d = next(p for p in platforms if p.id == (spec.destination or NEW_ID))
    retired = {p.id for p in platforms if _data(p) and p.id != d.id and p.status == "running"}
    own = set(pref.users_of(d)) if not spec.new_platform else set()
    users = (
        sorted(own or set(_members(pref))) if spec.scope == "municipal" else sorted(set(_members(pref)) | own)
    )
    comps = sorted({c for p in platforms if p.id in retired or p.id == d.id for c in p.components})
    new_d = d.model_copy(
        update={
            "status": "running",
            "user_scope": spec.scope,
            "municipalities": users,
            "service_scheme": _scheme(spec),
            "components": comps or list(d.components),
            "operated_by": d.operated_by
            if d.operated_by in ("prefecture", "operating_body")
            else "operating_body",
        }
    )
    platforms = [_unlink(new_d if p.id == d.id else p, retired) for p in platforms if p.id not in retired]
    return platforms, [_moved(s, retired, d.id) for s in services]


def _federated(pref: Prefecture, spec: Spec, platforms: list[Any]) -> list[Any]:
    """Several platforms: each one kept widened, authentication federated among those with it (levels as they
    are: where they differ, the gap is the option's work), data federated for 型2.8; members on no platform
    use the destination's."""
    by_id = {p.id: p for p in platforms}
    keep = set(spec.keep)
    auth_ps = [i for i in spec.keep if by_id[i].has_auth]
    d = destination(pref)
    extra = [c for c in _members(pref) if not any(c in pref.users_of(by_id[i]) for i in keep)]
    out = []
    for p in platforms:
        if p.id not in keep:
            out.append(p)
            continue
        users = list(pref.users_of(p))
        if d is not None and p.id == d.id:
            users = sorted(set(users) | set(extra))
        data_fed = [i for i in spec.keep if i != p.id] if spec.type == "2.8" else list(p.data_federation_with)
        out.append(
            p.model_copy(
                update={
                    "status": "running",
                    "user_scope": spec.scope,
                    "municipalities": users or None,
                    "service_scheme": _scheme(spec),
                    "auth_federation_with": [i for i in auth_ps if i != p.id] if p.has_auth else [],
                    "data_federation_with": data_fed,
                }
            )
        )
    return out


def _unlink(p: Any, retired: set[str]) -> Any:
    if not (set(p.auth_federation_with) | set(p.data_federation_with)) & retired:
        return p
    return p.model_copy(
        update={
            "auth_federation_with": [x for x in p.auth_federation_with if x not in retired],
            "data_federation_with": [x for x in p.data_federation_with if x not in retired],
        }
    )


def _moved(s: Any, retired: set[str], to: str) -> Any:
    if s.platform not in retired and not set(s.uses_data_from) & retired:
        return s
    uses = list(dict.fromkeys(to if x in retired else x for x in s.uses_data_from))
    return s.model_copy(
        update={"platform": to if s.platform in retired else s.platform, "uses_data_from": uses}
    )


def aimed(pref: Prefecture, spec: Spec) -> Prefecture:
    """Today's file with the option as its target (the plan to get there: pattern, work items, months)."""
    run = _running_data(pref)
    if spec.source == "multiple":
        approach = "link"
    elif spec.new_platform:
        approach = "new"
    elif len(run) >= 2:
        approach = "integrate"
    elif run and run[0].id == spec.destination:
        approach = "expand"
    else:
        approach = "join"
    org = pref.target.organisation if pref.target else None
    hub = spec.destination if spec.source == "single" and not spec.new_platform else None
    target = Target(
        source=spec.source,
        user_scope=spec.scope,
        providers=spec.providers,
        approach=approach,
        hub=hub,
        organisation=org,
    )
    return pref.model_copy(update={"target": target})


# --- costs -----------------------------------------------------------------------------------------------


#: the part of a federating option no source prices (guide 2.5's survey gives the effects of sharing only)
FEDERATION_COST = "基盤間連携の費用"


@dataclass
class Money:
    """An option's costs (present values, yen)."""

    total: float
    low: float
    high: float
    prefecture: float
    members: dict[str, float]
    estimated: bool
    basis: list[Reason]
    unpriced: list[str] = field(default_factory=list)


@dataclass
class CostBase:
    """What the costs of every option are built from (the file's scenario, read through workbench.cost)."""

    codes: list[str]
    names: dict[str, str]
    alone_build: dict[str, float]  # PV
    alone_run: dict[str, float]  # PV
    fractions: dict[str, float]  # the chosen rule's share of the members' part
    shared: Any  # Allocation of one platform for every member
    pref_initial: float
    pref_running: float
    horizon: int
    rate: float
    module_factors: tuple[float, float]
    module_note: str | None
    rule: str
    rule_label: str
    scheme: str | None
    scheme_label: str
    model: Any  # workbench.cost.CostModel of the scenario
    destination: str | None  # the platform the scenario's shared cost describes


def _rule_scheme(pref: Prefecture) -> tuple[str, str | None]:
    rule = (pref.vision.cost_rule if pref.vision else None) or "shapley"
    scheme = (pref.vision.scheme if pref.vision else None) or (pref.costs.scheme if pref.costs else None)
    return rule, scheme


def cost_base(pref: Prefecture) -> CostBase | None:
    """The file's scenario as the options need it; None without ``costs:``."""
    from .cost import allocate, build_model
    from .cost.model import module_case, module_factors

    if pref.costs is None:
        return None
    rule, scheme = _rule_scheme(pref)
    try:
        alloc = allocate(pref, rule, scheme=scheme)
    except InputError:
        rule = "shapley"
        alloc = allocate(pref, rule, scheme=scheme)
    m = build_model(pref, scheme)
    part = [i for i, ok in enumerate(m.participant) if ok]
    codes = [m.codes[i] for i in part]
    shares = {x.code: float(x.share) for x in alloc.members}
    total_shares = sum(shares.values()) or 1.0
    sc = pref.costs
    factors = module_factors(sc.module_baseline) if sc.module_effect else (1.0, 1.0)
    note = None
    if sc.module_effect:
        case = module_case(sc.module_baseline)
        note = (
            f"推奨モジュールの効果（ガイド 2.6、{case['label_ja']}・{float(case['reduction']):.0%}減）を適用"
        )
    return CostBase(
        codes=codes,
        names={m.codes[i]: m.names[i] for i in part},
        alone_build={m.codes[i]: float(m.initial.standalone[i]) for i in part},
        alone_run={m.codes[i]: float(m.running.standalone[i]) for i in part},
        fractions={c: shares.get(c, 0.0) / total_shares for c in codes},
        shared=alloc,
        pref_initial=float(m.pref_initial),
        pref_running=float(m.pref_running),
        horizon=int(m.horizon),
        rate=float(m.rate),
        module_factors=factors,
        module_note=note,
        rule=rule,
        rule_label=str(alloc.rule_label),
        scheme=scheme,
        scheme_label=str(m.scheme_label),
        model=m,
        destination=d.id if (d := destination(pref)) is not None else None,
    )


def _annuity(rate: float, horizon: int) -> float:
    from .cost.model import annuity_factor

    return float(annuity_factor(rate, horizon))


def _effect_ranges() -> dict[str, tuple[float, float]]:
    df = reference.table("cost_effect_2_5.csv")
    return {str(r.code): (float(r.low_ratio), float(r.high_ratio)) for r in df.itertuples(index=False)}


def _split(base: CostBase, codes: list[str], amount: float) -> dict[str, float]:
    """The members' part of a group's cost split with the chosen rule's proportions (renormalised)."""
    f = np.array([base.fractions.get(c, 0.0) for c in codes])
    if f.sum() <= 0:
        f = np.array([base.alone_build[c] + base.alone_run[c] for c in codes])
    f = f / f.sum() if f.sum() > 0 else np.full(len(codes), 1 / max(len(codes), 1))
    return {c: float(amount * x) for c, x in zip(codes, f, strict=True)}


def group_cost(base: CostBase, codes: list[str], modules: bool) -> tuple[float, float, float, float, dict]:
    """(low, high, prefecture at the middle, middle, members at the middle) of several municipalities sharing
    one platform, estimated from guide 2.5: build between 1/min(2, n) and 1/min(12, n) of going alone, running
    between 1/min(5, n) and 1/min(20, n) (sharing among n cannot cost less than one of them alone); the
    recommended-module factors of guide 2.6 where the scenario applies them and the platform has the modules."""
    n = len(codes)
    b = sum(base.alone_build[c] for c in codes)
    r = sum(base.alone_run[c] for c in codes)
    (b_lo, b_hi), (r_lo, r_hi) = _effect_ranges()["build"], _effect_ranges()["running"]
    fb, fr = base.module_factors if modules else (1.0, 1.0)
    build = (b / min(b_hi, n) * fb, b / min(b_lo, n) * fb)
    run = (r / min(r_hi, n) * fr, r / min(r_lo, n) * fr)
    low, high = build[0] + run[0], build[1] + run[1]
    mid_b, mid_r = sum(build) / 2, sum(run) / 2
    pref = base.pref_initial * mid_b + base.pref_running * mid_r
    mid = mid_b + mid_r
    return low, high, pref, mid, _split(base, codes, mid - pref)


def _stated(base: CostBase, key: str, pref: Prefecture) -> Money | None:
    oc = pref.costs.options.get(key) if pref.costs is not None else None
    if oc is None:
        return None
    ann = _annuity(base.rate, base.horizon)
    run = oc.annual * ann
    fi = base.pref_initial if oc.prefecture_initial is None else oc.prefecture_initial
    fr = base.pref_running if oc.prefecture_running is None else oc.prefecture_running
    total = oc.initial + run
    p = fi * oc.initial + fr * run
    src = "your input（costs.options）" + (f"; {oc.source}" if oc.source else "")
    return Money(
        total,
        total,
        total,
        p,
        _split(base, base.codes, total - p),
        False,
        [
            Reason(
                text=f"費用の前提で指定した金額: 初期 {money_ja(oc.initial)}、年間 {money_ja(oc.annual)}"
                f"（{base.horizon}年・割引率 {base.rate:.0%} の現在価値 {money_ja(total)}）",
                source=src,
            )
        ],
    )


def _one_platform(base: CostBase) -> Money:
    a = base.shared
    members = {x.code: float(x.share) for x in a.members}
    return Money(
        float(a.total),
        float(a.total),
        float(a.total),
        float(a.prefecture),
        members,
        False,
        [
            Reason(
                text=f"共同利用の基盤1つを{len(base.codes)}団体で使う費用の前提（初期費用・運用費）を"
                f"{base.rule_label}で按分（{base.scheme_label}）",
                source="your input（costs:）; workbench.cost.allocate",
            )
        ],
    )


def _groups(
    pref: Prefecture, base: CostBase, platform_ids: list[str], extra_to: str | None
) -> list[tuple[Any, list[str]]]:
    """Members by the platform they use (each member once, on the platform with most users); members on
    none go to ``extra_to`` when given, else alone."""
    by_id = {p.id: p for p in pref.platforms}
    ps = sorted((by_id[i] for i in platform_ids if i in by_id), key=lambda p: -len(pref.users_of(p)))
    taken: set[str] = set()
    out: list[tuple[Any, list[str]]] = []
    for p in ps:
        users = [c for c in pref.users_of(p) if c in base.alone_build and c not in taken]
        taken |= set(users)
        out.append((p, users))
    rest = [c for c in base.codes if c not in taken]
    if extra_to is not None:
        out = [(p, us + rest) if p.id == extra_to else (p, us) for p, us in out]
        rest = []
    out += [(None, [c]) for c in rest]
    return out


def _has_modules(p: Any) -> bool:
    if p is None:
        return False
    need = {"orion"} | ({"personal_data_module"} if p.has_personal else set())
    return need <= set(p.modules)


def _file_group(base: CostBase, codes: list[str]) -> tuple[float, float, dict[str, float]]:
    """(total, prefecture part, members) of members sharing the platform the file's scenario describes: the
    coalition's cost c(S) in the scenario's game (platform fixed cost plus each member's cost), the
    prefecture's part by the scheme, the rest split with the chosen rule's proportions."""
    m = base.model
    mask = np.array([c in set(codes) for c in m.codes])
    total = float(m.total_game.cost(mask))
    members_part = float(m.member_game.cost(mask))
    return total, total - members_part, _split(base, codes, members_part)


def _partition_cost(base: CostBase, groups: list[tuple[Any, list[str]]], what: str) -> Money:
    low = high = mid = pref_part = 0.0
    members: dict[str, float] = {}
    estimated_groups: list[str] = []
    file_groups: list[str] = []
    alone = 0
    for p, codes in groups:
        if not codes:
            continue
        if len(codes) == 1:
            c = codes[0]
            v = base.alone_build[c] + base.alone_run[c]
            low, high, mid = low + v, high + v, mid + v
            members[c] = v
            alone += 1
            continue
        name = p.name if p is not None else "共同利用の基盤"
        if p is None or p.id == base.destination:
            v, pp, ms = _file_group(base, codes)
            low, high, mid, pref_part = low + v, high + v, mid + v, pref_part + pp
            members.update(ms)
            file_groups.append(f"{name}（{len(codes)}団体）")
            continue
        lo, hi, pp, md, ms = group_cost(base, codes, _has_modules(p))
        low, high, mid, pref_part = low + lo, high + hi, mid + md, pref_part + pp
        members.update(ms)
        estimated_groups.append(f"{name}（{len(codes)}団体）")
    basis = []
    if file_groups:
        basis.append(
            Reason(
                text=f"{'、'.join(file_groups)}は費用の前提の共同利用の基盤の費用（基盤の固定費と団体ごとの費用）"
                f"から算出し、{base.rule_label}の割合で按分（{base.scheme_label}）",
                source="your input（costs.shared）",
            )
        )
    if alone:
        basis.append(
            Reason(
                text=f"{alone}団体は単独の費用（費用の前提の単独で構築・運用した場合）",
                source="your input（costs.standalone）",
            )
        )
    if estimated_groups:
        basis.append(
            Reason(
                text=f"{'、'.join(estimated_groups)}の基盤は費用の前提にないため、単独の場合の合計にガイド 2.5 の調査結果"
                "（構築 1/2〜1/12、運用 1/5〜1/20。共同利用する団体数を超えない）を当てた推計の範囲",
                source=GUIDE_2_5,
                quote="これと比較すれば1/2 ～ 1/12程度の抑制効果がある。",
            )
        )
        if base.module_note:
            basis.append(Reason(text=base.module_note + "（推奨モジュールを使う基盤）", source="guide 2.6"))
    if what:
        basis.append(Reason(text=what, source=GUIDE_2_5))
    return Money(mid, low, high, pref_part, members, bool(estimated_groups), basis)


def option_money(pref: Prefecture, base: CostBase, spec: Spec | None) -> Money:
    """The costs of an option (``spec`` None: today's state)."""
    key = STATUS_QUO if spec is None else spec.type
    stated = _stated(base, key, pref)
    if stated is not None:
        return stated
    if spec is None:
        run = [p.id for p in _running_data(pref)]
        money = _partition_cost(base, _groups(pref, base, run, None), "")
        money.basis.insert(
            0,
            Reason(
                text="基盤のない市町村は単独で整備する前提で数えています（ガイド 2.5 の比較の前提。ガイドは"
                "「都道府県が導入して共同利用する方針としなければ、各市町村では基盤を導入・利用しなかった可能性もある」"
                "とも述べています）",
                source=GUIDE_2_5,
                quote="各市町村が独自で構築した場合は、それぞれで数千万円の費用が発生することになる。",
            ),
        )
        return money
    if spec.source == "single":
        return _one_platform(base)
    money = _partition_cost(
        base,
        _groups(pref, base, spec.keep, base.destination),
        "基盤間連携（認証連携・データ連携）の費用は調査結果に数字がないため含めていません",
    )
    if (
        len(spec.keep) > 1
    ):  # platforms joined by federation: its cost has no figure (state it in costs.options)
        money.unpriced.append(FEDERATION_COST)
    return money


# --- scoring ---------------------------------------------------------------------------------------------


def goal_steps(t: str | None) -> int:
    """Steps left to 型2.4 along the guidebook's transitions (data/type_paths.csv); a state without shared
    use (1.x, unknown) one more than the furthest 2.x. A combined type counts by its first part."""
    first = (t or "").split("+")[0]
    if first == GOAL:
        return 0
    if first.startswith("2."):
        dist = {first: 0}
        frontier = [first]
        df = reference.table("type_paths.csv")
        edges: dict[str, list[str]] = {}
        for a, b in df[["from", "to"]].astype(str).itertuples(index=False):
            edges.setdefault(a, []).append(b)
        while frontier:
            nxt = []
            for x in frontier:
                for y in edges.get(x, []):
                    if y not in dist:
                        dist[y] = dist[x] + 1
                        nxt.append(y)
            frontier = nxt
        if GOAL in dist:
            return dist[GOAL]
    return 3


def _values(o: Option) -> dict[str, float | None]:
    return {
        "cost": o.total_cost,
        "goal": None if o.goal_steps is None else float(o.goal_steps),
        "principles": (len(o.principles_met) + 0.5 * sum(1 for p in o.principles if p.unknown))
        / max(len(o.principles), 1),
        "auth": float(len(o.auth_gaps)),
        "risks": sum(r.points for r in o.risks),
        "months": None if o.months is None else float(o.months),
    }


def _criterion_scores(code: str, values: list[float | None], horizon_months: float) -> list[float]:
    """0–1 per option on absolute scales (data/option_criteria.csv ``scale_ja``): cost as the cheapest ÷
    this one, the goal 1/(1 + steps left), principles the share met, authentication gaps and risk points
    down to 0 at 5, months down to 0 at the horizon. An unknown value scores 0.5."""
    known = [v for v in values if v is not None]
    lo = min(known) if known else 0.0
    out = []
    for v in values:
        if v is None:
            out.append(0.5)
        elif code == "cost":
            out.append(1.0 if v <= 0 else (lo / v if lo > 0 else 0.0))
        elif code == "goal":
            out.append(1.0 / (1.0 + v))
        elif code == "principles":
            out.append(float(v))
        elif code in ("auth", "risks"):
            out.append(max(0.0, 1.0 - v / SCALE_CAP))
        else:  # months
            out.append(max(0.0, 1.0 - v / horizon_months))
    return out


def score(
    opts: list[Option],
    criteria: list[Criterion],
    costs: list[float | None] | None = None,
    horizon_months: float = 60.0,
) -> list[float]:
    """Weighted scores (0–1) of the options; ``costs`` replaces their total costs (break-even search)."""
    vals = [_values(o) for o in opts]
    if costs is not None:
        for v, c in zip(vals, costs, strict=True):
            v["cost"] = c
    total = np.zeros(len(opts))
    for c in criteria:
        if not c.active:
            continue
        s = _criterion_scores(c.code, [v[c.code] for v in vals], horizon_months)
        total += c.weight * np.array(s)
        if costs is None:
            for o, x in zip(opts, s, strict=True):
                o.scores[c.code] = round(float(x), 4)
    return [float(x) for x in total]


def _break_even(
    opts: list[Option], criteria: list[Criterion], j: int, best: int, horizon_months: float = 60.0
) -> float | None:
    """The total cost of option j at which the recommendation changes: for j ≠ best the largest cost at which
    j would score at least as high as every other option; for j = best the smallest cost above which another
    option scores higher. None when cost alone cannot change it."""
    costs = [o.total_cost for o in opts]
    if costs[j] is None or not any(c.active and c.code == "cost" for c in criteria):
        return None

    def wins(x: float) -> bool:
        trial = list(costs)
        trial[j] = x
        s = score(opts, criteria, trial, horizon_months)
        return all(s[j] >= s[k] - 1e-12 for k in range(len(opts)) if k != j)

    if j != best:
        if not wins(0.0):
            return None
        lo, hi = 0.0, float(costs[j])
        if wins(hi):  # pragma: no cover - j would already be best
            return hi
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if wins(mid) else (lo, mid)
        return lo
    lo = float(costs[j])
    hi = max(lo * 2, 1.0)
    for _ in range(40):
        if not wins(hi):
            break
        hi *= 2
    else:
        return None
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if wins(mid) else (lo, mid)
    return hi


# --- building the options --------------------------------------------------------------------------------


def _criteria(weights: Mapping[str, float] | None, has_costs: bool) -> tuple[list[Criterion], bool]:
    w = normalise_weights(weights)
    defaults = default_weights()
    active = {c: (has_costs or c != "cost") for c in w}
    total = sum(v for c, v in w.items() if active[c]) or 1.0
    out = [
        Criterion(
            code=str(r.code),
            name=str(r.label_ja),
            weight=(w[str(r.code)] / total) if active[str(r.code)] else 0.0,
            default_weight=float(r.weight),
            better=str(r.better),  # type: ignore[arg-type]
            unit=str(r.unit_ja),
            description=str(r.description_ja),
            quote=str(r.quote_ja),
            source=str(r.source),
            active=active[str(r.code)],
        )
        for r in criteria_table().itertuples(index=False)
    ]
    same = all(abs(w[c] - defaults[c] / sum(defaults.values())) < 1e-9 for c in w)
    return out, same


def _kind_row(kind: str) -> dict[str, str]:
    df = kinds_table()
    return {k: str(v) for k, v in df[df["code"] == kind].iloc[0].to_dict().items()}


def _label(pref: Prefecture, spec: Spec | None) -> str:
    if spec is None:
        return "現状維持"
    row = _kind_row(spec.kind)
    if spec.kind == "federate":
        return f"{row['label_ja']}（型{spec.type}）"
    if spec.kind == "new":
        return f"{row['label_ja']}（型{spec.type}）"
    d = pref.platform(spec.destination) if spec.destination else None
    where = "県の基盤" if d is not None and d.operated_by == "prefecture" else (d.name if d else "")
    if spec.kind == "widen":
        return f"{where}を県内へ広げる（型{spec.type}）"
    return f"{where}に集約（型{spec.type}）"


def _gaps(am: Any, names: dict[str, str]) -> list[AuthGap]:
    labels = {m.code: m.label for m in am.means_catalogue}
    adds = {pm.platform: list(pm.means_to_add or []) for pm in am.platforms}
    out: list[AuthGap] = []
    for s in am.services:
        if s.basis == "none" or (s.satisfied and s.chain_satisfied):
            continue
        means = adds.get(s.platform, [])
        detail = "、".join(m.message for m in s.missing) or "経路上の基盤のレベルが不足"
        out.append(
            AuthGap(
                kind="service",
                subject=[s.service],
                name=s.name,
                detail=detail,
                means_to_add=means,
                means_labels=[labels.get(m, m) for m in means],
            )
        )
    for f in am.federation:
        if f.aligned:
            continue
        steps = "、".join(
            f"{names.get(r.platform, r.platform)}の{_dim(r.dimension)}レベルを{r.current}→{r.to}"
            for r in f.raise_
        )
        means = sorted({m for v in f.means_to_add.values() for m in (v or [])})
        out.append(
            AuthGap(
                kind="federation",
                subject=list(f.platforms),
                name="・".join(names.get(p, p) for p in f.platforms),
                detail=f"認証連携するにはレベルを揃える必要があります（{steps}）"
                if steps
                else "認証レベルが揃っていません",
                means_to_add=means,
                means_labels=[labels.get(m, m) for m in means],
            )
        )
    return out


def _dim(code: str) -> str:
    return "身元確認" if code == "proofing" else "当人認証"


def _challenge(code: str) -> tuple[str, int, int]:
    df = reference.table("survey_counts.csv")
    r = df[(df["question"] == "challenge") & (df["code"] == code)].iloc[0]
    return str(r["label_ja"]), int(r["count"]), int(r["out_of"])


def _challenge_risk(code: str, text: str) -> Risk:
    label, n, of = _challenge(code)
    return Risk(
        text=f"{text}（ヒアリング{of}団体中{n}団体が「{label}」に直面）", source="guide 2.8", level="low"
    )


HARM_QUOTE = "無理な共同利用が弊害を生む場合には、共同利用ではなく基盤間をつなぐ相互連携もありえる。"


def _status_quo_risks(pref: Prefecture, cl: Any) -> list[Risk]:
    out: list[Risk] = []
    high = [i for i in cl.issues if i.severity == "high"]
    if high:
        out.append(
            Risk(
                text=f"課題リストの重要度「高」{len(high)}件がそのまま残ります",
                source=cl.sources.get("issues", "guide 3.5"),
                level="high",
            )
        )
    for a in cl.arrangements:
        for u in a.unmet:
            out.append(
                Risk(text=f"今の形（型{a.type}）の条件を満たしていません: {u}", source=a.source, level="high")
            )
    run = _running_data(pref)
    if len(run) >= 2:
        out.append(
            Risk(
                text=f"{len(run)}つの基盤で似た機能への投資が重なったままです",
                source="guide 1.1",
                quote="類似の機能に対する重複投資が発生することの無いよう",
                level="medium",
            )
        )
    return out


def _risks(
    pref: Prefecture, spec: Spec | None, cl_today: Any, cl_end: Any, gaps: list[AuthGap]
) -> list[Risk]:
    """What could go wrong with an option, each with its source and weight (:class:`Risk`)."""
    from .plan.step2 import harm_factors

    if spec is None:
        return _status_quo_risks(pref, cl_today)
    out: list[Risk] = []
    run = _running_data(pref)
    if spec.source == "single" and len(run) >= 2:
        for h in harm_factors(pref):
            text = h.split("（guide")[0]
            out.append(
                Risk(
                    text=f"無理に一つの基盤にすると弊害が出るおそれ: {text}",
                    source="guide 3.2",
                    quote=HARM_QUOTE,
                    level="high",
                )
            )
    if spec.source == "single":
        for p in run:
            if p.id != spec.destination:
                out.append(
                    Risk(
                        text=f"{p.name}をやめ、利用団体{len(pref.users_of(p))}団体とサービス{len(pref.services_on(p.id))}件を移します",
                        source="guide 3.2",
                        level="medium",
                    )
                )
    if spec.providers == "municipalities":
        dropped = [s.name for s in pref.services if s.provider == "private"]
        if dropped:
            more = "ほか" if len(dropped) > 4 else ""
            out.append(
                Risk(
                    text=f"民間のサービス{len(dropped)}件（{'、'.join(dropped[:4])}{more}）はこの型の基盤に載りません",
                    source="guidebook 7.1 型2.x比較表",
                    level="high",
                )
            )
    out += [
        Risk(text=f"型{spec.type}の条件を満たしていません: {u}", source=a.source, level="high")
        for a in cl_end.arrangements
        for u in a.unmet
    ]
    return out + _shared_use_risks(pref, spec, run)


def _shared_use_risks(pref: Prefecture, spec: Spec, run: list[Any]) -> list[Risk]:
    """The unknown cost of federating, and the challenges most surveyed bodies met (guide 2.8) that the
    option brings: a fairer cost split among more members, residents' consent, responsibilities with
    private providers."""
    out: list[Risk] = []
    if spec.source == "multiple":
        out.append(
            Risk(
                text="基盤間連携（認証連携・データ連携）の費用は調査結果に数字がなく、費用に含めていません",
                source=GUIDE_2_5,
                level="medium",
            )
        )
    if spec.scope == "prefectural":
        today = len(
            {c for p in run if len(pref.users_of(p)) > 1 for c in pref.users_of(p)} & set(_members(pref))
        )
        out.append(
            _challenge_risk(
                "fair_cost",
                f"費用を分け合う団体が増えるため、按分の合意が要ります（今 {today}団体 → {len(_members(pref))}団体）",
            )
        )
    if any(s.personal_data for s in pref.services):
        out.append(
            _challenge_risk(
                "resident_understanding",
                "利用範囲が変わるパーソナルデータについて住民の同意と規約の見直しが要ります",
            )
        )
    if spec.providers == "mixed":
        out.append(
            _challenge_risk(
                "responsibility", "民間のサービスと基盤の責任範囲を分けて規約に書く必要があります"
            )
        )
    return out


def _decisions(
    pref: Prefecture, spec: Spec | None, base: CostBase | None, gaps: list[AuthGap]
) -> list[Decision]:
    from .plan.step2 import recommend_organisation

    def d(text: str, who: str, source: str) -> Decision:
        from .plan.step3 import owner_label

        return Decision(text=text, who=who, who_label=owner_label(who), source=source)

    if spec is None:
        return [d("今の形を続けるか（目指す型を選ばない）", "prefecture", "guide 3.1 Step 2")]
    org = recommend_organisation(pref)
    out = [d(f"目指す型を型{spec.type}とする", "prefecture", "guide 3.1 Step 2")]
    out.append(
        d(
            f"運営組織の型（{reference.label('organisation', org.effective)}）と立ち上げ",
            "prefecture",
            "guide 2.7",
        )
    )
    if base is not None:
        out.append(
            d(f"県の負担の方式（{base.scheme_label}）", "prefecture", "guide 2.8 公平なコスト負担の方法")
        )
        out.append(
            d(
                f"参加と負担金の按分（{base.rule_label}）の合意（{len(base.codes)}団体）",
                "municipalities",
                "guide 2.8 公平なコスト負担の方法",
            )
        )
    run = _running_data(pref)
    if spec.source == "single":
        for p in run:
            if p.id != spec.destination:
                who = "municipalities" if p.operator_municipality else "operating_body"
                out.append(d(f"{p.name}のサービスと利用団体を移す時期", who, "guide 3.2"))
    means = sorted({m for g in gaps for m in g.means_labels})
    if means:
        out.append(d(f"認証の手段を追加する（{'、'.join(means)}）", "operating_body", "guide 4.1"))
    if any(g.kind == "federation" for g in gaps):
        out.append(
            d(
                "基盤間で認証レベルを揃える時期と費用の負担",
                "operating_body",
                "guide 3.4 基盤間連携（認証連携）",
            )
        )
    if spec.providers == "mixed":
        out.append(d("民間のサービス提供者の認定と監査の規約", "operating_body", "guide 2.8 住民の理解"))
    return out


def _plan_months(pref: Prefecture, spec: Spec, *, as_written: bool = False) -> tuple[int | None, int | None]:
    """Months to the option and the number of work items: the plan of :func:`aimed`, or for the option the
    file itself aims at (``as_written``) the file's own plan — its target as written, with the user's edits —
    so the option says what the Step 3 schedule of the same file says."""
    from .plan import action_plan

    variant = pref if as_written else aimed(pref, spec)
    try:
        ap = action_plan(variant)
    except InputError:
        if variant.plan is None:
            return None, None
        try:  # the file's edits name items of its own pattern: keep only the start
            ap = action_plan(
                variant.model_copy(update={"plan": variant.plan.model_copy(update={"items": []})})
            )
        except InputError:
            return None, None
    return int(ap.months), len(ap.items)


#: the openness principles (guide 1.2 (1)): where no platform runs, nothing offers them yet
OPENNESS = ("OPEN_AUTH", "OPEN_DATA_MODEL", "OPEN_API")


def _principles(cl: Any, pref: Prefecture) -> list[PrincipleState]:
    """The principles of guide 1.1/1.2 as the classification judged them; where no data platform runs, the
    three parts of openness are not met (the classification finds nothing against them, but nothing offers
    them either)."""
    none_runs = not _running_data(pref)
    return [
        PrincipleState(
            code=p.code,
            label=p.label,
            ok=p.ok and not (none_runs and p.code in OPENNESS),
            unknown=p.unknown and not (none_runs and p.code in OPENNESS),
            detail="運用中の基盤がありません" if none_runs and p.code in OPENNESS else p.detail,
        )
        for p in cl.principles
    ]


def _starting_point(pref: Prefecture, cl: Any) -> tuple[str, str]:
    """The guide's starting point and direction (guide 3.2 の表), as the vision reads them."""
    from .plan.step2 import recommend_target

    t = recommend_target(pref, cl)
    return t.situation, t.direction


def options(
    pref: Prefecture,
    *,
    weights: Mapping[str, float] | None = None,
    on: dt.date | None = None,
) -> OptionsResult:
    """The options open to the prefecture (guide 3.2), each with its costs, authentication gaps, months to
    get there, principles met, risks and decisions, and the recommended one with its reasons.

    Parameters
    ----------
    pref : Prefecture
    weights : mapping, optional
        Weights of the criteria by code or Japanese name (``{"費用": 0.5, "months": 0.2}``); missing ones keep
        their default (本ツールの読み, data/option_criteria.csv); scaled to sum to 1.
    on : date, optional
        The date of the authentication check (ID means valid then), default today.

    Examples
    --------
    >>> import workbench as wb
    >>> r = wb.options(wb.load_sample("07"))
    >>> [(o.id, o.label) for o in r.options]
    [('status_quo', '現状維持'), ('2.8', '基盤間連携（型2.8）'), ('2.4', '県の基盤に集約（型2.4）')]
    >>> r.best.label, r.best.cost_text(), r.best.saving_text()
    ('県の基盤に集約（型2.4）', '5.70億円', '9,300万円減')
    >>> r.weights_text()
    '本ツールの読み（既定）: 費用 30%、目指す姿への近さ 15%、基本的な考え方 20%、認証レベルの不足 15%、リスク 12%、到達までの期間 8%'
    """
    from .auth import match_auth
    from .classify import classify, type_label

    cl = classify(pref)
    base = cost_base(pref)
    criteria, default = _criteria(weights, base is not None)
    specs: list[Spec | None] = [None, *(spec_for(pref, t) for t in candidate_types(pref, cl))]
    target = cl.after.type if cl.after is not None else None
    opts: list[Option] = []
    for spec in specs:
        end = pref if spec is None else end_state(pref, spec)
        cl_end = cl if spec is None else classify(end)
        am = match_auth(end, on=on)
        names = end.names()
        gaps = _gaps(am, names)
        months, n_items = (0, 0) if spec is None else _plan_months(pref, spec, as_written=spec.type == target)
        t = (cl.current_type or "不明") if spec is None else spec.type
        money = option_money(pref, base, spec) if base is not None else None
        kind = STATUS_QUO if spec is None else spec.kind
        row = _kind_row(kind)
        o = Option(
            id=STATUS_QUO if spec is None else spec.type,
            kind=kind,
            label=_label(pref, spec),
            type=t,
            type_label=(cl.current_label if spec is None else type_label(t)),
            reached_type=cl_end.current_type,
            description=row["description_ja"],
            is_target=spec is not None and spec.type == target,
            platforms=[p.id for p in _running_data(end)]
            if spec is not None
            else [p.id for p in _running_data(pref)],
            months=months,
            plan_items=n_items,
            auth_gaps=gaps,
            principles=(states := _principles(cl_end, end)),
            principles_met=[p.code for p in states if p.ok and not p.unknown],
            risks=_risks(pref, spec, cl, cl_end, gaps),
            goal_steps=goal_steps(t if spec is not None else cl.current_type),
            decisions=_decisions(pref, spec, base, gaps),
        )
        if money is not None:
            _put_money(o, money, base)
        opts.append(o)
    return _decide(pref, cl, base, opts, criteria, default, on)


def _put_money(o: Option, money: Money, base: CostBase) -> None:
    o.total_cost, o.total_cost_low, o.total_cost_high = money.total, money.low, money.high
    o.prefecture_cost = money.prefecture
    o.municipal_cost = money.total - money.prefecture
    o.estimated = money.estimated
    o.unpriced = list(money.unpriced)
    o.cost_basis = money.basis
    o.members = [
        MemberCost(
            code=c,
            name=base.names[c],
            cost=money.members.get(c),
            alone=base.alone_build[c] + base.alone_run[c],
        )
        for c in base.codes
    ]


def _decide(
    pref: Prefecture,
    cl: Any,
    base: CostBase | None,
    opts: list[Option],
    criteria: list[Criterion],
    default: bool,
    on: dt.date | None,
) -> OptionsResult:
    sq = opts[0]
    for o in opts:
        if o.total_cost is not None and sq.total_cost is not None:
            o.saving = sq.total_cost - o.total_cost
            if o.total_cost_low is not None and sq.total_cost_high is not None:
                o.saving_low = sq.total_cost_low - o.total_cost_high  # type: ignore[operator]
                o.saving_high = sq.total_cost_high - o.total_cost_low
    horizon = float(base.horizon * 12) if base is not None else 60.0
    scores = score(opts, criteria, horizon_months=horizon)
    order = sorted(range(len(opts)), key=lambda i: (-round(scores[i], 9), opts[i].total_cost or 0, i))
    for rank, i in enumerate(order, 1):
        opts[i].score = round(scores[i], 4)
        opts[i].rank = rank
    best = order[0]
    opts[best].recommended = True
    for j in range(len(opts)):
        opts[j].break_even = _break_even(opts, criteria, j, best, horizon)
    runner = order[1] if len(order) > 1 else None
    close = runner is not None and scores[best] - scores[runner] < CLOSE
    for j, o in enumerate(opts):
        o.reasons = _reasons(o, opts, j == best, sq, criteria)
    b = opts[best]
    what = _what_changes(opts, best, runner, close)
    start, direction = _starting_point(pref, cl)
    years = f"{base.horizon}年間" if base is not None else "評価期間"
    summary = _summary(pref, b, sq, close, opts[runner] if runner is not None else None, years)
    notes = [
        "費用は評価期間の現在価値です。どの選択肢も、これから払う構築費と運用費を同じ条件で数えています"
        "（すでに構築した基盤の費用を除く場合は、費用の前提で選択肢ごとの金額を指定してください）",
        "重みは本ツールの読みです。会議で変えると推奨が変わることがあります",
    ]
    if base is None:
        notes.insert(0, "費用の前提（costs:）がないため、費用では比べていません（費用は不明）")
    rule, scheme = (base.rule, base.scheme) if base else (None, None)
    return OptionsResult(
        prefecture=PrefectureRef(code=pref.code, name=pref.name),
        current_type=cl.current_type,
        current_label=cl.current_label,
        current_text=cl.current_text,
        starting_point=start,
        direction=direction,
        horizon_years=base.horizon if base else None,
        discount_rate=base.rate if base else None,
        rule=rule,
        rule_label=base.rule_label if base else None,
        scheme=scheme,
        scheme_label=base.scheme_label if base else None,
        options=opts,
        criteria=criteria,
        weights_default=default,
        recommended=b.id,
        close=close,
        summary=summary,
        what_changes=what,
        notes=notes,
        sources={
            "options": "guide 3.2 目指す共同利用の状態; guidebook 第3.0版 7.2（data/type_paths.csv）",
            "costs": "your input（costs:）; guide 2.5; guide 2.6",
            "auth": "guide 4.1; guide 3.4（workbench.auth.match_auth）",
            "principles": "guide 1.1; guide 1.2 (1)（workbench.classify.classify）",
            "risks": "guide 3.2; guide 2.8",
            "months": "guide 3.1 Step 3（実行計画のクリティカルパス）",
            "criteria": f"{OUR_READING}（data/option_criteria.csv、重みは編集可）",
        },
    )


def _summary(pref: Prefecture, b: Option, sq: Option, close: bool, runner: Option | None, years: str) -> str:
    head = f"{b.label}を推奨します"
    if b.kind == STATUS_QUO:
        head = "今の形を続けることを推奨します（どの選択肢も評点で現状維持を上回りません）"
    parts = [head]
    if b.saving is not None and b.kind != STATUS_QUO and b.total_cost is not None:
        if b.saving_text() == "差なし":
            parts.append(f"費用は現状維持と同じです（{years}・現在価値）")
        else:
            parts.append(f"現状維持と比べて費用は{b.saving_text()}（{years}・現在価値）")
    if b.months:
        parts.append(f"到達まで{b.months}か月")
    if close and runner is not None:
        parts.append(f"次点の{runner.label}とは僅差です")
    return "。".join(parts) + "。"


CALC = "本ツールの計算（基準と重み）"


def _cost_reason(o: Option, opts: list[Option], best: bool, crit: dict[str, Criterion]) -> list[Reason]:
    costs = [x.total_cost for x in opts if x.total_cost is not None]
    if o.total_cost is None or not costs:
        return []
    same = sum(abs(c - o.total_cost) < 0.5 for c in costs)
    rank = sum(c < o.total_cost - 0.5 for c in costs) + 1
    if same == len(costs):
        where = f"{len(costs)}案とも同額"
    else:
        last = rank + same - 1 == len(costs)
        where = f"{len(costs)}案中" + (
            "最も少ない" if rank == 1 else "最も多い" if last else f"少ない方から{rank}番目"
        )
        where += f"、{same}案が同額" if same > 1 else ""
    text = f"費用 {o.cost_text()}（{where}）"
    if o.kind != STATUS_QUO and o.saving is not None:
        text += "。現状維持と同額" if o.saving_text() == "差なし" else f"。現状維持より{o.saving_text()}"
    source = o.cost_basis[0].source if o.cost_basis else "your input（costs:）"
    return [Reason(text=text, source=source, quote=crit["cost"].quote if best else None)]


def _principles_reason(o: Option, sq: Option, crit: dict[str, Criterion]) -> Reason:
    """The principles met, those newly met (quoted: the first of them) and those no longer met."""
    sq_met = set(sq.principles_met)
    gained = [p for p in o.principles if p.code in o.principles_met and p.code not in sq_met]
    lost = [p.label for p in o.principles if p.code in sq_met and p.code not in o.principles_met]
    text = f"基本的な考え方 {len(o.principles) or 6}項目のうち{len(o.principles_met)}項目を満たします"
    text += f"（新たに満たす: {'、'.join(p.label for p in gained)}）" if gained else ""
    text += f"（満たさなくなる: {'、'.join(lost)}）" if lost else ""
    if not gained:
        return Reason(text=text, source=crit["principles"].source)
    q = reference.table("principle_quotes.csv").set_index("code").loc[gained[0].code]
    return Reason(text=text, source=str(q["source"]), quote=str(q["quote_ja"]))


def _auth_reason(o: Option, best: bool, crit: dict[str, Criterion]) -> Reason:
    if not o.auth_gaps:
        return Reason(text="認証レベルの不足はありません", source=crit["auth"].source)
    means = sorted({m for g in o.auth_gaps for m in g.means_labels})
    text = f"認証レベルの不足 {len(o.auth_gaps)}件" + (
        f"（埋める最小の手段: {'、'.join(means)}）" if means else ""
    )
    return Reason(text=text, source=crit["auth"].source, quote=crit["auth"].quote if best else None)


def _risk_reason(o: Option, opts: list[Option], crit: dict[str, Criterion]) -> Reason:
    """The risks; for federating, that forcing one platform would harm (guide 3.2); for converging where it
    would, the caveat with the guide's way round it."""
    harm = [r for r in o.risks if r.quote == HARM_QUOTE]
    if o.kind == "federate" and any(r.quote == HARM_QUOTE for x in opts for r in x.risks):
        return Reason(
            text="一つの基盤に寄せると弊害が出るおそれがあるため、基盤はそれぞれ残してつなぎます",
            source="guide 3.2",
            quote=crit["risks"].quote,
        )
    if harm:
        return Reason(
            text=f"リスク {len(o.risks)}件。ただし一つの基盤にすると弊害が出るおそれが{len(harm)}件あります。"
            "まず基盤間をつないで認証レベルを揃え、そのうえで集約する進め方もあります",
            source="guide 3.2",
            quote=harm[0].quote,
        )
    return Reason(text=f"リスク {len(o.risks)}件", source=crit["risks"].source)


def _margin_reason(o: Option, opts: list[Option], criteria: list[Criterion]) -> list[Reason]:
    """What makes the recommended option's lead over the runner-up: the criteria that add the most points,
    and those where the runner-up is better."""
    others = [x for x in opts if x is not o]
    if not others:
        return []
    runner = max(others, key=lambda x: x.score)
    diffs = sorted(
        (
            (c.weight * (o.scores.get(c.code, 0) - runner.scores.get(c.code, 0)), c)
            for c in criteria
            if c.active
        ),
        key=lambda dc: -dc[0],
    )
    ahead = [f"{c.name}（+{d * 100:.1f}点）" for d, c in diffs if d > 0.0005][:2]
    behind = [f"{c.name}（{d * 100:.1f}点）" for d, c in diffs if d < -0.0005][-2:]
    if not ahead:
        return []
    text = f"次点の{runner.label}との差 {100 * (o.score - runner.score):.1f}点は、主に" + "・".join(ahead)
    text += ("。次点の方が良いのは " + "・".join(behind)) if behind else ""
    return [Reason(text=text, source=CALC)]


def _reasons(
    o: Option, opts: list[Option], best: bool, sq: Option, criteria: list[Criterion]
) -> list[Reason]:
    """Each reason a sentence traced to a number of the analyses or a sentence of the guide: cost, principles,
    the goal, authentication, months, risks; for the recommended option what makes its lead, for the others
    the cost at which they would be recommended."""
    crit = {c.code: c for c in criteria}
    out = [*_cost_reason(o, opts, best, crit), _principles_reason(o, sq, crit)]
    if o.goal_steps is not None:
        text = (
            "目指す姿（型2.4）に着きます"
            if o.goal_steps == 0
            else f"目指す姿（型2.4）まで残り{o.goal_steps}段階です"
        )
        out.append(Reason(text=text, source=crit["goal"].source, quote=crit["goal"].quote if best else None))
    out.append(_auth_reason(o, best, crit))
    if o.kind != STATUS_QUO and o.months is not None:
        text = f"型{o.type}まで{o.months}か月（実行計画 {o.plan_items}件のクリティカルパス）"
        out.append(Reason(text=text, source=crit["months"].source))
    out.append(_risk_reason(o, opts, crit))
    if best:
        out += _margin_reason(o, opts, criteria)
    elif o.break_even is not None:
        text = f"費用が{money_ja(o.break_even)}以下になれば推奨になります（いまは {o.cost_text()}）"
        out.append(Reason(text=text, source=CALC))
    return out


def _what_changes(opts: list[Option], best: int, runner: int | None, close: bool) -> list[Reason]:
    out: list[Reason] = []
    b = opts[best]
    src = CALC
    if runner is not None:
        r = opts[runner]
        gap = b.score - r.score
        if close:
            out.append(
                Reason(
                    text=f"次点の{r.label}との差は評点で{gap * 100:.1f}点（100点満点）と僅かです。"
                    "重みの置き方で入れ替わります",
                    source=src,
                )
            )
        if r.break_even is not None:
            out.append(
                Reason(
                    text=f"{r.label}の費用が{money_ja(r.break_even)}以下なら、そちらが推奨になります"
                    f"（いまは {r.cost_text()}）",
                    source=src,
                )
            )
        elif r.total_cost is not None:
            out.append(
                Reason(text=f"{r.label}は費用が0円でも推奨を上回りません（費用以外の基準の差）", source=src)
            )
    if b.break_even is not None and b.total_cost is not None:
        out.append(
            Reason(
                text=f"推奨の選択肢の費用が{money_ja(b.break_even)}を超えると、推奨が替わります（いまは {b.cost_text()}）",
                source=src,
            )
        )
    return out


def close_options(result: OptionsResult) -> list[str]:
    """The ids of the options within :data:`CLOSE` of the recommended one."""
    b = result.best.score
    return [o.id for o in result.options if not o.recommended and b - o.score < CLOSE]


__all__ = [
    "AuthGap",
    "Criterion",
    "Decision",
    "MemberCost",
    "Option",
    "OptionsResult",
    "Reason",
    "candidate_types",
    "criteria_table",
    "default_weights",
    "end_state",
    "normalise_weights",
    "options",
]
