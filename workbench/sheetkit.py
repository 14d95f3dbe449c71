"""What the hearing workbook (:mod:`workbench.sheets`) and the data-map sheets (:mod:`workbench.datamap_sheets`)
share: the header styles, cells written formula-safe, the hidden sheet of dropdown lists, a cell read back, where
a value came from, and how a value met in two workbooks is merged (or reported as a conflict).
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.escape import unescape as xml_unescape

from .errors import Problem
from .files import safe_cell, unsafe_cell
from .text import text_problem as _text_problem
from .xlsx_stream import Unreadable

SHEET_INFO = "説明"
SHEET_LISTS = "選択肢"
HEADER_ROW = 4  # row 1 title, row 2 guidance, row 3 per-column notes, row 4 headers, data from row 5

# --- writing ----------------------------------------------------------------------------------------------

HEAD_FONT = Font(bold=True, color="FFFFFF")
HEAD_FILL = PatternFill("solid", fgColor="1F4E79")
REQ_FILL = PatternFill("solid", fgColor="C00000")
NOTE_FONT = Font(size=9, color="595959")


def put(ws: Any, row: int, col: int, value: Any) -> Any:
    cell = ws.cell(row=row, column=col, value=safe_cell(value))
    return cell


class Lists:
    """The hidden sheet of dropdown lists (one column per list); returns the formula of a list."""

    def __init__(self, wb: Workbook) -> None:
        self.ws = wb.create_sheet(SHEET_LISTS)
        self.ws.sheet_state = "hidden"
        self.cols: dict[str, str] = {}

    def formula(self, name: str, values: Sequence[str]) -> str:
        if name not in self.cols:
            c = len(self.cols) + 1
            put(self.ws, 1, c, name)
            for i, v in enumerate(values, 2):
                put(self.ws, i, c, v)
            letter = get_column_letter(c)
            self.cols[name] = f"'{SHEET_LISTS}'!${letter}$2:${letter}${len(values) + 1}"
        return self.cols[name]


#: dates as Japanese offices write them, in Excel and LibreOffice alike (「令和8年4月1日」)
WAREKI_DATE = '[$-411]ggge"年"m"月"d"日"'
#: money in whole 円 with separators
YEN = "#,##0"
#: a share (0–1) as a percentage
PERCENT = "0.0%"


def fit_rows(ws: Any, first_row: int = 1, line_pt: float = 15.0) -> None:
    """Row heights for wrapped text (Excel keeps a row one line high until someone edits it; LibreOffice as
    well when it prints): the lines each cell needs at its column's width (a Japanese character is two of
    Excel's width units), the tallest cell of the row."""
    import math

    widths = {k: (d.width or 8.43) for k, d in ws.column_dimensions.items()}
    for row in ws.iter_rows(min_row=first_row):
        lines = 1
        for c in row:
            if not isinstance(c.value, str) or not c.value:
                continue
            width = widths.get(c.column_letter, 8.43)
            units = sum(1.0 if ord(ch) < 0x2E80 else 2.0 for ch in c.value)
            lines = max(lines, sum(max(1, math.ceil(u / max(width - 1, 1))) for u in [units]))
        if lines > 1:
            ws.row_dimensions[row[0].row].height = lines * line_pt


#: Excel width units that print at full size across a landscape page with the workbench's margins (one unit is
#: about 1.9 mm): A4 277 mm, A3 400 mm
A4_LANDSCAPE_UNITS = 150
A3_LANDSCAPE_UNITS = 215
#: a sheet wider than this many A3 widths is not shrunk onto one page (it would print below ~60 %): it is printed
#: over several pages across, its first columns (code and name) repeated on each
SHRINK_LIMIT = 1.6


def paper_for(width_units: float) -> tuple[str, int]:
    """The paper and the number of pages across a sheet of ``width_units`` (the sum of its column widths) prints
    on: A4 when it fits at a readable size, else A3 (offices print wide lists on A3), and for a very wide sheet
    (the national summary's 29 columns) several A3 pages across rather than a scale no one can read."""
    import math

    if width_units <= A4_LANDSCAPE_UNITS * 1.15:
        return "A4", 1
    if width_units <= A3_LANDSCAPE_UNITS * SHRINK_LIMIT:
        return "A3", 1
    return "A3", math.ceil(width_units / (A3_LANDSCAPE_UNITS * 1.1))


