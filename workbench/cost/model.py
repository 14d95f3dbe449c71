"""The cost model: a prefecture's ``costs:`` scenario turned into present values and cost games.

Conventions (stated so that every number can be defended):

* the initial cost is paid in year 0, running costs at the end of years 1..T (T = ``horizon_years``);
  present values discount year t by (1 + r)^−t, r = ``discount_rate`` (default 4 %, the social discount
  rate of Japanese public-works appraisals);
* a member joining in year k (``join_year``) pays its own initial cost in year k and running costs from
  year max(k, 1); the shared platform's fixed cost runs from year 1 regardless;
* going alone: ``standalone.initial`` in the joining year plus ``standalone.annual`` each year, optionally
  scaled by (population / reference population)^e, with per-code overrides taking precedence;
* the shared cost of a coalition S (DOMAIN §6b): c({i}) = stand-alone PV of i; for |S| ≥ 2,
  c(S) = platform fixed cost (initial + PV of the yearly fixed cost, plus capacity steps) + Σ_{i∈S} per-member
  costs (initial per member, PV of the yearly per-member and per-unit costs);
* in the games a member alone may also use the shared platform: c({i}) = min(stand-alone, platform for i
  alone), which keeps the game monotone and every share non-negative; individual rationality is still
  judged against the true stand-alone cost;
* the recommended-module effect (guide 2.6) applies when ``module_effect`` is true: against scratch
  development (``module_baseline: scratch``, the 83 % case) the reconciled phase figures scale the shared
  initial cost by (14.4 + 21.5)/(29.4 + 233.2) and the running cost by 9.9/11.5; against a development that
  is not scratch (``non_scratch``, 「スクラッチ開発でない場合は41%減」) both are scaled by 0.59, since the guide
  gives no phase split for that case (our reading, data/module_cases_2_6.csv);
* the prefecture's part (scheme or ``prefecture_share``) is a fraction of the initial and of the running
  cost (of the whole shared cost, or of the platform's fixed cost only); members split the rest.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Protocol

import numpy as np
import pandas as pd

from .. import reference
from ..errors import InputError, field_loc, locate, source_name
from ..inventory.checks import checked
from ..inventory.costs import DRIVERS, CostScenario
from ..inventory.plan import rule_index, scheme_index
from ..text import fold
from .games import StructuredGame

GUIDE_2_5 = "guide 2.5"
GUIDE_2_6 = "guide 2.6"
RULES_TABLE = "cost_rules.csv"
SCHEMES_TABLE = "prefecture_schemes.csv"


class HasCosts(Protocol):
    """What the cost functions read of a prefecture: a :class:`~workbench.inventory.Prefecture`, or the
    stand-in :func:`with_costs` makes for a sensitivity run (its code, name and another scenario)."""

    code: str
    name: str
    costs: CostScenario | None


# --- reference tables -----------------------------------------------------------------------------------


def rules_table() -> pd.DataFrame:
    """The allocation rules: code, label_ja, label_en, needs, description, source (data/cost_rules.csv)."""
    return reference.table(RULES_TABLE)


def rule_codes() -> tuple[str, ...]:
    """The codes of data/cost_rules.csv, in table order."""
    return tuple(rules_table()["code"])


def _allowed(df: pd.DataFrame) -> str:
    return ", ".join(f"{c}（{ja}）" for c, ja in df[["code", "label_ja"]].itertuples(index=False))


#: rule_code's answers so far (value as given → code): data/cost_rules.csv does not change while a process runs
_RULE_CODES: dict[str, str] = {}


def rule_code(value: object) -> str:
    """The code of an allocation rule given as its code, its Japanese or English label (data/cost_rules.csv),
    as every other input accepts either; raises InputError naming the rules otherwise.

    Examples
    --------
    >>> from workbench.cost.model import rule_code
    >>> rule_code("人口割"), rule_code("shapley"), rule_code("Shapley value")
    ('population', 'shapley', 'shapley')
    """
    if isinstance(value, str):
        hit = _RULE_CODES.get(value)
        if hit is not None:  # asked hundreds of times per audit with the same few codes
            return hit
    code = rule_index().get(fold(value)) if isinstance(value, str) else None
    if code is not None:
        _RULE_CODES[value] = code
    if code is None:
        raise InputError.single(
            f"配分ルール {value!r} はありません", field="rule", value=value, allowed=_allowed(rules_table())
        )
    return code


def rule_row(code: str) -> dict[str, Any]:
    """The row of data/cost_rules.csv for a rule (code or label)."""
    return dict(_rule_rows()[rule_code(code)])


@functools.cache
def _rule_rows() -> dict[str, dict[str, Any]]:
    """data/cost_rules.csv by code, built once (an audit of every rule asked for rows hundreds of times)."""
    return {str(r["code"]): r for r in rules_table().to_dict("records")}


@functools.cache
def scheme_rows() -> dict[str, dict[str, Any]]:
    """data/prefecture_schemes.csv by code, built once."""
    return {str(r["code"]): r for r in schemes_table().to_dict("records")}


def schemes_table() -> pd.DataFrame:
    """Prefecture cost-sharing schemes (DOMAIN §6b): fukushima, tochigi, tottori presets and none."""
    return reference.table(SCHEMES_TABLE)


def scheme_codes() -> tuple[str, ...]:
    """The codes of data/prefecture_schemes.csv, in table order."""
    return tuple(schemes_table()["code"])


def scheme_code(value: object, field: str = "costs.scheme") -> str:
    """The code of a prefecture scheme given as its code or Japanese label (data/prefecture_schemes.csv).

    Examples
    --------
    >>> from workbench.cost.model import scheme_code
    >>> scheme_code("福島県方式"), scheme_code("none")
    ('fukushima', 'none')
    """
    code = scheme_index().get(fold(value)) if isinstance(value, str) else None
    if code is None:
        raise InputError.single(
            f"県負担の方式 {value!r} はありません",
            field=field,
            value=value,
            allowed=_allowed(schemes_table()),
        )
    return code


def guide_ranges() -> pd.DataFrame:
    """The surveyed cost effect of sharing (guide 2.5): build 1/2–1/12, running 1/5–1/20 of going alone."""
    return reference.table("cost_effect_2_5.csv")


def module_effect(basis: str = "reconciled") -> pd.DataFrame:
    """The recommended-module effect per phase (guide 2.6), ``basis`` "reconciled" or "printed".

    The printed 構築 with-module figure 62.4 fits neither the reductions nor the total 45.8; the reconciled
    set uses 21.5 (= 233.2 − 211.7) and a without-module total of 274.1 (printed rounded as 270).
    """
    df = reference.table("module_effect_2_6.csv")
    return df[df["basis"] == basis].reset_index(drop=True)


def module_cases() -> pd.DataFrame:
    """The two cases of the recommended-module effect (guide 2.6, data/module_cases_2_6.csv): ``scratch``
    (工程全体で83%減, phase figures) and ``non_scratch`` (スクラッチ開発でない場合は41%減, total only)."""
    return reference.table("module_cases_2_6.csv")


def module_case(code: str) -> dict[str, Any]:
    """One row of :func:`module_cases` (raises InputError for an unknown case)."""
    df = module_cases()
    hit = df[df["code"] == code]
    if hit.empty:
        raise InputError.single(
            f"推奨モジュールの比較の前提 {code!r} はありません",
            field="costs.module_baseline",
            value=code,
            allowed=", ".join(df["code"]),
        )
    return hit.iloc[0].to_dict()


def module_factors(case: str = "scratch", basis: str = "reconciled") -> tuple[float, float]:
    """(initial factor, running factor) of the recommended-module effect (guide 2.6).

    ``scratch``: from the phase figures of ``basis`` (reconciled by default: 要件定義～設計 and システム構築
    for the initial cost, 運用 for the running cost). ``non_scratch``: the guide gives only the total
    (「スクラッチ開発でない場合は41%減」), so both factors are 1 − 0.41 (our reading).
    """
    row = module_case(case)
    if row["basis"] == "total":
        f = 1.0 - float(row["reduction"])
        return f, f
    df = module_effect(basis).set_index("phase_code")
    ini = (df.loc["design", "with_myen"] + df.loc["build", "with_myen"]) / (
        df.loc["design", "without_myen"] + df.loc["build", "without_myen"]
    )
    run = df.loc["operation", "with_myen"] / df.loc["operation", "without_myen"]
    return float(ini), float(run)


# --- pure finance helpers -------------------------------------------------------------------------------


def discount_factors(rate: float, horizon: int) -> np.ndarray:
    """(1 + r)^−t for t = 0..T."""
    return (1.0 + rate) ** -np.arange(horizon + 1, dtype=float)


def annuity_factor(rate: float, horizon: int, start: int = 1) -> float:
    """Σ_{t=start}^{T} (1 + r)^−t: the present value of 1 yen a year from year ``start`` to T."""
    d = discount_factors(rate, horizon)
    return float(d[max(start, 1) :].sum())


def population_scale(population: np.ndarray, exponent: float, reference_population: float) -> np.ndarray:
    """(population / reference)^e: a stand-alone cost scaled by size (e = 0 means no scaling)."""
    if exponent == 0:
        return np.ones(len(population))
    return (np.asarray(population, dtype=float) / reference_population) ** exponent


def capacity_steps(n: int, members_per_step: int) -> np.ndarray:
    """Extra capacity blocks for coalition sizes 0..n: ceil(k/m) − 1 (0 for k ≤ m)."""
    k = np.arange(n + 1)
    return np.maximum(np.ceil(k / members_per_step) - 1, 0)


# --- the model ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CostModel:
    """Numbers of one scenario: players, present values and the games (all yen, present values)."""

    pref_code: str
    pref_name: str
    codes: tuple[str, ...]
    names: tuple[
        str, ...
    ]  # members of other prefectures marked 「（北海道・外部の団体）」 (:func:`member_name`)
    outside: np.ndarray  # bool per player: a municipality of another prefecture (guide 1.2 (3))
    population: np.ndarray
    participant: np.ndarray  # bool per player (False only when non-participants are carried by someone)
    join_year: np.ndarray
    horizon: int
    rate: float
    initial: StructuredGame  # year-0 (or join-year) costs, PV, before the prefecture's part
    running: StructuredGame  # running costs over the horizon, PV, before the prefecture's part
    standalone_initial: np.ndarray  # undiscounted, per player
    standalone_annual: np.ndarray
    annual_fixed_by_size: np.ndarray  # undiscounted yearly platform cost for 0..n members (capacity steps)
    annual_member: np.ndarray  # undiscounted yearly per-member cost
    initial_fixed_by_size: np.ndarray  # platform initial cost for 0..n members
    initial_member: np.ndarray  # undiscounted per-member initial cost
    pref_initial: float  # fractions
    pref_running: float
    applies_to: str
    scheme: str
    non_participants: str
    drivers: dict[str, np.ndarray]
    scenario: CostScenario
    notes: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.codes)

    @property
    def annual_fixed(self) -> float:
        """Yearly platform cost with every player (undiscounted)."""
        return float(self.annual_fixed_by_size[self.n])

    @property
    def initial_fixed(self) -> float:
        """Platform initial cost with every player."""
        return float(self.initial_fixed_by_size[self.n])

    def split(self, initial: float, running: float, fixed: bool) -> tuple[float, float]:
        """(prefecture, members) parts of an initial and a running amount (fixed = platform part)."""
        fi = self.pref_initial if (fixed or self.applies_to == "all") else 0.0
        fr = self.pref_running if (fixed or self.applies_to == "all") else 0.0
        pref = fi * initial + fr * running
        return pref, initial + running - pref

    @property
    def total_game(self) -> StructuredGame:
        """c(S) before the prefecture's part: initial + running (made once per model: ``total`` and ``standalone``
        read it for every rule's allocation)."""
        game = self.__dict__.get("_wb_total_game")
        if game is None:
            game = self.initial + self.running
            object.__setattr__(self, "_wb_total_game", game)  # frozen; the cache is not one of the fields
        return game

    @property
    def member_game(self) -> StructuredGame:
        """c(S) the members split: the shared cost less the prefecture's part; going alone unchanged."""
        ini, run = self.pref_initial, self.pref_running
        fi = self.initial.scaled(1 - ini, 1 - ini if self.applies_to == "all" else 1)
        fr = self.running.scaled(1 - run, 1 - run if self.applies_to == "all" else 1)
        return fi + StructuredGame(fr.fixed, fr.additive, fr.standalone)

    @property
    def total(self) -> float:
        """PV of the shared cost over the horizon (CONTRACT ``total``)."""
        return self.total_game.grand()

    @property
    def standalone(self) -> np.ndarray:
        """PV of going alone, per player."""
        return self.total_game.standalone

    @property
    def scheme_label(self) -> str:
        """The prefecture's part as staff read it: the scheme's label, or the fractions typed in the file."""
        if self.scheme == "custom":
            return f"県負担 初期{self.pref_initial:.0%}・運用{self.pref_running:.0%}（入力値）"
        return str(scheme_rows()[self.scheme]["label_ja"])


