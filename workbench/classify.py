"""Step 1 of the guide (都道府県下の状況把握) and the 型: counts, before-types, today's type, principles,
the 課題リスト, and — from the file's target — the after-type, the pattern, its work items and the path to
型2.4.

The type tables, the pattern flow and the issue rules are data (data/types_*.csv, data/pattern_flow.yaml,
data/issue_rules.csv); this module reads them and answers their questions from the prefecture file.

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

from __future__ import annotations

import functools
import sys
import types
from collections import deque
from collections.abc import Callable, Iterator
from typing import Literal

import pandas as pd
from pydantic import BaseModel, Field

from . import reference
from .inventory import Platform, Prefecture
from .results import Result, frame

Severity = Literal["high", "medium", "low"]
SEVERITY_JA = {"high": "高", "medium": "中", "low": "低"}
GOAL_TYPE = "2.4"


class PrefectureRef(BaseModel):
    code: str
    name: str


class Counts(BaseModel):
    """Running platforms by component; non-personal and personal counted separately (guide 3.5 Step1フロー)."""

    auth: int
    non_personal: int
    personal: int

    def bucket(self, n: int) -> str:
        """The guidebook's per-prefecture classes 0 / 1 / 2以上."""
        return "0" if n == 0 else "1" if n == 1 else "2以上"


class BeforeType(BaseModel):
    platform: str
    municipality: str | None
    type: str
    label: str
    source: str = "guidebook 型1.x"


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
    current_type: str
    current_label: str
    current_reason: str
    pattern: Literal["A", "B", "C", "D", "link", "none"]
    pattern_label: str
    pattern_reading: str | None = None
    pattern_target_assumed: bool = False
    flow: list[FlowStep]
    after: AfterType | None
    path_to_goal: list[PathStep]
    work_items: list[WorkItem]
    principles: list[Principle]
    issues: list[Issue]
    platforms: list[dict[str, object]] = Field(default_factory=list)
    sources: dict[str, str] = Field(default_factory=dict)

    # --- presentation -----------------------------------------------------------------------------
    def card_title(self) -> str:
        return f"{self.prefecture.name}（{self.prefecture.code}）Step 1 現状把握"

    def card_rows(self) -> list[tuple[str, str]]:
        after = f"型{self.after.type} {self.after.label}" if self.after else "未設定"
        high = sum(i.severity == "high" for i in self.issues)
        return [
            ("個人認証サービス数", str(self.counts.auth)),
            ("非パーソナル基盤数", str(self.counts.non_personal)),
            ("パーソナル基盤数", str(self.counts.personal)),
            ("現在の型", f"型{self.current_type}（{self.current_label}）"),
            ("パターン", f"{self.pattern}（{self.pattern_label}）"),
            ("目指す型", after),
            ("型2.4への道筋", " → ".join(s.type for s in self.path_to_goal) or "—"),
            ("課題", f"{len(self.issues)} 件（重要度 高 {high} 件）"),
        ]

    def card_tables(self) -> list[tuple[str, pd.DataFrame]]:
        return [("課題リスト", self.issues_frame()), ("基本的な考え方", self.principles_frame())]

    def to_frame(self) -> pd.DataFrame:
        """One row per platform: its attributes, before-type and issue count."""
        return pd.DataFrame(self.platforms)

    def issues_frame(self) -> pd.DataFrame:
        recs = [
            {
                "重要度": SEVERITY_JA[i.severity],
                "コード": i.code,
                "基盤": i.platform or "—",
                "サービス": i.service or "—",
                "課題": i.message,
                "根拠": i.source,
            }
            for i in self.issues
        ]
        return frame(recs, ["重要度", "コード", "基盤", "サービス", "課題", "根拠"])

    def principles_frame(self) -> pd.DataFrame:
        recs = [
            {"原則": p.label, "状態": "○" if p.ok else "×", "内容": p.detail, "根拠": p.source}
            for p in self.principles
        ]
        return frame(recs, ["原則", "状態", "内容", "根拠"])

    def work_items_frame(self) -> pd.DataFrame:
        recs = [
            {"パターン": w.pattern, "検討事項": w.consideration_label, "取組事項": w.item, "担当": w.owner}
            for w in self.work_items
        ]
        return frame(recs, ["パターン", "検討事項", "取組事項", "担当"])

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
    for df in (_before_table(), _after_table()):
        hit = df[df["type"] == code]
        if len(hit):
            return str(hit["label_ja"].iloc[0])
    return code


