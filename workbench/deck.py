"""The meeting deck a 部長 decides from: one PowerPoint file (python-pptx).

Order (issue 23): 結論（要旨） → 現状 → 課題 → 選択肢と費用 → 推奨とその理由 → 費用負担 → スケジュール → 決めていただき
たいこと・次の一歩 → 出典. Each slide's title states its conclusion (「県の基盤に集約（型2.4）を推奨: 5年間で費用9,300万円
減」) in the layout's real title placeholder, so PowerPoint's outline view and screen readers read it. A slide
with nothing to show is left out; tables are laid out by the height their wrapped text needs and continue on a
next slide instead of running over the footer; charts show at most :data:`MAX_CATEGORIES` categories (the
largest and その他); the Gantt chart groups the action items by consideration (検討事項) and keeps the critical
path's items by name.

Charts are native PowerPoint charts (editable: the data sit in the embedded workbook), the map included: an XY
scatter of the municipalities (longitude, latitude; marker size by population) over the prefecture's outline.
Every slide names its sources in its notes, and the last slide lists them all. Text is set in a Japanese font
(:data:`FONT`, East Asian and Latin alike).

Every number comes from the analyses (:func:`workbench.classify.classify`, :func:`workbench.auth.match_auth`,
:mod:`workbench.cost`, :func:`workbench.options.options`, :func:`workbench.plan.action_plan`) and the view frames
of :mod:`workbench.geo`.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import reference
from .text import date_ja, era_year, money_ja, office_safe, office_text, synthetic_mark, with_synthetic_mark

FONT = "Meiryo"  # メイリオ: on every Japanese Windows; LibreOffice falls back to Noto Sans CJK JP
WIDE, HIGH = 13.333, 7.5  # inches, 16:9
BLUE, GREY, RED, GREEN, DARK = "1F77B4", "7F7F7F", "D62728", "1B7F3B", "222222"
MAN = 1e4
#: the most categories a chart shows (the largest, then その他)
MAX_CATEGORIES = 25
#: the most rows the Gantt chart shows before it groups the items by consideration
MAX_GANTT_ROWS = 22
#: the content area (inches): below the title and lead, above the footer
FOOTER_TOP = HIGH - 0.42
CONTENT_BOTTOM = FOOTER_TOP - 0.08
TITLE_LAYOUT, COVER_LAYOUT = 5, 0  # 「タイトルのみ」 and 「タイトル スライド」 of the default template


@dataclass
class DeckContent:
    """What the deck shows, computed once (tests compare the slides with these)."""

    pref: Any
    classification: Any
    use_frame: pd.DataFrame
    auth: Any
    comparison: Any = None
    fairness: Any = None
    plan: Any = None
    plan_error: str | None = None
    options: Any = None
    today: dt.date = field(default_factory=dt.date.today)
    sources: dict[str, list[str]] = field(default_factory=dict)


def content(pref: Any, *, on: dt.date | None = None, today: dt.date | None = None) -> DeckContent:
    """Run the analyses the deck shows."""
    from . import geo
    from .auth import match_auth
    from .classify import classify
    from .errors import InputError
    from .options import options

    c = DeckContent(
        pref=pref,
        classification=classify(pref),
        use_frame=geo.use_frame(pref),
        auth=match_auth(pref, on=on),
        options=options(pref, on=on),
        today=today or dt.date.today(),
    )
    if pref.costs is not None:
        from .cost import audit_rules, compare

        c.comparison = compare(pref)
        c.fairness = audit_rules(pref)
    try:
        from .plan import action_plan

        c.plan = action_plan(pref)
    except InputError as err:
        c.plan_error = str(err)
    return c


# --- text that fits -------------------------------------------------------------------------------------


def text_units(text: str) -> float:
    """The width of ``text`` in ems: a Japanese character is one em, an ASCII one about 0.6 (Noto Sans CJK JP's
    Latin letters and digits, measured on LibreOffice's rendering; Meiryo's are a little narrower)."""
    return sum(0.6 if ord(ch) < 0x2E80 else 1.0 for ch in text)


def lines_needed(
    text: str, width_in: float, size_pt: float, margin_in: float = 0.2, *, bold: bool = False
) -> int:
    """Lines ``text`` takes wrapped in a box ``width_in`` wide at ``size_pt`` (each paragraph at least one); bold
    text is set about 5 % wider, and a line is never filled to the last em (wrapping breaks before a word)."""
    per_line = max((width_in - margin_in) * 72 / size_pt / (1.05 if bold else 1.0) - 1.0, 1.0)
    return sum(max(1, math.ceil(text_units(p) / per_line)) for p in str(text).split("\n"))


#: line height as a multiple of the font size: Meiryo and its stand-in Noto Sans CJK JP set lines about 1.4–1.45
#: apart (measured on LibreOffice's rendering); rows sized at 1.2 let the third line run into the next row
LINE = 1.45


def text_height(text: str | list[str], width_in: float, size_pt: float, spacing: float = LINE) -> float:
    """Inches a text box needs (lines × line height, plus the box's margins)."""
    body = "\n".join(text) if isinstance(text, list) else text
    return lines_needed(body, width_in, size_pt) * size_pt * spacing / 72 + 0.1


def row_heights(df: pd.DataFrame, widths: list[float], size: float) -> tuple[float, list[float]]:
    """(header height, body row heights) in inches for a table with these column widths."""

    def h(cells: list[str], bold: bool = False) -> float:
        lines = max(
            lines_needed(c, w, size * (1.05 if bold else 1.0)) for c, w in zip(cells, widths, strict=True)
        )
        return lines * size * LINE / 72 + 0.12

    head = h([str(c) for c in df.columns], bold=True)
    rows = [h([_cell(v) for v in r]) for r in df.itertuples(index=False)]
    return head, rows


def paginate(df: pd.DataFrame, widths: list[float], size: float, height: float) -> list[pd.DataFrame]:
    """The table split into pages whose rows fit ``height`` inches (a header on every page)."""
    head, rows = row_heights(df, widths, size)
    pages, start, used = [], 0, head
    for i, rh in enumerate(rows):
        if used + rh > height and i > start:
            pages.append(df.iloc[start:i])
            start, used = i, head
        used += rh
    pages.append(df.iloc[start:])
    return [p for p in pages if len(p)] or [df.iloc[0:0]]


def _cell(v: Any) -> str:
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)


# --- low-level helpers ----------------------------------------------------------------------------------


def _rgb(hex_colour: str):
    from pptx.dml.color import RGBColor

    return RGBColor.from_string(hex_colour.lstrip("#").upper())


def _ea_fonts(element: Any) -> None:
    """Give every ``a:latin`` typeface an ``a:ea`` twin (Japanese glyphs use the East Asian font)."""
    from pptx.oxml.ns import qn

    for latin in list(element.iter(qn("a:latin"))):
        parent = latin.getparent()
        for old in parent.findall(qn("a:ea")):
            parent.remove(old)
        ea = parent.makeelement(qn("a:ea"), {"typeface": latin.get("typeface")})
        latin.addnext(ea)


def _font(run_font: Any, size: float | None = None, bold: bool = False, colour: str | None = None) -> None:
    from pptx.util import Pt

    run_font.name = FONT
    if size:
        run_font.size = Pt(size)
    run_font.bold = bold
    if colour:
        run_font.color.rgb = _rgb(colour)


