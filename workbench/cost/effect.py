"""The scenario beside the guide's surveyed cost effects: guide 2.5 (sharing) and guide 2.6 (recommended modules).

Guide 2.5 reports what the surveyed bodies saw, per municipality:

    基盤の導入・構築時について 各市町村が独自で構築した場合は、それぞれで数千万円の費用が発生することになる。
    これと比較すれば1/2～1/12程度の抑制効果がある。
    運用コストについて …個別に運用した場合と比較して1/5～1/20程度の抑制効果がある。

Two readings are shown side by side, and named wherever they appear:

* **市町村ごとの比較** (the guide's own wording): what each municipality pays for the shared platform, against
  what it would pay building (running) its own — placed against 1/2–1/12 (1/5–1/20) one by one. The share is
  the chosen allocation rule's split of one period (the build; one year of running with every participant on
  board), after the prefecture's part; the same split before the prefecture's part is kept beside it.
* **県全体での比較** (reference): the participants' stand-alone costs added up, against the whole shared cost
  with the prefecture's part (:func:`workbench.cost.model.guide_comparison`).

Guide 2.6 reports one project's recommended-module effect (工程全体で83%減、スクラッチ開発でない場合は41%減);
:func:`module_effect_view` shows the printed figures beside the reconciled ones (DOMAIN §2) and what either case
would do to this scenario's shared cost.
"""

from __future__ import annotations

import html
import math
from dataclasses import replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from .. import reference
from ..results import Result, frame
from ..text import money_ja
from .cashflow import carry_non_participants, period_game, period_shares
from .model import (
    GUIDE_2_5,
    GUIDE_2_6,
    READING_MEMBER,
    READING_TOTAL,
    CostModel,
    HasCosts,
    build_model,
    guide_comparison,
    guide_ranges,
    located,
    module_cases,
    module_effect,
    module_factors,
    range_verdict,
    rule_row,
    scenario_of,
    with_costs,
)
from .rules import check_rule, players_of

#: below one yen a share counts as "no burden" (the prefecture or others pay everything)
NO_BURDEN_YEN = 1.0
VERDICTS = ("below", "within", "above", "no_burden")  # data/labels.csv effect_verdict


def verdict_label(code: str) -> str:
    """The Japanese label of a verdict against guide 2.5's ranges (data/labels.csv ``effect_verdict``)."""
    return reference.label("effect_verdict", code)


PERIODS = ("build", "running")


class EffectRange(BaseModel):
    """A surveyed range of guide 2.5 with the guide's sentence."""

    model_config = ConfigDict(extra="forbid")

    code: str
    label: str
    low: float = Field(description="効果の小さい側の分母（1/2 の 2）")
    high: float = Field(description="効果の大きい側の分母（1/12 の 12）")
    quote: str
    source: str


class TotalReading(BaseModel):
    """The prefecture-wide reading of one period (reference)."""

    model_config = ConfigDict(extra="forbid")

    code: str
    label: str
    ratio: float | None = Field(description="単独の合計 ÷ 共同利用の総額（None: 共同利用の費用0円）")
    verdict: str
    verdict_label: str
    text: str


class MemberEffect(BaseModel):
    """One municipality placed against guide 2.5's ranges (yen, nominal; running per year)."""

    model_config = ConfigDict(extra="forbid")

    code: str
    name: str
    population: int
    build_alone: float = Field(description="単独で構築した場合の費用（円、入力値）")
    build_share: float = Field(description="共同利用の構築費のうちこの団体の負担（円、県の負担を除いた後）")
    build_share_gross: float = Field(description="同、県の負担を除く前の按分額（円）")
    build_ratio: float | None = Field(description="単独 ÷ 負担（None: 負担なし）")
    build_ratio_gross: float | None
    build_verdict: str
    running_alone: float = Field(description="単独で運用した場合の年間費用（円/年、入力値）")
    running_share: float = Field(
        description="共同利用の年間運用費のうちこの団体の負担（円/年、県の負担を除いた後）"
    )
    running_share_gross: float
    running_ratio: float | None
    running_ratio_gross: float | None
    running_verdict: str


