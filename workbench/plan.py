"""Step 2 (目的の設定とビジョンの策定) and Step 3 (実行計画の策定及び実行) of the guide (3.1).

* :func:`vision` gathers what the 共同利用ビジョン says: the purposes (guide 2.4, with the survey's counts),
  the target 型 with a recommended path to 型2.4 (guide 3.2; guidebook 型2.x), the pattern (classify), the
  operating organisation (guide 2.7), the cost-sharing rule and scheme (data/cost_rules.csv,
  data/prefecture_schemes.csv) and KPI targets (guidebook 8.3, data/kpis.csv).
* :func:`action_plan` generates action items from the pattern's work items (data/pattern_work_items.csv) and
  the five considerations (guide 3.3, data/considerations.csv), applies the user's edits from the file's
  ``plan:`` section and schedules them (earliest start honouring dependencies, critical path).
* :func:`plan_xlsx` writes the plan to an Excel workbook, atomically and formula-safe.

Pure functions except :func:`plan_xlsx`; no charts, no widgets. The default durations and dependencies of
generated items are the workbench's assumptions (marked ``workbench 既定``), editable in the file.
"""

from __future__ import annotations

import calendar
import functools
import os
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any, ClassVar, Literal

import pandas as pd
from pydantic import BaseModel, Field

from . import reference
from .classify import GOAL_TYPE, Classification, classify, running, shortest_path, type_label
from .datamap import CrossFieldGoals, vision_goals
from .errors import InputError, Problem
from .inventory import Prefecture
from .inventory.plan import ActionItemEdit, Plan, canonical_item_id, issue_item_id
from .results import Result, frame
from .text import fiscal_year_ja

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


# --- Step 2: vision -------------------------------------------------------------------------------------


class PrefectureRef(BaseModel):
    code: str
    name: str


class SurveyCount(BaseModel):
    """One answer of the survey of ten bodies (guide 2.4 purposes, 2.8 challenges)."""

    code: str
    label: str
    count: int
    out_of: int
    selected: bool = False
    source: str


class TargetAdvice(BaseModel):
    """The target 型 and the recommended way to 型2.4 (guide 3.2 目指す共同利用の状態; guidebook 型2.x)."""

    running_platforms: int
    current_type: str
    current_label: str
    situation: str = Field(description="guide 3.2 の共同利用前の状態")
    direction: str = Field(description="guide 3.2 の目指す共同利用の状態")
    chosen_type: str | None = Field(None, description="ファイルの target: から決まる目指す型")
    chosen_label: str | None = None
    target_assumed: bool
    goal: str = GOAL_TYPE
    route: Literal["goal_reached", "new", "widen", "converge", "federate_first"]
    route_label: str
    recommended_path: list[str]
    harm_factors: list[str] = Field(
        default_factory=list, description="無理に一つの基盤にすると弊害が出る要因"
    )
    reasons: list[str]
    chosen_on_path: bool | None = None
    source: str = "guide 3.2; guidebook 型2.x（data/types_after.csv, data/type_paths.csv）"


class OrgOption(BaseModel):
    """An operating-organisation type (guide 2.7, data/org_types.csv)."""

    code: str
    label: str
    contractor: str
    traits: str
    condition: str
    surveyed: list[str]
    recommended: bool
    chosen: bool


class OrgAdvice(BaseModel):
    """The operating organisation: the guide's recommendation from the condition it names (guide 2.7)."""

    external_body_possible: bool | None
    recommended: str | None
    recommended_label: str | None
    chosen: str | None
    chosen_label: str | None
    effective: str = Field(description="計画に使う型（選択、なければ推奨、どちらもなければ直列型）")
    reason: str
    warnings: list[str] = Field(default_factory=list)
    options: list[OrgOption]
    source: str = "guide 2.7（data/org_types.csv, data/survey_bodies.csv）"


class ShareRow(BaseModel):
    code: str
    name: str
    share: float
    standalone: float | None = None


class CostAdvice(BaseModel):
    """The cost-sharing rule and prefecture scheme of the vision; shares when workbench.cost computes them."""

    rule: str | None
    rule_label: str | None
    rule_description: str | None
    scheme: str | None
    scheme_label: str | None
    scheme_description: str | None
    total: float | None = None
    prefecture: float | None = None
    shares: list[ShareRow] = Field(default_factory=list)
    note: str
    source: str = "data/cost_rules.csv; data/prefecture_schemes.csv; workbench.cost.allocate"


class KpiView(BaseModel):
    """A KPI target of the vision (guidebook 8.3)."""

    code: str
    kind: str
    kind_label: str
    label: str
    unit: str
    target: float
    year: int
    baseline: float | None = None
    baseline_year: int | None = None
    service: str | None = None
    service_name: str | None = None
    notes: str | None = None
    source: str