def _text(
    slide: Any,
    x: float,
    y: float,
    w: float,
    h: float,
    lines: list[str] | str,
    *,
    size: float = 14,
    bold: bool = False,
    colour: str = DARK,
    bullet: bool = False,
) -> Any:
    from pptx.util import Inches

    box = slide.shapes.add_textbox(Inches(x), Inches(y), Inches(w), Inches(h))
    tf = box.text_frame
    tf.word_wrap = True
    for i, line in enumerate([lines] if isinstance(lines, str) else lines):
        p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        run = p.add_run()
        run.text = ("・" if bullet else "") + line
        _font(run.font, size, bold, colour)
    return box


def _table(
    slide: Any,
    df: pd.DataFrame,
    x: float,
    y: float,
    widths: list[float],
    *,
    size: float = 10,
    colours: dict[tuple[int, int], str] | None = None,
) -> tuple[Any, float]:
    """A table whose rows are as tall as their wrapped text; returns the shape and its height (inches)."""
    from pptx.util import Inches

    head, body = row_heights(df, widths, size)
    rows, cols = len(df) + 1, len(df.columns)
    height = head + sum(body)
    shape = slide.shapes.add_table(rows, cols, Inches(x), Inches(y), Inches(sum(widths)), Inches(height))
    table = shape.table
    for j, cw in enumerate(widths):
        table.columns[j].width = Inches(cw)
    table.rows[0].height = Inches(head)
    for i, rh in enumerate(body, 1):
        table.rows[i].height = Inches(rh)
    for j, col in enumerate(df.columns):
        cell = table.cell(0, j)
        cell.text = str(col)
        _font(cell.text_frame.paragraphs[0].runs[0].font, size, True, "FFFFFF")
        cell.fill.solid()
        cell.fill.fore_color.rgb = _rgb(BLUE)
    for i, row in enumerate(df.itertuples(index=False), 1):
        for j, v in enumerate(row):
            cell = table.cell(i, j)
            cell.text = _cell(v)
            colour = (colours or {}).get((i - 1, j), DARK)
            for p in cell.text_frame.paragraphs:
                for r in p.runs:
                    _font(r.font, size, False, colour)
    return shape, height


def _chart_style(chart: Any, *, legend: bool = True, size: float = 11) -> None:
    from pptx.enum.chart import XL_LEGEND_POSITION
    from pptx.util import Pt

    chart.font.name = FONT
    chart.font.size = Pt(size)
    chart.has_legend = legend
    if legend:
        chart.legend.position = XL_LEGEND_POSITION.BOTTOM
        chart.legend.include_in_layout = False


def _axis_title(axis: Any, text: str) -> None:
    axis.has_title = True
    axis.axis_title.text_frame.text = text
    for p in axis.axis_title.text_frame.paragraphs:
        for r in p.runs:
            _font(r.font, 10)


@dataclass
class Page:
    """A slide and the top of its content area (below the title and the lead)."""

    slide: Any
    top: float
    bottom: float = CONTENT_BOTTOM

    @property
    def height(self) -> float:
        return self.bottom - self.top


class _Deck:
    """Slides with the conclusion in the title placeholder, a lead, a page number, the sources in the notes."""

    def __init__(self, pref: Any) -> None:
        from pptx import Presentation
        from pptx.util import Inches

        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = Inches(WIDE), Inches(HIGH)
        self.pref = pref
        self.prs.core_properties.title = f"{pref.name} データ連携基盤の共同利用 検討資料"
        self.prs.core_properties.author = "共同利用ワークベンチ"
        self.prs.core_properties.language = "ja-JP"
        self.sources: list[str] = []

    def _notes(self, s: Any, sources: list[str]) -> None:
        from .staff import source_ja

        shown = [x for x in dict.fromkeys(source_ja(src) for src in sources) if x]
        self.sources += [x for x in shown if x not in self.sources]
        s.notes_slide.notes_text_frame.text = "出典:\n" + "\n".join(f"・{x}" for x in shown)

    def cover(self, title: str, subtitle: list[str], sources: list[str]) -> Any:
        from pptx.enum.text import PP_ALIGN
        from pptx.util import Inches, Pt

        s = self.prs.slides.add_slide(self.prs.slide_layouts[COVER_LAYOUT])
        t = s.shapes.title
        t.left, t.top, t.width, t.height = Inches(0.8), Inches(1.9), Inches(WIDE - 1.6), Inches(1.6)
        t.text_frame.text = title
        t.text_frame.word_wrap = True
        for p in t.text_frame.paragraphs:
            p.alignment = PP_ALIGN.LEFT
            for r in p.runs:
                _font(r.font, 34, True, DARK)
        sub = s.placeholders[1]
        sub.left, sub.top, sub.width, sub.height = Inches(0.8), Inches(3.7), Inches(WIDE - 1.6), Inches(1.8)
        tf = sub.text_frame
        tf.word_wrap = True
        for i, line in enumerate(subtitle):
            p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
            p.alignment = PP_ALIGN.LEFT
            p.space_before = Pt(4)
            run = p.add_run()
            run.text = line
            _font(run.font, 16 if i else 22, i == 0, BLUE if i == 0 else "444444")
        self._notes(s, sources)
        return s

    def slide(
        self, title: str, sources: list[str], lead: str | list[str] | None = None, *, warn: str | None = None
    ) -> Page:
        from pptx.enum.shapes import MSO_SHAPE
        from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
        from pptx.util import Inches

        s = self.prs.slides.add_slide(self.prs.slide_layouts[TITLE_LAYOUT])
        bar = s.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, self.prs.slide_width, Inches(0.12))
        bar.fill.solid()
        bar.fill.fore_color.rgb = _rgb(BLUE)
        bar.line.fill.background()
        title = with_synthetic_mark(title, self.pref)  # a synthetic prefecture's slides say so in every title
        size = 22 if lines_needed(title, WIDE - 0.8, 22, bold=True) <= 2 else 18
        t = s.shapes.title
        t.left, t.top, t.width = Inches(0.4), Inches(0.2), Inches(WIDE - 0.8)
        lines = lines_needed(title, WIDE - 0.8, size, bold=True)
        t.height = Inches(min(lines * size * 1.3 / 72 + 0.12, 1.1))
        tf = t.text_frame
        tf.word_wrap = True
        tf.vertical_anchor = MSO_ANCHOR.TOP
        tf.text = title
        for p in tf.paragraphs:
            p.alignment = PP_ALIGN.LEFT
            for r in p.runs:
                _font(r.font, size, True, DARK)
        y = 0.2 + t.height / 914400 + 0.05
        for text, colour in ((lead, "444444"), (warn, RED)):
            if not text:
                continue
            h = text_height(text, WIDE - 0.8, 13)
            _text(s, 0.4, y, WIDE - 0.8, h, text, size=13, colour=colour)
            y += h
        n = len(self.prs.slides)
        _text(s, WIDE - 1.4, FOOTER_TOP, 1.0, 0.3, f"{n}", size=10, colour=GREY)
        _text(
            s,
            0.4,
            FOOTER_TOP,
            8.0,
            0.3,
            f"{self.pref.name}{synthetic_mark(self.pref)}　共同利用ワークベンチ",
            size=9,
            colour=GREY,
        )
        self._notes(s, sources)
        return Page(s, y + 0.1)

    def save(self) -> bytes:
        for s in self.prs.slides:
            _ea_fonts(s._element)
            for shape in s.shapes:
                if getattr(shape, "has_chart", False) and shape.has_chart:
                    _ea_fonts(shape.chart._chartSpace)
        buf = io.BytesIO()
        from .staff import file_names, pptx_ja

        pptx_ja(self.prs, file_names(self.pref)).save(buf)
        return buf.getvalue()


# --- the slides -----------------------------------------------------------------------------------------


def _years(c: DeckContent) -> str:
    o = c.options
    return f"{o.horizon_years}年間" if o is not None and o.horizon_years else "評価期間"