def _ratio(alone: float, share: float) -> float | None:
    return alone / share if share >= NO_BURDEN_YEN else None


def _verdict(ratio: float | None, r: EffectRange) -> str:
    return "no_burden" if ratio is None else range_verdict(ratio, r.low, r.high)[0]


def ratio_text(ratio: float | None) -> str:
    """``"1/3.2"``, or 負担なし when the municipality pays nothing."""
    if ratio is None:
        return "負担なし"
    return f"1/{ratio:.1f}" if math.isfinite(ratio) else "—"


class CostEffect(Result):
    """Guide 2.5's surveyed cost effect read two ways for one scenario and rule."""

    prefecture_code: str
    prefecture_name: str
    rule: str
    rule_label: str
    scheme_label: str
    ranges: list[EffectRange]
    members: list[MemberEffect]
    total: list[TotalReading]
    counts: dict[str, dict[str, int]] = Field(description="期間（build/running）→ 判定 → 団体数")
    counts_gross: dict[str, dict[str, int]] = Field(description="同、県の負担を除く前の按分額で判定")
    prefecture_fractions: dict[str, float] = Field(description="期間 → 県が負担する割合")
    readings: dict[str, str] = Field(description="読み方の名前 → 何と何を比べたか")
    notes: list[str] = []
    sources: list[str] = []

    def card_title(self) -> str:
        return f"{self.prefecture_name} 共同利用による費用の抑制効果（ガイド 2.5 との比較）"

    def summary_lines(self) -> list[str]:
        """Japanese sentences: which reading is which, and where the municipalities fall."""
        n = len(self.members)
        out = [
            "ガイド 2.5 の抑制効果（構築 1/2～1/12、運用 1/5～1/20）は「各市町村が独自で構築した場合は、"
            "それぞれで数千万円の費用が発生することになる。これと比較すれば1/2～1/12程度の抑制効果がある」"
            "とあるとおり、市町村ごとに単独の場合と比べた値です。"
        ]
        for r in self.ranges:
            c = self.counts[r.code]
            parts = [f"範囲内 {c['within']}", f"効果が小さい {c['below']}", f"効果が大きい {c['above']}"]
            if c["no_burden"]:
                parts.append(f"負担なし {c['no_burden']}")
            out.append(
                f"{READING_MEMBER} {r.label}（調査 1/{r.low:g}～1/{r.high:g}）: {n}団体のうち "
                + "・".join(parts)
            )
        for r in self.ranges:
            if self.prefecture_fractions.get(r.code, 0) > 0:
                c = self.counts_gross[r.code]
                out.append(
                    f"（参考）県の負担を除く前の按分額で比べると {r.label}: 範囲内 {c['within']}・"
                    f"効果が小さい {c['below']}・効果が大きい {c['above']}"
                    + (f"・負担なし {c['no_burden']}" if c["no_burden"] else "")
                )
        out += [t.text for t in self.total]
        return out

    def card_rows(self) -> list[tuple[str, str]]:
        rows = [("配分ルール", f"{self.rule_label}（県の負担: {self.scheme_label}）")]
        rows += [(k, v) for k, v in self.readings.items()]
        rows += [(f"所見{i}", s) for i, s in enumerate(self.summary_lines(), start=1)]
        rows.append(("出典", "、".join(self.sources)))
        return rows

    def card_tables(self) -> list[tuple[str, pd.DataFrame]]:
        return [(READING_MEMBER, self.display_frame())]

    def __str__(self) -> str:
        return "\n".join([self.card_title(), *self.summary_lines()])

    FRAME_COLUMNS: ClassVar[dict[str, str]] = {
        "code": "6-digit municipality code",
        "name": "municipality",
        "population": "2020 census population",
        "build_alone": "building it alone (yen, your input)",
        "build_share": "its share of the shared build cost, after the prefecture's part (yen)",
        "build_ratio": "build_alone / build_share: the x of guide 2.5's 1/x (NaN: it pays nothing)",
        "build_verdict": "where build_ratio falls against guide 2.5's range (code of data/labels.csv effect_verdict)",
        "build_share_gross": "its share before the prefecture's part (yen)",
        "running_alone": "running it alone per year (yen, your input)",
        "running_share": "its share of the shared running cost per year, after the prefecture's part (yen)",
        "running_ratio": "running_alone / running_share (NaN: it pays nothing)",
        "running_verdict": "where running_ratio falls against guide 2.5's range (code)",
        "running_share_gross": "its running share before the prefecture's part (yen)",
    }

    def to_frame(self) -> pd.DataFrame:
        """One row per municipality, amounts in yen, ratios as the x of 1/x (columns: :attr:`FRAME_COLUMNS`)."""
        recs = [
            {
                "code": m.code,
                "name": m.name,
                "population": m.population,
                "build_alone": m.build_alone,
                "build_share": m.build_share,
                "build_ratio": np.nan if m.build_ratio is None else m.build_ratio,
                "build_verdict": m.build_verdict,
                "build_share_gross": m.build_share_gross,
                "running_alone": m.running_alone,
                "running_share": m.running_share,
                "running_ratio": np.nan if m.running_ratio is None else m.running_ratio,
                "running_verdict": m.running_verdict,
                "running_share_gross": m.running_share_gross,
            }
            for m in self.members
        ]
        return frame(recs, self.FRAME_COLUMNS)

    def to_staff_frame(self) -> pd.DataFrame:
        """One row per municipality by name (its code is in :meth:`to_frame`), amounts in yen (numbers), ratios as
        denominators (NaN: 負担なし)."""
        recs = [
            {
                "市区町村": m.name,
                "人口": m.population,
                "単独の構築費（円）": m.build_alone,
                "構築費の負担（円）": m.build_share,
                "構築費の効果（1/x の x）": np.nan if m.build_ratio is None else m.build_ratio,
                "構築費の判定": verdict_label(m.build_verdict),
                "県の負担を除く前の構築費の按分額（円）": m.build_share_gross,
                "単独の年間運用費（円）": m.running_alone,
                "年間運用費の負担（円）": m.running_share,
                "運用費の効果（1/x の x）": np.nan if m.running_ratio is None else m.running_ratio,
                "運用費の判定": verdict_label(m.running_verdict),
                "県の負担を除く前の年間運用費の按分額（円）": m.running_share_gross,
            }
            for m in self.members
        ]
        cols = list(recs[0]) if recs else ["市区町村"]
        return frame(recs, cols)

    def details_html(self) -> str:
        """The guide's sentences, the two readings named and defined, the findings, notes and sources (escaped
        HTML for the dashboard and the report; the per-municipality table is :meth:`display_frame`)."""
        readings = "".join(
            f"<li><b>{html.escape(k)}</b>: {html.escape(v)}</li>" for k, v in self.readings.items()
        )
        quotes = "".join(
            f"<li>{html.escape(r.label)}: 「{html.escape(r.quote)}」（{html.escape(r.source)}）</li>"
            for r in self.ranges
        )
        return (
            f"<p style='margin:4px 0'>配分ルール: {html.escape(self.rule_label)}（県の負担: "
            f"{html.escape(self.scheme_label)}）</p>"
            f"<p style='margin:4px 0'><b>ガイドの記述</b></p><ul>{quotes}</ul>"
            f"<p style='margin:4px 0'><b>2つの読み方</b></p><ul>{readings}</ul>"
            + _lines(self.summary_lines(), "wb-effect-lines")
            + _notes(self.notes, self.sources)
        )

    def display_frame(self) -> pd.DataFrame:
        """The per-municipality reading for people: 万円 with separators, effects as 1/x, the verdicts."""
        recs = [
            {
                "市区町村": m.name,
                "単独の構築費": money_ja(m.build_alone, "万円"),
                "構築費の負担": money_ja(m.build_share, "万円"),
                "構築費の効果": ratio_text(m.build_ratio),
                "判定（構築 1/2～1/12）": verdict_label(m.build_verdict),
                "単独の運用費（年）": money_ja(m.running_alone, "万円"),
                "運用費の負担（年）": money_ja(m.running_share, "万円"),
                "運用費の効果": ratio_text(m.running_ratio),
                "判定（運用 1/5～1/20）": verdict_label(m.running_verdict),
            }
            for m in self.members
        ]
        return frame(
            recs,
            [
                "市区町村",
                "単独の構築費",
                "構築費の負担",
                "構築費の効果",
                "判定（構築 1/2～1/12）",
                "単独の運用費（年）",
                "運用費の負担（年）",
                "運用費の効果",
                "判定（運用 1/5～1/20）",
            ],
        )


