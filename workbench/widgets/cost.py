"""The cost simulator (公平なコスト負担の方法, guide 3.3 検討事項4; DOMAIN §6b): rule selector, weight and
prefecture-share sliders, live charts, fairness flags, late joiners.

Every number comes from :mod:`workbench.cost`; the panel only assembles the scenario the sliders describe
(the file's ``costs:`` with ``weights`` and ``prefecture_share`` replaced) and draws the results.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w

from .. import reference
from ..staff import prose_ja, source_ja
from ._common import FigureSlot, Memo, Message, Session, StaticFallback, error_text, html_table, set_options

DEFAULT_WEIGHTS = {"flat": 0.2, "population": 0.8, "usage": 0.0}  # 均等割 4–20% in bylaws (DOMAIN §6b)


class CostSimulator(StaticFallback, w.VBox):
    """Rules side by side for the prefecture's cost scenario, with controls that change it live.

    Attributes
    ----------
    session : Session
        Observed; the simulator recomputes when the prefecture changes.
    rule : ipywidgets.Dropdown
        The allocation rule shown in detail (codes of data/cost_rules.csv; labels shown). ``wb-cost-rule``.
    flat, population, usage : ipywidgets.FloatSlider
        Weights of 均等割, 人口割 and 利用割 for the joint-body formula (hybrid); normalised to sum 1.
        ``wb-w-flat``, ``wb-w-population``, ``wb-w-usage``. ``usage`` is disabled without usage data.
    pref_initial, pref_running : ipywidgets.FloatSlider
        The prefecture's fraction of the initial and running cost (``wb-pref-initial``, ``wb-pref-running``).
        Moving one replaces the file's scheme with these fractions (shown as 入力値).
    rules_fig : FigureSlot
        Each member's share under each rule, stand-alone cost as markers (``wb-fig-cost-rules``).
    standalone_fig : FigureSlot
        Share against stand-alone cost with the diagonal, for the chosen rule (``wb-fig-cost-standalone``).
    map_fig : FigureSlot
        Members at their location coloured by share ÷ stand-alone, non-members grey, members from another
        prefecture ◆ (``wb-fig-cost-map``; :func:`workbench.charts.map.cost_map`).
    summary : ipywidgets.HTML
        The allocation's summary lines (``wb-cost-summary``).
    fairness : ipywidgets.HTML
        The fairness audit: individual rationality, core, monotonicity flags (``wb-fairness``).
    table : ipywidgets.HTML
        Members' shares (``wb-cost-table``).
    message : Message
        Why nothing can be computed (no ``costs:`` section, a bad value …).
    allocation, comparison, audit : results of :mod:`workbench.cost` last shown (None when not computed).
    """

    placeholder_ja = "費用負担の比較"

    def __init__(self, session: Session) -> None:
        from ..cost import rules_table

        self.session = session
        self.allocation = self.comparison = self.audit = None
        # results per scenario and rule (a control switched back to a state seen before recomputes nothing)
        self._memo = Memo(32, shared="cost simulator")
        self._scenarios = Memo(8)  # the scenario prefectures (in this kernel only)
        self._custom_share = False
        self._busy = False
        rules = rules_table()
        self.rule = w.Dropdown(
            options=[(str(r.label_ja), r.code) for r in rules.itertuples()],
            value="shapley",
            description="配分ルール",
            layout=w.Layout(width="360px"),
        )
        self.rule.add_class("wb-cost-rule")
        style = {"description_width": "120px"}
        lay = w.Layout(width="420px")

        def slider(desc: str, css: str, value: float = 0.0) -> w.FloatSlider:
            s = w.FloatSlider(
                value=value,
                min=0,
                max=1,
                step=0.05,
                description=desc,
                readout_format=".0%",
                continuous_update=False,
                style=style,
                layout=lay,
            )
            s.add_class(css)
            return s

        self.flat = slider("均等割の重み", "wb-w-flat", DEFAULT_WEIGHTS["flat"])
        self.population = slider("人口割の重み", "wb-w-population", DEFAULT_WEIGHTS["population"])
        self.usage = slider("利用割の重み", "wb-w-usage", DEFAULT_WEIGHTS["usage"])
        self.pref_initial = slider("県負担（初期費用）", "wb-pref-initial")
        self.pref_running = slider("県負担（運用費）", "wb-pref-running")
        self.weights_note = w.HTML()
        self.share_note = w.HTML()
        self.rules_fig = FigureSlot("wb-fig-cost-rules", session=session)
        self.standalone_fig = FigureSlot("wb-fig-cost-standalone", session=session)
        self.map_fig = FigureSlot("wb-fig-cost-map", height=560, session=session)
        self.summary = w.HTML()
        self.summary.add_class("wb-cost-summary")
        self.fairness = w.HTML()
        self.fairness.add_class("wb-fairness")
        self.table = w.HTML()
        self.table.add_class("wb-cost-table")
        self.message = Message("wb-cost-msg")
        self.cash = w.HTML()
        self.cash.add_class("wb-cost-cash")
        self.weights_box = w.VBox(
            [
                w.HTML("<b>均等割＋人口割＋利用割の重み</b>"),
                self.flat,
                self.population,
                self.usage,
                self.weights_note,
            ]
        )
        self.weights_box.add_class("wb-cost-weights")
        self.weights_hint = w.HTML(
            "<small style='color:#666'>重みの設定は「均等割＋人口割＋利用割」を選んだときに使います</small>"
        )
        controls = w.VBox(
            [
                self.rule,
                self.weights_box,
                self.weights_hint,
                w.HTML("<b>県の負担割合</b>"),
                self.pref_initial,
                self.pref_running,
                self.share_note,
            ]
        )
        controls.add_class("wb-cost-controls")
        super().__init__(
            [
                self.message,
                w.HBox([controls, self.summary]),
                self.rules_fig.widget,
                self.standalone_fig.widget,
                self.map_fig.widget,
                self.fairness,
                self.table,
                self.cash,
            ]
        )
        self.add_class("wb-cost-sim")
        self.rule.observe(lambda _c: self._show_weights(), names="value")
        self._show_weights()
        for s in (self.flat, self.population, self.usage):
            s.observe(self._recompute, names="value")
        for s in (self.pref_initial, self.pref_running):
            s.observe(self._share_moved, names="value")
        self.rule.observe(self._recompute, names="value")
        session.on_change(self.reset)
        if session.pref is not None:
            self.reset(session.pref)

    # --- scenario from the controls ----------------------------------------------------------------
    def reset(self, pref: Any = None) -> None:
        """Set the controls from the file's ``costs:`` and recompute."""
        from ..cost import build_model

        pref = pref if pref is not None else self.session.pref
        self._busy = True
        try:
            if pref is None or pref.costs is None:
                self._clear(
                    "この都道府県ファイルには費用シナリオ（costs:）がありません。"
                    "費用の前提（初期費用・運用費・参加団体）を都道府県ファイルに加えると、費用負担を比較できます。"
                )
                return
            sc = pref.costs
            weights = dict(sc.weights) if sc.weights else None
            self._driver = next(
                (
                    k
                    for k in ("users", "records", "api_calls", "data_volume")
                    if any(getattr(d, k) is not None for d in sc.drivers.values())
                ),
                None,
            )
            self.usage.disabled = self._driver is None
            if weights:
                usage = sum(v for k, v in weights.items() if k not in ("flat", "population"))
                self.flat.value, self.population.value = weights.get("flat", 0), weights.get("population", 0)
                self.usage.value = usage
                self.weights_note.value = "<small>ファイルの weights</small>"
            else:
                self.flat.value, self.population.value = (
                    DEFAULT_WEIGHTS["flat"],
                    DEFAULT_WEIGHTS["population"],
                )
                self.usage.value = 0.0
                self.weights_note.value = (
                    "<small>ファイルに weights がないため仮の値（均等割20%・人口割80%、"
                    "一部事務組合の規約の範囲 4～20%）</small>"
                )
            try:
                m = build_model(pref)
                self.pref_initial.value, self.pref_running.value = m.pref_initial, m.pref_running
            except Exception:
                self.pref_initial.value = self.pref_running.value = 0.0
            self._custom_share = False
        finally:
            self._busy = False
        self._recompute()

    def _share_moved(self, _change: Any = None) -> None:
        if self._busy:
            return
        self._custom_share = True
        self._recompute()

    def weights(self) -> dict[str, float] | None:
        """The normalised hybrid weights the sliders describe (None when all are zero)."""
        raw = {"flat": self.flat.value, "population": self.population.value}
        if self._driver and self.usage.value > 0:
            raw[self._driver] = self.usage.value
        total = sum(raw.values())
        if total <= 0:
            return None
        out = {k: v / total for k, v in raw.items() if v > 0}
        # exact sum 1 (the model checks it to 1e-9)
        last = next(reversed(out))
        out[last] = 1 - sum(v for k, v in out.items() if k != last)
        return out

    def scenario_key(self) -> Any:
        """What the scenario the controls describe depends on: the prefecture's content (:meth:`Session.key`),
        the normalised weights and, once moved, the prefecture's shares."""
        return (
            self.session.key(),
            tuple(sorted((self.weights() or {}).items())),
            self._custom_share,
            self.pref_initial.value if self._custom_share else None,
            self.pref_running.value if self._custom_share else None,
        )

    def scenario_prefecture(self) -> Any:
        """The prefecture with its ``costs:`` replaced by what the controls describe (made once per
        :meth:`scenario_key`)."""
        return self._scenarios.get(self.scenario_key(), self._make_scenario)

    def _make_scenario(self) -> Any:
        from ..cost.model import with_costs
        from ..inventory.costs import CostScenario

        pref = self.session.pref
        data = pref.costs.model_dump(exclude_none=True)
        weights = self.weights()
        if weights:
            data["weights"] = weights
        else:
            data.pop("weights", None)
        if self._custom_share:
            data.pop("scheme", None)
            applies = (data.get("prefecture_share") or {}).get("applies_to", "all")
            data["prefecture_share"] = {
                "initial": round(self.pref_initial.value, 4),
                "running": round(self.pref_running.value, 4),
                "applies_to": applies,
            }
        return with_costs(pref, CostScenario.model_validate(data))

    # --- drawing ------------------------------------------------------------------------------------
    def _clear(self, text: str) -> None:
        self.allocation = self.comparison = self.audit = None
        self.message.set(text, "warn")
        self.summary.value = self.fairness.value = self.table.value = ""

    def _recompute(self, _change: Any = None) -> None:
        from ..charts import cost as charts
        from ..cost import audit

        if self._busy or self.session.pref is None or self.session.pref.costs is None:
            return
        w_ = self.weights()
        self.weights_note.value = (
            "<small>正規化後: "
            + "・".join(f"{_WLABEL.get(k, '利用割')} {v:.0%}" for k, v in (w_ or {}).items())
            + "</small>"
            if w_
            else "<small>重みがすべて0です</small>"
        )
        if self._custom_share:
            self.share_note.value = (
                f"<small>入力値: 初期 {self.pref_initial.value:.0%}・"
                f"運用 {self.pref_running.value:.0%}</small>"
            )
        rule = self.rule.value
        try:
            key = self.scenario_key()
            pref, comparison = self._scenario_and_comparison()
            allocation = comparison.allocations.get(rule)
            if allocation is None:
                reason = comparison.skipped.get(rule, "")
                raise ValueError(f"{self.rule.label} はこのシナリオでは計算できません: {reason}")
            fair = self._memo.get(("audit", key, rule), lambda: audit(pref, allocation))
        except Exception as err:
            self.message.set(error_text(err), "error")
            return
        self.message.clear()
        redraw_rules = comparison is not self.comparison
        self.comparison, self.allocation, self.audit = comparison, allocation, fair
        # the chart of the chosen rule first; the rest follow on the kernel's loop (Session.later). Each is
        # built once per scenario and rule (FigureSlot.show_for): switching back to a rule only resends it
        self.standalone_fig.show_for(
            (key, rule), lambda: _styled(charts.share_vs_standalone(allocation), 420)
        )

        def draw_map() -> None:
            from ..charts.map import cost_map

            self.map_fig.show_for((key, rule), lambda: cost_map(pref, allocation))

        self.session.later(draw_map, key=(id(self), "map"))
        if redraw_rules:  # every rule side by side: the same chart when only the chosen rule changed
            self.session.later(
                lambda: self.rules_fig.show_for(
                    key, lambda: _styled(charts.shares_by_rule(comparison, note=self._all_paid_note()), None)
                ),
                key=(id(self), "rules"),
            )
        self.session.later(
            lambda: self._draw_texts(allocation, fair, (key, rule)), key=(id(self), "table"), last=True
        )
        self.session.later(lambda: self._draw_cash(pref, (key, rule)), key=(id(self), "cash"), last=True)

    def _scenario_and_comparison(self) -> tuple[Any, Any]:
        """The scenario the controls describe and every rule's allocation for it. The comparison is kept per
        scenario (a change of the chosen rule only picks another of its allocations)."""
        from ..cost import compare

        pref = self.scenario_prefecture()
        comparison = self._memo.get(("compare", self.scenario_key()), lambda: compare(pref))
        return pref, comparison

    def _draw_texts(self, allocation: Any, fair: Any, key: Any = None) -> None:
        """The summary lines, the fairness audit and the members' shares under the chosen rule (below the
        charts: drawn after them; made once per ``key``, the scenario and rule)."""
        texts = (
            self._memo.get(("texts", key), lambda: self._texts(allocation, fair))
            if key is not None
            else self._texts(allocation, fair)
        )
        self.summary.value, self.fairness.value, self.table.value = texts

    def _texts(self, allocation: Any, fair: Any) -> tuple[str, str, str]:
        from ..text import with_synthetic_mark

        lines = allocation.summary_lines()
        if (
            lines
        ):  # the title line says 「（合成データ）」 for a synthetic prefecture, as every card of it does
            lines[0] = with_synthetic_mark(lines[0], self.session.pref)
        summary = (
            "<ul class='wb-cost-lines'>"
            + "".join(f"<li>{html.escape(strip_codes(prose_ja(s)))}</li>" for s in lines)
            + "</ul>"
        )
        df = allocation.to_staff_frame()
        for col in ("負担額（円）", "単独の費用（円）", "削減額（円）"):
            df[col] = df[col].map(lambda x: f"{x:,.0f}")
        df["削減率"] = df["削減率"].map(lambda x: f"{x:.0%}")
        df["個別合理性"] = df["個別合理性"].map(lambda x: "○" if x else "×")
        df = df.rename(columns={"個別合理性": "単独より安いか（個別合理性）"})
        if df["外部の団体"].any():  # members of other prefectures (guide 1.2 (3)) marked in the table
            df["外部の団体"] = df["外部の団体"].map(lambda x: "○" if x else "—")
        else:
            df = df.drop(columns=["外部の団体"])
        return summary, _fairness_html(fair), html_table(df)

    # --- shown only where they matter ----------------------------------------------------------------
    def _show_weights(self) -> None:
        """The weight sliders only for the rule that uses them (均等割＋人口割＋利用割)."""
        uses = self.rule.value == "hybrid"
        self.weights_box.layout.display = "" if uses else "none"
        self.weights_hint.layout.display = "none" if uses else ""

    def _all_paid_note(self) -> str | None:
        """Why every share is 0: the prefecture pays all of the initial and the running cost."""
        if self.pref_initial.value >= 0.999 and self.pref_running.value >= 0.999:
            pref = self.session.pref
            scheme = pref.costs.scheme if pref is not None and pref.costs is not None else None
            schemes = reference.table("prefecture_schemes.csv").set_index("code")["label_ja"]
            how = f"（{schemes[scheme]}）" if scheme in schemes and not self._custom_share else ""
            return f"県が初期費用と運用費の100%を負担する方式{how}のため、市区町村の負担はすべて0円です"
        return None

    def _draw_cash(self, pref: Any, key: Any = None) -> None:
        """Each member's payments per 年度 under the chosen rule (令和N年度 once the plan has a start); made
        once per ``key`` (the scenario and rule)."""
        self.cash.value = (
            self._memo.get(("cash", key), lambda: self._cash_html(pref))
            if key is not None
            else self._cash_html(pref)
        )

    def _cash_html(self, pref: Any) -> str:
        from ..cost import cash_flow
        from ..text import fiscal_year, fiscal_year_ja, money_ja

        try:
            cf = cash_flow(pref, self.rule.value)
        except Exception as err:  # shown, never raised
            return f"<p style='color:#666'>年度別の負担を計算できません: {html.escape(error_text(err))}</p>"
        # the plan's start is read from the session's prefecture: ``pref`` here is the scenario the controls
        # describe (costs only), which carries no plan
        plan = getattr(self.session.pref, "plan", None)
        first = fiscal_year(plan.start) if plan is not None and plan.start is not None else None
        years = [fiscal_year_ja(first + y, western=False) if first else f"{y + 1}年度目" for y in cf.years]
        import pandas as pd

        rows = [
            {
                "団体": n,
                **{y: money_ja(v, "千円") for y, v in zip(years, f, strict=True)},
                "現在価値": money_ja(p, "千円"),
            }
            for n, f, p in zip(
                [*cf.names, "県"], [*cf.flows, cf.prefecture], [*cf.npv, cf.prefecture_npv], strict=True
            )
        ]
        start = "実行計画の開始日の年度から" if first else "実行計画に開始日を入れると令和の年度で表示します"
        return (
            f"<h4 style='margin:8px 0 2px'>年度別の負担（{html.escape(self.rule.label)}、千円）</h4>"
            f"<p style='color:#666;font-size:90%'>1年度目は初期費用の年度です（{start}）。</p>"
            + html_table(pd.DataFrame(rows))
        )


