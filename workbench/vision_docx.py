"""The Step 2 共同利用ビジョン as a Word document (python-docx): headings, paragraphs and real Word tables (the
KPI table included), in Word's built-in styles, so staff can edit it into their own document.

Same content and order as the HTML and Markdown exports of :mod:`workbench.report_vision` (from
:func:`workbench.plan.vision`, :func:`workbench.plan.action_plan` and :func:`workbench.overview.overview`); the
figures are given as their tables. Each section ends with its sources.
"""

from __future__ import annotations

import io
import math
import os
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from .classify import pattern_text
from .text import money_ja, office_safe, synthetic_note, with_synthetic_mark

FONT = "Meiryo"  # メイリオ; Word substitutes 游ゴシック/MS ゴシック where it is missing


def _fonts(doc: Any) -> None:
    """Japanese font for the body, headings and tables (East Asian and Latin)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    for name in (
        "Normal",
        "Title",
        "Heading 1",
        "Heading 2",
        "Heading 3",
        "Table Grid",
        "List Bullet",
        "Caption",
    ):
        try:
            style = doc.styles[name]
        except KeyError:  # pragma: no cover - every default template has these
            continue
        style.font.name = FONT
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:  # pragma: no cover - font.name creates it
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(fonts)
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(attr), FONT)
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attr), None)
    doc.styles["Normal"].font.size = Pt(10.5)


def _cell(v: Any, column: str = "") -> str:
    """A table cell as staff read it: nothing for a missing value, numbers with separators and whole numbers
    without 「.0」 (「1」, 「12,000」; a year stays 「2028」), ○/— for yes/no (:func:`workbench.staff.cell_ja`)."""
    from .staff import column_cell

    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return ""
    if isinstance(v, str):
        return v
    return column_cell(str(column), v)


def _table(
    doc: Any, df: pd.DataFrame, widths_mm: list[float] | None = None, size: float | None = None
) -> Any:
    """A Word table (style Table Grid) with a bold header row that repeats on every printed page, rows that do
    not break across pages; an empty frame gives 「（なし）」. ``widths_mm``: column widths."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    if df is None or df.empty:
        return doc.add_paragraph("（なし）")
    table = doc.add_table(rows=1, cols=len(df.columns))
    table.style = "Table Grid"
    head = table.rows[0]
    trpr = head._tr.get_or_add_trPr()
    flag = OxmlElement("w:tblHeader")  # 「タイトル行の繰り返し」
    flag.set(qn("w:val"), "true")
    trpr.append(flag)
    for cell, col in zip(head.cells, df.columns, strict=True):
        cell.text = str(col)
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in df.itertuples(index=False):
        r = table.add_row()
        no_split = OxmlElement("w:cantSplit")
        no_split.set(qn("w:val"), "true")
        r._tr.get_or_add_trPr().append(no_split)
        for cell, v, col in zip(r.cells, row, df.columns, strict=True):
            cell.text = _cell(v, col)
    _shape(table, widths_mm, size)
    return table


def _shape(table: Any, widths_mm: list[float] | None, size: float | None) -> None:
    """Column widths (the table grid and every cell, which Word and LibreOffice each read) and a font size."""
    from docx.shared import Mm, Pt

    if widths_mm:
        table.autofit = False
        for j, w in enumerate(widths_mm):
            table.columns[j].width = Mm(w)
            for cell in table.columns[j].cells:
                cell.width = Mm(w)
    if size:
        for r in table.rows:
            for cell in r.cells:
                for par in cell.paragraphs:
                    for run in par.runs:
                        run.font.size = Pt(size)


def _heading(doc: Any, text: str, level: int) -> Any:
    """A heading kept with what follows (never stranded at a page foot)."""
    h = doc.add_heading(text, level=level)
    h.paragraph_format.keep_with_next = True
    return h