# --- counting and types ---------------------------------------------------------------------------


def running(pref: Prefecture) -> list[Platform]:
    """Platforms in operation (構築中・計画中 are not counted; guide 3.5 Step1フロー)."""
    return [p for p in pref.platforms if p.status == "running"]


def count_platforms(pref: Prefecture) -> Counts:
    """Counts of running authentication services, non-personal and personal platforms, each separately."""
    ps = running(pref)
    return Counts(
        auth=sum(p.has_auth for p in ps),
        non_personal=sum(p.has_non_personal for p in ps),
        personal=sum(p.has_personal for p in ps),
    )


def is_shared(pref: Prefecture, p: Platform) -> bool:
    """Shared across municipalities: more than one municipality uses it."""
    return len(pref.users_of(p)) > 1


def before_type(p: Platform) -> str | None:
    """型1.2–1.5 of a platform one municipality runs for itself (data/types_before.csv); None when the
    platform has neither a non-personal nor a personal part (an authentication service alone)."""
    np_ = "yes" if p.has_non_personal else "no"
    pe = "yes" if p.has_personal else "no"
    for row in _before_table().to_dict("records"):
        if row["type"] == "1.1":
            continue
        if row["non_personal"] != np_ or row["personal"] != pe:
            continue
        schemes = [s for s in str(row["service_schemes"]).split("|") if s]
        if schemes and p.service_scheme not in schemes:
            continue
        return str(row["type"])
    return None


def after_type(source: str, user_scope: str, providers: str) -> str:
    """型2.1–2.8 from the three questions in their order (data/types_after.csv)."""
    df = _after_table()
    hit = df[(df["source"] == source) & (df["user_scope"] == user_scope) & (df["providers"] == providers)]
    return str(hit["type"].iloc[0])


def _after(code: str) -> AfterType:
    row = _after_table().set_index("type").loc[code]
    demands = [str(row["demands_ja"]), "運営組織が基盤を提供・管理する（型2.xの共通条件）"]
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


def _mixed(pref: Prefecture, ps: list[Platform]) -> bool:
    return any(p.service_scheme in ("both", "private") for p in ps) or any(
        s.provider == "private" for s in pref.services if s.platform in {p.id for p in ps}
    )


def current_state(pref: Prefecture) -> tuple[str, str, list[BeforeType]]:
    """Today's type (CONTRACT.md ``current_type``) with the reason, and the before-types."""
    ps = running(pref)
    before: list[BeforeType] = []
    for p in ps:
        users = pref.users_of(p)
        if len(users) <= 1:
            t = before_type(p)
            if t:
                before.append(
                    BeforeType(
                        platform=p.id, municipality=users[0] if users else None, type=t, label=type_label(t)
                    )
                )
    if not ps:
        return "1.1", "運用中の基盤がありません", before
    shared = [p for p in ps if is_shared(pref, p)]
    if not shared:
        if not before:
            return "1.1", "データを扱う基盤が運用されていません（認証のみ）", before
        return "+".join(b.type for b in before), "各基盤を一つの自治体が単独で運営しています", before
    data_ps = [p for p in ps if p.has_non_personal or p.has_personal] or ps
    source = "single" if len(data_ps) == 1 else "multiple"
    scope = "prefectural" if any(p.user_scope == "prefectural" for p in shared) else "municipal"
    providers = "mixed" if _mixed(pref, ps) else "municipalities"
    t = after_type(source, scope, providers)
    names = "・".join(p.name for p in shared)
    reason = (
        f"{names} を複数の自治体が共同利用（基盤 {len(data_ps)} 件 → {reference.label('source', source)}、"
        f"利用者 {reference.label('user_scope', scope)}、提供者 {reference.label('providers', providers)}）"
    )
    return t, reason, before


# --- pattern flow ---------------------------------------------------------------------------------


