"""The scenario beside the guide's surveyed cost effects (guide 2.5 and 2.6), for the cost dashboard and the
Step 2 notebook: every municipality placed against 1/2–1/12 (build) and 1/5–1/20 (running), the
prefecture-wide reading beside it, and the recommended-module effect (printed and reconciled figures, the
83 % and 41 % cases).

Every number comes from :mod:`workbench.cost.effect`; the panel only draws it.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from ..staff import html_prose_ja
from ._common import FigureSlot, Memo, Message, Session, StaticFallback, error_text, html_table


class CostEffectPanel(StaticFallback, w.VBox):
    """Guide 2.5 and 2.6 beside the prefecture's cost scenario.

    With a :class:`~workbench.widgets.CostSimulator` it follows the simulator's rule, weights and prefecture
    share; alone it uses the file's scenario with its own rule selector (default: the vision's rule).

    Attributes
    ----------
    session : Session
    simulator : CostSimulator or None
    rule : ipywidgets.Dropdown
        The rule (the simulator's dropdown when following one). ``wb-effect-rule`` when the panel's own.
    summary : ipywidgets.HTML
        The guide's sentences, the two readings named and defined, the findings (``wb-cost-effect``).
    figure : FigureSlot
        Each municipality against the surveyed ranges (``wb-fig-cost-effect``).
    table : ipywidgets.HTML
        The per-municipality reading (``wb-cost-effect-table``).
    module : ipywidgets.HTML
        The recommended-module effect, guide 2.6 (``wb-module-effect``).
    module_figure : FigureSlot
        Guide 2.6's phases without and with the module (``wb-fig-module-effect``).
    effect, module_view : the results shown last (:class:`workbench.cost.effect.CostEffect`,
        :class:`workbench.cost.effect.ModuleEffectView`), None when not computed.
    """

    placeholder_ja = "費用の抑制効果"

    def __init__(self, session: Session, simulator: Any = None) -> None:
        from ..cost import rules_table

        self.session = session
        self.simulator = simulator
        self.effect = self.module_view = None
        self._memo = Memo(32, shared="cost effect")  # (scenario, rule) -> (effect, summary, table)
        if simulator is not None:
            self.rule = simulator.rule
            controls: list[w.Widget] = []
        else:
            self.rule = w.Dropdown(
                options=[(str(r.label_ja), r.code) for r in rules_table().itertuples()],  # labels only
                value="shapley",
                description="配分ルール",
                layout=w.Layout(width="360px"),
            )
            self.rule.add_class("wb-effect-rule")
            controls = [self.rule]
        self.message = Message("wb-effect-msg")
        self.summary = w.HTML()
        self.summary.add_class("wb-cost-effect")
        self.figure = FigureSlot("wb-fig-cost-effect", session=session)
        self.table = w.HTML()
        self.table.add_class("wb-cost-effect-table")
        self.module = w.HTML()
        self.module.add_class("wb-module-effect")
        self.module_figure = FigureSlot("wb-fig-module-effect", session=session)
        super().__init__(
            [
                *controls,
                self.message,
                w.HTML("<h4 style='margin:8px 0 2px'>共同利用による費用の抑制効果（ガイド 2.5）</h4>"),
                self.summary,
                self.figure.widget,
                self.table,
                w.HTML(
                    "<h4 style='margin:12px 0 2px'>推奨モジュール活用による経費削減効果（ガイド 2.6）</h4>"
                ),
                self.module,
                self.module_figure.widget,
            ]
        )
        self.add_class("wb-cost-effect-panel")
        watched = [self.rule]
        if simulator is not None:
            watched += [
                simulator.flat,
                simulator.population,
                simulator.usage,
                simulator.pref_initial,
                simulator.pref_running,
            ]
        for c in watched:
            c.observe(self._changed, names="value")
        session.on_change(self.reset, secondary=True)
        if session.pref is not None:
            self.reset(session.pref)

    def reset(self, pref: Any = None) -> None:
        """A new prefecture: the rule from its vision (own selector only), then redraw."""
        pref = pref if pref is not None else self.session.pref
        if self.simulator is None and pref is not None and pref.vision and pref.vision.cost_rule:
            self.rule.value = pref.vision.cost_rule
        self.draw()

    def _changed(self, _change: Any = None) -> None:
        if self.simulator is not None and getattr(self.simulator, "_busy", False):
            return
        self.session.later(lambda: self.draw(module=False), key=(id(self), "effect"))

    def scenario_key(self) -> Any:
        """What :meth:`scenario` depends on (the simulator's controls, else the prefecture's content)."""
        if self.simulator is not None:
            return self.simulator.scenario_key()
        return self.session.key()

    def scenario(self) -> Any:
        """The prefecture (or the simulator's scenario) the panel shows."""
        if self.simulator is not None:
            return self.simulator.scenario_prefecture()
        return self.session.pref

    def draw(self, module: bool = True) -> None:
        """Recompute and redraw guide 2.5's part, and guide 2.6's when ``module`` (it depends only on the
        prefecture's shared cost, not on the rule or the sliders)."""
        from ..charts.effect import effect_ranges
        from ..cost.effect import cost_effect

        pref = self.session.pref
        if module:
            self.draw_module()
        if pref is None or pref.costs is None:
            self.effect = None
            self.message.set(
                "費用シナリオ（costs:）がないため、ガイド 2.5 の範囲とは比べられません。", "warn"
            )
            self.summary.value = self.table.value = ""
            self.figure.clear()
            return
        rule = self.rule.value
        try:
            key = (self.scenario_key(), rule)
            effect, summary, table = self._memo.get(
                key, lambda: _effect_texts(cost_effect(self.scenario(), rule))
            )
        except Exception as err:
            self.message.set(error_text(err), "error")
            return
        self.message.clear()
        self.effect = effect
        self.summary.value = summary
        self.figure.show_for(key, lambda: _styled(effect_ranges(effect), 480))
        self.table.value = table

    def draw_module(self) -> None:
        """Guide 2.6 for the prefecture (or the guide alone when it has no cost scenario)."""
        from ..charts.effect import module_phases
        from ..cost.effect import module_effect_view

        pref = self.session.pref
        try:
            view = module_effect_view(pref if pref is not None and pref.costs is not None else None)
        except Exception as err:
            self.message.set(error_text(err), "error")
            return
        self.module_view = view
        self.module.value = html_prose_ja(view.details_html())
        self.module_figure.show(_styled(module_phases(view), 380))


def _effect_texts(effect: Any) -> tuple[Any, str, str]:
    """A guide 2.5 result with its summary and table as HTML (kept per scenario and rule)."""
    return effect, html_prose_ja(effect.details_html()), html_prose_ja(html_table(effect.display_frame()))


def _styled(fig, height: int):
    from ..charts import JA_FONT, apply_template

    apply_template(fig).update_layout(font={"family": JA_FONT}, height=height, margin={"l": 60, "r": 20})
    return fig
