"""Late joiners: what a municipality joining in year k pays of the sunk initial cost, and what that does to
the incumbents.

Policies (``policy``): ``none`` — nothing of the sunk cost; ``book_value`` — its co-owner share of the
platform's remaining book value, 5-year straight-line amortisation (耐用年数5年の定額法), i.e.
initial × max(0, 1 − k/5) / (incumbents + 1); ``shapley`` — its Shapley share of the platform's initial cost,
the expected share over all joining orders (Shapley 1953). The payment is refunded to the incumbents in
proportion to what they paid in year 0. Who carries non-participants' shares is the scenario's
``non_participants`` (prefecture, participants, or none: the platform is sized for the participants).
"""

from __future__ import annotations

from typing import ClassVar

import pandas as pd
from pydantic import BaseModel, ConfigDict

from .. import reference
from ..errors import InputError
from ..inventory.costs import CostScenario
from ..results import Result, frame
from .cashflow import POLICIES, cash_flow_model, policy_code
from .model import HasCosts, build_model, located, scenario_of, with_costs
from .rules import check_rule


class LateJoinRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str
    name: str
    role: str  # incumbent | joiner
    without_joiner: float  # NPV (yen) when the joiner never joins
    with_joiner: float
    change: float


class PolicyRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    policy: str
    label: str
    joiner_npv: float
    joiner_standalone: float
    incumbents_change: float
    prefecture_change: float


class LateJoin(Result):
    """A municipality joining in year k under one policy, and all policies side by side."""

    model_config = ConfigDict(extra="forbid")

    code: str
    name: str
    year: int
    policy: str
    rule: str
    rows: list[LateJoinRow]
    policies: list[PolicyRow]
    summary: str
    sources: list[str] = [
        "ガイド 2.8（後から参加する団体が初期投資を負担するか）",
        "減価償却（定額法・5年）",
        "Shapley 1953",
    ]

    FIELD_DOCS: ClassVar[dict[str, str]] = {
        "code": "the joiner's municipality code",
        "name": "the joiner's name",
        "year": "the year it joins",
        "policy": "what it pays of the sunk initial cost",
        "rule": "the allocation rule",
        "rows": "each member with and without the joiner",
        "policies": "the three policies side by side",
        "summary": "the result in Japanese",
        "sources": "sources",
    }

    FRAME_COLUMNS: ClassVar[dict[str, str]] = {
        "code": "6-digit municipality code",
        "name": "municipality",
        "role": "incumbent | joiner",
        "without_joiner": "present value it pays when the joiner never joins (yen)",
        "with_joiner": "present value it pays when the joiner joins in ``year`` (yen)",
        "change": "with_joiner − without_joiner (yen)",
    }

    def to_frame(self) -> pd.DataFrame:
        """One row per member (columns: :attr:`FRAME_COLUMNS`)."""
        return frame([r.model_dump() for r in self.rows], self.FRAME_COLUMNS)

    def summary_lines(self) -> list[str]:
        return [f"後から参加：{self.name}（{self.year}年目）", self.summary]

    def card_title(self) -> str:
        return self.summary_lines()[0]

    def to_staff_frame(self) -> pd.DataFrame:
        """One row per member as staff read it (市区町村, 役割, 不参加時（円）, 参加時（円）, 増減（円）; the
        municipality code in ``code`` for look-ups)."""
        df = pd.DataFrame([r.model_dump() for r in self.rows])
        df["role"] = df["role"].map({"incumbent": "既存の団体", "joiner": "後から参加する団体"})
        return df.rename(
            columns={
                "role": "役割",
                "name": "市区町村",
                "without_joiner": "不参加時（円）",
                "with_joiner": "参加時（円）",
                "change": "増減（円）",
            }
        )

    def policies_frame(self) -> pd.DataFrame:
        return pd.DataFrame([r.model_dump() for r in self.policies])

    def _repr_markdown_(self) -> str:
        return f"**後から参加：{self.name}（{self.year}年目）**\n\n{self.summary}\n"


#: code → label of the policies (data/labels.csv ``late_join_policy``)
POLICY_LABELS = reference.labels("late_join_policy")


def _variants(
    sc: CostScenario, all_codes: list[str], code: str, year: int
) -> tuple[CostScenario, CostScenario]:
    data = sc.model_dump(exclude_none=True)
    members = list(sc.members) if sc.members is not None else list(all_codes)
    joined = dict(data, members=[*(c for c in members if c != code), code])
    joined["join_year"] = dict(data.get("join_year", {}), **{code: year})
    base = dict(data, members=[c for c in members if c != code])
    base["join_year"] = {c: y for c, y in data.get("join_year", {}).items() if c != code}
    if not base["members"]:
        raise InputError.single("ほかに参加団体がありません", field="costs.members")
    return CostScenario.model_validate(joined), CostScenario.model_validate(base)


