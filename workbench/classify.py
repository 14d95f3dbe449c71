"""Step 1 of the guide (都道府県下の状況把握) and the 型: counts, before-types, today's type, principles,
the 課題リスト, and — from the file's target — the after-type, the pattern, its work items and the path to
型2.4.

The type tables, the pattern flow and the issue rules are data (data/types_*.csv, data/pattern_flow.yaml,
data/issue_rules.csv); this module reads them and answers their questions from the prefecture file. Every rule
is listed beside the sentence of the guide or the guidebook it implements in docs/classification_rules.md.

Today's type is built per *arrangement* (共同利用の単位): the platforms in shared use (several municipalities,
an operating body or the prefecture providing the platform; guide 2.2/2.7, guidebook 第3.0版 7.1) together
with the platforms federated into them. Each arrangement gets its 型2.x; every other platform keeps its 型1.x,
and ``current_type`` shows them side by side ("2.2+1.3").

``wb.classify(pref)`` is :func:`classify` (the package exports the function).
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import pandas as pd
from pydantic import BaseModel, Field, PrivateAttr

from . import auth, reference
from .datamap import issue_findings as datamap_findings
from .inventory import Platform, Prefecture, Service, checked
from .results import Result, frame

Severity = Literal["high", "medium", "low"]
GOAL_TYPE = "2.4"
GUIDEBOOK = "ガイドブック第3.0版"
#: our reading, not the guide's: only platforms in operation are counted and typed (the guide's Step1フロー
#: counts 「データ連携基盤数の合計」 without distinguishing 運用中・構築中・計画中)
RUNNING_READING = "本ツールの読み: 運用中の基盤だけを数え、型を判定する（構築中・計画中は数えない）"


class PrefectureRef(BaseModel):
    code: str
    name: str


class Counts(BaseModel):
    """Running platforms by component; non-personal and personal counted separately (guide 3.5 Step1フロー:
    「非パーソナルとパーソナルは別々に集計する」; counting only running ones is our reading)."""

    auth: int
    non_personal: int
    personal: int

    def bucket(self, n: int) -> str:
        """The guidebook's per-prefecture classes 0 / 1 / 2以上 (ガイドブック第3.0版 4.2)."""
        return "0" if n == 0 else "1" if n == 1 else "2以上"


class BeforeType(BaseModel):
    platform: str
    municipality: str | None
    type: str
    label: str
    source: str = f"{GUIDEBOOK} 7.1 型1.x"


class AfterType(BaseModel):
    type: str
    label: str
    source: str
    user_scope: str
    providers: str
    alignment: str
    alignment_ja: str
    data_federation: bool
    goal: bool
    demands: list[str]


class Arrangement(BaseModel):
    """One shared arrangement today (共同利用の単位) and its 型2.x.

    ``platforms`` are the members: platforms in shared use and the platforms federated into them;
    ``source`` (単一/複数) counts only the members with a data platform. ``type`` is what the three answers of the
    判定フロー give (guidebook 第3.0版 7.1: 元になった基盤の数 → 利用者の範囲 → サービス提供主体). For 型2.6/2.8,
    ``unmet`` lists their own conditions that fail (認証レベルの整合, データ連携; ``unmet_conditions`` their short
    names) and ``unknown`` those that cannot be checked (levels not given); ``conditions_met`` is then false
    (or None when only unknown): the type is shown as 「型2.8（条件未達: …）」, never as a type whose row states a
    scope the facts deny."""

    type: str
    label: str
    platforms: list[str]
    data_platforms: list[str]
    source: str
    user_scope: str
    providers: str
    organisation: str | None = None
    why_shared: dict[str, str] = Field(default_factory=dict)
    municipalities: list[str] = Field(default_factory=list)
    outside: list[str] = Field(default_factory=list)
    conditions_met: bool | None = True
    unmet_conditions: list[str] = Field(default_factory=list)
    unmet: list[str] = Field(default_factory=list)
    unknown: list[str] = Field(default_factory=list)

    def type_text(self) -> str:
        """「型2.8」, or 「型2.8（条件未達: 個人認証レベルの整合）」 where the type's own conditions fail (guidebook
        第3.0版 7.1 型2.x比較表), 「型2.8（条件未確認: …）」 where they cannot be checked."""
        if self.unmet_conditions:
            return f"型{self.type}（条件未達: {'・'.join(self.unmet_conditions)}）"
        if self.unknown:
            return f"型{self.type}（条件未確認: {'・'.join(self.unknown)}）"
        return f"型{self.type}"


class Issue(BaseModel):
    code: str
    platform: str | None = None
    service: str | None = None
    severity: Severity
    title: str = ""
    message: str
    source: str


class Principle(BaseModel):
    code: str
    label: str
    ok: bool
    unknown: bool = False
    detail: str
    source: str


class FlowStep(BaseModel):
    node: str
    question: str
    answer: str
    why: str


class PathStep(BaseModel):
    type: str
    note: str
    unmet: list[str] = Field(
        default_factory=list, description="この型の条件で満たしていないもの（型2.6・2.8の条件未達）"
    )

    def text(self) -> str:
        """「型2.8」 or 「型2.8（条件未達）」."""
        return f"型{self.type}" + ("（条件未達）" if self.unmet else "")


class WorkItem(BaseModel):
    pattern: str
    consideration: int
    consideration_label: str
    item: str
    owner: str