def _lines(lines: list[str], css: str) -> str:
    return f"<ul class='{css}'>" + "".join(f"<li>{html.escape(s)}</li>" for s in lines) + "</ul>"


def _table(df: pd.DataFrame) -> str:
    return (
        "<div class='wb-table' style='overflow-x:auto'>"
        + df.to_html(index=False, escape=True, border=0, na_rep="—")
        + "</div>"
    )


def _notes(notes: list[str], sources: list[str]) -> str:
    return (
        "<p style='font-size:85%;color:#555'>"
        + "<br>".join(html.escape(n) for n in notes)
        + f"<br>出典: {html.escape('、'.join(sources))}</p>"
    )


def effect_ranges() -> list[EffectRange]:
    """Guide 2.5's two ranges with its sentences (data/cost_effect_2_5.csv)."""
    return [
        EffectRange(
            code=str(r.code),
            label=str(r.label_ja),
            low=float(r.low_ratio),
            high=float(r.high_ratio),
            quote=str(r.quote_ja),
            source=str(r.source),
        )
        for r in guide_ranges().itertuples(index=False)
    ]


def _period_shares(m: CostModel, rule: str, kind: str, gross: bool) -> np.ndarray:
    """Each player's share of one period (the build, or one year of running) with every participant on
    board, under ``rule``; ``gross`` leaves the prefecture's part in (shares of the whole period cost)."""
    model = replace(m, pref_initial=0.0, pref_running=0.0) if gross else m
    p = players_of(model)
    game = period_game(model, kind)
    active = np.ones(model.n, dtype=bool)
    shares = period_shares(model, p, game, active, rule)
    shares, _ = carry_non_participants(model, shares)
    return shares


