"""Step 2 目指す型の選択: the options side by side with their costs, the recommendation with its reasons, and the
criteria's weights as sliders (the default labelled 本ツールの読み), for notebook 02 and the cost dashboard.

Every number comes from :func:`workbench.options.options`; the panel only draws it.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w

from ..staff import prose_ja, source_ja
from ._common import FigureSlot, Memo, Message, Session, StaticFallback, error_text, html_table


class OptionsPanel(StaticFallback, w.VBox):
    """The options appraisal of Step 2 (guide 3.2).

    Attributes
    ----------
    session : Session
    weights : dict[str, ipywidgets.FloatSlider]
        One slider per criterion (code → slider, ``wb-option-weight``); the weights are scaled to sum to 1.
    reset_button : ipywidgets.Button
        Back to the default weights, 本ツールの読み (``wb-option-reset``).
    summary : ipywidgets.HTML
        The recommendation, the weights used and what would change it (``wb-options-summary``).
    costs : FigureSlot
        Each option's cost (``wb-fig-option-costs``).
    scores : FigureSlot
        How each option's score is made (``wb-fig-option-scores``).
    table : ipywidgets.HTML
        The comparison (``wb-options-table``).
    chooser : ipywidgets.Dropdown
        The option whose reasons, risks, gaps and decisions are shown (``wb-option-chooser``).
    details : ipywidgets.HTML
        That option's details (``wb-option-details``).
    result : workbench.options.OptionsResult or None
        The result shown last.
    """

    def __init__(self, session: Session) -> None:
        from ..options import criteria_table

        self.session = session
        self.result = None
        self._busy = False
        # (prefecture content, weights) -> (result, summary, table); shared by a server's kernels
        self._memo = Memo(16, shared="options")
        self.message = Message("wb-options-msg")
        self.weights: dict[str, w.FloatSlider] = {}
        for r in criteria_table().itertuples(index=False):
            s = w.FloatSlider(
                value=float(r.weight),
                min=0.0,
                max=1.0,
                step=0.01,
                description=str(r.label_ja),
                readout_format=".2f",
                style={"description_width": "150px"},
                layout=w.Layout(width="420px"),
            )
            s.add_class("wb-option-weight")
            s.observe(self._changed, names="value")
            self.weights[str(r.code)] = s
        self.reset_button = w.Button(
            description="既定の重みに戻す（本ツールの読み）", layout=w.Layout(width="300px")
        )
        self.reset_button.add_class("wb-option-reset")
        self.reset_button.on_click(lambda _b: self.reset_weights())
        self.summary = w.HTML()
        self.summary.add_class("wb-options-summary")
        self.costs = FigureSlot("wb-fig-option-costs", session=session)
        self.scores = FigureSlot("wb-fig-option-scores", session=session)
        self.table = w.HTML()
        self.table.add_class("wb-options-table")
        self.chooser = w.Dropdown(description="選択肢", layout=w.Layout(width="520px"))
        self.chooser.add_class("wb-option-chooser")
        self.chooser.observe(lambda _c: self.draw_details(), names="value")
        self.details = w.HTML()
        self.details.add_class("wb-option-details")
        weights_box = w.VBox(
            [
                w.HTML("<b>基準の重み</b>（合計は自動で1にそろえます。既定は本ツールの読み）"),
                *self.weights.values(),
                self.reset_button,
            ]
        )
        super().__init__(
            [
                self.message,
                self.summary,
                self.costs.widget,
                self.table,
                w.HTML("<h4 style='margin:10px 0 2px'>推奨の決め方</h4>"),
                weights_box,
                self.scores.widget,
                w.HTML("<h4 style='margin:10px 0 2px'>選択肢の詳しい内容</h4>"),
                self.chooser,
                self.details,
            ]
        )
        self.add_class("wb-options-panel")
        session.on_change(lambda _p: self.draw(), secondary=True)
        if session.pref is not None:
            self.draw()

    def weight_values(self) -> dict[str, float]:
        """The sliders' weights by criterion code."""
        return {k: float(s.value) for k, s in self.weights.items()}

    def reset_weights(self) -> None:
        """Back to 本ツールの読み, redrawn once."""
        from ..options import default_weights

        self._busy = True
        try:
            for k, v in default_weights().items():
                self.weights[k].value = v
        finally:
            self._busy = False
        self.draw()

    def _changed(self, _change: Any = None) -> None:
        if self._busy:
            return
        self.session.later(self.draw, key=(id(self), "options"))

    def draw(self) -> None:
        """Recompute the options with the sliders' weights and redraw."""
        from ..charts.options import option_costs, option_scores
        from ..options import options

        pref = self.session.pref
        if pref is None:
            return
        weights = self.weight_values()
        if sum(weights.values()) <= 0:
            self.message.set("重みがすべて0です。どれかを0より大きくしてください", "warn")
            return
        key = (self.session.key(), tuple(sorted(weights.items())))
        try:
            res, summary, table = self._memo.get(
                key,
                lambda: (lambda r: (r, summary_html(r), html_table(r.to_staff_frame())))(
                    options(pref, weights=weights)
                ),
            )
        except Exception as err:
            self.message.set(error_text(err), "error")
            return
        self.message.clear()
        self.result = res
        self.summary.value = summary
        self.costs.show_for(key, lambda: option_costs(res))
        self.scores.show_for(key, lambda: option_scores(res))
        self.table.value = table
        labels = [(o.label + ("（推奨）" if o.recommended else ""), o.id) for o in res.options]
        keep = self.chooser.value if self.chooser.value in [v for _, v in labels] else res.recommended
        self.chooser.options = labels
        self.chooser.value = keep
        self.draw_details()

    def draw_details(self) -> None:
        res = self.result
        if res is None or self.chooser.value is None:
            self.details.value = ""
            return
        self.details.value = option_html(res.option(self.chooser.value))