class Classification(Result):
    """The Step 1 result (CONTRACT.md classify JSON plus details)."""

    prefecture: PrefectureRef
    counts: Counts
    before: list[BeforeType]
    current_type: str | None = Field(
        description="今の型（CONTRACT.md）。構成が未記入の運用中の基盤があれば null（理由は undetermined）"
    )
    current_label: str
    current_reason: str
    current_text: str = Field(
        "",
        description="今の型を職員が読む形で（「型2.8（条件未達: 個人認証レベルの整合）」「未確定」）",
    )
    conditions_met: bool | None = Field(
        True,
        description="今の型2.6・2.8がその型の条件（認証レベルの整合、データ連携）を満たすか。false: 満たさない"
        "（arrangements[].unmet）、null: 確かめられない。current_type は判定フローの答えの型のまま",
    )
    shared_type: str | None = None
    arrangements: list[Arrangement] = Field(default_factory=list)
    undetermined: list[str] = Field(
        default_factory=list, description="今の型を判定できない理由（CONTRACT.md）"
    )
    undetermined_platforms: list[str] = Field(
        default_factory=list, description="構成が未記入の運用中の基盤のID"
    )
    pattern: Literal["A", "B", "C", "D", "link", "none"]
    pattern_label: str
    pattern_reading: str | None = None
    pattern_target_assumed: bool = False
    pattern_from_approach: bool = False
    guidebook_text: str = ""
    flow: list[FlowStep]
    _names: dict[str, str] = PrivateAttr(default_factory=dict)  # platform and service id -> name (tables)
    after: AfterType | None
    path_to_goal: list[PathStep]
    work_items: list[WorkItem]
    principles: list[Principle]
    issues: list[Issue]
    platforms: list[dict[str, object]] = Field(default_factory=list)
    platform_codes: list[dict[str, object]] = Field(
        default_factory=list,
        description="基盤ごとの属性をコードで（to_frame の行; platforms は職員向けの表）",
    )
    sources: dict[str, str] = Field(default_factory=dict)

    FIELD_DOCS: ClassVar[dict[str, str]] = {
        "prefecture": "{code, name} of the prefecture",
        "counts": "auth, non_personal, personal: running platforms by component (guide 3.5 Step1フロー)",
        "before": "platforms one municipality runs alone: {platform, municipality, type 1.2–1.5}",
        "current_label": "today's type in words (the 型 table's label)",
        "current_reason": "why today's type is what it is (Japanese)",
        "shared_type": "the type of the shared arrangements alone (2.x), or None",
        "arrangements": "each shared arrangement today: its platforms, members, type, unmet conditions",
        "pattern": "the pattern of guidebook 8.2: A | B | C | D | link | none",
        "pattern_label": "the pattern's name",
        "pattern_reading": "which text the pattern follows and where the sources leave a choice",
        "pattern_target_assumed": "True when the file has no target and 型2.4 was assumed",
        "pattern_from_approach": "True when the file's target.approach chose the pattern",
        "guidebook_text": "the guidebook's sentence for the pattern",
        "flow": "the steps of the pattern flow taken, with the answers",
        "after": "the target's type {type, label, demands …}, or None without a target",
        "path_to_goal": "the types on the way to 型2.4 {type, note, unmet}",
        "work_items": "the pattern's work items (guide 3.3 considerations)",
        "principles": "the guide's basic principles (1.1), each ok / not / unknown",
        "issues": "the 課題リスト {code, platform, service, severity, message, source}",
        "platforms": "one row per platform as staff read it (to_staff_frame)",
        "sources": "where each part comes from (guide and guidebook sections)",
    }

    FRAME_COLUMNS: ClassVar[dict[str, str]] = {
        "platform": "platform id (the file's ``id``)",
        "name": "platform name (the file's ``name``)",
        "status": "running | building | planned",
        "operated_by": "prefecture | operating_body | private | a 6-digit municipality code",
        "organisation": "serial | parallel | external, or None",
        "components": "the components' codes joined by ``|`` (auth|non_personal|personal); '' when not given",
        "field": "the field's code, or None (not given)",
        "service_scheme": "none | municipality | private | both | operator",
        "platform_scheme": "the platform scheme (as given, else from the operator)",
        "user_scope": "municipal | prefectural",
        "identity_proofing": "身元確認レベル 1..3, or None",
        "authenticator": "当人認証レベル 1..3, or None",
        "non_personal_broker": "none | external | internal_shared | internal_separated",
        "personal_broker": "none | external | internal_shared | internal_separated",
        "municipalities": "number of municipalities using it (members of other prefectures included)",
        "outside_municipalities": "of which municipalities of other prefectures (外部の団体)",
        "shared": "True when it is in shared use (part of a 型2.x arrangement)",
        "shared_type": 'the 型2.x of its shared arrangement ("2.8"), or None',
        "before_type": 'the 型1.x of a platform one municipality runs alone ("1.3"), or None',
        "issues": "number of issues of the 課題リスト on this platform",
    }

    # --- presentation -----------------------------------------------------------------------------
    def card_title(self) -> str:
        return f"{self.prefecture.name}（{self.prefecture.code}）Step 1 現状把握"

    def current_words(self) -> str:
        """Today's type as staff read it, with its label: 「型2.8（条件未達: …）（…）」, or why it is undetermined."""
        return f"{self.current_text}（{self.current_label}）" if self.current_type else self.current_label

    def card_rows(self) -> list[tuple[str, str]]:
        after = f"型{self.after.type} {self.after.label}" if self.after else "未設定"
        high = sum(i.severity == "high" for i in self.issues)
        current = self.current_words()
        return [
            ("個人認証サービス数", str(self.counts.auth)),
            ("非パーソナル基盤数", str(self.counts.non_personal)),
            ("パーソナル基盤数", str(self.counts.personal)),
            ("現在の型", current),
            ("パターン", self.pattern_text()),
            ("目指す型", after),
            ("型2.4への道筋", " → ".join(s.text() for s in self.path_to_goal) or "—"),
            ("課題", f"{len(self.issues)} 件（重要度 高 {high} 件）"),
        ]

    def pattern_text(self) -> str:
        """The pattern as staff read it: 「パターンC（複数基盤の高度統合）」, or its label alone where it has no
        letter (基盤間連携, 該当なし)."""
        return pattern_text(self.pattern, self.pattern_label)

    def card_tables(self) -> list[tuple[str, pd.DataFrame]]:
        return [
            ("今の型の内訳", self.arrangements_frame()),
            ("課題リスト", self.issues_frame()),
            ("基本的な考え方", self.principles_frame()),
        ]

    def to_frame(self) -> pd.DataFrame:
        """One row per platform, codes as values (columns: :attr:`FRAME_COLUMNS`).

        >>> import workbench as wb
        >>> df = wb.classify(wb.load_sample("07")).to_frame()
        >>> df[["platform", "user_scope", "shared_type"]].iloc[0].tolist()
        ['pref-platform', 'prefectural', '2.8']
        """
        return frame(self.platform_codes, self.FRAME_COLUMNS)

    def to_staff_frame(self) -> pd.DataFrame:
        """One row per platform as staff read it: Japanese headers and labels (名称, 状態, 運営 …); the platform
        by its name only (the file's id stays in :meth:`to_frame` and in the JSON's ``platforms``)."""
        return pd.DataFrame(self.platforms).drop(columns=["id"], errors="ignore")

    def name(self, ident: str | None) -> str:
        """The name the file gives a platform or service id (the id itself when unknown; "—" for none): what
        staff read in the tables, where the JSON keeps the ids."""
        if not ident:
            return "—"
        return self._names.get(ident, ident)

    def issues_frame(self, platform: str | None = None) -> pd.DataFrame:
        """The 課題リスト, platforms and services by name; ``platform``: only the issues of that platform id."""
        recs = [
            {
                "重要度": reference.label("severity", i.severity),
                "コード": i.code,
                "基盤": self.name(i.platform),
                "サービス": self.name(i.service),
                "課題": i.message,
                "根拠": i.source,
            }
            for i in self.issues
            if platform is None or i.platform == platform
        ]
        return frame(recs, ["重要度", "コード", "基盤", "サービス", "課題", "根拠"])

    def principles_frame(self) -> pd.DataFrame:
        recs = [
            {
                "原則": p.label,
                "状態": "？" if p.unknown else "○" if p.ok else "×",
                "内容": p.detail,
                "根拠": p.source,
            }
            for p in self.principles
        ]
        return frame(recs, ["原則", "状態", "内容", "根拠"])

    def work_items_frame(self) -> pd.DataFrame:
        """The pattern's work items; 担当 by its label (「都道府県」, data/owner_roles.csv), never its code."""
        roles = reference.table("owner_roles.csv").set_index("code")["label_ja"]
        recs = [
            {
                "パターン": w.pattern,
                "検討事項": w.consideration_label,
                "取組事項": w.item,
                "担当": str(roles.get(w.owner, w.owner)),
            }
            for w in self.work_items
        ]
        return frame(recs, ["パターン", "検討事項", "取組事項", "担当"])

    def arrangements_frame(self) -> pd.DataFrame:
        """One row per shared arrangement and per platform run alone (the parts of ``current_type``)."""
        recs: list[dict[str, Any]] = [
            {
                "型": a.type_text(),
                "内容": a.label,
                "基盤": "・".join(self.name(p) for p in a.platforms),
                "利用団体": len(a.municipalities),
                "うち外部の団体": len(a.outside),
                "満たしていない条件": "；".join([*a.unmet, *(f"不明: {u}" for u in a.unknown)]) or "—",
            }
            for a in self.arrangements
        ]
        recs += [
            {
                "型": f"型{b.type}",
                "内容": b.label,
                "基盤": self.name(b.platform),
                "利用団体": 1 if b.municipality else 0,
                "うち外部の団体": 0,
                "満たしていない条件": "—",
            }
            for b in self.before
        ]
        return frame(recs, ["型", "内容", "基盤", "利用団体", "うち外部の団体", "満たしていない条件"])

    def model_dump(self, **kwargs):  # type: ignore[override]
        """The CONTRACT.md JSON (``after`` is {"type": …} plus details, or null)."""
        return super().model_dump(**kwargs)


# --- reference tables -----------------------------------------------------------------------------


@functools.cache
def _before_table() -> pd.DataFrame:
    return reference.table("types_before.csv")


@functools.cache
def _after_table() -> pd.DataFrame:
    return reference.table("types_after.csv")


@functools.cache
def _flow() -> dict:
    return reference.yaml_table("pattern_flow.yaml")


@functools.cache
def _rules() -> dict[str, dict[str, str]]:
    df = reference.table("issue_rules.csv")
    return {r["code"]: r for r in df.to_dict("records")}


def type_label(code: str) -> str:
    """The Japanese label of a 型 (1.1 … 2.8)."""
    return _type_labels().get(code, code)


def pattern_text(pattern: str, label: str | None = None) -> str:
    """A pattern as staff read it: 「パターンC（複数基盤の高度統合）」 for A–D; the label alone for the moves
    without a letter (基盤間連携) and for 該当なし — the codes ``link`` / ``none`` stay in the JSON."""
    label = label or str(_flow()["patterns"][pattern]["label_ja"])
    return f"パターン{pattern}（{label}）" if len(pattern) == 1 else label


@functools.cache
def _type_labels() -> dict[str, str]:
    """型 → Japanese label, built once from both type tables (the first table that lists a type wins)."""
    out: dict[str, str] = {}
    for df in (_before_table(), _after_table()):
        for t, label in zip(df["type"], df["label_ja"], strict=True):
            out.setdefault(str(t), str(label))
    return out


# --- facts about the platforms --------------------------------------------------------------------


def running(pref: Prefecture) -> list[Platform]:
    """Platforms in operation (our reading: 構築中・計画中 are not counted, see :data:`RUNNING_READING`)."""
    return [p for p in pref.platforms if p.status == "running"]


def typed(pref: Prefecture) -> list[Platform]:
    """Running platforms whose components are known; one with no components is incomplete input
    (COMPONENTS_MISSING) and is neither counted nor typed."""
    return [p for p in running(pref) if p.components]