def _pref_share(sc: CostScenario, scheme: str | None) -> tuple[float, float, str, str]:
    if scheme is None and sc.prefecture_share is not None:
        p = sc.prefecture_share
        return p.initial, p.running, p.applies_to, "custom"
    code = scheme_code(scheme or sc.scheme or "none")
    row = scheme_rows()[code]
    return float(row["initial_fraction"]), float(row["running_fraction"]), str(row["applies_to"]), code


def scenario_of(pref: HasCosts) -> CostScenario:
    """The prefecture's cost scenario, or an InputError when the file has none."""
    sc = getattr(pref, "costs", None)
    if sc is None:
        raise InputError.single("費用シナリオ（costs:）がありません", field="costs")
    if not isinstance(sc, CostScenario):
        raise InputError.single("costs: の形式が正しくありません", field="costs")
    return sc


def with_costs(pref: HasCosts, costs: CostScenario) -> HasCosts:
    """A light stand-in of ``pref`` with another cost scenario (for sensitivity runs). Members of other
    prefectures in ``costs`` are kept (guide 1.2 (3)); they are told apart by their code."""
    return SimpleNamespace(code=pref.code, name=pref.name, costs=costs)


#: how staff read a member of another prefecture (guide 1.2 (3)「都道府県を超えた取組が行われることは、むしろ好ましい」)
OUTSIDE_LABEL = "外部の団体"


