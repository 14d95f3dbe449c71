"""Allocation rules, each a small pure function, and :func:`allocate` / :func:`compare` on a prefecture.

Rules (data/cost_rules.csv): equal 均等割, population 人口割, usage 利用割, hybrid (joint-body formula),
degressive (HARP), shapley, nucleolus, scrb. All split what the members pay: the shared cost less the
prefecture's part (scheme presets of DOMAIN §6b).
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import compress
from typing import ClassVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from .. import reference
from ..errors import InputError
from ..inventory.costs import DRIVERS, HARP_EXPONENT
from ..results import Result, models_from
from . import games
from .games import StructuredGame
from .model import (
    CostModel,
    HasCosts,
    build_model,
    guide_comparison,
    located,
    rule_code,
    rule_codes,
    rule_row,
)

# --- pure rule functions --------------------------------------------------------------------------------


def equal_shares(total: float, n: int) -> np.ndarray:
    """均等割: total / n each (DOMAIN §6b 一部事務組合 bylaws)."""
    return np.full(n, total / n)


def proportional_shares(total: float, weights: np.ndarray) -> np.ndarray:
    """Shares in proportion to non-negative ``weights`` (人口割, 利用割)."""
    w = np.asarray(weights, dtype=float)
    return total * w / w.sum()


def hybrid_shares(
    total: float, parts: dict[str, float], drivers: dict[str, np.ndarray], n: int
) -> np.ndarray:
    """The joint-body formula share_i = C × (w0/n + Σ_k w_k d_ik / Σ_j d_jk) (DOMAIN §6b 一部事務組合 bylaws).

    ``parts`` maps "flat" and driver names (population, users, …) to weights summing to 1; ``drivers``
    gives each driver's vector.
    """
    out = np.full(n, parts.get("flat", 0.0) / n)
    for k, w in parts.items():
        if k != "flat" and w > 0:
            d = np.asarray(drivers[k], dtype=float)
            out = out + w * d / d.sum()
    return total * out


def degressive_shares(total: float, population: np.ndarray, exponent: float = HARP_EXPONENT) -> np.ndarray:
    """Degressive population shares ∝ population^e; e = log2 1.5 reproduces 北海道 HARP's "twice the
    population pays 1.5 times" (DOMAIN §6b)."""
    return proportional_shares(total, np.asarray(population, dtype=float) ** exponent)


# --- players bundle and dispatch -----------------------------------------------------------------------


@dataclass(frozen=True)
class Players:
    """What a rule needs: the members' cost game and per-player data."""

    game: StructuredGame
    codes: tuple[str, ...]
    population: np.ndarray
    drivers: dict[str, np.ndarray]
    weights: dict[str, float] | None
    exponent: float
    driver: str | None
    member_fields: dict[str, str] | None = None  # code -> "costs.members[i]" for located errors

    def subset(self, keep: np.ndarray) -> Players:
        keep = np.asarray(keep, dtype=bool)
        if len(keep) != len(self.codes):
            raise ValueError(f"keep has {len(keep)} entries for {len(self.codes)} players")
        return replace(
            self,
            game=self.game.subgame(keep),
            codes=tuple(compress(self.codes, keep)),
            population=self.population[keep],
            drivers={k: v[keep] for k, v in self.drivers.items()},
        )

    def without_each(self) -> list[tuple[np.ndarray, Players]]:
        """For each player j: the indices of the others and the players without j (:meth:`subset`), built once
        per players: the monotonicity check of the audit reruns every rule on these same n subsets (frozen, as
        :meth:`subset` makes them; no rule changes them)."""
        cached = self.__dict__.get("_wb_without")
        if cached is None:
            n = len(self.codes)
            cached = []
            for j in range(n):
                keep = np.ones(n, dtype=bool)
                keep[j] = False
                cached.append((np.flatnonzero(keep), self.subset(keep)))
            object.__setattr__(self, "_wb_without", cached)  # Players is frozen; the cache is no field of it
        return cached


def _need_positive(
    values: np.ndarray,
    codes: tuple[str, ...],
    what: str,
    field_name: str,
    fields: dict[str, str] | None = None,
) -> None:
    if len(values) == len(codes) and bool(np.all(np.asarray(values) > 0)):
        return  # every value positive (NaN is not): nothing to name
    bad = [c for c, x in zip(codes, values, strict=True) if not (x > 0)]
    if bad:
        code = bad[0]
        if fields and "members" in field_name:
            field_name = fields.get(code, field_name)
        raise InputError.single(
            f"{reference.municipality_name(code)}（{code}）の{what}が0または未入力のため、この配分ルールでは按分できません"
            "（members から外すか、別のルールを選んでください）",
            field=field_name.format(code=code),
            value=code,
        )