@located
def late_joiner(
    pref: HasCosts,
    code: str,
    year: int,
    policy: str = "book_value",
    *,
    rule: str = "shapley",
    scheme: str | None = None,
) -> LateJoin:
    """What municipality ``code`` pays when it joins in ``year`` and what that does to the incumbents.

    Compares the NPV of every incumbent's payments without the joiner and with it (cash flows of
    :func:`~workbench.cost.cash_flow`), for ``policy`` and, in ``policies``, for all three policies.

    Parameters
    ----------
    pref : Prefecture
        A prefecture from :func:`workbench.load`, :func:`workbench.load_sample` or built in code; one changed in
        code is checked first (:func:`workbench.validate`).
    code : str
        The joining municipality (6-digit code or name of the prefecture's municipality).
    year : int
        The year it joins (1 … the horizon).
    policy : str
        What it pays of the sunk initial cost: none | book_value | shapley (data/labels.csv ``late_join_policy``).
    rule : str
        The allocation rule (data/cost_rules.csv).
    scheme : str, optional
        Overrides the file's prefecture share (fukushima | tochigi | tottori | none).

    Returns
    -------
    LateJoin
        ``rows`` (incumbents and the joiner, present values with and without it), ``policies`` side by side;
        ``to_frame()`` one row per member.

    Raises
    ------
    InputError
        When the prefecture is inconsistent (the message of :func:`workbench.validate`), and for a scenario the rule cannot cost.

    Examples
    --------
    >>> import workbench as wb
    >>> pref = wb.load_sample("07")
    >>> join = wb.late_joiner(pref, "072095", year=3)  # 相馬市, not yet a member, joins in year 3
    >>> join.name, join.year
    ('相馬市', 3)
    >>> [row.role for row in join.rows if row.code == "072095"]
    ['joiner']
    """
    sc = scenario_of(pref)
    try:
        code = reference.normalize_municipality_code(code)
    except ValueError as err:
        raise InputError.single(str(err), field="code", value=code) from None
    # a municipality of another prefecture may join too (guide 1.2 (3)); it is costed and marked as such
    if not 0 <= year <= sc.horizon_years:
        raise InputError.single(f"参加年は 0～{sc.horizon_years} にしてください", field="year", value=year)
    policy = policy_code(policy)
    rule = check_rule(rule)
    all_codes = list(reference.municipalities_of(pref.code)["code"])
    joined, base = _variants(sc, all_codes, code, year)
    m_base = build_model(with_costs(pref, base), scheme)
    m_join = build_model(with_costs(pref, joined), scheme)
    cf_base = cash_flow_model(m_base, rule, policy)
    base_npv = dict(zip(cf_base.codes, cf_base.npv, strict=True))
    policies = []
    chosen = None
    for pol in POLICIES:
        cf = cash_flow_model(m_join, rule, pol)
        npv = dict(zip(cf.codes, cf.npv, strict=True))
        j = m_join.codes.index(code)
        alone = float(m_join.standalone[j])
        policies.append(
            PolicyRow(
                policy=pol,
                label=POLICY_LABELS[pol],
                joiner_npv=npv[code],
                joiner_standalone=alone,
                incumbents_change=sum(npv[c] - base_npv[c] for c in base_npv),
                prefecture_change=cf.prefecture_npv - cf_base.prefecture_npv,
            )
        )
        if pol == policy:
            chosen = cf, npv
    assert chosen is not None
    cf, npv = chosen
    names = dict(zip(m_join.codes, m_join.names, strict=True))
    rows = [
        LateJoinRow(
            code=c,
            name=names[c],
            role="incumbent",
            without_joiner=base_npv[c],
            with_joiner=npv[c],
            change=npv[c] - base_npv[c],
        )
        for c in base_npv
    ]
    rows.append(
        LateJoinRow(
            code=code,
            name=names[code],
            role="joiner",
            without_joiner=0.0,
            with_joiner=npv[code],
            change=npv[code],
        )
    )
    p = next(x for x in policies if x.policy == policy)
    up = [r for r in rows if r.role == "incumbent" and r.change > 1e-6]
    summary = (
        f"{names[code]}が{year}年目に参加（{POLICY_LABELS[policy]}）すると、{names[code]}の負担は"
        f"{p.joiner_npv:,.0f} 円（単独なら {p.joiner_standalone:,.0f} 円）、既存団体の負担は合計"
        f"{p.incumbents_change:+,.0f} 円変わります。"
        + (
            f"負担が増える既存団体: {'、'.join(r.name for r in up[:5])}。"
            if up
            else "負担が増える既存団体はありません。"
        )
    )
    if max(x.joiner_npv for x in policies) - min(x.joiner_npv for x in policies) < 1.0:
        summary += (
            "初期費用の扱い（負担しない・残存簿価・シャープレイ値）で結果は変わりません"
            "（市区町村が負担する初期費用がないため。例: 県が構築費を全額負担する方式）。"
        )
    return LateJoin(
        code=code,
        name=names[code],
        year=year,
        policy=policy,
        rule=rule,
        rows=rows,
        policies=policies,
        summary=summary,
    )
