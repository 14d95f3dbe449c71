"""The ``costs:`` section of a prefecture file (CONTRACT.md): the cost scenario, in yen.

The CONTRACT keys (``horizon_years``, ``discount_rate``, ``shared``, ``standalone``, ``members``) keep their
meaning; everything else is optional. Field validators raise ``ValueError`` with a Japanese message (the loader
locates it); checks that need the prefecture are in :meth:`CostScenario.cross_check`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from .. import reference
from ..text import fold
from .base import Loc, Model, muni_code

if TYPE_CHECKING:  # the model that holds every section (models.py imports this module)
    from .models import Prefecture

#: the largest amount one entry of a cost scenario may hold: 1兆円. A data platform's cost, or one
#: municipality's, is tens of millions to billions of yen (guide 2.5: 数千万円 per municipality); an amount above
#: this is a slip (a unit, extra zeros, 1e308), and such amounts overflowed the present values into inf/NaN.
MAX_YEN = 1e12
#: the largest usage figure (users, records, API calls a year, GB): 1,000兆
MAX_COUNT = 1e15


def _yen_cap(v: float) -> float:
    if v > MAX_YEN:
        raise ValueError(
            "金額が大きすぎます。1件の金額は1兆円（1,000,000,000,000 円）までです。"
            "単位は円で書きます（千円・万円で書いていないか、桁を確かめてください）"
        )
    return v


def _count_cap(v: float) -> float:
    if v > MAX_COUNT:
        raise ValueError(
            "利用量が大きすぎます。1,000兆（1,000,000,000,000,000）までです。桁を確かめてください"
        )
    return v


Yen = Annotated[float, Field(ge=0, allow_inf_nan=False), AfterValidator(_yen_cap)]
Count = Annotated[float, Field(ge=0, allow_inf_nan=False), AfterValidator(_count_cap)]
Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]

#: usage drivers a municipality may report (data/cost_drivers.csv)
DRIVERS = ("users", "records", "api_calls", "data_volume")
#: parts of the joint-body formula (flat part + drivers), DOMAIN §6b 一部事務組合 bylaws
WEIGHT_KEYS = ("flat", "population", *DRIVERS)
#: cost classes (data/cost_classes.csv), DOMAIN §6b
COST_CLASSES = ("cloud", "labour", "licences")
#: HARP (北海道): twice the population pays 1.5 times -> exponent log2(1.5)
HARP_EXPONENT = math.log2(1.5)


def _pref_code(info: ValidationInfo | None) -> str | None:
    return (info.context or {}).get("pref_code") if info is not None else None


def _codes_list(v: Any, info: ValidationInfo | None = None) -> Any:
    pref_code = _pref_code(info)
    if v is None:
        return v
    if not isinstance(v, list):
        v = [v]
    return [muni_code(x, pref_code) for x in v]


def _codes_keys(v: Any, info: ValidationInfo | None = None) -> Any:
    pref_code = _pref_code(info)
    if not isinstance(v, dict):
        return v
    return {muni_code(k, pref_code): val for k, val in v.items()}


@functools.cache
def scheme_codes() -> dict[str, str]:
    """Folded code/label -> scheme code, from data/prefecture_schemes.csv."""
    df = reference.table("prefecture_schemes.csv")
    idx: dict[str, str] = {}
    for code, ja in df[["code", "label_ja"]].itertuples(index=False):
        idx[fold(code)] = code
        idx[fold(ja)] = code
        idx[fold(ja.split("（")[0])] = code
    return idx


@functools.cache
def module_case_codes() -> dict[str, str]:
    """Folded code/label -> case of the recommended-module effect, from data/module_cases_2_6.csv."""
    df = reference.table("module_cases_2_6.csv")
    idx: dict[str, str] = {}
    for code, ja in df[["code", "label_ja"]].itertuples(index=False):
        idx[fold(code)] = code
        idx[fold(ja)] = code
    return idx


class ClassCost(Model):
    """One cost class (cloud, labour, licences) of the shared platform's fixed cost (yen)."""

    initial: Yen = 0
    annual: Yen = 0