POPULATION_WHAT = "2020年国勢調査人口"


def driver_label(driver: str) -> str:
    """The Japanese label of a usage driver (data/cost_drivers.csv), e.g. ``users`` → 利用者割."""
    return _driver_labels().get(driver, driver)


@functools.cache
def _driver_labels() -> dict[str, str]:
    df = reference.table("cost_drivers.csv")
    return {str(c): str(j) for c, j in zip(df["code"], df["label_ja"], strict=True)}


def _usage_what(driver: str) -> str:
    return f"利用量（{driver_label(driver)}）"


def _drivers_allowed() -> str:
    return ", ".join(f"{k}（{driver_label(k)}）" for k in DRIVERS)


def usage_driver(p: Players) -> str:
    """The driver of the usage rule: the one asked for, else the first reported for every player."""
    if p.driver is not None:
        if p.driver not in DRIVERS:
            raise InputError.single(
                f"利用量の指標 {p.driver!r} はありません",
                field="driver",
                value=p.driver,
                allowed=_drivers_allowed(),
            )
        return p.driver
    for k in DRIVERS:
        if np.all(p.drivers[k] > 0):
            return k
    raise InputError.single(
        f"利用割には全参加団体の drivers（{_drivers_allowed()} のいずれか）が必要です",
        field="costs.drivers",
    )


def _need_population(p: Players) -> None:
    _need_positive(p.population, p.codes, POPULATION_WHAT, "costs.members", p.member_fields)


# --- the rules: one function each, one table (data/cost_rules.csv lists the same codes) ------------------


def _equal(p: Players) -> np.ndarray:
    return equal_shares(p.game.grand(), p.game.n)


def _population(p: Players) -> np.ndarray:
    _need_population(p)
    return proportional_shares(p.game.grand(), p.population)


def _degressive(p: Players) -> np.ndarray:
    _need_population(p)
    return degressive_shares(p.game.grand(), p.population, p.exponent)


def _usage(p: Players) -> np.ndarray:
    k = usage_driver(p)
    _need_positive(p.drivers[k], p.codes, _usage_what(k), "costs.drivers.{code}." + k)
    return proportional_shares(p.game.grand(), p.drivers[k])


def _hybrid(p: Players) -> np.ndarray:
    if not p.weights:
        raise InputError.single(
            "均等割＋人口割＋利用割（hybrid）には costs.weights が必要です（例: {flat: 0.1, population: 0.9}）",
            field="costs.weights",
        )
    data = dict(p.drivers, population=p.population)
    for k, w in p.weights.items():
        if k != "flat" and w > 0:
            what = POPULATION_WHAT if k == "population" else _usage_what(k)
            where = "costs.members" if k == "population" else "costs.drivers.{code}." + k
            _need_positive(data[k], p.codes, what, where, p.member_fields)
    return hybrid_shares(p.game.grand(), p.weights, data, p.game.n)


def _shapley(p: Players) -> np.ndarray:
    return p.game.shapley()


def _nucleolus(p: Players) -> np.ndarray:
    return games.nucleolus(p.game)  # exact at any size for the model's structured game


def _scrb(p: Players) -> np.ndarray:
    return games.scrb(p.game)


# with non-participants on the players (their part carried by others), they may lack data: weight 0


def _population_tolerant(p: Players) -> np.ndarray:
    return proportional_shares(p.game.grand(), p.population)


def _degressive_tolerant(p: Players) -> np.ndarray:
    return proportional_shares(p.game.grand(), p.population**p.exponent)


def _usage_tolerant(p: Players) -> np.ndarray:
    k = usage_driver(p) if p.driver else next((k for k in DRIVERS if np.nansum(p.drivers[k]) > 0), None)
    if k is None:
        raise InputError.single("利用割には drivers が必要です", field="costs.drivers")
    return proportional_shares(p.game.grand(), np.nan_to_num(p.drivers[k]))


def _hybrid_tolerant(p: Players) -> np.ndarray:
    return _hybrid(replace(p, drivers={k: np.nan_to_num(v) for k, v in p.drivers.items()}))


@dataclass(frozen=True)
class Rule:
    """How one allocation rule computes shares: ``shares`` with every player's data checked, ``tolerant``
    where non-participants ride along without data (default: the same function)."""

    shares: Callable[[Players], np.ndarray]
    tolerant: Callable[[Players], np.ndarray] | None = None


#: the dispatch table; tests/test_cost_allocate.py checks it lists exactly the codes of data/cost_rules.csv
RULES: dict[str, Rule] = {
    "equal": Rule(_equal),
    "population": Rule(_population, _population_tolerant),
    "usage": Rule(_usage, _usage_tolerant),
    "hybrid": Rule(_hybrid, _hybrid_tolerant),
    "degressive": Rule(_degressive, _degressive_tolerant),
    "shapley": Rule(_shapley),
    "nucleolus": Rule(_nucleolus),
    "scrb": Rule(_scrb),
}


