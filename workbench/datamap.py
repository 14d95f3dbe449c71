"""The データマップ analysed: what data flows where, across which fields, in which form (guide 4, 4.2, 4.3;
guidebook 10–12 and 15; the Digital Agency's データマップ作成フォーマット v1.3).

``datamap(pref)`` reads the prefecture file's ``data_map:`` section (both sides of the template, plus the
published APIs) with the platforms and services of the file, and returns a :class:`DataMapResult`:

* **flows** — every (data → service) link, resolved from both sides: an asset reaches a service *through its
  platform* when the asset side names the service as 提供先サービス (the template README: 「基盤を返して〔介して〕
  データ提供を行っている先」); a service that lists a platform-connected asset as 取込データ while the asset's
  提供先サービス, filled in, does not name it takes the asset *directly* (README サービス側2: 「直接または基盤経由で
  取り込んでいる」) — the 非効率な個別での連携開発 guidebook 11.1 (意義3) warns of; when the asset's 提供先サービス is blank
  the route is unknown (the workbook is silent). A service's 外部提供可能データ flows back through its platform to
  its 提供先 (guidebook 11.2, 図24 「データ利活用・還流」); a 提供先 that is no service is an external system.
* **checks of the template's filling rules** (warnings) and **findings** for the 課題リスト (codes ``DM_*`` in
  data/issue_rules.csv).
* **cross-field links** — realised (the data's field differs from the service's) and candidates from the
  guidebook's matrix of 自治体標準オープンデータ per service field (guidebook 11.3), with the datasets missing in the
  prefecture (guidebook 11.1 意義4).
* per platform: **standard-model coverage** (guidebook 10.3; データモデル実践ガイドライン), the three
  **interoperability layers** with their evidence (guidebook 10.1 図22), the **utilisation stages** reached
  (guidebook 11.3, 12.1–12.3), a suggested **migration phase** (guidebook 10.4 ③, 図23), and the **published
  APIs** (guide 4.3).
* the **output KPIs** of guidebook 8.3 without double counting, and a **cross-check** with ``uses_data_from`` so
  the authentication-level checks see every flow (:func:`derived_sources`).

Readings the sources leave open are listed in :data:`READINGS` and shown with every result. Pure functions,
no I/O.

``wb.datamap(pref)`` is :func:`datamap` (the package exports the function).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd
from pydantic import BaseModel, Field, PrivateAttr

from . import reference
from .inventory import Platform, Prefecture, checked
from .inventory.datamap import TEMPLATE_VERSION, ServiceNames, field_label
from .results import Result, frame
from .staff import source_ja
from .text import fold as _fold_uncached

fold = functools.lru_cache(maxsize=1 << 17)(_fold_uncached)

SEMANTIC_THRESHOLD = 0.8  # the project's default share for the semantic layer (no source gives a number)
REALTIME = {"realtime", "hourly"}
ROUTE_JA = {"platform": "基盤経由", "direct": "個別の取込", "unknown": "不明（提供先の記載なし）"}
LEGACY = {"ngsi_v2", "rest_api", "webhook", "stream", "file", "manual"}
PERSONAL_CLASSES = {"personal", "related"}
OWN = {fold(x) for x in ("独自", "独自形式", "own", "なし", "none")}
UNKNOWN = {fold(x) for x in ("不明", "unknown", "未確認")}

DECLARED = {"declared", "structural", "valid"}

#: where the sources leave a choice, and the reading the workbench takes (shown with every result)
READINGS = [
    "提供先サービスは「基盤を介してデータを提供している先」（データマップ作成フォーマットの記載要領 データセット側5）と読み、"
    "データアセットの提供先サービスが記載されていて、取込データに挙げたサービスがそこにないときは基盤を経由しない個別の取込とします。"
    "ガイドブック 11.2 は提供先サービスを「実際に活用・連携されている全てのサービスやシステムの一覧」と書いており、"
    "その読み方では同じ行は提供先サービスの記載漏れです。提供先サービスが空欄のときは、どちらの読み方でも経路は不明とします。",
    "提供先にサービスの台帳にない名前が書かれているときは、外部のシステム（ガイドブック 11.2「サービスやシステム」）とします。",
    "取込データとデータアセットは、IDまたは名前（表記ゆれを吸収）で対応づけます。対応しない取込データは「未登録の取込データ」として示し、課題にはしません。",
    "分野をまたぐ流れは、データの分野（データアセットの分野、なければ標準データモデルの分野）とサービスの分野が異なる流れです。"
    "分野が分からない流れがあるときは、分野をまたぐ流れが「ない」とは言いません（データマップ作成フォーマットに分野の列はありません）。",
    "標準データモデルの記載がないデータアセットは準拠の状態を「不明」とし、準拠率に数えません。独自形式と記載されたものだけを移行候補とします。",
    "標準データモデルがあるかどうかは、申告されたモデル名、なければデータアセット名とモデルの別名の一致から推定します。",
    f"意味論的相互運用性は、標準データモデルのあるデータアセットのうち準拠と申告した割合が {SEMANTIC_THRESHOLD:.0%} 以上で「あり」とします（ガイドブックに数値の基準はありません）。",
    "相互運用性の3つの層は、図22の矢印に沿って下から順に積み上がるものと読み、続けて満たした層までを段階とします。",
    "活用の段階（ガイドブック 11.3・12章）は到達したものをすべて示します。ガイドブックは順番を固定していません（12章: ID連携から始める道筋もある）。",
    "規格移行のフェーズは、図23の4段階にデータマップの提供方法をあてはめた目安です。",
]
#: what no reachable source says (outputs must say so)
GAPS = [
    "データマップ作成フォーマット（Excel）のシート名・見出しのセル位置・記入例の位置は確認できていません。取り込みは見出しの文言で列を探します。",
    "防災分野の標準データモデル（避難所ほか9件）はガイドブック 10.3 に一覧があるだけで、データモデル実践ガイドライン（初版）に項目の表がありません。",
    "ガイドブックが参照する Appendix（「分野横断サービスの実現」ほか）は参照できていません。",
    "基盤としての標準データモデル準拠の検査方法・基準は、どの資料にもありません。",
]

SOURCES = {
    "flows": "データマップ作成フォーマット（記載要領 サービス側1–6・データセット側1–5）; guidebook 11.2（図24）",
    "findings": "data/issue_rules.csv（DM_* の各ルールの根拠）",
    "cross_field": "guide 4; guidebook 10.1; 11.3（自治体標準オープンデータの組合せマトリクス）; 12.4",
    "coverage": "guidebook 10.3; データモデル実践ガイドライン（初版）; data/standard_models.csv",
    "interop": "guidebook 10.1（図22 相互運用性の段階と分野横断サービス）; 10.4 ②",
    "stages": "guidebook 11.3; 12.1–12.3（data/utilisation_steps.csv）",
    "migration": "guidebook 10.4 ③（図23 規格移行ロードマップ）; data/migration_phases.csv",
    "kpis": "guidebook 8.3（接続サービス数・連携データアセット数: 実利用・重複なしで数える）",
    "apis": "guide 4.3（必要なAPIセットの関係者への公開）; guidebook 3.2",
    "input": "your input（都道府県ファイルのデータマップ）",
}


# --- reference tables ---------------------------------------------------------------------------------------


@functools.cache
def _vocab(kind: str) -> list[tuple[str, list[str], bool]]:
    df = reference.table("datamap_vocab.csv")
    rows = []
    for code, patterns, api in df[df["kind"] == kind][["code", "patterns", "api_capable"]].itertuples(
        index=False
    ):
        pats = sorted({fold(p) for p in str(patterns).split("|") if p}, key=len, reverse=True)
        rows.append((str(code), pats, str(api) == "yes"))
    return rows


@functools.cache
def _api_capable() -> frozenset[str]:
    return frozenset(c for c, _, api in _vocab("method") if api)


@functools.cache
def _vocab_label(kind: str, code: str) -> str:
    df = reference.table("datamap_vocab.csv")
    hit = df[(df["kind"] == kind) & (df["code"] == code)]
    return str(hit["label_ja"].iloc[0]) if len(hit) else code


@functools.cache
def _normalise(kind: str, text: str) -> tuple[str, ...]:
    """Codes found in a free-text value, rows in file order, longest patterns first within a row; a matched
    part is removed so 「随時更新」 is not also read as 「随時」."""
    rest = fold(text)
    found: list[str] = []
    for code, pats, _ in _vocab(kind):
        for p in pats:
            if p and p in rest:
                rest = rest.replace(p, " ")
                if code not in found:
                    found.append(code)
    return tuple(found)


def frequency_codes(text: str | None) -> tuple[str, ...]:
    """提供頻度 normalised (data/datamap_vocab.csv kind=frequency); () when blank or not understood."""
    return _normalise("frequency", text) if text else ()


def method_codes(methods: Iterable[str]) -> tuple[str, ...]:
    """提供方法 normalised (kind=method); unknown wordings are left out (the raw text is kept beside)."""
    out: list[str] = []
    for m in methods:
        for c in _normalise("method", m):
            if c not in out:
                out.append(c)
    return tuple(out)


@functools.cache
def _models() -> tuple[dict[str, dict[str, str]], list[tuple[str, str]]]:
    """Standard models by folded name, and (folded alias, model) pairs longest first."""
    df = reference.table("standard_models.csv")
    by_name: dict[str, dict[str, str]] = {}
    aliases: list[tuple[str, str]] = []
    for r in df.to_dict("records"):
        row = {k: str(v) for k, v in r.items()}
        by_name[fold(row["model"])] = row
        aliases.append((fold(row["model"]), row["model"]))
        for a in row["aliases"].split("|"):
            if a:
                aliases.append((fold(a), row["model"]))
    aliases.sort(key=lambda x: len(x[0]), reverse=True)
    return by_name, aliases


def standard_model(name: str | None) -> dict[str, str] | None:
    """The row of data/standard_models.csv a model name or alias refers to (exact, spelling folded)."""
    if not name:
        return None
    by_name, aliases = _models()
    key = fold(name)
    if key in by_name:
        return by_name[key]
    for alias, model in aliases:
        if alias == key:
            return by_name[fold(model)]
    return None


@functools.lru_cache(maxsize=65536)
def model_from_name(name: str) -> dict[str, str] | None:
    """A standard model the data probably follows, guessed from its name (the longest alias it contains)."""
    key = fold(name)
    by_name, aliases = _models()
    for alias, model in aliases:
        if len(alias) >= 2 and alias in key:
            return by_name[fold(model)]
    return None


@functools.cache
def _matrix() -> pd.DataFrame:
    return reference.table("ods_matrix.csv")


@functools.cache
def _matrix_rows() -> tuple[tuple[str, str, str], ...]:
    """(service field, dataset, model) of the guidebook 11.3 matrix, as plain tuples."""
    df = _matrix()[["service_field", "dataset", "model"]]
    return tuple((str(f), str(d), str(m)) for f, d, m in df.itertuples(index=False))


@functools.cache
def _matrix_by_field() -> dict[str, tuple[tuple[str, str], ...]]:
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for f, d, m in _matrix_rows():
        out[f].append((d, m))
    return {k: tuple(v) for k, v in out.items()}


@functools.cache
def _field_map() -> dict[str, str]:
    """Platform ``field`` enum codes -> data-map field codes (data/datamap_fields.csv platform_fields)."""
    out: dict[str, str] = {}
    for code, pf in reference.table("datamap_fields.csv")[["code", "platform_fields"]].itertuples(
        index=False
    ):
        for x in str(pf).split("|"):
            if x:
                out[x] = code
    return out


@functools.cache
def _rules() -> dict[str, dict[str, str]]:
    return {r["code"]: r for r in reference.table("issue_rules.csv").to_dict("records")}


# --- result models ------------------------------------------------------------------------------------------


class Flow(BaseModel):
    """One link of data to a service (C1 of the design note)."""

    source_kind: str = Field(description="asset（データアセット）| item（サービスの外部提供可能データ）")
    source: str = Field(description="データアセットID、または「サービスID/データ名」")
    data: str = Field(description="データの名前")
    owner: str | None = None
    from_service: str | None = Field(None, description="外部提供可能データの提供元サービス")
    platform: str | None = Field(None, description="経由する基盤（個別の取込では取込元の基盤）")
    service: str = Field(description="サービスID（外部のシステムへの流れではシステムの名前）")
    target_kind: str = Field("service", description="service（サービス）| system（台帳にない外部のシステム）")
    route: str = Field(
        description="platform（基盤経由）| direct（基盤を経由しない個別の取込）| unknown（提供先の記載がなく不明）"
    )
    declared_by: str = Field(description="both | service_side | asset_side（どちらの側に書かれているか）")
    data_field: str | None = None
    service_field: str | None = None
    cross_field: bool = False
    methods: list[str] = Field(default_factory=list)
    frequency: list[str] = Field(default_factory=list)
    api_capable: bool = False
    personal: bool = False
    pi_class: str | None = None
    consent: str | None = None


class AssetView(BaseModel):
    id: str
    name: str
    owner: str | None
    location: str | None
    platform: str | None
    field: str | None
    field_basis: str
    model: str | None = Field(None, description="申告された標準データモデル")
    available_model: str | None = Field(None, description="このデータに当てはまる標準データモデル")
    model_status: str | None = None
    model_basis: str = ""
    level: str
    consumers: list[str] = Field(default_factory=list)
    consumer_fields: list[str] = Field(default_factory=list)
    methods: list[str] = Field(default_factory=list)
    frequency: list[str] = Field(default_factory=list)
    personal: bool = False
    basis: str | None = None


class ServiceView(BaseModel):
    id: str
    name: str
    platform: str
    field: str | None
    field_basis: str
    status: str | None
    in_data_map: bool
    intake: list[str] = Field(default_factory=list, description="対応づいた取込データ（ID）")
    unresolved: list[str] = Field(default_factory=list, description="対応づかない取込データ")
    external: list[str] = Field(default_factory=list)
    derived_sources: list[str] = Field(
        default_factory=list, description="データマップから分かるデータ利用元の基盤"
    )
    declared_sources: list[str] = Field(default_factory=list, description="uses_data_from")
    missing_sources: list[str] = Field(default_factory=list)


class Finding(BaseModel):
    code: str
    platform: str | None = None
    service: str | None = None
    detail: str = ""


class Candidate(BaseModel):
    """A cross-field link the guidebook's matrix suggests (guidebook 11.3; 12.4 ②)."""

    service: str
    service_field: str
    data: str
    asset: str | None
    data_field: str | None
    dataset: str = Field(description="マトリクスのデータセット名")
    kind: str = Field(description="matrix（マトリクス）| item（他サービスの外部提供可能データ）")
    source: str = "guidebook 11.3"