def undetermined(pref: Prefecture) -> list[Platform]:
    """Running platforms with no components listed (the type cannot be determined)."""
    return [p for p in running(pref) if not p.components]


def count_platforms(pref: Prefecture) -> Counts:
    """Counts of running authentication services, non-personal and personal platforms, each separately."""
    ps = typed(pref)
    return Counts(
        auth=sum(p.has_auth for p in ps),
        non_personal=sum(p.has_non_personal for p in ps),
        personal=sum(p.has_personal for p in ps),
    )


def _is_data(p: Platform) -> bool:
    return p.has_non_personal or p.has_personal


def shared_reasons(pref: Prefecture, p: Platform) -> list[str]:
    """Why a platform is in shared use (共同利用), empty when it is not.

    * an operating body (or a joint public-private body) provides the platform: guide 2.7 外部組織型 — guide
      2.2 lists 江別市・更別村・前橋市・吉備中央町 as 共同利用「実施中」 with no partner in their prefecture, and
      guidebook 第3.0版 7.1 defines 型2.1 as 「運営組織が基盤を提供し、基礎自治体（C1）が…自分の自治体内向けに
      提供」;
    * the prefecture provides it to its municipalities: guide 2.7 直列型 (福島県・奈良県・熊本県: 実施中);
    * more than one municipality uses it (members of other prefectures included, guide 1.2 (3)).
    """
    out: list[str] = []
    if p.operated_by == "operating_body" or p.effective_platform_scheme in ("operator", "both"):
        out.append("運営組織が基盤を提供（外部組織型）")
    if p.operated_by == "prefecture":
        out.append("都道府県が基盤を提供（直列型）")
    users = pref.users_of(p)
    if len(users) > 1:
        outside = sum(pref.is_outside(c) for c in users)
        out.append(f"{len(users)}団体が利用" + (f"（うち外部の団体{outside}）" if outside else ""))
    return out


def is_shared(pref: Prefecture, p: Platform) -> bool:
    """In shared use: several municipalities, an operating body or the prefecture providing the platform."""
    return bool(shared_reasons(pref, p))


@dataclass(frozen=True)
class Providers:
    """Who provides the services on a platform, read the same way for 型1.2/1.3 and the 2.x question.

    ``kind`` is "municipalities" (自治体のみ) or "mixed" (官民混在). ``conflict``: the declared service scheme
    says public only but a private (non-contracted) service is listed. ``undecided``: the answer changes if
    the private services whose contract is unknown turn out to be contracted (guide 3.4)."""

    kind: str
    conflict: bool = False
    undecided: bool = False


def platform_providers(pref: Prefecture, p: Platform) -> Providers:
    """The service providers of a platform (guide 3.4 サービス提供スキーム; a private firm working under a
    municipal contract counts as the municipality: 「自治体から業務委託を請けた民間業者はこの対象ではない」).

    Mixed when the declared scheme is 民間のみ or 自治体と民間, or when a service on it is provided by a private
    firm that is not a contractor; a service whose contract is unknown counts as private."""
    services = pref.services_on(p.id)
    private = [s for s in services if s.public_provider is False]
    unknown = [s for s in services if s.public_provider is None]
    declared_mixed = p.service_scheme in ("both", "private")
    listed_mixed = bool(private or unknown)
    kind = "mixed" if declared_mixed or listed_mixed else "municipalities"
    conflict = (
        not declared_mixed and bool(private) and p.service_scheme in ("municipality", "operator", "none")
    )
    undecided = kind == "mixed" and not declared_mixed and not private and bool(unknown)
    return Providers(kind=kind, conflict=conflict, undecided=undecided)


def before_type(pref: Prefecture, p: Platform) -> str | None:
    """型1.2–1.5 of a platform one municipality runs for itself (data/types_before.csv, guidebook 第3.0版 7.1);
    None when the platform has neither a non-personal nor a personal part (an authentication service alone)."""
    np_ = "yes" if p.has_non_personal else "no"
    pe = "yes" if p.has_personal else "no"
    kind = platform_providers(pref, p).kind
    for row in _before_rows():
        if row["type"] == "1.1":
            continue
        if row["non_personal"] != np_ or row["personal"] != pe:
            continue
        if row["providers"] and row["providers"] != kind:
            continue
        return str(row["type"])
    return None


def after_type(source: str, user_scope: str, providers: str) -> str:
    """型2.1–2.8 from the three questions in their order (data/types_after.csv)."""
    hit = _after_index().get((source, user_scope, providers))
    if hit is None:
        raise IndexError(f"data/types_after.csv has no row for {(source, user_scope, providers)}")
    return hit


@functools.cache
def _after_index() -> dict[tuple[str, str, str], str]:
    """data/types_after.csv by its three answers, the first row of each (built once: the national batch asked
    for it hundreds of times)."""
    out: dict[tuple[str, str, str], str] = {}
    df = _after_table()
    for src, scope, prov, t in zip(df["source"], df["user_scope"], df["providers"], df["type"], strict=True):
        out.setdefault((src, scope, prov), str(t))
    return out


@functools.cache
def _before_rows() -> tuple[dict[str, Any], ...]:
    """data/types_before.csv as rows, read once (each row a new dict per caller is not needed: read only)."""
    return tuple(_before_table().to_dict("records"))


#: the 型2.x demand common to every row (guidebook 第3.0版 7.1 型2.1「運営組織が基盤を提供し」) …
DEMAND_OPERATING_BODY = "運営組織が基盤を提供・管理する（型2.xの共通条件）"
#: … which 並列型 does not have by design (guide 2.7「各基礎自治体がベンダと契約し、各基礎自治体が使用する（並列型）」)
DEMAND_PARALLEL = (
    "並列型: 各自治体がベンダと契約して基盤を使用する（運営組織が基盤を提供する形ではない: ガイド 2.7。"
    "ベンダ依存度が高く、自治体間の調整の取り決めが要る）"
)


def _after(code: str, organisation: str | None = None) -> AfterType:
    """The after-type of the target with its demands: the row's, the common one of 型2.x (an operating body
    provides and manages the platform) — not for 並列型, which has no operating body by design (guide 2.7) —
    and the alignment and data federation 2.6/2.8 need."""
    row = _after_table().set_index("type").loc[code]
    common = DEMAND_PARALLEL if organisation == "parallel" else DEMAND_OPERATING_BODY
    demands = [str(row["demands_ja"]), common]
    if row["alignment"] == "aligned":
        demands.append("基盤間の身元確認・当人認証レベルの整合（認証連携）")
    if row["data_federation"] == "yes":
        demands.append("基盤間のデータ連携（パーソナルは認証連携が前提）")
    return AfterType(
        type=code,
        label=str(row["label_ja"]),
        source=str(row["source_ref"]),
        user_scope=str(row["user_scope"]),
        providers=str(row["providers"]),
        alignment=str(row["alignment"]),
        alignment_ja=str(row["alignment_ja"]),
        data_federation=row["data_federation"] == "yes",
        goal=row["goal"] == "yes",
        demands=demands,
    )


# --- arrangements: today's shared use -------------------------------------------------------------


def _links(ps: list[Platform], key: str) -> dict[str, set[str]]:
    ids = {p.id for p in ps}
    adj: dict[str, set[str]] = {p.id: set() for p in ps}
    for p in ps:
        for q in getattr(p, key):
            if q in ids and q != p.id:
                adj[p.id].add(q)
                adj[q].add(p.id)
    return adj


def _connected(nodes: list[str], adj: dict[str, set[str]]) -> bool:
    if len(nodes) <= 1:
        return True
    want, seen, todo = set(nodes), {nodes[0]}, [nodes[0]]
    while todo:
        cur = todo.pop()
        for nxt in adj.get(cur, ()):
            if nxt in want and nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen == want


def _groups(pref: Prefecture) -> list[list[Platform]]:
    """Members of each arrangement: the connected parts of the federation graph (auth or data federation,
    either direction) among typed running platforms that contain at least one platform in shared use."""
    ps = typed(pref)
    adj = _links(ps, "auth_federation_with")
    for k, v in _links(ps, "data_federation_with").items():
        adj[k] |= v
    by_id = {p.id: p for p in ps}
    seen: set[str] = set()
    out: list[list[Platform]] = []
    for p in ps:
        if p.id in seen or not is_shared(pref, p):
            continue
        part, todo = [], deque([p.id])
        seen.add(p.id)
        while todo:
            cur = todo.popleft()
            part.append(cur)
            for nxt in sorted(adj[cur]):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        order = [q.id for q in ps]
        out.append([by_id[i] for i in sorted(part, key=order.index)])
    return out


def _levels(am: auth.AuthMatch) -> dict[str, auth.LevelPair]:
    return {m.platform: m.offered for m in am.platforms}