def _items(rows: list[Any], empty: str = "なし") -> str:
    """A bulleted list of reasons (``text``, ``source``, ``quote``) or plain strings, sources in Japanese."""
    if not rows:
        return f"<p style='margin:2px 0;color:#666'>{empty}</p>"
    lis = []
    for r in rows:
        text = r if isinstance(r, str) else r.text
        src = "" if isinstance(r, str) else source_ja(r.source or "")
        quote = None if isinstance(r, str) else r.quote
        tail = ""
        if src:
            tail = f"（{html.escape(src)}" + (f"「{html.escape(quote)}」" if quote else "") + "）"
            tail = f"<span style='color:#666;font-size:90%'>{tail}</span>"
        lis.append(f"<li>{html.escape(prose_ja(text))}{tail}</li>")
    return f"<ul style='margin:2px 0'>{''.join(lis)}</ul>"


def summary_html(res: Any) -> str:
    """The recommendation in a few lines: the summary, what would change it, the weights used."""
    close = "<p style='color:#8a6d00'>推奨と次点は僅差です。</p>" if res.close else ""
    return (
        f"<p style='font-size:110%;margin:4px 0'><b>{html.escape(res.summary)}</b></p>{close}"
        f"<p style='margin:2px 0;color:#444'>今の型: {html.escape(res.current_words())}。"
        f"出発点（ガイド 3.2）: {html.escape(res.starting_point)}"
        f" → {html.escape(res.direction)}</p>"
        f"<h5 style='margin:8px 0 2px'>推奨の理由</h5>{_items(res.best.reasons)}"
        f"<h5 style='margin:8px 0 2px'>推奨が変わる条件</h5>{_items(res.what_changes)}"
        f"<p style='margin:4px 0;color:#666;font-size:90%'>{html.escape(res.weights_text())}</p>"
        + "".join(
            f"<p style='margin:2px 0;color:#666;font-size:90%'>注: {html.escape(n)}</p>" for n in res.notes
        )
    )


def option_html(o: Any) -> str:
    """One option: what it is, its cost basis, reasons, authentication gaps, risks and the decisions."""
    gaps = [
        f"{g.name}: {g.detail}" + (f"（追加する手段: {'、'.join(g.means_labels)}）" if g.means_labels else "")
        for g in o.auth_gaps
    ]
    decisions = "".join(
        f"<tr><td style='padding:2px 8px'>{html.escape(d.who_label)}</td>"
        f"<td style='padding:2px 8px'>{html.escape(d.text)}</td></tr>"
        for d in o.decisions
    )
    members = ""
    if o.members:
        import pandas as pd

        from ..text import money_ja

        df = pd.DataFrame(
            [
                {
                    "市区町村": m.name,
                    "この選択肢での負担": "不明" if m.cost is None else money_ja(m.cost),
                    "単独の場合": "—" if m.alone is None else money_ja(m.alone),
                }
                for m in o.members
            ]
        )
        members = f"<h5 style='margin:8px 0 2px'>各市区町村の負担（評価期間・現在価値）</h5>{html_table(df)}"
    return (
        f"<p style='margin:4px 0'><b>{html.escape(o.label)}</b>: {html.escape(o.description)}</p>"
        f"<h5 style='margin:8px 0 2px'>費用の根拠</h5>{_items(o.cost_basis)}{members}"
        f"<h5 style='margin:8px 0 2px'>理由</h5>{_items(o.reasons)}"
        f"<h5 style='margin:8px 0 2px'>認証レベルの不足と埋める手段</h5>{_items(gaps)}"
        f"<h5 style='margin:8px 0 2px'>リスク</h5>{_items(o.risks)}"
        f"<h5 style='margin:8px 0 2px'>決めていただきたいこと</h5>"
        f"<table><tr><th style='text-align:left;padding:2px 8px'>誰が</th>"
        f"<th style='text-align:left;padding:2px 8px'>何を</th></tr>{decisions}</table>"
    )