class VisionResult(Result):
    """Step 2 目的の設定とビジョンの策定 (guide 3.1): the content of the 共同利用ビジョン."""

    prefecture: PrefectureRef
    purposes: list[SurveyCount]
    challenges: list[SurveyCount]
    statement: str | None
    target: TargetAdvice
    pattern: str
    pattern_label: str
    path_to_goal: list[str] = Field(description="classify の道筋（ファイルの target: による）")
    organisation: OrgAdvice
    cost: CostAdvice
    kpis: list[KpiView]
    kpi_catalogue: list[dict[str, str]]
    warnings: list[str]
    sources: dict[str, str]
    cross_field: CrossFieldGoals | None = Field(
        None, description="分野横断の目標と測れるKPI（データマップから）"
    )

    def card_title(self) -> str:
        return f"{self.prefecture.name} Step 2 共同利用ビジョン"

    def card_rows(self) -> list[tuple[str, str]]:
        sel = [p.label for p in self.purposes if p.selected]
        org = self.organisation
        return [
            ("目的", "、".join(sel) or "未設定"),
            ("現在の型", f"型{self.target.current_type}（{self.target.current_label}）"),
            (
                "目指す型",
                f"型{self.target.chosen_type}" if self.target.chosen_type else "未設定（型2.4を想定）",
            ),
            ("推奨する道筋", " → ".join(self.target.recommended_path) + f"（{self.target.route_label}）"),
            ("パターン", f"{self.pattern}（{self.pattern_label}）"),
            ("運営組織（推奨）", org.recommended_label or "判断に必要な条件が未設定"),
            ("運営組織（選択）", org.chosen_label or "未設定"),
            ("費用按分", self.cost.rule_label or "未設定"),
            ("県負担の方式", self.cost.scheme_label or "未設定"),
            ("KPI", f"{len(self.kpis)} 件"),
        ]

    def card_tables(self) -> list[tuple[str, pd.DataFrame]]:
        extra = (
            [("分野横断の目標（データマップから）", self.cross_field.to_frame())] if self.cross_field else []
        )
        return [("KPI", self.kpis_frame()), ("運営組織の型", self.organisation_frame()), *extra]

    def to_frame(self) -> pd.DataFrame:
        """The vision as (項目, 内容, 根拠) rows."""
        rows = [
            {"項目": k, "内容": v, "根拠": s}
            for (k, v), s in zip(
                self.card_rows(),
                [
                    "guide 2.4",
                    "guidebook 型1.x/2.x",
                    "your input（target:）",
                    self.target.source,
                    self.sources.get("pattern", ""),
                    self.organisation.source,
                    "your input（vision.organisation）",
                    "your input（vision.cost_rule）; data/cost_rules.csv",
                    "data/prefecture_schemes.csv",
                    "guidebook 8.3",
                ],
                strict=True,
            )
        ]
        return frame(rows, ["項目", "内容", "根拠"])

    def purposes_frame(self) -> pd.DataFrame:
        recs = [
            {
                "目的": p.label,
                "回答数": p.count,
                "回答団体数": p.out_of,
                "選択": "○" if p.selected else "",
                "出典": p.source,
            }
            for p in self.purposes
        ]
        return frame(recs, ["目的", "回答数", "回答団体数", "選択", "出典"])

    def challenges_frame(self) -> pd.DataFrame:
        recs = [
            {"課題": p.label, "回答数": p.count, "回答団体数": p.out_of, "出典": p.source}
            for p in self.challenges
        ]
        return frame(recs, ["課題", "回答数", "回答団体数", "出典"])

    def organisation_frame(self) -> pd.DataFrame:
        recs = [
            {
                "型": o.label,
                "契約": o.contractor,
                "特徴": o.traits,
                "推奨条件": o.condition,
                "調査で選んだ団体": "、".join(o.surveyed),
                "推奨": "○" if o.recommended else "",
                "選択": "○" if o.chosen else "",
            }
            for o in self.organisation.options
        ]
        return frame(recs, ["型", "契約", "特徴", "推奨条件", "調査で選んだ団体", "推奨", "選択"])

    def kpis_frame(self) -> pd.DataFrame:
        recs = [
            {
                "区分": k.kind_label,
                "KPI": k.label + (f"（{k.service_name or k.service}）" if k.service else ""),
                "現状値": _num(k.baseline),
                "目標値": _num(k.target),
                "単位": k.unit,
                "目標年度": fiscal_year_ja(k.year),
                "備考（事実・仮定）": k.notes or "",
                "出典": k.source,
            }
            for k in self.kpis
        ]
        return frame(
            recs, ["区分", "KPI", "現状値", "目標値", "単位", "目標年度", "備考（事実・仮定）", "出典"]
        )

    def shares_frame(self) -> pd.DataFrame:
        recs = [
            {
                "コード": s.code,
                "団体": s.name,
                "負担額（円）": round(s.share),
                "単独の場合（円）": None if s.standalone is None else round(s.standalone),
            }
            for s in self.cost.shares
        ]
        return frame(recs, ["コード", "団体", "負担額（円）", "単独の場合（円）"])


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:,.0f}" if float(x).is_integer() else f"{x:,}"


