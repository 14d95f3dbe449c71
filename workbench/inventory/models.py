"""Pydantic models of the prefecture file (CONTRACT.md), the single source of truth for its JSON Schema.

Attributes follow the guide's 3.4 属性（状態・性能）の定義; enumerated values accept the code or the Japanese
label (data/enums.csv).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any

from pydantic import Field, ValidationInfo, field_validator

from .. import reference
from ..errors import InputError, field_path
from ..errors import Problem as Located
from .authcat import AuthSection
from .base import Code, Loc, Model, field_label, is_outside, muni_code, muni_codes  # noqa: F401
from .costs import CostScenario
from .datamap import DataMap
from .plan import Plan, Vision

ID_PATTERN = r"^[^\s,]+$"
OUTSIDE_LABEL = "外部の団体"  # a member municipality of another prefecture (guide 1.2 (3))


@functools.cache
def _means_labels() -> dict[str, str]:
    df = reference.table("id_means.csv")
    return {reference.fold(label): code for code, label in zip(df["code"], df["label_ja"], strict=True)}


class Terms(Model):
    """住民向け規約 (guide 3.4 属性 2/5): exists, and three facets."""

    exists: bool = Field(False, description="住民向け規約がある")
    component_responsibility: bool = Field(False, description="部品毎の責任範囲を記載")
    platform_service_split: bool = Field(
        False, description="基盤の責任範囲とサービスの責任範囲を区別して記載"
    )
    certification_audit: bool = Field(False, description="サービス提供組織の認定と監査に関する記載あり")


class Levels(Model):
    """身元確認レベル and 当人認証レベル (guide 3.4 属性 3/5), 1..3."""

    proofing: int = Field(ge=1, le=3, description="身元確認レベル 1..3")
    authenticator: int = Field(ge=1, le=3, description="当人認証レベル 1..3")


class Platform(Model):
    """One data collaboration platform (データ連携基盤) and its attributes (guide 3.4)."""

    id: str = Field(pattern=ID_PATTERN, description="ファイル内で一意のID")
    name: str = Field(min_length=1)
    operated_by: str = Field(
        description="prefecture | operating_body | private | 6桁の市区町村コード（運営主体）"
    )
    status: Code("status") = "running"  # type: ignore[valid-type]
    field: Code("field") | None = Field(  # type: ignore[valid-type]
        None,
        description="分野（guide 1.2 (2)）。省略は「不明」で、分野別・分野間の原則（guide 1.1）の確認から外れ、課題として報告",
    )
    organisation: Code("organisation") | None = Field(  # type: ignore[valid-type]
        None,
        description="今の運営組織体制（guide 2.7）: serial=直列型 | parallel=並列型 | external=外部組織型。"
        "並列型は各自治体がベンダと契約するので、一つの自治体が運営していても運営組織の不在とはしない",
    )
    components: list[Code("component")] = Field(default_factory=list)  # type: ignore[valid-type]
    service_scheme: Code("service_scheme") = "none"  # type: ignore[valid-type]
    platform_scheme: Code("platform_scheme") | None = None  # type: ignore[valid-type]
    user_scope: Code("user_scope") = "municipal"  # type: ignore[valid-type]
    identity_proofing: int | None = Field(None, ge=1, le=3, description="身元確認レベル 1..3")
    authenticator: int | None = Field(None, ge=1, le=3, description="当人認証レベル 1..3")
    means: list[str] = Field(default_factory=list, description="本人確認手段のコード（data/id_means.csv）")
    non_personal_broker: Code("broker") = "none"  # type: ignore[valid-type]
    personal_broker: Code("broker") = "none"  # type: ignore[valid-type]
    terms: Terms = Field(default_factory=Terms)
    auth_federation_with: list[str] = Field(default_factory=list)
    data_federation_with: list[str] = Field(default_factory=list)
    modules: list[Code("module")] = Field(default_factory=list)  # type: ignore[valid-type]
    api_published: bool | None = None
    data_models: list[str] = Field(
        default_factory=list,
        description="基盤が使う・提供する分野ごとのデータモデル（guide 1.2 (1)・4.2）。空は「未記入」",
    )
    municipalities: list[str] | None = Field(
        None,
        description="利用する市区町村（コードまたは名前）。他の都道府県の団体も書ける（「北海道江別市」またはコード）",
    )
    vendor: str | None = None
    source: str | None = Field(None, description="出典（ガイド等）または 'assumption'")
    notes: str | None = None

    @field_validator("operated_by", mode="before")
    @classmethod
    def _operator(cls, v: Any, info: ValidationInfo) -> Any:
        try:
            return reference.enum_code("operated_by", v)
        except ValueError:
            pass
        try:
            return muni_code(v, (info.context or {}).get("pref_code"))
        except ValueError as err:
            raise reference.EnumValueError(
                f"運営主体が分かりません: {v!r}（{err}）",
                reference.enum_allowed("operated_by") + ", または6桁の市区町村コード",
            ) from None

    @field_validator("municipalities", mode="before")
    @classmethod
    def _munis(cls, v: Any, info: ValidationInfo) -> Any:
        return muni_codes(v, info)

    @field_validator("means", mode="before")
    @classmethod
    def _means(cls, v: Any) -> Any:
        """Means by code or by the default catalogue's Japanese label (data/id_means.csv); unknown codes are
        reported by :meth:`cross_check` (the file's own ``auth.means`` may define them)."""
        if not isinstance(v, list):
            return v
        labels = _means_labels()
        return [labels.get(reference.fold(x), x) if isinstance(x, str) else x for x in v]

    @field_validator(
        "components", "modules", "means", "auth_federation_with", "data_federation_with", "data_models"
    )
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            dup = sorted({x for x in v if v.count(x) > 1})
            raise ValueError(f"同じ値が重複しています: {', '.join(dup)}")
        return v

    def cross_check(self, pref: Prefecture) -> Iterator[tuple[Loc, str, object]]:
        """Unknown ID-means codes (known: data/id_means.csv plus the file's ``auth.means``)."""
        from .authcat import means_problems

        yield from means_problems(self.means, pref)

    # --- derived facts, used by the analyses -------------------------------------------------------
    @property
    def has_auth(self) -> bool:
        return "auth" in self.components

    @property
    def has_non_personal(self) -> bool:
        return "non_personal" in self.components

    @property
    def has_personal(self) -> bool:
        return "personal" in self.components

    @property
    def operator_municipality(self) -> str | None:
        """The operating municipality's code, or None when a prefecture, body or firm operates it."""
        return self.operated_by if self.operated_by.isdigit() else None

    @property
    def operator_label(self) -> str:
        """Who runs it, for people: the municipality's census name, or the Japanese label of the operator."""
        muni = self.operator_municipality
        return reference.municipality_name(muni) if muni else reference.label("operated_by", self.operated_by)

    @property
    def levels(self) -> Levels | None:
        if self.identity_proofing is None or self.authenticator is None:
            return None
        return Levels(proofing=self.identity_proofing, authenticator=self.authenticator)

    @property
    def effective_platform_scheme(self) -> str:
        """基盤提供スキーム: as declared, else from the operator (municipality → 自治体のみ, body → 運営組織)."""
        if self.platform_scheme:
            return self.platform_scheme
        return {"prefecture": "municipality", "operating_body": "operator", "private": "private"}.get(
            self.operated_by, "municipality"
        )


class Service(Model):
    """A service connected to a platform (俯瞰図 of guide 3.5 Step 1)."""

    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1)
    platform: str
    provider: Code("provider") = "municipality"  # type: ignore[valid-type]
    contracted: bool | None = Field(
        None,
        description="民間事業者が自治体からの業務委託で提供している（guide 3.4: 業務委託を請けた民間業者は「民間」の"
        "対象ではない）。true なら自治体の提供として数える。省略は「未確認」",
    )
    category: Code("service_category") | None = None  # type: ignore[valid-type]
    personal_data: bool = False
    uses_data_from: list[str] = Field(default_factory=list)
    levels: Levels | None = Field(
        None, description="このサービスに必要なレベルを直接指定（カテゴリより優先）"
    )
    municipalities: list[str] | None = Field(None, description="提供する市区町村（省略時は基盤の利用団体）")
    data_model: str | None = Field(None, description="サービスが使うデータモデル（guide 4.2）")
    source: str | None = None
    notes: str | None = None

    @field_validator("municipalities", mode="before")
    @classmethod
    def _munis(cls, v: Any, info: ValidationInfo) -> Any:
        return muni_codes(v, info)

    @property
    def public_provider(self) -> bool | None:
        """Whether the service counts as provided by the public side (自治体) for the schemes of guide 3.4:
        municipality, prefecture and operating body do; a private firm does not, unless it works under a
        municipal contract (業務委託). None when the provider is private and the contract is not known."""
        if self.provider != "private":
            return True
        return True if self.contracted else (None if self.contracted is None else False)