def member_name(pref_code: str, code: str) -> str:
    """A member's census name; for one of another prefecture, its prefecture and 「外部の団体」 beside it, so that
    every cost table and chart marks it (「江別市（北海道・外部の団体）」)."""
    name = reference.municipality_name(code)
    if code[:2] == pref_code:
        return name
    return f"{name}（{reference.prefecture_of_municipality(code)[1]}・{OUTSIDE_LABEL}）"


def _players(pref: HasCosts, sc: CostScenario) -> tuple[pd.DataFrame, list[str], list[str], bool]:
    """The prefecture's municipalities, the members, the players of the game (every municipality of the
    prefecture when non-participants are carried by someone, plus the members of other prefectures; else the
    members), and whether they are carried. Members of other prefectures are accepted (guide 1.2 (3);
    guidebook 第3.0版 9.6 めぶくグラウンド「北海道江別市や長崎県大村市、大阪府門真市などへシームレスに横展開」)."""
    munis = reference.municipalities_of(pref.code)
    if munis.empty:
        raise InputError.single("都道府県コードが正しくありません", field="prefecture", value=pref.code)
    members = list(sc.members) if sc.members is not None else list(munis["code"])
    for i, code in enumerate(members):
        try:
            reference.municipality_name(code)
        except KeyError:
            raise InputError.single(
                "2020年国勢調査の市区町村にないコードです", field=f"costs.members[{i}]", value=code
            ) from None
    inside = [c for c in members if c[:2] == pref.code]
    outside = [c for c in members if c[:2] != pref.code]
    carried = sc.non_participants != "none" and len(inside) < len(munis)
    return munis, members, (list(munis["code"]) + outside) if carried else members, carried


