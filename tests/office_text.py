"""The text a reader sees in the Office take-aways (Word, Excel, PowerPoint), as (where, text) fragments.

One reader for every sweep over the take-aways (tests/test_staff_text.py: Japanese only; tests/test_staff_ids.py and
tests/test_takeaways.py: names, not ids): the document's title, paragraphs, tables, headers and footers; every
sheet's name, cells and comments; every slide's text, tables, charts and notes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

Fragment = tuple[str, str]  # (where, text)


def docx_text(path: Path) -> Iterator[Fragment]:
    from docx import Document

    doc = Document(str(path))
    yield f"{path.name} 文書の題名", doc.core_properties.title or ""
    for p in doc.paragraphs:
        yield path.name, p.text
    for t in doc.tables:
        for row in t.rows:
            for cell in row.cells:
                yield path.name + " 表", cell.text
    for sec in doc.sections:
        for part in (sec.header, sec.footer):
            for p in part.paragraphs:
                yield path.name + " ヘッダー・フッター", p.text


def xlsx_text(path: Path, *, every_value: bool = False) -> Iterator[Fragment]:
    """Sheet names, comments and the text cells; with ``every_value`` numbers and dates too, as Python writes
    them (not as the sheet's number format shows them: right for looking for an id, wrong for judging wording)."""
    from openpyxl import load_workbook

    book = load_workbook(path)
    for ws in book.worksheets:
        yield f"{path.name} シート名", ws.title
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) or (every_value and c.value is not None):
                    yield f"{path.name}:{ws.title}!{c.coordinate}", str(c.value)
                if c.comment is not None:
                    yield f"{path.name}:{ws.title}!{c.coordinate} コメント", c.comment.text


def _pptx_shape_text(shape: Any, where: str) -> Iterator[Fragment]:
    if shape.has_text_frame:
        yield where, shape.text_frame.text
    if getattr(shape, "has_table", False) and shape.has_table:
        yield from ((where + " 表", cell.text) for row in shape.table.rows for cell in row.cells)
    if getattr(shape, "has_chart", False) and shape.has_chart:
        chart = shape.chart
        if chart.has_title:
            yield where + " グラフ", chart.chart_title.text_frame.text
        for plot in chart.plots:
            yield from ((where + " 系列", str(s.name)) for s in plot.series)
            yield from ((where + " 項目", str(c)) for c in plot.categories)


def pptx_text(path: Path) -> Iterator[Fragment]:
    from pptx import Presentation

    deck = Presentation(str(path))
    for k, slide in enumerate(deck.slides, 1):
        where = f"{path.name} スライド {k}"
        for shape in slide.shapes:
            yield from _pptx_shape_text(shape, where)
        if slide.has_notes_slide:
            yield where + " ノート", slide.notes_slide.notes_text_frame.text
