"""The ``data_map:`` section of a prefecture file: the Digital Agency's データマップ (template v1.3) with its two
sides, plus the platforms' published APIs (guide 4.3).

Sources: the template's README (データマップ作成フォーマット, 作成手順と留意点) and guidebook 11.2 (サービス側
データマップ / データアセット側データマップ). The section is optional; a file without it loads as before.

Shape (every key below ``data_map`` is optional)::

    data_map:
      template_version: "1.3"          # 改訂履歴 of the template's README
      services:                        # サービス側データマップ (one row per service)
        - service: shelter_app         # サービス名 → the id of a service in services:
          field: 防災                   # the service's field (data/datamap_fields.csv)
          intake: [shelter_list, 混雑度]  # サービスへの取込データ: asset ids or names, or another service's item
          internal: [端末ログ]           # サービスでの取得データ（内部利用のみに限るもの）
          external:                    # サービスでの取得データ（外部利用が可能なもの）+ 提供頻度・提供方法・提供先
            - {name: 避難所閲覧数, frequency: 5分間隔, method: [REST API], to: [bousai_dashboard]}
      assets:                          # データアセット側データマップ (one row per data asset)
        - id: shelter_list
          name: 指定避難所一覧            # データアセット名
          owner: 防災危機管理課           # データの所管元
          location: 防災情報管理システム   # データの所在
          platform: pref-platform      # the platform it is connected to (the workbench's column)
          frequency: 日次                # 提供頻度
          method: [CSV, REST API, NGSI-LD]   # 提供方法
          to: [shelter_app]            # 提供先サービス (services reached through the platform)
          model: 避難所                  # standard data model (data/standard_models.csv), 独自 or 不明
      systems:                         # 提供先 that are no service of the file (guidebook 11.2: 「サービスやシステム」)
        - {name: 県防災情報システム}
      apis:                            # 公開API一覧 (guide 4.3)
        - {platform: pref-platform, side: service, name: NGSI API, protocol: NGSI v2, published: true}

Free-text values (frequencies, methods) keep the user's wording; :mod:`workbench.datamap` normalises them with
data/datamap_vocab.csv. Enumerated values accept the code or the Japanese label.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema, field_validator

from .. import reference
from ..text import fold
from .base import Code, Loc, Model

if TYPE_CHECKING:  # the model that holds every section (models.py imports this module)
    from .models import Prefecture

ID_PATTERN = r"^[^\s,]+$"
TEMPLATE_VERSION = "1.3"


# --- vocabularies of data/datamap_vocab.csv and data/datamap_fields.csv -----------------------------------------


@functools.cache
def vocab_index(kind: str) -> dict[str, str]:
    """code, label and aliases (the ``patterns`` column) of one kind of data/datamap_vocab.csv -> code."""
    df = reference.table("datamap_vocab.csv")
    idx: dict[str, str] = {}
    for code, label, patterns in df[df["kind"] == kind][["code", "label_ja", "patterns"]].itertuples(
        index=False
    ):
        for key in (code, label, *str(patterns).split("|")):
            if key:
                idx.setdefault(fold(key), code)
    return idx


@functools.cache
def vocab_allowed(kind: str) -> str:
    df = reference.table("datamap_vocab.csv")
    return ", ".join(
        f"{c}（{ja}）" for c, ja in df[df["kind"] == kind][["code", "label_ja"]].itertuples(index=False)
    )


@functools.cache
def field_index() -> dict[str, str]:
    """Fields of the data map (data/datamap_fields.csv): code, labels, aliases -> code."""
    df = reference.table("datamap_fields.csv")
    idx: dict[str, str] = {}
    for code, ja, en, aliases in df[["code", "label_ja", "label_en", "aliases"]].itertuples(index=False):
        for key in (code, ja, en, *str(aliases).split("|")):
            if key:
                idx.setdefault(fold(key), code)
    return idx


def reads_as(key: str, code: str) -> bool:
    """Whether a folded user value is a label or alias of ``code`` in the data map's vocabularies (so a save keeps
    the user's Japanese label, as for data/enums.csv)."""
    if field_index().get(key) == code:
        return True
    return any(
        vocab_index(kind).get(key) == code
        for kind in ("pi_class", "consent", "model_level", "api_side", "api_protocol")
    )


