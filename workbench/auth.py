"""Authentication-level matching (guide 3.4 身元確認・当人認証レベル, 基盤間連携（認証連携）; guide 4.1).

``match_auth(pref, on=date)`` answers, for one prefecture file on one date:

* per service — the levels it requires (its category's, or its own ``levels``), the levels its platform
  offers, whether they suffice, and exactly what is missing (a level in a named dimension, or one of the means
  a law names);
* per platform — the smallest set of means to add so that every service on it is satisfied (exact search over
  the small catalogue), and the combinations that work on their own (a proofing means plus a login means);
* across platforms — the effective level of each service's data chain (the lowest along it), the flows that
  a level check would deny (pattern C's rule: the source or an intermediate platform is below the service's
  requirement), and whether each auth-federated pair is aligned, with which platform to raise and to what.

Rules (documented choices)
--------------------------
* Levels are integers 1–3; **0 means "none"**: a platform with no means and no declared levels offers 0/0.
* The **kind of service** decides its need (guide 4.1 2/2: 「公的な個人認証が必要なサービス（健康保険・ヘルスケア・
  電子申請など）」, 「本人の実在性なく当人性のみの確認を行うサービス（ポイントサービスなど）」): an explicit category (or
  the service's own ``levels``) wins over its name, so 「ヘルスケアポイント」 of category points needs points' levels.
  A service with neither:

  - whose name or data model says health or e-application (the keywords of data/service_categories.csv) is
    **inferred** to need public personal authentication (basis ``inferred``); a shortfall is the 4.1 finding
    HEALTH_AUTH_BELOW_PUBLIC, marked as inferred from the name, with a request to confirm the category;
  - that handles personal data is of **unknown** need (basis ``unknown``): never shown as satisfied
    (``satisfied`` false, ``need_known`` false, one ``missing`` entry of kind ``category``), finding
    SERVICE_CATEGORY_UNKNOWN;
  - otherwise needs no sign-in (basis ``none``, required 0/0, satisfied).
* A platform's **offered** proofing is the highest proofing level reached by its means valid on the date, and
  likewise for the authenticator: a means that reaches one dimension only combines with another (eKYC for
  proofing plus a passkey for login; DOMAIN.md §6). Without means, the declared ``identity_proofing`` /
  ``authenticator`` are used. When both exist and disagree, the means win and the disagreement is reported
  (finding ``DECLARED_MISMATCH``).
* A service with its own ``levels`` uses them instead of its category's; the means its category's law names
  still apply (the law does not change with the levels).
* Means the law names (``means_required``): at least one must be on the platform and valid on the date.
* ``satisfied`` compares the service with its own platform only; the chain through other platforms is in
  ``effective`` / ``chain_satisfied`` and in ``denied_flows``.

Findings (``AuthMatch.findings``): SERVICE_LEVEL_GAP, FED_LEVEL_MISMATCH, MULTI_PREF_UNALIGNED (these three are
in data/issue_rules.csv and reach the classification's 課題リスト through :func:`issue_findings`), and
DECLARED_MISMATCH, MEANS_EXPIRED, MEANS_EXPIRING, DENIED_FLOW (auth view only until rules exist for them;
:func:`issue_findings` passes on any code that data/issue_rules.csv defines).

Catalogues: data/id_means.csv and data/service_categories.csv (the project's default assumptions, see
data/AUTH_README.md), plus the file's ``auth:`` section.
"""

from __future__ import annotations

import functools
import itertools
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar, Literal

import pandas as pd
from pydantic import BaseModel, Field

from . import reference
from .datamap import derived_sources
from .inventory import Platform, Prefecture, Service, checked
from .inventory.authcat import CATEGORY_TABLE, MEANS_TABLE
from .results import Result, frame

DIMENSIONS = ("proofing", "authenticator")  # data/labels.csv auth_dimension
SRC_LEVELS = "guide 3.4 身元確認レベル・当人認証レベル（DS-500, 2019）"
SRC_FED = "guide 3.4 基盤間連携（認証連携）"
SRC_CATEGORIES = "guide 4.1 2/2（サービスの種類と本人確認手段）"
SRC_FLOWS = "guidebook パターンC 取組事項（データ提供元と利用先のレベル差の自動検知・アクセス拒否）"
YOUR_INPUT = "your input（都道府県ファイル）"
MAX_ALTERNATIVES = 20
MAX_COMBINATIONS = 30


def dim_label(dimension: str) -> str:
    """身元確認 or 当人認証 (data/labels.csv, enumeration ``auth_dimension``)."""
    return reference.label("auth_dimension", dimension)


# --- result models ------------------------------------------------------------------------------------


class LevelPair(BaseModel):
    """身元確認レベル and 当人認証レベル; 0 = none."""

    proofing: int = 0
    authenticator: int = 0

    def covers(self, other: LevelPair) -> bool:
        return self.proofing >= other.proofing and self.authenticator >= other.authenticator

    def text(self) -> str:
        """The compact form analysts search for ("2/1"); staff read :meth:`words`."""
        return f"{self.proofing}/{self.authenticator}"

    def words(self) -> str:
        """The levels as staff read them: 「身元確認レベル2・当人認証レベル1」 (「…なし」 for 0)."""
        return "・".join(level_words(d, getattr(self, d)) for d in DIMENSIONS)


def level_words(dimension: str, level: int) -> str:
    """One level in words: 「身元確認レベル2」, 「当人認証なし」 for 0 (guide 3.4)."""
    return f"{dim_label(dimension)}レベル{level}" if level else f"{dim_label(dimension)}なし"


def required_words(s: ServiceMatch) -> str:
    """What a service needs, as staff read it: the levels in words, 「不要」 without sign-in, 「不明（種別が未記入）」
    where the need is unknown, and 「（名前から推定）」 where it is inferred."""
    if s.basis == "none":
        return "不要（サインインなし）"
    if s.basis == "unknown":
        return "不明（サービス種別が未記入）"
    return s.required.words() + ("（サービス名から推定）" if s.basis == "inferred" else "")


def verdict_words(s: ServiceMatch) -> str:
    """「充足」「不足」, or 「要確認」 where the need is not known (a service whose need is unknown is never 充足)."""
    if not s.need_known:
        return "不足（推定）" if s.basis == "inferred" and not s.satisfied else "要確認"
    return "充足" if s.satisfied else "不足"


class MeansInfo(BaseModel):
    """One ID means of the catalogue (default or the file's)."""

    code: str
    label: str
    proofing: int | None
    authenticator: int | None
    valid_from: date | None = None
    valid_until: date | None = None
    reasoning: str
    source: str
    default_assumption: bool
    origin: Literal["default", "file"]

    def valid_on(self, on: date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_until is None or on <= self.valid_until
        )