def cost_effect_model(m: CostModel, rule: str, *, scheme_label: str = "") -> CostEffect:
    """:func:`cost_effect` on a built model (pure)."""
    rule = check_rule(rule)
    ranges = {r.code: r for r in effect_ranges()}
    nets: dict[str, np.ndarray] = {}
    grosses: dict[str, np.ndarray] = {}
    for k in PERIODS:
        kind = "initial" if k == "build" else "running"
        f = m.pref_initial if k == "build" else m.pref_running
        grosses[k] = _period_shares(m, rule, kind, True)
        if f == 0:
            nets[k] = grosses[k]  # no prefecture's part: the same game
        elif f == 1 and m.applies_to == "all":
            nets[k] = np.zeros(m.n)  # the prefecture pays the whole period
        else:
            nets[k] = _period_shares(m, rule, kind, False)
    alone = {"build": m.standalone_initial, "running": m.standalone_annual}
    members = []
    for j in np.flatnonzero(m.participant):
        vals: dict[str, Any] = {}
        for k in PERIODS:
            a, net, gross = float(alone[k][j]), float(nets[k][j]), float(grosses[k][j])
            ratio = _ratio(a, net)
            vals.update(
                {
                    f"{k}_alone": a,
                    f"{k}_share": net,
                    f"{k}_share_gross": gross,
                    f"{k}_ratio": ratio,
                    f"{k}_ratio_gross": _ratio(a, gross),
                    f"{k}_verdict": _verdict(ratio, ranges[k]),
                }
            )
        members.append(
            MemberEffect(code=m.codes[j], name=m.names[j], population=int(m.population[j]), **vals)
        )
    counts = {
        k: {v: sum(getattr(x, f"{k}_verdict") == v for x in members) for v in VERDICTS} for k in PERIODS
    }
    counts_gross = {
        k: {
            v: sum(_verdict(getattr(x, f"{k}_ratio_gross"), ranges[k]) == v for x in members)
            for v in VERDICTS
        }
        for k in PERIODS
    }
    total = []
    for g in guide_comparison(m):
        x = g["ratio"]
        total.append(
            TotalReading(
                code=g["code"],
                label=g["label"],
                ratio=x if math.isfinite(x) else None,
                verdict=range_verdict(x, g["low"], g["high"])[0],
                verdict_label=g["verdict"],
                text=g["text"],
            )
        )
    label = rule_row(rule)["label_ja"]
    notes = [
        f"市町村ごとの比較の負担額は、{label}で按分した1期間分（構築費、または全団体が参加した年の運用費1年分）"
        "から県の負担を除いた額です。後から参加する団体も当初から参加したものとして比べています。",
        "単独で構築・運用した場合の費用は、都道府県ファイルの費用シナリオの値（入力値）です。",
        "ガイド 2.5 は市町村の負担が県の支援の前か後かを書いていません。当ワークベンチは県の負担を除いた後の"
        "負担額で判定し、除く前の按分額も表に残しています。",
        *m.notes,
    ]
    if counts["build"]["no_burden"] == len(members) and members:
        notes.append(
            "構築費は県が全額を負担するため、市町村の負担はありません（ガイド 2.5 も「都道府県が導入して共同利用する"
            "方針としなければ、各市町村では基盤を導入・利用しなかった可能性もある」としています）。"
        )
    return CostEffect(
        prefecture_code=m.pref_code,
        prefecture_name=m.pref_name,
        rule=rule,
        rule_label=label,
        scheme_label=scheme_label or m.scheme,
        ranges=list(ranges.values()),
        members=members,
        total=total,
        counts=counts,
        counts_gross=counts_gross,
        prefecture_fractions={"build": m.pref_initial, "running": m.pref_running},
        readings={
            READING_MEMBER: "各市町村の負担 ÷ その市町村が単独で構築・運用した場合の費用（市町村ごとに判定）",
            READING_TOTAL: "参加団体が単独の場合の費用の合計 ÷ 共同利用の費用の総額（県の負担を含む）",
        },
        notes=notes,
        sources=[GUIDE_2_5, f"配分ルール: {rule_row(rule)['source']}", "単独・共同の費用: your input"],
    )