def _page_numbers(section: Any, title: str) -> None:
    """「3 / 12」 centred in the footer and the document's title in the header (PAGE and NUMPAGES fields)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    def field(par: Any, code: str) -> None:
        for kind, text in (("begin", None), (None, code), ("separate", None), (None, "1"), ("end", None)):
            run = par.add_run()
            if kind:
                el = OxmlElement("w:fldChar")
                el.set(qn("w:fldCharType"), kind)
                run._r.append(el)
            elif text == code:
                el = OxmlElement("w:instrText")
                el.set(qn("xml:space"), "preserve")
                el.text = f" {code} "
                run._r.append(el)
            else:
                run.text = text
            run.font.size = Pt(9)

    section.footer.is_linked_to_previous = False
    foot = section.footer.paragraphs[0]
    foot.text = ""
    foot.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field(foot, "PAGE")
    foot.add_run(" / ").font.size = Pt(9)
    field(foot, "NUMPAGES")
    section.header.is_linked_to_previous = False
    head = section.header.paragraphs[0]
    head.text = title
    head.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for run in head.runs:
        run.font.size = Pt(8)


def _source(doc: Any, text: str) -> None:
    from docx.shared import Pt, RGBColor

    p = doc.add_paragraph()
    from .staff import source_ja

    run = p.add_run(f"出典: {source_ja(text)}")
    run.font.size = Pt(8.5)
    run.font.color.rgb = RGBColor(0x66, 0x66, 0x66)


def _bullets(doc: Any, lines: list[str]) -> None:
    for line in lines:
        doc.add_paragraph(line, style="List Bullet")


def _landscape(doc: Any) -> Any:
    """A new section on A4 landscape (the wide tables), with the same header and footer."""
    from docx.enum.section import WD_ORIENT, WD_SECTION
    from docx.shared import Mm

    sec = doc.add_section(WD_SECTION.NEW_PAGE)
    sec.orientation = WD_ORIENT.LANDSCAPE
    sec.page_width, sec.page_height = Mm(297), Mm(210)
    for side in ("left_margin", "right_margin"):
        setattr(sec, side, Mm(15))
    return sec


def vision_document(pref: Any) -> Any:
    """The vision as a python-docx ``Document``."""
    from docx import Document
    from docx.shared import Mm

    from .classify import running
    from .overview import overview
    from .report_vision import vision_sections

    pref = office_safe(pref)  # no text can make python-docx fail (U+FFFF, control characters …)
    v, ap, err = vision_sections(pref)
    t, org, cost = v.target, v.organisation, v.cost
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)  # A4
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Mm(20))
    _fonts(doc)
    title = with_synthetic_mark(
        f"{v.prefecture.name} 共同利用ビジョン", pref
    )  # 「（合成データ）」 when synthetic
    doc.core_properties.title = title
    doc.core_properties.author = "共同利用ワークベンチ"
    doc.core_properties.language = "ja-JP"
    doc.add_heading(title, level=0)  # the title
    from .text import date_ja

    doc.add_paragraph(f"作成日: {date_ja(date.today())}（共同利用ワークベンチ、ガイド 3.1 Step 2）")
    note = synthetic_note(pref)
    if note:
        doc.add_paragraph(note)
    if v.statement:
        _heading(doc, "ビジョン", 1)
        doc.add_paragraph(v.statement)
    if v.warnings:
        _heading(doc, "未決事項", 1)
        _bullets(doc, v.warnings)

    _heading(doc, "1. 共同利用の目的", 1)
    _table(doc, v.purposes_frame())
    _source(doc, v.sources["purposes"])
    _heading(doc, "参考: 共同利用で直面した課題", 2)
    _table(doc, v.challenges_frame())
    _source(doc, v.sources["challenges"])

    _heading(doc, "2. 目指す共同利用の型", 1)
    _bullets(
        doc,
        [
            f"現状: {t.situation}（運用中の基盤 {t.running_platforms} 件、{t.current_words()}）",
            f"方向性（ガイド 3.2）: {t.direction}",
            "目指す型: "
            + (f"型{t.chosen_type} {t.chosen_label}" if t.chosen_type else "未設定（目指す姿 型2.4 を想定）"),
            f"推奨する道筋: {' → '.join('型' + x for x in t.recommended_path)}（{t.route_label}）",
            f"パターン: {pattern_text(v.pattern, v.pattern_label)}",
            *t.reasons,
        ],
    )
    _source(doc, f"{t.source}; {v.sources['pattern']}")

    _options(doc, pref)

    _heading(doc, "4. 運営組織", 1)
    doc.add_paragraph(org.reason)
    if org.chosen_label:
        doc.add_paragraph(f"選択: {org.chosen_label}")
    _bullets(doc, list(org.warnings))
    _table(doc, v.organisation_frame(), [24, 26, 44, 28, 28, 10, 10])
    _source(doc, org.source)

    _heading(doc, "5. 費用負担", 1)
    _bullets(
        doc,
        [
            f"按分ルール: {cost.rule_label or '未設定'}"
            + (f"（{cost.rule_description}）" if cost.rule_description else ""),
            f"県負担の方式: {cost.scheme_label or '未設定'}"
            + (f"（{cost.scheme_description}）" if cost.scheme_description else ""),
            cost.note,
        ],
    )
    if cost.shares:
        doc.add_paragraph(
            f"総額（現在価値）: {money_ja(cost.total or 0)}、うち県 {money_ja(cost.prefecture or 0)}"
        )
        _table(doc, _money_columns(v.shares_frame()))
    _source(doc, f"{cost.source}; 入力値（costs:）")

    _heading(doc, "6. KPI", 1)
    _table(doc, v.kpis_frame(), [16, 30, 13, 13, 11, 22, 35, 30])
    _source(doc, v.sources["kpis"])

    _heading(doc, "7. 基盤の俯瞰図（Step 1）", 1)
    ps = running(pref)
    if not ps:
        doc.add_paragraph("運用中の基盤はありません。")
    for p in ps:
        d = overview(pref, p.id)
        _heading(doc, p.name, 2)
        _table(doc, d.to_staff_frame())
        _bullets(doc, list(d.notes))
        _source(doc, "; ".join(d.sources.values()))

    _plan(doc, ap, err)
    for sec in doc.sections:
        _page_numbers(sec, title)
    return doc


#: the plan's columns in the landscape section (mm, 267 mm between the margins)
PLAN_WIDTHS = [14, 108, 28, 64, 14, 25, 14]


def _plan(doc: Any, ap: Any, err: str | None) -> None:
    """8. 実行計画 on A4 landscape: 番号・取組事項・担当・期間・月数・前提の取組・クリティカルパス."""
    _landscape(doc)
    _heading(doc, "8. 実行計画（Step 3）", 1)
    if ap is None:
        doc.add_paragraph(f"実行計画を作れませんでした: {err}")
        return
    _bullets(doc, [f"{k}: {val}" for k, val in ap.card_rows()])
    _table(doc, ap.staff_frame(), PLAN_WIDTHS, size=9)
    doc.add_paragraph("番号は検討事項（ガイド 3.3 の (1)〜(5)）ごとの通し番号。★はクリティカルパスの取組。")
    _source(doc, "; ".join(ap.sources.values()))


def _options(doc: Any, pref: Any) -> None:
    """3. 目指す型の選択肢と推奨 (workbench.options): the comparison, the reasons, what changes it, the
    decisions needed."""
    from .options import options

    o = options(pref)
    _heading(doc, "3. 目指す型の選択肢と推奨", 1)
    p = doc.add_paragraph()
    p.add_run(o.summary).bold = True
    doc.add_paragraph(f"出発点（ガイド 3.2）: {o.starting_point} → {o.direction}")
    n = len(o.options)
    _table(doc, o.columns_frame(), [34] + [136 / n] * n, size=9)
    _source(doc, f"{o.sources['options']}; {o.sources['costs']}")
    _heading(doc, "推奨の理由", 2)
    _bullets(
        doc,
        [r.text + (f"（{r.source}「{r.quote}」）" if r.quote else f"（{r.source}）") for r in o.best.reasons],
    )
    _heading(doc, "推奨が変わる条件と基準の重み", 2)
    _bullets(doc, o.changes_lines())
    _heading(doc, "決めていただきたいこと", 2)
    _table(doc, o.decisions_frame(), [30, 100, 40], size=9)
    _source(doc, f"{o.sources['criteria']}; {o.sources['risks']}")


def _money_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Yen columns (names ending in 円）) shown as 万円/億円 text."""
    out = df.copy()
    for col in out.columns:
        if str(col).endswith("（円）"):
            out[col] = out[col].map(lambda x: "" if x is None or pd.isna(x) else money_ja(float(x)))
            out = out.rename(columns={col: str(col).replace("（円）", "")})
    return out


def vision_docx_bytes(pref: Any) -> bytes:
    from .staff import docx_ja, file_names

    buf = io.BytesIO()
    docx_ja(vision_document(pref), file_names(pref)).save(buf)
    return buf.getvalue()


def write_vision_docx(pref: Any, out: str | os.PathLike[str]) -> Path:
    """Write the vision as .docx to ``out`` atomically."""
    from .files import atomic_write

    path = Path(out)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, vision_docx_bytes(pref), backup=False)
    return path