class CategoryInfo(BaseModel):
    """One service category with the levels it needs and the means a law names (any one of them)."""

    code: str
    label: str
    proofing: int
    authenticator: int
    means_required: list[str]
    reasoning: str
    source: str
    default_assumption: bool
    origin: Literal["default", "file"]


class Missing(BaseModel):
    """One thing a service lacks: a level in one dimension, or one of the means a law names."""

    kind: Literal["proofing", "authenticator", "means", "category"]
    required: int | None = None
    offered: int | None = None
    means_any_of: list[str] = Field(default_factory=list)
    message: str


class ServiceMatch(BaseModel):
    service: str
    name: str
    platform: str
    category: str | None
    basis: Literal["category", "override", "inferred", "unknown", "none"] = Field(
        description="category: 種別の既定 / override: サービスの levels 指定 / inferred: 種別が未記入で、名前から"
        "公的な個人認証が必要なサービスと推定 / unknown: 種別が未記入でパーソナルデータを扱う（必要なレベルが不明）/ "
        "none: サインイン不要"
    )
    need_known: bool = Field(
        True, description="必要なレベルが種別か個別指定で決まっているか（推定・不明なら false）"
    )
    required: LevelPair
    means_required: list[str]
    offered: LevelPair
    satisfied: bool
    missing: list[Missing]
    chain: list[str] = Field(description="このサービスのデータが通る基盤（自基盤を先頭に）")
    effective: LevelPair = Field(description="経路上の最低レベル")
    chain_satisfied: bool
    source: str


class Addition(BaseModel):
    """A set of means that together work (to add to a platform, or used alone)."""

    means: list[str]
    reaches: LevelPair


class PlatformMatch(BaseModel):
    platform: str
    name: str
    has_auth: bool
    means: list[str]
    means_valid: list[str]
    means_expired: list[str]
    offered: LevelPair
    offered_basis: Literal["means", "declared", "none"]
    declared: LevelPair | None
    declared_mismatch: bool
    services: list[str]
    required_max: LevelPair
    all_satisfied: bool
    means_to_add: list[str] | None = Field(
        description="全サービスを満たすために追加する最小の手段（不可能なら null）"
    )
    alternatives: list[Addition] = Field(description="同じ最小数の追加案")
    combinations: list[Addition] = Field(
        description="単独で全サービスを満たす組合せ（身元確認手段＋ログイン手段）"
    )


class RaiseStep(BaseModel):
    platform: str
    dimension: Literal["proofing", "authenticator"]
    current: int
    to: int


class FederationPair(BaseModel):
    platforms: list[str]
    levels: list[LevelPair]
    aligned: bool
    raise_: list[RaiseStep] = Field(default_factory=list, alias="raise", serialization_alias="raise")
    means_to_add: dict[str, list[str] | None] = Field(default_factory=dict)
    affected_services: list[str] = Field(default_factory=list)
    source: str = SRC_FED

    model_config = {"populate_by_name": True}


class DeniedFlow(BaseModel):
    service: str
    to_platform: str
    from_platform: str
    path: list[str]
    bottleneck: str
    required: LevelPair
    bottleneck_offered: LevelPair
    lacking: list[Literal["proofing", "authenticator"]]
    federated_path: bool = Field(description="データ連携の経路が見つかったか（なければ直接取得と仮定）")
    source: str = SRC_FLOWS


class Finding(BaseModel):
    code: str
    platform: str | None = None
    service: str | None = None
    detail: str = ""


class PrefectureRef(BaseModel):
    code: str
    name: str


