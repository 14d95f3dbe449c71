"""Fairness audit of an allocation: individual rationality, saving ratios, the core, monotonicity.

DOMAIN §6b: a share above what a municipality would pay alone breaks individual rationality (the Swedish
six-municipality case: population shares charge one town 34.22 against 20.81 alone, while Shapley,
nucleolus and SCRB stay below every stand-alone cost). The core (Gillies 1959) asks the same of every
coalition: no group pays more together than it would pay on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from ..errors import InputError
from ..results import Result, frame, models_from
from ..text import money_ja
from . import games
from .games import StructuredGame
from .model import CostModel, HasCosts, build_model, located, rule_codes
from .rules import Allocation, Players, allocation_from_model, check_rule, players_of, rule_shares

#: the nucleolus is recomputed n times for the monotonicity check only up to this size: a run takes a few
#: milliseconds (up to ~0.1 s at 179 members), and the national batch audits every rule of 47 files (B1)
MONOTONIC_NUCLEOLUS_MAX = 10


class MemberAudit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str
    name: str
    share: float
    standalone: float
    saving_ratio: float
    individually_rational: bool


class MonotonicityViolation(BaseModel):
    """An incumbent paying more when a member joins."""

    model_config = ConfigDict(extra="forbid")

    joiner: str
    incumbent: str
    increase: float


class LeastCoreView(BaseModel):
    """The least core (Maschler, Peleg & Shapley 1979) of the members' cost game, beside the core check.

    ε = the largest margin every coalition can be given at once: max over allocations of the smallest
    (cost of going it alone − share) over all groups of members. ε < 0: the core is empty, and whatever
    the allocation, some group pays at least −ε more than it would on its own.
    """

    model_config = ConfigDict(extra="forbid")

    epsilon: float = Field(
        description="最小コアの値ε（円）：どの団体の組合せにも確保できる余裕の最大値（負ならコアは空）"
    )
    core_empty: bool
    allocation: dict[str, float] = Field(description="最小コアの中心（プレ仁）での各団体の負担（円）")
    coalition: list[str] = Field(description="その配分で余裕がちょうどεになる団体の組合せ（コード）")
    method: str
    text: str


class FairnessAudit(Result):
    """Fairness of one allocation (rule) for one scenario."""

    model_config = ConfigDict(extra="forbid")

    rule: str
    rule_label: str
    members: list[MemberAudit]
    individually_rational: bool
    in_core: bool | None
    core_method: str
    worst_coalition: list[str] = []
    worst_excess: float | None = None
    monotonic: bool | None = None
    monotonic_violations: list[MonotonicityViolation] = []
    least_core: LeastCoreView | None = None
    summary: str
    sources: list[str] = [
        "ガイド 2.8「公平なコスト負担の方法」",
        "Gillies 1959 (core)",
        "Maschler, Peleg & Shapley 1979 (least core)",
        "Young 1985 (population monotonicity)",
    ]

    FIELD_DOCS: ClassVar[dict[str, str]] = {
        "rule": "the rule's code",
        "rule_label": "the rule's name",
        "members": "each member's share, stand-alone cost and saving",
        "individually_rational": "no member pays more than alone",
        "in_core": "no group would be better off alone (None: not checked)",
        "core_method": "how the core was checked",
        "worst_coalition": "the group that gains most by leaving (codes)",
        "worst_excess": "what that group pays above its own cost (yen)",
        "monotonic": "no member pays more when another joins (None: not checked)",
        "monotonic_violations": "who pays more when whom joins",
        "least_core": "the least core, or None",
        "summary": "the audit in Japanese",
        "sources": "sources (guide 2.8, the literature)",
    }

    FRAME_COLUMNS: ClassVar[dict[str, str]] = {
        "rule": "the rule's code",
        "code": "6-digit municipality code",
        "name": "municipality (census name)",
        "share": "what it pays, present value (yen)",
        "standalone": "present value of going alone (yen)",
        "saving_ratio": "1 − share / standalone",
        "individually_rational": "share ≤ standalone",
    }

    def to_frame(self) -> pd.DataFrame:
        """One row per member (columns: :attr:`FRAME_COLUMNS`).

        >>> import workbench as wb
        >>> audit = wb.audit_rules(wb.load_sample("07"), rules=["equal"]).audits["equal"]
        >>> audit.to_frame().columns[:3].tolist()
        ['rule', 'code', 'name']
        """
        recs = [
            {
                "rule": self.rule,
                "code": m.code,
                "name": m.name,
                "share": m.share,
                "standalone": m.standalone,
                "saving_ratio": m.saving_ratio,
                "individually_rational": m.individually_rational,
            }
            for m in self.members
        ]
        return frame(recs, self.FRAME_COLUMNS)

    def summary_lines(self) -> list[str]:
        return [f"公平性の監査：{self.rule_label}", self.summary]

    def card_title(self) -> str:
        return f"公平性の監査：{self.rule_label}"

    def to_staff_frame(self) -> pd.DataFrame:
        """One row per member as staff read it (市区町村, 負担額（円）…)."""
        return pd.DataFrame(
            [
                {
                    "code": m.code,
                    "市区町村": m.name,
                    "負担額（円）": m.share,
                    "単独の費用（円）": m.standalone,
                    "削減率": m.saving_ratio,
                    "個別合理性": m.individually_rational,
                }
                for m in self.members
            ]
        )

    def _repr_markdown_(self) -> str:
        return f"**公平性の監査：{self.rule_label}**\n\n{self.summary}\n"


def core_check(game: StructuredGame, shares: np.ndarray) -> games.CoreCheck:
    """Exact core check: every coalition for n ≤ 20 (vectorised over 2^n), else the structured search."""
    if game.n <= games.MAX_GENERIC:
        return games.core_check_vector(game.shared_vector(), shares)
    return games.core_check_structured(game, shares)


def least_core_view(m: CostModel, game: StructuredGame | None = None) -> LeastCoreView | None:
    """The least core of the members' game of model ``m`` in yen, with a sentence for the staff (None when
    non-participants are carried by others: then shares are not those of a cost game)."""
    if m.non_participants != "none":
        return None
    game = players_of(m).game if game is None else game
    lc = games.least_core(game)
    names = dict(zip(m.codes, m.names, strict=True))
    group = [c for c, k in zip(m.codes, lc.coalition, strict=True) if k]
    who = "、".join(names[c] for c in group[:5]) + (" ほか" if len(group) > 5 else "")
    amount = money_ja(abs(lc.epsilon))
    if abs(lc.epsilon) < 0.5:  # below one yen
        text = (
            "コアは空ではありませんが、余裕はありません：どのように配分しても、自前で賄う場合とちょうど"
            f"同じ負担になる団体の組合せが残ります（最小コアの値 0円。例: {who}）。"
        )
    elif lc.core_empty:
        text = (
            f"コアは空です。どのように配分しても、少なくとも1つの団体の組合せは自前で賄う場合より {amount} 以上"
            f"多く負担します（最小コアの値。この差が最も小さい配分でも {who} がこの額だけ多く負担）。"
        )
    else:
        text = (
            f"コアは空ではありません。どの団体の組合せにも、自前で賄う場合より {amount} 以上安くなるように"
            f"配分できます（最小コアの値。その配分で余裕が最も小さいのは {who}）。"
        )
    return LeastCoreView(
        epsilon=lc.epsilon,
        core_empty=lc.core_empty,
        allocation={c: float(x) for c, x in zip(m.codes, lc.allocation, strict=True)},
        coalition=group,
        method=lc.method,
        text=text,
    )


def monotonicity(p: Players, rule: str, shares: np.ndarray) -> list[tuple[int, int, float]]:
    """(joiner, incumbent, increase) for every incumbent paying more when ``joiner`` joins (Young 1985 style).

    Each member j is taken out, the rule rerun on the others, and their shares compared with ``shares``.
    """
    n = p.game.n
    out: list[tuple[int, int, float]] = []
    if n < 2:
        return out
    tol = 1e-7 * max(1.0, abs(p.game.grand()))
    shares_of = rule_shares(rule)  # looked up once, not per subset
    for j, (idx, sub) in enumerate(p.without_each()):  # the n subsets, shared by every rule's check
        before = shares_of(sub)
        after = shares[idx]
        up = np.flatnonzero(after > before + tol)
        if up.size:
            out.extend(zip([j] * up.size, idx[up].tolist(), (after[up] - before[up]).tolist(), strict=True))
    return out


@dataclass
class _CoreView:
    """The core check and the monotonicity of one allocation (None where they do not apply)."""

    in_core: bool | None = None
    method: str = "不参加団体の分を参加団体・県が負担するため、コアの判定は対象外"
    worst: list[str] = field(default_factory=list)
    worst_excess: float | None = None
    monotonic: bool | None = None
    violations: list[MonotonicityViolation] = field(default_factory=list)


def _core_view(m: CostModel, alloc: Allocation) -> _CoreView:
    """In the core? Monotonic? Both only when every municipality of the game is a participant."""
    out = _CoreView()
    if m.non_participants != "none":
        return out
    p = players_of(m)
    shares = np.array([x.share for x in alloc.members])
    check = core_check(p.game, shares)
    out.in_core, out.method = check.in_core, check.method
    out.worst = [c for c, k in zip(m.codes, check.coalition, strict=True) if k]
    out.worst_excess = check.min_excess
    if alloc.rule != "nucleolus" or p.game.n <= MONOTONIC_NUCLEOLUS_MAX:
        found = monotonicity(p, alloc.rule, shares)
        out.monotonic = not found
        codes = m.codes
        out.violations = models_from(
            MonotonicityViolation,
            [{"joiner": codes[j], "incumbent": codes[i], "increase": inc} for j, i, inc in found],
        )
    return out


def _summary(
    alloc: Allocation, members: list[MemberAudit], core: _CoreView, least: LeastCoreView | None
) -> str:
    """The audit in a few Japanese sentences: individual rationality, the core, monotonicity."""
    names = {x.code: x.name for x in members}
    over = [x for x in members if not x.individually_rational]
    parts = []
    if over:
        worst_ir = max(over, key=lambda x: x.share - x.standalone)
        parts.append(
            f"{alloc.rule_label}では{len(over)}団体の負担が単独の費用を上回ります"
            f"（例: {worst_ir.name} 負担 {worst_ir.share:,.0f} 円 ＞ 単独 {worst_ir.standalone:,.0f} 円）。"
        )
    else:
        parts.append(f"{alloc.rule_label}では全団体の負担が単独の費用以下です。")
    if core.in_core is True:
        parts.append("コアに入っており、どの団体の組合せも離脱して得をしません。")
    elif core.in_core is False:
        group = "、".join(names.get(c, c) for c in core.worst[:5]) + (" ほか" if len(core.worst) > 5 else "")
        parts.append(
            f"コアに入っていません（{group} は {-(core.worst_excess or 0):,.0f} 円安く自前で賄えます）。"
        )
        if least is not None and least.core_empty:
            parts.append(least.text)
    if core.monotonic is False:
        v = max(core.violations, key=lambda v: v.increase)
        parts.append(
            f"新たな参加で負担が増える団体があります（例: {names.get(v.joiner, v.joiner)} の参加で "
            f"{names.get(v.incumbent, v.incumbent)} が {v.increase:,.0f} 円増）。"
        )
    elif core.monotonic is True:
        parts.append("どの団体が加わっても既存団体の負担は増えません。")
    return "".join(parts)


def audit_model(m: CostModel, alloc: Allocation, least: LeastCoreView | None | bool = True) -> FairnessAudit:
    """The audit of an allocation computed from model ``m`` (pure).

    ``least``: the least core view already computed for ``m`` (rule-independent), True to compute it here,
    False to leave it out.
    """
    members = models_from(
        MemberAudit,
        [
            {
                "code": x.code,
                "name": x.name,
                "share": x.share,
                "standalone": x.standalone,
                "saving_ratio": x.saving_ratio,
                "individually_rational": x.individually_rational,
            }
            for x in alloc.members
        ],
    )
    core = _core_view(m, alloc)
    lc = least_core_view(m) if least is True else None if least is False else least
    return FairnessAudit(
        rule=alloc.rule,
        rule_label=alloc.rule_label,
        members=members,
        individually_rational=all(x.individually_rational for x in members),
        in_core=core.in_core,
        core_method=core.method,
        worst_coalition=core.worst,
        worst_excess=core.worst_excess,
        monotonic=core.monotonic,
        monotonic_violations=core.violations,
        least_core=lc,
        summary=_summary(alloc, members, core, lc),
    )


@located
def audit(pref: HasCosts, allocation: Allocation | str, *, scheme: str | None = None) -> FairnessAudit:
    """Fairness audit of ``allocation`` (an :class:`Allocation` or a rule code) for ``pref``'s scenario."""
    if isinstance(allocation, str):
        m = build_model(pref, scheme)
        allocation = allocation_from_model(m, allocation)
    else:
        m = build_model(pref, None if allocation.scheme == "custom" else allocation.scheme)
    return audit_model(m, allocation)