def _rule(rule: str) -> Rule:
    code = rule_code(rule)
    try:
        return RULES[code]
    except KeyError:  # pragma: no cover - the table test keeps RULES and data/cost_rules.csv together
        raise InputError.single(f"配分ルール {rule!r} は未実装です", field="rule", value=rule) from None


def shares_for(p: Players, rule: str) -> np.ndarray:
    """The shares of ``p.game.grand()`` under ``rule`` (raises InputError when the data do not allow it)."""
    return _rule(rule).shares(p)


def rule_shares(rule: str) -> Callable[[Players], np.ndarray]:
    """The function of ``rule`` that :func:`shares_for` calls: ``rule_shares(rule)(p) == shares_for(p, rule)``,
    with the rule looked up once for many players (the audit's monotonicity check)."""
    return _rule(rule).shares


def players_of(m: CostModel, driver: str | None = None, exponent: float | None = None) -> Players:
    """The players of model ``m`` (its members' capped game and per-player data), built once per model and
    ``(driver, exponent)``: an audit of every rule asks for them once per rule and once per check, and building
    the game each time was a tenth of the national batch. Players are frozen and no rule changes their arrays
    in place (:meth:`Players.subset` and ``dataclasses.replace`` make new ones)."""
    cache = m.__dict__.get("_wb_players")
    if cache is None:
        cache = {}
        object.__setattr__(m, "_wb_players", cache)  # CostModel is frozen; the cache is not one of its fields
    key = (driver, exponent)
    hit = cache.get(key)
    if hit is None:
        hit = cache[key] = _players_of(m, driver, exponent)
    return hit


def _players_of(m: CostModel, driver: str | None, exponent: float | None) -> Players:
    sc = m.scenario
    return Players(
        game=m.member_game.capped(),
        codes=m.codes,
        population=m.population,
        drivers=m.drivers,
        weights=sc.weights,
        exponent=sc.degressive_exponent if exponent is None else exponent,
        driver=driver,
        member_fields={c: f"costs.members[{i}]" for i, c in enumerate(sc.members or [])},
    )


# --- results --------------------------------------------------------------------------------------------

#: how the notes of the cost model begin when the recommended-module effect (guide 2.6) is applied
MODULE_NOTE = "推奨モジュールの効果"


class MemberShare(BaseModel):
    """One member's share (yen, present value)."""

    model_config = ConfigDict(extra="forbid")

    code: str
    name: str
    population: int
    share: float = Field(description="負担額（現在価値、円）")
    standalone: float = Field(description="単独で構築・運用した場合の費用（現在価値、円）")
    individually_rational: bool = Field(description="負担額が単独の費用以下か")
    saving: float = Field(description="単独に比べた削減額（円）")
    saving_ratio: float = Field(description="単独に比べた削減率")
    join_year: int = 0
    outside: bool = Field(False, description="他の都道府県の市区町村（外部の団体、guide 1.2 (3)）")


class GuideRange(BaseModel):
    """The scenario beside the surveyed range (guide 2.5)."""

    code: str
    label: str
    ratio: float
    low: float
    high: float
    verdict: str
    text: str
    source: str


#: who carries the non-participants' part (the cost scenario's ``non_participants``) as staff read it
NON_PARTICIPANTS_JA = {"prefecture": "県が負担", "participants": "参加団体が負担", "none": "なし"}


