"""The meeting deck: one PowerPoint file (python-pptx) with the prefecture's state, map, issues, path to 型2.4,
cost comparison with the fairness audit, authentication gaps and the Step 3 schedule.

Charts are native PowerPoint charts (editable and restylable in PowerPoint: the data sit in the embedded
workbook), the map included: an XY scatter of the municipalities (longitude, latitude; marker size by
population) over the prefecture's outline. Every slide names its sources in its notes. Text is set in a
Japanese font (:data:`FONT`, East Asian and Latin alike).

Every number comes from the analyses (:func:`workbench.classify.classify`, :func:`workbench.auth.match_auth`,
:mod:`workbench.cost`, :func:`workbench.plan.action_plan`) and the view frames of :mod:`workbench.geo`.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import reference
from .text import date_ja, money_ja

FONT = "Meiryo"  # メイリオ: on every Japanese Windows; LibreOffice falls back to Noto Sans CJK JP
WIDE, HIGH = 13.333, 7.5  # inches, 16:9
BLUE, GREY, RED, GREEN, DARK = "1F77B4", "7F7F7F", "D62728", "1B7F3B", "222222"
MAN = 1e4
ISSUES_PER_SLIDE = 8


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
    sources: dict[str, list[str]] = field(default_factory=dict)


def content(pref: Any, *, on: dt.date | None = None) -> DeckContent:
    """Run the analyses the deck shows."""
    from . import geo
    from .auth import match_auth
    from .classify import classify
    from .errors import InputError

    c = DeckContent(
        pref=pref, classification=classify(pref), use_frame=geo.use_frame(pref), auth=match_auth(pref, on=on)
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
    w: float,
    widths: list[float] | None = None,
    *,
    size: float = 10,
    row_h: float = 0.3,
    colours: dict[tuple[int, int], str] | None = None,
) -> Any:
    from pptx.util import Inches

    rows, cols = len(df) + 1, len(df.columns)
    shape = slide.shapes.add_table(rows, cols, Inches(x), Inches(y), Inches(w), Inches(row_h * rows))
    table = shape.table
    if widths:
        for j, cw in enumerate(widths):
            table.columns[j].width = Inches(cw)
    for j, col in enumerate(df.columns):
        cell = table.cell(0, j)
        cell.text = str(col)
        _font(cell.text_frame.paragraphs[0].runs[0].font, size, True, "FFFFFF")
        cell.fill.solid()
        cell.fill.fore_color.rgb = _rgb(BLUE)
    for i, row in enumerate(df.itertuples(index=False), 1):
        for j, v in enumerate(row):
            cell = table.cell(i, j)
            cell.text = "—" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
            colour = (colours or {}).get((i - 1, j), DARK)
            for p in cell.text_frame.paragraphs:
                for r in p.runs:
                    _font(r.font, size, False, colour)
    return shape


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


class _Deck:
    """Slides with a title bar, a page number and the sources in the notes."""

    def __init__(self, pref: Any) -> None:
        from pptx import Presentation
        from pptx.util import Inches

        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = Inches(WIDE), Inches(HIGH)
        self.pref = pref
        self.blank = self.prs.slide_layouts[6]
        self.prs.core_properties.title = f"{pref.name} データ連携基盤の共同利用 検討資料"
        self.prs.core_properties.author = "共同利用ワークベンチ"
        self.prs.core_properties.language = "ja-JP"

    def slide(self, title: str, sources: list[str], lead: str | None = None) -> Any:
        from pptx.enum.shapes import MSO_SHAPE
        from pptx.util import Inches

        s = self.prs.slides.add_slide(self.blank)
        bar = s.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, self.prs.slide_width, Inches(0.12))
        bar.fill.solid()
        bar.fill.fore_color.rgb = _rgb(BLUE)
        bar.line.fill.background()
        if title:
            _text(s, 0.4, 0.2, WIDE - 0.8, 0.7, title, size=24, bold=True)
        if lead:
            _text(s, 0.4, 0.85, WIDE - 0.8, 0.5, lead, size=13, colour="444444")
        n = len(self.prs.slides)
        if title:  # no page number or footer on the title slide
            _text(s, WIDE - 1.4, HIGH - 0.45, 1.0, 0.3, f"{n}", size=10, colour=GREY)
            _text(
                s, 0.4, HIGH - 0.45, 8.0, 0.3, f"{self.pref.name}　共同利用ワークベンチ", size=9, colour=GREY
            )
        notes = s.notes_slide.notes_text_frame
        from .staff import source_ja

        notes.text = "出典:\n" + "\n".join(
            f"・{x}" for x in dict.fromkeys(source_ja(s) for s in sources) if x
        )
        return s

    def save(self) -> bytes:
        for s in self.prs.slides:
            _ea_fonts(s._element)
            for shape in s.shapes:
                if getattr(shape, "has_chart", False) and shape.has_chart:
                    _ea_fonts(shape.chart._chartSpace)
        buf = io.BytesIO()
        from .staff import pptx_ja

        pptx_ja(self.prs).save(buf)
        return buf.getvalue()


# --- the slides -----------------------------------------------------------------------------------------


def _title(d: _Deck, c: DeckContent, when: dt.date) -> None:
    s = d.slide("", [reference.POPULATION_SOURCE, "your input（都道府県ファイル）"])
    _text(s, 0.8, 2.2, WIDE - 1.6, 1.2, f"{c.pref.name}", size=40, bold=True)
    _text(s, 0.8, 3.3, WIDE - 1.6, 0.8, "データ連携基盤の共同利用　検討資料", size=28, colour=BLUE)
    sub = [
        f"作成日: {date_ja(when)}（共同利用ワークベンチ）",
        "デジタル庁「データ連携基盤の共同利用に関するガイド」の Step 1〜3 に沿って",
    ]
    if getattr(c.pref, "synthetic", False):
        sub.append("このファイルは合成データ（実在しない基盤）です")
    _text(s, 0.8, 4.3, WIDE - 1.6, 1.2, sub, size=14, colour="444444")


def _state(d: _Deck, c: DeckContent) -> None:
    r = c.classification
    s = d.slide(
        "今の型とパターン（Step 1）",
        ["guide 3.1 Step 1", *r.sources.values()],
        lead=r.current_reason,
    )
    rows = pd.DataFrame(r.card_rows(), columns=["項目", "内容"])
    _table(s, rows, 0.5, 1.5, 6.6, [2.2, 4.4], size=12, row_h=0.42)
    from .staff import answer_ja

    lines = [f"{st.question} → {answer_ja(st.answer)}" for st in r.flow]
    _text(s, 7.5, 1.5, 5.4, 0.4, f"パターンの判定: {r.pattern_text()}", size=14, bold=True)
    _text(s, 7.5, 2.0, 5.4, 4.5, lines or ["（判定の手順なし）"], size=11, bullet=True)
    if r.pattern_target_assumed:
        _text(
            s,
            7.5,
            6.3,
            5.4,
            0.5,
            "目標（target）が未設定のため、目指す姿 型2.4 を仮定",
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
    s = d.slide(
        "市区町村の地図：利用する基盤",
        [reference.POPULATION_SOURCE, geo.GEO_SOURCE, "your input（platforms: の municipalities）"],
        lead=f"{len(using)}/{len(df)} 団体が運用中の基盤を利用（円の大きさは人口）",
    )
    x0, x1, y0, y1 = map_box(c.pref.code, df)
    ratio = 1 / math.cos(math.radians((y0 + y1) / 2))
    aspect = (x1 - x0) / ((y1 - y0) * ratio)
    max_w, max_h = 8.4, 4.8
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
        XL_CHART_TYPE.XY_SCATTER_LINES_NO_MARKERS, Inches(0.4), Inches(1.4), Inches(w), Inches(h + 0.6), data
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
    _map_side(s, series, using)


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


def _map_side(s: Any, series: list, using: pd.DataFrame) -> None:
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
    _table(s, table, 9.0, 1.5, 4.1, [1.0, 0.9, 2.2], size=8, row_h=0.26)
    _text(s, 9.0, 6.2, 4.1, 0.8, notes, size=9, colour="555555")


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
    s = d.slide(
        "基盤の数（運用中）",
        [r.sources.get("counts", "guide 3.5"), "your input（platforms:）"],
        lead="ガイドの Step 1: 非パーソナルとパーソナルは別々に数える。0 件なら Step 2 へ",
    )
    data = CategoryChartData()
    data.categories = COUNT_CATEGORIES
    data.add_series("基盤数", counts_values(c))
    chart = s.shapes.add_chart(
        XL_CHART_TYPE.COLUMN_CLUSTERED, Inches(0.5), Inches(1.5), Inches(6.5), Inches(5.0), data
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
    _table(s, df.head(10), 7.3, 1.5, 5.7, [2.3, 0.9, 0.8, 1.0, 0.7], size=9, row_h=0.4)


def _issues(d: _Deck, c: DeckContent) -> None:
    r = c.classification
    df = r.issues_frame()[["重要度", "基盤", "課題", "根拠"]]  # platforms by name
    pages = max(1, math.ceil(len(df) / ISSUES_PER_SLIDE))
    pages = min(pages, 3)
    for k in range(pages):
        part = df.iloc[k * ISSUES_PER_SLIDE : (k + 1) * ISSUES_PER_SLIDE]
        suffix = f"（{k + 1}/{pages}）" if pages > 1 else ""
        s = d.slide(
            f"課題リスト{suffix}",
            [r.sources.get("issues", ""), *sorted(set(part["根拠"]))],
            lead=f"{len(df)} 件（重要度 高 {int((df['重要度'] == '高').sum())} 件）。根拠はガイド・ガイドブックの該当箇所",
        )
        colours = {(i, 0): {"高": RED, "中": "B36B00"}.get(v, GREY) for i, v in enumerate(part["重要度"])}
        _table(s, part, 0.4, 1.45, 12.5, [0.8, 1.8, 7.4, 2.5], size=10, row_h=0.55, colours=colours)
        if k == pages - 1 and len(df) > pages * ISSUES_PER_SLIDE:
            _text(
                s,
                0.4,
                6.6,
                12,
                0.4,
                f"ほか {len(df) - pages * ISSUES_PER_SLIDE} 件（全件は Step 1 の課題リスト CSV）",
                size=11,
            )


def _path(d: _Deck, c: DeckContent) -> None:
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.util import Inches

    r = c.classification
    s = d.slide(
        "型2.4への道筋",
        [r.sources.get("pattern", ""), r.sources.get("after", ""), "guide 1.1（目指す姿）"],
        lead=f"現在 {r.current_text}（{r.current_label}）→ {r.pattern_text()}",
    )
    steps = r.path_to_goal or []
    n = max(len(steps), 1)
    w = min(3.0, (WIDE - 1.0) / n)
    for i, st in enumerate(steps):
        shape = s.shapes.add_shape(
            MSO_SHAPE.CHEVRON if i else MSO_SHAPE.PENTAGON,
            Inches(0.5 + i * w),
            Inches(2.0),
            Inches(w - 0.05),
            Inches(1.1),
        )
        shape.fill.solid()
        shape.fill.fore_color.rgb = _rgb(BLUE if st.type != "2.4" else GREEN)
        shape.line.fill.background()
        tf = shape.text_frame
        tf.text = f"型{st.type}"
        _font(tf.paragraphs[0].runs[0].font, 20, True, "FFFFFF")
        _text(s, 0.5 + i * w, 3.25, w - 0.1, 2.5, st.note, size=11, colour="333333")
    if not steps:
        _text(s, 0.5, 2.0, 12, 1, "道筋なし（すでに型2.4、または判定できません）", size=16)
    items = c.classification.work_items_frame()
    if len(items):
        _text(
            s,
            0.5,
            5.2,
            12.3,
            0.4,
            f"このパターンの取組事項（{len(items)} 件、Step 3 の実行計画に展開）",
            size=12,
            bold=True,
        )
        _text(
            s,
            0.5,
            5.6,
            12.3,
            1.2,
            "、".join(items["取組事項"].head(8)) + ("ほか" if len(items) > 8 else ""),
            size=11,
        )


def cost_series(c: DeckContent) -> dict[str, list[float]]:
    """The cost chart's series (万円, present value): each rule's shares and the stand-alone costs."""
    comp = c.comparison
    first = next(iter(comp.allocations.values()))
    out = {a.rule_label: [m.share / MAN for m in a.members] for a in comp.allocations.values()}
    out["単独の費用"] = [m.standalone / MAN for m in first.members]
    return out


def _cost(d: _Deck, c: DeckContent) -> None:
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE
    from pptx.util import Inches

    if c.comparison is None:
        s = d.slide("費用負担の比較", ["your input（costs:）"])
        _text(s, 0.5, 1.6, 12, 1, "この都道府県ファイルには費用シナリオ（costs:）がありません。", size=16)
        return
    comp = c.comparison
    first = next(iter(comp.allocations.values()))
    srcs = [src for a in comp.allocations.values() for src in a.sources] + ["your input（costs:）"]
    total = first.total
    s = d.slide(
        "費用負担の比較（配分ルール別、現在価値）",
        srcs,
        lead=f"共同利用の費用 {money_ja(total)}、うち県 {money_ja(first.prefecture)}（{first.scheme_label}）。"
        f"{first.horizon_years}年・割引率 {first.discount_rate:.0%}",
    )
    data = CategoryChartData(number_format="#,##0")
    data.categories = [m.name for m in first.members]
    for name, values in cost_series(c).items():
        data.add_series(name, values)
    chart = s.shapes.add_chart(
        XL_CHART_TYPE.COLUMN_CLUSTERED, Inches(0.4), Inches(1.4), Inches(8.6), Inches(5.5), data
    ).chart
    _chart_style(chart, size=10)
    _axis_title(chart.value_axis, "負担額（万円）")
    chart.value_axis.tick_labels.number_format = "#,##0"
    chart.value_axis.tick_labels.number_format_is_linked = False
    plot = chart.plots[0]
    plot.gap_width = 60
    last = plot.series[len(plot.series) - 1]
    last.format.fill.solid()
    last.format.fill.fore_color.rgb = _rgb("404040")
    summary = comp.summary()
    table = pd.DataFrame(
        {
            "配分ルール": summary["配分ルール"],
            "市区町村計": summary["市区町村の負担合計（円）"].map(money_ja),
            "単独より高い団体": ["なし" if ok else "あり" for ok in summary["個別合理性"]],
        }
    )
    colours = {(i, 2): (GREEN if ok else RED) for i, ok in enumerate(summary["個別合理性"])}
    _table(s, table, 9.2, 1.5, 3.8, [1.5, 1.2, 1.1], size=9, row_h=0.3, colours=colours)
    if comp.skipped:
        from .staff import problem_text

        labels = reference.table("cost_rules.csv").set_index("code")["label_ja"]
        skipped = [f"{labels.get(k, k)}: {problem_text(v)}" for k, v in comp.skipped.items()][:3]
        _text(s, 9.2, 6.0, 3.8, 0.8, skipped, size=8, colour=GREY)


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
    srcs = [src for a in c.fairness.audits.values() for src in getattr(a, "sources", [])] or [
        "ガイド 2.8「公平なコスト負担の方法」"
    ]
    s = d.slide("公平性の監査（配分ルール別）", srcs, lead=c.fairness.summary)
    df = fairness_frame(c)
    colours = {}
    for i, row in enumerate(df.itertuples(index=False)):
        for j in (1, 2, 3):
            colours[(i, j)] = {"○": GREEN, "×": RED}.get(row[j], GREY)
    _table(s, df, 0.4, 1.6, 12.5, [2.3, 1.1, 0.8, 0.9, 7.4], size=10, row_h=0.5, colours=colours)
    _text(
        s,
        0.4,
        6.5,
        12.5,
        0.5,
        "個別合理性: 全団体が単独より安い ／ コア: 離脱した方が安い団体の組合せがない ／ 単調性: 参加が増えても既存団体の負担が増えない",
        size=10,
        colour="555555",
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
    short = [r for r in rows if not r.satisfied]
    s = d.slide(
        f"認証レベルの不足（{date_ja(a.on)}時点）",
        [*a.sources.values(), "data/id_means.csv（手段ごとのレベルはプロジェクトの既定の仮定）"],
        lead=f"サインインが必要なサービス {len(rows)} 件のうち、レベルが足りないもの {len(short)} 件",
    )
    if rows:
        data = CategoryChartData()
        data.categories = [r.name for r in rows]
        data.add_series("身元確認（提供−必要）", [r.offered.proofing - r.required.proofing for r in rows])
        data.add_series(
            "当人認証（提供−必要）", [r.offered.authenticator - r.required.authenticator for r in rows]
        )
        chart = s.shapes.add_chart(
            XL_CHART_TYPE.BAR_CLUSTERED, Inches(0.4), Inches(1.4), Inches(6.4), Inches(5.4), data
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
    from .auth import required_words, verdict_words

    table = pd.DataFrame(  # levels in words (guide 3.4), never 「2/0」; a need not known is never 充足
        [
            {
                "サービス": r.name,
                "必要": required_words(r),
                "提供": r.offered.words(),
                "充足": verdict_words(r),
            }
            for r in rows
        ],
        columns=["サービス", "必要", "提供", "充足"],
    )
    colours = {(i, 3): (GREEN if r.satisfied and r.need_known else RED) for i, r in enumerate(rows)}
    _table(s, table.head(12), 7.1, 1.5, 5.8, [1.7, 1.6, 1.6, 0.9], size=8, row_h=0.4, colours=colours)
    recs = a.recommendations[:3]
    if recs:
        _text(s, 7.1, 5.6, 5.8, 1.3, recs, size=9, colour="333333", bullet=True)


def schedule_series(c: DeckContent) -> tuple[list[str], list[int], list[int]]:
    """The Gantt chart's categories, start months and durations (months), in plan order."""
    items = c.plan.items
    return [i.title for i in items], [i.start_month for i in items], [i.duration for i in items]