#: short names of the conditions of 型2.6/2.8 (guidebook 第3.0版 7.1 型2.x比較表 個人認証整合「整合あり」; 型2.8
#: 「認証連携とデータ連携を両立」), as 「型2.8（条件未達: …）」 shows them
COND_ALIGN = "個人認証レベルの整合"
COND_DATA = "基盤間のデータ連携"


@dataclass
class Conditions:
    """The conditions of 型2.6/2.8 for one arrangement: those that fail (short name, detail) and those that cannot
    be checked (short names, details)."""

    unmet: list[tuple[str, str]] = field(default_factory=list)
    unknown: list[tuple[str, str]] = field(default_factory=list)


def type_conditions(group: list[Platform], providers: str, am: auth.AuthMatch) -> Conditions:
    """The conditions of 型2.6/2.8 for a multi-platform arrangement serving the prefecture (guidebook 第3.0版 7.1
    型2.x比較表: 個人認証整合「整合あり」; 型2.8 「認証連携とデータ連携を両立」). Levels not given are unknown, not
    unmet (unknown is not "no")."""
    out = Conditions()
    with_auth = [p for p in group if p.has_auth]
    offers = _levels(am)
    if len(with_auth) > 1:
        adj = _links(group, "auth_federation_with")
        if not _connected([p.id for p in with_auth], adj):
            out.unmet.append(
                (
                    COND_ALIGN,
                    "個人認証サービスを持つ基盤（"
                    + "・".join(p.name for p in with_auth)
                    + "）が認証連携していない",
                )
            )
        unknown = [p for p in with_auth if offers.get(p.id, auth.LevelPair()) == auth.LevelPair()]
        if unknown:
            out.unknown.append(
                (COND_ALIGN, f"{'・'.join(p.name for p in unknown)}の身元確認・当人認証レベルが不明")
            )
        known = [p for p in with_auth if p not in unknown]
        if len({offers[p.id].text() for p in known}) > 1:
            out.unmet.append(
                (
                    COND_ALIGN,
                    "基盤間で身元確認・当人認証レベルが揃っていない（"
                    + "、".join(f"{p.name} {offers[p.id].words()}" for p in known)
                    + "）",
                )
            )
    if providers == "mixed":
        data = [p for p in group if _is_data(p)]
        if not _connected([p.id for p in data], _links(group, "data_federation_with")):
            out.unmet.append(
                (COND_DATA, "基盤間のデータ連携がない（" + "・".join(p.name for p in data) + "）")
            )
    return out


def arrangements(pref: Prefecture, am: auth.AuthMatch | None = None) -> list[Arrangement]:
    """Today's shared arrangements with their 型2.x, in the order of their first platform in the file.

    The type follows the three answers of the 判定フロー (guidebook 第3.0版 7.1): 単一/複数 counts the members with
    a data platform; 利用者の範囲 is 都道府県内 when any member serves the prefecture; 官民混在 when any member has
    private services (:func:`platform_providers`). A multi-platform arrangement serving the prefecture is 2.6/2.8
    by those answers; where their own conditions fail (:func:`type_conditions`) they are listed, and the type is shown
    as 「型2.8（条件未達: …）」 — never the 整合なし row (2.5/2.7), whose 「利用範囲は各自治体内にとどめる」 the facts
    deny."""
    am = am or auth.match_auth(pref)
    out: list[Arrangement] = []
    for group in _groups(pref):
        data = [p for p in group if _is_data(p)]
        if not data:
            continue  # a shared authentication service alone is no data platform (guide 3.5 Step1フロー)
        source = "single" if len(data) == 1 else "multiple"
        scope = "prefectural" if any(p.user_scope == "prefectural" for p in group) else "municipal"
        providers = (
            "mixed" if any(platform_providers(pref, p).kind == "mixed" for p in group) else "municipalities"
        )
        code = after_type(source, scope, providers)
        cond = (
            type_conditions(group, providers, am)
            if source == "multiple" and scope == "prefectural"
            else Conditions()
        )
        users = list(dict.fromkeys(c for p in group for c in pref.users_of(p)))
        orgs = [p.organisation for p in group if p.organisation]
        out.append(
            Arrangement(
                type=code,
                label=type_label(code),
                platforms=[p.id for p in group],
                data_platforms=[p.id for p in data],
                source=source,
                user_scope=scope,
                providers=providers,
                organisation=orgs[0] if orgs else None,
                why_shared={
                    p.id: "、".join(shared_reasons(pref, p)) or "共同利用の基盤と連携" for p in group
                },
                municipalities=users,
                outside=[c for c in users if pref.is_outside(c)],
                conditions_met=False if cond.unmet else None if cond.unknown else True,
                unmet_conditions=list(dict.fromkeys(k for k, _ in cond.unmet)),
                unmet=[d for _, d in cond.unmet],
                unknown=list(dict.fromkeys(k for k, _ in cond.unknown)),
            )
        )
    return out


def _before(pref: Prefecture, members: set[str]) -> list[BeforeType]:
    out = []
    for p in typed(pref):
        if p.id in members:
            continue
        t = before_type(pref, p)
        if t:
            users = pref.users_of(p)
            out.append(
                BeforeType(
                    platform=p.id, municipality=users[0] if users else None, type=t, label=type_label(t)
                )
            )
    return out


def _arrangement_clause(pref: Prefecture, a: Arrangement) -> str:
    names = "・".join(pref.platform(i).name for i in a.platforms)
    who = "、".join(dict.fromkeys(a.why_shared[i] for i in a.platforms if a.why_shared[i]))
    s = (
        f"{names}を共同利用し（{who}）、{reference.label('source', a.source)}の基盤"
        f"（{len(a.data_platforms)}件）・利用者は{reference.label('user_scope', a.user_scope)}・"
        f"提供者は{reference.label('providers', a.providers)}の型{a.type}"
    )
    if a.unmet_conditions:  # the details are in the 課題リスト (TYPE_CONDITION_UNMET) and the breakdown table
        s += f"（条件未達: {'・'.join(a.unmet_conditions)}）"
    elif a.unknown:
        s += f"（条件未確認: {'・'.join(a.unknown)}。レベルが不明）"
    return s


def undetermined_reasons(pref: Prefecture) -> list[str]:
    """Why today's type cannot be determined (CONTRACT.md ``undetermined``): each running platform whose
    components are not given, in a sentence naming it and what is missing."""
    return [
        f"{p.name}は運用中ですが、構成（個人認証サービス・非パーソナル・パーソナルのどれを持つか）が未記入です"
        for p in undetermined(pref)
    ]


def current_state(
    pref: Prefecture, am: auth.AuthMatch | None = None
) -> tuple[str | None, str, list[BeforeType], list[Arrangement]]:
    """Today's type (CONTRACT.md ``current_type``) with a plain Japanese sentence, the before-types and the
    arrangements: the shared types first, then the 1.x of each platform run alone, joined by "+". None when a
    running platform's components are not given (the type cannot be determined; the sentence says what is
    missing and what is known)."""
    arr = arrangements(pref, am)
    members = {i for a in arr for i in a.platforms}
    before = _before(pref, members)
    missing = undetermined(pref)
    parts = [_arrangement_clause(pref, a) for a in arr]
    parts += [f"{pref.platform(b.platform).name}は一つの自治体による単独運営の型{b.type}" for b in before]
    if missing:
        known = f"（分かっている部分: {'、'.join(parts)}）" if parts else ""
        names = "・".join(p.name for p in missing)
        why = (
            f"運用中の{names}の構成（個人認証サービス・非パーソナル・パーソナルのどれを持つか）が未記入のため、"
            f"今の型を判定できません{known}。構成を記入してください"
        )
        return None, why, before, arr
    if not arr and not before:
        if typed(pref):
            return "1.1", "データを扱う基盤が運用されていません（個人認証サービスのみ）", before, arr
        return "1.1", "運用中の基盤がありません", before, arr
    code = "+".join([*(a.type for a in arr), *(b.type for b in before)])
    return code, "、".join(parts) + "です。", before, arr


def current_text(code: str | None, arr: list[Arrangement]) -> str:
    """Today's type as staff read it: each part 「型2.8（条件未達: …）」 where its conditions fail, joined by 「＋」;
    「未確定」 when it cannot be determined."""
    if code is None:
        return "未確定"
    parts = code.split("+")
    texts = [a.type_text() for a in arr] + [f"型{t}" for t in parts[len(arr) :]]
    return "＋".join(texts)


# --- pattern flow ---------------------------------------------------------------------------------