class Opportunity(BaseModel):
    """A service's 外部提供可能データ with no 提供先 yet: a chance for a new link, not a problem (guidebook 11.2
    「サービスを起点とした新たな連携シナリオの創出を促す」; the format allows a blank 提供先: 「未記載で構いません」)."""

    service: str
    platform: str | None
    data: str
    source: str = "guidebook 11.2（サービス側データマップ）"


class MissingDataset(BaseModel):
    field: str = Field(description="最初の分野（fields の先頭）")
    fields: list[str] = Field(default_factory=list, description="このデータを使う分野（マトリクスの行）")
    dataset: str
    services: list[str]
    model: str | None
    source: str = "guidebook 11.3; 11.1 意義4"


class Coverage(BaseModel):
    platform: str
    assets: int
    with_model: int = Field(description="標準データモデル（公開済み・準拠先指定）があるデータアセット")
    declared: int = Field(description="うち準拠と申告")
    unknown: int = Field(0, description="うち標準データモデルの記載がないもの（準拠の状態が不明）")
    share: float | None = Field(
        description="準拠と申告／（標準データモデルがあり記載のあるもの）。記載がなければ不明（None）"
    )
    announced_only: int = Field(description="標準データモデルが予告のみ（防災）・策定予定のもの")
    migrate: list[str] = Field(default_factory=list, description="移行候補（独自形式・不明）")


class Layer(BaseModel):
    code: str
    label: str
    held: bool | None
    evidence: str


class Interop(BaseModel):
    platform: str
    layers: list[Layer]
    stage: int = Field(description="続けて満たした層の数（0–3）")
    cross_field: bool
    evidence_cross: str


class Stages(BaseModel):
    platform: str
    reached: list[str]
    next: str | None
    evidence: dict[str, str]


class Phase(BaseModel):
    platform: str
    phase: int | None
    label: str
    evidence: str


class GraphNode(BaseModel):
    id: str = Field(description="owner:… | asset:… | platform:… | service:… | item:… | system:…")
    kind: str
    label: str
    field: str | None = None


class GraphEdge(BaseModel):
    source: str
    target: str
    kind: str = Field(
        description="holds（所管）| supply（データ供給）| provide（データ取得）| direct（個別の取込）| unknown（経路不明）"
        "| acquire（取得）| return（還流）| federation（基盤間のデータ連携）"
    )
    count: int = 1


class Kpi(BaseModel):
    code: str
    label: str
    value: float | None
    unit: str
    note: str
    source: str


class ApiRow(BaseModel):
    platform: str
    side: str
    name: str
    protocol: str
    published: bool | None
    basis: str
    spec: str | None = None
    data: list[str] = Field(default_factory=list)


class PrefRef(BaseModel):
    code: str
    name: str