def print_setup(
    ws: Any,
    title: str,
    *,
    header_rows: str | None = "1:1",
    landscape: bool = True,
    width_units: float | None = None,
    title_cols: str | None = None,
) -> None:
    """How every workbook of the workbench prints (as the plan workbook): A4, fitted to the page width, the
    header rows on every page, the title in the header and 「ページ / 総ページ」 in the footer.

    With ``width_units`` (the sum of the sheet's column widths) a wide landscape sheet goes on A3, and a very wide
    one over several pages across with ``title_cols`` (e.g. ``"A:B"``) repeated (:func:`paper_for`)."""
    from openpyxl.worksheet.properties import PageSetupProperties

    paper, across = paper_for(width_units) if (landscape and width_units is not None) else ("A4", 1)
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A3 if paper == "A3" else ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = across
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    if header_rows:
        ws.print_title_rows = header_rows
    if across > 1 and title_cols:
        ws.print_title_cols = title_cols
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddHeader.right.text = safe_cell(title)
    ws.oddFooter.center.text = "&P / &N ページ"


def workbook_bytes(wb: Workbook) -> bytes:
    """The xlsx bytes of a workbook (for an atomic write); every visible sheet prints like the other workbooks
    (:func:`workbench.exports.print_setup`: A4 landscape fitted to the width, the rows above the frozen panes
    repeated on every page, the sheet's name in the header and page numbers in the footer)."""
    from openpyxl.utils.cell import coordinate_from_string

    for ws in wb.worksheets:
        if ws.sheet_state != "visible" or ws.print_title_rows:
            continue
        top = coordinate_from_string(ws.freeze_panes)[1] - 1 if ws.freeze_panes else 0
        print_setup(ws, ws.title, header_rows=f"1:{top}" if top >= 1 else None)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- reading ----------------------------------------------------------------------------------------------


@dataclass
class Source:
    """Where a value came from: file, sheet, row and cell."""

    file: str
    sheet: str
    row: int
    cell: str = ""
    header: str = ""
    respondent: str | None = None

    def where(self) -> str:
        who = f"（{self.respondent}）" if self.respondent else ""
        return f"{self.file}{who} {self.sheet}!{self.cell or self.row}"


def text_problem(raw: Any) -> str | None:
    """Why a text cell is refused: control characters, over-long text, mojibake (U+FFFD); None when fine. The
    hearing sheets and the data-map sheets share it."""
    if not isinstance(raw, str):
        return None
    problem = _text_problem(raw)  # refused characters (workbench.text.REFUSED_CHARS) and over-long text
    if problem:
        return problem
    if "\ufffd" in raw:
        return "文字化けしています（U+FFFD の置換文字）。正しい文字を入力し直してください"
    return None


def cell_text(value: Any) -> Any:
    """A cell value read: strings stripped (full-width spaces too) and un-escaped; '' -> None.

    Free text (names, notes) keeps the user's characters; coded values are NFKC-normalised when parsed.
    Excel stores characters XML cannot hold as ``_xHHHH_``; they are decoded here, so a control character
    typed into a cell is seen (and refused) as what it is."""
    if isinstance(value, Unreadable):
        return value
    if isinstance(value, str):
        if "_x" in value:
            value = xml_unescape(value)
        s = unsafe_cell(value.strip().strip("\u3000").strip())
        return s or None
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    return value


# --- merging ----------------------------------------------------------------------------------------------


@dataclass
class Conflict:
    """Two workbooks describing the same platform or service differently."""

    kind: str  # 基盤 | サービス
    id: str
    key: str
    first: Source
    first_value: Any
    second: Source
    second_value: Any

    def problem(self) -> Problem:
        a, b = _show(self.first_value), _show(self.second_value)
        return Problem(
            f"{self.kind}「{self.id}」の{self.first.header}が食い違っています: "
            f"{self.first.where()} = {a} ／ {self.second.where()} = {b}"
            "（--prefer ファイル または --on-conflict first で、どちらを採るか指定してください）",
            self.second.file,
            self.second.row,
            f"{self.second.sheet}!{self.second.cell} {self.second.header}",
        )


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def merge_value(
    have: Any, key: str, value: Any, src: Source, preferred: set[str], on_conflict: str, union: bool
) -> Source | None:
    """One value of a row met again in another workbook, merged into ``have`` (a row with ``values``, ``cells``
    and ``source``): a new key is taken, a list (``union``) joined; a different value is taken from a
    preferred file, kept with ``first`` or from a preferred file, else left for a conflict: returns the cell of
    the value kept then (None when nothing conflicts). The hearing sheets and the data-map sheets share it."""
    if key not in have.values:
        have.values[key], have.cells[key] = value, src
        return None
    if union:
        have.values[key] = list(dict.fromkeys([*have.values[key], *value]))
        return None
    if have.values[key] == value:
        return None
    old = have.cells.get(key, have.source)
    old_pref = os.path.realpath(old.file) in preferred
    new_pref = os.path.realpath(src.file) in preferred
    if new_pref and not old_pref:
        have.values[key], have.cells[key] = value, src
        return None
    return None if old_pref or on_conflict == "first" else old
