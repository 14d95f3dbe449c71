"""Multi-year view: cash flow per member per year, NPV, and the tornado sensitivity of a chosen output.

Year 0 carries the initial cost, years 1..T the running cost (see :mod:`workbench.cost.model`). A member
joining in year k pays its own set-up in year k, running costs from then on, and a payment for the sunk
initial cost under the late-joiner policy, refunded to the incumbents (:mod:`workbench.cost.latejoin`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from .. import reference
from ..errors import InputError
from ..inventory.costs import CostScenario
from ..results import Result, frame
from .games import StructuredGame
from .model import CostModel, HasCosts, build_model, located, with_costs
from .rules import Players, allocation_from_model, check_rule, players_of, shares_for

POLICIES = ("none", "book_value", "shapley")  # data/labels.csv late_join_policy (tests keep them together)


def policy_code(value: object) -> str:
    """The code of a late joiner's policy given as its code or Japanese label (data/labels.csv
    ``late_join_policy``); raises InputError naming the policies otherwise.

    Examples
    --------
    >>> from workbench.cost.cashflow import policy_code
    >>> policy_code("残存簿価"), policy_code("shapley")
    ('book_value', 'shapley')
    """
    try:
        return reference.enum_code("late_join_policy", value)
    except ValueError:
        raise InputError.single(
            f"後から参加する団体の方式 {value!r} はありません",
            field="policy",
            value=value,
            allowed=reference.enum_allowed("late_join_policy"),
        ) from None


BOOK_LIFE_YEARS = 5


def period_game(m: CostModel, kind: str, weight: float = 1.0) -> StructuredGame:
    """The members' part of one period's cost over all players (nominal yen × ``weight``).

    ``kind`` "initial" (platform build + per-member set-up, against stand-alone build) or "running"
    (one year's running cost against one year of running alone).
    """
    if kind == "initial":
        g = StructuredGame(m.initial_fixed_by_size, m.initial_member, m.standalone_initial)
        f = m.pref_initial
    else:
        g = StructuredGame(
            m.annual_fixed_by_size * weight, m.annual_member * weight, m.standalone_annual * weight
        )
        f = m.pref_running
    return g.scaled(1 - f, 1 - f if m.applies_to == "all" else 1).capped()


def period_full_cost(m: CostModel, kind: str, active: np.ndarray) -> float:
    """The whole (prefecture + members) cost of one period for the ``active`` players, nominal."""
    k = int(active.sum())
    if k == 0:
        return 0.0
    if kind == "initial":
        return float(m.initial_fixed_by_size[k] + m.initial_member[active].sum())
    return float(m.annual_fixed_by_size[k] + m.annual_member[active].sum())


def period_shares(
    m: CostModel, p: Players, game: StructuredGame, active: np.ndarray, rule: str
) -> np.ndarray:
    """Shares of one period's game among the ``active`` players (zero elsewhere)."""
    out = np.zeros(m.n)
    if active.sum() == 0:
        return out
    if active.sum() == 1 and game.n > 1:  # a lone member still shares the platform, not its own build
        j = int(np.flatnonzero(active)[0])
        out[j] = game.fixed[1] + game.additive[j]
        return out
    out[active] = shares_for(replace(p, game=game).subset(active), rule)
    return out


def _sunk_payment(m: CostModel, p: Players, j: int, incumbents: np.ndarray, policy: str, rule: str) -> float:
    """What joiner j pays (nominal, in its join year) for the members' part of the sunk initial cost."""
    k = int(m.join_year[j])
    if k == 0 or policy == "none":
        return 0.0
    g = period_game(m, "initial")
    n_inc = int(incumbents.sum())
    platform = float(g.fixed[max(n_inc, 2)])
    if policy == "book_value":
        book = platform * max(0.0, 1 - k / BOOK_LIFE_YEARS)
        return book / (n_inc + 1)
    if policy == "shapley":
        both = incumbents.copy()
        both[j] = True
        fixed_only = StructuredGame(g.fixed, np.zeros(m.n), g.standalone - g.additive)
        sh = shares_for(replace(p, game=fixed_only).subset(both), "shapley")
        return float(sh[int(np.flatnonzero(np.flatnonzero(both) == j)[0])])
    raise InputError.single(
        f"後から参加する団体の方式 {policy!r} はありません",
        field="policy",
        value=policy,
        allowed=", ".join(POLICIES),
    )


def carry_non_participants(m: CostModel, shares: np.ndarray) -> tuple[np.ndarray, float]:
    """Shares over all players with the non-participants' part carried as the scenario says
    (``non_participants``: prefecture, or participants in proportion to their shares); returns the shares
    (zero for non-participants) and the amount the prefecture takes over."""
    if m.non_participants == "none":
        return shares, 0.0
    out = shares.copy()
    extra = float(out[~m.participant].sum())
    out[~m.participant] = 0
    if m.non_participants == "participants" and out.sum() > 0:
        return out + extra * out / out.sum(), 0.0
    return out, extra  # the prefecture carries it (also when no participant pays anything)


class CashFlow(Result):
    """Payments per member per year (nominal yen) and their present values."""

    model_config = ConfigDict(extra="forbid")

    rule: str
    policy: str
    years: list[int]
    codes: list[str]
    names: list[str]
    flows: list[list[float]]  # [member][year]
    prefecture: list[float]
    npv: list[float]
    prefecture_npv: float
    total_npv: float
    discount_rate: float
    notes: list[str] = []
    sources: list[str] = ["ガイドブック第3.0版 5.1 初期費用と運用費用の構造", "your input"]
    prefecture_code: str = ""
    prefecture_name: str = ""

    FIELD_DOCS: ClassVar[dict[str, str]] = {
        "rule": "the rule's code",
        "policy": "what late joiners pay of the sunk initial cost",
        "years": "0 … the horizon",
        "codes": "the members' codes",
        "names": "the members' names",
        "flows": "payments [member][year], nominal yen",
        "prefecture": "the prefecture's payments per year",
        "npv": "each member's present value (yen)",
        "prefecture_npv": "the prefecture's present value (yen)",
        "total_npv": "everything's present value (yen)",
        "discount_rate": "the discount rate",
        "notes": "notes in Japanese",
        "sources": "sources",
        "prefecture_code": "JIS code of the prefecture",
        "prefecture_name": "the prefecture's name",
    }

    FRAME_COLUMNS: ClassVar[dict[str, str]] = {
        "rule": "the rule's code",
        "kind": "member | prefecture (the prefecture's payments, one row, last)",
        "code": "6-digit municipality code; the 2-digit prefecture code on the prefecture's row",
        "name": "municipality or prefecture name",
        "year": "year of the horizon (0 = the initial year)",
        "amount": "payment in that year, nominal yen",
        "present_value": "the payment discounted to year 0 (yen)",
    }

    def to_frame(self) -> pd.DataFrame:
        """Long form: one row per payer and year, the prefecture's payments as rows of their own
        (``kind == "prefecture"``); ``present_value`` sums to :attr:`total_npv` (columns: :attr:`FRAME_COLUMNS`).

        >>> import workbench as wb
        >>> cf = wb.cash_flow(wb.load_sample("07"), rule="equal")
        >>> df = cf.to_frame()
        >>> bool(abs(df["present_value"].sum() - cf.total_npv) < 1)
        True
        """
        disc = [(1 + self.discount_rate) ** -y for y in self.years]
        payers = [
            *[("member", c, n, f) for c, n, f in zip(self.codes, self.names, self.flows, strict=True)],
            ("prefecture", self.prefecture_code, self.prefecture_name, self.prefecture),
        ]
        recs = [
            {
                "rule": self.rule,
                "kind": kind,
                "code": code,
                "name": name,
                "year": y,
                "amount": x,
                "present_value": x * d,
            }
            for kind, code, name, flows in payers
            for y, x, d in zip(self.years, flows, disc, strict=True)
        ]
        return pd.DataFrame.from_records(recs, columns=list(self.FRAME_COLUMNS))

    def summary_lines(self) -> list[str]:
        from ..text import money_ja

        return [
            f"{self.prefecture_name or '県'} 年度別の支払（{len(self.years)} 年）",
            f"支払の現在価値の合計: {money_ja(self.total_npv)}（県 {money_ja(self.prefecture_npv)}）",
        ]

    def card_title(self) -> str:
        return self.summary_lines()[0]

    def to_staff_frame(self) -> pd.DataFrame:
        """Rows: members then 県; columns: 名称, year 0..T (円), 現在価値（円） (the codes are in :meth:`to_frame`)."""
        rows = []
        for name, f, v in zip(self.names, self.flows, self.npv, strict=True):
            rows.append(
                {
                    "名称": name,
                    **{f"{y}年目": x for y, x in zip(self.years, f, strict=True)},
                    "現在価値（円）": v,
                }
            )
        rows.append(
            {
                "名称": "県",
                **{f"{y}年目": x for y, x in zip(self.years, self.prefecture, strict=True)},
                "現在価値（円）": self.prefecture_npv,
            }
        )
        return pd.DataFrame(rows)


def cash_flow_model(m: CostModel, rule: str = "shapley", policy: str = "book_value") -> CashFlow:
    """The cash flow of a built model (pure)."""
    rule = check_rule(rule)
    policy = policy_code(policy)
    p = players_of(m)
    T = m.horizon
    d = (1 + m.rate) ** -np.arange(T + 1, dtype=float)
    flows = np.zeros((m.n, T + 1))
    pref = np.zeros(T + 1)
    carried = m.non_participants != "none"
    ini_game = period_game(m, "initial")
    run_game = period_game(m, "running")
    init_paid = np.zeros(m.n)
    for t in range(T + 1):
        active = (m.join_year <= t) | (~m.participant if carried else False)
        if t == 0:
            start = active
            sh = period_shares(m, p, ini_game, start, rule)
            init_paid = sh.copy()
            full = period_full_cost(m, "initial", start)
        else:
            sh = period_shares(m, p, run_game, active, rule)
            full = period_full_cost(m, "running", active)
            # late joiners: own set-up cost and the sunk-cost payment, refunded to the incumbents
            for j in np.flatnonzero(m.join_year == t):
                own = ini_game.additive[j]
                sh[j] += own
                full += m.initial_member[j]
                incumbents = (m.join_year < t) & m.participant
                pay = _sunk_payment(m, p, j, incumbents, policy, rule)
                base = init_paid * incumbents
                if pay and base.sum() > 0:
                    sh[j] += pay
                    sh -= pay * base / base.sum()
        pref[t] = full - sh.sum()
        sh, to_pref = carry_non_participants(m, sh)
        pref[t] += to_pref
        flows[:, t] = sh
    part = m.participant
    npv = flows[part] @ d
    notes = [f"後から参加する団体の初期費用の扱い: {policy}", "初期費用は0年目、運用費は各年末に計上"]
    return CashFlow(
        rule=rule,
        policy=policy,
        years=list(range(T + 1)),
        codes=[c for c, k in zip(m.codes, part, strict=True) if k],
        names=[c for c, k in zip(m.names, part, strict=True) if k],
        flows=flows[part].tolist(),
        prefecture=pref.tolist(),
        npv=npv.tolist(),
        prefecture_npv=float(pref @ d),
        total_npv=float(npv.sum() + pref @ d),
        discount_rate=m.rate,
        notes=notes,
        prefecture_code=m.pref_code,
        prefecture_name=m.pref_name,
    )


@located
def cash_flow(
    pref: HasCosts, rule: str = "shapley", *, policy: str = "book_value", scheme: str | None = None
) -> CashFlow:
    """Cash flow per member per year (nominal yen), with NPVs; the NPVs add up to the PV ``total`` of
    :func:`~workbench.cost.allocate` when no capacity step meets a late joiner.

    Parameters
    ----------
    pref : Prefecture
        A prefecture from :func:`workbench.load`, :func:`workbench.load_sample` or built in code; one changed in
        code is checked first (:func:`workbench.validate`).
    rule : str
        The allocation rule of each year's payments (data/cost_rules.csv).
    policy : str
        What a late joiner pays of the sunk initial cost (none | book_value | shapley).
    scheme : str, optional
        Overrides the file's prefecture share.

    Returns
    -------
    CashFlow
        Payments per member and year (nominal yen) and their present values; ``to_frame()`` long form, one
        row per payer and year, the prefecture's payments marked ``kind == "prefecture"``.

    Raises
    ------
    InputError
        When the prefecture is inconsistent (the message of :func:`workbench.validate`), and for a scenario the rule cannot cost.

    Examples
    --------
    >>> import workbench as wb
    >>> pref = wb.load_sample("07")
    >>> flow = wb.cash_flow(pref)
    >>> abs(flow.total_npv - wb.allocate(pref).total) < 1
    True
    """
    return cash_flow_model(build_model(pref, scheme), rule, policy)


# --- sensitivity (tornado) -------------------------------------------------------------------------------


def sensitivity_table() -> pd.DataFrame:
    """The default assumptions and their ranges (data/cost_sensitivity.csv)."""
    return reference.table("cost_sensitivity.csv")


def vary(sc: CostScenario, assumption: str, kind: str, value: float) -> CostScenario:
    """The scenario with one assumption changed (``kind`` absolute | relative | shift)."""
    data = sc.model_dump(exclude_none=True)
    path = assumption.split(".")
    node = data
    for key in path[:-1]:
        node = node[key]
    old = node[path[-1]]
    new = value if kind == "absolute" else old * value if kind == "relative" else old + value
    if path[-1] == "horizon_years":
        new = max(1, int(round(new)))
        data["join_year"] = {c: min(y, new) for c, y in data.get("join_year", {}).items()}
    node[path[-1]] = new
    return CostScenario.model_validate(data)


def output_of(m: CostModel, rule: str, output: str) -> float:
    """total | prefecture | members | share:<code> | saving:<code> of one allocation."""
    a = allocation_from_model(m, rule)
    if output == "total":
        return a.total
    if output == "prefecture":
        return a.prefecture
    if output == "members":
        return sum(x.share for x in a.members)
    kind, _, code = output.partition(":")
    for x in a.members:
        if x.code == code:
            if kind == "share":
                return x.share
            if kind == "saving":
                return x.saving
    raise InputError.single(
        f"出力 {output!r} はありません",
        field="output",
        value=output,
        allowed="total, prefecture, members, share:<code>, saving:<code>",
    )


class TornadoRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assumption: str
    label: str
    low_input: str
    high_input: str
    output_low: float
    output_high: float
    swing: float
    source: str


class Sensitivity(Result):
    """Tornado data: each assumption at its low and high value, the chosen output, sorted by swing."""

    model_config = ConfigDict(extra="forbid")

    rule: str
    output: str
    base: float
    rows: list[TornadoRow]

    FRAME_COLUMNS: ClassVar[dict[str, str]] = {
        "assumption": "the assumption's code (data/cost_sensitivity.csv)",
        "label": "the assumption in Japanese",
        "low_input": "its low value, as text",
        "high_input": "its high value, as text",
        "output_low": "the output with the low value",
        "output_high": "the output with the high value",
        "swing": "|output_high − output_low|; rows sorted by it, largest first",
        "source": "where the range comes from",
    }

    def to_frame(self) -> pd.DataFrame:
        """One row per assumption (columns: :attr:`FRAME_COLUMNS`)."""
        return frame([r.model_dump() for r in self.rows], self.FRAME_COLUMNS)

    def summary_lines(self) -> list[str]:
        top = self.rows[0].label if self.rows else "—"
        return [f"感度分析（{self.output}）", f"基準値 {self.base:,.0f}・最も効く前提: {top}"]

    def card_title(self) -> str:
        return self.summary_lines()[0]

    def to_staff_frame(self) -> pd.DataFrame:
        """One row per assumption as staff read it (前提, 低位の値, 高位の値, 低位の結果, 高位の結果, 振れ幅, 出典)."""
        df = pd.DataFrame([r.model_dump() for r in self.rows]).drop(columns=["assumption"], errors="ignore")
        return df.rename(
            columns={
                "label": "前提",
                "low_input": "低位の値",
                "high_input": "高位の値",
                "source": "出典",
                "output_low": "低位の結果",
                "output_high": "高位の結果",
                "swing": "振れ幅",
            }
        )


@located
def sensitivity(
    pref: HasCosts,
    rule: str = "shapley",
    output: str = "total",
    *,
    assumptions: pd.DataFrame | None = None,
    scheme: str | None = None,
) -> Sensitivity:
    """Tornado data: each main assumption moved to its low and high value (data/cost_sensitivity.csv:
    discount rate 2–6 %, horizon ±2 years, costs ±20 %), the change of ``output``, sorted by swing."""
    rule = check_rule(rule)
    base_model = build_model(pref, scheme)
    base = output_of(base_model, rule, output)
    sc = base_model.scenario
    table = sensitivity_table() if assumptions is None else assumptions
    rows = []
    for r in table.itertuples(index=False):
        outs, shown = [], []
        for value in (float(r.low), float(r.high)):
            varied = vary(sc, r.code, r.kind, value)
            outs.append(output_of(build_model(with_costs(pref, varied), scheme), rule, output))
            shown.append(
                f"{value:g}"
                if r.kind == "absolute"
                else f"×{value:g}"
                if r.kind == "relative"
                else f"{value:+g}"
            )
        rows.append(
            TornadoRow(
                assumption=r.code,
                label=r.label_ja,
                low_input=shown[0],
                high_input=shown[1],
                output_low=outs[0],
                output_high=outs[1],
                swing=abs(outs[1] - outs[0]),
                source=r.source,
            )
        )
    rows.sort(key=lambda x: x.swing, reverse=True)
    return Sensitivity(rule=rule, output=output, base=base, rows=rows)