class DataMapResult(Result):
    """The analysed データマップ of a prefecture (see the module docstring)."""

    prefecture: PrefRef
    has_data_map: bool
    template_version: str | None
    flows: list[Flow]
    assets: list[AssetView]
    services: list[ServiceView]
    findings: list[Finding]
    warnings: list[str]
    matrix: dict[str, dict[str, int]] = Field(description="データの分野 → サービスの分野 → 流れの数")
    candidates: list[Candidate]
    opportunities: list[Opportunity] = Field(
        default_factory=list, description="提供先が未記載の外部提供可能データ（新たな連携シナリオの候補）"
    )
    missing: list[MissingDataset]
    duplicates: list[list[str]]
    nodes: list[GraphNode] = Field(default_factory=list, description="流れ図の節点（guidebook 11.2 図24）")
    edges: list[GraphEdge] = Field(default_factory=list, description="流れ図の辺")
    coverage: list[Coverage]
    interop: list[Interop]
    stages: list[Stages]
    migration: list[Phase]
    kpis: list[Kpi]
    apis: list[ApiRow]
    readings: list[str]
    gaps: list[str]
    facts: list[str]
    assumptions: list[str]
    sources: dict[str, str]
    _names: dict[str, str] | None = PrivateAttr(None)
    _platform_names: dict[str, str] = PrivateAttr(default_factory=dict)

    # --- presentation ---------------------------------------------------------------------------------------
    def service_name(self, sid: str | None) -> str:
        """The name of a service id (tables show names, the JSON keeps ids)."""
        if self._names is None:
            self._names = {s.id: s.name for s in self.services}
        return self._names.get(sid or "", sid or "—")

    def platform_name(self, pid: str | None) -> str:
        """The name of a platform id as the prefecture file gives it (charts show names, the JSON keeps ids)."""
        return self._platform_names.get(pid or "", pid or "—")

    def card_title(self) -> str:
        return f"{self.prefecture.name} データの流れ（データマップ）"

    def card_rows(self) -> list[tuple[str, str]]:
        if not self.has_data_map:
            return [("データマップ", "未作成（この都道府県ファイルにはデータマップがありません）")]
        cross = sum(f.cross_field for f in self.flows)
        direct = sum(f.route == "direct" for f in self.flows)
        unknown_route = sum(f.route == "unknown" for f in self.flows)
        via = len(self.flows) - direct - unknown_route
        no_field = sum(not (f.data_field and f.service_field) for f in self.flows)
        kpi = {k.code: k for k in self.kpis}
        share = [c.share for c in self.coverage if c.share is not None]
        return [
            (
                "サービス",
                f"{len(self.services)} 件（データマップに記載 {sum(s.in_data_map for s in self.services)} 件）",
            ),
            ("データアセット", f"{len(self.assets)} 件"),
            (
                "データの流れ",
                f"{len(self.flows)} 件（基盤経由 {via}、個別の取込 {direct}"
                + (f"、経路不明 {unknown_route}" if unknown_route else "")
                + "）",
            ),
            (
                "分野をまたぐ流れ",
                f"{cross} 件" + (f"（分野が分からない流れ {no_field} 件）" if no_field else ""),
            ),
            ("分野横断の連携候補", f"{len(self.candidates)} 件"),
            ("新たな連携シナリオの候補", f"{len(self.opportunities)} 件"),
            ("不足データ（マトリクス）", f"{len(self.missing)} 件"),
            (
                "接続サービス数（実利用）",
                _num(kpi["connected_services"].value) if "connected_services" in kpi else "—",
            ),
            (
                "連携データアセット数（重複なし）",
                _num(kpi["linked_data_assets"].value) if "linked_data_assets" in kpi else "—",
            ),
            (
                "標準データモデル準拠率",
                "、".join(
                    f"{self.platform_name(c.platform)} {c.share:.0%}"
                    for c in self.coverage
                    if c.share is not None
                )
                or "—",
            )
            if share
            else ("標準データモデル準拠率", "不明（標準データモデルの記載なし）" if self.coverage else "—"),
            ("データマップの課題", f"{len(self.findings)} 件"),
        ]

    def card_tables(self) -> list[tuple[str, pd.DataFrame]]:
        return [("分野をまたぐ流れ", self.cross_frame()), ("公開API一覧", self.apis_frame())]

    FRAME_COLUMNS: ClassVar[dict[str, str]] = {
        "source_kind": "asset (a data asset) | item (data a service offers)",
        "source": "the asset id, or 「service id/data name」",
        "data": "the data's name",
        "owner": "who holds it (所管元), or None",
        "from_service": "the service that offers it (for an item), or None",
        "platform": "platform id it passes (for a direct intake: the platform it is taken from), or None",
        "route": "platform (via the platform) | direct (taken in apart from any platform)",
        "service": "service id that uses it (for an external system: its name as the data map writes it)",
        "target_kind": "service | system (a 提供先 that is no service of the file, data_map.systems)",
        "data_field": "the data's field code, or None",
        "service_field": "the service's field code, or None",
        "cross_field": "True when data and service are of different fields",
        "methods": "how it is provided, codes joined by ``|``",
        "frequency": "how often, codes joined by ``|``",
        "declared_by": "both | service_side | asset_side (which side of the data map names the flow)",
    }

    def to_frame(self) -> pd.DataFrame:
        """One row per flow (data → service), ids and codes as values (columns: :attr:`FRAME_COLUMNS`)."""
        recs = [
            {
                "source_kind": f.source_kind,
                "source": f.source,
                "data": f.data,
                "owner": f.owner,
                "from_service": f.from_service,
                "platform": f.platform,
                "route": f.route,
                "service": f.service,
                "target_kind": f.target_kind,
                "data_field": f.data_field,
                "service_field": f.service_field,
                "cross_field": f.cross_field,
                "methods": "|".join(f.methods),
                "frequency": "|".join(f.frequency),
                "declared_by": f.declared_by,
            }
            for f in self.flows
        ]
        return frame(recs, self.FRAME_COLUMNS)

    def to_staff_frame(self) -> pd.DataFrame:
        """One row per flow (data → service), as staff read it (データ, 種類, 所管元, 基盤 …)."""
        recs = [
            {
                "データ": f.data,
                "種類": "データアセット"
                if f.source_kind == "asset"
                else f"外部提供データ（{self.service_name(f.from_service)}）",
                "所管元": f.owner or "—",
                "基盤": self.platform_name(f.platform),
                "経路": ROUTE_JA[f.route],
                "サービス": self.target_name(f),
                "データの分野": field_label(f.data_field),
                "サービスの分野": field_label(f.service_field),
                "分野をまたぐ": "○" if f.cross_field else "",
                "提供方法": "、".join(_vocab_label("method", m) for m in f.methods) or "—",
                "提供頻度": "、".join(_vocab_label("frequency", m) for m in f.frequency) or "—",
                "記載": reference.label("datamap_side", f.declared_by),
            }
            for f in self.flows
        ]
        return frame(
            recs,
            [
                "データ",
                "種類",
                "所管元",
                "基盤",
                "経路",
                "サービス",
                "データの分野",
                "サービスの分野",
                "分野をまたぐ",
                "提供方法",
                "提供頻度",
                "記載",
            ],
        )

    def target_name(self, f: Flow) -> str:
        """The receiving side of a flow as staff read it: a service's name, or an external system's."""
        if f.target_kind == "system":
            return f"{f.service}（外部のシステム）"
        return self.service_name(f.service)

    def cross_frame(self) -> pd.DataFrame:
        return self.to_staff_frame().query("分野をまたぐ == '○'").reset_index(drop=True)

    def matrix_frame(self) -> pd.DataFrame:
        """データの分野 × サービスの分野: the number of flows (realised links)."""
        fields = sorted({f for row in self.matrix for f in [row, *self.matrix[row]]}, key=field_order)
        data = [[self.matrix.get(a, {}).get(b, 0) for b in fields] for a in fields]
        return pd.DataFrame(
            data, index=[field_label(f) for f in fields], columns=[field_label(f) for f in fields]
        ).rename_axis(index="データの分野", columns="サービスの分野")

    def assets_frame(self) -> pd.DataFrame:
        """One row per data asset, by name (the file's ids are in :meth:`to_frame` and the JSON)."""
        recs = [
            {
                "データアセット名": a.name,
                "所管元": a.owner or "—",
                "所在": a.location or "—",
                "基盤": self.platform_name(a.platform),
                "分野": field_label(a.field),
                "標準データモデル": a.available_model or "—",
                "モデルの状態": reference.label("model_status", a.model_status) if a.model_status else "—",
                "準拠": _vocab_label("model_level", a.level),
                "使うサービス": "、".join(self.service_name(x) for x in a.consumers) or "—",
                "区分": reference.label("fact_basis", a.basis) if a.basis else "—",
            }
            for a in self.assets
        ]
        return frame(
            recs,
            [
                "データアセット名",
                "所管元",
                "所在",
                "基盤",
                "分野",
                "標準データモデル",
                "モデルの状態",
                "準拠",
                "使うサービス",
                "区分",
            ],
        )

    def services_frame(self) -> pd.DataFrame:
        """One row per service, by name (the file's ids are in :meth:`to_frame` and the JSON); the data it uses
        by name too."""
        import re

        from .staff import names_ja

        ids = {a.id: a.name for a in self.assets} | {x.id: x.name for x in self.services}
        # another service's external data used as intake is keyed 「service-id/名前」: the name alone
        owner = re.compile(
            r"(?<![A-Za-z0-9_-])(?:" + "|".join(re.escape(x.id) for x in self.services) + r")/"
            if self.services
            else r"(?!)"
        )

        def named(xs: list[str]) -> str:
            return names_ja(owner.sub("", "、".join(xs)), ids) or "—"

        recs = [
            {
                "サービス名": s.name,
                "基盤": self.platform_name(s.platform),
                "分野": field_label(s.field),
                "取込データ": named(s.intake),
                "未登録の取込データ": named(s.unresolved),
                "外部提供可能データ": named(s.external),
                "データ利用元（データマップ）": "、".join(map(self.platform_name, s.derived_sources)) or "—",
                "台帳にない利用元": "、".join(map(self.platform_name, s.missing_sources)) or "—",
            }
            for s in self.services
        ]
        return frame(
            recs,
            [
                "サービス名",
                "基盤",
                "分野",
                "取込データ",
                "未登録の取込データ",
                "外部提供可能データ",
                "データ利用元（データマップ）",
                "台帳にない利用元",
            ],
        )

    def candidates_frame(self) -> pd.DataFrame:
        recs = [
            {
                "サービス": self.service_name(c.service),
                "サービスの分野": field_label(c.service_field),
                "使えるデータ": c.data,
                "データの分野": field_label(c.data_field),
                "根拠": source_ja(c.source) + (f"（{c.dataset}）" if c.kind == "matrix" else ""),
            }
            for c in self.candidates
        ]
        return frame(recs, ["サービス", "サービスの分野", "使えるデータ", "データの分野", "根拠"])

    def opportunities_frame(self) -> pd.DataFrame:
        """新たな連携シナリオの候補: 外部提供可能データで提供先がまだないもの (guidebook 11.2)."""
        recs = [
            {
                "サービス": self.service_name(o.service),
                "基盤": self.platform_name(o.platform),
                "外部提供可能データ": o.data,
                "根拠": source_ja(o.source),
            }
            for o in self.opportunities
        ]
        return frame(recs, ["サービス", "基盤", "外部提供可能データ", "根拠"])

    def missing_frame(self) -> pd.DataFrame:
        recs = [
            {
                "分野": "、".join(field_label(f) for f in (m.fields or [m.field])),
                "不足しているデータ": m.dataset,
                "標準データモデル": m.model or "—",
                "使えるサービス": "、".join(self.service_name(x) for x in m.services),
                "根拠": source_ja(m.source),
            }
            for m in self.missing
        ]
        return frame(recs, ["分野", "不足しているデータ", "標準データモデル", "使えるサービス", "根拠"])

    def coverage_frame(self) -> pd.DataFrame:
        recs = [
            {
                "基盤": self.platform_name(c.platform),
                "データアセット": c.assets,
                "標準モデルあり": c.with_model,
                "準拠と申告": c.declared,
                "記載なし（不明）": c.unknown,
                "準拠率": ("不明" if c.with_model and c.unknown else "—")
                if c.share is None
                else f"{c.share:.0%}",
                "モデル予告のみ": c.announced_only,
                "移行候補": "、".join(c.migrate) or "—",
            }
            for c in self.coverage
        ]
        return frame(
            recs,
            [
                "基盤",
                "データアセット",
                "標準モデルあり",
                "準拠と申告",
                "記載なし（不明）",
                "準拠率",
                "モデル予告のみ",
                "移行候補",
            ],
        )

    def interop_frame(self) -> pd.DataFrame:
        recs = []
        for i in self.interop:
            row: dict[str, Any] = {"基盤": self.platform_name(i.platform)}
            for layer in i.layers:
                row[layer.label] = {True: "○", False: "×", None: "判定できない"}[layer.held]
                row[f"{layer.label}の根拠"] = layer.evidence
            row["段階"] = f"{i.stage}/3"
            row["分野横断"] = "○" if i.cross_field else "×"
            recs.append(row)
        return pd.DataFrame(recs)

    def stages_frame(self) -> pd.DataFrame:
        labels = _stage_labels()
        recs = [
            {
                "基盤": self.platform_name(s.platform),
                "到達した段階": "、".join(labels[c] for c in s.reached) or "—",
                "次の段階（目安）": labels.get(s.next or "", "—"),
            }
            for s in self.stages
        ]
        return frame(recs, ["基盤", "到達した段階", "次の段階（目安）"])

    def migration_frame(self) -> pd.DataFrame:
        recs = [
            {
                "基盤": self.platform_name(p.platform),
                "フェーズ（目安）": "—" if p.phase is None else f"フェーズ{p.phase} {p.label}",
                "根拠": p.evidence,
            }
            for p in self.migration
        ]
        return frame(recs, ["基盤", "フェーズ（目安）", "根拠"])

    def kpis_frame(self) -> pd.DataFrame:
        recs = [
            {
                "KPI": k.label,
                "現状値": _num(k.value),
                "単位": k.unit,
                "数え方": k.note,
                "出典": source_ja(k.source),
            }
            for k in self.kpis
        ]
        return frame(recs, ["KPI", "現状値", "単位", "数え方", "出典"])

    def apis_frame(self) -> pd.DataFrame:
        """The 公開API一覧 (guide 4.3)."""
        recs = [
            {
                "基盤": self.platform_name(a.platform),
                "区分": _vocab_label("api_side", a.side),
                "API": a.name,
                "方式": _vocab_label("api_protocol", a.protocol) if a.protocol != "—" else "—",
                "公開": "ファイル提供（APIではない）"
                if a.protocol == "file"
                else {True: "公開", False: "非公開", None: "不明"}[a.published],
                "扱うデータ": _listed(a.data),
                "仕様": a.spec or "—",
                "根拠": a.basis,
            }
            for a in self.apis
        ]
        return frame(recs, ["基盤", "区分", "API", "方式", "公開", "扱うデータ", "仕様", "根拠"])

    def findings_frame(self) -> pd.DataFrame:
        rules = _rules()
        recs = [
            {
                "課題": rules[f.code]["title_ja"],
                "基盤": self.platform_name(f.platform),
                "サービス": self.service_name(f.service) if f.service else "—",
                "内容": f.detail,
                "根拠": source_ja(rules[f.code]["source"]),
            }
            for f in self.findings
        ]
        return frame(recs, ["課題", "基盤", "サービス", "内容", "根拠"])


@functools.cache
def _stage_labels() -> dict[str, str]:
    df = reference.table("utilisation_steps.csv")
    return dict(zip(df["code"], df["label_ja"], strict=True))


@functools.cache
def field_order_map() -> dict[str, int]:
    return {c: i for i, c in enumerate(reference.table("datamap_fields.csv")["code"])}


def field_order(code: str) -> int:
    return field_order_map().get(code, 99)


def _listed(items: list[str], n: int = 10) -> str:
    """The first ``n`` items and how many more (a list is never cut without saying so)."""
    shown = "、".join(items[:n])
    return (shown + (f" ほか {len(items) - n:,} 件" if len(items) > n else "")) or "—"