def _cover(d: _Deck, c: DeckContent) -> None:
    sub = [
        "データ連携基盤の共同利用　検討資料",
        f"作成日: {date_ja(c.today)}（共同利用ワークベンチ）",
        "デジタル庁「データ連携基盤の共同利用に関するガイド」の Step 1〜3 に沿って",
    ]
    if getattr(c.pref, "synthetic", False):
        sub.append("このファイルは合成データ（実在しない基盤）です")
    d.cover(c.pref.name, sub, [reference.POPULATION_SOURCE, "your input（都道府県ファイル）"])


def conclusion_title(c: DeckContent) -> str:
    """The deck's conclusion in one line: the recommended option, its saving and the months to get there."""
    b = c.options.best
    if b.kind == "status_quo":
        return "今の形を続けることを推奨（どの選択肢も評点で現状維持を上回りません）"
    parts = [f"{b.label}を推奨"]
    if b.saving is not None:
        parts.append(f"{_years(c)}で費用{b.saving_text()}")
    if b.months:
        parts.append(f"{b.months}か月で型{b.type}へ")
    return "：".join([parts[0], "、".join(parts[1:])]) if len(parts) > 1 else parts[0]


def conclusion_lines(c: DeckContent) -> list[str]:
    """The summary's bullets: today, the recommendation and its first reasons, money, gaps, decisions."""
    r, o = c.classification, c.options
    b = o.best
    high = sum(i.severity == "high" for i in r.issues)
    out = [
        f"今: {r.current_words()}。課題 {len(r.issues)}件（重要度「高」{high}件）",
        f"推奨: {b.label}（評点 {b.score * 100:.0f}点、{len(o.options)}案中1位）",
    ]
    if b.total_cost is not None:
        money = f"費用: {_years(c)}の総額 {b.cost_text()}（県 {money_ja(b.prefecture_cost)}・市町村計 {money_ja(b.municipal_cost)}）"
        if b.kind != "status_quo":
            money += f"、現状維持より{b.saving_text()}"
        out.append(money)
    if b.auth_gaps:
        means = sorted({m for g in b.auth_gaps for m in g.means_labels})
        out.append(
            f"認証: レベルの不足 {len(b.auth_gaps)}件"
            + (f"（{'、'.join(means)}の追加で解消）" if means else "")
        )
    if b.months:
        out.append(f"到達まで: {b.months}か月（実行計画 {b.plan_items}件）")
    who: dict[str, int] = {}
    for dec in b.decisions:
        who[dec.who_label] = who.get(dec.who_label, 0) + 1
    out.append(
        f"決めていただきたいこと: {len(b.decisions)}件（"
        + "・".join(f"{k}{v}件" for k, v in who.items())
        + "）"
    )
    if o.close:
        out.append("注意: 推奨と次点は僅差です。重みの置き方で入れ替わります")
    return out


def _conclusion(d: _Deck, c: DeckContent) -> None:
    o = c.options
    page = d.slide(conclusion_title(c), [*o.sources.values()], lead="結論（要旨）")
    lines = conclusion_lines(c)
    y = page.top + 0.1
    for i, line in enumerate(lines):
        h = text_height(line, WIDE - 1.2, 17)
        _text(page.slide, 0.6, y, WIDE - 1.2, h, line, size=17, bold=i == 1, colour=DARK, bullet=True)
        y += h + 0.08
    changes = [x.text for x in o.what_changes][:2]
    if changes and y + text_height(changes, WIDE - 1.2, 12) < page.bottom:
        _text(
            page.slide,
            0.6,
            y + 0.1,
            WIDE - 1.2,
            text_height(changes, WIDE - 1.2, 12),
            changes,
            size=12,
            colour="555555",
        )


def _state(d: _Deck, c: DeckContent) -> None:
    from .staff import answer_ja

    r = c.classification
    from .classify import running

    k = len(running(c.pref))
    pattern = "" if r.pattern == "none" else f"、{r.pattern_text()}"  # no move of 8.2 left: said in the table
    title = f"今は{r.current_text}：運用中の基盤{k}件{pattern}"
    page = d.slide(
        title, ["guide 3.1 Step 1", *r.sources.values()], lead=f"現状（Step 1）。{r.current_reason}"
    )
    rows = pd.DataFrame(r.card_rows(), columns=["項目", "内容"])
    _table(page.slide, rows, 0.5, page.top, [2.2, 4.4], size=12)
    lines = [f"{st.question} → {answer_ja(st.answer)}" for st in r.flow]
    _text(
        page.slide,
        7.5,
        page.top,
        5.4,
        0.4,
        f"パターンの判定: {r.pattern_text()}",
        size=14,
        bold=True,
    )
    _text(
        page.slide,
        7.5,
        page.top + 0.5,
        5.4,
        text_height(lines or ["—"], 5.4, 11),
        lines or ["（判定の手順なし）"],
        size=11,
        bullet=True,
    )
    if r.pattern_target_assumed:
        _text(
            page.slide,
            7.5,
            page.bottom - 0.5,
            5.4,
            0.45,
            "目指す型が未設定のため、目指す姿 型2.4 を仮定",
            size=11,
            colour="8A6D00",
        )


def _map_colours(groups: list[str]) -> dict[str, str]:
    from . import geo
    from .charts.classify import NO_PLATFORM_COLOUR, PLATFORM_PALETTE

    out, k = {}, 0
    for g in groups:
        if g in (geo.NO_PLATFORM, geo.NOT_MEMBER):
            out[g] = NO_PLATFORM_COLOUR
        else:
            out[g] = PLATFORM_PALETTE[k % len(PLATFORM_PALETTE)]
            k += 1
    return out


def map_series(c: DeckContent) -> list[tuple[str, pd.DataFrame]]:
    """The map's point series: (group, frame with x, y, population, name) in legend order — the same placing
    as the dashboards' map (far islands and other prefectures' members on the edge)."""
    from . import geo
    from .charts.map import map_box, placed_frame

    df = placed_frame(c.use_frame, map_box(c.pref.code, c.use_frame))
    groups = list(dict.fromkeys(df["group"]))
    groups = [g for g in groups if g != geo.NO_PLATFORM] + [g for g in groups if g == geo.NO_PLATFORM]
    return [(g, df[df["group"] == g]) for g in groups]


def _map(d: _Deck, c: DeckContent) -> None:
    from pptx.chart.data import XyChartData
    from pptx.enum.chart import XL_CHART_TYPE, XL_MARKER_STYLE
    from pptx.util import Inches, Pt

    from . import geo
    from .charts.map import map_box

    df = c.use_frame
    using = df[df["group"] != geo.NO_PLATFORM]
    page = d.slide(
        f"{len(df)}団体のうち{len(using)}団体が運用中の基盤を利用",
        [reference.POPULATION_SOURCE, geo.GEO_SOURCE, "your input（platforms: の municipalities）"],
        lead="市区町村の地図（円の大きさは人口）",
    )
    s = page.slide
    x0, x1, y0, y1 = map_box(c.pref.code, df)
    ratio = 1 / math.cos(math.radians((y0 + y1) / 2))
    aspect = (x1 - x0) / ((y1 - y0) * ratio)
    max_w, max_h = 8.4, page.height - 0.7
    w, h = (max_w, max_w / aspect) if aspect > max_w / max_h else (max_h * aspect, max_h)
    data = XyChartData()
    ring = geo.prefecture_outline(c.pref.code)
    outline = data.add_series("県境")
    for x, y in zip(ring["lon"], ring["lat"], strict=True):
        outline.add_data_point(round(float(x), 4), round(float(y), 4))
    series = map_series(c)
    for g, part in series:
        ser = data.add_series(f"{g}（{len(part)}）")
        for r in part.itertuples(index=False):
            ser.add_data_point(float(r.x), float(r.y))
    frame = s.shapes.add_chart(
        XL_CHART_TYPE.XY_SCATTER_LINES_NO_MARKERS,
        Inches(0.4),
        Inches(page.top),
        Inches(w),
        Inches(h + 0.6),
        data,
    )
    chart = frame.chart
    _chart_style(chart, size=10)
    for ax, (lo, hi) in ((chart.category_axis, (x0, x1)), (chart.value_axis, (y0, y1))):
        ax.minimum_scale, ax.maximum_scale = lo, hi
        ax.has_major_gridlines = False
        ax.visible = False
    colours = _map_colours([g for g, _ in series])
    top = float(df.loc[~df["outside"], "population"].max() or 1)
    plot = chart.plots[0]
    first = plot.series[0]
    first.format.line.color.rgb = _rgb("8C8C8C")
    first.format.line.width = Pt(1)
    first.marker.style = XL_MARKER_STYLE.NONE
    first.smooth = False
    _map_markers(plot, series, df, len(using), colours, top)
    _map_side(page, series, using)