def field_label(code: str | None) -> str:
    """The Japanese label of a data-map field code ("—" for none)."""
    if not code:
        return "—"
    return _field_labels().get(code, code)


@functools.cache
def _field_labels() -> dict[str, str]:
    """Field code -> label, built once (a table look-up per label cost ~0.8 ms; a big map asks thousands)."""
    df = reference.table("datamap_fields.csv")
    return {str(c): str(ja) for c, ja in zip(df["code"], df["label_ja"], strict=True)}


def _lookup(index: Any, what: str, allowed: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool) or isinstance(value, dict | list):
        raise reference.EnumValueError(f"{what}として {value!r} は使えません", allowed())
    try:
        return index()[fold(str(value))]
    except KeyError:
        raise reference.EnumValueError(f"{str(value)!r} は{what}にありません", allowed()) from None


def _codes_of(kind: str) -> list[str]:
    df = reference.table("datamap_vocab.csv")
    return list(df[df["kind"] == kind]["code"])


@functools.cache
def Vocab(kind: str, what: str) -> Any:  # noqa: N802 - reads like a type
    """A string field holding a code of data/datamap_vocab.csv (labels and aliases accepted)."""
    return Annotated[
        str,
        BeforeValidator(
            functools.partial(
                _lookup, functools.partial(vocab_index, kind), what, functools.partial(vocab_allowed, kind)
            )
        ),
        WithJsonSchema(
            {"type": "string", "enum": _codes_of(kind), "description": f"{what}のコードまたは日本語ラベル"}
        ),
    ]


def _fields_allowed() -> str:
    df = reference.table("datamap_fields.csv")
    return ", ".join(f"{c}（{ja}）" for c, ja in df[["code", "label_ja"]].itertuples(index=False))


DmField = Annotated[
    str,
    BeforeValidator(functools.partial(_lookup, field_index, "データマップの分野", _fields_allowed)),
    WithJsonSchema(
        {
            "type": "string",
            "enum": list(reference.table("datamap_fields.csv")["code"]),
            "description": "分野のコードまたは日本語ラベル（data/datamap_fields.csv）",
        }
    ),
]

Basis = Literal["fact", "assumption"]


def _basis(v: Any) -> Any:
    """事実 / 仮定 (or 推定) read as their codes (data/enums.csv ``fact_basis``); anything else is left for
    the field's own error."""
    if isinstance(v, str):
        try:
            return reference.enum_code("fact_basis", v)
        except ValueError:
            return v
    return v


_SPLIT = re.compile(r"[,、，;；\n]+")


def split_list(text: str) -> list[str]:
    """Items of a list written in one cell or string: separated by 、 ， , ; ； or new lines (never by 「・」,
    which appears inside names such as 乗降実績データ（鉄道・バス））."""
    return [
        x.strip().strip("\u3000").strip()
        for x in _SPLIT.split(str(text))
        if x.strip().strip("\u3000").strip()
    ]


def _as_list(v: Any) -> Any:
    """A list may be written as one string with separators."""
    if isinstance(v, str):
        return split_list(v)
    return v


class _Row(Model):
    basis: Basis | None = Field(None, description="fact（事実: 出典あり）| assumption（説明のための仮定）")
    source: str | None = Field(None, description="出典")
    notes: str | None = None

    @field_validator("basis", mode="before")
    @classmethod
    def _b(cls, v: Any) -> Any:
        return _basis(v)