def _answers(pref: Prefecture, target_source: str, target_scope: str, approach: str | None) -> dict:
    n = len(running(pref))

    def expand_join() -> tuple[str, str]:
        if approach in ("expand", "join"):
            return approach, "目標のapproachで指定"
        hub = pref.target.hub if pref.target else None
        if hub:
            p = pref.platform(hub)
            if p.operator_municipality is None:
                return "join", f"合流先 {p.name} は都道府県・運営組織等の基盤"
            return "expand", f"拡張元 {p.name} は自治体の基盤"
        return "expand", "既存基盤を広げる（既定）"

    def integrate_link() -> tuple[str, str]:
        if approach in ("integrate", "link"):
            return approach, "目標のapproachで指定"
        if target_source == "single":
            return "integrate", "目標が単一基盤"
        if target_scope == "prefectural":
            return "integrate", "目標が都道府県内の複数基盤（2.6/2.8: 認証レベルの整合が前提）"
        return "link", "目標が自治体内の複数基盤"

    return {
        "running_platforms": (
            "0" if n == 0 else "1" if n == 1 else "many",
            f"運用中の基盤 {n} 件",
        ),
        "target_widens": (
            "yes" if target_scope == "prefectural" else "no",
            f"目標の利用者範囲: {reference.label('user_scope', target_scope)}",
        ),
        "approach_expand_join": expand_join(),
        "approach_integrate_link": integrate_link(),
    }


def walk_pattern_flow(pref: Prefecture) -> tuple[str, list[FlowStep], bool]:
    """The pattern (A, B, C, D, link, none) by walking data/pattern_flow.yaml; returns the steps taken and
    whether the target was assumed (no ``target:`` in the file → the guide's goal 型2.4)."""
    flow = _flow()
    t = pref.target
    assumed = t is None
    src, scope = (t.source, t.user_scope) if t else ("single", "prefectural")
    answers = _answers(pref, src, scope, t.approach if t else None)
    steps: list[FlowStep] = []
    node_id = flow["start"]
    for _ in range(len(flow["nodes"]) + 1):
        node = flow["nodes"][node_id]
        if "pattern" in node:
            return str(node["pattern"]), steps, assumed
        answer, why = answers[node["answer_from"]]
        steps.append(FlowStep(node=node_id, question=node["question_ja"], answer=answer, why=why))
        node_id = node["branches"][answer]
    raise RuntimeError("pattern flow does not terminate")  # pragma: no cover


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


def path_to_goal(current: str, pattern: str, after: str | None) -> list[PathStep]:
    """From today's type to 型2.4: through the pattern's destination when today is 1.x (or 2.x shared)."""
    pinfo = _flow()["patterns"][pattern]
    if current.startswith("2."):
        via = after if after and after != current else None
        if via and shortest_path(current, via) and shortest_path(via):
            return shortest_path(current, via)[:-1] + shortest_path(via)
        return shortest_path(current)
    first = after if after in pinfo["after"] else pinfo["after"][0]
    rest = shortest_path(first)
    head = PathStep(type=current, note="現在")
    hop = PathStep(type=first, note=f"パターン{pattern}（{pinfo['label_ja']}）")
    return [head, hop, *rest[1:]] if rest else [head, hop]


# --- principles and issues ------------------------------------------------------------------------


def principles(pref: Prefecture) -> list[Principle]:
    """The guide's basic ideas (1.1) and openness (1.2) checked against the running platforms."""
    ps = running(pref)
    by_field: dict[str, list[str]] = {}
    for p in ps:
        by_field.setdefault(p.field, []).append(p.id)
    dup = {f: ids for f, ids in by_field.items() if f != "cross" and len(ids) > 1}
    cross = by_field.get("cross", [])
    no_module = [p.id for p in ps if not p.modules]
    shared_auth = any(p.has_auth and (is_shared(pref, p) or p.user_scope == "prefectural") for p in ps)
    api = [p.id for p in ps if p.api_published is not True]
    checks = {
        "P1": (
            not dup,
            "重複なし"
            if not dup
            else "; ".join(f"{reference.label('field', f)}: {', '.join(i)}" for f, i in dup.items()),
        ),
        "P2": (
            len(cross) <= 1,
            f"分野横断の基盤 {len(cross)} 件" + (f"（{', '.join(cross)}）" if cross else ""),
        ),
        "P3": (not no_module, "すべて採用" if not no_module else f"未採用: {', '.join(no_module)}"),
        "OPEN_AUTH": (shared_auth, "あり" if shared_auth else "なし"),
        "OPEN_API": (not api, "すべて公開" if not api else f"未公開・不明: {', '.join(api)}"),
    }
    return [
        Principle(
            code=r["code"],
            label=str(r["label_ja"]),
            ok=checks[r["code"]][0],
            detail=checks[r["code"]][1],
            source=str(r["source"]),
        )
        for r in reference.table("principles.csv").to_dict("records")
    ]


Finding = tuple[str, str | None, str | None, str]  # code, platform, service, detail
_CHECKS: list[Callable[[Prefecture], Iterator[Finding]]] = []


def _check(fn: Callable[[Prefecture], Iterator[Finding]]) -> Callable[[Prefecture], Iterator[Finding]]:
    _CHECKS.append(fn)
    return fn