def _map_markers(plot: Any, series: list, df: pd.DataFrame, n_using: int, colours: dict, top: float) -> None:
    """Each municipality a circle sized by population (◆ outside the prefecture), the largest and the members
    outside named."""
    from pptx.enum.chart import XL_LABEL_POSITION, XL_MARKER_STYLE

    from . import geo

    biggest = set(df.loc[~df["outside"]].nlargest(6, "population")["code"])
    for (g, part), ser in zip(series, list(plot.series)[1:], strict=True):
        ser.format.line.fill.background()
        ser.smooth = False
        ser.marker.style = XL_MARKER_STYLE.CIRCLE
        ser.marker.format.fill.solid()
        ser.marker.format.fill.fore_color.rgb = _rgb(colours[g])
        ser.marker.format.line.color.rgb = _rgb("FFFFFF")
        for i, r in enumerate(part.itertuples(index=False)):
            pt = ser.points[i]
            pt.marker.size = max(3, min(40, round(4 + 30 * math.sqrt(r.population / top))))
            if r.outside:
                pt.marker.style = XL_MARKER_STYLE.DIAMOND
            if r.code in biggest or r.outside or (r.group != geo.NO_PLATFORM and n_using <= 12):
                dl = pt.data_label
                dl.has_text_frame = True
                dl.text_frame.text = r.name + (f"（{r.prefecture}）" if r.outside else "")
                dl.position = XL_LABEL_POSITION.RIGHT
                for p in dl.text_frame.paragraphs:
                    for run in p.runs:
                        _font(run.font, 9)


def _map_side(page: Page, series: list, using: pd.DataFrame) -> None:
    """Beside the map: the largest users' table and the notes (members drawn on the edge named)."""
    far = pd.concat([part for _g, part in series])
    far = far[far["edge"]]
    notes = ["円の大きさは人口（2020年国勢調査）", "位置は各市区町村の代表点、県境は本土側の輪郭"]
    if len(far):
        notes.append(
            "地図の外（端に表示）: " + "、".join(far["name"].head(10)) + ("ほか" if len(far) > 10 else "")
        )
    table = (
        using.sort_values("population", ascending=False)
        .head(12)
        .assign(人口=lambda t: t["population"].map(lambda v: f"{v:,}"))[["name", "人口", "group"]]
        .rename(columns={"name": "市区町村", "group": "基盤"})
    )
    notes_h = text_height(notes, 4.1, 9)
    fits = paginate(table, [1.0, 0.9, 2.2], 8, page.height - notes_h - 0.1)[0]
    if len(fits) < len(table):
        notes.insert(0, f"利用人口の多い{len(fits)}団体を表示（利用は全{len(using)}団体）")
    _, h = _table(page.slide, fits, 9.0, page.top, [1.0, 0.9, 2.2], size=8)
    _text(page.slide, 9.0, page.top + h + 0.1, 4.1, notes_h + 0.2, notes, size=9, colour="555555")


def counts_values(c: DeckContent) -> list[int]:
    """The counts chart's values in its category order."""
    k = c.classification.counts
    return [k.auth, k.non_personal, k.personal]


COUNT_CATEGORIES = ["個人認証サービス", "非パーソナル基盤", "パーソナル基盤"]


def _counts(d: _Deck, c: DeckContent) -> None:
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE
    from pptx.util import Inches

    r = c.classification
    a, n, p = counts_values(c)
    page = d.slide(
        f"運用中の基盤：個人認証サービス{a}件・非パーソナル基盤{n}件・パーソナル基盤{p}件",
        [r.sources.get("counts", "guide 3.5"), "your input（platforms:）"],
        lead="ガイドの Step 1: 非パーソナルとパーソナルは別々に数える。0 件なら Step 2 へ",
    )
    data = CategoryChartData()
    data.categories = COUNT_CATEGORIES
    data.add_series("基盤数", counts_values(c))
    chart = page.slide.shapes.add_chart(
        XL_CHART_TYPE.COLUMN_CLUSTERED, Inches(0.5), Inches(page.top), Inches(6.5), Inches(page.height), data
    ).chart
    _chart_style(chart, legend=False)
    plot = chart.plots[0]
    plot.has_data_labels = True
    plot.data_labels.number_format = '0"件"'
    plot.data_labels.number_format_is_linked = False
    for i, colour in enumerate(("9467BD", "1F77B4", "D62728")):
        pt = plot.series[0].points[i]
        pt.format.fill.solid()
        pt.format.fill.fore_color.rgb = _rgb(colour)
    chart.value_axis.major_unit = 1
    chart.value_axis.has_major_gridlines = True
    _axis_title(chart.value_axis, "件数")
    cols = ["名称", "運営", "利用団体数", "共同利用前の型", "課題数"]
    df = r.to_staff_frame()
    df = df[[k for k in cols if k in df.columns]] if len(df) else pd.DataFrame(columns=cols)
    widths = [2.3, 0.9, 0.8, 1.0, 0.7]
    pages = paginate(df, widths, 9, page.height)
    _table(page.slide, pages[0], 7.3, page.top, widths, size=9)
    if len(pages) > 1:
        _text(
            page.slide,
            7.3,
            page.bottom - 0.3,
            5.7,
            0.3,
            f"ほか {len(df) - len(pages[0])} 基盤",
            size=9,
            colour=GREY,
        )


def _issues(d: _Deck, c: DeckContent) -> None:
    r = c.classification
    df = r.issues_frame()[["重要度", "基盤", "課題", "根拠"]]  # platforms by name
    if not len(df):
        return
    high = int((df["重要度"] == "高").sum())
    widths = [0.8, 2.1, 7.2, 2.4]
    pages = paginate(df, widths, 10, CONTENT_BOTTOM - 1.75)
    shown = pages[:3]
    left = len(df) - sum(len(p) for p in shown)
    for k, part in enumerate(shown):
        suffix = f"（{k + 1}/{len(shown)}）" if len(shown) > 1 else ""
        page = d.slide(
            f"課題{len(df)}件、うち重要度「高」{high}件{suffix}",
            [r.sources.get("issues", ""), *sorted(set(part["根拠"]))],
            lead="課題リスト（Step 1）。根拠はガイド・ガイドブックの該当箇所",
        )
        colours = {(i, 0): {"高": RED, "中": "B36B00"}.get(v, GREY) for i, v in enumerate(part["重要度"])}
        _, h = _table(page.slide, part, 0.4, page.top, widths, size=10, colours=colours)
        if k == len(shown) - 1 and left > 0:
            _text(
                page.slide,
                0.4,
                min(page.top + h + 0.05, page.bottom - 0.3),
                12,
                0.3,
                f"ほか {left} 件（全件は Step 1 の課題リスト）",
                size=11,
            )