def survey_counts(
    question: Literal["purpose", "challenge"], selected: list[str] | None = None
) -> list[SurveyCount]:
    """The survey's counts out of ten bodies: purposes (guide 2.4) or challenges met (guide 2.8)."""
    df = reference.table("survey_counts.csv")
    df = df[df["question"] == question]
    chosen = set(selected or [])
    return [
        SurveyCount(
            code=str(r["code"]),
            label=str(r["label_ja"]),
            count=int(r["count"]),
            out_of=int(r["out_of"]),
            selected=r["code"] in chosen,
            source=str(r["source"]),
        )
        for r in df.to_dict("records")
    ]


def _data_platforms(pref: Prefecture) -> list:
    return [p for p in running(pref) if p.has_non_personal or p.has_personal]


def harm_factors(pref: Prefecture) -> list[str]:
    """Reasons why forcing the running platforms onto one would do harm (guide 3.2 無理な共同利用が弊害を
    生む場合): authentication levels that differ (guide 3.4 基盤間連携), different fields (guide 1.1 (1):
    one platform per field), already federated platforms with different operators."""
    ps = _data_platforms(pref)
    out: list[str] = []
    if len(ps) < 2:
        return out
    levels = {p.id: (p.identity_proofing, p.authenticator) for p in ps if p.has_auth and p.levels is not None}
    if len(set(levels.values())) > 1:
        desc = "、".join(f"{pid}: 身元確認{lv[0]}・当人認証{lv[1]}" for pid, lv in levels.items())
        out.append(
            f"基盤間で身元確認・当人認証レベルが揃っていません（{desc}）。統合すると低い側のデータを高いレベルを"
            "要するサービスが使えなくなります（guide 3.4 基盤間連携（認証連携））"
        )
    fields = sorted({p.field for p in ps if p.field})  # unknown fields are reported by the classification
    if len(fields) > 1:
        out.append(
            "基盤の分野が異なります（"
            + "・".join(reference.label("field", f) for f in fields)
            + "）。分野別の基盤は分野ごとに1つが原則で、一つに押し込む必要はありません（guide 1.1 (1)）"
        )
    return out


def _mixed(pref: Prefecture) -> bool:
    if pref.target is not None:
        return pref.target.providers == "mixed"
    ps = running(pref)
    return any(p.service_scheme in ("both", "private") for p in ps) or any(
        s.provider == "private" for s in pref.services
    )