class Allocation(Result):
    """A cost allocation (CONTRACT ``cost`` JSON: rule, total, prefecture, members) with its provenance."""

    model_config = ConfigDict(extra="forbid")

    rule: str
    rule_label: str
    rule_source: str
    prefecture_code: str
    prefecture_name: str
    total: float = Field(description="共同利用の費用の現在価値（円）")
    prefecture: float = Field(description="県の負担（現在価値、円）")
    members: list[MemberShare]
    scheme: str
    scheme_label: str
    prefecture_initial_fraction: float
    prefecture_running_fraction: float
    prefecture_applies_to: str
    carried_for_non_participants: float = 0.0
    non_participants: str = "none"
    horizon_years: int
    discount_rate: float
    individually_rational: bool
    in_core: bool | None = None
    core_method: str = ""
    guide_comparison: list[GuideRange]
    notes: list[str] = []
    caveats: list[str] = Field(
        default=[], description="この配分ルールをこのシナリオに使うときの注意（要約にも表示）"
    )
    sources: list[str] = []

    FIELD_DOCS: ClassVar[dict[str, str]] = {
        "rule": "the rule's code (data/cost_rules.csv)",
        "rule_label": "the rule's name (シャープレイ値 …)",
        "rule_source": "where the rule comes from",
        "prefecture_code": "JIS code of the prefecture",
        "prefecture_name": "the prefecture's name",
        "members": "each member's share, stand-alone cost, saving and whether it is better off",
        "scheme": "the prefecture's share scheme (fukushima | tochigi | tottori | none | custom)",
        "scheme_label": "the scheme's name",
        "prefecture_initial_fraction": "the part of the initial cost the prefecture pays",
        "prefecture_running_fraction": "the part of the running cost the prefecture pays",
        "prefecture_applies_to": "which costs the prefecture's part applies to",
        "carried_for_non_participants": "what the prefecture carries for municipalities that do not take part (yen)",
        "non_participants": "how non-participants are treated (none | participants | prefecture)",
        "horizon_years": "years of the horizon",
        "discount_rate": "the discount rate",
        "individually_rational": "no member pays more than alone",
        "in_core": "no group of members would be better off alone (None: not checked)",
        "core_method": "how the core was checked",
        "guide_comparison": "the scenario beside guide 2.5's surveyed ranges",
        "notes": "notes on the model, in Japanese",
        "sources": "sources of the rule and the scenario",
    }

    FRAME_COLUMNS: ClassVar[dict[str, str]] = {
        "rule": "the rule's code (shapley, equal, population …)",
        "kind": "member (a municipality) | prefecture (the prefecture's part, one row, last)",
        "code": "6-digit municipality code; the 2-digit prefecture code on the prefecture's row",
        "name": "municipality (census name) or prefecture name",
        "outside": "True for a municipality of another prefecture (外部の団体)",
        "population": "2020 census population (<NA> on the prefecture's row)",
        "join_year": "year it joins (0: from the start; <NA> on the prefecture's row)",
        "share": "what it pays, present value (yen); shares plus the prefecture's row add up to ``total``",
        "standalone": "present value of going alone (yen; NaN on the prefecture's row)",
        "saving": "standalone − share (yen)",
        "saving_ratio": "saving / standalone",
        "individually_rational": "share ≤ standalone (<NA> on the prefecture's row)",
    }

    def to_frame(self) -> pd.DataFrame:
        """One row per member, then the prefecture's part as a row of its own (``kind == "prefecture"``), so
        ``share`` adds up to :attr:`total`; codes as values (columns: :attr:`FRAME_COLUMNS`).

        >>> import workbench as wb
        >>> df = wb.allocate(wb.load_sample("07"), rule="population").to_frame()
        >>> df.iloc[-1][["kind", "code", "name"]].tolist()
        ['prefecture', '07', '福島県']
        >>> round(df["share"].sum()) == round(wb.allocate(wb.load_sample("07"), rule="population").total)
        True
        """
        rows: list[dict[str, object]] = [
            {
                "rule": self.rule,
                "kind": "member",
                "code": m.code,
                "name": m.name,
                "outside": m.outside,
                "population": m.population,
                "join_year": m.join_year,
                "share": m.share,
                "standalone": m.standalone,
                "saving": m.saving,
                "saving_ratio": m.saving_ratio,
                "individually_rational": m.individually_rational,
            }
            for m in self.members
        ]
        rows.append(
            {
                "rule": self.rule,
                "kind": "prefecture",
                "code": self.prefecture_code,
                "name": self.prefecture_name,
                "outside": False,
                "population": None,
                "join_year": None,
                "share": self.prefecture,
                "standalone": np.nan,
                "saving": np.nan,
                "saving_ratio": np.nan,
                "individually_rational": None,
            }
        )
        df = pd.DataFrame.from_records(rows, columns=list(self.FRAME_COLUMNS))
        return df.astype(
            {"population": "Int64", "join_year": "Int64", "individually_rational": "boolean", "outside": bool}
        )

    def to_staff_frame(self) -> pd.DataFrame:
        """One row per member as staff read it (市区町村, 負担額（円）, 単独の費用（円）…), the member by name (its
        municipality code is in :meth:`to_frame`); the prefecture's part is in :meth:`summary_lines`."""
        rows = [
            {
                "市区町村": m.name,
                "外部の団体": m.outside,
                "人口": m.population,
                "参加年": m.join_year,
                "負担額（円）": m.share,
                "単独の費用（円）": m.standalone,
                "削減額（円）": m.saving,
                "削減率": m.saving_ratio,
                "個別合理性": m.individually_rational,
            }
            for m in self.members
        ]
        return pd.DataFrame(rows)

    def summary_lines(self) -> list[str]:
        """The result in sentences staff read (the rule by its label; amounts in 円 and in 万円/億円)."""
        from ..text import money_ja

        def yen(v: float) -> str:
            return f"{v:,.0f} 円（{money_ja(v)}）" if abs(v) >= 1e4 else f"{v:,.0f} 円"

        municipal = sum(m.share for m in self.members)
        lines = [
            f"{self.prefecture_name} 費用配分：{self.rule_label}",
            f"評価期間 {self.horizon_years} 年・割引率 {self.discount_rate:.1%}",
            f"共同利用の費用（現在価値）: {yen(self.total)}",
            f"県の負担（{self.scheme_label}）: {yen(self.prefecture)}",
            f"市区町村の負担合計: {yen(municipal)}・{len(self.members)} 団体",
        ]
        if self.carried_for_non_participants:
            lines.append(
                f"不参加団体の分（{NON_PARTICIPANTS_JA.get(self.non_participants, '負担の扱いは不明')}）: "
                f"{yen(self.carried_for_non_participants)}"
            )
        over = [m.name for m in self.members if not m.individually_rational]
        lines.append(
            "全団体が単独より安くなります（個別合理性を満たす）"
            if not over
            else f"単独より高くなる団体: {'、'.join(over[:10])}{' ほか' if len(over) > 10 else ''}"
        )
        if self.in_core is not None:
            lines.append(
                "コアに入っています（どの団体の組合せも離脱する動機がない）"
                if self.in_core
                else "コアに入っていません（離脱した方が安くなる団体の組合せがある）"
            )
        lines += [g.text for g in self.guide_comparison]
        lines += [
            n for n in self.notes if n.startswith(MODULE_NOTE)
        ]  # the module effect applied, and which case
        lines += self.caveats
        return lines

    def card_title(self) -> str:
        return self.summary_lines()[0]

    def _repr_markdown_(self) -> str:
        head = "\n".join(f"- {s}" for s in self.summary_lines()[1:])
        df = self.to_staff_frame().head(20)
        table = ["| 市区町村 | 負担額（円） | 単独（円） | 削減率 |", "|---|---:|---:|---:|"]
        table += [
            f"| {r['市区町村']} | {r['負担額（円）']:,.0f} | {r['単独の費用（円）']:,.0f} | {r['削減率']:.0%} |"
            for _, r in df.iterrows()
        ]
        src = "、".join(self.sources)
        return f"**{self.summary_lines()[0]}**\n\n{head}\n\n" + "\n".join(table) + f"\n\n出典: {src}\n"

    def _repr_html_(self) -> str:
        lines = self.summary_lines()
        items = "".join(f"<li>{html.escape(s)}</li>" for s in lines[1:])
        rows = "".join(
            f"<tr><td>{html.escape(m.name)}</td><td style='text-align:right'>{m.share:,.0f}</td>"
            f"<td style='text-align:right'>{m.standalone:,.0f}</td>"
            f"<td style='text-align:right'>{m.saving_ratio:.0%}</td>"
            f"<td>{'○' if m.individually_rational else '×'}</td></tr>"
            for m in self.members[:30]
        )
        more = f"<p>ほか {len(self.members) - 30} 団体</p>" if len(self.members) > 30 else ""
        return (
            "<div style='border:1px solid #ccc;border-radius:6px;padding:8px'>"
            f"<h4>{html.escape(lines[0])}</h4><ul>{items}</ul>"
            "<table><tr><th>市区町村</th><th>負担額（円）</th><th>単独（円）</th><th>削減率</th>"
            "<th>単独より安いか（個別合理性）</th></tr>"
            f"{rows}</table>{more}<p style='font-size:smaller'>出典: {html.escape('、'.join(self.sources))}</p></div>"
        )