def strip_codes(text: str) -> str:
    """A sentence without the codes in full-width brackets that analysts' labels carry (「人口割（population）」)."""
    import re

    return re.sub(r"（[a-z][a-z0-9_]*）", "", text)


_WLABEL = {"flat": "均等割", "population": "人口割"}


def _styled(fig, height: int | None):
    """Our template and font; ``height`` None keeps the chart's own (the dot plot grows with its rows)."""
    from ..charts import JA_FONT, apply_template

    top = max(60, fig.layout.margin.t or 0)
    apply_template(fig).update_layout(font={"family": JA_FONT}, margin={"l": 60, "r": 20, "t": top, "b": 60})
    if height is not None:
        fig.update_layout(height=height)
    return fig


def _fairness_html(fair) -> str:
    def flag(ok: bool | None, yes: str, no: str) -> str:
        if ok is None:
            return "<li>— 対象外</li>"
        colour = "#1b7f3b" if ok else "#b00020"
        return f"<li style='color:{colour}'>{'✔' if ok else '✘'} {html.escape(yes if ok else no)}</li>"

    items = [
        flag(fair.individually_rational, "全団体が単独より安い（個別合理性）", "単独より高くなる団体がある"),
        flag(
            fair.in_core, "コアに入る（離脱の動機がない）", "コアに入らない（離脱した方が安い組合せがある）"
        ),
        flag(
            fair.monotonic,
            "参加が増えても既存団体の負担が増えない（単調性）",
            "参加が増えると負担が増える団体がある",
        ),
    ]
    if fair.least_core is not None:  # the least core beside the core check: how far from stable, in yen
        colour = "#b00020" if fair.least_core.core_empty else "#444"
        items.insert(
            2,
            f"<li class='wb-least-core' style='color:{colour};margin-left:1.2em'>"
            f"最小コア：{html.escape(fair.least_core.text)}</li>",
        )
    return (
        "<div class='wb-fairness-box' style='padding:4px 12px'><h4 style='margin:4px 0'>公平性の監査："
        f"{html.escape(fair.rule_label)}</h4><ul style='list-style:none;padding-left:0'>{''.join(items)}</ul>"
        f"<p style='font-size:90%'>{html.escape(fair.summary)}</p>"
        f"<p style='font-size:80%;color:#666'>根拠: {html.escape('、'.join(x for x in map(source_ja, fair.sources) if x))}</p></div>"
    )