def _schedule(d: _Deck, c: DeckContent) -> None:
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE
    from pptx.util import Inches

    if c.plan is None:
        s = d.slide("実行計画（Step 3）", ["guide 3.1 Step 3"])
        _text(s, 0.5, 1.6, 12, 2, f"実行計画を作れませんでした: {c.plan_error}", size=14, colour=RED)
        return
    p = c.plan
    start = p.start.strftime("%Y年%m月") if p.start else "開始月未設定"
    s = d.slide(
        "実行計画のスケジュール（Step 3）",
        ["guide 3.1 Step 3", *p.sources.values()],
        lead=f"{start}から {p.months} か月、取組事項 {len(p.items)} 件（赤はクリティカルパス）。運営組織: {p.organisation_label}",
    )
    cats, starts, durations = schedule_series(c)
    data = CategoryChartData()
    data.categories = cats
    data.add_series("開始まで（月）", starts)
    data.add_series("期間（月）", durations)
    chart = s.shapes.add_chart(
        XL_CHART_TYPE.BAR_STACKED, Inches(0.3), Inches(1.35), Inches(12.7), Inches(5.75), data
    ).chart
    _chart_style(chart, legend=False, size=9)
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
    for i, item in enumerate(p.items):
        if item.critical:
            pt = bars.points[i]
            pt.format.fill.solid()
            pt.format.fill.fore_color.rgb = _rgb(RED)