def check_rule(rule: str) -> str:
    """The code of ``rule`` (a code or a label of data/cost_rules.csv); raises InputError otherwise."""
    return rule_code(rule)


def allocation_from_model(
    m: CostModel,
    rule: str,
    *,
    driver: str | None = None,
    exponent: float | None = None,
    within_standalone: bool = False,
) -> Allocation:
    """The allocation of a built model under ``rule`` (pure: no I/O); ``within_standalone``: see
    :func:`allocate`."""
    rule = check_rule(rule)
    p = players_of(m, driver, exponent)
    if m.non_participants != "none":
        # the rule runs on every municipality; non-participants without data weigh 0
        _check_participants(p, rule, m.participant)
        shares = _shares_tolerant(p, rule)
    else:
        shares = shares_for(p, rule)
    detail = games.scrb_detail(p.game) if rule == "scrb" else None
    fallback = detail.fallback if detail is not None else None
    if within_standalone and fallback is not None:
        shares = fallback.copy()  # SCRB kept within its stated maximum (games.scrb_detail_from)
    total = m.total
    members_total = p.game.grand()
    prefecture = total - members_total
    carried = 0.0
    part = m.participant
    if m.non_participants != "none":
        carried = float(shares[~part].sum())
        shares = shares[part]
        if m.non_participants == "prefecture":
            prefecture += carried
        else:
            shares = (
                shares + carried * shares / shares.sum()
                if shares.sum() > 0
                else shares + carried / len(shares)
            )
    standalone = m.standalone[part]
    idx = np.flatnonzero(part)
    row = rule_row(rule)
    tol = 1e-6 * max(1.0, total)
    members = models_from(
        MemberShare,
        [
            {
                "code": m.codes[j],
                "name": m.names[j],
                "population": int(m.population[j]),
                "share": float(share),
                "standalone": float(alone),
                "individually_rational": bool(share <= alone + tol),
                "saving": float(alone - share),
                "saving_ratio": float(1 - share / alone) if alone >= 1.0 else 0.0,  # below one yen: no ratio
                "join_year": int(m.join_year[j]),
                "outside": bool(m.outside[j]),
            }
            for j, share, alone in zip(idx, shares, standalone, strict=True)
        ],
    )
    in_core, method = None, ""
    if m.non_participants == "none":
        check = games.core_check_structured(p.game, shares)
        in_core, method = check.in_core, check.method
    sources = _allocation_sources(m, row["source"])
    notes = list(m.notes)
    notes.append("初期費用は0年目、運用費は1～T年目の年末に発生するものとして割り引いています")
    caveats = []
    if detail is not None and detail.note:
        caveats.append(detail.note)
        sources.append(games.SCRB_LIMITS_SOURCE)
        if fallback is not None:
            caveats.append(
                _scrb_fallback_text(members, fallback, part, within_standalone, m.non_participants)
            )
    return Allocation(
        rule=rule,
        rule_label=row["label_ja"],
        rule_source=row["source"],
        prefecture_code=m.pref_code,
        prefecture_name=m.pref_name,
        total=float(total),
        prefecture=float(prefecture),
        members=members,
        scheme=m.scheme,
        scheme_label=m.scheme_label,
        prefecture_initial_fraction=m.pref_initial,
        prefecture_running_fraction=m.pref_running,
        prefecture_applies_to=m.applies_to,
        carried_for_non_participants=carried,
        non_participants=m.non_participants,
        horizon_years=m.horizon,
        discount_rate=m.rate,
        individually_rational=all(x.individually_rational for x in members),
        in_core=in_core,
        core_method=method,
        guide_comparison=[GuideRange(**g) for g in guide_comparison(m)],
        notes=notes,
        caveats=caveats,
        sources=sources,
    )