@_check
def _terms(pref: Prefecture) -> Iterator[Finding]:
    for p in running(pref):
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
def _brokers(pref: Prefecture) -> Iterator[Finding]:
    for p in running(pref):
        kinds = [
            k
            for k, v in (("パーソナル", p.personal_broker), ("非パーソナル", p.non_personal_broker))
            if v == "internal_shared"
        ]
        if kinds:
            yield "BROKER_SHARED_DB", p.id, None, f"{'・'.join(kinds)}ブローカー"


@_check
def _api_modules(pref: Prefecture) -> Iterator[Finding]:
    for p in running(pref):
        if not (p.has_non_personal or p.has_personal):
            continue
        if p.api_published is False:
            yield "NO_API", p.id, None, ""
        elif p.api_published is None:
            yield "API_UNKNOWN", p.id, None, ""
        if not p.modules:
            yield "NO_MODULE", p.id, None, ""


@_check
def _federation(pref: Prefecture) -> Iterator[Finding]:
    ids = {p.id: p for p in pref.platforms}
    seen: set[frozenset[str]] = set()
    for p in running(pref):
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
def _shared_operator(pref: Prefecture) -> Iterator[Finding]:
    for p in running(pref):
        if is_shared(pref, p) and p.operator_municipality:
            name = reference.municipality_name(p.operator_municipality)
            yield "SHARED_NO_OPERATING_BODY", p.id, None, f"運営: {name}"


@_check
def _auth_presence(pref: Prefecture) -> Iterator[Finding]:
    ps = running(pref)
    for p in ps:
        if p.has_personal and not p.has_auth and not p.auth_federation_with:
            yield "PERSONAL_WITHOUT_AUTH", p.id, None, ""
        if p.has_auth and p.levels is None and not p.means:
            yield "AUTH_LEVELS_UNKNOWN", p.id, None, ""
    if ps and not any(p.has_auth and (is_shared(pref, p) or p.user_scope == "prefectural") for p in ps):
        yield "NO_SHARED_AUTH", None, None, ""


@_check
def _principles(pref: Prefecture) -> Iterator[Finding]:
    for pr in principles(pref):
        if pr.code == "P1" and not pr.ok:
            yield "P1_MULTIPLE_PER_FIELD", None, None, pr.detail
        if pr.code == "P2" and not pr.ok:
            yield "P2_MULTIPLE_CROSS", None, None, pr.detail


@_check
def _auth_findings(pref: Prefecture) -> Iterator[Finding]:
    """Level findings from the auth-matching module (SERVICE_LEVEL_GAP, FED_LEVEL_MISMATCH,
    MULTI_PREF_UNALIGNED), so the 課題リスト and the auth view agree."""
    try:
        from . import auth
    except ImportError:  # pragma: no cover - during development only
        return
    finder = getattr(auth, "issue_findings", None)
    if finder is None:  # pragma: no cover
        return
    for f in finder(pref):
        yield f["code"], f.get("platform"), f.get("service"), f.get("detail", "")


@_check
def _datamap_findings(pref: Prefecture) -> Iterator[Finding]:
    """Findings of the データマップ (DM_* rules of data/issue_rules.csv, workbench.datamap)."""
    if pref.data_map is None:
        return
    from .datamap import issue_findings

    for f in issue_findings(pref):
        yield f["code"], f.get("platform"), f.get("service"), f.get("detail", "")


def issue_list(pref: Prefecture, extra: list[Finding] | None = None) -> list[Issue]:
    """The 課題リスト: every rule of data/issue_rules.csv that fires, most severe first."""
    rules = _rules()
    out: list[Issue] = []
    for fn in _CHECKS:
        for code, platform, service, detail in fn(pref):
            r = rules[code]
            msg = str(r["message_ja"]) + (f"（{detail}）" if detail else "")
            out.append(
                Issue(
                    code=code,
                    platform=platform,
                    service=service,
                    severity=r["severity"],
                    title=str(r["title_ja"]),
                    message=msg,
                    source=str(r["source"]),
                )
            )
    for code, platform, service, detail in extra or []:
        r = rules[code]
        out.append(
            Issue(
                code=code,
                platform=platform,
                service=service,
                severity=r["severity"],
                title=str(r["title_ja"]),
                message=str(r["message_ja"]) + (f"（{detail}）" if detail else ""),
                source=str(r["source"]),
            )
        )
    order = {"high": 0, "medium": 1, "low": 2}
    out.sort(key=lambda i: (order[i.severity], i.platform or "", i.code))
    return out