class FairnessReport(Result):
    """Audits of several rules and a plain-Japanese verdict on which are in the core."""

    model_config = ConfigDict(extra="forbid")

    audits: dict[str, FairnessAudit]
    skipped: dict[str, str] = {}
    least_core: LeastCoreView | None = None
    summary: str

    FIELD_DOCS: ClassVar[dict[str, str]] = {
        "audits": "rule code → FairnessAudit",
        "skipped": "rule code → why it cannot run for this scenario",
        "least_core": "the least core of the members' game (ε, its allocation), or None",
        "summary": "the verdict in Japanese",
    }

    FRAME_COLUMNS: ClassVar[dict[str, str]] = {
        "rule": "the rule's code",
        "individually_rational": "no member pays more than alone",
        "in_core": "no group of members would be better off alone (None: not checked)",
        "monotonic": "no member pays more when another joins (None: not checked)",
        "worst_excess": "the largest amount a group pays above its own cost (yen; None when not checked)",
        "finding": "the audit in one Japanese sentence",
    }

    def to_frame(self) -> pd.DataFrame:
        """One row per rule, its code in ``rule`` (columns: :attr:`FRAME_COLUMNS`).

        >>> import workbench as wb
        >>> df = wb.audit_rules(wb.load_sample("07"), rules=["equal", "shapley"]).to_frame()
        >>> df[["rule", "individually_rational"]].values.tolist()
        [['equal', True], ['shapley', True]]
        """
        recs = [
            {
                "rule": a.rule,
                "individually_rational": a.individually_rational,
                "in_core": a.in_core,
                "monotonic": a.monotonic,
                "worst_excess": a.worst_excess,
                "finding": a.summary,
            }
            for a in self.audits.values()
        ]
        return frame(recs, self.FRAME_COLUMNS)

    def summary_lines(self) -> list[str]:
        return ["配分ルールの公平性", *[x for x in self.summary.split("\n") if x.strip()]]

    def card_title(self) -> str:
        return "配分ルールの公平性"

    def to_staff_frame(self) -> pd.DataFrame:
        """One row per rule as staff read it (配分ルール, 個別合理性, コア, 単調性, 所見)."""
        return pd.DataFrame(
            [
                {
                    "配分ルール": a.rule_label,
                    "個別合理性": a.individually_rational,
                    "コア": a.in_core,
                    "単調性": a.monotonic,
                    "所見": a.summary,
                }
                for a in self.audits.values()
            ]
        )

    def _repr_markdown_(self) -> str:
        return "**配分ルールの公平性**\n\n" + self.summary + "\n"