class AuthMatch(Result):
    """The auth-matching result (CONTRACT.md auth JSON: ``services`` and ``federation``, plus details)."""

    prefecture: PrefectureRef
    on: date
    services: list[ServiceMatch]
    platforms: list[PlatformMatch]
    federation: list[FederationPair]
    denied_flows: list[DeniedFlow]
    findings: list[Finding]
    recommendations: list[str]
    means_catalogue: list[MeansInfo]
    categories: list[CategoryInfo]
    assumptions: list[str]
    sources: dict[str, str]

    def model_dump(self, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        kwargs.setdefault("by_alias", True)
        return super().model_dump(**kwargs)

    # --- presentation ---------------------------------------------------------------------------------
    def card_title(self) -> str:
        return f"{self.prefecture.name} 認証レベルの照合（{self.on.isoformat()} 時点）"

    def card_rows(self) -> list[tuple[str, str]]:
        signed = [s for s in self.services if s.basis != "none"]
        ok = sum(s.satisfied and s.need_known for s in signed)
        check = sum(not s.need_known for s in signed)
        short = len(signed) - ok - check
        return [
            ("基準日", self.on.isoformat()),
            (
                "サインインが必要なサービス",
                f"{len(signed)} 件（充足 {ok} 件、不足 {short} 件"
                + (f"、種別の確認が必要 {check} 件" if check else "")
                + "）",
            ),
            (
                "認証連携の組",
                f"{len(self.federation)} 組（不整合 {sum(not f.aligned for f in self.federation)} 組）",
            ),
            ("レベル不足で拒否されるデータ連携", f"{len(self.denied_flows)} 件"),
            ("手段カタログ", "本ツールの既定の仮定（本人確認手段の一覧）＋都道府県ファイルの認証の設定"),
        ]

    def card_tables(self) -> list[tuple[str, pd.DataFrame]]:
        recs = pd.DataFrame({"推奨": self.recommendations})
        return [
            ("サービス別", self.to_staff_frame()[["サービス", "基盤", "必要", "提供", "充足", "不足"]]),
            ("基盤別", self.platforms_frame()),
            ("認証連携", self.federation_frame()),
            ("拒否されるデータ連携", self.denied_flows_frame()),
            ("推奨", recs),
        ]

    FIELD_DOCS: ClassVar[dict[str, str]] = {
        "prefecture": "{code, name} of the prefecture",
        "on": "the date the means catalogue was read at",
        "services": "each service: required and offered levels, satisfied, what is missing, its data chain",
        "platforms": "each platform: valid and expired means, offered and declared levels, means to add",
        "federation": "auth-federated pairs: their levels, aligned, the raises that align them",
        "denied_flows": "data flows a lower level along the chain would refuse",
        "findings": "findings {code, platform, service, detail}",
        "recommendations": "what to do, in Japanese",
        "means_catalogue": "the ID means used (default catalogue plus the file's auth.means)",
        "categories": "the service categories and the levels each needs (guide 4.1)",
        "assumptions": "assumptions made, in Japanese",
        "sources": "where each part comes from",
    }

    FRAME_COLUMNS: ClassVar[dict[str, str]] = {
        "service": "service id",
        "name": "service name",
        "platform": "id of the platform it runs on",
        "category": "service category code (points | resident | financial | public | medical_advanced), or None",
        "basis": "where its need comes from: category | override | inferred | unknown | none (no sign-in)",
        "need_known": "whether the need is known (False: inferred or unknown; never counted as satisfied)",
        "required_proofing": "身元確認レベル it needs (0: none)",
        "required_authenticator": "当人認証レベル it needs (0: none)",
        "offered_proofing": "身元確認レベル its platform offers (0: none)",
        "offered_authenticator": "当人認証レベル its platform offers (0: none)",
        "satisfied": "whether the offered levels and means cover the need",
        "missing": "what is lacking, kinds joined by ``|`` (proofing | authenticator | means | category)",
        "means_required": "ID means codes a law requires, joined by ``|``",
        "chain": "platform ids its data passes, its own first, joined by ``|``",
        "effective_proofing": "the lowest 身元確認レベル along the chain",
        "effective_authenticator": "the lowest 当人認証レベル along the chain",
        "chain_satisfied": "whether the chain's levels cover the need",
        "source": "the guide section the need rests on",
    }

    def to_frame(self) -> pd.DataFrame:
        """One row per service, levels as numbers and codes (columns: :attr:`FRAME_COLUMNS`).

        >>> import workbench as wb
        >>> df = wb.match_auth(wb.load_sample("07")).to_frame()
        >>> df.loc[df["satisfied"], ["service", "required_proofing", "offered_proofing"]].values.tolist()[0]
        ['portal', 2, 2]
        """
        recs = [
            {
                "service": s.service,
                "name": s.name,
                "platform": s.platform,
                "category": s.category,
                "basis": s.basis,
                "need_known": s.need_known,
                "required_proofing": s.required.proofing,
                "required_authenticator": s.required.authenticator,
                "offered_proofing": s.offered.proofing,
                "offered_authenticator": s.offered.authenticator,
                "satisfied": s.satisfied,
                "missing": "|".join(m.kind for m in s.missing),
                "means_required": "|".join(s.means_required),
                "chain": "|".join(s.chain),
                "effective_proofing": s.effective.proofing,
                "effective_authenticator": s.effective.authenticator,
                "chain_satisfied": s.chain_satisfied,
                "source": s.source,
            }
            for s in self.services
        ]
        return frame(recs, self.FRAME_COLUMNS)

    def to_staff_frame(self) -> pd.DataFrame:
        """One row per service: required and offered levels in words, whether they suffice (「充足」「不足」, or
        「要確認」 where the need is not known: never 充足), what is missing, chain. Services, platforms and means by
        their names (the ids and codes are in :meth:`to_frame`)."""
        recs = [
            {
                "サービス": s.name or s.service,
                "基盤": self.platform_name(s.platform),
                "種別": reference.label("service_category", s.category) if s.category else "—",
                "根拠": reference.label("requirement_basis", s.basis),
                "必要": required_words(s),
                "提供": s.offered.words(),
                "充足": verdict_words(s),
                "不足": "; ".join(m.message for m in s.missing),
                "必要な手段": self.means_words(s.means_required),
                "経路": " ← ".join(self.platform_name(p) for p in s.chain),
                "経路の実効レベル": s.effective.words(),
                "経路で充足": s.chain_satisfied,
                "出典": s.source,
            }
            for s in self.services
        ]
        return frame(
            recs,
            [
                "サービス",
                "基盤",
                "種別",
                "根拠",
                "必要",
                "提供",
                "充足",
                "不足",
                "必要な手段",
                "経路",
                "経路の実効レベル",
                "経路で充足",
                "出典",
            ],
        )

    def means_words(self, codes: list[str] | None) -> str:
        """Means of identity proofing by their names (「マイナンバーカード（ICチップ読取）」), never their codes;
        「—」 for none."""
        labels = {m.code: m.label for m in self.means_catalogue}
        return "、".join(labels.get(c, c) for c in codes or []) or "—"

    def platforms_frame(self) -> pd.DataFrame:
        """One row per platform by name: the means it offers (valid, expired) by name, its levels, what to add."""
        recs = [
            {
                "基盤": p.name or p.platform,
                "手段（有効）": self.means_words(p.means_valid),
                "期限切れ": self.means_words(p.means_expired),
                "提供": p.offered.words(),
                "申告": p.declared.words() if p.declared else "—",
                "申告と相違": p.declared_mismatch,
                "必要（最大）": p.required_max.words(),
                "全サービス充足": p.all_satisfied,
                "追加する手段": "—"
                if p.means_to_add is None
                else (self.means_words(p.means_to_add) if p.means_to_add else "不要"),
            }
            for p in self.platforms
        ]
        return frame(
            recs,
            [
                "基盤",
                "手段（有効）",
                "期限切れ",
                "提供",
                "申告",
                "申告と相違",
                "必要（最大）",
                "全サービス充足",
                "追加する手段",
            ],
        )

    def platform_name(self, platform_id: str) -> str:
        """The platform's name as the file gives it (its id when the result does not list it)."""
        return next((p.name for p in self.platforms if p.platform == platform_id and p.name), platform_id)

    def service_name(self, service_id: str) -> str:
        """The service's name as the file gives it (its id when the result does not list it)."""
        return next((s.name for s in self.services if s.service == service_id and s.name), service_id)

    def federation_frame(self) -> pd.DataFrame:
        """Auth-federated pairs by the platforms' names (the ids stay in the JSON)."""
        name = self.platform_name
        recs = [
            {
                "基盤": " ⇔ ".join(name(p) for p in f.platforms),
                "レベル": " ⇔ ".join(x.words() for x in f.levels),
                "整合": f.aligned,
                "引き上げ": "、".join(
                    f"{name(r.platform)}の{dim_label(r.dimension)}レベルを{r.current}から{r.to}に"
                    for r in f.raise_
                ),
            }
            for f in self.federation
        ]
        return frame(recs, ["基盤", "レベル", "整合", "引き上げ"])

    def denied_flows_frame(self) -> pd.DataFrame:
        """Data flows refused for a level gap, by the services' and platforms' names."""
        name = self.platform_name
        recs = [
            {
                "サービス": self.service_name(d.service),
                "データ元": name(d.from_platform),
                "経路": " → ".join(name(p) for p in d.path),
                "低い基盤": name(d.bottleneck),
                "必要": d.required.words(),
                "低い基盤のレベル": d.bottleneck_offered.words(),
                "不足": "・".join(dim_label(x) for x in d.lacking),
            }
            for d in self.denied_flows
        ]
        return frame(recs, ["サービス", "データ元", "経路", "低い基盤", "必要", "低い基盤のレベル", "不足"])

    def matrix_frame(self, include_open: bool = False) -> pd.DataFrame:
        """Long table service × means: whether the means meets each requirement of the service.

        ``fit`` is 2 when the means alone satisfies the service, 1 when it meets part of it (one dimension,
        or it is a means the law names), 0 when it helps with nothing, -1 when it is not valid on the date.
        ``on_platform`` says whether the service's platform already has it.
        """
        cats = {m.code: m for m in self.means_catalogue}
        pmeans = {p.platform: set(p.means) for p in self.platforms}
        recs = []
        for s in self.services:
            if s.basis == "none" and not include_open:
                continue
            for m in self.means_catalogue:
                valid = cats[m.code].valid_on(self.on)
                p_ok = (m.proofing or 0) >= s.required.proofing and s.required.proofing > 0
                a_ok = (m.authenticator or 0) >= s.required.authenticator and s.required.authenticator > 0
                law = m.code in s.means_required
                alone = (
                    (m.proofing or 0) >= s.required.proofing
                    and (m.authenticator or 0) >= s.required.authenticator
                    and (not s.means_required or law)
                )
                fit = -1 if not valid else 2 if alone else 1 if (p_ok or a_ok or law) else 0
                recs.append(
                    {
                        "service": s.service,
                        "service_name": s.name,
                        "means": m.code,
                        "means_label": m.label,
                        "fit": fit,
                        "proofing_ok": p_ok,
                        "authenticator_ok": a_ok,
                        "named_by_law": law,
                        "valid": valid,
                        "on_platform": m.code in pmeans.get(s.platform, set()),
                    }
                )
        return frame(
            recs,
            [
                "service",
                "service_name",
                "means",
                "means_label",
                "fit",
                "proofing_ok",
                "authenticator_ok",
                "named_by_law",
                "valid",
                "on_platform",
            ],
        )

    def matrix(self, include_open: bool = False) -> pd.DataFrame:
        """Services (rows) × means (columns) of ``fit`` values (see :meth:`matrix_frame`), for notebooks."""
        long = self.matrix_frame(include_open)
        order = [m.code for m in self.means_catalogue]
        if long.empty:
            return pd.DataFrame(columns=order, dtype=int)
        wide = long.pivot(index="service", columns="means", values="fit")
        rows = list(dict.fromkeys(long["service"]))
        return wide.loc[rows, order]


# --- catalogues -----------------------------------------------------------------------------------


def _int(v: Any) -> int | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    if isinstance(v, float) and pd.isna(v):
        return None
    return int(v)


def _date(v: Any) -> date | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    return date.fromisoformat(str(v))


@functools.cache
def _default_means() -> tuple[MeansInfo, ...]:
    return tuple(
        MeansInfo(
            code=str(r["code"]),
            label=str(r["label_ja"]),
            proofing=_int(r["proofing"]),
            authenticator=_int(r["authenticator"]),
            valid_from=_date(r["valid_from"]),
            valid_until=_date(r["valid_until"]),
            reasoning=str(r["reasoning_ja"]),
            source=str(r["source"]),
            default_assumption=str(r["default_assumption"]) == "yes",
            origin="default",
        )
        for r in reference.table(MEANS_TABLE).to_dict("records")
    )


@functools.cache
def _default_categories() -> tuple[CategoryInfo, ...]:
    return tuple(
        CategoryInfo(
            code=str(r["code"]),
            label=str(r["label_ja"]),
            proofing=int(r["proofing"]),
            authenticator=int(r["authenticator"]),
            means_required=[x for x in str(r["means_required"]).split("|") if x],
            reasoning=str(r["reasoning_ja"]),
            source=str(r["source"]),
            default_assumption=str(r["default_assumption"]) == "yes",
            origin="default",
        )
        for r in reference.table(CATEGORY_TABLE).to_dict("records")
    )


def means_catalogue(pref: Prefecture | None = None) -> dict[str, MeansInfo]:
    """The ID-means catalogue in order: data/id_means.csv, then the file's ``auth.means`` (same code
    replaces the default entry in place)."""
    out = {m.code: m for m in _default_means()}
    if pref is not None and pref.auth is not None:
        for e in pref.auth.means:
            out[e.code] = MeansInfo(
                code=e.code,
                label=e.label,
                proofing=e.proofing,
                authenticator=e.authenticator,
                valid_from=e.valid_from,
                valid_until=e.valid_until,
                reasoning=e.reason,
                source=e.source,
                default_assumption=False,
                origin="file",
            )
    return out


def category_catalogue(pref: Prefecture | None = None) -> dict[str, CategoryInfo]:
    """The service-category catalogue (data/service_categories.csv) with the file's ``auth.categories``."""
    out = {c.code: c for c in _default_categories()}
    if pref is not None and pref.auth is not None:
        for code, o in pref.auth.categories.items():
            base = out.get(code)
            if base is None:  # rejected by the loader; tolerate models built in memory
                continue
            out[code] = base.model_copy(
                update={
                    "proofing": o.proofing if o.proofing is not None else base.proofing,
                    "authenticator": o.authenticator if o.authenticator is not None else base.authenticator,
                    "means_required": list(o.means_required)
                    if o.means_required is not None
                    else base.means_required,
                    "reasoning": "都道府県ファイルの auth.categories で変更",
                    "source": YOUR_INPUT,
                    "default_assumption": False,
                    "origin": "file",
                }
            )
    return out


def means_table(pref: Prefecture | None = None, on: date | None = None) -> pd.DataFrame:
    """The ID-means catalogue as a table (with ``valid`` on ``on`` when given)."""
    rows = [m.model_dump() for m in means_catalogue(pref).values()]
    df = pd.DataFrame(rows)
    if on is not None:
        df["valid"] = [m.valid_on(on) for m in means_catalogue(pref).values()]
    return df


def categories_table(pref: Prefecture | None = None) -> pd.DataFrame:
    """The service-category catalogue as a table."""
    return pd.DataFrame([c.model_dump() for c in category_catalogue(pref).values()])


# --- core rules (pure) ----------------------------------------------------------------------------


def reach(codes: Iterable[str], catalogue: dict[str, MeansInfo], on: date) -> LevelPair:
    """Levels reached by a set of means on a date: the highest per dimension among those valid."""
    p = a = 0
    for c in codes:
        m = catalogue.get(c)
        if m is None or not m.valid_on(on):
            continue
        p = max(p, m.proofing or 0)
        a = max(a, m.authenticator or 0)
    return LevelPair(proofing=p, authenticator=a)


class Requirement(BaseModel):
    levels: LevelPair
    means_required: list[str]
    basis: Literal["category", "override", "inferred", "unknown", "none"]
    source: str

    @property
    def counted(self) -> bool:
        """Whether the levels are a requirement to meet (a category, the service's own, or inferred)."""
        return self.basis in ("category", "override", "inferred")


#: the category guide 4.1 names for 健康保険・ヘルスケア・電子申請 (公的な個人認証が必要なサービス)
PUBLIC_CATEGORY = "public"
SRC_INFERRED = (
    "guide 4.1 2/2「公的な個人認証が必要なサービス（健康保険・ヘルスケア・電子申請など）」"
    "（サービス種別が未記入のため、サービス名から推定）"
)


@functools.cache
def _public_keywords() -> tuple[str, ...]:
    df = reference.table(CATEGORY_TABLE)
    return tuple(
        reference.fold(k) for ks in df["name_keywords_ja"] for k in str(ks).split("|") if k and k != "nan"
    )


def suggests_public_auth(service: Service) -> bool:
    """Whether a service's name or data model says it is one of the guide's 公的な個人認証が必要なサービス
    (健康保険・ヘルスケア・電子申請など, guide 4.1 2/2; keywords ``name_keywords_ja`` of
    data/service_categories.csv, e.g. 健診・服薬・ヘルスケア). Used only where no category is given."""
    text = reference.fold(" ".join(x for x in (service.name, service.data_model or "") if x))
    return any(k in text for k in _public_keywords())


def requirement(service: Service, categories: dict[str, CategoryInfo]) -> Requirement:
    """What a service needs (guide 4.1: the kind of service decides): its own ``levels``, else its category's
    (an explicit category wins over the name); without either, public personal authentication when its name or
    data model says health or e-application (inferred), unknown when it handles personal data, else no sign-in.
    The category's named means apply."""
    cat = categories.get(service.category) if service.category else None
    means = list(cat.means_required) if cat else []
    if service.levels is not None:
        lv = LevelPair(proofing=service.levels.proofing, authenticator=service.levels.authenticator)
        src = YOUR_INPUT + "（サービスの levels）" + (f"; 法令の手段: {cat.source}" if means else "")
        return Requirement(levels=lv, means_required=means, basis="override", source=src)
    if cat is not None:
        return Requirement(
            levels=LevelPair(proofing=cat.proofing, authenticator=cat.authenticator),
            means_required=means,
            basis="category",
            source=cat.source + ("（既定の仮定）" if cat.default_assumption else ""),
        )
    public = categories.get(PUBLIC_CATEGORY)
    if public is not None and suggests_public_auth(service):
        return Requirement(
            levels=LevelPair(proofing=public.proofing, authenticator=public.authenticator),
            means_required=list(public.means_required),
            basis="inferred",
            source=SRC_INFERRED,
        )
    if service.personal_data:
        return Requirement(
            levels=LevelPair(),
            means_required=[],
            basis="unknown",
            source="サービス種別が未記入（パーソナルデータを扱うため、必要な認証レベルが分かりません）",
        )
    return Requirement(
        levels=LevelPair(), means_required=[], basis="none", source="サインイン不要（種別なし）"
    )


def shortfalls(
    req: Requirement, offered: LevelPair, means: Iterable[str], catalogue: dict[str, MeansInfo], on: date
) -> list[Missing]:
    """What ``req`` lacks given the offered levels and the platform's means (validity on ``on``)."""
    out: list[Missing] = []
    for dim in DIMENSIONS:
        need, have = getattr(req.levels, dim), getattr(offered, dim)
        if need > have:
            out.append(
                Missing(
                    kind=dim,
                    required=need,
                    offered=have,
                    message=f"{dim_label(dim)}レベルが不足（必要 {need}、提供 {have}）",
                )
            )
    if req.means_required:
        valid = {c for c in means if c in catalogue and catalogue[c].valid_on(on)}
        if not valid & set(req.means_required):
            labels = "・".join(catalogue[c].label if c in catalogue else c for c in req.means_required)
            expired = [c for c in req.means_required if c in set(means) and c not in valid]
            note = f"（{', '.join(expired)} は {on.isoformat()} 時点で有効期間外）" if expired else ""
            out.append(
                Missing(
                    kind="means",
                    means_any_of=list(req.means_required),
                    message=f"法令・ガイドが名指しする手段がない（いずれか: {labels}）{note}",
                )
            )
    return out


def _satisfies(codes: set[str], reqs: list[Requirement], catalogue: dict[str, MeansInfo], on: date) -> bool:
    lv = reach(codes, catalogue, on)
    return all(not shortfalls(r, lv, codes, catalogue, on) for r in reqs)


def minimal_additions(
    current: Iterable[str], reqs: list[Requirement], catalogue: dict[str, MeansInfo], on: date
) -> list[list[str]]:
    """All smallest sets of means (valid on ``on``) that, added to ``current``, satisfy every requirement.

    Exact: tries every set of 0, 1, 2 … means of the catalogue in catalogue order and stops at the first size
    that works. ``[[]]`` when nothing is needed; ``[]`` when no set works.
    """
    have = set(current)
    candidates = [c for c, m in catalogue.items() if m.valid_on(on) and c not in have]
    for k in range(len(candidates) + 1):
        found = [
            list(combo)
            for combo in itertools.combinations(candidates, k)
            if _satisfies(have | set(combo), reqs, catalogue, on)
        ]
        if found:
            return found
    return []


def working_combinations(
    reqs: list[Requirement], catalogue: dict[str, MeansInfo], on: date
) -> list[list[str]]:
    """Combinations that satisfy every requirement on their own: a proofing means plus a login means (the
    same means when it reaches both), valid on ``on``; in catalogue order."""
    if not reqs or not any(r.counted for r in reqs):
        return []
    valid = [c for c, m in catalogue.items() if m.valid_on(on)]
    proof = [c for c in valid if catalogue[c].proofing]
    login = [c for c in valid if catalogue[c].authenticator]
    out: list[list[str]] = []
    seen: set[frozenset[str]] = set()
    for x in proof:
        for y in login:
            key = frozenset((x, y))
            if key in seen:
                continue
            seen.add(key)
            if _satisfies(set(key), reqs, catalogue, on):
                out.append([x] if x == y else [x, y])
    # single means first, then pairs, each in catalogue order
    return sorted(out, key=len)


def platform_offer(
    p: Platform, catalogue: dict[str, MeansInfo], on: date
) -> tuple[LevelPair, str, LevelPair | None]:
    """(offered levels, basis "means" | "declared" | "none", declared levels or None)."""
    declared = (
        LevelPair(proofing=p.identity_proofing or 0, authenticator=p.authenticator or 0)
        if p.identity_proofing is not None or p.authenticator is not None
        else None
    )
    if p.means:
        return reach(p.means, catalogue, on), "means", declared
    if declared is not None:
        return declared, "declared", declared
    return LevelPair(), "none", None


def _data_graph(pref: Prefecture) -> dict[str, set[str]]:
    g: dict[str, set[str]] = {p.id: set() for p in pref.platforms}
    for p in pref.platforms:
        for q in p.data_federation_with:
            if q in g:
                g[p.id].add(q)
                g[q].add(p.id)
    return g


def data_path(graph: dict[str, set[str]], start: str, goal: str) -> list[str] | None:
    """Shortest path over data federation (both directions) from ``start`` to ``goal``; None if none."""
    if start == goal:
        return [start]
    prev: dict[str, str] = {}
    q = deque([start])
    while q:
        cur = q.popleft()
        for nxt in sorted(graph.get(cur, ())):
            if nxt not in prev and nxt != start:
                prev[nxt] = cur
                if nxt == goal:
                    path = [goal]
                    while path[-1] != start:
                        path.append(prev[path[-1]])
                    return list(reversed(path))
                q.append(nxt)
    return None


def _min_pair(pairs: Iterable[LevelPair]) -> LevelPair:
    ps = list(pairs)
    return LevelPair(proofing=min(x.proofing for x in ps), authenticator=min(x.authenticator for x in ps))


def _federated_pairs(pref: Prefecture) -> list[tuple[str, str]]:
    ids = {p.id for p in pref.platforms}
    seen: set[frozenset[str]] = set()
    out = []
    for p in pref.platforms:
        for q in p.auth_federation_with:
            key = frozenset((p.id, q))
            if q in ids and q != p.id and key not in seen:
                seen.add(key)
                out.append((p.id, q))
    return out


# --- the analysis ---------------------------------------------------------------------------------


@dataclass
class _Work:
    """What the steps of :func:`match_auth` share: the catalogues on the date, each platform's offer, and
    the findings and recommendations collected along the way."""

    pref: Prefecture
    on: date
    cat: dict[str, MeansInfo]
    cats: dict[str, CategoryInfo]
    offers: dict[str, LevelPair] = field(default_factory=dict)
    basis: dict[str, tuple[str, LevelPair | None]] = field(default_factory=dict)
    reqs: dict[str, list[Requirement]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    recommendations: list[str] = field(default_factory=list)

    @functools.cached_property
    def _names(self) -> dict[str, str]:
        return self.pref.names()

    def name(self, ident: str) -> str:
        """The file's name of a platform or service id (findings are read by staff; the ids stay in the
        findings' ``platform`` and ``service`` fields)."""
        return self._names.get(ident, ident)


def _platform_offers(w: _Work) -> None:
    """Step 1: what each platform offers on the date (its means, else its declared levels)."""
    for p in w.pref.platforms:
        offered, basis, declared = platform_offer(p, w.cat, w.on)
        w.offers[p.id] = offered
        w.basis[p.id] = (basis, declared)
        w.reqs[p.id] = []


def _denied_flow(
    w: _Work, s: Service, req: Requirement, src: str, path: list[str], federated: bool
) -> DeniedFlow | None:
    """Pattern C's rule: a source or intermediate platform below the service's requirement denies the flow."""
    others = [x for x in path if x != s.platform]
    low = [x for x in others if not w.offers[x].covers(req.levels)]
    if not low:
        return None
    bott = min(low, key=lambda y: w.offers[y].proofing + w.offers[y].authenticator)
    floor = _min_pair(w.offers[x] for x in others)
    return DeniedFlow(
        service=s.id,
        to_platform=s.platform,
        from_platform=src,
        path=path,
        bottleneck=bott,
        required=req.levels,
        bottleneck_offered=w.offers[bott],
        lacking=[d for d in DIMENSIONS if getattr(floor, d) < getattr(req.levels, d)],
        federated_path=federated,
    )


def _chain(
    w: _Work, s: Service, req: Requirement, sources: list[str], graph: dict[str, set[str]]
) -> tuple[list[str], list[DeniedFlow]]:
    """The platforms a service's data passes (its own first, then outward) and the flows a level check denies."""
    chain = [s.platform]
    denied = []
    for src in sources:
        if src == s.platform or src not in w.offers:
            continue
        path = data_path(graph, src, s.platform)
        federated = path is not None
        path = path or [src, s.platform]
        chain += [x for x in reversed(path) if x not in chain]  # from the service's own platform outward
        flow = _denied_flow(w, s, req, src, path, federated) if req.counted else None
        if flow is not None:
            denied.append(flow)
    return chain, denied


def _match_services(w: _Work) -> tuple[list[ServiceMatch], list[DeniedFlow]]:
    """Step 2: each service against its own platform and along its data chain (guide 3.4, 4.1)."""
    graph = _data_graph(w.pref)
    extra = derived_sources(w.pref)  # flows the データマップ shows beside uses_data_from
    platforms = {p.id: p for p in w.pref.platforms}
    services, denied = [], []
    for s in w.pref.services:
        req = requirement(s, w.cats)
        w.reqs.setdefault(s.platform, []).append(req)
        own = w.offers.get(s.platform, LevelPair())
        plat = platforms.get(s.platform)
        missing = shortfalls(req, own, plat.means if plat else [], w.cat, w.on) if req.counted else []
        if req.basis == "unknown":
            missing = [
                Missing(
                    kind="category",
                    message="サービス種別が未記入のため、必要な認証レベルが分かりません（種別を記入してください）",
                )
            ]
        sources = list(dict.fromkeys([*s.uses_data_from, *extra.get(s.id, [])]))
        chain, flows = _chain(w, s, req, sources, graph)
        denied += flows
        on_chain = [w.offers[x] for x in chain if x in w.offers]
        effective = _min_pair(on_chain) if chain[0] in w.offers else LevelPair()
        services.append(
            ServiceMatch(
                service=s.id,
                name=s.name,
                platform=s.platform,
                category=s.category,
                basis=req.basis,
                need_known=req.basis in ("category", "override", "none"),
                required=req.levels,
                means_required=req.means_required,
                offered=own,
                satisfied=not missing,
                missing=missing,
                chain=chain,
                effective=effective,
                chain_satisfied=req.basis == "none" or (not missing and effective.covers(req.levels)),
                source=req.source,
            )
        )
        w.findings += _service_findings(s, req, missing)
    for d in denied:
        w.findings.append(
            Finding(
                code="DENIED_FLOW",
                platform=d.bottleneck,
                service=d.service,
                detail=f"{w.name(d.from_platform)}のデータ（経路 {' → '.join(w.name(x) for x in d.path)}）: "
                f"{w.name(d.bottleneck)}は{d.bottleneck_offered.words()}で、必要な{d.required.words()}に届きません",
            )
        )
    return services, denied


def _service_findings(s: Service, req: Requirement, missing: list[Missing]) -> list[Finding]:
    """SERVICE_LEVEL_GAP for a known need that is not met; for a need inferred from the name (guide 4.1), the
    4.1 finding HEALTH_AUTH_BELOW_PUBLIC when short, else a request to confirm the category; for an unknown need,
    SERVICE_CATEGORY_UNKNOWN."""
    what = "、".join(m.message for m in missing)
    if req.basis == "inferred":
        if missing:
            detail = f"{s.name}: サービス名から公的な個人認証が必要なサービスと推定。{what}。サービス種別を確認してください"
            return [
                Finding(code="HEALTH_AUTH_BELOW_PUBLIC", platform=s.platform, service=s.id, detail=detail)
            ]
        detail = f"{s.name}: サービス名から公的な個人認証が必要なサービスと推定（基盤は満たしています）"
        return [Finding(code="SERVICE_CATEGORY_UNKNOWN", platform=s.platform, service=s.id, detail=detail)]
    if req.basis == "unknown":
        detail = f"{s.name}: パーソナルデータを扱いますが、サービス種別が未記入です"
        return [Finding(code="SERVICE_CATEGORY_UNKNOWN", platform=s.platform, service=s.id, detail=detail)]
    if missing:
        return [
            Finding(code="SERVICE_LEVEL_GAP", platform=s.platform, service=s.id, detail=f"{s.name}: {what}")
        ]
    return []


def _means_findings(w: _Work, p: Platform, valid: list[str], expired: list[str], mismatch: bool) -> None:
    """DECLARED_MISMATCH, MEANS_EXPIRING and MEANS_EXPIRED of one platform."""
    basis, declared = w.basis[p.id]
    if mismatch and declared is not None:
        w.findings.append(
            Finding(
                code="DECLARED_MISMATCH",
                platform=p.id,
                detail=f"申告は{declared.words()}、本人確認手段からは{w.offers[p.id].words()}（{w.on.isoformat()} 時点。手段を採用）",
            )
        )
    for c in valid:
        until = w.cat[c].valid_until
        if until is not None:
            w.findings.append(
                Finding(
                    code="MEANS_EXPIRING",
                    platform=p.id,
                    detail=f"{w.cat[c].label}は {until.isoformat()} で有効期間が終わります",
                )
            )
    for c in expired:
        w.findings.append(
            Finding(
                code="MEANS_EXPIRED",
                platform=p.id,
                detail=f"{w.cat[c].label}は {w.on.isoformat()} 時点で有効期間外",
            )
        )


def _declared_mismatch(w: _Work, p: Platform) -> bool:
    basis, declared = w.basis[p.id]
    offered = w.offers[p.id]
    if basis != "means" or declared is None:
        return False
    return (p.identity_proofing is not None and p.identity_proofing != offered.proofing) or (
        p.authenticator is not None and p.authenticator != offered.authenticator
    )


def _match_platform(w: _Work, p: Platform) -> PlatformMatch:
    """Step 3 for one platform: valid and expired means, the smallest set of means to add so that every
    service on it is satisfied, and the combinations that work on their own."""
    basis, declared = w.basis[p.id]
    cat, on = w.cat, w.on
    valid = [c for c in p.means if c in cat and cat[c].valid_on(on)]
    expired = [c for c in p.means if c in cat and not cat[c].valid_on(on)]
    mismatch = _declared_mismatch(w, p)
    _means_findings(w, p, valid, expired, mismatch)
    reqs = [r for r in w.reqs.get(p.id, []) if r.counted]
    sols = minimal_additions(p.means, reqs, cat, on)
    add = sols[0] if sols else None
    # recommendations are read by staff: the platform's name and the means' labels, no codes
    if add:
        labels = "、".join(cat[c].label for c in add)
        w.recommendations.append(
            f"{p.name}: {labels}を追加すると、この基盤の全サービスが必要レベルを満たします"
        )
    elif add is None:
        w.recommendations.append(
            f"{p.name}: 手段カタログの組合せでは全サービスの要件を満たせません（要件かカタログを見直し）"
        )
    return PlatformMatch(
        platform=p.id,
        name=p.name,
        has_auth=p.has_auth,
        means=list(p.means),
        means_valid=valid,
        means_expired=expired,
        offered=w.offers[p.id],
        offered_basis=basis,  # type: ignore[arg-type]
        declared=declared,
        declared_mismatch=mismatch,
        services=[s.id for s in w.pref.services_on(p.id)],
        required_max=LevelPair(
            proofing=max((r.levels.proofing for r in reqs), default=0),
            authenticator=max((r.levels.authenticator for r in reqs), default=0),
        ),
        all_satisfied=add == [],
        means_to_add=add,
        alternatives=[
            Addition(means=x, reaches=reach(set(p.means) | set(x), cat, on)) for x in sols[:MAX_ALTERNATIVES]
        ]
        if add
        else [],
        combinations=[
            Addition(means=x, reaches=reach(x, cat, on))
            for x in working_combinations(reqs, cat, on)[:MAX_COMBINATIONS]
        ],
    )


def _raise_steps(a: str, b: str, la: LevelPair, lb: LevelPair) -> list[RaiseStep]:
    """Per dimension where two federated platforms differ: raise the lower one to the higher level."""
    steps = []
    for dim in DIMENSIONS:
        va, vb = getattr(la, dim), getattr(lb, dim)
        if va != vb:
            low, cur, to = (a, va, vb) if va < vb else (b, vb, va)
            steps.append(RaiseStep(platform=low, dimension=dim, current=cur, to=to))
    return steps


def _federation_pair(w: _Work, a: str, b: str, denied: list[DeniedFlow]) -> FederationPair:
    """Step 4 for one auth-federated pair: aligned, or which platform to raise to what and with which means."""
    la, lb = w.offers[a], w.offers[b]
    steps = _raise_steps(a, b, la, lb)
    target = LevelPair(
        proofing=max(la.proofing, lb.proofing), authenticator=max(la.authenticator, lb.authenticator)
    )
    need = [Requirement(levels=target, means_required=[], basis="override", source=SRC_FED)]
    to_add: dict[str, list[str] | None] = {}
    for pid in dict.fromkeys(r.platform for r in steps):
        sols = minimal_additions(w.pref.platform(pid).means, need, w.cat, w.on)
        to_add[pid] = sols[0] if sols else None
    affected = sorted({d.service for d in denied if set(d.path) >= {a, b}})
    if steps:
        raises = [
            f"{w.name(r.platform)}の{dim_label(r.dimension)}レベルを{r.current}から{r.to}に" for r in steps
        ]
        what = "；".join(f"{x}引き上げる" for x in raises)
        w.findings.append(
            Finding(
                code="FED_LEVEL_MISMATCH",
                platform=steps[0].platform,
                detail=f"{w.name(a)}（{la.words()}）⇔ {w.name(b)}（{lb.words()}）: {what}"
                + (f"（影響: {'、'.join(w.name(x) for x in affected)}）" if affected else ""),
            )
        )
        adds = "；".join(
            f"{w.name(k)}: {'、'.join(w.cat[c].label for c in v) if v else '—'}" for k, v in to_add.items()
        )
        w.recommendations.append(
            f"認証連携 {w.name(a)} ⇔ {w.name(b)}: {'、'.join(raises)}引き上げ（追加する手段 {adds}）"
        )
    return FederationPair(
        platforms=[a, b],
        levels=[la, lb],
        aligned=la == lb,
        raise_=steps,
        means_to_add=to_add,
        affected_services=affected,
    )


def _prefecture_alignment(w: _Work) -> None:
    """Step 5: several platforms with auth in a prefecture-scope state must be aligned (型2.6/2.8); pairs that
    are auth-federated are reported by step 4 (FED_LEVEL_MISMATCH), the others here (MULTI_PREF_UNALIGNED)."""
    pref, offers = w.pref, w.offers
    auth_ps = [
        p for p in pref.platforms if p.status == "running" and (p.has_auth or offers[p.id] != LevelPair())
    ]
    wide = any(p.user_scope == "prefectural" for p in auth_ps) or (
        pref.target is not None
        and pref.target.source == "multiple"
        and pref.target.user_scope == "prefectural"
    )
    fed = {frozenset(x) for x in _federated_pairs(pref)}
    loose = [
        (p.id, q.id)
        for p, q in itertools.combinations(auth_ps, 2)
        if offers[p.id] != offers[q.id] and frozenset((p.id, q.id)) not in fed
    ]
    if wide and loose:
        w.findings.append(
            Finding(
                code="MULTI_PREF_UNALIGNED",
                detail="、".join(
                    f"{w.name(a)}（{offers[a].words()}）⇔ {w.name(b)}（{offers[b].words()}）"
                    for a, b in loose
                ),
            )
        )


def _assumptions(w: _Work, services: list[ServiceMatch]) -> list[str]:
    """The default assumptions (levels of means and of service categories) this result rests on."""
    cat, cats = w.cat, w.cats
    used = {c for p in w.pref.platforms for c in p.means} | {c for s in services for c in s.means_required}
    out = [
        f"手段 {c}（{cat[c].label}）のレベル {cat[c].proofing or '–'}/{cat[c].authenticator or '–'} は既定の仮定"
        for c in cat
        if c in used and cat[c].default_assumption
    ]
    used_cats = {s.category for s in w.pref.services if s.category}
    return out + [
        f"サービス種別 {c} の必要レベル {cats[c].proofing}/{cats[c].authenticator} は既定の仮定"
        for c in cats
        if c in used_cats and cats[c].default_assumption
    ]


@checked
def match_auth(pref: Prefecture, on: date | None = None) -> AuthMatch:
    """Match every service's required levels against its platform and its data chain (guide 3.4, 4.1).

    Parameters
    ----------
    pref : Prefecture
        A loaded prefecture file.
    on : datetime.date, optional
        The date the catalogue is read at (means outside their validity are ignored). Default: today.
        Image-based eKYC (``ekyc_image``) is valid until 2027-03-31 in the default catalogue.

    Returns
    -------
    AuthMatch
        ``services``, ``platforms``, ``federation``, ``denied_flows``, ``findings``, ``recommendations``,
        with the catalogues used and their sources. ``.model_dump()`` is the CONTRACT.md auth JSON.

    Examples
    --------
    >>> import datetime
    >>> import workbench as wb
    >>> auth = wb.match_auth(wb.load_sample("07"), on=datetime.date(2026, 12, 1))
    >>> print(auth)
    福島県 認証レベルの照合（2026-12-01 時点）
      基準日: 2026-12-01
    ...
    >>> sorted(auth.model_dump()["services"][0]["required"])
    ['authenticator', 'proofing']
    """
    w = _Work(pref, on or date.today(), means_catalogue(pref), category_catalogue(pref))
    _platform_offers(w)
    services, denied = _match_services(w)
    platforms = [_match_platform(w, p) for p in pref.platforms]
    federation = [_federation_pair(w, a, b, denied) for a, b in _federated_pairs(pref)]
    _prefecture_alignment(w)
    return AuthMatch(
        prefecture=PrefectureRef(code=pref.code, name=pref.name),
        on=w.on,
        services=services,
        platforms=platforms,
        federation=federation,
        denied_flows=denied,
        findings=w.findings,
        recommendations=w.recommendations,
        means_catalogue=list(w.cat.values()),
        categories=list(w.cats.values()),
        assumptions=_assumptions(w, services),
        sources={
            "levels": SRC_LEVELS,
            "categories": SRC_CATEGORIES + "; data/service_categories.csv",
            "means": "data/id_means.csv（プロジェクトの既定の仮定。公式の対応表はない）; 都道府県ファイルの auth.means",
            "federation": SRC_FED,
            "denied_flows": SRC_FLOWS,
            "ekyc_image": "犯罪収益移転防止法施行規則の改正（2027-04-01 施行）で画像送信型eKYCは廃止",
            "input": YOUR_INPUT,
        },
    )


def issue_findings(pref: Prefecture, on: date | None = None) -> list[dict[str, Any]]:
    """This module's findings for the classification's 課題リスト (workbench.classify).

    Only codes present in data/issue_rules.csv are returned (SERVICE_LEVEL_GAP, FED_LEVEL_MISMATCH,
    MULTI_PREF_UNALIGNED today), each as {code, platform, service, detail}.
    """
    rules = set(reference.table("issue_rules.csv")["code"])
    return [f.model_dump() for f in match_auth(pref, on).findings if f.code in rules]