def moving_platforms(pref: Prefecture, arr: list[Arrangement] | None = None) -> list[Platform]:
    """The running data platforms a pattern would move into shared use (guidebook 第3.0版 8.2: 「共同利用前の現状
    （型1.x）から、目指すべき共同利用後の姿（型2.x）へ」): those run alone (型1.x), and running platforms whose
    components are not given (a platform runs, its type is unknown). Platforms already in shared use are the
    running hub such a platform may join (パターンD), not platforms that must move."""
    arr = arrangements(pref) if arr is None else arr
    members = {i for a in arr for i in a.platforms}
    alone = [p for p in typed(pref) if _is_data(p) and p.id not in members]
    return alone + [p for p in undetermined(pref) if not is_shared(pref, p)]


def _hubs(pref: Prefecture, arr: list[Arrangement]) -> list[Platform]:
    """Running platforms in shared use (型2.x) with a data part, and shared running platforms whose components
    are not given: the hubs a platform run alone may join."""
    members = [i for a in arr for i in a.data_platforms]
    members += [p.id for p in undetermined(pref) if is_shared(pref, p)]
    return [pref.platform(i) for i in dict.fromkeys(members)]


def _bucket(pref: Prefecture, arr: list[Arrangement]) -> tuple[str, int, str]:
    """The first answer of the flow: "0" | "1" | "many" platforms to move, or "all_shared" when platforms run and
    all are in shared use; with the count and the reason in words."""
    moving = moving_platforms(pref, arr)
    hubs = _hubs(pref, arr)
    n = len(moving)
    unknown = sum(not p.components for p in moving)
    why = f"共同利用前（型1.x）の運用中のデータ連携基盤 {n} 件" + (
        f"（うち構成が未記入 {unknown} 件）" if unknown else ""
    )
    if hubs:
        why += f"、共同利用中の基盤 {len(hubs)} 件（{'・'.join(p.name for p in hubs)}）"
    if n == 0 and hubs:
        return "all_shared", n, why
    return ("0" if n == 0 else "1" if n == 1 else "many"), n, why


def _answers(
    pref: Prefecture, target_source: str, target_scope: str, approach: str | None, arr: list[Arrangement]
) -> dict:
    bucket, _, why = _bucket(pref, arr)

    def expand_join() -> tuple[str, str]:
        if approach in ("expand", "join"):
            return approach, "目標の進め方で指定"
        hub = pref.target.hub if pref.target else None
        if hub:
            p = pref.platform(hub)
            if p.operator_municipality is None:
                return "join", f"合流先 {p.name} は都道府県・運営組織等の基盤"
            return "expand", f"拡張元 {p.name} は自治体の基盤"
        hubs = _hubs(pref, arr)
        if hubs:
            return "join", (
                f"合流先 {'・'.join(p.name for p in hubs)} は運用中の共同利用の基盤（8.2 パターンD「都道府県が用意した、"
                "あるいは広域で運営されている…ハブへと合流」）"
            )
        return "expand", "既存基盤を広げる（既定）"

    def integrate_link() -> tuple[str, str]:
        if approach in ("integrate", "link"):
            return approach, "目標の進め方で指定"
        if target_source == "single":
            return "integrate", "目標が単一基盤"
        if target_scope == "prefectural":
            return "integrate", "目標が都道府県内の複数基盤（2.6/2.8: 認証レベルの整合が前提）"
        return "link", "目標が自治体内の複数基盤"

    return {
        "running_platforms": (bucket, why),
        "target_widens": (
            "yes" if target_scope == "prefectural" else "no",
            f"目標の利用者範囲: {reference.label('user_scope', target_scope)}",
        ),
        "approach_expand_join": expand_join(),
        "approach_integrate_link": integrate_link(),
    }


def walk_pattern_flow(
    pref: Prefecture, arr: list[Arrangement] | None = None
) -> tuple[str, list[FlowStep], bool]:
    """The pattern (A, B, C, D, link, none) by walking data/pattern_flow.yaml; returns the steps taken and
    whether the target was assumed (no ``target:`` in the file → the guide's goal 型2.4).

    The first question counts the platforms still to move (型1.x, :func:`moving_platforms`); where every running
    platform is already in shared use no pattern applies (``none``: patterns are moves from 1.x to 2.x, 8.2).
    A target ``approach`` is the user's choice and is respected: the pattern is the approach's (``approaches``
    in the flow data) even where the walk would answer differently; :func:`approach_conflicts` says where the
    facts contradict it."""
    flow = _flow()
    t = pref.target
    assumed = t is None
    src, scope = (t.source, t.user_scope) if t else ("single", "prefectural")
    approach = t.approach if t else None
    answers = _answers(pref, src, scope, approach, arrangements(pref) if arr is None else arr)
    steps: list[FlowStep] = []
    node_id = flow["start"]
    for _ in range(len(flow["nodes"]) + 1):
        node = flow["nodes"][node_id]
        if "pattern" in node:
            walked = str(node["pattern"])
            allowed = [str(x) for x in flow["approaches"].get(approach) or []] if approach else []
            if allowed and walked not in allowed:
                steps.append(
                    FlowStep(
                        node="approach",
                        question="目標で選んだ進め方",
                        answer=approach or "",
                        why=f"{reference.label('approach', approach)}を選択（流れに沿うと{pattern_text(walked)}）",
                    )
                )
                return allowed[0], steps, assumed
            return walked, steps, assumed
        answer, why = answers[node["answer_from"]]
        steps.append(FlowStep(node=node_id, question=node["question_ja"], answer=answer, why=why))
        node_id = node["branches"][answer]
    raise RuntimeError("pattern flow does not terminate")  # pragma: no cover


_BUCKET_JA = {"0": "ない", "1": "1つだけある", "many": "複数ある", "all_shared": "すべて共同利用中の"}


def approach_conflicts(pref: Prefecture, pattern: str, arr: list[Arrangement] | None = None) -> list[str]:
    """Where the facts contradict the pattern the user chose, quoting the sentence of guidebook 第3.0版 8.2 型の
    選定指針 in full (基盤が【ない】 → A、【1つだけある】 → B・D、【複数乱立している】 → C; the figure for 基盤間連携).
    Platforms already in shared use are not counted: they are the hub a platform joins, and where every
    platform is shared no pattern (a move from 1.x to 2.x) applies."""
    t = pref.target
    if t is None or not t.approach:
        return []
    info = _flow()["patterns"][pattern]
    arr = arrangements(pref) if arr is None else arr
    bucket, n, _ = _bucket(pref, arr)
    label = reference.label("approach", t.approach)
    quote = info.get("guideline_ja") or info.get("figure_ja") or ""
    out = []
    if bucket == "all_shared":
        cur = "+".join(a.type for a in arr)
        out.append(
            f"{label}は共同利用前（型1.x）の基盤を共同利用（型2.x）へ移す進め方です（8.2「共同利用前の現状（型1.x）から、"
            f"目指すべき共同利用後の姿（型2.x）へ」）が、運用中の基盤はすべて共同利用しています（型{cur}）"
        )
    elif bucket not in info["running"]:
        where = "か".join(_BUCKET_JA[b] for b in info["running"])
        out.append(
            f"{label}は共同利用前の基盤が{where}場合の進め方です（8.2「{quote}」）が、共同利用前の運用中の基盤は今 {n} 件です"
        )
    if pattern in ("B", "D") and t.user_scope != "prefectural":
        out.append(
            f"{label}は利用者を都道府県内に広げる進め方です（8.2「{quote}」）が、目標の利用者範囲は基礎自治体内です"
        )
    return out


# --- path to 2.4 ----------------------------------------------------------------------------------


@functools.cache
def _edges() -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for r in reference.table("type_paths.csv").to_dict("records"):
        out.setdefault(str(r["from"]), []).append((str(r["to"]), str(r["note_ja"])))
    return out


def shortest_path(start: str, goal: str = GOAL_TYPE) -> list[PathStep]:
    """Shortest path between 2.x types over data/type_paths.csv (breadth first)."""
    if start == goal:
        return [PathStep(type=goal, note="目指す姿")]
    prev: dict[str, tuple[str, str]] = {}
    q = deque([start])
    while q:
        cur = q.popleft()
        for nxt, note in _edges().get(cur, []):
            if nxt not in prev and nxt != start:
                prev[nxt] = (cur, note)
                q.append(nxt)
    if goal not in prev:
        return []
    steps = [PathStep(type=goal, note=prev[goal][1])]
    cur = prev[goal][0]
    while cur != start:
        steps.append(PathStep(type=cur, note=prev[cur][1]))
        cur = prev[cur][0]
    steps.append(PathStep(type=start, note="現在"))
    return list(reversed(steps))