def auth_gap_rows(c: DeckContent) -> list[Any]:
    """Services shown on the authentication slide (those needing sign-in)."""
    return [s for s in c.auth.services if s.basis != "none"]


def _auth(d: _Deck, c: DeckContent) -> None:
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE, XL_TICK_LABEL_POSITION
    from pptx.util import Inches

    a = c.auth
    rows = auth_gap_rows(c)
    if not rows:  # nothing needs sign-in: no slide (said on the state slide's counts)
        return
    from .auth import required_words, verdict_words

    short = [r for r in rows if r.need_known and not r.satisfied]
    unsure = [r for r in rows if not r.need_known]  # a need not known is never 充足 (guide 4.1)
    title = (
        f"サインインが必要な{len(rows)}サービスのうち{len(short)}件で認証レベルが不足"
        if short
        else f"サインインが必要な{len(rows)}サービスはすべて必要な認証レベルを満たす"
        if not unsure
        else f"サインインが必要な{len(rows)}サービスのうち{len(unsure)}件は必要なレベルの確認が要る"
    )
    if short and unsure:
        title += f"（{len(unsure)}件は要確認）"
    page = d.slide(
        title,
        [*a.sources.values(), "data/id_means.csv（手段ごとのレベルはプロジェクトの既定の仮定）"],
        lead=f"{date_ja(a.on)}時点の本人確認手段で判定",
    )
    shown = rows[: MAX_CATEGORIES - 1]
    data = CategoryChartData()
    data.categories = [r.name for r in shown]
    data.add_series("身元確認（提供−必要）", [r.offered.proofing - r.required.proofing for r in shown])
    data.add_series(
        "当人認証（提供−必要）", [r.offered.authenticator - r.required.authenticator for r in shown]
    )
    chart = page.slide.shapes.add_chart(
        XL_CHART_TYPE.BAR_CLUSTERED, Inches(0.4), Inches(page.top), Inches(6.4), Inches(page.height), data
    ).chart
    _chart_style(chart, size=10)
    chart.category_axis.reverse_order = True
    chart.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW
    chart.value_axis.minimum_scale, chart.value_axis.maximum_scale = -3, 3
    chart.value_axis.major_unit = 1
    _axis_title(chart.value_axis, "提供レベル − 必要レベル（負は不足）")
    for ser, colour in zip(chart.plots[0].series, ("6BAED6", "FD8D3C"), strict=True):
        ser.format.fill.solid()
        ser.format.fill.fore_color.rgb = _rgb(colour)
        ser.invert_if_negative = False
    table = pd.DataFrame(
        [
            {
                "サービス": r.name,
                "必要": required_words(r),  # levels in words (guide 3.4), never 「2/0」
                "提供": r.offered.words(),
                "充足": verdict_words(r),
            }
            for r in rows
        ],
        columns=["サービス", "必要", "提供", "充足"],
    )
    widths = [1.7, 1.6, 1.6, 0.9]
    recs = a.recommendations[:3]
    recs_h = text_height([f"・{x}" for x in recs], 5.8, 9) if recs else 0.0
    part = paginate(table, widths, 9, page.height - recs_h - 0.15)[0]
    colours = {
        (i, 3): (GREEN if r.satisfied and r.need_known else RED) for i, r in enumerate(rows[: len(part)])
    }
    _, h = _table(page.slide, part, 7.1, page.top, widths, size=9, colours=colours)
    if recs:
        _text(page.slide, 7.1, page.top + h + 0.1, 5.8, recs_h, recs, size=9, colour="333333", bullet=True)


def options_table(c: DeckContent) -> pd.DataFrame:
    """The options slide's table: the comparison as staff read it (the columns a 部長 needs)."""
    df = c.options.to_staff_frame()
    keep = [k for k in df.columns if k not in ("型", "ファイルの目標")]
    out = df[keep].copy()
    out["選択肢"] = [("※" if o.is_target else "") + o.label for o in c.options.options]
    return out


def _options(d: _Deck, c: DeckContent) -> None:
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE
    from pptx.util import Inches

    o = c.options
    costs = [x.total_cost for x in o.options if x.total_cost is not None]
    if costs:
        title = f"選択肢{len(o.options)}つ：{_years(c)}の費用は{money_ja(min(costs))}〜{money_ja(max(costs))}（現在価値）"
    else:
        title = f"選択肢{len(o.options)}つ（費用の前提がないため費用は不明）"
    page = d.slide(
        title,
        [o.sources["options"], o.sources["costs"], *(r.source for x in o.options for r in x.cost_basis)],
        lead=f"今の状態（{o.starting_point}）から選べる姿（ガイド 3.2）。※はファイルの目指す型。推計はガイド 2.5 の調査結果からの範囲",
    )
    df = options_table(c)
    widths = [2.7, 1.75, 1.0, 1.0, 1.55, 1.0, 0.8, 0.9, 0.6, 0.6, 0.6]
    widths = widths[: len(df.columns)]
    scale = (WIDE - 0.8) / sum(widths)
    widths = [w * scale for w in widths]
    colours = {(i, len(df.columns) - 1): GREEN for i, x in enumerate(o.options) if x.recommended}
    _, h = _table(page.slide, df, 0.4, page.top, widths, size=10, colours=colours)
    chart_top = page.top + h + 0.2
    chart_h = min(page.bottom - chart_top, 0.9 + 0.5 * len(costs))
    if not costs or chart_h < 1.5:
        return
    data = CategoryChartData(number_format="#,##0.00")
    shown = [x for x in o.options if x.total_cost is not None]
    data.categories = [x.label for x in shown]
    data.add_series("県", [(x.prefecture_cost or 0) / 1e8 for x in shown])
    data.add_series("市町村", [(x.municipal_cost or 0) / 1e8 for x in shown])
    chart = page.slide.shapes.add_chart(
        XL_CHART_TYPE.BAR_STACKED,
        Inches(0.4),
        Inches(chart_top),
        Inches(WIDE - 0.8),
        Inches(chart_h),
        data,
    ).chart
    _chart_style(chart, size=10)
    chart.category_axis.reverse_order = True
    chart.value_axis.tick_labels.number_format = '#,##0.0"億円"'
    chart.value_axis.tick_labels.number_format_is_linked = False
    chart.value_axis.minimum_scale = 0
    for ser, colour in zip(chart.plots[0].series, ("2CA02C", "1F77B4"), strict=True):
        ser.format.fill.solid()
        ser.format.fill.fore_color.rgb = _rgb(colour)
    chart.plots[0].gap_width = 50


def _recommendation(d: _Deck, c: DeckContent) -> None:
    from .staff import source_ja

    o = c.options
    b = o.best
    runner = sorted((x for x in o.options if not x.recommended), key=lambda x: x.rank)
    title = f"{b.label}を推奨（評点{b.score * 100:.0f}点" + (
        f"、次点 {runner[0].label} {runner[0].score * 100:.0f}点）" if runner else "）"
    )
    page = d.slide(
        title,
        [*(r.source for r in b.reasons), *(r.source for r in o.what_changes), o.sources["criteria"]],
        lead=o.summary,
    )
    y = page.top
    _text(page.slide, 0.5, y, 12.3, 0.35, "推奨の理由", size=14, bold=True)
    y += 0.4
    for r in b.reasons:
        text = f"・{r.text}"
        src = f"（{source_ja(r.source)}" + (f"「{r.quote}」" if r.quote else "") + "）"
        h = text_height(text + src, 12.3, 12)
        box = _text(page.slide, 0.5, y, 12.3, h, text, size=12)
        run = box.text_frame.paragraphs[0].add_run()
        run.text = src
        _font(run.font, 10, False, "666666")
        y += h
    lines = [x.text for x in o.what_changes] + [o.weights_text()]
    h = text_height([f"・{x}" for x in lines], 12.3, 11)
    if y + 0.5 + h <= page.bottom:
        _text(page.slide, 0.5, y + 0.1, 12.3, 0.35, "推奨が変わる条件と基準の重み", size=14, bold=True)
        _text(page.slide, 0.5, y + 0.5, 12.3, h, lines, size=11, colour="333333", bullet=True)