@located
def cost_effect(pref: HasCosts, rule: str | None = None, *, scheme: str | None = None) -> CostEffect:
    """Guide 2.5's cost effect read per municipality (the guide's wording) and for the prefecture as a
    whole, for ``pref.costs`` under ``rule`` (default: the vision's rule, else Shapley).

    Parameters
    ----------
    pref : Prefecture (or any object with ``code``, ``name``, ``costs``)
    rule : an allocation rule of data/cost_rules.csv
    scheme : fukushima | tochigi | tottori | none — overrides the file's prefecture share

    Each municipality's build share and yearly running share (after the prefecture's part) are compared with
    its own stand-alone cost and placed against 1/2–1/12 (build) and 1/5–1/20 (running). Raises InputError
    for unusable input.

    Examples
    --------
    >>> import workbench as wb
    >>> from workbench.cost import cost_effect
    >>> e = cost_effect(wb.load_sample("07"), "equal")   # 福島県: the prefecture pays the build, 1/2 of O&M
    >>> e.counts["running"]["within"], e.counts["build"]["no_burden"]
    (3, 10)
    >>> print(e.summary_lines()[2])
    市町村ごとの比較（ガイド 2.5 の記述どおり） 運用費（調査 1/5～1/20）: 10団体のうち 範囲内 3・効果が小さい 7・効果が大きい 0
    """
    rule = rule or getattr(getattr(pref, "vision", None), "cost_rule", None) or "shapley"
    m = build_model(pref, scheme)
    return cost_effect_model(m, rule, scheme_label=m.scheme_label)


# --- guide 2.6: the recommended-module effect -------------------------------------------------------------


class ModulePhase(BaseModel):
    """One phase of guide 2.6's table, printed and reconciled (yen; weeks)."""

    model_config = ConfigDict(extra="forbid")

    phase_code: str
    phase: str
    printed_without: float
    printed_with: float
    printed_reduction: float
    printed_rate: float | None = Field(description="印刷された削減率（0.83 など）")
    reconciled_without: float
    reconciled_with: float
    reconciled_reduction: float
    reconciled_rate: float
    without_weeks: int
    with_weeks: int
    note: str


