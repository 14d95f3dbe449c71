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
from .text import money_ja

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


def _cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v)


def _table(doc: Any, df: pd.DataFrame) -> Any:
    """A Word table (style Table Grid) with a bold header row; an empty frame gives 「（なし）」."""
    if df is None or df.empty:
        return doc.add_paragraph("（なし）")
    table = doc.add_table(rows=1, cols=len(df.columns))
    table.style = "Table Grid"
    for cell, col in zip(table.rows[0].cells, df.columns, strict=True):
        cell.text = str(col)
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in df.itertuples(index=False):
        cells = table.add_row().cells
        for cell, v in zip(cells, row, strict=True):
            cell.text = _cell(v)
    return table


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


def vision_document(pref: Any) -> Any:
    """The vision as a python-docx ``Document``."""
    from docx import Document
    from docx.shared import Mm

    from .classify import running
    from .overview import overview
    from .report_vision import vision_sections

    v, ap, err = vision_sections(pref)
    t, org, cost = v.target, v.organisation, v.cost
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)  # A4
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Mm(20))
    _fonts(doc)
    doc.core_properties.title = f"{v.prefecture.name} 共同利用ビジョン"
    doc.core_properties.author = "共同利用ワークベンチ"
    doc.core_properties.language = "ja-JP"
    doc.add_heading(f"{v.prefecture.name} 共同利用ビジョン", level=0)
    from .text import date_ja

    doc.add_paragraph(f"作成日: {date_ja(date.today())}（共同利用ワークベンチ、ガイド 3.1 Step 2）")
    if getattr(pref, "synthetic", False):
        doc.add_paragraph("この都道府県ファイルは合成データ（実在しない基盤）です。")
    if v.statement:
        doc.add_heading("ビジョン", level=1)
        doc.add_paragraph(v.statement)
    if v.warnings:
        doc.add_heading("未決事項", level=1)
        _bullets(doc, v.warnings)

    doc.add_heading("1. 共同利用の目的", level=1)
    _table(doc, v.purposes_frame())
    _source(doc, v.sources["purposes"])
    doc.add_heading("参考: 共同利用で直面した課題", level=2)
    _table(doc, v.challenges_frame())
    _source(doc, v.sources["challenges"])

    doc.add_heading("2. 目指す共同利用の型", level=1)
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

    doc.add_heading("3. 運営組織", level=1)
    doc.add_paragraph(org.reason)
    if org.chosen_label:
        doc.add_paragraph(f"選択: {org.chosen_label}")
    _bullets(doc, list(org.warnings))
    _table(doc, v.organisation_frame())
    _source(doc, org.source)

    doc.add_heading("4. 費用負担", level=1)
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

    doc.add_heading("5. KPI", level=1)
    _table(doc, v.kpis_frame())
    _source(doc, v.sources["kpis"])

    doc.add_heading("6. 基盤の俯瞰図（Step 1）", level=1)
    ps = running(pref)
    if not ps:
        doc.add_paragraph("運用中の基盤はありません。")
    for p in ps:
        d = overview(pref, p.id)
        doc.add_heading(p.name, level=2)
        _table(doc, d.to_staff_frame())
        _bullets(doc, list(d.notes))
        _source(doc, "; ".join(d.sources.values()))

    doc.add_heading("7. 実行計画（Step 3）", level=1)
    if ap is not None:
        _bullets(doc, [f"{k}: {val}" for k, val in ap.card_rows()])
        _table(doc, ap.to_staff_frame().drop(columns=["根拠", "備考"], errors="ignore"))
        _source(doc, "; ".join(ap.sources.values()))
    else:
        doc.add_paragraph(f"実行計画を作れませんでした: {err}")
    return doc


def _money_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Yen columns (names ending in 円）) shown as 万円/億円 text."""
    out = df.copy()
    for col in out.columns:
        if str(col).endswith("（円）"):
            out[col] = out[col].map(lambda x: "" if x is None or pd.isna(x) else money_ja(float(x)))
            out = out.rename(columns={col: str(col).replace("（円）", "")})
    return out


def vision_docx_bytes(pref: Any) -> bytes:
    from .staff import docx_ja

    buf = io.BytesIO()
    docx_ja(vision_document(pref)).save(buf)
    return buf.getvalue()


def write_vision_docx(pref: Any, out: str | os.PathLike[str]) -> Path:
    """Write the vision as .docx to ``out`` atomically."""
    from .files import atomic_write

    path = Path(out)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, vision_docx_bytes(pref), backup=False)
    return path