def _path(d: _Deck, c: DeckContent) -> None:
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.util import Inches

    r = c.classification
    steps = r.path_to_goal or []
    if not steps:
        return
    title = (
        " → ".join(st.text() for st in steps)
        + " の順に進める"
        + ("" if r.pattern == "none" else f"（{r.pattern_text()}）")
    )
    page = d.slide(
        title,
        [r.sources.get("pattern", ""), r.sources.get("after", ""), "guide 1.1（目指す姿）"],
        lead=f"型2.4への道筋。{r.pattern_text()}",
    )
    n = len(steps)
    w = min(3.0, (WIDE - 1.0) / n)
    top = page.top + 0.2
    note_h = max(text_height(st.note, w - 0.1, 11) for st in steps)
    for i, st in enumerate(steps):
        shape = page.slide.shapes.add_shape(
            MSO_SHAPE.CHEVRON if i else MSO_SHAPE.PENTAGON,
            Inches(0.5 + i * w),
            Inches(top),
            Inches(w - 0.05),
            Inches(1.1),
        )
        shape.fill.solid()
        shape.fill.fore_color.rgb = _rgb(BLUE if st.type != "2.4" else GREEN)
        shape.line.fill.background()
        tf = shape.text_frame
        tf.text = f"型{st.type}"
        _font(tf.paragraphs[0].runs[0].font, 20, True, "FFFFFF")
        _text(page.slide, 0.5 + i * w, top + 1.2, w - 0.1, note_h, st.note, size=11, colour="333333")
    items = r.work_items_frame()
    y = top + 1.3 + note_h + 0.2
    if len(items) and y + 1.0 < page.bottom:
        _text(
            page.slide,
            0.5,
            y,
            12.3,
            0.4,
            f"このパターンの取組事項（{len(items)} 件、Step 3 の実行計画に展開）",
            size=12,
            bold=True,
        )
        body = "、".join(items["取組事項"].head(8)) + ("ほか" if len(items) > 8 else "")
        _text(
            page.slide,
            0.5,
            y + 0.4,
            12.3,
            min(text_height(body, 12.3, 11), page.bottom - y - 0.45),
            body,
            size=11,
        )


def _top_categories(
    names: list[str], series: dict[str, list[float]], key: list[float]
) -> tuple[list[str], dict[str, list[float]]]:
    """At most :data:`MAX_CATEGORIES` categories: the largest by ``key``, then その他 as the average of the rest."""
    if len(names) <= MAX_CATEGORIES:
        return names, series
    order = sorted(range(len(names)), key=lambda i: -key[i])
    keep, rest = order[: MAX_CATEGORIES - 1], order[MAX_CATEGORIES - 1 :]
    out_names = [names[i] for i in keep] + [f"その他{len(rest)}団体（平均）"]
    out = {k: [v[i] for i in keep] + [sum(v[i] for i in rest) / len(rest)] for k, v in series.items()}
    return out_names, out


def cost_series(c: DeckContent) -> dict[str, list[float]]:
    """The cost chart's series (万円, present value): each rule's shares and the stand-alone costs."""
    comp = c.comparison
    first = next(iter(comp.allocations.values()))
    out = {a.rule_label: [m.share / MAN for m in a.members] for a in comp.allocations.values()}
    out["単独の費用"] = [m.standalone / MAN for m in first.members]
    return out


def cost_categories(c: DeckContent) -> tuple[list[str], dict[str, list[float]]]:
    """The cost chart as drawn: every member, or the :data:`MAX_CATEGORIES` − 1 largest by the vision's rule's
    share and その他 (the average of the rest)."""
    comp = c.comparison
    first = next(iter(comp.allocations.values()))
    series = cost_series(c)
    rule = c.options.rule_label if c.options is not None else None
    key = series.get(rule or "", next(iter(series.values())))
    return _top_categories([m.name for m in first.members], series, key)


def _cost(d: _Deck, c: DeckContent) -> None:
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE
    from pptx.util import Inches

    if c.comparison is None:
        return
    comp = c.comparison
    first = next(iter(comp.allocations.values()))
    chosen = next((a for a in comp.allocations.values() if a.rule_label == c.options.rule_label), first)
    srcs = [src for a in comp.allocations.values() for src in a.sources] + ["your input（costs:）"]
    summary = comp.summary()
    over = [r for r, ok in zip(summary["配分ルール"], summary["個別合理性"], strict=True) if not ok]
    munis = sum(m.share for m in chosen.members)
    title = f"{chosen.rule_label}では県{money_ja(chosen.prefecture)}・市町村計{money_ja(munis)}"
    title += (
        "、どのルールでも単独より高い団体なし" if not over else f"、{len(over)}ルールで単独より高い団体あり"
    )
    page = d.slide(
        title,
        srcs,
        lead=f"費用負担（配分ルール別、現在価値）。共同利用の費用 {money_ja(chosen.total)}（{chosen.scheme_label}）、"
        f"{chosen.horizon_years}年・割引率 {chosen.discount_rate:.0%}",
    )
    names, series = cost_categories(c)
    data = CategoryChartData(number_format="#,##0")
    data.categories = names
    for name, values in series.items():
        data.add_series(name, values)
    chart = page.slide.shapes.add_chart(
        XL_CHART_TYPE.COLUMN_CLUSTERED, Inches(0.4), Inches(page.top), Inches(8.6), Inches(page.height), data
    ).chart
    _chart_style(chart, size=9 if len(names) > 12 else 10)
    _axis_title(chart.value_axis, "負担額（万円）")
    chart.value_axis.tick_labels.number_format = "#,##0"
    chart.value_axis.tick_labels.number_format_is_linked = False
    plot = chart.plots[0]
    plot.gap_width = 60
    last = plot.series[len(plot.series) - 1]
    last.format.fill.solid()
    last.format.fill.fore_color.rgb = _rgb("404040")
    table = pd.DataFrame(
        {
            "配分ルール": summary["配分ルール"],
            "市区町村計": summary["市区町村の負担合計（円）"].map(money_ja),
            "単独より高い団体": ["なし" if ok else "あり" for ok in summary["個別合理性"]],
        }
    )
    colours = {(i, 2): (GREEN if ok else RED) for i, ok in enumerate(summary["個別合理性"])}
    _, h = _table(page.slide, table, 9.2, page.top, [1.5, 1.2, 1.1], size=9, colours=colours)
    notes = []
    if len(names) < len(first.members):
        notes.append(
            f"負担の大きい{len(names) - 1}団体と、その他{len(first.members) - len(names) + 1}団体の平均を表示"
        )
    if comp.skipped:
        from .staff import problem_text

        labels = reference.table("cost_rules.csv").set_index("code")["label_ja"]
        notes += [f"{labels.get(k, k)}: {problem_text(v)}" for k, v in comp.skipped.items()][:3]
    if notes:
        nh = text_height(notes, 3.8, 8)
        _text(page.slide, 9.2, min(page.top + h + 0.1, page.bottom - nh), 3.8, nh, notes, size=8, colour=GREY)


