"""The データの流れ panel: the データマップ's flow diagram, the field × field matrix of realised and candidate
links, standard-model coverage, the interoperability layers and the 公開API一覧. Every number comes from
:func:`workbench.datamap.datamap`; figures from :mod:`workbench.charts.datamap`; shown through
:class:`~workbench.widgets._common.FigureSlot` (never Output capture)."""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w

from ..text import synthetic_mark
from ._common import (
    FigureSlot,
    Message,
    Session,
    StaticFallback,
    error_text,
    html_table,
    name_options,
    set_options,
)

ALL = "__all__"


class DataFlowPanel(StaticFallback, w.VBox):
    """The data map of the session's prefecture.

    Attributes
    ----------
    session : Session
        Observed; redraws on change.
    platform : ipywidgets.Dropdown
        Limits the flow diagram to one platform (``wb-datamap-platform``).
    card : ipywidgets.HTML
        Counts, KPIs (``wb-datamap-card``).
    flow, matrix, coverage : FigureSlot
        ``wb-fig-datamap-flow``, ``wb-fig-datamap-matrix``, ``wb-fig-datamap-coverage``.
    cross, candidates, findings, layers, apis, notes : ipywidgets.HTML
        Tables: cross-field flows, candidates (guidebook 11.3), the data map's issues, layers/stages/phase per
        platform, the 公開API一覧, and the readings and gaps (``wb-datamap-…``).
    result : workbench.datamap.DataMapResult or None
    """

    placeholder_ja = "データの流れ"

    def __init__(self, session: Session) -> None:
        self.session = session
        self.result = None
        self.platform = w.Dropdown(options=[("すべての基盤", ALL)], value=ALL, description="基盤")
        self.platform.add_class("wb-datamap-platform")
        self.card = w.HTML()
        self.card.add_class("wb-datamap-card")
        self.flow = FigureSlot("wb-fig-datamap-flow", height=420, session=session)
        self.matrix = FigureSlot("wb-fig-datamap-matrix", session=session)
        self.coverage = FigureSlot("wb-fig-datamap-coverage", session=session)
        self.cross = w.HTML()
        self.cross.add_class("wb-datamap-cross")
        self.candidates = w.HTML()
        self.candidates.add_class("wb-datamap-candidates")
        self.findings = w.HTML()
        self.findings.add_class("wb-datamap-findings")
        self.layers = w.HTML()
        self.layers.add_class("wb-datamap-layers")
        self.apis = w.HTML()
        self.apis.add_class("wb-datamap-apis")
        self.notes = w.HTML()
        self.notes.add_class("wb-datamap-notes")
        self.message = Message()
        super().__init__(
            [
                self.message,
                self.card,
                self.platform,
                self.flow.widget,
                self.matrix.widget,
                self.cross,
                self.candidates,
                self.findings,
                self.coverage.widget,
                self.layers,
                self.apis,
                self.notes,
            ]
        )
        self.add_class("wb-datamap")
        self.platform.observe(lambda _c: self._draw_flow(), names="value")
        session.on_change(self.update)
        if session.pref is not None:
            self.update(session.pref)

    def update(self, pref: Any = None) -> None:
        """Analyse the data map and redraw: the flow diagram first, the rest a moment later under Voila."""
        from ..datamap import datamap

        pref = self.session.pref if pref is None else pref
        if pref is None:
            return
        try:
            res = datamap(pref)
        except Exception as err:
            self.message.set(error_text(err), "error")
            return
        self.message.clear()
        self.result = res
        set_options(
            self.platform, [("すべての基盤", ALL), *name_options([(p.name, p.id) for p in pref.platforms])]
        )
        self.card.value = _card_html(res, synthetic_mark(self.session.pref))
        self._draw_flow()
        self.session.later(self._draw_rest, key=(id(self), "rest"))

    def _draw_flow(self) -> None:
        from ..charts import datamap as charts

        if self.result is None:
            return
        pid = None if self.platform.value in (ALL, None) else self.platform.value
        self.flow.show(charts.flow_figure(self.result, pid))

    def _draw_rest(self) -> None:
        from ..charts import datamap as charts

        res = self.result
        if res is None:
            return
        self.matrix.show(charts.field_matrix_figure(res))
        self.session.later(
            lambda: self.coverage.show(charts.coverage_figure(res)), key=(id(self), "coverage")
        )
        self.session.later(lambda: self._draw_tables(res), key=(id(self), "tables"), last=True)

    def _draw_tables(self, res: Any) -> None:
        """The tables below the charts (drawn after them)."""
        self.cross.value = _h("分野をまたぐデータの流れ") + html_table(res.cross_frame())
        self.candidates.value = (
            _h("分野横断の連携候補（ガイドブック 11.3 の組合せ）")
            + html_table(res.candidates_frame(), max_rows=50)
            + _h("新たな連携シナリオの候補（提供先がまだない外部提供可能データ）")
            + html_table(res.opportunities_frame(), max_rows=50)
            + _h("不足しているデータ")
            + html_table(res.missing_frame(), max_rows=50)
        )
        self.findings.value = _h("データマップの課題") + html_table(res.findings_frame())
        self.layers.value = (
            _h("相互運用性の3つの層（ガイドブック 10.1）")
            + html_table(res.interop_frame())
            + _h("活用の段階（ガイドブック 11.3・12章）")
            + html_table(res.stages_frame())
            + _h("規格移行のフェーズ（ガイドブック 10.4、目安）")
            + html_table(res.migration_frame())
            + _h("KPI（ガイドブック 8.3 ほか）")
            + html_table(res.kpis_frame())
        )
        self.apis.value = _h("公開API一覧（ガイド 4.3）") + html_table(res.apis_frame())
        self.notes.value = _notes_html(res)


def _h(text: str) -> str:
    return f"<h4 style='margin:10px 0 2px'>{html.escape(text)}</h4>"


def _card_html(res: Any, mark: str = "") -> str:
    rows = "".join(
        f"<tr><th style='text-align:left;padding-right:1em'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
        for k, v in res.card_rows()
    )
    return (
        "<div style='border:1px solid #ccd;border-radius:6px;padding:8px 12px'>"
        f"<h3 style='margin:4px 0'>{html.escape(res.card_title() + mark)}</h3><table>{rows}</table></div>"
    )


def _notes_html(res: Any) -> str:
    parts = []
    for title, items in (
        ("入力の注意", res.warnings),
        ("事実（出典あり）", res.facts),
        ("仮定（説明のため）", res.assumptions),
        ("資料が決めていない点とワークベンチの読み方", res.readings),
        ("資料にない点", res.gaps),
    ):
        if items:
            parts.append(
                _h(title)
                + "<ul style='font-size:90%;color:#444'>"
                + "".join(f"<li>{html.escape(x)}</li>" for x in items)
                + "</ul>"
            )
    return "".join(parts)
