"""Step 2 目的の設定とビジョンの策定 (guide 3.1): the 共同利用ビジョン.

:func:`vision` gathers the purposes (guide 2.4, with the survey's counts), the target 型 with a recommended
path to 型2.4 (guide 3.2; guidebook 型2.x), the pattern (classify), the operating organisation (guide 2.7),
the cost-sharing rule and scheme (data/cost_rules.csv, data/prefecture_schemes.csv) and KPI targets
(guidebook 8.3, data/kpis.csv). Pure functions.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import pandas as pd
from pydantic import BaseModel, Field

from .. import reference
from ..classify import (
    GOAL_TYPE,
    Classification,
    classify,
    pattern_text,
    running,
    shortest_path,
    type_label,
)
from ..cost import allocate
from ..datamap import CrossFieldGoals, vision_goals
from ..errors import InputError
from ..inventory import Prefecture, checked
from ..results import Result, frame
from ..text import fiscal_year_ja


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
    current_type: str | None
    current_label: str
    current_text: str = Field("", description="今の型を職員が読む形で（「型2.8（条件未達: …）」「未確定」）")
    situation: str = Field(description="guide 3.2 の共同利用前の状態")
    direction: str = Field(description="guide 3.2 の目指す共同利用の状態")
    chosen_type: str | None = Field(None, description="ファイルの target: から決まる目指す型")
    chosen_label: str | None = None
    target_assumed: bool
    goal: str = GOAL_TYPE
    route: Literal["goal_reached", "new", "widen", "converge", "federate_first", "undetermined"]
    route_label: str
    recommended_path: list[str]
    harm_factors: list[str] = Field(
        default_factory=list, description="無理に一つの基盤にすると弊害が出る要因"
    )
    reasons: list[str]
    chosen_on_path: bool | None = None
    source: str = "guide 3.2; ガイドブック第3.0版 7.1 型2.x・7.2 目標（型2.4）への2つの経路（data/types_after.csv, data/type_paths.csv）"

    def current_words(self) -> str:
        """Today's type as staff read it: 「型2.8（条件未達: 個人認証レベルの整合）（複数基盤・都道府県内・官民混在）」,
        or why it is undetermined."""
        if self.current_type is None:
            return self.current_label
        return f"{self.current_text or '型' + self.current_type}（{self.current_label}）"


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
    source: str = Field(
        "ガイド 3.3 (4) 公平なコスト負担の方法; ガイドブック第3.0版 9.5 3つのコスト負担・役割スキームの事例",
        description="按分ルールと県負担の方式の出典（ガイド・ガイドブックの節、または本ツールの読み）",
    )


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
            ("ビジョン", self.statement or "未記入（ビジョンの編集で目指す姿を書けます）"),
            ("目的", "、".join(sel) or "未設定"),
            ("現在の型", self.target.current_words()),
            (
                "目指す型",
                f"型{self.target.chosen_type}" if self.target.chosen_type else "未設定（型2.4を想定）",
            ),
            (
                "推奨する道筋",
                " → ".join(f"型{t}" for t in self.target.recommended_path) + f"（{self.target.route_label}）"
                if self.target.recommended_path
                else self.target.route_label,
            ),
            ("パターン", pattern_text(self.pattern, self.pattern_label)),
            ("運営組織（推奨）", org.recommended_label or "判断に必要な条件が未設定"),
            ("運営組織（選択）", org.chosen_label or "未設定"),
            ("費用按分", self.cost.rule_label or "未設定"),
            ("県負担の方式", self.cost.scheme_label or "未設定"),
            ("KPI", f"{len(self.kpis)} 件"),
        ]

    def card_tables(self) -> list[tuple[str, pd.DataFrame]]:
        extra = (
            [("分野横断の目標（データマップから）", self.cross_field.to_staff_frame())]
            if self.cross_field
            else []
        )
        return [("KPI", self.kpis_frame()), ("運営組織の型", self.organisation_frame()), *extra]

    #: the items of :meth:`to_frame`, in the order of the card
    ITEMS: ClassVar[tuple[str, ...]] = (
        "statement",
        "purposes",
        "current_type",
        "target_type",
        "path",
        "pattern",
        "organisation_recommended",
        "organisation_chosen",
        "cost_rule",
        "scheme",
        "kpis",
    )
    FRAME_COLUMNS: ClassVar[dict[str, str]] = {
        "item": "statement | purposes | current_type | target_type | path | pattern | organisation_recommended | "
        "organisation_chosen | cost_rule | scheme | kpis",
        "label": "the item as staff name it (ビジョン, 目的, 現在の型 …)",
        "value": "its content as staff read it (Japanese)",
        "source": "where it comes from (guide section or your input)",
    }

    def to_frame(self) -> pd.DataFrame:
        """The vision as one row per item, the item's code in ``item`` (columns: :attr:`FRAME_COLUMNS`)."""
        staff = self.to_staff_frame()
        return pd.DataFrame(
            {
                "item": list(self.ITEMS),
                "label": staff["項目"],
                "value": staff["内容"],
                "source": staff["根拠"],
            },
            columns=list(self.FRAME_COLUMNS),
        )

    def to_staff_frame(self) -> pd.DataFrame:
        """The vision as (項目, 内容, 根拠) rows."""
        rows = [
            {"項目": k, "内容": v, "根拠": s}
            for (k, v), s in zip(
                self.card_rows(),
                [
                    "your input（vision.statement）",
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
        """Each member's share under the vision's rule, the member by name (the municipality code stays in
        ``cost.shares`` and the JSON)."""
        recs = [
            {
                "団体": s.name,
                "負担額（円）": round(s.share),
                "単独の場合（円）": None if s.standalone is None else round(s.standalone),
            }
            for s in self.cost.shares
        ]
        return frame(recs, ["団体", "負担額（円）", "単独の場合（円）"])


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
    levels = {
        p.name: (p.identity_proofing, p.authenticator) for p in ps if p.has_auth and p.levels is not None
    }
    if len(set(levels.values())) > 1:  # platforms by name: the text reaches staff (the JSON keeps the ids)
        desc = "、".join(
            f"{name}: 身元確認レベル{lv[0]}・当人認証レベル{lv[1]}" for name, lv in levels.items()
        )
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
    n = len(_data_platforms(pref))
    cur = cl.current_type
    base = (
        cl.shared_type or cur
    )  # the shared arrangement's 2.x when platforms run alone beside it ("2.2+1.3")
    mixed, harms = _mixed(pref), harm_factors(pref)
    situation, direction = _situation(n)
    if cur is None or base is None:  # a running platform's components are not given: no path to claim
        route, path, reasons = "undetermined", [], [cl.current_reason]
    elif base.startswith("2."):
        route, path, reasons = _route_shared(base, cur, mixed, harms)
        unmet = [u for a in cl.arrangements for u in a.unmet]
        if unmet:  # 型2.6/2.8 by the 判定フロー, its own conditions not met (guidebook 第3.0版 7.1)
            reasons.insert(0, f"今の{cl.current_text}: まず条件を満たします（{'；'.join(unmet)}）")
    else:
        route, path, reasons = _route_unshared(cur, n, mixed, harms)
    if harms and route == "federate_first":
        reasons.extend(harms)
    chosen = cl.after.type if cl.after else None
    on_path = None if chosen is None else chosen in path
    if chosen and not on_path:
        reasons.append(f"ファイルの目指す型（型{chosen}）は推奨する道筋にありません。理由を記録してください")
    return TargetAdvice(
        running_platforms=n,
        current_type=cur,
        current_label=cl.current_label,
        current_text=cl.current_text,
        situation=situation,
        direction=direction,
        chosen_type=chosen,
        chosen_label=type_label(chosen) if chosen else None,
        target_assumed=cl.pattern_target_assumed,
        route=route,  # type: ignore[arg-type]
        route_label=route_label(route, path),
        recommended_path=path,
        harm_factors=harms,
        reasons=reasons,
        chosen_on_path=on_path,
    )


Route = tuple[str, list[str], list[str]]  # (route, path of 型, reasons)


def _situation(n: int) -> tuple[str, str]:
    """The guide's situation and direction for ``n`` running platforms (guide 3.2 の表)."""
    if n == 0:
        return "都道府県下に基盤を運営している基礎自治体がない", "共同利用するための基盤を用意する"
    if n == 1:
        return "都道府県下に一つの自治体が基盤を運営している", "既存の基盤の共同利用を進める"
    return (
        "都道府県下で複数の自治体がそれぞれ基盤を運営している",
        "共同利用を進める。無理な共同利用が弊害を生む場合には、基盤間をつなぐ",
    )


def _route_shared(base: str, cur: str, mixed: bool, harms: list[str]) -> Route:
    """Already in shared use (型{base}): along the guidebook's transitions to 型2.4 (7.2)."""
    if base == GOAL_TYPE and cur == GOAL_TYPE:
        return (
            "goal_reached",
            [GOAL_TYPE],
            ["すでに目指す姿（型2.4）です。サービスと参加団体を増やし、運用を改善します"],
        )
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
    reasons = [
        f"すでに共同利用しています（型{base}）。型2.4までの遷移（ガイドブック第3.0版 7.2）に沿って進めます"
    ]
    if base != cur:
        reasons.append(
            f"ほかに単独で運営している基盤があります（型{cur}）。共同利用の基盤への合流か基盤間連携を検討します"
        )
    return route, path, reasons


def _route_unshared(cur: str, n: int, mixed: bool, harms: list[str]) -> Route:
    """No shared use yet: a new platform (none runs), one platform shared or several converged, or federated
    first where forcing one platform would do harm (guide 3.2)."""
    if n == 0:
        return (
            "new",
            [cur, "2.1", "2.2", GOAL_TYPE],
            [
                "基盤を運営する自治体がないため、運営組織が共同利用の基盤を新たに用意します（パターンA 新規構築）。"
                "まず参加する自治体内で始め（型2.1）、利用者を都道府県内に広げ（型2.2）、民間のサービスが参加して"
                "型2.4を目指します"
            ],
        )
    if n > 1 and harms:
        interim = "2.8" if mixed else "2.6"
        return (
            "federate_first",
            [cur, interim, GOAL_TYPE],
            [
                f"複数の基盤を無理に一つにすると弊害が出るため、まず基盤間をつなぎ（型{interim}: 認証レベルを"
                f"整合させた認証連携{'とデータ連携' if interim == '2.8' else ''}）、のちに一つの基盤に統合して"
                "型2.4に収束させます（guide 3.2）"
            ],
        )
    what = "既存の基盤" if n == 1 else "複数の基盤を一つに寄せ、その基盤"
    if mixed:
        reasons = [
            f"{what}を運営組織に移して都道府県内へ広げ、官民のサービスを載せて直接型2.4を目指します"
            "（合流先があればパターンD 上位合流が最短）"
        ]
    else:
        reasons = [
            f"{what}を運営組織に移して利用者を都道府県内へ広げ（型2.2）、民間のサービスが参加した段階で"
            "型2.4に進みます（パターンB 広域展開）"
        ]
    if n > 1:
        reasons.append("認証レベルや分野の違いなど、一つの基盤にすると弊害が出る要因は見つかりませんでした")
    path = [cur, GOAL_TYPE] if mixed else [cur, "2.2", GOAL_TYPE]
    return ("widen" if n == 1 else "converge"), path, reasons


def route_label(route: str, path: list[str]) -> str:
    """How staff read a route (data/labels.csv ``target_route``): widening and converging say whether the
    path goes through 型2.2."""
    if route == "undetermined":
        return "今の型が未確定のため道筋を決められません"
    code = route
    if route in ("widen", "converge"):
        code = f"{route}_via_2_2" if "2.2" in path else f"{route}_direct"
    return reference.label("target_route", code)


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
    """The vision's cost-sharing rule and scheme; the members' shares of the chosen rule
    (:func:`workbench.cost.allocate`) when the file has ``costs:``, else a note that they are not set."""
    rule = pref.vision.cost_rule if pref.vision else None
    scheme = (pref.vision.scheme if pref.vision else None) or (pref.costs.scheme if pref.costs else None)
    r, s = _row("cost_rules.csv", rule), _row("prefecture_schemes.csv", scheme)
    cited = [str(x["source"]) for x in (r, s) if x and str(x["source"]) not in ("", "your input")]
    base = dict(
        rule=rule,
        rule_label=r["label_ja"] if r else None,
        rule_description=r["description"] if r else None,
        scheme=scheme,
        scheme_label=s["label_ja"] if s else None,
        scheme_description=s["description"] if s else None,
    )
    if cited:
        base["source"] = "; ".join(cited)
    if rule is None:
        return CostAdvice(**base, note="費用按分ルールが未設定です（ビジョンの編集で選べます）")
    if pref.costs is None:
        return CostAdvice(
            **base, note="費用の前提（初期費用・運用費・参加団体）が未設定のため、負担額は計算していません"
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


#: KPI kinds as staff read them (data/labels.csv ``kpi_kind``)
KIND_JA = reference.labels("kpi_kind")


@checked
def vision(pref: Prefecture) -> VisionResult:
    """Step 2 目的の設定とビジョンの策定 (guide 3.1): purposes, target 型 and path, pattern, operating
    organisation, cost sharing and KPIs, each with its source.

    Parameters
    ----------
    pref : Prefecture
        The prefecture file; its ``vision:`` section holds the choices (all optional).

    Returns
    -------
    VisionResult
        Purposes, target type and path, pattern, organisation, cost rule and KPIs, each with its source;
        ``to_frame()`` one row per item (``item`` codes).

    Raises
    ------
    InputError
        When the prefecture is inconsistent (the message of :func:`workbench.validate`).

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
            kind_label=reference.label("kpi_kind", str(kdf.loc[k.code, "kind"])),
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