def _flag(v: bool | None) -> str:
    return "—" if v is None else ("○" if v else "×")


def fairness_frame(c: DeckContent) -> pd.DataFrame:
    """The fairness slide's table: one row per rule with ○/×/— flags."""
    df = c.fairness.to_staff_frame()
    return pd.DataFrame(
        {
            "配分ルール": df["配分ルール"],
            "個別合理性": df["個別合理性"].map(_flag),
            "コア": df["コア"].map(_flag),
            "単調性": df["単調性"].map(_flag),
            "所見": df["所見"],
        }
    )


def _fairness(d: _Deck, c: DeckContent) -> None:
    if c.fairness is None:
        return
    df = fairness_frame(c)
    ok = int((df["個別合理性"] == "○").sum())
    srcs = [src for a in c.fairness.audits.values() for src in getattr(a, "sources", [])] or [
        "ガイド 2.8「公平なコスト負担の方法」"
    ]
    legend = "個別合理性: 全団体が単独より安い ／ コア: 離脱した方が安い団体の組合せがない ／ 単調性: 参加が増えても既存団体の負担が増えない"
    widths = [2.3, 1.1, 0.8, 0.9, 7.4]
    lead_h = text_height(c.fairness.summary, WIDE - 0.8, 13)
    avail = CONTENT_BOTTOM - (1.15 + lead_h) - text_height(legend, 12.5, 10) - 0.1
    pages = paginate(df, widths, 10, avail)
    for k, part in enumerate(pages):
        suffix = f"（{k + 1}/{len(pages)}）" if len(pages) > 1 else ""
        head = (
            f"{len(df)}つの配分ルールすべてで" if ok == len(df) else f"{len(df)}つの配分ルールのうち{ok}つで"
        )
        page = d.slide(f"{head}全団体が単独より安い{suffix}", srcs, lead=c.fairness.summary)
        colours = {}
        for i, row in enumerate(part.itertuples(index=False)):
            for j in (1, 2, 3):
                colours[(i, j)] = {"○": GREEN, "×": RED}.get(row[j], GREY)
        _, h = _table(page.slide, part, 0.4, page.top, widths, size=10, colours=colours)
        _text(
            page.slide,
            0.4,
            page.top + h + 0.1,
            12.5,
            text_height(legend, 12.5, 10),
            legend,
            size=10,
            colour="555555",
        )


def schedule_series(c: DeckContent) -> tuple[list[str], list[int], list[int]]:
    """The Gantt chart's categories, start months and durations (months): every item in plan order when they
    are few; else one row per consideration (検討事項: its items' span) and the critical path's items by name,
    in order of start."""
    items = c.plan.items
    if len(items) <= MAX_GANTT_ROWS:
        return [i.title for i in items], [i.start_month for i in items], [i.duration for i in items]
    rows: list[tuple[int, str, int, int]] = []
    groups: dict[str, list[Any]] = {}
    for i in items:
        groups.setdefault(i.consideration_label or "運営組織の設置と共同利用の開始", []).append(i)
    for label, members in groups.items():
        s0 = min(m.start_month for m in members)
        e0 = max(m.end_month for m in members)
        rows.append((s0, f"{label}（{len(members)}件）", s0, max(e0 - s0, 0)))
    for i in items:
        if i.critical:
            rows.append((i.start_month, f"★{i.title}", i.start_month, i.duration))
    rows.sort(key=lambda r: (r[0], not r[1].startswith("★")))
    return [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows]


def _month_ja(d0: dt.date) -> str:
    return f"{era_year(d0.year, d0.month, 1)}{d0.month}月"


def _schedule(d: _Deck, c: DeckContent) -> None:
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE
    from pptx.util import Inches

    if c.plan is None:
        page = d.slide("実行計画を作れませんでした", ["guide 3.1 Step 3"], lead="スケジュール（Step 3）")
        _text(page.slide, 0.5, page.top, 12, 2, f"理由: {c.plan_error}", size=14, colour=RED)
        return
    p = c.plan
    target = c.options.best.type if c.options is not None else "2.4"
    start = _month_ja(p.start) if p.start else None
    title = (
        f"{start}から{p.months}か月で型{target}へ（取組{len(p.items)}件）"
        if start
        else f"開始から{p.months}か月で型{target}へ（取組{len(p.items)}件）"
    )
    warn = None
    if p.start is None:
        warn = "計画の開始月が未設定です。月数は計画の開始からの経過月で示しています"
    elif p.start < c.today.replace(day=1):
        warn = f"開始月（{start}）が作成日（{date_ja(c.today)}）より前です。開始月を見直してください"
    cats, starts, durations = schedule_series(c)
    grouped = len(cats) != len(p.items)
    lead = f"実行計画のスケジュール（Step 3）。赤はクリティカルパス。運営組織: {p.organisation_label}"
    if grouped:
        lead += "。取組は検討事項ごとにまとめ、★はクリティカルパスの取組"
    page = d.slide(title, ["guide 3.1 Step 3", *p.sources.values()], lead=lead, warn=warn)
    data = CategoryChartData()
    data.categories = cats
    data.add_series("開始まで（月）", starts)
    data.add_series("期間（月）", durations)
    chart = page.slide.shapes.add_chart(
        XL_CHART_TYPE.BAR_STACKED, Inches(0.3), Inches(page.top), Inches(12.7), Inches(page.height), data
    ).chart
    _chart_style(chart, legend=False, size=9 if len(cats) <= 22 else 8)
    chart.category_axis.reverse_order = True
    chart.value_axis.minimum_scale = 0
    chart.value_axis.maximum_scale = max(p.months, 1)
    chart.value_axis.major_unit = 3 if p.months > 12 else 1
    chart.value_axis.has_major_gridlines = True
    _axis_title(chart.value_axis, "開始からの月数")
    plot = chart.plots[0]
    plot.gap_width = 40
    lead_in, bars = plot.series[0], plot.series[1]
    lead_in.format.fill.background()
    lead_in.format.line.fill.background()
    bars.format.fill.solid()
    bars.format.fill.fore_color.rgb = _rgb(BLUE)
    critical = [cat.startswith("★") for cat in cats] if grouped else [i.critical for i in p.items]
    for i, crit in enumerate(critical):
        if crit:
            pt = bars.points[i]
            pt.format.fill.solid()
            pt.format.fill.fore_color.rgb = _rgb(RED)


def decisions_frame(c: DeckContent) -> pd.DataFrame:
    """The decisions the recommended option needs, with who takes them."""
    from .staff import source_ja

    b = c.options.best
    return pd.DataFrame(
        [
            {"誰が": x.who_label, "決めていただきたいこと": x.text, "根拠": source_ja(x.source)}
            for x in b.decisions
        ],
        columns=["誰が", "決めていただきたいこと", "根拠"],
    )


def next_steps(c: DeckContent, n: int = 5) -> list[str]:
    """The first action items of the plan (those that start first, the critical path before the rest)."""
    if c.plan is None:
        return []
    items = sorted(c.plan.items, key=lambda i: (i.start_month, not i.critical))[:n]
    out = []
    for i in items:
        when = _month_ja(i.start_date) if i.start_date else f"{i.start_month + 1}か月目"
        out.append(f"{i.title}（{i.owner_label}、{when}から{i.duration}か月）" + ("★" if i.critical else ""))
    return out