class LateJoinerPanel(StaticFallback, w.VBox):
    """A municipality joining in a later year: what it pays and what changes for the others, per policy.

    Attributes
    ----------
    municipality : ipywidgets.Dropdown
        The joiner (municipalities of the prefecture that are not members). ``wb-late-muni``.
    year : ipywidgets.IntSlider
        The year it joins (1..horizon). ``wb-late-year``.
    policy : ipywidgets.Dropdown
        How the initial investment is shared with it. ``wb-late-policy``.
    result : workbench.cost.LateJoin or None
    output : ipywidgets.HTML
        Summary and the policies table (``wb-late-result``).
    """

    placeholder_ja = "後から参加する団体の負担"

    def __init__(self, session: Session, rule: w.Dropdown | None = None) -> None:
        from ..cost.latejoin import POLICY_LABELS

        self.session = session
        self.result = None
        self._quiet = False
        self._memo = Memo(
            32, shared="late joiner"
        )  # (prefecture, joiner, year, policy, rule) -> (result, html)
        self.rule = rule
        self.municipality = w.Dropdown(description="参加団体", layout=w.Layout(width="320px"))
        self.municipality.add_class("wb-late-muni")
        self.year = w.IntSlider(value=2, min=1, max=5, description="参加年", continuous_update=False)
        self.year.add_class("wb-late-year")
        self.policy = w.Dropdown(
            options=[(v, k) for k, v in POLICY_LABELS.items()],
            value="book_value",
            description="初期費用",
            layout=w.Layout(width="420px"),
        )
        self.policy.add_class("wb-late-policy")
        self.output = w.HTML()
        self.output.add_class("wb-late-result")
        self.message = Message()
        super().__init__([w.HBox([self.municipality, self.year]), self.policy, self.message, self.output])
        self.add_class("wb-late-joiner")
        for c in (self.municipality, self.year, self.policy):
            c.observe(lambda _c: None if self._quiet else self._draw(), names="value")
        if rule is not None:  # below the simulator's charts: drawn after them
            rule.observe(
                lambda _c: session.later(self._draw, key=(id(self), "late"), last=True), names="value"
            )
        session.on_change(self.reset)
        if session.pref is not None:
            self.reset(session.pref)

    def reset(self, pref: Any) -> None:
        if pref is None or pref.costs is None:
            self.message.set("費用シナリオ（costs:）がありません", "warn")
            self.output.value = ""
            return
        munis = reference.municipalities_of(pref.code)
        members = set(pref.costs.members or [])
        options = [(n, c) for c, n in munis[["code", "name"]].itertuples(index=False) if c not in members]
        if not options:  # everyone is a member: a late joiner is one of them joining later
            options = [(n, c) for c, n in munis[["code", "name"]].itertuples(index=False)]
        self._quiet = True
        try:
            set_options(self.municipality, options, keep=False)
            self.year.max = pref.costs.horizon_years
            self.year.value = min(2, pref.costs.horizon_years)
        finally:
            self._quiet = False
        self._draw()

    def _draw(self) -> None:
        from ..cost import late_joiner

        pref = self.session.pref
        if pref is None or pref.costs is None or self.municipality.value is None:
            return
        rule = self.rule.value if self.rule is not None else "shapley"
        args = (self.municipality.value, self.year.value, self.policy.value, rule)
        try:
            res, text = self._memo.get(
                (self.session.key(), *args), lambda: self._result(late_joiner(pref, *args[:3], rule=rule))
            )
        except Exception as err:
            self.message.set(error_text(err), "error")
            self.output.value = ""
            return
        self.message.clear()
        self.result = res
        self.output.value = text

    @staticmethod
    def _result(res: Any) -> tuple[Any, str]:
        pol = (
            res.policies_frame()
            .rename(
                columns={
                    "label": "方式",
                    "joiner_npv": "参加団体の負担（円）",
                    "joiner_standalone": "単独の費用（円）",
                    "incumbents_change": "既存団体の増減（円）",
                    "prefecture_change": "県の増減（円）",
                }
            )
            .drop(columns=["policy"])
        )
        for col in pol.columns[1:]:
            pol[col] = pol[col].map(lambda x: f"{x:,.0f}")
        return res, f"<p>{html.escape(res.summary)}</p>" + html_table(pol)