@located
def audit_rules(
    pref: HasCosts, rules: list[str] | None = None, *, scheme: str | None = None
) -> FairnessReport:
    """Audit every rule (default: all that the data allow) and say which are in the core, in Japanese.

    Parameters
    ----------
    pref : Prefecture
        A prefecture from :func:`workbench.load`, :func:`workbench.load_sample` or built in code; one changed in
        code is checked first (:func:`workbench.validate`).
    rules : list of str, optional
        Rule codes; default every rule the scenario allows (the others listed in ``skipped``).
    scheme : str, optional
        Overrides the file's prefecture share.

    Returns
    -------
    FairnessReport
        ``audits`` (rule code → :class:`~workbench.cost.FairnessAudit`), the least core, a Japanese ``summary``;
        ``to_frame()`` one row per rule (codes).

    Raises
    ------
    InputError
        When the prefecture is inconsistent (the message of :func:`workbench.validate`), and for a named rule the scenario does not allow.

    Examples
    --------
    >>> import workbench as wb
    >>> report = wb.audit_rules(wb.load_sample("07"), rules=["equal", "shapley"])
    >>> shapley = report.audits["shapley"]
    >>> shapley.rule_label, shapley.individually_rational
    ('シャープレイ値', True)
    """
    return audit_rules_model(build_model(pref, scheme), rules)[0]