def recommend_target(pref: Prefecture, cl: Classification | None = None) -> TargetAdvice:
    """The recommended path from today's 型 to 型2.4 (guide 3.2 目指す共同利用の状態).

    * no running platform: prepare one for shared use (pattern A) → 2.1 → 2.2 → 2.4;
    * one platform: share it, widening the users to the prefecture (2.2) before private services join (2.4),
      or straight to 2.4 where private services are already part of the aim;
    * several platforms: converge on one (as above) unless forcing one platform would do harm
      (:func:`harm_factors`); then connect them first (2.6 for municipal services, 2.8 with private ones,
      authentication levels aligned) and converge on 2.4 later.
    """
    cl = cl or classify(pref)
    ps = _data_platforms(pref)
    n = len(ps)
    cur = cl.current_type
    base = (
        cl.shared_type or cur
    )  # the shared arrangement's 2.x when platforms run alone beside it ("2.2+1.3")
    mixed = _mixed(pref)
    harms = harm_factors(pref)
    reasons: list[str] = []
    if n == 0:
        situation, direction = (
            "都道府県下に基盤を運営している基礎自治体がない",
            "共同利用するための基盤を用意する",
        )
    elif n == 1:
        situation, direction = "都道府県下に一つの自治体が基盤を運営している", "既存の基盤の共同利用を進める"
    else:
        situation = "都道府県下で複数の自治体がそれぞれ基盤を運営している"
        direction = "共同利用を進める。無理な共同利用が弊害を生む場合には、基盤間をつなぐ"
    route: str
    if base == GOAL_TYPE and cur == GOAL_TYPE:
        route, path = "goal_reached", [GOAL_TYPE]
        reasons.append("すでに目指す姿（型2.4）です。サービスと参加団体を増やし、運用を改善します")
    elif base.startswith("2."):
        multi = base in ("2.5", "2.6", "2.7", "2.8")
        if multi and harms:
            route = "federate_first"
            interim = "2.8" if mixed else "2.6"
            head = [s.type for s in shortest_path(base, interim)] if base != interim else [base]
            path = [*head, GOAL_TYPE] if head else [base, interim, GOAL_TYPE]
        elif base == GOAL_TYPE:
            route, path = "converge", [GOAL_TYPE]
        else:
            route = "converge" if multi else "widen"
            path = [s.type for s in shortest_path(base)] or [base, GOAL_TYPE]
        reasons.append(
            f"すでに共同利用しています（型{base}）。型2.4までの遷移（ガイドブック第3.0版 7.2）に沿って進めます"
        )
        if base != cur:
            reasons.append(
                f"ほかに単独で運営している基盤があります（型{cur}）。共同利用の基盤への合流か基盤間連携を検討します"
            )
    elif n == 0:
        route, path = "new", [cur, "2.1", "2.2", GOAL_TYPE]
        reasons.append(
            "基盤を運営する自治体がないため、運営組織が共同利用の基盤を新たに用意します（パターンA 新規構築）。"
            "まず参加する自治体内で始め（型2.1）、利用者を都道府県内に広げ（型2.2）、民間のサービスが参加して"
            "型2.4を目指します"
        )
    elif n == 1 or not harms:
        route = "widen" if n == 1 else "converge"
        path = [cur, GOAL_TYPE] if mixed else [cur, "2.2", GOAL_TYPE]
        what = "既存の基盤" if n == 1 else "複数の基盤を一つに寄せ、その基盤"
        if mixed:
            reasons.append(
                f"{what}を運営組織に移して都道府県内へ広げ、官民のサービスを載せて直接型2.4を目指します"
                "（合流先があればパターンD 上位合流が最短）"
            )
        else:
            reasons.append(
                f"{what}を運営組織に移して利用者を都道府県内へ広げ（型2.2）、民間のサービスが参加した段階で"
                "型2.4に進みます（パターンB 広域展開）"
            )
        if n > 1:
            reasons.append(
                "認証レベルや分野の違いなど、一つの基盤にすると弊害が出る要因は見つかりませんでした"
            )
    else:
        route = "federate_first"
        interim = "2.8" if mixed else "2.6"
        path = [cur, interim, GOAL_TYPE]
        reasons.append(
            f"複数の基盤を無理に一つにすると弊害が出るため、まず基盤間をつなぎ（型{interim}: 認証レベルを"
            f"整合させた認証連携{'とデータ連携' if interim == '2.8' else ''}）、のちに一つの基盤に統合して"
            "型2.4に収束させます（guide 3.2）"
        )
    if harms and route == "federate_first":
        reasons.extend(harms)
    chosen = cl.after.type if cl.after else None
    route_labels = {
        "goal_reached": "目指す姿に到達済み",
        "new": "新たに基盤を用意（型2.1→2.2経由）",
        "widen": "既存基盤の共同利用（型2.2経由）" if "2.2" in path else "既存基盤の共同利用（型2.4へ直接）",
        "converge": "一つの基盤に寄せる" + ("（型2.2経由）" if "2.2" in path else ""),
        "federate_first": "基盤間をつないでから統合（型2.6/2.8経由）",
    }
    on_path = None if chosen is None else chosen in path
    if chosen and not on_path:
        reasons.append(f"ファイルの目指す型（型{chosen}）は推奨する道筋にありません。理由を記録してください")
    return TargetAdvice(
        running_platforms=n,
        current_type=cur,
        current_label=cl.current_label,
        situation=situation,
        direction=direction,
        chosen_type=chosen,
        chosen_label=type_label(chosen) if chosen else None,
        target_assumed=cl.pattern_target_assumed,
        route=route,  # type: ignore[arg-type]
        route_label=route_labels[route],
        recommended_path=path,
        harm_factors=harms,
        reasons=reasons,
        chosen_on_path=on_path,
    )


def surveyed_bodies(organisation: str) -> list[str]:
    """Names of the surveyed bodies that chose an organisation type (guide 2.7, data/survey_bodies.csv)."""
    df = reference.table("survey_bodies.csv")
    df = df[df["organisation"] == organisation]
    return [str(m) if m else str(p) for p, m in df[["prefecture", "municipality"]].itertuples(index=False)]


def chosen_organisation(pref: Prefecture) -> str | None:
    """The organisation type the file chose: ``vision.organisation``, else ``target.organisation``."""
    if pref.vision and pref.vision.organisation:
        return pref.vision.organisation
    if pref.target and pref.target.organisation:
        return pref.target.organisation
    return None