def build(pref: Any, *, on: dt.date | None = None, today: dt.date | None = None) -> tuple[Any, DeckContent]:
    """The deck as a python-pptx ``Presentation`` and the content it shows."""
    c = content(pref, on=on)
    d = _Deck(pref)
    _title(d, c, today or dt.date.today())
    _state(d, c)
    _map(d, c)
    _counts(d, c)
    _issues(d, c)
    _path(d, c)
    _cost(d, c)
    _fairness(d, c)
    _auth(d, c)
    _schedule(d, c)
    return d, c


def deck_bytes(pref: Any, *, on: dt.date | None = None) -> bytes:
    """The deck as the bytes of a .pptx file (nothing written to disk: dashboards offer it as a download)."""
    d, _ = build(pref, on=on)
    return d.save()


def write_deck(pref: Any, out: str | os.PathLike[str], *, on: dt.date | None = None) -> Path:
    """Write the deck to ``out`` atomically (temporary file in the same folder, then rename)."""
    from .files import atomic_write

    path = Path(out)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, deck_bytes(pref, on=on), backup=False)
    return path


def deck_filename(pref: Any, when: dt.date | None = None) -> str:
    """The download name: ``07_福島県_共同利用_検討資料_2026-12-01.pptx``."""
    return f"{pref.code}_{pref.name}_共同利用_検討資料_{(when or dt.date.today()).isoformat()}.pptx"