def _num(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


# --- the analysis -------------------------------------------------------------------------------------------


class _Asset:
    __slots__ = (
        "row",
        "model",
        "model_row",
        "model_basis",
        "level",
        "field",
        "field_basis",
        "methods",
        "freq",
        "personal",
    )


def _asset_facts(a: Any) -> _Asset:
    x = _Asset()
    x.row = a
    declared = a.model
    row = None
    basis = ""
    if declared and fold(declared) in OWN:
        level = "none"
        row = model_from_name(a.name)
        basis = "名称から推定" if row else ""
    elif declared and fold(declared) in UNKNOWN:
        level = "unknown"
        row = model_from_name(a.name)
        basis = "名称から推定" if row else ""
    elif declared:
        level = "declared"
        row = standard_model(declared)
        basis = "申告" if row else "申告（カタログ外の標準）"
    else:  # nothing stated: the state is unknown, not 独自
        level = "unknown"
        row = model_from_name(a.name)
        basis = "名称から推定" if row else ""
    if a.model_level:
        level = a.model_level
    x.model = declared
    x.model_row = row
    x.model_basis = basis
    x.level = level
    if a.field:
        x.field, x.field_basis = a.field, "入力"
    elif row is not None:
        x.field, x.field_basis = row["field"], "標準データモデルの分野"
    else:
        x.field, x.field_basis = None, "未設定"
    x.methods = method_codes(a.method)
    x.freq = frequency_codes(a.frequency)
    x.personal = a.pi_class in PERSONAL_CLASSES or a.pi_class == "pseudonymised"
    return x


def _service_fields(pref: Prefecture, rows: dict[str, Any]) -> dict[str, tuple[str | None, str]]:
    fmap = _field_map()
    platforms = {p.id: p for p in pref.platforms}
    out: dict[str, tuple[str | None, str]] = {}
    for s in pref.services:
        row = rows.get(s.id)
        if row is not None and row.field:
            out[s.id] = (row.field, "入力")
            continue
        p = platforms.get(s.platform)
        code = (
            fmap.get(p.field)
            if p is not None and p.field not in ("cross", "non_personal", "personal")
            else None
        )
        out[s.id] = (code, "基盤の分野" if code else "未設定")
    return out


class _Inputs:
    """The data map's rows resolved against the file: service rows by service id, each service's field, the
    assets' facts and the services' 外部提供可能データ, with the indexes that resolve what staff wrote."""

    def __init__(self, pref: Prefecture) -> None:
        self.pref = pref
        self.dm = pref.data_map
        self.names = ServiceNames(pref)
        self.services = {s.id: s for s in pref.services}
        self.rows: dict[str, Any] = {}
        for r in self.dm.services if self.dm else []:
            sid = self.names.resolve(r.service)
            if sid is not None:
                self.rows.setdefault(sid, r)
        self.sfield = _service_fields(pref, self.rows)
        self.assets = [_asset_facts(a) for a in (self.dm.assets if self.dm else [])]
        self.by_asset = {x.row.id: x for x in self.assets}
        self.asset_index: dict[str, str] = {x.row.id: x.row.id for x in reversed(self.assets)}
        for x in self.assets:
            self.asset_index.setdefault(fold(x.row.id), x.row.id)
            self.asset_index.setdefault(fold(x.row.name), x.row.id)
        self.items: dict[str, tuple[str, Any]] = {}
        self.item_index: dict[str, str] = {}
        for sid, r in self.rows.items():
            for it in r.external:
                key = it.id or f"{sid}/{it.name}"
                self.items[key] = (sid, it)
                for k in (key, fold(key), fold(it.name), fold(f"{sid}/{it.name}")):
                    self.item_index.setdefault(k, key)

    def field_of(self, sid: str) -> str | None:
        return self.sfield.get(sid, (None, ""))[0]

    def asset_named(self, text: str) -> str | None:
        return self.asset_index.get(text) or self.asset_index.get(fold(text))

    def item_named(self, text: str) -> str | None:
        return self.item_index.get(text) or self.item_index.get(fold(text))


class _Flows:
    """Every (data → service) link, resolved from both sides of the template (module docstring)."""

    def __init__(self, inp: _Inputs) -> None:
        self.inp = inp
        self.flows: dict[tuple[str, str], Flow] = {}
        self.resolved: dict[str, list[str]] = defaultdict(list)
        self.unresolved: dict[str, list[str]] = defaultdict(list)
        self.warnings: list[str] = []

    def _seen(self, key: tuple[str, str], declared_by: str) -> bool:
        if key not in self.flows:
            return False
        if self.flows[key].declared_by != declared_by:
            self.flows[key].declared_by = "both"
        return True

    def asset_flow(self, x: _Asset, sid: str, route: str, declared_by: str, kind: str = "service") -> None:
        a = x.row
        key = (f"asset:{a.id}", sid)
        if self._seen(key, declared_by):
            return
        sf = self.inp.field_of(sid) if kind == "service" else None
        self.flows[key] = Flow(
            source_kind="asset",
            source=a.id,
            data=a.name,
            owner=a.owner,
            platform=a.platform,
            service=sid,
            target_kind=kind,
            route=route,
            declared_by=declared_by,
            data_field=x.field,
            service_field=sf,
            cross_field=bool(x.field and sf and x.field != sf),
            methods=list(x.methods),
            frequency=list(x.freq),
            api_capable=any(m in _api_capable() for m in x.methods),
            personal=x.personal,
            pi_class=a.pi_class,
        )

    def item_flow(self, key: str, target: str, declared_by: str, kind: str = "service") -> None:
        inp = self.inp
        src, it = inp.items[key]
        fkey = (f"item:{key}", target)
        if self._seen(fkey, declared_by):
            return
        methods = method_codes(it.method)
        model = standard_model(it.model) if it.model else model_from_name(it.name)
        data_field = inp.field_of(src) or (model["field"] if model else None)
        sf = inp.field_of(target) if kind == "service" else None
        source_service = inp.services.get(src)
        self.flows[fkey] = Flow(
            source_kind="item",
            source=key,
            data=it.name,
            owner=source_service.name if source_service else None,
            from_service=src,
            platform=source_service.platform if source_service else None,
            service=target,
            target_kind=kind,
            route="platform" if kind == "system" or target in inp.names.resolve_many(it.to) else "direct",
            declared_by=declared_by,
            data_field=data_field,
            service_field=sf,
            cross_field=bool(data_field and sf and data_field != sf),
            methods=list(methods),
            frequency=list(frequency_codes(it.frequency)),
            api_capable=any(m in _api_capable() for m in methods),
            personal=it.pi_class in PERSONAL_CLASSES or it.pi_class == "pseudonymised",
            pi_class=it.pi_class,
            consent=it.consent,
        )

    def intake(self) -> None:
        """Service side: 取込データ (an asset, another service's 外部提供可能データ, or unresolved)."""
        inp = self.inp
        for sid, r in inp.rows.items():
            for text in r.intake:
                aid = inp.asset_named(text)
                ikey = inp.item_named(text) if aid is None else None
                if aid is not None:
                    x = inp.by_asset[aid]
                    targets = inp.names.resolve_many(x.row.to)
                    if not x.row.platform:
                        route = "direct"  # the asset is not connected to a platform
                    elif sid in targets:
                        route = "platform"
                    elif x.row.to:  # 提供先サービス filled in without this service (README データセット側5)
                        route = "direct"
                    else:  # 提供先サービス blank: the workbook does not say
                        route = "unknown"
                    self.asset_flow(x, sid, route, "both" if sid in targets else "service_side")
                    self.resolved[sid].append(aid)
                elif ikey is not None and inp.items[ikey][0] != sid:
                    self.item_flow(ikey, sid, "service_side")
                    self.resolved[sid].append(ikey)
                else:
                    self.unresolved[sid].append(text)

    def asset_side(self) -> None:
        """Asset side: 提供先サービス (a service that does not list the asset gets a warning); a 提供先 that is an
        external system gets its flow too."""
        inp = self.inp
        for x in inp.assets:
            for name in x.row.to:
                if inp.names.resolve(name) is None and inp.names.is_system(name):
                    system = inp.names.systems[fold(name)]
                    self.asset_flow(
                        x, system, "platform" if x.row.platform else "direct", "asset_side", "system"
                    )
            for sid in inp.names.resolve_many(x.row.to):
                if (f"asset:{x.row.id}", sid) in self.flows:
                    continue
                self.asset_flow(x, sid, "platform" if x.row.platform else "direct", "asset_side")
                if sid in inp.rows:
                    self.warnings.append(
                        f"データアセット「{x.row.name}」の提供先サービスに「{inp.services[sid].name}」がありますが、"
                        "そのサービスの取込データに記載がありません"
                    )

    def external(self) -> None:
        """Service side: the 提供先 of each service's 外部提供可能データ (a service or an external system)."""
        for key, (src, it) in self.inp.items.items():
            for name in it.to:
                if self.inp.names.resolve(name) is None and self.inp.names.is_system(name):
                    self.item_flow(key, self.inp.names.systems[fold(name)], "service_side", "system")
            for target in self.inp.names.resolve_many(it.to):
                if target == src:
                    continue
                flow = self.flows.get((f"item:{key}", target))
                if flow is not None:
                    flow.declared_by, flow.route = "both", "platform"
                else:
                    self.item_flow(key, target, "service_side")

    def listed(self) -> list[Flow]:
        self.intake()
        self.asset_side()
        self.external()
        return sorted(self.flows.values(), key=lambda f: (f.platform or "~", f.source, f.service))


GENERIC_LOCATIONS = ("システム", "台帳", "Excel", "エクセル", "紙", "サーバ")


def _asset_warnings(x: _Asset) -> Iterable[str]:
    """The template's filling rules for one asset (a concrete name, a proper system name, readable method and
    frequency)."""
    a = x.row
    if any(w in a.name for w in ("等", "一式", "各種", "ほか")):
        yield f"データアセット名「{a.name}」はまとめて書かれているようです（なるべくデータ単位で具体名を記載）"
    if a.location and fold(a.location) in {fold(w) for w in GENERIC_LOCATIONS}:
        yield f"データアセット「{a.name}」のデータの所在「{a.location}」が一般名詞です（システムの固有名詞で記載）"
    if a.method and not x.methods:
        yield f"データアセット「{a.name}」の提供方法「{'、'.join(a.method)}」を読み取れません"
    if a.frequency and not x.freq:
        yield f"データアセット「{a.name}」の提供頻度「{a.frequency}」を読み取れません"


def _filling_warnings(inp: _Inputs, unresolved: dict[str, list[str]]) -> list[str]:
    """Warnings on how the data map is filled in (the template README's rules)."""
    out: list[str] = []
    missing_rows = [s.name for s in inp.pref.services if s.id not in inp.rows]
    if missing_rows and inp.dm is not None and inp.dm.services:
        out.append(
            "サービス側データマップにないサービスがあります（基盤に接続しているサービスはすべて記載）: "
            + "、".join(missing_rows[:10])
            + ("…" if len(missing_rows) > 10 else "")
        )
    for x in inp.assets:
        out += _asset_warnings(x)
    for sid, texts in unresolved.items():
        out.append(
            f"{inp.services[sid].name}の取込データ「{'、'.join(texts[:6])}」はデータアセット側にも他のサービスの外部提供"
            "データにもなく、基盤経由か直接かを判定できません（データアセット側に登録すると流れに入ります）"
        )
    no_field = [inp.services[s].name for s in inp.services if inp.sfield[s][0] is None]
    if no_field:
        out.append(
            "分野が未設定のサービスがあり、分野をまたぐかどうかを判定できません: " + "、".join(no_field[:10])
        )
    return out


def _duplicates(inp: _Inputs) -> list[list[str]]:
    """Assets held on two or more platforms: the same name, owner and location, or the same standard model for
    the same municipality and owner (C3)."""
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for x in inp.assets:
        a = x.row
        if a.platform:
            groups[("name", fold(a.name), fold(a.owner or ""), fold(a.location or ""))].append(a.id)
            if x.model_row is not None and a.municipality and x.level in DECLARED:
                groups[("model", x.model_row["model"], a.municipality, fold(a.owner or ""))].append(a.id)
    duplicates: list[list[str]] = []
    seen_sets: set[frozenset[str]] = set()
    for ids in groups.values():
        plats = {inp.by_asset[i].row.platform for i in ids}
        if len(plats) >= 2 and frozenset(ids) not in seen_sets:
            seen_sets.add(frozenset(ids))
            duplicates.append(sorted(ids))
    return duplicates


def _field_matrix(flows: list[Flow]) -> dict[str, dict[str, int]]:
    """Flows counted by (data field, service field) (C6)."""
    matrix: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for f in flows:
        if f.data_field and f.service_field:
            matrix[f.data_field][f.service_field] += 1
    return {k: dict(v) for k, v in matrix.items()}


def _service_views(inp: _Inputs, flows: _Flows, flow_list: list[Flow]) -> list[ServiceView]:
    derived = _derived(flow_list)
    out = []
    for s in inp.pref.services:
        row = inp.rows.get(s.id)
        der = sorted(derived.get(s.id, set()) - {s.platform})
        out.append(
            ServiceView.model_construct(
                id=s.id,
                name=s.name,
                platform=s.platform,
                field=inp.sfield[s.id][0],
                field_basis=inp.sfield[s.id][1],
                status=row.status if row is not None else None,
                in_data_map=row is not None,
                intake=flows.resolved.get(s.id, []),
                unresolved=flows.unresolved.get(s.id, []),
                external=[it.name for it in row.external] if row is not None else [],
                derived_sources=der,
                declared_sources=list(s.uses_data_from),
                missing_sources=[p for p in der if p not in s.uses_data_from],
            )
        )
    return out


def _asset_view(inp: _Inputs, x: _Asset, consumers: list[str]) -> AssetView:
    modelled = x.level in DECLARED
    return AssetView(
        id=x.row.id,
        name=x.row.name,
        owner=x.row.owner,
        location=x.row.location,
        platform=x.row.platform,
        field=x.field,
        field_basis=x.field_basis,
        model=x.model,
        available_model=x.model_row["model"] if x.model_row else (x.model if modelled else None),
        model_status=x.model_row["status"] if x.model_row else ("other" if modelled else None),
        model_basis=x.model_basis,
        level=x.level,
        consumers=consumers,
        consumer_fields=sorted({f for f in (inp.field_of(s) for s in consumers) if f}),
        methods=list(x.methods),
        frequency=list(x.freq),
        personal=x.personal,
        basis=x.row.basis,
    )


@checked
def datamap(pref: Prefecture) -> DataMapResult:
    """Analyse the prefecture's データマップ (module docstring). Works on files without ``data_map:`` too
    (everything empty, ``has_data_map`` false).

    Parameters
    ----------
    pref : Prefecture
        A prefecture from :func:`workbench.load`, :func:`workbench.load_sample` or built in code; one changed in
        code is checked first (:func:`workbench.validate`).

    Returns
    -------
    DataMapResult
        ``flows`` (data → service), cross-field candidates, standard-model coverage, the API list and the
        findings; ``to_frame()`` one row per flow (ids and codes).

    Raises
    ------
    InputError
        When the prefecture is inconsistent (the message of :func:`workbench.validate`).

    Examples
    --------
    >>> import workbench as wb
    >>> dm = wb.datamap(wb.load_sample("07"))
    >>> print(dm)
    福島県 データの流れ（データマップ）
      サービス: ...
    >>> dm.has_data_map
    True
    """
    inp = _Inputs(pref)
    dm = inp.dm
    flows = _Flows(inp)
    flow_list = flows.listed()
    warnings = flows.warnings + (_filling_warnings(inp, flows.unresolved) if dm is not None else [])
    consumers: dict[str, list[str]] = defaultdict(list)
    for f in flow_list:
        if f.source_kind == "asset":
            consumers[f.source].append(f.service)
    duplicates = _duplicates(inp)
    findings = (
        _findings(pref, dm, flow_list, inp.assets, inp.rows, inp.items, consumers, duplicates) if dm else []
    )
    candidates, missing = (
        _candidates(pref, inp.assets, flow_list, inp.sfield, inp.rows, inp.items) if dm else ([], [])
    )
    opportunities = _opportunities(pref, flow_list, inp.items) if dm else []
    if dm is not None:
        warnings += _related_warnings(inp.items, flow_list)
    coverage = _coverage(pref, inp.assets) if dm else []
    nodes, edges = _graph(pref, flow_list, inp.assets, inp.rows, inp.sfield) if dm else ([], [])
    if dm is None:
        warnings.append("この都道府県ファイルにはデータマップがありません")
    result = DataMapResult(
        prefecture=PrefRef(code=pref.code, name=pref.name),
        has_data_map=dm is not None,
        template_version=dm.template_version if dm else None,
        flows=flow_list,
        assets=[_asset_view(inp, x, consumers.get(x.row.id, [])) for x in inp.assets],
        services=_service_views(inp, flows, flow_list),
        findings=findings,
        warnings=list(dict.fromkeys(warnings)),
        matrix=_field_matrix(flow_list),
        candidates=candidates,
        opportunities=opportunities,
        missing=missing,
        duplicates=duplicates,
        nodes=nodes,
        edges=edges,
        coverage=coverage,
        interop=_interop(pref, flow_list, coverage, inp.rows) if dm else [],
        stages=_stages(pref, flow_list) if dm else [],
        migration=_migration(pref, flow_list, inp.assets, inp.rows) if dm else [],
        kpis=_kpis(flow_list, inp.assets, duplicates, pref) if dm else [],
        apis=_apis(pref, flow_list, inp.assets) if dm else [],
        readings=READINGS,
        gaps=GAPS,
        facts=list(dm.facts) if dm else [],
        assumptions=list(dm.assumptions) if dm else [],
        sources=SOURCES,
    )
    result._platform_names = {p.id: p.name for p in pref.platforms}
    return result


class _Graph:
    """Nodes and edges of the flow graph; an edge drawn twice counts twice."""

    def __init__(self) -> None:
        self.nodes: dict[str, GraphNode] = {}
        self.edges: dict[tuple[str, str, str], GraphEdge] = {}

    def node(self, nid: str, kind: str, label: str, fld: str | None = None) -> str:
        self.nodes.setdefault(nid, GraphNode(id=nid, kind=kind, label=label, field=fld))
        return nid

    def edge(self, a: str, b: str, kind: str) -> None:
        key = (a, b, kind)
        if key in self.edges:
            self.edges[key].count += 1
        else:
            self.edges[key] = GraphEdge(source=a, target=b, kind=kind)

    def assets(self, assets: list[_Asset]) -> None:
        """データ所管元 → データアセット →（データ供給）→ 基盤."""
        for x in assets:
            a = x.row
            aid = self.node(f"asset:{a.id}", "asset", a.name, x.field)
            if a.owner:
                self.edge(self.node(f"owner:{a.owner}", "owner", a.owner), aid, "holds")
            if a.platform:
                self.edge(aid, f"platform:{a.platform}", "supply")

    def items(
        self, pref: Prefecture, rows: dict[str, Any], sfield: dict[str, tuple[str | None, str]]
    ) -> None:
        """サービス → 取得データ →（データ利活用・還流）→ the service's platform."""
        home = {s.id: s.platform for s in pref.services}
        for sid, r in rows.items():
            for it in r.external:
                iid = self.node(f"item:{it.id or sid + '/' + it.name}", "item", it.name, sfield[sid][0])
                self.edge(f"service:{sid}", iid, "acquire")
                if it.to and sid in home:
                    self.edge(iid, f"platform:{home[sid]}", "return")

    def flows(self, flows: list[Flow]) -> None:
        """基盤 →（データ取得）→ サービス (or an external system), the data straight to the service (direct
        intake), or an edge of unknown route (提供先サービス blank)."""
        for f in flows:
            src = f"asset:{f.source}" if f.source_kind == "asset" else f"item:{f.source}"
            if f.target_kind == "system":
                target = self.node(f"system:{f.service}", "system", f.service)
            else:
                target = f"service:{f.service}"
            if f.route == "platform" and f.platform:
                self.edge(f"platform:{f.platform}", target, "provide")
            else:
                self.edge(src, target, "direct" if f.route == "direct" else "unknown")

    def federation(self, pref: Prefecture) -> None:
        """Data federation between platforms, each pair once."""
        seen: set[frozenset[str]] = set()
        for p in pref.platforms:
            for q in p.data_federation_with:
                pair = frozenset((p.id, q))
                if pair not in seen:
                    seen.add(pair)
                    self.edge(f"platform:{p.id}", f"platform:{q}", "federation")


def _graph(
    pref: Prefecture,
    flows: list[Flow],
    assets: list[_Asset],
    rows: dict[str, Any],
    sfield: dict[str, tuple[str | None, str]],
) -> tuple[list[GraphNode], list[GraphEdge]]:
    """The flow graph of guidebook 11.2 図24: データ所管元 → データアセット →（データ供給）→ 基盤 →（データ取得）→
    サービス → 取得データ →（データ利活用・還流）→ 基盤, plus direct intakes and data federation between platforms."""
    g = _Graph()
    for p in pref.platforms:
        g.node(f"platform:{p.id}", "platform", p.name)
    for s in pref.services:
        g.node(f"service:{s.id}", "service", s.name, sfield[s.id][0])
    g.assets(assets)
    g.items(pref, rows, sfield)
    g.flows(flows)
    g.federation(pref)
    return list(g.nodes.values()), list(g.edges.values())


def _derived(flows: list[Flow]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for f in flows:
        if f.route == "platform" and f.platform and f.target_kind == "service":
            out[f.service].add(f.platform)
    return out


def derived_sources(pref: Prefecture) -> dict[str, list[str]]:
    """Platforms each service takes data from through a platform according to the データマップ (its own platform
    left out): used by :func:`workbench.auth.match_auth` beside ``uses_data_from`` so the level checks see every
    flow (guide 3.4 基盤間連携). Empty without a data map."""
    if pref.data_map is None:
        return {}
    derived = _derived(_Flows(_Inputs(pref)).listed())  # the flows only, not the whole analysis
    out = {s.id: sorted(derived.get(s.id, set()) - {s.platform}) for s in pref.services}
    return {sid: plats for sid, plats in out.items() if plats}


@dataclass
class _Findings:
    """What the data map's rules (DM_* of data/issue_rules.csv) look at, indexed once."""

    pref: Prefecture
    dm: Any
    flows: list[Flow]
    assets: list[_Asset]
    rows: dict[str, Any]
    items: dict[str, tuple[str, Any]]
    consumers: dict[str, list[str]]
    duplicates: list[list[str]]

    def __post_init__(self) -> None:
        self.services = {s.id: s for s in self.pref.services}
        self.platforms = {p.id: p for p in self.pref.platforms}
        self.by_asset = {x.row.id: x for x in self.assets}
        self.to_service: dict[str, list[Flow]] = defaultdict(list)
        self.from_source: dict[str, list[Flow]] = defaultdict(list)
        self.via: dict[str, list[Flow]] = defaultdict(list)  # flows through each platform
        for f in self.flows:
            self.to_service[f.service].append(f)
            self.from_source[f.source].append(f)
            if f.route == "platform" and f.platform:
                self.via[f.platform].append(f)
        self.by_platform: dict[str, list[_Asset]] = defaultdict(list)
        for x in self.assets:
            if x.row.platform:
                self.by_platform[x.row.platform].append(x)

    def platform_name(self, pid: str | None) -> str:
        p = self.platforms.get(pid or "")
        return p.name if p is not None else (pid or "—")

    def target_name(self, f: Flow) -> str:
        if f.target_kind == "system":
            return f"{f.service}（外部のシステム）"
        s = self.services.get(f.service)
        return s.name if s is not None else f.service


def _dm_template(c: _Findings) -> Iterator[Finding]:
    """The format's version read from the workbook (its 記載要領's 改訂履歴) differs from 第1.3版."""
    v = c.dm.template_version
    if v and v != TEMPLATE_VERSION:
        yield Finding(code="DM_TEMPLATE_VERSION", detail=f"第{v}版")


def _dm_direct_links(c: _Findings) -> Iterator[Finding]:
    """A platform-connected asset whose 提供先サービス, filled in, does not name a service that lists it as 取込データ
    (README データセット側5 reading; READINGS[0] states the guidebook's other reading)."""
    for f in c.flows:
        if f.source_kind == "asset" and f.route == "direct" and f.platform:
            yield Finding(
                code="DM_DIRECT_LINK",
                platform=f.platform,
                service=f.service,
                detail=f"{c.services[f.service].name} が {f.data}（{c.platform_name(f.platform)} に接続済み）を"
                "直接取込（提供先サービスに記載なし）",
            )


def _dm_duplicates(c: _Findings) -> Iterator[Finding]:
    for ids in c.duplicates:
        desc = "、".join(
            f"{c.by_asset[i].row.name}（{c.platform_name(c.by_asset[i].row.platform)}）" for i in ids
        )
        yield Finding(code="DM_DUP_ASSET", detail=desc)


def _dm_orphans(c: _Findings) -> Iterator[Finding]:
    """A platform-connected asset with no 提供先サービス and no service listing it: used nowhere, or the columns left
    blank; the finding asks which (README データセット側5; guidebook 11.2 データアセット側データマップ)."""
    for x in c.assets:
        if x.row.platform and not c.consumers.get(x.row.id):
            yield Finding(code="DM_ORPHAN_ASSET", platform=x.row.platform, detail=x.row.name)


def _dm_no_standard_model(c: _Findings) -> Iterator[Finding]:
    """Assets declared 独自 (own format) for which a standard model is published (guideline 2.3; guidebook 10.3);
    an asset whose model the workbook does not state is unknown, not 独自."""
    for pid, xs in c.by_platform.items():
        bad = [
            x.row.name
            for x in xs
            if x.level == "none"
            and x.model_row is not None
            and x.model_row["status"] in ("published", "delegated")
        ]
        if bad:
            yield Finding(code="DM_NO_STANDARD_MODEL", platform=pid, detail=_listed(bad, 8))


def _dm_new_not_standard(c: _Findings) -> Iterator[Finding]:
    """Services being built or planned whose known methods are not NGSI-LD, or whose data is declared 独自 although a
    standard model exists (guidebook 10.4 ③); flows with no method stated are not counted."""
    for sid, r in c.rows.items():
        mine = c.to_service.get(sid, []) if r.status in ("building", "planned") else []
        no_ld = [f.data for f in mine if f.methods and "ngsi_ld" not in f.methods]
        no_model = [
            f.data
            for f in mine
            if f.source_kind == "asset"
            and c.by_asset[f.source].level == "none"
            and c.by_asset[f.source].model_row is not None
        ]
        parts = (["NGSI-LD でない: " + _listed(no_ld, 5)] if no_ld else []) + (
            ["標準データモデルでない: " + _listed(no_model, 5)] if no_model else []
        )
        if parts:
            yield Finding(
                code="DM_NEW_NOT_STANDARD",
                platform=c.services[sid].platform,
                service=sid,
                detail="; ".join(parts),
            )


def _dm_no_api(c: _Findings) -> Iterator[Finding]:
    """Every flow through a platform has its method stated and none can be fetched by an API (guide 4.3), and the
    published-API list names no API of the platform."""
    listed = {e.platform for e in c.dm.apis if e.protocol != "file"}
    for pid, fs in c.via.items():
        if pid in listed or not fs or not all(f.methods for f in fs):
            continue
        if not any(f.api_capable for f in fs):
            methods = sorted({m for f in fs for m in f.methods})
            detail = f"基盤経由の流れ {len(fs)} 件（方式: {'、'.join(_vocab_label('method', m) for m in methods)}）"
            yield Finding(code="DM_NO_API_FLOW", platform=pid, detail=detail)


def _dm_no_cross_field(c: _Findings) -> Iterator[Finding]:
    """No flow crosses fields, said only when the field of every flow's data and service is known."""
    if c.flows and all(f.data_field and f.service_field for f in c.flows):
        if not any(f.cross_field for f in c.flows):
            yield Finding(
                code="DM_NO_CROSS_FIELD", detail=f"流れ {len(c.flows)} 件（すべて分野が分かるもの）"
            )


def _dm_personal(c: _Findings) -> Iterator[Finding]:
    """15.3 ①: 個人情報 given to another service needs the person's consent (opt-in): 同意管理なし is a finding, an
    unrecorded one a question; 仮名加工情報 may not be given to a third party. 個人関連情報 needs the recipient's
    consent check only when it becomes personal data there (④: 「個人データ化されることが予見される場合」), which a
    data map does not say: a note (:func:`_related_warnings`), not a finding."""
    for key, (src, it) in c.items.items():
        targets = [f for f in c.from_source.get(key, [])]
        if not targets:
            continue
        tnames = "、".join(c.target_name(f) for f in targets)
        platform = c.services[src].platform
        if it.pi_class == "pseudonymised":
            yield Finding(
                code="DM_PSEUDONYMISED_OUT", platform=platform, service=src, detail=f"{it.name} → {tnames}"
            )
        elif it.pi_class == "personal" and it.consent == "none":
            yield Finding(
                code="DM_PERSONAL_NO_CONSENT",
                platform=platform,
                service=src,
                detail=f"{it.name} → {tnames}: 同意管理なしと記載（本人の事前の同意が必要）",
            )
        elif it.pi_class == "personal" and it.consent in (None, "unknown"):
            yield Finding(
                code="DM_PERSONAL_CONSENT_UNKNOWN",
                platform=platform,
                service=src,
                detail=f"{it.name} → {tnames}: 同意管理の記載なし（本人の事前の同意が必要）",
            )


def _dm_legacy(c: _Findings) -> Iterator[Finding]:
    """Every flow through a platform has its method stated, none is NGSI-LD and no asset declares a standard model:
    a question whether a migration roadmap exists (guidebook 10.4 ③) — a data map cannot show a roadmap, so it
    never says there is none."""
    for pid, fs in c.via.items():
        if not fs or not all(f.methods for f in fs):
            continue
        methods = {m for f in fs for m in f.methods}
        legacy_only = "ngsi_ld" not in methods and methods & LEGACY
        if legacy_only and not [x for x in c.by_platform.get(pid, []) if x.level in DECLARED]:
            detail = "方式: " + "、".join(_vocab_label("method", m) for m in sorted(methods))
            yield Finding(code="DM_LEGACY_NO_ROADMAP", platform=pid, detail=detail)


def _dm_flow_not_declared(c: _Findings) -> Iterator[Finding]:
    """Data a service takes through another platform while neither platform records the other under 基盤間連携
    （データ連携） (guide 3.4: 「複数のデータ連携基盤間でデータ連携が行われる状態」)."""
    pairs: dict[tuple[str, str], list[str]] = defaultdict(list)
    for s in c.pref.services:
        for f in c.to_service.get(s.id, []):
            if f.route != "platform" or not f.platform or f.platform == s.platform:
                continue
            a, b = c.platforms.get(s.platform), c.platforms.get(f.platform)
            if a is None or b is None:
                continue
            if b.id in a.data_federation_with or a.id in b.data_federation_with:
                continue
            if s.name not in pairs[(s.platform, f.platform)]:
                pairs[(s.platform, f.platform)].append(s.name)
    for (home, other), names in pairs.items():
        yield Finding(
            code="DM_FLOW_NOT_DECLARED",
            platform=home,
            service=next(s.id for s in c.pref.services if s.name == names[0] and s.platform == home),
            detail=f"{_listed(names, 3)} が {c.platform_name(other)} のデータを利用（{c.platform_name(home)} との"
            "基盤間連携（データ連携）の記録なし）",
        )


#: the data map's rules in the order their findings are listed
_DM_RULES = (
    _dm_template,
    _dm_direct_links,
    _dm_duplicates,
    _dm_orphans,
    _dm_no_standard_model,
    _dm_new_not_standard,
    _dm_no_api,
    _dm_no_cross_field,
    _dm_personal,
    _dm_legacy,
    _dm_flow_not_declared,
)


def _findings(
    pref: Prefecture,
    dm: Any,
    flows: list[Flow],
    assets: list[_Asset],
    rows: dict[str, Any],
    items: dict[str, tuple[str, Any]],
    consumers: dict[str, list[str]],
    duplicates: list[list[str]],
) -> list[Finding]:
    """The data map's findings (DM_* rules of data/issue_rules.csv), rule by rule."""
    c = _Findings(pref, dm, flows, assets, rows, items, consumers, duplicates)
    return [f for rule in _DM_RULES for f in rule(c)]


def _opportunities(
    pref: Prefecture, flows: list[Flow], items: dict[str, tuple[str, Any]]
) -> list[Opportunity]:
    """外部提供可能データ nobody is named to receive: new link scenarios (guidebook 11.2), never a 課題 — the format
    allows a blank 提供先 (「未記載で構いません」)."""
    consumed = {f.source for f in flows if f.source_kind == "item"}
    home = {s.id: s.platform for s in pref.services}
    return [
        Opportunity(service=src, platform=home.get(src), data=it.name)
        for key, (src, it) in items.items()
        if key not in consumed
    ]


def _related_warnings(items: dict[str, tuple[str, Any]], flows: list[Flow]) -> list[str]:
    """個人関連情報 given to another service: the recipient's consent must be checked if it will become personal
    data there (guidebook 15.3 ④), which the data map cannot tell."""
    given = {f.source for f in flows if f.source_kind == "item"}
    return [
        f"「{it.name}」は個人関連情報です。提供先で個人データとして扱う（IDと結びつける）ことが見込まれるなら、"
        "提供先が本人の同意を得ていることの確認が必要です（ガイドブック 15.3 ①④個人関連情報）"
        for key, (_src, it) in items.items()
        if it.pi_class == "related" and key in given
    ]


def _dataset_assets(assets: list[_Asset]) -> dict[str, list[_Asset]]:
    """Matrix datasets (guidebook 11.3) -> the prefecture's assets that are that dataset: same name (with or
    without 一覧), or the dataset's standard model (data/ods_matrix.csv model column)."""
    out: dict[str, list[_Asset]] = defaultdict(list)
    by_model: dict[str, list[_Asset]] = defaultdict(list)
    by_name: dict[str, list[_Asset]] = defaultdict(list)
    for x in assets:
        if x.model_row is not None:
            by_model[x.model_row["model"]].append(x)
        by_name[fold(x.row.name)].append(x)
        by_name[fold(x.row.name).removesuffix("一覧")].append(x)
    for dataset, model in dict.fromkeys((d, m) for _, d, m in _matrix_rows()):
        hits = list(by_name.get(fold(dataset), [])) + list(
            by_name.get(fold(dataset).removesuffix("一覧"), [])
        )
        if model:
            hits += by_model.get(str(model), [])
        seen: dict[str, _Asset] = {}
        for h in hits:
            seen.setdefault(h.row.id, h)
        out[dataset] = list(seen.values())
    return out


def _matrix_candidates(
    pref: Prefecture, assets: list[_Asset], flows: list[Flow], sfield: dict[str, tuple[str | None, str]]
) -> tuple[list[Candidate], dict[str, MissingDataset]]:
    """Datasets of guidebook 11.3's matrix for each service's field: held on a platform and not yet used by
    the service (a candidate, its own platform first), or not held in the prefecture at all (missing)."""
    by_field = _matrix_by_field()
    ds_assets = _dataset_assets(assets)
    taken: dict[str, set[str]] = defaultdict(set)
    for f in flows:
        taken[f.service].add(f.source)
    cands: list[Candidate] = []
    missing: dict[str, MissingDataset] = {}
    for s in pref.services:
        f = sfield[s.id][0]
        for dataset, model in by_field.get(f, ()) if f else ():
            hits = ds_assets.get(dataset, [])
            if not hits:  # one entry per dataset (a dataset several fields want is one missing dataset)
                entry = missing.setdefault(
                    dataset, MissingDataset(field=f, dataset=dataset, services=[], model=model or None)
                )
                if f not in entry.fields:
                    entry.fields.append(f)
                entry.services.append(s.id)
                continue
            usable = [x for x in hits if x.row.platform]
            if any(x.row.id in taken[s.id] for x in hits) or not usable:
                continue  # the service already uses this dataset, or no platform holds it
            x = next((h for h in usable if h.row.platform == s.platform), usable[0])  # its own platform first
            cands.append(
                Candidate.model_construct(
                    service=s.id,
                    service_field=f,
                    data=x.row.name,
                    asset=x.row.id,
                    data_field=x.field,
                    dataset=dataset,
                    kind="matrix",
                    source="guidebook 11.3",
                )
            )
    return cands, missing


def _item_candidates(
    pref: Prefecture,
    flows: list[Flow],
    sfield: dict[str, tuple[str | None, str]],
    items: dict[str, tuple[str, Any]],
) -> list[Candidate]:
    """Another service's external data that nobody uses, for services of a field whose matrix names it."""
    consumed = {fl.source for fl in flows if fl.source_kind == "item"}
    fields_of_dataset: dict[str, set[str]] = defaultdict(set)
    for fld, dataset, model in _matrix_rows():
        fields_of_dataset[fold(dataset)].add(fld)
        if model:
            fields_of_dataset[fold(str(model))].add(fld)
    out = []
    for key, (src, it) in items.items():
        if key in consumed:
            continue
        model = standard_model(it.model) if it.model else model_from_name(it.name)
        wanted = fields_of_dataset.get(fold(it.name), set()) | (
            fields_of_dataset.get(fold(model["model"]), set()) if model else set()
        )
        out += [
            Candidate(
                service=s.id,
                service_field=sfield[s.id][0] or "",
                data=it.name,
                asset=None,
                data_field=sfield[src][0],
                dataset=model["model"] if model else it.name,
                kind="item",
                source="guidebook 11.2（サービスを起点とした新たな連携シナリオ）; 11.3",
            )
            for s in pref.services
            if s.id != src and sfield[s.id][0] in wanted and sfield[s.id][0] != sfield[src][0]
        ]
    return out


def _candidates(
    pref: Prefecture,
    assets: list[_Asset],
    flows: list[Flow],
    sfield: dict[str, tuple[str | None, str]],
    rows: dict[str, Any],
    items: dict[str, tuple[str, Any]],
) -> tuple[list[Candidate], list[MissingDataset]]:
    """Cross-field candidates (C6) and the matrix datasets missing in the prefecture (guidebook 11.1 意義4)."""
    cands, missing = _matrix_candidates(pref, assets, flows, sfield)
    cands += _item_candidates(pref, flows, sfield, items)
    # unique and cross-field first
    uniq: dict[tuple[str, str], Candidate] = {}
    for c in cands:
        uniq.setdefault((c.service, c.asset or c.data), c)
    out = sorted(uniq.values(), key=lambda c: (c.data_field == c.service_field, c.service, c.data))
    return out, sorted(missing.values(), key=lambda m: (field_order(m.field), m.dataset))


def _coverage(pref: Prefecture, assets: list[_Asset]) -> list[Coverage]:
    out = []
    by_platform: dict[str, list[_Asset]] = defaultdict(list)
    for x in assets:
        if x.row.platform:
            by_platform[x.row.platform].append(x)
    for p in pref.platforms:
        xs = by_platform.get(p.id, [])
        if not xs:
            continue
        avail = [
            x for x in xs if x.model_row is not None and x.model_row["status"] in ("published", "delegated")
        ]
        declared = [x for x in avail if x.level in DECLARED]
        stated = [x for x in avail if x.level != "unknown"]  # the workbook says declared or 独自
        later = [
            x for x in xs if x.model_row is not None and x.model_row["status"] in ("announced", "planned")
        ]
        out.append(
            Coverage(
                platform=p.id,
                assets=len(xs),
                with_model=len(avail),
                declared=len(declared),
                unknown=len(avail) - len(stated),
                share=(len(declared) / len(stated)) if stated else None,
                announced_only=len(later),
                migrate=[x.row.name for x in avail if x.level == "none"],
            )
        )
    return out


@functools.cache
def _layers() -> list[tuple[str, str]]:
    df = reference.table("interop_layers.csv").sort_values("order")
    return list(zip(df["code"], df["label_ja"], strict=True))


def _semantic_layer(c: Coverage | None) -> tuple[bool | None, str]:
    """The semantic layer of guidebook 10.1 (図22) from a platform's coverage: 不明 where the data map does not
    state the models (never 「なし」)."""
    if c is None or not c.with_model:
        return None, "標準データモデルのあるデータアセットがデータマップにない"
    if c.share is None:
        return None, f"標準データモデルの記載がない（{c.unknown} 件は不明）"
    stated = c.with_model - c.unknown
    evidence = f"準拠と申告 {c.declared}/{stated} 件（{c.share:.0%}、基準 {SEMANTIC_THRESHOLD:.0%}）" + (
        f"、記載なし {c.unknown} 件は数えない" if c.unknown else ""
    )
    return c.share >= SEMANTIC_THRESHOLD, evidence


def _interop(
    pref: Prefecture, flows: list[Flow], coverage: list[Coverage], rows: dict[str, Any]
) -> list[Interop]:
    cov = {c.platform: c for c in coverage}
    services = {s.id: s for s in pref.services}
    out = []
    for p in pref.platforms:
        fs = [f for f in flows if f.platform == p.id and f.route == "platform"]
        api_flows = [f for f in fs if f.api_capable]
        gateway = "api_gateway" in p.modules
        if p.api_published is True and (api_flows or gateway):
            t, te = (
                True,
                "API公開"
                + (f"、APIで取得できる流れ {len(api_flows)} 件" if api_flows else "")
                + ("、APIゲートウェイ" if gateway else ""),
            )
        elif p.api_published is None:
            t, te = None, "API公開の有無が不明"
        else:
            t, te = (
                False,
                (
                    "APIを公開していない"
                    if p.api_published is False
                    else "基盤経由の流れにAPIで取得できる方式がない"
                ),
            )
        s, se = _semantic_layer(cov.get(p.id))
        terms = p.terms
        org_parts = []
        ok = terms.exists and terms.platform_service_split and terms.certification_audit
        org_parts.append("規約・責任分界・認定と監査: " + ("記載あり" if ok else "不足"))
        personal_out = [
            it
            for sid, r in rows.items()
            if services[sid].platform == p.id
            for it in r.external
            if it.pi_class == "personal" and it.to
        ]
        if personal_out:
            consent = {it.consent for it in personal_out}
            if consent == {"managed"}:
                org_parts.append("同意管理: 記録あり")
            elif "none" in consent:
                org_parts.append("同意管理: なしと記載")
                ok = False
            else:
                org_parts.append("同意管理: 記載なし（不明）")
                ok = None if ok is not False else False
        o = ok
        layers = [
            Layer(code=code, label=label, held=held, evidence=ev)
            for (code, label), held, ev in zip(
                _layers(), (t, s, o), (te, se, "、".join(org_parts)), strict=True
            )
        ]
        stage = 0
        for layer in layers:
            if layer.held is True:
                stage += 1
            else:
                break
        cross = [f for f in flows if f.platform == p.id and f.cross_field]
        unknown = [f for f in flows if f.platform == p.id and not (f.data_field and f.service_field)]
        out.append(
            Interop(
                platform=p.id,
                layers=layers,
                stage=stage,
                cross_field=bool(cross),
                evidence_cross=f"分野をまたぐ流れ {len(cross)} 件"
                if cross
                else (
                    f"分野が分からない流れ {len(unknown)} 件（分野をまたぐかは不明）"
                    if unknown
                    else "分野をまたぐ流れはない"
                ),
            )
        )
    return out


def _data_stages(fs: list[Flow]) -> dict[str, str]:
    """Stages reached by the non-personal data through one platform (guidebook 11.3, 12.1–12.3): static data,
    real-time data, data used by services of two or more fields."""
    ev: dict[str, str] = {}
    np_ = [f for f in fs if not f.personal]
    static = [f for f in np_ if f.source_kind == "asset" and not (set(f.frequency) & REALTIME)]
    if static:
        ev["static_gis"] = "静的なデータ: " + _first_and_others(static)
    rt = [f for f in np_ if set(f.frequency) & REALTIME]
    if rt:
        ev["realtime"] = "動的なデータ: " + _first_and_others(rt)
    fields_per_source: dict[str, set[str]] = defaultdict(set)
    for f in fs:
        if f.service_field:
            fields_per_source[f.source].add(f.service_field)
    multi = [s for s, fl in fields_per_source.items() if len(fl) >= 2]
    if multi:
        ev["multi_use"] = f"{len(multi)} 件のデータを2分野以上のサービスが利用"
    return ev


def _first_and_others(fs: list[Flow]) -> str:
    """「指定避難所一覧 ほか 3 件」: the first data and how many other data (distinct data, not flows)."""
    names = list(dict.fromkeys(f.data for f in fs))
    return names[0] + (f" ほか {len(names) - 1} 件" if len(names) > 1 else "")


def _personal_stages(pref: Prefecture, p: Platform, fs: list[Flow], flows: list[Flow]) -> dict[str, str]:
    """Stages that need sign-in or personal data: a common ID, personal data exchanged across fields, both
    kinds of data crossing fields."""
    ev: dict[str, str] = {}
    services = {s.id: s for s in pref.services}
    signin = [s for s in pref.services if s.platform == p.id and (s.category or s.levels)]
    if p.has_auth and len(signin) >= 2:
        ev["common_id"] = (
            f"個人認証サービスとサインインが必要なサービス {len(signin)} 件（OIDC の採用はデータマップからは分からない）"
        )
    pers = [
        f
        for f in flows
        if f.personal
        and f.source_kind == "item"
        and f.cross_field
        and f.from_service in services
        and services[f.from_service].platform == p.id
    ]
    if pers:
        first = services[pers[0].service].name if pers[0].service in services else pers[0].service
        ev["personal_exchange"] = f"{pers[0].data} → {first}" + (
            f" ほか {len(pers) - 1} 件" if len(pers) > 1 else ""
        )
    np_cross = any(f.cross_field for f in fs if not f.personal)
    if np_cross and any(f.cross_field for f in fs if f.personal) | bool(pers):
        ev["combined"] = "非パーソナルとパーソナルの両方のデータが分野をまたいで流れている"
    return ev


def _stages(pref: Prefecture, flows: list[Flow]) -> list[Stages]:
    """The utilisation stages each platform has reached, with the evidence, and the next one."""
    order = list(_stage_labels())
    out = []
    for p in pref.platforms:
        fs = [f for f in flows if f.platform == p.id and f.route == "platform"]
        ev = _data_stages(fs) | _personal_stages(pref, p, fs, flows)
        reached = [c for c in order if c in ev]
        nxt = next((c for c in order if c not in ev), None)
        if fs or reached:
            out.append(Stages(platform=p.id, reached=reached, next=nxt, evidence=ev))
    return out


@functools.cache
def _phase_labels() -> dict[int, str]:
    df = reference.table("migration_phases.csv")
    return {int(k): str(v) for k, v in zip(df["phase"], df["label_ja"], strict=True)}


def _migration(
    pref: Prefecture, flows: list[Flow], assets: list[_Asset], rows: dict[str, Any]
) -> list[Phase]:
    labels = _phase_labels()
    out = []
    for p in pref.platforms:
        fs = [f for f in flows if f.platform == p.id and f.route == "platform" and f.methods]
        if not fs:
            continue
        ld = [f for f in fs if "ngsi_ld" in f.methods]
        legacy_only = [f for f in fs if "ngsi_ld" not in f.methods]
        new = [sid for sid, r in rows.items() if r.status in ("building", "planned")]
        new_flows = [f for f in fs if f.service in new]
        by = {x.row.id: x for x in assets}
        new_ok = bool(new_flows) and all(
            "ngsi_ld" in f.methods and (f.source_kind != "asset" or by[f.source].level in DECLARED)
            for f in new_flows
        )
        if not legacy_only:
            phase, ev = 4, f"すべての流れ（{len(fs)} 件）が NGSI-LD"
        elif not ld:
            phase, ev = 1, f"NGSI-LD の流れがない（旧方式 {len(legacy_only)} 件）"
        elif new_ok:
            phase, ev = 3, f"新規サービスは NGSI-LD と標準データモデル、旧方式も {len(legacy_only)} 件残る"
        else:
            phase, ev = 2, f"NGSI-LD {len(ld)} 件と旧方式 {len(legacy_only)} 件が併存"
        out.append(Phase(platform=p.id, phase=phase, label=labels[phase], evidence=ev + "（目安）"))
    return out


def _kpis(
    flows: list[Flow], assets: list[_Asset], duplicates: list[list[str]], pref: Prefecture
) -> list[Kpi]:
    kdf = reference.table("kpis.csv").set_index("code")
    used = {f.service for f in flows if f.target_kind == "service"} | {
        f.from_service for f in flows if f.from_service
    }
    linked = {f.source for f in flows if f.source_kind == "asset" and f.route == "platform"}
    dup_extra = sum(len(set(g) & linked) - 1 for g in duplicates if len(set(g) & linked) > 1)
    api = sum(f.api_capable for f in flows)
    return [
        Kpi(
            code="connected_services",
            label=str(kdf.loc["connected_services", "label_ja"]),
            value=len(used),
            unit=str(kdf.loc["connected_services", "unit_ja"]),
            note=f"データの流れがあるサービスだけを数える（登録 {len(pref.services)} 件）",
            source="guidebook 8.3（実利用の有無）; データマップ",
        ),
        Kpi(
            code="linked_data_assets",
            label=str(kdf.loc["linked_data_assets", "label_ja"]),
            value=len(linked) - dup_extra,
            unit=str(kdf.loc["linked_data_assets", "unit_ja"]),
            note=f"基盤経由で使われるデータアセット、重複登録は1件と数える（重複 {dup_extra} 件を除外）",
            source="guidebook 8.3（重複データを含めない）; データマップ",
        ),
        Kpi(
            code="api_flow_share",
            label="APIで取得できるデータの流れの割合",
            value=round(100 * api / len(flows), 1) if flows else None,
            unit="%",
            note="提供方法が NGSI・REST API・Webhook・ストリーミングの流れ",
            source="guide 4.3; ワークベンチの指標（提案）",
        ),
        Kpi(
            code="cross_field_flows",
            label="分野をまたぐデータの流れ",
            value=sum(f.cross_field for f in flows),
            unit="件",
            note="データの分野とサービスの分野が異なる流れ"
            + (
                f"（分野が分からない流れ {sum(not (f.data_field and f.service_field) for f in flows)} 件は数えない）"
                if any(not (f.data_field and f.service_field) for f in flows)
                else ""
            ),
            source="guide 4; guidebook 10.1; ワークベンチの指標（提案）",
        ),
    ]


def _yes_no(v: bool | None) -> str:
    return {True: "あり", False: "なし", None: "不明"}[v]


_PROTOCOL = {
    "ngsi_v2": "ngsi_v2",
    "ngsi_ld": "ngsi_ld",
    "rest_api": "rest",
    "webhook": "rest",
    "stream": "other",
    "file": "file",
}


def _apis(pref: Prefecture, flows: list[Flow], assets: list[_Asset] | None = None) -> list[ApiRow]:
    dm = pref.data_map
    out: list[ApiRow] = []
    entries = list(dm.apis) if dm else []
    for e in entries:
        out.append(
            ApiRow(
                platform=e.platform,
                side=e.side,
                name=e.name,
                protocol=e.protocol,
                published=e.published if e.published is not None else pref.platform(e.platform).api_published,
                basis=("入力" + (f"（{e.source}）" if e.source else ""))
                if e.published is not None
                else "入力（公開の有無は基盤の属性）",
                spec=e.spec,
                data=list(e.data),
            )
        )
    for p in pref.platforms:
        if not (p.has_non_personal or p.has_personal):
            continue
        sides = {e.side for e in entries if e.platform == p.id}
        fs = [f for f in flows if f.platform == p.id and f.route == "platform"]
        if "service" not in sides:
            protos = sorted({_PROTOCOL[m] for f in fs for m in f.methods if m in _PROTOCOL})
            if protos:
                for proto in protos:
                    data = sorted({f.data for f in fs if any(_PROTOCOL.get(m) == proto for m in f.methods)})
                    file = proto == "file"  # a file download is no API: never shown as a published one
                    out.append(
                        ApiRow(
                            platform=p.id,
                            side="service",
                            name="ファイル提供（CSV などのダウンロード。APIではない）"
                            if file
                            else f"{_vocab_label('api_protocol', proto)}（データマップの提供方法から）",
                            protocol=proto,
                            published=None if file else p.api_published,
                            basis="データマップの提供方法から推定"
                            + ("" if file else "; 公開の有無は基盤の属性"),
                            data=data,
                        )
                    )
            else:
                out.append(
                    ApiRow(
                        platform=p.id,
                        side="service",
                        name="（記録なし）",
                        protocol="—",
                        published=None,
                        basis=f"公開API一覧に記録がない（基盤の属性のAPI公開: {_yes_no(p.api_published)}）",
                    )
                )
        if "asset" not in sides:
            out.append(
                ApiRow(
                    platform=p.id,
                    side="asset",
                    name="（記録なし）",
                    protocol="—",
                    published=None,
                    basis="データマップにはデータアセット向けの接続方式の列がなく、公開API一覧にも記録がない"
                    f"（基盤の属性のAPI公開: {_yes_no(p.api_published)}）",
                )
            )
    return out


# --- for the 課題リスト, the vision and the plan ------------------------------------------------------------


def issue_findings(pref: Prefecture) -> list[dict[str, Any]]:
    """The data map's findings for the classification's 課題リスト, as {code, platform, service, detail}."""
    if pref.data_map is None:
        return []
    return [f.model_dump() for f in datamap(pref).findings]


class CrossFieldGoals(Result):
    """What the データマップ contributes to the Step 2 vision: cross-field goals and measurable KPIs."""

    prefecture: PrefRef
    has_data_map: bool
    goals: list[dict[str, str]]
    kpis: list[Kpi]
    sources: dict[str, str]

    def card_title(self) -> str:
        return f"{self.prefecture.name} 分野横断の目標（データマップから）"

    def card_rows(self) -> list[tuple[str, str]]:
        return [(g["目標"], g["内容"]) for g in self.goals]

    FRAME_COLUMNS: ClassVar[dict[str, str]] = {
        "goal": "the goal (Japanese)",
        "detail": "what it means for this prefecture (Japanese)",
        "source": "the guide or guidebook section",
    }

    def to_frame(self) -> pd.DataFrame:
        """One row per goal (columns: :attr:`FRAME_COLUMNS`)."""
        recs = [{"goal": g["目標"], "detail": g["内容"], "source": g["根拠"]} for g in self.goals]
        return frame(recs, self.FRAME_COLUMNS)

    def to_staff_frame(self) -> pd.DataFrame:
        """One row per goal as staff read it (目標, 内容, 根拠)."""
        return frame(self.goals, ["目標", "内容", "根拠"])

    def kpis_frame(self) -> pd.DataFrame:
        recs = [
            {"KPI": k.label, "現状値": _num(k.value), "単位": k.unit, "出典": k.source} for k in self.kpis
        ]
        return frame(recs, ["KPI", "現状値", "単位", "出典"])


def vision_goals(pref: Prefecture, res: DataMapResult | None = None) -> CrossFieldGoals:
    """Cross-field goals for the vision (Step 2) from the data map: realise the candidate links, fill the missing
    datasets, reach the next utilisation stage, raise standard-model coverage, publish APIs; with the data map's
    output KPIs as today's values."""
    res = res or datamap(pref)
    goals: list[dict[str, str]] = []
    if res.has_data_map:
        cross = [f for f in res.flows if f.cross_field]
        unknown = [f for f in res.flows if not (f.data_field and f.service_field)]
        pairs = sorted({(field_label(f.data_field), field_label(f.service_field)) for f in cross})
        if cross:
            what = f"現在 {len(cross)} 件（" + "、".join(f"{a}→{b}" for a, b in pairs[:6]) + "）"
        elif unknown:
            what = f"分野が分からない流れが {len(unknown)} 件あり、分野をまたぐかは不明。サービスとデータの分野を確かめる"
        else:
            what = "現在はない。分野横断サービスを企画する"
        goals.append({"目標": "分野をまたぐデータの流れ", "内容": what, "根拠": "guide 4; guidebook 12.4"})
        if res.candidates:
            top = res.candidates[:5]
            goals.append(
                {
                    "目標": "多目的利用の候補を実現する",
                    "内容": "、".join(f"{c.data}→{res.service_name(c.service)}" for c in top)
                    + (f" ほか {len(res.candidates) - 5} 件" if len(res.candidates) > 5 else ""),
                    "根拠": "guidebook 11.3; 12.4 ②",
                }
            )
        if res.missing:
            goals.append(
                {
                    "目標": "不足しているデータを整備する",
                    "内容": _listed(sorted({m.dataset for m in res.missing}), 8),
                    "根拠": "guidebook 11.1 意義4",
                }
            )
        nxt = [f"{res.platform_name(s.platform)}: {_stage_labels()[s.next]}" for s in res.stages if s.next]
        if nxt:
            goals.append(
                {"目標": "活用の次の段階", "内容": "、".join(nxt), "根拠": "guidebook 11.3; 12.1–12.3"}
            )
        low = [c for c in res.coverage if c.share is not None and c.share < SEMANTIC_THRESHOLD]
        if low:
            goals.append(
                {
                    "目標": "標準データモデルへの準拠",
                    "内容": "、".join(
                        f"{res.platform_name(c.platform)} {c.share:.0%}→{SEMANTIC_THRESHOLD:.0%}以上"
                        for c in low
                    ),
                    "根拠": "guidebook 10.3; 10.4 ①",
                }
            )
        closed = sorted({a.platform for a in res.apis if a.published is False})
        if closed:
            goals.append(
                {
                    "目標": "APIの関係者への公開",
                    "内容": "、".join(res.platform_name(p) for p in closed),
                    "根拠": "guide 4.3",
                }
            )
        unknown_cov = [c for c in res.coverage if c.share is None and c.unknown]
        if unknown_cov:
            goals.append(
                {
                    "目標": "標準データモデルへの準拠を確かめる",
                    "内容": "、".join(
                        f"{res.platform_name(c.platform)}（記載のないデータアセット {c.unknown} 件）"
                        for c in unknown_cov
                    ),
                    "根拠": "guidebook 10.3; 10.4 ①",
                }
            )
    return CrossFieldGoals(
        prefecture=res.prefecture,
        has_data_map=res.has_data_map,
        goals=goals,
        kpis=res.kpis,
        sources={
            "goals": "データマップ（your input）と guide 4, 4.3; guidebook 10–12",
            "kpis": SOURCES["kpis"],
        },
    )


def plan_items(pref: Prefecture) -> list[dict[str, Any]]:
    """Action items for the Step 3 plan from the data map's findings (data/datamap_actions.csv: title, owner role,
    duration and dependency are the project's defaults), one per finding code and platform; plus items for the
    cross-field candidates and the missing datasets. Plain dicts in the shape of
    :func:`workbench.plan.generated_items`; ids start with ``dm-``."""
    if pref.data_map is None:
        return []
    res = datamap(pref)
    acts = reference.table("datamap_actions.csv").set_index("finding")
    grouped: dict[tuple[str, str | None], list[Finding]] = defaultdict(list)
    for f in res.findings:
        if f.code in acts.index:
            grouped[(f.code, f.platform)].append(f)
    out: list[dict[str, Any]] = []

    def item(code: str, suffix: str, title: str, notes: str) -> dict[str, Any]:
        r = acts.loc[code]
        return dict(
            id=f"dm-{code.removeprefix('DM_').lower().replace('_', '-')}{suffix}",
            title=title,
            consideration=int(r["consideration"]),
            owner=str(r["owner"]),
            duration=int(r["duration_months"]),
            depends_on=[d for d in str(r["depends_on"]).split("|") if d],
            notes=notes,
            source=f"データマップ; {r['source']}; 担当・期間・依存はワークベンチの既定（data/datamap_actions.csv）",
        )

    for (code, platform), fs in sorted(grouped.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        title = str(acts.loc[code, "title_ja"]) + (f"（{res.platform_name(platform)}）" if platform else "")
        notes = "; ".join(f.detail for f in fs[:5]) + (f" ほか {len(fs) - 5} 件" if len(fs) > 5 else "")
        out.append(item(code, f"-{platform}" if platform else "", title, notes))
    if res.candidates:
        notes = "、".join(f"{c.data}→{res.service_name(c.service)}" for c in res.candidates[:5]) + (
            f" ほか {len(res.candidates) - 5} 件" if len(res.candidates) > 5 else ""
        )
        out.append(item("candidates", "", str(acts.loc["candidates", "title_ja"]), notes))
    if res.opportunities:
        notes = _listed([f"{o.data}（{res.service_name(o.service)}）" for o in res.opportunities], 5)
        out.append(item("scenarios", "", str(acts.loc["scenarios", "title_ja"]), notes))
    if res.missing:
        notes = _listed(sorted({m.dataset for m in res.missing}), 8)
        out.append(item("missing", "", str(acts.loc["missing", "title_ja"]), notes))
    return out