def path_to_goal(
    current: str | None,
    pattern: str,
    after: str | None,
    arrangement: Arrangement | None = None,
    alone: list[BeforeType] | None = None,
    names: dict[str, str] | None = None,
) -> list[PathStep]:
    """From today's type to 型2.4 (none when today's type is undetermined).

    Today 1.x: through the pattern's destination. Today 2.x: from the first arrangement's type along the
    transitions of 7.2; where it fails the conditions of 2.6/2.8 the first step says so and what must be resolved
    (「型2.8（条件未達）」); platforms run alone beside it are named (by name) on the first step."""
    if current is None:
        return []
    pinfo = _flow()["patterns"][pattern]
    shared = current.split("+")[0]
    if shared.startswith("2."):
        head_note = "現在"
        unmet: list[str] = []
        if arrangement is not None and arrangement.unmet:
            unmet = list(arrangement.unmet_conditions)
            head_note += f"（条件未達。まず解消: {'；'.join(arrangement.unmet)}）"
        if alone:
            head_note += "（ほかに単独運営の基盤: " + "、".join(
                f"{(names or {}).get(b.platform, b.platform)} 型{b.type}" for b in alone
            )
            head_note += " — 共同利用の基盤への合流か基盤間連携を検討）"
        via = after if after and after != shared else None
        if via and shortest_path(shared, via) and shortest_path(via):
            steps = shortest_path(shared, via)[:-1] + shortest_path(via)
        else:
            steps = shortest_path(shared)
        if steps:
            steps[0] = PathStep(type=steps[0].type, note=head_note, unmet=unmet)
        return steps
    first = after if after in pinfo["after"] else pinfo["after"][0]
    rest = shortest_path(first)
    head = PathStep(type=current, note="現在")
    hop = PathStep(type=first, note=f"パターン{pattern}（{pinfo['label_ja']}）")
    return [head, hop, *rest[1:]] if rest else [head, hop]


# --- principles and issues ------------------------------------------------------------------------


def principles(pref: Prefecture) -> list[Principle]:
    """The guide's basic ideas (1.1) and the three parts of openness (1.2 (1)) checked against the running
    platforms. A platform with no field is left out of P1/P2 and makes them 不明 (FIELD_UNKNOWN)."""
    ps = typed(pref)
    data_ps = [p for p in ps if _is_data(p)]
    by_field: dict[str, list[str]] = {}
    for p in data_ps:  # names: the lists below are only shown to staff, in the details
        if p.field:
            by_field.setdefault(p.field, []).append(p.name)
    no_field = [p.name for p in data_ps if not p.field]
    dup = {f: ids for f, ids in by_field.items() if f != "cross" and len(ids) > 1}
    cross = by_field.get("cross", [])
    no_module = [p.name for p in data_ps if not p.modules]
    shared_auth = any(p.has_auth and (is_shared(pref, p) or p.user_scope == "prefectural") for p in ps)
    api = [p.name for p in data_ps if p.api_published is not True]
    models_missing = [p.name for p in data_ps if not p.data_models]
    service_missing = [
        s.name
        for s in pref.services
        if s.platform in {p.id for p in data_ps}
        and (s.personal_data or s.uses_data_from)
        and not s.data_model
    ]
    written = [(p.name, m) for p in data_ps for m in p.data_models] + [
        (s.name, s.data_model)
        for s in pref.services
        if s.platform in {p.id for p in data_ps} and s.data_model
    ]
    kinds = {(who, m): model_kind(m) for who, m in written}
    own = [f"{who}「{m}」" for (who, m), k in kinds.items() if k == "own"]
    unverified = [f"{who}「{m}」" for (who, m), k in kinds.items() if k == "unknown"]
    unknown_note = f"（分野が未記入: {', '.join(no_field)}）" if no_field else ""
    model_parts = [
        f"独自形式（標準データモデル非準拠）: {', '.join(own)}" if own else "",
        f"標準・推奨のデータモデルか確認できない: {', '.join(unverified)}" if unverified else "",
        f"基盤のデータモデル未記入: {', '.join(models_missing)}" if models_missing else "",
        f"サービスのデータモデル未記入: {', '.join(service_missing)}" if service_missing else "",
    ]
    models_ok = not (own or unverified or models_missing or service_missing)
    model_detail = (
        "すべて標準データモデル・推奨データセット" if models_ok else "；".join(x for x in model_parts if x)
    )
    checks: dict[str, tuple[bool, bool, str]] = {
        "P1": (
            not dup,
            bool(no_field) and not dup,
            (
                "重複なし"
                if not dup
                else "; ".join(f"{reference.label('field', f)}: {', '.join(i)}" for f, i in dup.items())
            )
            + unknown_note,
        ),
        "P2": (
            len(cross) <= 1,
            bool(no_field) and len(cross) <= 1,
            f"分野横断の基盤 {len(cross)} 件" + (f"（{', '.join(cross)}）" if cross else "") + unknown_note,
        ),
        "P3": (not no_module, False, "すべて採用" if not no_module else f"未採用: {', '.join(no_module)}"),
        "OPEN_AUTH": (shared_auth, False, "あり" if shared_auth else "なし"),
        "OPEN_DATA_MODEL": (models_ok, not models_ok and not own, model_detail),
        "OPEN_API": (not api, False, "すべて公開" if not api else f"未公開・不明: {', '.join(api)}"),
    }
    missing = undetermined(pref)
    if missing:  # a running platform of unknown make-up: what holds for the others is not known for all
        note = (
            f"（構成が未記入の運用中の基盤 {'・'.join(p.name for p in missing)} を含めては確かめられません）"
        )
        checks = {k: (False, True, d + note) if ok else (ok, u, d) for k, (ok, u, d) in checks.items()}
        if not checks["OPEN_AUTH"][0]:  # an absence the input does not state: the platform may have one
            checks["OPEN_AUTH"] = (False, True, "不明" + note)
    return [
        Principle(
            code=r["code"],
            label=str(r["label_ja"]),
            ok=checks[r["code"]][0],
            unknown=checks[r["code"]][1],
            detail=checks[r["code"]][2],
            source=str(r["source"]),
        )
        for r in reference.table("principles.csv").to_dict("records")
    ]


#: words that mark a data model written as proprietary (「ベンダ独自形式（標準データモデル非準拠）」)
OWN_MODEL_WORDS = ("独自", "非準拠", "オリジナル", "proprietary", "カスタム")


@functools.cache
def _model_sets() -> tuple[tuple[str, ...], ...]:
    df = reference.table("standard_model_sets.csv")
    return tuple(
        tuple(reference.fold(x) for x in [str(r["name"]), *str(r["aliases"]).split("|")] if x and x != "nan")
        for r in df.to_dict("records")
    )


def model_kind(name: str) -> str:
    """What a data model written in the file is (guide 1.2 (1)「分野ごとに整理・標準化されたデータモデル」; 4.2):
    ``standard`` — a standard model of guidebook 第3.0版 10.3 / the data-model guideline (data/standard_models.csv,
    names and aliases) or a recommended set (data/standard_model_sets.csv: 自治体標準オープンデータセット, GIF …);
    ``own`` — written as proprietary (独自形式・標準データモデル非準拠); ``unknown`` — any other name (whether it
    is standard cannot be told from the name)."""
    from .datamap import standard_model

    folded = reference.fold(name)
    if any(reference.fold(w) in folded for w in OWN_MODEL_WORDS):
        return "own"
    if standard_model(name) is not None:
        return "standard"
    if any(any(a and a in folded for a in names) for names in _model_sets()):
        return "standard"
    return "unknown"


@dataclass
class Context:
    """What the checks read: the file, the authentication match and today's state."""

    pref: Prefecture
    am: auth.AuthMatch
    arrangements: list[Arrangement]
    pattern: str
    principles: list[Principle] = field(default_factory=list)

    @functools.cached_property
    def members(self) -> set[str]:
        return {i for a in self.arrangements for i in a.platforms}


Finding = tuple[str, str | None, str | None, str]  # code, platform, service, detail
_CHECKS: list[Callable[[Context], Iterator[Finding]]] = []


def _check(fn: Callable[[Context], Iterator[Finding]]) -> Callable[[Context], Iterator[Finding]]:
    _CHECKS.append(fn)
    return fn


@_check
def _components(ctx: Context) -> Iterator[Finding]:
    for p in undetermined(ctx.pref):
        yield "COMPONENTS_MISSING", p.id, None, ""


@_check
def _fields(ctx: Context) -> Iterator[Finding]:
    for p in typed(ctx.pref):
        if _is_data(p) and not p.field:
            yield "FIELD_UNKNOWN", p.id, None, ""


@_check
def _providers(ctx: Context) -> Iterator[Finding]:
    for p in typed(ctx.pref):
        pv = platform_providers(ctx.pref, p)
        if pv.conflict:
            names = "、".join(s.name for s in ctx.pref.services_on(p.id) if s.public_provider is False)
            yield (
                "SCHEME_CONFLICT",
                p.id,
                None,
                f"スキーム「{reference.label('service_scheme', p.service_scheme)}」、民間: {names}",
            )
        if pv.undecided:
            names = "、".join(s.name for s in ctx.pref.services_on(p.id) if s.public_provider is None)
            yield "CONTRACT_UNKNOWN", p.id, None, names