def _allocation_sources(m: CostModel, rule_source: str) -> list[str]:
    """The sources of an allocation: the rule's, the scheme's (guidebook 9.5) where it has one, the guide's
    ranges (2.5), the census, the file's costs, and guide 2.6 when the module effect is applied."""
    sources = [rule_source, "guide 2.5", "令和2年国勢調査（人口）", "費用: your input"]
    scheme_source = _scheme_source(m.scheme)
    if scheme_source:
        sources.insert(1, scheme_source)
    if m.scenario.module_effect:
        sources.append("guide 2.6")
    return sources


def _scheme_source(scheme: str) -> str:
    """The section a prefecture scheme rests on (data/prefecture_schemes.csv; guidebook 第3.0版 9.5), or ""."""
    from .model import scheme_rows

    hit = scheme_rows().get(scheme)
    src = str(hit["source"]) if hit is not None else ""
    return "" if src in ("", "your input") else src


def _scrb_fallback_text(
    members: list[MemberShare], fallback: np.ndarray, part: np.ndarray, applied: bool, non_participants: str
) -> str:
    """The members SCRB charges more than going alone, by name, with what the fallback within the stand-alone
    costs would charge them (or, when it was applied, that it was)."""
    from ..text import money_ja

    if applied:
        return (
            "この配分は、分離費用・残余便益法の負担を各団体の単独の費用以下に収めたものです（式どおりの配分は"
            "配分ルールの比較の分離費用・残余便益法を見てください）。"
        )
    over = [(j, x) for j, x in enumerate(members) if not x.individually_rational]
    alt = fallback[part] if len(fallback) == len(part) and non_participants == "none" else None
    shown = [
        f"{x.name}（負担 {money_ja(x.share)}・単独 {money_ja(x.standalone)}"
        + (f"・上限を守る配分では {money_ja(float(alt[j]))}" if alt is not None else "")
        + "）"
        for j, x in over[:8]
    ]
    more = f" ほか {len(over) - 8} 団体" if len(over) > 8 else ""
    if not shown:
        return "負担を単独の費用以下に収める配分も計算できます。"
    return (
        f"単独の費用を上回る団体: {'、'.join(shown)}{more}。"
        "上限を守る配分では、ほかの団体の負担がその分増えます。"
    )