class Target(Model):
    """The shared-use state aimed at (Step 2): the three questions of the 型2.x table, in their order."""

    source: Code("source")  # type: ignore[valid-type]
    user_scope: Code("user_scope")  # type: ignore[valid-type]
    providers: Code("providers")  # type: ignore[valid-type]
    approach: Code("approach") | None = Field(  # type: ignore[valid-type]
        None,
        description="パターン: expand(B) | join(D) | integrate(C) | link | new(A) | stay（省略時は推定）",
    )
    hub: str | None = Field(None, description="パターンD・Bで合流先・拡張元となる基盤のID")
    organisation: Code("organisation") | None = None  # type: ignore[valid-type]


#: parses the round-trip document of a prefecture read the fast way (set by :mod:`workbench.inventory.yamlio`,
#: which this module does not import)
document_loader: Callable[[Any], Any] | None = None


class Prefecture(Model):
    """Everything known about one prefecture (CONTRACT.md)."""

    def __getattr__(self, name: str) -> Any:
        # a file read the fast way keeps its text; its round-trip document (comments, lines) is parsed on first use
        if name == "_wb_doc" and "_wb_text" in self.__dict__ and document_loader is not None:
            return document_loader(self)
        return super().__getattr__(name)  # type: ignore[misc]

    prefecture: str = Field(description='都道府県名、またはJISコード（例 "07"）')
    platforms: list[Platform] = Field(default_factory=list)
    services: list[Service] = Field(default_factory=list)
    target: Target | None = None
    costs: CostScenario | None = None
    auth: AuthSection | None = None
    vision: Vision | None = None
    plan: Plan | None = None
    data_map: DataMap | None = Field(
        None, description="データマップ（サービス側・データアセット側）と公開API一覧"
    )
    synthetic: bool = Field(False, description="合成データ（実在しない基盤）であることを示す")
    facts: list[str] = Field(default_factory=list, description="ガイド等の事実に基づく値とその出典")
    assumptions: list[str] = Field(default_factory=list, description="説明のために置いた仮定")
    notes: str | None = None

    @field_validator("prefecture", mode="before")
    @classmethod
    def _pref(cls, v: Any) -> Any:
        if isinstance(v, int) and not isinstance(v, bool):
            v = f"{v:02d}"
        if not isinstance(v, str):
            raise ValueError("都道府県名またはJISコードを文字列で指定してください")
        try:
            reference.resolve_prefecture(v)
        except KeyError:
            raise reference.EnumValueError(
                f"都道府県が分かりません: {v!r}", "47都道府県の名前（例 福島県）またはJISコード（01〜47）"
            ) from None
        return v

    @property
    def code(self) -> str:
        """JIS prefecture code, 2 digits."""
        return reference.resolve_prefecture(self.prefecture)[0]

    @property
    def name(self) -> str:
        return reference.resolve_prefecture(self.prefecture)[1]

    def platform(self, pid: str) -> Platform:
        for p in self.platforms:
            if p.id == pid:
                return p
        raise KeyError(pid)

    def names(self) -> dict[str, str]:
        """Platform and service id → the name the file gives it (what staff read; results keep the ids)."""
        return {**{s.id: s.name for s in self.services}, **{p.id: p.name for p in self.platforms}}

    def users_of(self, platform: Platform) -> list[str]:
        """Municipality codes using a platform: as listed (members of other prefectures included, guide 1.2
        (3)); else its operator; for a prefecture's, all of its municipalities."""
        if platform.municipalities:
            return list(platform.municipalities)
        if platform.operator_municipality:
            return [platform.operator_municipality]
        if platform.operated_by == "prefecture":
            return list(reference.municipalities_of(self.code)["code"])
        return []

    def is_outside(self, code: str) -> bool:
        """True for a municipality of another prefecture (外部の団体)."""
        return is_outside(code, self.code)

    def municipality_label(self, code: str) -> str:
        """A municipality's census name; for one outside the prefecture, its prefecture and 「外部の団体」."""
        name = reference.municipality_name(code)
        if not self.is_outside(code):
            return name
        return f"{name}（{reference.prefecture_of_municipality(code)[1]}・{OUTSIDE_LABEL}）"

    def services_on(self, pid: str) -> list[Service]:
        return [s for s in self.services if s.platform == pid]

    def __init__(self, /, **data: Any) -> None:
        """Built in code: the values are checked like a file's, then the checks across the file (unknown platform
        ids, duplicates …); both raise :class:`~workbench.InputError` (see :func:`workbench.validate`)."""
        super().__init__(**data)
        found = reference_problems(self)
        if found:
            raise InputError(found)

    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]  # model_validate does not call it