class ExternalItem(_Row):
    """One item of サービスでの取得データ（外部利用が可能なもの） with its 提供頻度・提供方法・提供先 (template
    README サービス側 4 and 6; guidebook 11.2)."""

    id: str | None = Field(None, pattern=ID_PATTERN, description="省略時は「サービスID/名前」")
    name: str = Field(min_length=1, description="データの名前（例 避難所閲覧数）")
    frequency: str | None = Field(None, description="提供頻度（例 リアルタイム、5分間隔、日次）")
    method: list[str] = Field(default_factory=list, description="提供方法（例 REST API、Webhook、CSV）")
    to: list[str] = Field(default_factory=list, description="提供先（サービスID または サービス名）")
    pi_class: Vocab("pi_class", "個人情報の区分") | None = None  # type: ignore[valid-type]
    consent: Vocab("consent", "同意管理") | None = None  # type: ignore[valid-type]
    model: str | None = Field(None, description="標準データモデル（data/standard_models.csv）、独自、不明")

    @field_validator("method", "to", mode="before")
    @classmethod
    def _lists(cls, v: Any) -> Any:
        return _as_list(v)


def _external(v: Any) -> Any:
    if isinstance(v, str):
        return [{"name": x} for x in _as_list(v)]
    if isinstance(v, list):
        return [{"name": x} if isinstance(x, str) else x for x in v]
    return v


class ServiceSide(_Row):
    """One row of the サービス側データマップ (template README サービス側 1–6; guidebook 11.2)."""

    service: str = Field(min_length=1, description="サービスID（services: の id）")
    field: DmField | None = Field(None, description="サービスの分野")
    status: Code("status") | None = Field(None, description="サービスの状態（運用中・構築中・計画中）")  # type: ignore[valid-type]
    intake: list[str] = Field(
        default_factory=list, description="サービスへの取込データ（データアセットのID・名前など）"
    )
    internal: list[str] = Field(
        default_factory=list, description="サービスでの取得データ（内部利用のみに限るもの）"
    )
    external: list[ExternalItem] = Field(
        default_factory=list, description="サービスでの取得データ（外部利用が可能なもの）"
    )

    @field_validator("intake", "internal", mode="before")
    @classmethod
    def _lists(cls, v: Any) -> Any:
        return _as_list(v)

    @field_validator("external", mode="before")
    @classmethod
    def _ext(cls, v: Any) -> Any:
        return _external(v)


class AssetSide(_Row):
    """One row of the データアセット側データマップ (template README データセット側 1–5; guidebook 11.2)."""

    id: str = Field(pattern=ID_PATTERN, description="ファイル内で一意のID")
    name: str = Field(min_length=1, description="データアセット名（なるべくデータ単位の具体名）")
    owner: str | None = Field(None, description="データの所管元（正確な部署・組織名）")
    location: str | None = Field(None, description="データの所在（取得したシステム・サービスの固有名詞）")
    platform: str | None = Field(None, description="接続している基盤のID")
    municipality: str | None = Field(None, description="所管する団体（6桁の市区町村コード、県は省略）")
    frequency: str | None = Field(None, description="提供頻度")
    method: list[str] = Field(default_factory=list, description="提供方法")
    to: list[str] = Field(default_factory=list, description="提供先サービス（基盤を介して提供している先）")
    field: DmField | None = Field(None, description="データの分野（省略時は標準データモデルの分野）")
    model: str | None = Field(None, description="標準データモデル（data/standard_models.csv）、独自、不明")
    model_level: Vocab("model_level", "標準データモデルへの準拠の段階") | None = None  # type: ignore[valid-type]
    pi_class: Vocab("pi_class", "個人情報の区分") | None = None  # type: ignore[valid-type]

    @field_validator("method", "to", mode="before")
    @classmethod
    def _lists(cls, v: Any) -> Any:
        return _as_list(v)

    @field_validator("municipality", mode="before")
    @classmethod
    def _muni(cls, v: Any) -> Any:
        if v is None:
            return v
        from .base import muni_code

        return muni_code(v, None)