def _check_participants(p: Players, rule: str, part: np.ndarray) -> None:
    """Raise for zero population among participants only (rules that need the population: data/cost_rules.csv
    ``needs``, and the joint-body formula when it weighs population)."""
    needs = str(rule_row(rule)["needs"])
    if needs == "population" or (needs == "weights" and (p.weights or {}).get("population", 0) > 0):
        sub = p.subset(part)
        _need_positive(sub.population, sub.codes, POPULATION_WHAT, "costs.members", p.member_fields)


def _shares_tolerant(p: Players, rule: str) -> np.ndarray:
    """Shares on all municipalities where non-participants may lack data (their weight is then 0)."""
    r = _rule(rule)
    return (r.tolerant or r.shares)(p)


@located
def allocate(
    pref: HasCosts,
    rule: str = "shapley",
    *,
    scheme: str | None = None,
    driver: str | None = None,
    exponent: float | None = None,
    within_standalone: bool = False,
) -> Allocation:
    """Allocate the shared cost of ``pref.costs`` among its members under ``rule``.

    Shares plus the prefecture's part equal ``total`` (the PV of the shared cost).

    Parameters
    ----------
    pref : Prefecture
        Or any object with ``code``, ``name``, ``costs``.
    rule : str
        equal | population | usage | hybrid | degressive | shapley | nucleolus | scrb (data/cost_rules.csv).
    scheme : str, optional
        fukushima | tochigi | tottori | none — overrides the file's prefecture share (DOMAIN §6b).
    driver : str, optional
        The usage driver for ``usage`` (users, records, api_calls, data_volume).
    exponent : float, optional
        The exponent of ``degressive`` (default: the file's, else log2 1.5 = HARP).
    within_standalone : bool
        For ``scrb``: where the textbook formula charges a member more than its stand-alone cost (its
        separable cost exceeds it), the fallback that keeps every share between 0 and the stand-alone cost
        (the method's stated limits, :data:`~workbench.cost.games.SCRB_LIMITS_SOURCE`) instead. The
        textbook allocation names those members and offers this one in its ``caveats``. No effect where no
        share exceeds its stand-alone cost, or where no allocation can keep within them.

    Raises
    ------
    InputError
        For unusable input (no costs, zero population under a population rule, missing drivers, …).

    Returns
    -------
    Allocation
        ``members`` (:class:`MemberShare` each), ``prefecture`` (the prefecture's part), ``total``, the rule and
        its source; ``to_frame()`` one row per member and the prefecture's part as a last row
        (``kind == "prefecture"``), ``summary_lines()`` the result in Japanese.

    Examples
    --------
    >>> import workbench as wb
    >>> alloc = wb.allocate(wb.load_sample("07"), rule="shapley")
    >>> alloc.rule_label
    'シャープレイ値'
    >>> shares = sum(m.share for m in alloc.members) + alloc.prefecture
    >>> abs(shares - alloc.total) < 1  # the shares add up to the total, to the yen
    True
    """
    return allocation_from_model(
        build_model(pref, scheme), rule, driver=driver, exponent=exponent, within_standalone=within_standalone
    )