def recommend_organisation(pref: Prefecture) -> OrgAdvice:
    """The operating organisation (guide 2.7): 外部組織型 where an external body can be set up, else 順次使用
    許諾型（直列型）. 直接使用許諾型（並列型）has no recommendation condition in the guide."""
    df = reference.table("org_types.csv")
    possible = pref.vision.external_body_possible if pref.vision else None
    rec = None if possible is None else ("external" if possible else "serial")
    chosen = chosen_organisation(pref)
    rows = {r["code"]: r for r in df.to_dict("records")}
    if possible is None:
        reason = (
            "外部組織（株式会社、一般社団法人、コンソーシアム等）を立ち上げられるか（vision.external_body_possible）が"
            "未設定のため推奨を決められません。ガイド 2.7 は、立ち上げられるなら外部組織型、立ち上げられないなら"
            "直列型を推奨しています"
        )
    elif possible:
        reason = f"外部組織を立ち上げられるため、{rows['external']['label_ja']}を推奨します: {rows['external']['traits_ja']}"
    else:
        reason = f"外部組織を立ち上げられないため、{rows['serial']['label_ja']}を推奨します: {rows['serial']['traits_ja']}"
    warnings: list[str] = []
    if chosen and rec and chosen != rec:
        warnings.append(
            f"選択した{rows[chosen]['label_ja']}はガイド 2.7 の推奨（{rows[rec]['label_ja']}）と異なります。理由を記録してください"
        )
    if chosen == "parallel":
        warnings.append(
            "並列型はガイド 2.7 に推奨条件の記載がなく、ベンダ依存度が高く、都道府県の関与が弱いため調整のハードルが高くなります"
        )
    options = [
        OrgOption(
            code=str(r["code"]),
            label=str(r["label_ja"]),
            contractor=str(r["contractor_ja"]),
            traits=str(r["traits_ja"]),
            condition=str(r["condition_ja"]),
            surveyed=surveyed_bodies(str(r["code"])),
            recommended=r["code"] == rec,
            chosen=r["code"] == chosen,
        )
        for r in df.to_dict("records")
    ]
    effective = chosen or rec or "serial"
    return OrgAdvice(
        external_body_possible=possible,
        recommended=rec,
        recommended_label=reference.label("organisation", rec) if rec else None,
        chosen=chosen,
        chosen_label=reference.label("organisation", chosen) if chosen else None,
        effective=effective,
        reason=reason,
        warnings=warnings,
        options=options,
    )


def _row(table: str, code: str | None) -> dict[str, Any] | None:
    if code is None:
        return None
    df = reference.table(table)
    hit = df[df["code"] == code]
    return hit.iloc[0].to_dict() if len(hit) else None


def cost_advice(pref: Prefecture) -> CostAdvice:
    """The vision's cost-sharing rule and scheme; the members' shares of the chosen rule when the cost module
    (``workbench.cost.allocate``) is available and the file has ``costs:``, else a note that it is not set."""
    rule = pref.vision.cost_rule if pref.vision else None
    scheme = (pref.vision.scheme if pref.vision else None) or (pref.costs.scheme if pref.costs else None)
    r, s = _row("cost_rules.csv", rule), _row("prefecture_schemes.csv", scheme)
    base = dict(
        rule=rule,
        rule_label=r["label_ja"] if r else None,
        rule_description=r["description"] if r else None,
        scheme=scheme,
        scheme_label=s["label_ja"] if s else None,
        scheme_description=s["description"] if s else None,
    )
    if rule is None:
        return CostAdvice(**base, note="費用按分ルールが未設定です（ビジョンの編集で選べます）")
    if pref.costs is None:
        return CostAdvice(
            **base, note="費用の前提（初期費用・運用費・参加団体）が未設定のため、負担額は計算していません"
        )
    try:
        import importlib

        allocate = importlib.import_module("workbench.cost").allocate
    except (ImportError, AttributeError):
        return CostAdvice(
            **base, note="費用モジュール（workbench.cost）が使えないため、負担額は計算していません"
        )
    try:
        alloc = allocate(pref, rule, scheme=scheme)
    except InputError as err:
        return CostAdvice(**base, note=f"負担額を計算できませんでした: {err}")
    data = alloc.model_dump() if hasattr(alloc, "model_dump") else dict(alloc)
    shares = [
        ShareRow(
            code=str(m["code"]),
            name=str(m.get("name", m["code"])),
            share=float(m["share"]),
            standalone=m.get("standalone"),
        )
        for m in data.get("members", [])
    ]
    return CostAdvice(
        **base,
        total=data.get("total"),
        prefecture=data.get("prefecture"),
        shares=shares,
        note=f"費用の前提（初期費用・運用費・参加団体）を{base['rule_label']}で按分した負担額（現在価値）",
    )


def kpi_catalogue() -> list[dict[str, str]]:
    """The guidebook's KPI list (8.3): outputs and outcomes (data/kpis.csv)."""
    return [{k: str(v) for k, v in r.items()} for r in reference.table("kpis.csv").to_dict("records")]


KIND_JA = {"output": "アウトプット", "outcome": "アウトカム"}