class ExternalSystem(_Row):
    """A 提供先 that is no service of the file: another system the data is given to (guidebook 11.2 提供先サービス:
    「別のどのようなサービスやシステムで利活用されるかの展開先」; データアセット側: 「全てのサービスやシステムの一覧」).
    Named in ``to`` by its name; kept by the importer instead of stopping on an unknown service."""

    name: str = Field(min_length=1, description="システムの名前（提供先に書かれたとおり）")


class ApiEntry(_Row):
    """One API of a platform: service-facing or asset-facing (guide 4.3), its protocol and whether published."""

    platform: str = Field(description="基盤ID")
    side: Vocab("api_side", "APIの区分") = "service"  # type: ignore[valid-type]
    name: str = Field(min_length=1, description="APIの名前")
    protocol: Vocab("api_protocol", "APIの方式") = "rest"  # type: ignore[valid-type]
    published: bool | None = Field(None, description="関係者に公開しているか（不明なら省略）")
    spec: str | None = Field(None, description="仕様の所在（URL・文書名）")
    data: list[str] = Field(default_factory=list, description="このAPIで扱うデータ（データアセットID・名前）")

    @field_validator("data", mode="before")
    @classmethod
    def _lists(cls, v: Any) -> Any:
        return _as_list(v)


class DataMap(Model):
    """The データマップ of a prefecture: service side, asset side and the published APIs."""

    template_version: str = Field(
        TEMPLATE_VERSION, description="データマップ作成フォーマットの版（既定 1.3）"
    )
    services: list[ServiceSide] = Field(default_factory=list, description="サービス側データマップ")
    assets: list[AssetSide] = Field(default_factory=list, description="データアセット側データマップ")
    systems: list[ExternalSystem] = Field(
        default_factory=list, description="提供先のうちサービスでないもの（外部のシステム）"
    )
    apis: list[ApiEntry] = Field(default_factory=list, description="公開API一覧")
    facts: list[str] = Field(default_factory=list, description="出典のある事実")
    assumptions: list[str] = Field(default_factory=list, description="説明のために置いた仮定")
    source: str | None = None
    notes: str | None = None

    @field_validator("template_version", mode="before")
    @classmethod
    def _version(cls, v: Any) -> Any:
        if isinstance(v, int | float) and not isinstance(v, bool):
            return f"{v:g}" if isinstance(v, float) else f"{v}.0"
        return v

    def cross_check(self, pref: Prefecture) -> Iterator[tuple[Loc, str, object]]:
        """References the field validators cannot see: services, platforms and 提供先 that exist; unique ids;
        items not both internal and external (template README サービス側 5)."""
        names = ServiceNames(pref, self.systems)
        yield from self._service_rows_check(names)
        yield from self._external_ids_check(names)
        yield from self._assets_check(pref, names)
        platforms = {p.id for p in pref.platforms}
        for i, api in enumerate(self.apis):
            if api.platform not in platforms:
                yield (
                    ("apis", i, "platform"),
                    f"不明な基盤IDです（既知: {', '.join(sorted(platforms)) or 'なし'}）",
                    api.platform,
                )

    def _service_rows_check(self, names: ServiceNames) -> Iterator[tuple[Loc, str, object]]:
        """Each service row names a known service once; its external items are not also internal and go to
        known services."""
        seen: dict[str, int] = {}
        for i, row in enumerate(self.services):
            sid = names.resolve(row.service)
            if sid is None:
                yield ("services", i, "service"), names.unknown_message(), row.service
            elif sid in seen:
                yield (
                    ("services", i, "service"),
                    f"同じサービスの行が2つあります（services[{seen[sid]}] と同じ）",
                    row.service,
                )
            else:
                seen[sid] = i
            yield from self._external_check(names, i, row)

    @staticmethod
    def _external_check(names: ServiceNames, i: int, row: Any) -> Iterator[tuple[Loc, str, object]]:
        inner = {fold(x): x for x in row.internal}
        for j, item in enumerate(row.external):
            if fold(item.name) in inner:
                yield (
                    ("services", i, "external", j, "name"),
                    "「内部利用のみに限るもの」と「外部利用が可能なもの」の両方に書かれています（重複しないように記載）",
                    item.name,
                )
            for k, target in enumerate(item.to):
                if names.resolve(target) is None and not names.is_system(target):
                    yield ("services", i, "external", j, "to", k), names.unknown_message("提供先"), target

    def _external_ids_check(self, names: ServiceNames) -> Iterator[tuple[Loc, str, object]]:
        ext_ids: dict[str, tuple[int, int]] = {}
        for i, row in enumerate(self.services):
            for j, item in enumerate(row.external):
                key = item.id or f"{names.resolve(row.service) or row.service}/{item.name}"
                if key in ext_ids:
                    a, b = ext_ids[key]
                    yield (
                        ("services", i, "external", j, "id"),
                        f"外部提供データのIDが重複しています（services[{a}].external[{b}] と同じ）",
                        key,
                    )
                ext_ids.setdefault(key, (i, j))

    def _assets_check(self, pref: Prefecture, names: ServiceNames) -> Iterator[tuple[Loc, str, object]]:
        """Unique asset ids, known platforms, municipalities of the prefecture, known 提供先サービス."""
        platforms = {p.id for p in pref.platforms}
        ids: dict[str, int] = {}
        for i, a in enumerate(self.assets):
            if a.id in ids:
                yield (
                    ("assets", i, "id"),
                    f"データアセットIDが重複しています（assets[{ids[a.id]}] と同じ）",
                    a.id,
                )
            ids.setdefault(a.id, i)
            if a.platform is not None and a.platform not in platforms:
                yield (
                    ("assets", i, "platform"),
                    f"不明な基盤IDです（既知: {', '.join(sorted(platforms)) or 'なし'}）",
                    a.platform,
                )
            if a.municipality and a.municipality[:2] != pref.code:
                yield ("assets", i, "municipality"), f"{pref.name}の市区町村ではありません", a.municipality
            for k, target in enumerate(a.to):
                if names.resolve(target) is None and not names.is_system(target):
                    yield ("assets", i, "to", k), names.unknown_message("提供先サービス"), target