class Comparison(Result):
    """Several rules side by side: ``allocations`` (rule code → :class:`Allocation`) and the rules that could not
    run for this scenario (``skipped``: rule code → why)."""

    model_config = ConfigDict(extra="forbid")

    allocations: dict[str, Allocation]
    skipped: dict[str, str] = {}

    FIELD_DOCS: ClassVar[dict[str, str]] = {
        "allocations": "rule code → Allocation",
        "skipped": "rule code → why it cannot run for this scenario",
    }
    FRAME_COLUMNS: ClassVar[dict[str, str]] = Allocation.FRAME_COLUMNS

    def to_frame(self) -> pd.DataFrame:
        """Long form: every rule's :meth:`Allocation.to_frame` one under the other (the prefecture's part a row
        of each rule), the rule's code in ``rule``. ``pivot(index="code", columns="rule", values="share")``
        puts the rules side by side.

        >>> import workbench as wb
        >>> df = wb.compare_rules(wb.load_sample("07"), ["equal", "shapley"]).to_frame()
        >>> sorted(df["rule"].unique())
        ['equal', 'shapley']
        >>> df.pivot(index="code", columns="rule", values="share").columns.tolist()
        ['equal', 'shapley']
        """
        return pd.concat([a.to_frame() for a in self.allocations.values()], ignore_index=True)

    def summary_lines(self) -> list[str]:
        """Each rule in one sentence: what the municipalities pay together, and whether any pays more than alone."""
        from ..text import money_ja

        first = next(iter(self.allocations.values()))
        lines = [f"{first.prefecture_name} 配分ルールの比較（{len(self.allocations)} ルール）"]
        for a in self.allocations.values():
            municipal = sum(m.share for m in a.members)
            lines.append(
                f"{a.rule_label}: 市区町村の負担合計 {money_ja(municipal)}・"
                + ("全団体が単独より安い" if a.individually_rational else "単独より高い団体あり")
            )
        if self.skipped:
            labels = reference.table("cost_rules.csv").set_index("code")["label_ja"]
            lines.append("比較できないルール: " + "、".join(str(labels.get(k, k)) for k in self.skipped))
        return lines

    def card_title(self) -> str:
        return self.summary_lines()[0]

    def to_staff_frame(self) -> pd.DataFrame:
        """One row per member: name (members of other prefectures marked 外部の団体; the municipality code is in
        :meth:`to_frame`), whether outside, stand-alone cost, then each rule's share (columns: rule labels)."""
        first = next(iter(self.allocations.values()))
        df = pd.DataFrame(
            {
                "市区町村": [m.name for m in first.members],
                "外部の団体": [m.outside for m in first.members],
                "単独の費用（円）": [m.standalone for m in first.members],
            }
        )
        for a in self.allocations.values():
            df[a.rule_label] = [m.share for m in a.members]
        return df

    def summary(self) -> pd.DataFrame:
        """The staff's table of the rules, one row per rule, every heading in Japanese (like
        :meth:`to_staff_frame`): rule label, the prefecture's part, the municipalities' total, whether every member
        pays less than alone (個別合理性) and whether no group would do better on its own (コア); the checks are
        bools, shown ○/× by the staff tables. Analysts use :meth:`to_frame` (snake_case, rule codes).

        >>> import workbench as wb
        >>> wb.compare_rules(wb.load_sample("07"), ["equal", "shapley"]).summary().columns.tolist()
        ['配分ルール', '県の負担（円）', '市区町村の負担合計（円）', '個別合理性', 'コア']
        """
        return pd.DataFrame(
            [
                {
                    "配分ルール": a.rule_label,
                    "県の負担（円）": a.prefecture,
                    "市区町村の負担合計（円）": sum(m.share for m in a.members),
                    "個別合理性": a.individually_rational,
                    "コア": a.in_core,
                }
                for a in self.allocations.values()
            ]
        )

    def _repr_html_(self) -> str:
        """The card staff read: rules by their labels (the codes stay in :meth:`to_frame`), amounts with
        separators, ○/× for the checks."""
        from ..staff import table_html

        return (
            "<h4>配分ルールの比較</h4>"
            + table_html(self.summary().drop(columns=["rule"], errors="ignore"), max_rows=None)
            + table_html(self.to_staff_frame(), max_rows=None, css=False)
        )


@located
def compare(pref: HasCosts, rules: list[str] | None = None, *, scheme: str | None = None) -> Comparison:
    """All rules (default: every rule in data/cost_rules.csv that the data allow) side by side.

    Rules that cannot run for this scenario (no drivers, no weights, …) are listed in
    ``skipped`` with the reason when ``rules`` is None; named rules raise InputError instead.

    Parameters
    ----------
    pref : Prefecture
        A prefecture from :func:`workbench.load`, :func:`workbench.load_sample` or built in code; one changed in
        code is checked first (:func:`workbench.validate`).
    rules : list of str, optional
        Rule codes or labels; default every rule the scenario allows (the others listed in ``skipped``).
    scheme : str, optional
        Overrides the file's prefecture share.

    Returns
    -------
    Comparison
        ``allocations`` (rule code → :class:`~workbench.cost.Allocation`); ``to_frame()`` every allocation one
        under the other with its ``rule`` code.

    Raises
    ------
    InputError
        When the prefecture is inconsistent (the message of :func:`workbench.validate`), and for a named rule the scenario does not allow.

    Examples
    --------
    >>> import workbench as wb
    >>> table = wb.compare_rules(wb.load_sample("07"))
    >>> {"equal", "population", "shapley"} <= set(table.allocations)
    True
    """
    m = build_model(pref, scheme)
    out: dict[str, Allocation] = {}
    skipped: dict[str, str] = {}
    for rule in [check_rule(r) for r in rules] if rules else list(rule_codes()):
        try:
            out[rule] = allocation_from_model(m, rule)
        except InputError as err:
            if rules is not None:
                raise
            skipped[rule] = str(err)
    if not out:
        raise InputError.single("比較できる配分ルールがありません", field="rules")
    return Comparison(allocations=out, skipped=skipped)