def _decisions(d: _Deck, c: DeckContent) -> None:
    b = c.options.best
    df = decisions_frame(c)
    steps = next_steps(c)
    page = d.slide(
        f"決めていただきたいこと{len(df)}件と次の一歩",
        [x.source for x in b.decisions] + (list(c.plan.sources.values()) if c.plan else []),
        lead=f"推奨する{b.label}に進むために",
    )
    widths = [1.6, 8.0, 2.9]
    steps_h = text_height([f"・{s}" for s in steps], 12.3, 12) + 0.45 if steps else 0.0
    part = paginate(df, widths, 11, page.height - steps_h)[0]
    _, h = _table(page.slide, part, 0.4, page.top, widths, size=11)
    if steps:
        y = page.top + h + 0.15
        _text(
            page.slide,
            0.5,
            y,
            12.3,
            0.35,
            "次の一歩（実行計画で最初に始める取組。★はクリティカルパス）",
            size=13,
            bold=True,
        )
        _text(page.slide, 0.5, y + 0.4, 12.3, steps_h - 0.45, steps, size=12, bullet=True)


SOURCE_GROUPS = (
    ("デジタル庁のガイド", ("ガイド ",)),
    ("ガイドブック第3.0版", ("ガイドブック",)),
    (
        "法令・統計・地図・文献",
        (
            *(
                "出典",
                "位置",
                "令和2年国勢調査",
                "犯罪収益移転防止法",
                "データモデル実践ガイドライン",
                "一部事務組合",
            ),
            *(
                "北海道",
                "Shapley",
                "Schmeidler",
                "Young",
                "Gillies",
                "Maschler",
                "Littlechild",
                "Federal",
                "TVA",
            ),
        ),
    ),
    ("都道府県ファイルの入力値", ("入力値", "都道府県ファイル")),
    ("本ツールの読み・既定値", ("本ツール", "期間・依存", "最早開始", "課題リスト")),
)


def _split_sources(text: str) -> list[str]:
    """「ガイド 4.1；3.4」 split at each 「；」 outside brackets."""
    out, depth, cur = [], 0, ""
    for ch in text:
        depth += ch in "（(「" and 1 or 0
        depth -= ch in "）)」" and 1 or 0
        if ch == "；" and depth <= 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    return [*out, cur]


def source_list(sources: list[str]) -> list[tuple[str, list[str]]]:
    """The deck's sources one by one (each slide's list split at 「；」), grouped: the guide, the guidebook,
    statistics and literature, the file's input, the tool's own readings; each group sorted, no repeats."""
    items: list[str] = []
    for src in sources:
        prefix = ""
        for part in _split_sources(str(src)):
            part = part.strip(" ・")
            if part[:1].isdigit() and prefix:  # 「ガイド 4.1；3.4」: the second is ガイド 3.4
                part = prefix + part
            head = re.match(r"(ガイドブック第3\.0版 |ガイドブック |ガイド )", part)
            prefix = head.group(1) if head else ""
            if part and part not in items:
                items.append(part)
    groups: dict[str, list[str]] = {name: [] for name, _ in SOURCE_GROUPS}
    groups["その他"] = []
    for it in items:
        name = next((n for n, heads in SOURCE_GROUPS if it.startswith(heads)), "その他")
        groups[name].append(it)
    return [
        (k, _by_section(v) if k.startswith(("デジタル庁", "ガイドブック")) else sorted(v))
        for k, v in groups.items()
        if v
    ]


_SECTION = re.compile(
    r"^(ガイドブック第3\.0版|ガイドブック|ガイド)\s*(?:第3\.0版\s*)?(\d+(?:\.\d+)?)\s*(.*)$"
)


def _by_section(items: list[str]) -> list[str]:
    """One line per section of the guide or the guidebook, what the deck cites of it after the number:
    「ガイド 3.4 住民向け規約／基盤間連携（認証連携）」."""
    sections: dict[tuple[str, str], list[str]] = {}
    rest = []
    for it in items:
        m = _SECTION.match(it)
        if not m:
            rest.append(it)
            continue
        book = "ガイドブック第3.0版" if m.group(1).startswith("ガイドブック") else "ガイド"
        detail = m.group(3).strip()
        if detail.startswith("（") and detail.endswith("）") and detail.count("（") == 1:
            detail = detail[1:-1]
        details = sections.setdefault((book, m.group(2)), [])
        if detail and detail not in details:
            details.append(detail)

    def key(k: tuple[str, str]) -> tuple[int, ...]:
        return tuple(int(x) for x in k[1].split("."))

    out = [
        f"{b} {n}" + (f" {'／'.join(d)}" if d else "")
        for (b, n), d in sorted(sections.items(), key=lambda kv: key(kv[0]))
    ]
    return out + sorted(rest)


def _sources(d: _Deck, c: DeckContent) -> None:
    groups = source_list([*d.sources, reference.POPULATION_SOURCE])
    n = sum(len(v) + 1 for _, v in groups)
    page = d.slide(
        "出典",
        [reference.POPULATION_SOURCE],
        lead="この資料の数字と判定の根拠（各スライドのノートにも記載）",
    )
    size = 10 if n <= 44 else 8 if n <= 70 else 7
    cols = 2 if n <= 70 else 3
    width = (WIDE - 0.8) / cols - 0.2
    per_col = math.ceil(n / cols)
    lines: list[tuple[str, bool]] = []
    for head, items in groups:
        lines.append((head, True))
        lines += [(f"・{x}", False) for x in items]
    for k in range(cols):
        part = lines[k * per_col : (k + 1) * per_col]
        if not part:
            continue
        box = _text(
            page.slide,
            0.4 + k * (width + 0.2),
            page.top,
            width,
            page.height,
            part[0][0],
            size=size,
            bold=part[0][1],
            colour="333333",
        )
        tf = box.text_frame
        for text, head in part[1:]:
            p = tf.add_paragraph()
            run = p.add_run()
            run.text = text
            _font(run.font, size, head, BLUE if head else "333333")


def build(pref: Any, *, on: dt.date | None = None, today: dt.date | None = None) -> tuple[Any, DeckContent]:
    """The deck as a python-pptx ``Presentation`` and the content it shows."""
    pref = office_safe(pref)  # no text can make python-pptx fail (U+FFFF, control characters …)
    c = content(pref, on=on, today=today)
    d = _Deck(pref)
    _cover(d, c)
    _conclusion(d, c)  # 結論（要旨）
    _state(d, c)  # 現状
    _map(d, c)
    _counts(d, c)
    _issues(d, c)  # 課題
    _auth(d, c)
    _options(d, c)  # 選択肢と費用
    _recommendation(d, c)  # 推奨とその理由
    _path(d, c)
    _cost(d, c)  # 費用負担
    _fairness(d, c)
    _schedule(d, c)  # スケジュール
    _decisions(d, c)  # 決めていただきたいこと・次の一歩
    _sources(d, c)  # 出典
    return d, c


def deck_bytes(pref: Any, *, on: dt.date | None = None, today: dt.date | None = None) -> bytes:
    """The deck as the bytes of a .pptx file (nothing written to disk: dashboards offer it as a download)."""
    d, _ = build(pref, on=on, today=today)
    return d.save()


def write_deck(
    pref: Any, out: str | os.PathLike[str], *, on: dt.date | None = None, today: dt.date | None = None
) -> Path:
    """Write the deck to ``out`` atomically (temporary file in the same folder, then rename)."""
    from .files import atomic_write

    path = Path(out)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, deck_bytes(pref, on=on, today=today), backup=False)
    return path


def deck_filename(pref: Any, when: dt.date | None = None) -> str:
    """The download name: ``07_福島県_共同利用_検討資料_2026-12-01.pptx``."""
    return (
        f"{pref.code}_{office_text(pref.name)}_共同利用_検討資料_{(when or dt.date.today()).isoformat()}.pptx"
    )