def _standalone(
    sc: CostScenario, munis: pd.DataFrame, players: list[str], pop: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Going alone (guide 2.5: 数千万円 per municipality): initial and yearly, scaled by population and
    overridden per code."""
    st = sc.standalone
    ref_pop = float(st.reference_population or np.median(munis["population_2020"]))
    scale = population_scale(pop, st.exponent, ref_pop)
    s0, s1 = st.initial * scale, st.annual * scale
    for j, code in enumerate(players):
        o = st.overrides.get(code)
        if o is not None:
            s0[j] = o.initial if o.initial is not None else s0[j]
            s1[j] = o.annual if o.annual is not None else s1[j]
    return s0, s1


def _driver_table(sc: CostScenario, players: list[str]) -> dict[str, np.ndarray]:
    """Usage drivers per player (NaN where not reported)."""
    drivers = {k: np.full(len(players), np.nan) for k in DRIVERS}
    for j, code in enumerate(players):
        dv = sc.drivers.get(code)
        for k in DRIVERS if dv is not None else ():
            val = getattr(dv, k)
            if val is not None:
                drivers[k][j] = val
    return drivers


def _per_unit(
    sc: CostScenario, players: list[str], drivers: dict[str, np.ndarray], participant: np.ndarray
) -> np.ndarray:
    """The yearly per-unit shared cost of each player (``shared.annual_per_unit`` × its drivers)."""
    out = np.zeros(len(players))
    for k, rate_k in sc.shared.annual_per_unit.items():
        if rate_k <= 0:
            continue
        missing = [players[j] for j in np.flatnonzero(np.isnan(drivers[k]) & participant)]
        if missing:
            raise InputError.single(
                f"shared.annual_per_unit.{k} を使うには全参加団体の drivers.{k} が必要です"
                f"（不足: {', '.join(missing[:5])}）",
                field=f"costs.drivers.{missing[0]}.{k}",
            )
        out += rate_k * np.nan_to_num(drivers[k])
    return out


def _module_note(sc: CostScenario, f_ini: float, f_run: float) -> list[str]:
    if not sc.module_effect:
        return []
    case = module_case(sc.module_baseline)
    note = (
        f"推奨モジュールの効果（guide 2.6「{case['quote_ja']}」、{case['label_ja']}）を適用: "
        f"初期費用×{f_ini:.3f}、運用費×{f_run:.3f}"
    )
    if case["basis"] == "total":  # the guide gives no phase split for this case
        note += "（ガイド 2.6 はこの場合の工程別の内訳を示していないため、初期費用・運用費の両方に同じ率を掛ける本ツールの読み）"
    return [note]


def build_model(pref: HasCosts, scheme: str | None = None) -> CostModel:
    """Turn ``pref.costs`` into a :class:`CostModel` (raises InputError for unusable input).

    ``scheme`` (fukushima | tochigi | tottori | none, or its label) overrides the file's prefecture share.
    """
    sc = scenario_of(pref)
    munis, members, players, carried = _players(pref, sc)
    pops_all = reference.populations()  # census population of members of other prefectures too
    member_set = set(members)
    participant = np.array([c in member_set for c in players])
    pop = np.array([float(pops_all[c]) for c in players])
    n = len(players)
    horizon, rate = sc.horizon_years, sc.discount_rate
    join = np.array([min(sc.join_year.get(c, 0), horizon) for c in players])
    s0, s1 = _standalone(sc, munis, players, pop)
    run_pv = np.array([annuity_factor(rate, horizon, max(k, 1)) for k in join])
    ini_pv = discount_factors(rate, horizon)[join]

    # shared costs (DOMAIN §6b), with the module effect (guide 2.6)
    sh = sc.shared
    f_ini, f_run = module_factors(sc.module_baseline) if sc.module_effect else (1.0, 1.0)
    drivers = _driver_table(sc, players)
    per_unit = _per_unit(sc, players, drivers, participant)
    steps = capacity_steps(n, sh.capacity.members_per_step) if sh.capacity else np.zeros(n + 1)
    cap_ini = sh.capacity.initial if sh.capacity else 0.0
    cap_run = sh.capacity.annual if sh.capacity else 0.0
    initial_member = np.full(n, sh.initial_per_member * f_ini)
    annual_member = (sh.annual_per_member + per_unit) * f_run
    initial_fixed = (sh.initial + cap_ini * steps) * f_ini
    annual_fixed = (sh.annual_fixed + cap_run * steps) * f_run
    initial = StructuredGame.make(initial_fixed, initial_member * ini_pv, s0 * ini_pv)
    running = StructuredGame.make(
        annual_fixed * annuity_factor(rate, horizon), annual_member * run_pv, s1 * run_pv
    )
    pi, pr, applies, scheme_code = _pref_share(sc, scheme)
    return CostModel(
        pref_code=pref.code,
        pref_name=pref.name,
        codes=tuple(players),
        names=tuple(member_name(pref.code, c) for c in players),
        outside=np.array([c[:2] != pref.code for c in players], dtype=bool),
        population=pop,
        participant=participant,
        join_year=join,
        horizon=horizon,
        rate=rate,
        initial=initial,
        running=running,
        standalone_initial=s0,
        standalone_annual=s1,
        annual_fixed_by_size=annual_fixed,
        annual_member=annual_member,
        initial_fixed_by_size=initial_fixed,
        initial_member=initial_member,
        pref_initial=pi,
        pref_running=pr,
        applies_to=applies,
        scheme=scheme_code,
        non_participants=sc.non_participants if carried else "none",
        drivers=drivers,
        scenario=sc,
        notes=_module_note(sc, f_ini, f_run),
    )


def coalition_cost(pref: HasCosts, coalition: list[str] | np.ndarray, *, scheme: str | None = None) -> float:
    """c(S): PV of the shared cost for a coalition of municipality codes (or a boolean mask over the players).

    c({i}) is i's stand-alone PV; c(all) is the shared platform (before the prefecture's part).
    """
    m = build_model(pref, scheme)
    if isinstance(coalition, np.ndarray) and coalition.dtype == bool:
        mask = coalition
    else:
        wanted = set(coalition)
        unknown = wanted - set(m.codes)
        if unknown:
            raise InputError.single(
                "連合にシナリオの参加団体でない市区町村があります",
                field="coalition",
                value=sorted(unknown)[0],
            )
        mask = np.array([c in wanted for c in m.codes])
    return m.total_game.cost(mask)


#: the two readings of guide 2.5's ranges (labels shown to staff)
READING_TOTAL = "県全体での比較（参考）"
READING_MEMBER = "市町村ごとの比較（ガイド 2.5 の記述どおり）"


def range_verdict(x: float, low: float, high: float) -> tuple[str, str]:
    """(code, Japanese label) of an effect 1/x against a surveyed range 1/low–1/high (guide 2.5).

    ``below``: a smaller effect than surveyed (x < low); ``within``; ``above``: a larger effect (x > high).
    """
    code = "below" if x < low else "above" if x > high else "within"
    return code, reference.label("effect_verdict", code)


def guide_comparison(m: CostModel) -> list[dict[str, Any]]:
    """The scenario's cost effect of sharing, read for the prefecture as a whole, beside guide 2.5's ranges.

    build: Σ stand-alone initial of the participants / the whole shared initial cost; running: Σ stand-alone
    yearly / the whole shared yearly cost (the prefecture's part included). "1/x" means sharing costs 1/x of
    everyone going alone. Guide 2.5 itself compares per municipality (「各市町村が独自で構築した場合は、それぞれで
    数千万円の費用が発生することになる。これと比較すれば1/2～1/12程度」): that reading is
    :func:`workbench.cost.effect.cost_effect`; this one is the reference for the prefecture as a whole.
    """
    cached = m.__dict__.get("_wb_guide")
    if cached is None:
        cached = _guide_comparison(m)
        object.__setattr__(
            m, "_wb_guide", cached
        )  # the same for every rule of one model (CostModel is frozen)
    return [dict(g) for g in cached]


def _guide_comparison(m: CostModel) -> list[dict[str, Any]]:
    part = m.participant
    alone_ini = float(m.standalone_initial[part].sum())
    alone_run = float(m.standalone_annual[part].sum())
    sh_ini = m.initial_fixed + float(m.initial_member[part].sum())
    sh_run = m.annual_fixed + float(m.annual_member[part].sum())
    out = []
    for row in guide_ranges().itertuples(index=False):
        alone, shared = (alone_ini, sh_ini) if row.code == "build" else (alone_run, sh_run)
        x = alone / shared if shared > 0 else math.inf
        _, verdict = range_verdict(x, float(row.low_ratio), float(row.high_ratio))
        shown = f"1/{x:.1f}" if math.isfinite(x) else "共同利用の費用0円"
        out.append(
            {
                "code": row.code,
                "label": row.label_ja,
                "ratio": x,
                "low": float(row.low_ratio),
                "high": float(row.high_ratio),
                "verdict": verdict,
                "text": f"{READING_TOTAL} {row.label_ja}: 参加団体が単独の場合の合計の{shown}"
                f"（調査 1/{row.low_ratio}～1/{row.high_ratio}）{verdict}",
                "source": GUIDE_2_5,
            }
        )
    return out


def locate_problems(err: InputError, pref: HasCosts) -> InputError:
    """Fill in file and line of problems whose field is in the prefecture file (best effort)."""
    doc = getattr(pref, "_wb_doc", None)
    path = source_name(pref) if doc is not None else None
    for p in err.problems:
        if not (p.field and p.field.startswith("costs")):
            continue
        if doc is not None and p.line is None:
            p.line = locate(doc, field_loc(p.field))
        if p.file is None and path is not None:
            p.file = str(path)
    return InputError(err.problems)


def located(fn: Any) -> Any:
    """Decorator: InputErrors raised for ``pref`` (first argument) get the file and line of the field; a
    prefecture is checked first (:func:`workbench.inventory.checked`)."""
    import functools

    @functools.wraps(fn)
    def wrapper(pref: HasCosts, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(pref, *args, **kwargs)
        except InputError as err:
            raise locate_problems(err, pref) from None

    return checked(wrapper)  # a prefecture changed in code is checked like its file first (wb.validate)