class ModuleCase(BaseModel):
    """One case of guide 2.6 (スクラッチ開発と比べた場合 83%減 / スクラッチ開発でない場合 41%減)."""

    model_config = ConfigDict(extra="forbid")

    code: str
    label: str
    reduction: float
    quote: str
    description: str
    initial_factor: float
    running_factor: float
    applied: bool = Field(description="このシナリオに適用されている前提か")
    shared_initial: float | None = Field(
        None, description="この前提で推奨モジュールを使った場合の共同基盤の初期費用（円）"
    )
    shared_annual: float | None = Field(None, description="同、年間運用費（円/年）")


class ModuleEffectView(Result):
    """Guide 2.6's table (printed beside reconciled), its two cases, and what they do to a scenario."""

    phases: list[ModulePhase]
    cases: list[ModuleCase]
    prefecture_name: str | None = None
    scenario_initial: float | None = Field(
        None, description="共同基盤の初期費用（入力値、モジュールなし、円）"
    )
    scenario_annual: float | None = Field(
        None, description="共同基盤の年間運用費（入力値、モジュールなし、円/年）"
    )
    applied: str | None = Field(None, description="適用中の前提（module_effect が true のとき）")
    notes: list[str]
    sources: list[str]

    def card_title(self) -> str:
        return "推奨モジュール活用による経費削減効果（ガイド 2.6）"

    def summary_lines(self) -> list[str]:
        printed = next(p for p in self.phases if p.phase_code == "total")
        out = [
            f"ガイド 2.6 の事例: 合計 {money_ja(printed.printed_without)} → {money_ja(printed.printed_with)}"
            f"（印刷値、工程全体で{printed.printed_rate or 0:.0%}減）。整合させた値では "
            f"{money_ja(printed.reconciled_without)} → {money_ja(printed.reconciled_with)}"
            f"（{printed.reconciled_rate:.1%}減）。"
        ]
        for c in self.cases:
            line = (
                f"{c.label}（「{c.quote}」）: 初期費用×{c.initial_factor:.3f}、運用費×{c.running_factor:.3f}"
            )
            if c.shared_initial is not None and c.shared_annual is not None:
                line += (
                    f" → このシナリオの共同基盤は初期 {money_ja(c.shared_initial)}・"
                    f"運用 {money_ja(c.shared_annual)}/年"
                )
            if c.applied:
                line += "（適用中）"
            out.append(line)
        if self.scenario_initial is not None and self.scenario_annual is not None:
            state = (
                "配分の計算には適用していません（費用シナリオで「推奨モジュールの効果」を選ぶと適用されます）"
                if self.applied is None
                else "配分の計算では入力値に（適用中）の倍率を掛けています"
            )
            out.append(
                f"入力値（モジュールなし）: 初期 {money_ja(self.scenario_initial)}・運用 "
                f"{money_ja(self.scenario_annual)}/年。推奨モジュールの効果は{state}。"
            )
        return out

    def card_rows(self) -> list[tuple[str, str]]:
        rows = [(f"所見{i}", s) for i, s in enumerate(self.summary_lines(), start=1)]
        rows += [(f"注{i}", s) for i, s in enumerate(self.notes, start=1)]
        rows.append(("出典", "、".join(self.sources)))
        return rows

    def card_tables(self) -> list[tuple[str, pd.DataFrame]]:
        return [("工程ごとの経費（印刷値と整合させた値）", self.to_staff_frame())]

    def __str__(self) -> str:
        return "\n".join([self.card_title(), *self.summary_lines()])

    FRAME_COLUMNS: ClassVar[dict[str, str]] = {
        "phase": "the phase's code",
        "label": "the phase as the guide names it",
        "printed_without": "without the modules, as printed (yen)",
        "printed_with": "with the modules, as printed (yen)",
        "printed_reduction": "reduction as printed (yen)",
        "printed_rate": "reduction rate as printed (NaN where none is printed)",
        "reconciled_without": "without the modules, reconciled with the printed totals (yen)",
        "reconciled_with": "with the modules, reconciled (yen)",
        "reconciled_rate": "reconciled reduction rate",
        "without_weeks": "duration without the modules (weeks)",
        "with_weeks": "duration with the modules (weeks)",
    }

    def to_frame(self) -> pd.DataFrame:
        """Guide 2.6's table as numbers, one row per phase (columns: :attr:`FRAME_COLUMNS`)."""
        recs = [
            {
                "phase": p.phase_code,
                "label": p.phase,
                "printed_without": p.printed_without,
                "printed_with": p.printed_with,
                "printed_reduction": p.printed_reduction,
                "printed_rate": np.nan if p.printed_rate is None else p.printed_rate,
                "reconciled_without": p.reconciled_without,
                "reconciled_with": p.reconciled_with,
                "reconciled_rate": p.reconciled_rate,
                "without_weeks": p.without_weeks,
                "with_weeks": p.with_weeks,
            }
            for p in self.phases
        ]
        return frame(recs, self.FRAME_COLUMNS)

    def to_staff_frame(self) -> pd.DataFrame:
        """Guide 2.6's table for people: printed and reconciled side by side, 万円 with separators (why they differ:
        :attr:`notes` and each phase's ``note``)."""

        def rate(x: float | None) -> str:
            return "—" if x is None else f"{x:.0%}"

        recs = [
            {
                "工程": p.phase,
                "モジュールなし（印刷値）": money_ja(p.printed_without, "万円"),
                "モジュールあり（印刷値）": money_ja(p.printed_with, "万円"),
                "削減額（印刷値）": money_ja(p.printed_reduction, "万円"),
                "削減率（印刷値）": rate(p.printed_rate),
                "モジュールなし（整合値）": money_ja(p.reconciled_without, "万円"),
                "モジュールあり（整合値）": money_ja(p.reconciled_with, "万円"),
                "削減率（整合値）": f"{p.reconciled_rate:.1%}",
                "期間（週）": f"{p.without_weeks} → {p.with_weeks}",
            }
            for p in self.phases
        ]
        return frame(recs, list(recs[0]))

    def details_html(self) -> str:
        """Findings, the two cases, the phase table (printed beside reconciled), notes and sources (escaped
        HTML for the dashboard and the report)."""
        return (
            _lines(self.summary_lines(), "wb-module-lines")
            + _table(self.cases_frame())
            + _table(self.to_staff_frame())
            + _notes(self.notes, self.sources)
        )

    def cases_frame(self) -> pd.DataFrame:
        """The two cases with their factors and, for a scenario, the shared cost each would give."""
        recs = [
            {
                "前提": c.label,
                "ガイドの記述": c.quote,
                "初期費用の倍率": f"×{c.initial_factor:.3f}",
                "運用費の倍率": f"×{c.running_factor:.3f}",
                "共同基盤の初期費用": "—" if c.shared_initial is None else money_ja(c.shared_initial, "万円"),
                "共同基盤の運用費（年）": "—"
                if c.shared_annual is None
                else money_ja(c.shared_annual, "万円"),
                "適用": "○" if c.applied else "",
                "読み方": c.description,
            }
            for c in self.cases
        ]
        return frame(recs, list(recs[0]))