def vision(pref: Prefecture) -> VisionResult:
    """Step 2 目的の設定とビジョンの策定 (guide 3.1): purposes, target 型 and path, pattern, operating
    organisation, cost sharing and KPIs, each with its source.

    Parameters
    ----------
    pref : Prefecture
        The prefecture file; its ``vision:`` section holds the choices (all optional).

    Examples
    --------
    >>> import workbench as wb
    >>> print(wb.vision(wb.load_sample("07")))
    福島県 Step 2 共同利用ビジョン
    ...
    """
    cl = classify(pref)
    v = pref.vision
    kdf = reference.table("kpis.csv").set_index("code")
    kpis = [
        KpiView(
            code=k.code,
            kind=str(kdf.loc[k.code, "kind"]),
            kind_label=KIND_JA.get(str(kdf.loc[k.code, "kind"]), str(kdf.loc[k.code, "kind"])),
            label=str(kdf.loc[k.code, "label_ja"]),
            unit=str(kdf.loc[k.code, "unit_ja"]),
            target=k.target,
            year=k.year,
            baseline=k.baseline,
            baseline_year=k.baseline_year,
            service=k.service,
            service_name=next((s.name for s in pref.services if s.id == k.service), None),
            notes=k.notes,
            source=f"{kdf.loc[k.code, 'source']}（指標）; your input（目標値）",
        )
        for k in (v.kpis if v else [])
    ]
    target = recommend_target(pref, cl)
    org = recommend_organisation(pref)
    cost = cost_advice(pref)
    warnings = list(org.warnings)
    if not v or not v.purposes:
        warnings.append("共同利用の目的が未設定です（vision.purposes）")
    if not kpis:
        warnings.append("KPI が未設定です（vision.kpis、ガイドブック 8.3 の指標から選びます）")
    if target.chosen_type and target.chosen_on_path is False:
        warnings.append(
            f"目指す型（型{target.chosen_type}）が推奨する道筋（{' → '.join(target.recommended_path)}）にありません"
        )
    return VisionResult(
        prefecture=PrefectureRef(code=pref.code, name=pref.name),
        purposes=survey_counts("purpose", v.purposes if v else []),
        challenges=survey_counts("challenge"),
        statement=v.statement if v else None,
        target=target,
        pattern=cl.pattern,
        pattern_label=cl.pattern_label,
        path_to_goal=[s.type for s in cl.path_to_goal],
        organisation=org,
        cost=cost,
        kpis=kpis,
        kpi_catalogue=kpi_catalogue(),
        warnings=warnings,
        sources={
            "purposes": "guide 2.4（ヒアリング10団体の回答数、data/survey_counts.csv）",
            "challenges": "guide 2.8（ヒアリング10団体の回答数、data/survey_counts.csv）",
            "target": target.source,
            "pattern": cl.sources.get("pattern", "guidebook pattern flow"),
            "organisation": org.source,
            "cost": cost.source,
            "kpis": "guidebook 8.3（data/kpis.csv）; 目標値は your input",
            "input": "your input（都道府県ファイルの vision: と target:）",
        },
        cross_field=vision_goals(pref) if pref.data_map is not None else None,
    )


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
            ("パターン", f"{self.pattern}（{self.pattern_label}）"),
            ("運営組織", self.organisation_label),
            ("開始", self.start.isoformat() if self.start else "未設定（月数で表示）"),
            ("期間", f"{self.months} か月"),
            (
                "取組事項",
                f"{len(self.items)} 件（生成 {n['generated']}、編集 {n['edited']}、追加 {n['added']}、"
                f"除外 {len(self.removed)}）",
            ),
            ("クリティカルパス", " → ".join(self.critical_path)),
        ]

    def card_tables(self) -> list[tuple[str, pd.DataFrame]]:
        return [("取組事項", self.to_frame())]

    COLUMNS: ClassVar[list[str]] = [
        "ID",
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

    def to_frame(self) -> pd.DataFrame:
        """One row per item, Japanese columns, in schedule order."""
        origin = {"generated": "生成", "edited": "生成（編集）", "added": "追加"}

        def made(i: ActionItem) -> str:
            return origin[i.origin] + ("・課題リスト" if i.issue and i.origin != "added" else "")

        recs = [
            {
                "ID": i.id,
                "取組事項": i.title,
                "検討事項": i.consideration_label or "—",
                "担当": i.owner_label,
                "開始（月）": i.start_month,
                "期間（月）": i.duration,
                "終了（月）": i.end_month,
                "開始日": i.start_date.isoformat() if i.start_date else "",
                "終了日": i.end_date.isoformat() if i.end_date else "",
                "依存": ", ".join(i.depends_on),
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


def _step1_inputs(pref: Prefecture, cl: Classification) -> dict[str, Any]:
    """What Step 3 reads from Step 1: the 課題リスト and the names of the platforms and services it cites.

    Issues whose action item another table makes are left to it: the data map's findings (DM_…) become
    items ``dm-…`` from data/datamap_actions.csv (:func:`workbench.datamap.plan_items`)."""
    names = {p.id: p.name for p in pref.platforms} | {s.id: s.name for s in pref.services}
    covered = set(reference.table("datamap_actions.csv")["finding"])
    return {"issues": [i for i in cl.issues if i.code not in covered], "names": names}


def _month_offset(start: date, d: date) -> int:
    months = (d.year - start.year) * 12 + (d.month - start.month)
    return months + (1 if d.day > start.day else 0)


def add_months(d: date, months: int) -> date:
    """``d`` moved by whole months (the day clipped to the month's length)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _resolve(
    pref: Prefecture, section: Plan | None
) -> tuple[list[dict[str, Any]], list[tuple[Loc, str, object]]]:
    """Generated items with the user's edits applied; problems located relative to ``plan:``."""
    cl = classify(pref)
    org = recommend_organisation(pref).effective
    from .datamap import plan_items  # the データマップ's action items (ids dm-…), empty without one

    gen = generated_items(cl.pattern, org, **_step1_inputs(pref, cl)) + plan_items(pref)
    by_id = {g["id"]: g for g in gen}
    problems: list[tuple[Loc, str, object]] = []
    section = section or Plan()
    removed = set()
    edited_ids = {e.id for e in section.items}
    for j, rid in enumerate(section.removed):
        if rid not in by_id:
            problems.append((("removed", j), "生成された取組事項にないIDです", rid))
        elif rid in edited_ids:
            problems.append((("removed", j), "items で編集している取組事項は外せません", rid))
        else:
            removed.add(rid)
    items = [dict(g, origin="generated", edited_fields=[], index=None) for g in gen if g["id"] not in removed]
    pos = {it["id"]: k for k, it in enumerate(items)}
    for i, e in enumerate(section.items):
        fields = [f for f in e.model_fields_set if f != "id"]
        values = {f: getattr(e, f) for f in fields}
        if "start" in values:
            values["start_floor"] = values.pop("start")
        if e.id in pos and items[pos[e.id]]["index"] is None:
            it = items[pos[e.id]]
            it.update(values)
            it["origin"], it["edited_fields"], it["index"] = "edited", sorted(fields), i
        elif e.id in pos:
            continue  # duplicate id: reported by Plan.cross_check
        else:
            if not e.title:
                problems.append(
                    (("items", i, "title"), "新しい取組事項には title（取組事項の名前）が必要です", None)
                )
            new = dict(
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
            new.update(values)
            pos[e.id] = len(items)
            items.append(new)
    known = set(pos)
    for it in items:
        deps = it.get("depends_on")
        if deps is None:
            continue
        if it["origin"] == "generated" or "depends_on" not in it["edited_fields"]:
            it["depends_on"] = [d for d in deps if d not in removed]
        else:
            for j, d in enumerate(deps):
                if d not in known and d != it["id"]:
                    msg = (
                        "外した取組事項（removed）に依存しています"
                        if d in removed
                        else "不明な取組事項IDです（生成された項目か items にあるID）"
                    )
                    problems.append((("items", it["index"], "depends_on", j), msg, d))
            it["depends_on"] = [d for d in deps if d in known and d != it["id"]]
    # the milestone waits for every item nothing else waits for
    if LAUNCH_ID in pos and items[pos[LAUNCH_ID]].get("depends_on") is None:
        waited = {d for it in items for d in (it.get("depends_on") or [])}
        items[pos[LAUNCH_ID]]["depends_on"] = [
            it["id"] for it in items if it["id"] != LAUNCH_ID and it["id"] not in waited
        ]
    for it in items:
        it["depends_on"] = list(it.get("depends_on") or [])
        floor = it.get("start_floor")
        if isinstance(floor, date):
            it["start_floor"] = _month_offset(section.start, floor) if section.start else 0
        elif floor is None:
            it["start_floor"] = 0
    problems += [(loc, msg, val) for loc, msg, val in _cycle_problems(items)]
    return items, problems


def find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """A dependency cycle as a list of ids (first id repeated at the end), or None (depth-first search)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for d in graph.get(n, []):
            if state.get(d) == 1:
                return stack[stack.index(d) :] + [d]
            if state.get(d) is None and d in graph:
                found = visit(d)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in graph:
        if state.get(n) is None:
            found = visit(n)
            if found:
                return found
    return None


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


def schedule(items: list[dict[str, Any]]) -> tuple[dict[str, tuple[int, int]], dict[str, int]]:
    """Earliest start/end (months) honouring dependencies and each item's earliest start, and each item's
    slack (latest start − earliest start). Raises ``ValueError`` on a cycle."""
    graph = {it["id"]: it["depends_on"] for it in items}
    cyc = find_cycle(graph)
    if cyc:
        raise ValueError("依存関係が循環しています: " + " → ".join(reversed(cyc)))
    dur = {it["id"]: int(it["duration"]) for it in items}
    floor = {it["id"]: int(it.get("start_floor") or 0) for it in items}
    es: dict[str, tuple[int, int]] = {}

    def earliest(n: str) -> tuple[int, int]:
        if n not in es:
            s = max([floor[n], *[earliest(d)[1] for d in graph[n]]])
            es[n] = (s, s + dur[n])
        return es[n]

    for n in graph:
        earliest(n)
    end = max((e for _, e in es.values()), default=0)
    succ: dict[str, list[str]] = {n: [] for n in graph}
    for n, deps in graph.items():
        for d in deps:
            succ[d].append(n)
    lf: dict[str, int] = {}

    def latest_finish(n: str) -> int:
        if n not in lf:
            lf[n] = min([end, *[latest_finish(s) - dur[s] for s in succ[n]]])
        return lf[n]

    slack = {n: latest_finish(n) - es[n][1] for n in graph}
    return es, slack


def _raise_located(pref: Prefecture, problems: list[tuple[Loc, str, object]]) -> None:
    from .inventory.yamlio import _field_path, locate

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
                _field_path(full),
                value if not isinstance(value, dict | list) else None,
            )
        )
    raise InputError(out)


def action_plan(pref: Prefecture) -> ActionPlan:
    """Step 3 実行計画の策定 (guide 3.1): the action items the vision needs, with a schedule.

    Items are generated from the pattern's work items (classify) and the five considerations (guide 3.3),
    plus setting up the operating organisation and the start of shared use; the file's ``plan:`` section
    overrides them by ``id``, adds items and removes some (``removed:``). Each item starts as early as its
    dependencies and its own ``start`` allow. Raises :class:`~workbench.errors.InputError` (located under
    ``plan``) for unknown dependencies and cycles.

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
    """The schedule as staff read it (notebooks, the plan editor): dates as offices write them and the 年度
    of the start once the plan has a start date, else months from the plan start; ○/— for yes/no."""
    from .text import date_ja, fiscal_year, fiscal_year_ja

    recs = []
    for i in plan.items:
        if plan.start is not None and i.start_date is not None and i.end_date is not None:
            last = i.end_date - timedelta(days=1) if i.duration else i.end_date
            begin, end = date_ja(i.start_date, western=False), date_ja(last, western=False)
            fy = fiscal_year_ja(fiscal_year(i.start_date), western=False)
        else:
            begin, end, fy = f"{i.start_month + 1}か月目", f"{max(i.end_month, i.start_month + 1)}か月目", "—"
        recs.append(
            {
                "ID": i.id,
                "取組事項": i.title,
                "担当": i.owner_label,
                "開始": begin,
                "終了": end if i.duration else "（節目）",
                "開始年度": fy,
                "期間（月）": i.duration,
                "依存": "、".join(i.depends_on) or "—",
                "クリティカル": "○" if i.critical else "—",
                "完了": "○" if i.done else "—",
            }
        )
    cols = [
        "ID",
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


# --- editing helpers (notebooks, widgets) ------------------------------------------------------------------


def set_item(pref: Prefecture, item_id: str, **changes: Any) -> ActionItemEdit:
    """Edit (or add) an action item in ``pref.plan``: only the keys given are written to the file.

    Validated like the file (Japanese labels accepted). Returns the stored edit.
    """
    item_id = canonical_item_id(item_id)
    section = pref.plan or Plan()
    items = list(section.items)
    for k, e in enumerate(items):
        if e.id == item_id:
            data = e.model_dump(exclude_unset=True)
            data.update(changes)
            items[k] = ActionItemEdit.model_validate(data)
            break
    else:
        items.append(ActionItemEdit.model_validate({"id": item_id, **changes}))
    section.items = items
    if item_id in section.removed:
        section.removed = [r for r in section.removed if r != item_id]
    pref.plan = section
    return next(e for e in section.items if e.id == item_id)


def remove_item(pref: Prefecture, item_id: str) -> None:
    """Remove an action item: a user-added one is deleted, a generated one is listed in ``removed:``."""
    item_id = canonical_item_id(item_id)
    section = pref.plan or Plan()
    cl = classify(pref)
    org = recommend_organisation(pref).effective
    generated = {g["id"] for g in generated_items(cl.pattern, org, **_step1_inputs(pref, cl))}
    section.items = [e for e in section.items if e.id != item_id]
    if item_id in generated and item_id not in section.removed:
        section.removed = [*section.removed, item_id]
    pref.plan = section


# --- export ---------------------------------------------------------------------------------------------


def _safe_cell(value: Any) -> Any:
    """A cell value that a spreadsheet does not run as a formula (leading = + - @ get a quote)."""
    try:
        from .tabular import safe_cell  # a colleague's shared helper
    except ImportError:
        safe_cell = None
    if safe_cell is not None:
        return safe_cell(value)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def plan_xlsx(pref: Prefecture, path: str | os.PathLike[str], plan: ActionPlan | None = None) -> Path:
    """Write the action plan to an Excel workbook as offices print it (sheets 実行計画 with a Gantt chart in
    cells, and 出典), atomically and formula-safe: :mod:`workbench.plan_sheet`."""
    from .plan_sheet import write_plan_xlsx

    return write_plan_xlsx(pref, path, plan or action_plan(pref))