class ServiceNames:
    """Resolves a service written as its id or its name (spelling folded) to the id; knows the data map's external
    systems (a 提供先 that is no service)."""

    def __init__(self, pref: Prefecture, systems: list[ExternalSystem] | None = None) -> None:
        if systems is None and pref.data_map is not None:
            systems = pref.data_map.systems
        self.systems = {fold(s.name): s.name for s in systems or []}
        self.ids = [s.id for s in pref.services]
        self.index: dict[str, str] = {}
        for s in pref.services:
            self.index.setdefault(s.id, s.id)
        for s in pref.services:
            self.index.setdefault(fold(s.id), s.id)
            self.index.setdefault(fold(s.name), s.id)

    def resolve(self, text: str) -> str | None:
        return self.index.get(text) or self.index.get(fold(text))

    def is_system(self, text: str) -> bool:
        """Whether a 提供先 names one of the data map's external systems."""
        return fold(text) in self.systems

    def resolve_many(self, texts: list[str]) -> list[str]:
        """The ids of the services named (unknown names left out; order kept, no duplicates)."""
        out: list[str] = []
        for t in texts:
            sid = self.resolve(t)
            if sid is not None and sid not in out:
                out.append(sid)
        return out

    def unknown_message(self, what: str = "サービス") -> str:
        known = ", ".join(self.ids[:20]) + ("…" if len(self.ids) > 20 else "")
        extra = (
            "。サービスでないシステムなら data_map: の systems: に名前を書きます"
            if what != "サービス"
            else ""
        )
        return f"services: にない{what}です（サービスIDかサービス名で指定。既知: {known or 'なし'}{extra}）"