@_check
def _terms(ctx: Context) -> Iterator[Finding]:
    for p in typed(ctx.pref):
        if not (p.has_personal or p.has_auth or p.service_scheme != "none"):
            continue
        if not p.terms.exists:
            yield "TERMS_MISSING", p.id, None, ""
            continue
        if not p.terms.platform_service_split:
            yield "TERMS_NO_SPLIT", p.id, None, ""
        if not p.terms.component_responsibility:
            yield "TERMS_NO_COMPONENT", p.id, None, ""
        if not p.terms.certification_audit and p.service_scheme in ("private", "both", "operator"):
            yield "NO_CERT_AUDIT", p.id, None, "民間等の事業者が接続しています"
        elif not p.terms.certification_audit:
            yield "NO_CERT_AUDIT", p.id, None, ""


@_check
def _brokers(ctx: Context) -> Iterator[Finding]:
    """Separation of the data layers (guidebook 第3.0版 8.2): the personal layer per provider organisation
    for patterns A・B・D (and C, whose governance includes A–C's); the non-personal layer only in pattern C.
    An unshared platform is not yet a problem beyond the pattern's work item (medium); a shared one is (high)."""
    sharing_patterns = ("A", "B", "C", "D")
    for p in typed(ctx.pref):
        shared = p.id in ctx.members
        if p.has_personal and p.personal_broker == "internal_shared":
            if shared:
                yield "BROKER_SHARED_DB", p.id, None, "パーソナルブローカー"
            elif ctx.pattern in sharing_patterns:
                yield "BROKER_SHARED_DB_PLANNED", p.id, None, f"パターン{ctx.pattern}"
        if p.has_non_personal and p.non_personal_broker == "internal_shared" and ctx.pattern == "C":
            yield "NP_BROKER_SHARED_DB", p.id, None, "非パーソナルブローカー"


@_check
def _api_modules(ctx: Context) -> Iterator[Finding]:
    for p in typed(ctx.pref):
        if not _is_data(p):
            continue
        if p.api_published is False:
            yield "NO_API", p.id, None, ""
        elif p.api_published is None:
            yield "API_UNKNOWN", p.id, None, ""
        if not p.modules:
            yield "NO_MODULE", p.id, None, ""
        if not p.data_models:
            yield "DATA_MODEL_UNKNOWN", p.id, None, ""
        own = [m for m in p.data_models if model_kind(m) == "own"]
        if own:
            yield "DATA_MODEL_NOT_STANDARD", p.id, None, "、".join(own)


@_check
def _federation(ctx: Context) -> Iterator[Finding]:
    ids = {p.id: p for p in ctx.pref.platforms}
    seen: set[frozenset[str]] = set()
    for p in running(ctx.pref):
        for other in p.data_federation_with:
            q = ids.get(other)
            pair = frozenset((p.id, other))
            if q is None or pair in seen:
                continue
            seen.add(pair)
            federated = other in p.auth_federation_with or p.id in q.auth_federation_with
            if p.has_personal and q.has_personal and not federated:
                yield "DATA_FED_WITHOUT_AUTH_FED", p.id, None, f"{p.id} ⇔ {other}"


@_check
def _shared_operator(ctx: Context) -> Iterator[Finding]:
    """Several municipalities share a platform one municipality runs, with no organisation recorded. Under
    並列型 (guide 2.7: 「各基礎自治体がベンダと契約し、各基礎自治体が使用する」; 三重県の5町) that is the
    organisation itself, so it does not fire."""
    for p in typed(ctx.pref):
        if len(ctx.pref.users_of(p)) > 1 and p.operator_municipality and p.organisation != "parallel":
            yield "SHARED_NO_OPERATING_BODY", p.id, None, f"運営: {p.operator_label}"


@_check
def _auth_presence(ctx: Context) -> Iterator[Finding]:
    ps = typed(ctx.pref)
    for p in ps:
        if p.has_personal and not p.has_auth and not p.auth_federation_with:
            yield "PERSONAL_WITHOUT_AUTH", p.id, None, ""
        if p.has_auth and p.levels is None and not p.means:
            yield "AUTH_LEVELS_UNKNOWN", p.id, None, ""
    if (
        ps
        and not undetermined(ctx.pref)  # a platform of unknown make-up may be the shared one: not "no"
        and not any(p.has_auth and (is_shared(ctx.pref, p) or p.user_scope == "prefectural") for p in ps)
    ):
        yield "NO_SHARED_AUTH", None, None, ""


@_check
def _principles(ctx: Context) -> Iterator[Finding]:
    for pr in ctx.principles:
        if pr.code == "P1" and not pr.ok:
            yield "P1_MULTIPLE_PER_FIELD", None, None, pr.detail
        if pr.code == "P2" and not pr.ok:
            yield "P2_MULTIPLE_CROSS", None, None, pr.detail


def is_health_service(s: Service) -> bool:
    """Whether a service's name or data model says it is one of the guide's 公的な個人認証が必要なサービス
    (健康保険・ヘルスケア・電子申請など, guide 4.1 2/2). The need itself is decided in :mod:`workbench.auth`:
    an explicit category wins over the name; only a service without one is inferred from it (finding
    HEALTH_AUTH_BELOW_PUBLIC, reached through :func:`_auth_findings`)."""
    return auth.suggests_public_auth(s)


@_check
def _conditions(ctx: Context) -> Iterator[Finding]:
    for a in ctx.arrangements:
        if a.unmet:
            yield "TYPE_CONDITION_UNMET", None, None, f"{a.type_text()}: {'；'.join(a.unmet)}"


@_check
def _approach(ctx: Context) -> Iterator[Finding]:
    for c in approach_conflicts(ctx.pref, ctx.pattern, ctx.arrangements):
        yield "APPROACH_CONFLICT", None, None, c


@_check
def _auth_findings(ctx: Context) -> Iterator[Finding]:
    """Level findings from the auth-matching module (SERVICE_LEVEL_GAP, FED_LEVEL_MISMATCH,
    MULTI_PREF_UNALIGNED …), so the 課題リスト and the auth view agree."""
    rules = _rules()
    for f in ctx.am.findings:
        if f.code in rules:
            yield f.code, f.platform, f.service, f.detail


@_check
def _datamap_findings(ctx: Context) -> Iterator[Finding]:
    """Findings of the データマップ (DM_* rules of data/issue_rules.csv, workbench.datamap)."""
    if ctx.pref.data_map is None:
        return
    for f in datamap_findings(ctx.pref):
        yield f["code"], f.get("platform"), f.get("service"), f.get("detail", "")


def _issue(code: str, platform: str | None, service: str | None, detail: str) -> Issue:
    r = _rules()[code]
    return Issue(
        code=code,
        platform=platform,
        service=service,
        severity=r["severity"],  # type: ignore[arg-type]
        title=str(r["title_ja"]),
        message=str(r["message_ja"]) + (f"（{detail}）" if detail else ""),
        source=str(r["source"]),
    )


def issue_list(
    pref: Prefecture, extra: list[Finding] | None = None, ctx: Context | None = None
) -> list[Issue]:
    """The 課題リスト: every rule of data/issue_rules.csv that fires, most severe first."""
    if ctx is None:
        am = auth.match_auth(pref)
        arr = arrangements(pref, am)
        pattern, _, _ = walk_pattern_flow(pref, arr)
        ctx = Context(pref, am, arr, pattern, principles(pref))
    out = [_issue(*f) for fn in _CHECKS for f in fn(ctx)]
    out += [_issue(*f) for f in extra or []]
    order = {"high": 0, "medium": 1, "low": 2}
    out.sort(key=lambda i: (order[i.severity], i.platform or "", i.code))
    return out


def _target_mismatch(target: str | None, pattern: str, current: str | None, shared: str | None) -> str:
    """TARGET_PATTERN_MISMATCH's detail, or "" when the target is where the pattern leads (guidebook 第3.0版
    8.2 移行パターンと到達型の対応) — or, with no pattern (every platform shared), on the way from today's 2.x to
    型2.4 along the transitions of 7.2."""
    if target is None or current is None:
        return ""
    if pattern == "none":
        start = shared or current.split("+")[0]
        if target == start or shortest_path(start, target):
            return ""
        return f"型{target} は今の型{start}から型2.4への経路（7.2）にありません"
    pinfo = _flow()["patterns"][pattern]
    reach = pinfo["after"] + pinfo["later"]
    if target in reach or target == current.split("+")[0]:
        return ""
    return f"型{target} は{pattern_text(pattern)}の行き先（{'/'.join(reach)}）に含まれません"