class Capacity(Model):
    """A capacity step: every started block of ``members_per_step`` members beyond the first adds cost."""

    members_per_step: int = Field(ge=1, description="1段あたりの参加団体数")
    initial: Yen = Field(0, description="1段増えるごとの初期費用（円）")
    annual: Yen = Field(0, description="1段増えるごとの年間費用（円/年）")


class SharedCost(Model):
    """The shared platform's cost (yen)."""

    initial: Yen = Field(description="初期費用（円）")
    annual_fixed: Yen = Field(0, description="年間固定費（円/年）")
    annual_per_member: Yen = Field(0, description="参加団体ごとの年間費用（円/年・団体）")
    initial_per_member: Yen = Field(
        0, description="参加団体ごとの初期費用（円/団体、ライセンス初期設定など）"
    )
    annual_per_unit: dict[Literal["users", "records", "api_calls", "data_volume"], Yen] = Field(
        default_factory=dict, description="利用量1単位あたりの年間費用（円/年、クラウド利用料など）"
    )
    capacity: Capacity | None = None
    classes: dict[Literal["cloud", "labour", "licences"], ClassCost] | None = Field(
        None, description="費用区分の内訳（initial と annual_fixed の内訳、合計が一致すること）"
    )

    @model_validator(mode="after")
    def _classes_sum(self) -> SharedCost:
        if self.classes:
            ini = sum(c.initial for c in self.classes.values())
            ann = sum(c.annual for c in self.classes.values())
            if abs(ini - self.initial) > 1 or abs(ann - self.annual_fixed) > 1:
                raise ValueError(
                    f"classes の合計（初期 {ini:,.0f} 円、年間 {ann:,.0f} 円）が initial "
                    f"{self.initial:,.0f} 円・annual_fixed {self.annual_fixed:,.0f} 円と一致しません"
                )
        return self


class StandaloneOverride(Model):
    """One municipality's own stand-alone cost (yen); omitted parts take the default."""

    initial: Yen | None = None
    annual: Yen | None = None


class StandaloneCost(Model):
    """One municipality going alone (yen); per-code overrides allowed (guide 2.5: 数千万円 per municipality)."""

    initial: Yen = Field(description="単独構築の初期費用（円）")
    annual: Yen = Field(description="単独運用の年間費用（円/年）")
    overrides: dict[str, StandaloneOverride] = Field(
        default_factory=dict, description="市区町村コード → {initial, annual}"
    )
    scale_by_population: bool | Annotated[float, Field(ge=0, le=2, allow_inf_nan=False)] = Field(
        False,
        description="人口で規模調整する（true=比例、数値=指数 e、(人口/基準人口)^e 倍）",
    )
    reference_population: int | None = Field(
        None, ge=1, description="規模調整の基準人口（省略時は都道府県内市区町村の人口の中央値）"
    )

    _overrides = field_validator("overrides", mode="before")(
        classmethod(lambda cls, v, info: _codes_keys(v, info))
    )

    @property
    def exponent(self) -> float:
        """The population exponent (0 when not scaled)."""
        if self.scale_by_population is True:
            return 1.0
        if self.scale_by_population is False:
            return 0.0
        return float(self.scale_by_population)


class Drivers(Model):
    """Usage drivers of one municipality (DOMAIN §6b 利用割)."""

    users: Count | None = Field(None, description="利用者数")
    records: Count | None = Field(None, description="レコード数")
    api_calls: Count | None = Field(None, description="API呼出数（回/年）")
    data_volume: Count | None = Field(None, description="データ量（GB）")


class PrefectureShare(Model):
    """The prefecture's part of the shared cost (fractions), initial and running separately."""

    initial: Fraction = Field(0, description="県が負担する初期費用の割合")
    running: Fraction = Field(0, description="県が負担する運用費の割合")
    applies_to: Literal["all", "platform"] = Field(
        "all", description="all=共同基盤の費用全体、platform=基盤の固定費のみ（団体ごとの費用は市町村）"
    )


#: option keys of ``costs.options`` (workbench.options): today's state and the 型 an option reaches
OPTION_TYPES = ("2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8")
STATUS_QUO = "status_quo"


