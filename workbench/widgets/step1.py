"""Step 1 panels (都道府県下の状況把握): the classification card and the per-platform view."""

from __future__ import annotations

import html

import ipywidgets as w
import pandas as pd

from .. import reference
from ..charts import classify as cc
from ..charts import overview as overview_charts
from ..text import with_synthetic_mark
from ._common import (
    FigureSlot,
    Message,
    Session,
    StaticFallback,
    error_text,
    html_table,
    name_options,
    set_options,
    synthetic_note_html,
)


class ClassificationCard(StaticFallback, w.VBox):
    """Today's state at a glance: counts, 型, pattern, path to 型2.4, 課題リスト.

    Attributes
    ----------
    session : Session
        Observed; the card redraws when the prefecture changes.
    result : workbench.classify.Classification or None
        The last classification shown.
    card : ipywidgets.HTML
        The classification's own card (``Classification._repr_html_``). CSS hook ``wb-class-card``.
    counts : FigureSlot
        Bar chart of the counts (``wb-fig-counts``).
    municipalities : FigureSlot
        Municipalities by population coloured by the platform they use (``wb-fig-munis``).
    map : FigureSlot
        The municipalities at their location, sized by population, coloured by the platform they use
        (``wb-fig-map``; :func:`workbench.charts.map.use_map`).
    issues : ipywidgets.HTML
        The 課題リスト table (``wb-issues``).
    path : ipywidgets.HTML
        The path to 型2.4, step by step (``wb-path``).
    message : Message
        Errors from the analysis.
    """

    placeholder_ja = "全体の状況（基盤数・地図・型・課題リスト）"

    def __init__(self, session: Session, show_municipalities: bool = True, show_map: bool = True) -> None:
        self.session = session
        self.result = None
        self.card = w.HTML()
        self.card.add_class("wb-class-card")
        self.counts = FigureSlot("wb-fig-counts", session=session)
        self.municipalities = FigureSlot("wb-fig-munis", session=session)
        self.map = FigureSlot("wb-fig-map", height=560, session=session)
        self.issues = w.HTML()
        self.issues.add_class("wb-issues")
        self.path = w.HTML()
        self.path.add_class("wb-path")
        self.message = Message()
        kids: list[w.Widget] = [self.message, self.card, self.counts.widget]
        if show_map:
            kids.append(self.map.widget)
        if show_municipalities:
            kids.append(self.municipalities.widget)
        kids += [self.path, self.issues]
        super().__init__(kids)
        self.add_class("wb-classification")
        self._show_munis = show_municipalities
        self._show_map = show_map
        session.on_change(self.update)
        if session.pref is not None:
            self.update(session.pref)

    def update(self, pref) -> None:
        """Classify ``pref`` and redraw every part."""

        try:
            res = self.session.classification(pref)
        except Exception as err:
            self.message.set(error_text(err), "error")
            return
        self.message.clear()
        self.result = res
        self.card.value = _card_html(res, pref)
        self.counts.show(cc.counts_figure(res))
        if self._show_map:
            from ..charts.map import use_map

            self.session.later(lambda: self.map.show(use_map(pref)), key=(id(self), "map"))
        if self._show_munis:
            self.session.later(
                lambda: self.municipalities.show(cc.municipalities_figure(pref)), key=(id(self), "munis")
            )
        self.session.later(lambda: self._draw_tables(res), key=(id(self), "tables"), last=True)

    def _draw_tables(self, res) -> None:
        """The path and the issue list below the charts (drawn after them)."""
        self.path.value = _path_html(res)
        self.issues.value = "<h4 style='margin:8px 0 2px'>課題リスト</h4>" + html_table(res.issues_frame())


def _card_html(res, pref=None) -> str:
    rows = "".join(
        f"<tr><th style='text-align:left;padding-right:1em'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
        for k, v in res.card_rows()
    )
    return (
        "<div style='border:1px solid #ccd;border-radius:6px;padding:8px 12px'>"
        f"<h3 style='margin:4px 0'>{html.escape(with_synthetic_mark(res.card_title(), pref))}</h3>"
        f"{synthetic_note_html(pref)}<table>{rows}</table>"
        f"<p style='color:#555;font-size:90%;margin:4px 0'>{html.escape(res.current_reason)}</p></div>"
    )