MYEN = 1e6  # the guide's table is in 百万円


def module_phases() -> list[ModulePhase]:
    """Guide 2.6's table: each phase printed beside the reconciled figures (data/module_effect_2_6.csv)."""
    printed = module_effect("printed").set_index("phase_code")
    rec = module_effect("reconciled").set_index("phase_code")
    out = []
    for code in rec.index:
        p, r = printed.loc[code], rec.loc[code]
        rate = str(p["printed_rate_pct"]).strip()
        out.append(
            ModulePhase(
                phase_code=str(code),
                phase=str(r["phase_ja"]),
                printed_without=float(p["without_myen"]) * MYEN,
                printed_with=float(p["with_myen"]) * MYEN,
                printed_reduction=float(p["reduction_myen"]) * MYEN,
                printed_rate=float(rate) / 100 if rate else None,
                reconciled_without=float(r["without_myen"]) * MYEN,
                reconciled_with=float(r["with_myen"]) * MYEN,
                reconciled_reduction=float(r["reduction_myen"]) * MYEN,
                reconciled_rate=float(r["reduction_myen"]) / float(r["without_myen"]),
                without_weeks=int(r["without_weeks"]),
                with_weeks=int(r["with_weeks"]),
                note=f"印刷値: {p['note']}／整合値: {r['note']}",
            )
        )
    return out