@located
def audited_allocations(
    pref: HasCosts, rules: list[str] | None = None, *, scheme: str | None = None
) -> tuple[FairnessReport, dict[str, Allocation]]:
    """:func:`audit_rules` and the allocations it audited (rule code → :class:`Allocation`, each the one
    :func:`workbench.allocate` gives with the same ``scheme``), from one cost model: the national batch needs
    both, and building the model and allocating again took a tenth of its audit."""
    return audit_rules_model(build_model(pref, scheme), rules)


def audit_rules_model(
    m: CostModel, rules: list[str] | None = None
) -> tuple[FairnessReport, dict[str, Allocation]]:
    """:func:`audit_rules` of a built model (pure), with the allocations audited (rule code → Allocation)."""
    least = least_core_view(m)
    audits: dict[str, FairnessAudit] = {}
    allocations: dict[str, Allocation] = {}
    skipped: dict[str, str] = {}
    for rule in [check_rule(r) for r in rules] if rules else list(rule_codes()):
        try:
            allocations[rule] = allocation_from_model(m, rule)
            audits[rule] = audit_model(m, allocations[rule], least if least else False)
        except InputError as err:
            if rules is not None:
                raise
            allocations.pop(rule, None)
            skipped[rule] = str(err)
    in_core = [a.rule_label for a in audits.values() if a.in_core]
    out = [a.rule_label for a in audits.values() if a.in_core is False]
    not_ir = [a.rule_label for a in audits.values() if not a.individually_rational]
    text = []
    if in_core:
        text.append(
            f"このシナリオでコアに入る（どの組合せも離脱して得をしない）配分ルール: {'、'.join(in_core)}。"
        )
    if out:
        text.append(f"コアに入らないルール: {'、'.join(out)}。")
    if not in_core and not out:
        text.append("コアの判定は対象外です。")
    if not_ir:
        text.append(f"単独より高くなる団体が出るルール: {'、'.join(not_ir)}。")
    else:
        text.append("どのルールでも全団体が単独より安くなります。")
    if least is not None:
        text.append(least.text)
    report = FairnessReport(audits=audits, skipped=skipped, least_core=least, summary="".join(text))
    return report, allocations