def _path_html(res) -> str:
    steps = " → ".join(
        f"<b>{html.escape(s.text())}</b><span style='color:#666'>（{html.escape(s.note)}）</span>"
        for s in res.path_to_goal
    )
    return f"<h4 style='margin:8px 0 2px'>型2.4への道筋</h4><p>{steps or '—'}</p>"


class PlatformView(StaticFallback, w.VBox):
    """One platform in detail (Step 1 for each platform): overview diagram (俯瞰図), attributes, services,
    issues.

    Attributes
    ----------
    chooser : ipywidgets.Dropdown
        Which platform (CSS hook ``wb-platform-chooser``).
    overview : FigureSlot
        The 俯瞰図 sankey from ``workbench.charts.overview.overview_diagram`` (``wb-fig-overview``).
    attributes : ipywidgets.HTML
        The platform's attributes (guide 3.4) as a two-column table (``wb-attributes``).
    services : ipywidgets.HTML
        Services on the platform (``wb-services``).
    issues : ipywidgets.HTML
        The issues of this platform (``wb-platform-issues``).
    """

    placeholder_ja = "基盤ごとの俯瞰図と属性"

    def __init__(self, session: Session) -> None:
        self.session = session
        self.chooser = w.Dropdown(description="基盤", layout=w.Layout(width="420px"))
        self.chooser.add_class("wb-platform-chooser")
        self.overview = FigureSlot("wb-fig-overview", session=session)
        self.attributes = w.HTML()
        self.attributes.add_class("wb-attributes")
        self.services = w.HTML()
        self.services.add_class("wb-services")
        self.issues = w.HTML()
        self.issues.add_class("wb-platform-issues")
        self.message = Message()
        kids: list[w.Widget] = [self.chooser, self.message, self.overview.widget]
        kids += [self.attributes, self.services, self.issues]
        super().__init__(kids)
        self.add_class("wb-platform-view")
        self._quiet = False
        self.chooser.observe(lambda _c: None if self._quiet else self._draw(), names="value")
        session.on_change(self.update)
        if session.pref is not None:
            self.update(session.pref)

    def update(self, pref) -> None:
        opts = name_options([(p.name, p.id) for p in pref.platforms])
        self._quiet = True
        try:
            set_options(self.chooser, opts)
        finally:
            self._quiet = False
        self._draw()

    def _draw(self) -> None:

        pref, pid = self.session.pref, self.chooser.value
        if pref is None or pid is None:
            self.attributes.value = (
                synthetic_note_html(pref) + "<p>基盤がありません（Step 1 の基盤数 0 → Step 2 へ）</p>"
            )
            self.services.value = self.issues.value = ""
            return
        try:
            res = self.session.classification(pref)
            self.overview.show(overview_charts.overview_diagram(pref, pid))
        except Exception as err:
            self.message.set(error_text(err), "error")
            return
        self.message.clear()
        row = next(r for r in res.platforms if r["id"] == pid)
        attrs = pd.DataFrame(
            {
                "属性": [k for k in row if k != "id"],  # the platform by its name: the id is not shown
                "値": [("—" if v is None else v) for k, v in row.items() if k != "id"],
            }
        )
        self.attributes.value = (
            f"<h4 style='margin:8px 0 2px'>{with_synthetic_mark('属性（状態・性能）', pref)}</h4>"
            + synthetic_note_html(pref)
            + html_table(attrs)
        )
        svc = pd.DataFrame(
            [
                {
                    "サービス": s.name,
                    "提供者": reference.label("provider", s.provider),
                    "カテゴリ": reference.label("service_category", s.category) if s.category else "—",
                    "パーソナルデータ": "○" if s.personal_data else "—",
                }
                for s in pref.services_on(pid)
            ],
            columns=["サービス", "提供者", "カテゴリ", "パーソナルデータ"],
        )
        self.services.value = "<h4 style='margin:8px 0 2px'>サービス（詳細イメージ）</h4>" + html_table(svc)
        self.issues.value = "<h4 style='margin:8px 0 2px'>この基盤の課題</h4>" + html_table(
            res.issues_frame(platform=pid)
        )