@located
def shared_costs_without_module(pref: HasCosts) -> tuple[float, float]:
    """(initial, yearly running) of the shared platform with every participant, as entered (the scenario
    with ``module_effect`` off; nominal yen)."""
    sc = scenario_of(pref)
    m = build_model(with_costs(pref, sc.model_copy(update={"module_effect": False})))
    part = m.participant
    return (
        m.initial_fixed + float(m.initial_member[part].sum()),
        m.annual_fixed + float(m.annual_member[part].sum()),
    )


def module_effect_view(pref: HasCosts | None = None) -> ModuleEffectView:
    """Guide 2.6 shown whole: the printed table beside the reconciled one, the 83 % (scratch) and 41 %
    (non-scratch) cases, and — for a prefecture with ``costs:`` — its shared cost without the module (as
    entered) and with it under either case, saying which case the scenario applies.

    Examples
    --------
    >>> from workbench.cost import module_effect_view
    >>> view = module_effect_view()
    >>> [(c.code, round(c.initial_factor, 3), round(c.running_factor, 3)) for c in view.cases]
    [('scratch', 0.137, 0.861), ('non_scratch', 0.59, 0.59)]
    """
    notes = [
        "ガイド 2.6 の数値は一つの事業（パーソナルデータ連携モジュール、2023年度構築・2024年3月サービス開始、"
        "対象自治体は非公開）の実績（モジュールあり）と推定値（モジュールなし）です。",
        "印刷値は互いに合いません。工程別の削減額（15.0＋211.7＋1.6＝228.3百万円）とモジュールありの合計"
        "45.8百万円に合わせると、システム構築のモジュールありは21.5百万円（233.2−211.7）、モジュールなしの合計は"
        "274.1百万円（印刷は丸めて270）になります。印刷の62.4百万円はどちらとも合いません。当ワークベンチは"
        "整合させた値を使い、印刷値を並べて示します。",
    ]
    p_ini, p_run = module_factors("scratch", basis="printed")
    notes.append(
        f"印刷値（システム構築 62.4百万円）で計算すると、初期費用×{p_ini:.3f}、運用費×{p_run:.3f}になります。"
    )
    cases_df = module_cases()
    view: dict[str, Any] = {"prefecture_name": None}
    applied = None
    base: tuple[float, float] | None = None
    if pref is not None and getattr(pref, "costs", None) is not None:
        sc = scenario_of(pref)
        base = shared_costs_without_module(pref)
        applied = sc.module_baseline if sc.module_effect else None
        view.update(prefecture_name=pref.name, scenario_initial=base[0], scenario_annual=base[1])
    cases = []
    for r in cases_df.itertuples(index=False):
        f_ini, f_run = module_factors(str(r.code))
        cases.append(
            ModuleCase(
                code=str(r.code),
                label=str(r.label_ja),
                reduction=float(r.reduction),
                quote=str(r.quote_ja),
                description=str(r.description),
                initial_factor=f_ini,
                running_factor=f_run,
                applied=applied == r.code,
                shared_initial=None if base is None else base[0] * f_ini,
                shared_annual=None if base is None else base[1] * f_run,
            )
        )
    notes.append(
        "スクラッチ開発でない場合（41%減）は、ガイドに工程別の内訳がないため初期費用・運用費とも0.59倍とする"
        "当ワークベンチの読み方です（モジュールなしの推定 45.8÷0.59≒77.6百万円）。"
    )
    return ModuleEffectView(
        phases=module_phases(),
        cases=cases,
        applied=applied,
        notes=notes,
        sources=[GUIDE_2_6, "整合させた値: workbench 独自整合（guide 2.6 から導出）"]
        + ([] if base is None else ["共同基盤の費用: your input"]),
        **view,
    )