def option_key(value: Any) -> str:
    """The key of an option's stated cost: ``status_quo`` (or 現状維持) or the 型 it reaches (``2.4``, 型2.4, a
    YAML number 2.4); raises ValueError naming the keys allowed."""
    text = fold(str(value)).removeprefix("型")
    if text in (STATUS_QUO, fold("現状維持")):
        return STATUS_QUO
    if text in OPTION_TYPES:
        return text
    raise ValueError(
        f"選択肢 {value!r} はありません（使える値: 現状維持 または 目指す型 {'・'.join(OPTION_TYPES)}）"
    )


class OptionCost(Model):
    """One option's cost as the file states it (yen): what it costs from now over the horizon to reach and
    run the arrangement, platforms and migration included (workbench.options: where an option has none, its
    cost is derived from the file's scenario or estimated from the guide's surveyed effects, guide 2.5)."""

    initial: Yen = Field(0, description="初期費用（構築・移行、円。評価期間の最初の年に支払う）")
    annual: Yen = Field(0, description="年間費用（運用・保守・連携、円/年）")
    prefecture_initial: Fraction | None = Field(
        None, description="県が負担する初期費用の割合（省略時は費用の前提の県負担の方式）"
    )
    prefecture_running: Fraction | None = Field(
        None, description="県が負担する年間費用の割合（省略時は費用の前提の県負担の方式）"
    )
    source: str | None = Field(None, description="金額の出典（見積り・予算資料など）")
    notes: str | None = None