def _work_items(pattern: str) -> list[WorkItem]:
    return [WorkItem(pattern=pattern, **row) for row in _work_item_rows(pattern)]


@functools.cache
def _work_item_rows(pattern: str) -> tuple[dict[str, Any], ...]:
    """The work items of a pattern (data/pattern_work_items.csv with the considerations' labels), read once per
    pattern; the caller builds its own :class:`WorkItem` of each."""
    cons = reference.table("considerations.csv").drop_duplicates("number").set_index("number")["label_ja"]
    df = reference.table("pattern_work_items.csv")
    return tuple(
        {
            "consideration": int(r["consideration"]),
            "consideration_label": str(cons.loc[int(r["consideration"])]),
            "item": str(r["item_ja"]),
            "owner": str(r["owner"]),
        }
        for r in df[df["pattern"] == pattern].to_dict("records")
    )


def _platform_rows(
    pref: Prefecture, before: list[BeforeType], arr: list[Arrangement], issues: list[Issue]
) -> list[dict[str, object]]:
    bt = {b.platform: b.type for b in before}
    at = {i: a.type for a in arr for i in a.platforms}
    rows = []
    for p in pref.platforms:
        users = pref.users_of(p)
        outside = [c for c in users if pref.is_outside(c)]
        rows.append(
            {
                "id": p.id,
                "名称": p.name,
                "状態": reference.label("status", p.status),
                "運営": p.operator_label,
                "運営組織体制": reference.label("organisation", p.organisation) if p.organisation else None,
                "構成": "・".join(reference.label("component", c) for c in p.components) or "（未記入）",
                "分野": reference.label("field", p.field) if p.field else "（未記入）",
                "サービス提供スキーム": reference.label("service_scheme", p.service_scheme),
                "基盤提供スキーム": reference.label("platform_scheme", p.effective_platform_scheme),
                "利用者の範囲": reference.label("user_scope", p.user_scope),
                "身元確認レベル": p.identity_proofing,
                "当人認証レベル": p.authenticator,
                "非パーソナルブローカー": reference.label("broker", p.non_personal_broker),
                "パーソナルブローカー": reference.label("broker", p.personal_broker),
                "利用団体数": len(users),
                "うち外部の団体": "、".join(pref.municipality_label(c) for c in outside) or None,
                "共同利用": p.id in at,
                "共同利用の型": at.get(p.id),
                "共同利用前の型": bt.get(p.id),
                "課題数": sum(i.platform == p.id for i in issues),
            }
        )
    return rows


def _platform_codes(
    pref: Prefecture, before: list[BeforeType], arr: list[Arrangement], issues: list[Issue]
) -> list[dict[str, object]]:
    """The rows of :meth:`Classification.to_frame`: the same facts as :func:`_platform_rows`, as codes."""
    bt = {b.platform: b.type for b in before}
    at = {i: a.type for a in arr for i in a.platforms}
    rows: list[dict[str, object]] = []
    for p in pref.platforms:
        users = pref.users_of(p)
        rows.append(
            {
                "platform": p.id,
                "name": p.name,
                "status": p.status,
                "operated_by": p.operated_by,
                "organisation": p.organisation,
                "components": "|".join(p.components),
                "field": p.field,
                "service_scheme": p.service_scheme,
                "platform_scheme": p.effective_platform_scheme,
                "user_scope": p.user_scope,
                "identity_proofing": p.identity_proofing,
                "authenticator": p.authenticator,
                "non_personal_broker": p.non_personal_broker,
                "personal_broker": p.personal_broker,
                "municipalities": len(users),
                "outside_municipalities": sum(pref.is_outside(c) for c in users),
                "shared": p.id in at,
                "shared_type": at.get(p.id),
                "before_type": bt.get(p.id),
                "issues": sum(i.platform == p.id for i in issues),
            }
        )
    return rows


@checked
def classify(pref: Prefecture) -> Classification:
    """Classify a prefecture (guide 3.1 Step 1; guidebook 第3.0版 7.1 型1.x/2.x and 8.2 the pattern flow).

    Returns counts, before-types, ``current_type`` (each shared arrangement's 2.x, then each platform run
    alone with its 1.x), the pattern with the steps of the flow taken, the after-type of the file's
    ``target`` with its demands, the pattern's work items, the path to 型2.4, the principles and the 課題リスト.

    Parameters
    ----------
    pref : Prefecture
        A prefecture from :func:`workbench.load`, :func:`workbench.load_sample` or built in code; one changed in
        code is checked first (:func:`workbench.validate`).

    Returns
    -------
    Classification
        ``print()`` gives the Japanese card; ``to_frame()`` one row per platform (codes), ``to_staff_frame()``
        the staff's table; ``issues_frame()``, ``principles_frame()``, ``arrangements_frame()`` the staff's
        tables of the card; ``model_dump()`` the CONTRACT.md classify JSON.

    Raises
    ------
    InputError
        When the prefecture is inconsistent (the message of :func:`workbench.validate`).

    Examples
    --------
    >>> import workbench as wb
    >>> result = wb.classify(wb.load_sample("07"))
    >>> print(result)
    福島県（07）Step 1 現状把握
      個人認証サービス数: ...
    >>> result.model_dump()["prefecture"]
    {'code': '07', 'name': '福島県'}
    """
    am = auth.match_auth(pref)
    counts = count_platforms(pref)
    current, reason, before, arr = current_state(pref, am)
    pattern, steps, assumed = walk_pattern_flow(pref, arr)
    flow = _flow()
    pinfo = flow["patterns"][pattern]
    t = pref.target
    organisation = (pref.vision.organisation if pref.vision else None) or (t.organisation if t else None)
    after = _after(after_type(t.source, t.user_scope, t.providers), organisation) if t else None
    shared = arr[0].type if arr else None
    extra: list[Finding] = []
    mismatch = _target_mismatch(after.type if after else None, pattern, current, shared)
    if mismatch:
        extra.append(("TARGET_PATTERN_MISMATCH", None, None, mismatch))
    prs = principles(pref)
    ctx = Context(pref, am, arr, pattern, prs)
    issues = issue_list(pref, extra, ctx)
    other = flow["text_other"] if pinfo.get("other_text") else ""
    reading = " ".join(
        x for x in (pinfo.get("reading_ja"), f"従う本文: {flow['text_followed']}。", other) if x
    )
    names = pref.names()
    if current is None:
        label = "未確定（構成が未記入の運用中の基盤があり、型を判定できません）"
    else:
        label = type_label(current.split("+")[0]) + ("ほか" if "+" in current else "")
    path = path_to_goal(
        current, pattern, after.type if after else None, arr[0] if arr else None, before, names
    )
    met = [a.conditions_met for a in arr]
    if pattern == "none" and len(path) > 1:  # which move remains (7.2), since no 8.2 pattern applies
        reading = f"残る移行は 7.2 の経路: {' → '.join(s.text() for s in path)}。" + reading
    res = Classification(
        prefecture=PrefectureRef(code=pref.code, name=pref.name),
        counts=counts,
        before=before,
        current_type=current,
        current_label=label,
        current_reason=reason,
        current_text=current_text(current, arr),
        conditions_met=False if False in met else None if None in met else True,
        shared_type=shared,
        arrangements=arr,
        undetermined=undetermined_reasons(pref),
        undetermined_platforms=[p.id for p in undetermined(pref)],
        pattern=pattern,  # type: ignore[arg-type]
        pattern_label=str(pinfo["label_ja"]),
        pattern_reading=reading,
        pattern_target_assumed=assumed,
        pattern_from_approach=any(s.node == "approach" for s in steps),
        guidebook_text=str(flow["text_followed"]),
        flow=steps,
        after=after,
        path_to_goal=path,
        work_items=_work_items(pattern),
        principles=prs,
        issues=issues,
        platforms=_platform_rows(pref, before, arr, issues),
        platform_codes=_platform_codes(pref, before, arr, issues),
        sources={
            "counts": "guide 3.5 Step1フロー（非パーソナルとパーソナルは別々に集計）; " + RUNNING_READING,
            "before": f"{GUIDEBOOK} 7.1 型1.x（data/types_before.csv）",
            "after": f"{GUIDEBOOK} 7.1 判定フロー・型2.x比較表（data/types_after.csv）",
            "shared": "guide 2.2（共同利用 実施中）・2.7（運営組織体制）; "
            f"{GUIDEBOOK} 7.1（型2.1「運営組織が基盤を提供し」）",
            "pattern": str(pinfo["source"]),
            "guidebook_text": str(flow["text_followed"]) + (f"（{other}）" if other else ""),
            "issues": "data/issue_rules.csv（各ルールの根拠は source 列）",
            "rules": "docs/classification_rules.md（ルールと根拠の一覧）",
            "input": "your input（都道府県ファイル）",
        },
    )
    res._names = pref.names()
    return res