# --- checks across objects ------------------------------------------------------------------------


Problem = tuple[Loc, str, object]


def _platform_problems(pref: Prefecture) -> Iterator[Problem]:
    """Duplicate platform ids; federation with itself or with an unknown platform."""
    ids: dict[str, int] = {}
    for i, p in enumerate(pref.platforms):
        if p.id in ids:
            yield ("platforms", i, "id"), f"基盤IDが重複しています（platforms[{ids[p.id]}] と同じ）", p.id
        ids.setdefault(p.id, i)
    known = set(ids)
    for i, p in enumerate(pref.platforms):
        for key in ("auth_federation_with", "data_federation_with"):
            for j, other in enumerate(getattr(p, key)):
                if other == p.id:
                    yield (("platforms", i, key, j), "基盤が自分自身と連携しています", other)
                elif other not in known:
                    yield (
                        ("platforms", i, key, j),
                        f"不明な基盤IDです（既知: {', '.join(sorted(known))}）",
                        other,
                    )


def _service_problems(pref: Prefecture, i: int, s: Service, by_id: dict[str, Platform]) -> Iterator[Problem]:
    """One service: an unknown platform, unknown data sources, a municipality outside the prefecture that
    its platform does not list."""
    known = set(by_id)
    if s.platform not in known:
        yield (
            ("services", i, "platform"),
            f"不明な基盤IDです（既知: {', '.join(sorted(known)) or 'なし'}）",
            s.platform,
        )
    for j, other in enumerate(s.uses_data_from):
        if other not in known:
            yield ("services", i, "uses_data_from", j), "不明な基盤IDです", other
    members = set(by_id[s.platform].municipalities or []) if s.platform in by_id else set()
    for j, code in enumerate(s.municipalities or []):
        if pref.is_outside(code) and code not in members:
            yield (
                ("services", i, "municipalities", j),
                f"{pref.name}の市区町村ではなく、基盤 {s.platform} の利用団体（municipalities）にもありません",
                code,
            )