class CostScenario(Model):
    """The cost scenario of a prefecture (CONTRACT.md ``costs:``)."""

    horizon_years: int = Field(5, ge=1, le=50)
    discount_rate: float = Field(0.04, ge=0, le=0.5, allow_inf_nan=False)
    shared: SharedCost
    standalone: StandaloneCost
    members: list[str] | None = None
    drivers: dict[str, Drivers] = Field(default_factory=dict, description="市区町村コード → 利用量")
    weights: dict[str, Fraction] | None = Field(
        None, description="均等割＋人口割＋利用割の重み {flat, population, users, …}（合計1）"
    )
    degressive_exponent: float = Field(HARP_EXPONENT, gt=0, le=2, allow_inf_nan=False)
    scheme: str | None = Field(None, description="県負担の方式: fukushima | tochigi | tottori | none")
    prefecture_share: PrefectureShare | None = None
    join_year: dict[str, int] = Field(default_factory=dict, description="市区町村コード → 参加年（0=当初）")
    non_participants: Literal["none", "prefecture", "participants"] = Field(
        "none",
        description="不参加団体の分: none=基盤は参加団体向けの規模、prefecture=県が負担、participants=参加団体が負担",
    )
    module_effect: bool = Field(
        False, description="推奨モジュールの効果（guide 2.6）を共同基盤の費用に適用する"
    )
    module_baseline: Literal["scratch", "non_scratch"] = Field(
        "scratch",
        description="推奨モジュールの効果の比較の前提（guide 2.6）: scratch=スクラッチ開発と比べた場合（83%減）、"
        "non_scratch=スクラッチ開発でない場合（41%減）。data/module_cases_2_6.csv",
    )

    options: dict[str, OptionCost] = Field(
        default_factory=dict,
        description="選択肢ごとの費用（キー: 現状維持 または 目指す型 2.1〜2.8）。ない選択肢は費用の前提から導くか、"
        "ガイド 2.5 の調査結果から推計する",
    )

    _members = field_validator("members", mode="before")(
        classmethod(lambda cls, v, info: _codes_list(v, info))
    )
    _keys = field_validator("drivers", "join_year", mode="before")(
        classmethod(lambda cls, v, info: _codes_keys(v, info))
    )

    @field_validator("options", mode="before")
    @classmethod
    def _option_keys(cls, v: Any) -> Any:
        if not isinstance(v, dict):
            return v
        out: dict[str, Any] = {}
        for k, val in v.items():
            key = option_key(k)
            if key in out:
                raise ValueError(f"選択肢 {k!r} が重複しています")
            out[key] = val
        return out

    @field_validator("members")
    @classmethod
    def _unique(cls, v: list[str] | None) -> list[str] | None:
        if v is not None:
            if not v:
                raise ValueError("members が空です（省略すると都道府県内の全市区町村）")
            dup = sorted({c for c in v if v.count(c) > 1})
            if dup:
                raise ValueError(f"members に重複があります: {', '.join(dup)}")
        return v

    @field_validator("weights")
    @classmethod
    def _weights(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        if v is None:
            return v
        bad = [k for k in v if k not in WEIGHT_KEYS]
        if bad:
            raise ValueError(
                f"weights のキー {', '.join(bad)} は使えません（使える値: {', '.join(WEIGHT_KEYS)}）"
            )
        total = sum(v.values())
        if abs(total - 1) > 1e-9:
            raise ValueError(f"weights の合計は1にしてください（いまは {total:g}）")
        return v

    @field_validator("scheme", mode="before")
    @classmethod
    def _scheme(cls, v: Any) -> Any:
        if v is None:
            return v
        try:
            return scheme_codes()[fold(str(v))]
        except KeyError:
            allowed = ", ".join(sorted(set(scheme_codes().values())))
            raise ValueError(f"scheme {v!r} は使えません（使える値: {allowed}）") from None

    @field_validator("module_baseline", mode="before")
    @classmethod
    def _module_baseline(cls, v: Any) -> Any:
        if v is None or not isinstance(v, str):
            return v
        return module_case_codes().get(fold(v), v)  # unknown values: the Literal reports them

    @field_validator("join_year")
    @classmethod
    def _join(cls, v: dict[str, int], info: ValidationInfo) -> dict[str, int]:
        horizon = info.data.get("horizon_years", 50)
        for code, year in v.items():
            if not 0 <= year <= horizon:
                raise ValueError(f"{code} の参加年 {year} は 0～{horizon}（評価期間）の範囲にしてください")
        return v

    @model_validator(mode="after")
    def _one_share(self) -> CostScenario:
        if self.scheme is not None and self.prefecture_share is not None:
            raise ValueError("scheme と prefecture_share はどちらか一方だけ指定してください")
        return self

    def needs_population(self) -> bool:
        """Whether the scenario itself (not a rule) needs every member's population."""
        return self.standalone.exponent > 0 or bool(self.weights and self.weights.get("population", 0) > 0)

    def cross_check(self, pref: Prefecture) -> Iterator[tuple[Loc, str, object]]:
        """Codes of the prefecture in members, overrides, drivers and join years; join years of members; no
        member with a population of 0 when the scenario uses population."""
        yield from self._codes_check(pref)
        if self.needs_population():
            yield from self._population_check(pref)

    def _codes_check(self, pref: Prefecture) -> Iterator[tuple[Loc, str, object]]:
        """Members, overrides, drivers and join years may name municipalities of other prefectures (guide 1.2 (3)
        「都道府県を超えた取組が行われることは、むしろ好ましい」; guidebook 第3.0版 9.6 めぶくグラウンド「北海道江別市や
        長崎県大村市、大阪府門真市などへシームレスに横展開」): they are costed with their census population and
        marked 外部の団体. A join year needs its municipality among the members; one of another prefecture is a
        member only when listed (members omitted = the prefecture's own municipalities)."""
        members = set(self.members) if self.members is not None else None
        for code in self.join_year:
            listed = code in members if members is not None else code[:2] == pref.code
            if not listed:
                yield ("join_year", code), "members にない市区町村の参加年です", code

    def _population_check(self, pref: Prefecture) -> Iterator[tuple[Loc, str, object]]:
        munis = reference.municipalities()
        pops = dict(zip(munis["code"], munis["population_2020"], strict=True))
        own = list(reference.municipalities_of(pref.code)["code"])
        codes = self.members if self.members is not None else own
        why = "standalone.scale_by_population" if self.standalone.exponent > 0 else "weights.population"
        for i, code in enumerate(codes):
            if code in pops and pops[code] <= 0:
                loc: Loc = ("members", i) if self.members is not None else ("members",)
                yield (
                    loc,
                    f"{reference.municipality_name(code)}（{code}）の2020年国勢調査人口が0人のため、"
                    f"人口を使う設定（{why}）で按分できません。members から外すか設定を変えてください",
                    code,
                )
