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
    Memo,
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
        self._key: Any = None  # the content the result was computed for (Session.key)
        self._memo = Memo(8, shared="data map")  # content -> (result, card, tables)
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
        """Analyse the data map and redraw: the flow diagram first, the rest a moment later under Voila. The
        analysis, its card and tables and each figure are kept per prefecture content (:meth:`Session.key`):
        switching back to a prefecture shown before only sends them again."""
        from ..datamap import datamap

        pref = self.session.pref if pref is None else pref
        if pref is None:
            return
        key = self.session.key() if pref is self.session.pref else ("pref", id(pref))
        try:
            res, card = self._memo.get(
                ("result", key), lambda: (lambda r: (r, _card_html(r, synthetic_mark(pref))))(datamap(pref))
            )
        except Exception as err:
            self.message.set(error_text(err), "error")
            return
        self.message.clear()
        self.result, self._key = res, key
        set_options(
            self.platform, [("すべての基盤", ALL), *name_options([(p.name, p.id) for p in pref.platforms])]
        )
        self.card.value = card
        self._draw_flow()
        self.session.later(self._draw_rest, key=(id(self), "rest"))

    def _draw_flow(self) -> None:
        from ..charts import datamap as charts

        if self.result is None:
            return
        pid = None if self.platform.value in (ALL, None) else self.platform.value
        res = self.result
        self.flow.show_for((self._key, pid), lambda: charts.flow_figure(res, pid))

    def _draw_rest(self) -> None:
        from ..charts import datamap as charts

        res, key = self.result, self._key
        if res is None:
            return
        self.matrix.show_for(key, lambda: charts.field_matrix_figure(res))
        self.session.later(
            lambda: self.coverage.show_for(key, lambda: charts.coverage_figure(res)),
            key=(id(self), "coverage"),
        )
        self.session.later(lambda: self._draw_tables(res, key), key=(id(self), "tables"), last=True)

    def _draw_tables(self, res: Any, key: Any = None) -> None:
        """The tables below the charts (drawn after them; made once per prefecture content ``key``). A table
        whose HTML is the one shown already is not sent again."""
        tables = self._memo.get(("tables", key), lambda: _tables(res)) if key is not None else _tables(res)
        for widget, value in zip(
            (self.cross, self.candidates, self.findings, self.layers, self.apis, self.notes),
            tables,
            strict=True,
        ):
            if widget.value != value:
                widget.value = value


def _tables(res: Any) -> tuple[str, ...]:
    """The HTML of the tables below the charts: cross-field flows, candidates, issues, layers, APIs, notes."""
    return (
        _h("分野をまたぐデータの流れ") + html_table(res.cross_frame()),
        (
            _h("分野横断の連携候補（ガイドブック 11.3 の組合せ）")
            + html_table(res.candidates_frame(), max_rows=50)
            + _h("新たな連携シナリオの候補（提供先がまだない外部提供可能データ）")
            + html_table(res.opportunities_frame(), max_rows=50)
            + _h("不足しているデータ")
            + html_table(res.missing_frame(), max_rows=50)
        ),
        _h("データマップの課題") + html_table(res.findings_frame()),
        (
            _h("相互運用性の3つの層（ガイドブック 10.1）")
            + html_table(res.interop_frame())
            + _h("活用の段階（ガイドブック 11.3・12章）")
            + html_table(res.stages_frame())
            + _h("規格移行のフェーズ（ガイドブック 10.4、目安）")
            + html_table(res.migration_frame())
            + _h("KPI（ガイドブック 8.3 ほか）")
            + html_table(res.kpis_frame())
        ),
        _h("公開API一覧（ガイド 4.3）") + html_table(res.apis_frame()),
        _notes_html(res),
    )


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