def _services_problems(pref: Prefecture) -> Iterator[Problem]:
    by_id = {p.id: p for p in pref.platforms}
    sids: dict[str, int] = {}
    for i, s in enumerate(pref.services):
        if s.id in sids:
            yield ("services", i, "id"), f"サービスIDが重複しています（services[{sids[s.id]}] と同じ）", s.id
        sids.setdefault(s.id, i)
        yield from _service_problems(pref, i, s, by_id)


def _section_problems(pref: Prefecture) -> Iterator[Problem]:
    """The target's hub, then each section's and each object's own checks that need the whole file."""
    if pref.target and pref.target.hub and pref.target.hub not in {p.id for p in pref.platforms}:
        yield ("target", "hub"), "不明な基盤IDです", pref.target.hub
    for section in ("costs", "auth", "vision", "plan", "data_map"):
        obj = getattr(pref, section)
        for loc, msg, value in obj.cross_check(pref) if obj is not None else ():
            yield (section, *loc), msg, value
    for i, p in enumerate(pref.platforms):
        for loc, msg, value in p.cross_check(pref):
            yield ("platforms", i, *loc), msg, value
    for i, s in enumerate(pref.services):
        for loc, msg, value in s.cross_check(pref):
            yield ("services", i, *loc), msg, value


def reference_problems(pref: Prefecture, file: str | None = None) -> list[Located]:
    """The findings of :func:`cross_check` as problems: the field's path and its Japanese name with the platform or
    service it belongs to (サービス「市民ポータル」の基盤ID)."""
    return [
        Located(
            msg,
            file,
            None,
            field_path(loc),
            value if not isinstance(value, dict | list) else None,
            label=field_label(Prefecture, loc, pref),
        )
        for loc, msg, value in cross_check(pref)
    ]


def cross_check(pref: Prefecture) -> Iterator[Problem]:
    """Problems that no single field shows (CONTRACT.md): duplicate ids, unknown platform ids, a service's
    municipality outside the prefecture that its platform does not list, federation with itself. Yields
    (location, Japanese message, bad value).

    Platforms may list municipalities of other prefectures and be operated by one (guide 1.2 (3):
    「都道府県を超えた取組が行われることは、むしろ好ましい」; guidebook 第3.0版 9.6: 前橋市の基盤を北海道江別市・
    長崎県大村市・大阪府門真市が利用); they are shown as 外部の団体."""
    yield from _platform_problems(pref)
    yield from _services_problems(pref)
    yield from _section_problems(pref)