def _work_items(pattern: str) -> list[WorkItem]:
    cons = reference.table("considerations.csv").drop_duplicates("number").set_index("number")["label_ja"]
    df = reference.table("pattern_work_items.csv")
    return [
        WorkItem(
            pattern=pattern,
            consideration=int(r["consideration"]),
            consideration_label=str(cons.loc[int(r["consideration"])]),
            item=str(r["item_ja"]),
            owner=str(r["owner"]),
        )
        for r in df[df["pattern"] == pattern].to_dict("records")
    ]


def _platform_rows(
    pref: Prefecture, before: list[BeforeType], issues: list[Issue]
) -> list[dict[str, object]]:
    bt = {b.platform: b.type for b in before}
    rows = []
    for p in pref.platforms:
        users = pref.users_of(p)
        rows.append(
            {
                "id": p.id,
                "名称": p.name,
                "状態": reference.label("status", p.status),
                "運営": p.operator_label,
                "構成": "・".join(reference.label("component", c) for c in p.components),
                "サービス提供スキーム": reference.label("service_scheme", p.service_scheme),
                "基盤提供スキーム": reference.label("platform_scheme", p.effective_platform_scheme),
                "利用者の範囲": reference.label("user_scope", p.user_scope),
                "身元確認レベル": p.identity_proofing,
                "当人認証レベル": p.authenticator,
                "非パーソナルブローカー": reference.label("broker", p.non_personal_broker),
                "パーソナルブローカー": reference.label("broker", p.personal_broker),
                "利用団体数": len(users),
                "共同利用": len(users) > 1,
                "共同利用前の型": bt.get(p.id),
                "課題数": sum(i.platform == p.id for i in issues),
            }
        )
    return rows


def classify(pref: Prefecture) -> Classification:
    """Classify a prefecture (guide 3.1 Step 1; guidebook 型1.x/2.x and the pattern flow).

    Returns counts, before-types, ``current_type``, the pattern with the steps of the flow taken, the
    after-type of the file's ``target`` with its demands, the pattern's work items, the path to 型2.4,
    the principles and the 課題リスト.
    """
    counts = count_platforms(pref)
    current, reason, before = current_state(pref)
    pattern, steps, assumed = walk_pattern_flow(pref)
    pinfo = _flow()["patterns"][pattern]
    after = (
        _after(after_type(pref.target.source, pref.target.user_scope, pref.target.providers))
        if pref.target
        else None
    )
    extra: list[Finding] = []
    if after and after.type not in (pinfo["after"] + pinfo["later"]) and after.type != current:
        extra.append(
            (
                "TARGET_PATTERN_MISMATCH",
                None,
                None,
                f"型{after.type} はパターン{pattern}の行き先（{'/'.join(pinfo['after'] + pinfo['later'])}）に含まれません",
            )
        )
    issues = issue_list(pref, extra)
    return Classification(
        prefecture=PrefectureRef(code=pref.code, name=pref.name),
        counts=counts,
        before=before,
        current_type=current,
        current_label=type_label(current.split("+")[0]) + ("ほか" if "+" in current else ""),
        current_reason=reason,
        pattern=pattern,
        pattern_label=str(pinfo["label_ja"]),
        pattern_reading=pinfo.get("reading_ja"),
        pattern_target_assumed=assumed,
        flow=steps,
        after=after,
        path_to_goal=path_to_goal(current, pattern, after.type if after else None),
        work_items=_work_items(pattern),
        principles=principles(pref),
        issues=issues,
        platforms=_platform_rows(pref, before, issues),
        sources={
            "counts": "guide 3.5 Step1フロー（非パーソナルとパーソナルは別々に集計）",
            "before": "guidebook 型1.x（data/types_before.csv）",
            "after": "guidebook 型2.x（data/types_after.csv）",
            "pattern": str(pinfo["source"]),
            "issues": "data/issue_rules.csv（各ルールの根拠は source 列）",
            "input": "your input（都道府県ファイル）",
        },
    )


class _CallableModule(types.ModuleType):
    """``wb.classify(pref)`` is the CONTRACT's call, and ``workbench.classify`` is also this module: the
    import system sets the package attribute to the module whenever the module is imported, so the module
    itself is made callable and both spellings keep working."""

    def __call__(self, pref: Prefecture) -> Classification:
        return classify(pref)


sys.modules[__name__].__class__ = _CallableModule
