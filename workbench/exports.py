"""Writing tables for spreadsheets: CSV and xlsx, formula-safe and atomic."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

import pandas as pd

from .files import atomic_write, safe_cell
from .sheetkit import PERCENT, WAREKI_DATE, YEN, fit_rows, print_setup
from .staff import SOURCE_COLUMNS, source_ja
from .tabular import csv_bytes
from .text import office_text


def frame_csv_bytes(df: pd.DataFrame) -> bytes:
    """A DataFrame as the bytes of a UTF-8 CSV with BOM (Excel reads it as UTF-8), every cell formula-safe;
    sources in Japanese and dates in 令和, as in the workbooks."""
    from .staff import dates_ja

    src = {i for i, c in enumerate(df.columns) if str(c) in SOURCE_COLUMNS}
    body = [
        [(source_ja(v) if i in src else dates_ja(v)) if isinstance(v, str) else v for i, v in enumerate(row)]
        for row in df.astype(object).where(df.notna(), None).itertuples(index=False, name=None)
    ]
    return csv_bytes([list(df.columns), *body])


def frame_csv(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """:func:`frame_csv_bytes` written atomically."""
    target = Path(path)
    atomic_write(target, frame_csv_bytes(df), backup=False)  # an export is made again at any time: no .bak
    return target


def _is_money(column: object) -> bool:
    name = str(column)
    return "円" in name and "万円" not in name and "億円" not in name


#: whole 円 (and counts) with separators, and shares as percentages, each followed by a space's width so that a
#: right-aligned number never runs into the text of the next cell
PADDED_YEN = YEN + "_ "
PADDED_PERCENT = PERCENT + "_ "
_PERCENT_TEXT = re.compile(r"[-−]?\d+(?:\.\d+)?%")


def _is_ratio(column: object, values: pd.Series) -> bool:
    """A column of shares (「…率」, every value a number between 0 and 1): printed as a percentage."""
    if "率" not in str(column):
        return False
    numbers = pd.to_numeric(values, errors="coerce")
    return bool(len(values)) and numbers.notna().all() and bool(((numbers >= 0) & (numbers <= 1)).all())


def _cell_value(v: Any, money: bool, ratio: bool = False) -> tuple[Any, str | None]:
    """A value as written (formula-safe) and its number format: whole 円 for money, 和暦 for dates, 0.0% for a
    share."""
    import datetime as dt
    import math

    number = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(float(v))
    if money and number:
        return int(round(float(v))), PADDED_YEN
    if ratio and number:
        return float(v), PADDED_PERCENT
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 10_000:
        return v, PADDED_YEN  # a count or a population with separators
    if isinstance(v, dt.date):
        return v, WAREKI_DATE
    return v, None


def display_units(text: str) -> float:
    """Excel width units a text takes on one line (a Japanese character two, others one)."""
    return sum(1.0 if ord(ch) < 0x2E80 else 2.0 for ch in text)


def _shown(v: Any, fmt: str | None) -> str:
    """The text a cell shows under its number format (for the column width)."""
    if v is None:
        return ""
    if fmt == PADDED_YEN and isinstance(v, int | float):
        return f"{v:,.0f}"
    if fmt == PADDED_PERCENT and isinstance(v, int | float):
        return f"{v:.1%}"
    if fmt == WAREKI_DATE:
        return "令和10年10月10日"
    return str(v)


def column_width(header: str, shown: list[str]) -> float:
    """A column's width in Excel units: its longest value (a long text wraps at 30 units), and its heading on at
    most three lines (headings wrap; a value never does when it is a number)."""
    import math

    values = (
        max((display_units(t) for t in shown), default=0.0) * 1.15
    )  # printed fonts run wider than Excel's unit
    head = display_units(header)
    heading = max(math.ceil(head / 2.6), max((display_units(w) for w in header.split("（")), default=0.0) / 2)
    return round(min(max(values, heading, 6.0) + 2, 32.0), 1)


def frames_xlsx(
    frames: dict[str, pd.DataFrame],
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
    note: str | None = None,
) -> Path:
    """:func:`frames_xlsx_bytes` written atomically (made again at any time: no .bak)."""
    target = Path(path)
    atomic_write(target, frames_xlsx_bytes(frames, title=title, note=note), backup=False)
    return target


def _write_rows(ws: Any, df: pd.DataFrame) -> list[list[str]]:
    """The frame's rows into the sheet below its heading (formula-safe, numbers formatted, texts wrapped); what
    the first 200 rows of each column show (for the widths)."""
    from openpyxl.styles import Alignment

    src = {i for i, c in enumerate(df.columns) if str(c) in SOURCE_COLUMNS}
    money = {i for i, c in enumerate(df.columns) if _is_money(c)}
    ratio = {i for i, c in enumerate(df.columns) if _is_ratio(c, df.iloc[:, i].dropna())}
    shown: list[list[str]] = [[] for _ in df.columns]
    rows = df.astype(object).where(df.notna(), None).itertuples(index=False, name=None)
    for r, row in enumerate(rows, 2):
        for i, v in enumerate(row):
            value, fmt = _cell_value(
                source_ja(v) if i in src and v is not None else v, i in money, i in ratio
            )
            c = ws.cell(r, i + 1, safe_cell(value))
            if isinstance(value, str) and _PERCENT_TEXT.fullmatch(value):
                c.alignment = Alignment(vertical="top", horizontal="right")  # 「92.5%」 reads as a number
            else:
                c.alignment = Alignment(wrap_text=True, vertical="top")
            if fmt:
                c.number_format = fmt
            if r <= 201:
                shown[i].append(_shown(value, fmt))
    return shown


def _table_sheet(ws: Any, df: pd.DataFrame, title: str) -> None:
    """One frame as a sheet: bold wrapped headings, columns as wide as what they show, the heading frozen and
    filtered, printed on the paper its width needs (:func:`print_setup`)."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    ws.append([safe_cell(str(c)) for c in df.columns])
    shown = _write_rows(ws, df)
    for c in ws[1]:
        c.font = Font(bold=True)
        c.alignment = Alignment(wrap_text=True, vertical="center")
    widths = [column_width(str(col), shown[i]) for i, col in enumerate(df.columns)]
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    fit_rows(ws)
    if len(df.columns):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(df.columns))}{max(len(df) + 1, 1)}"
    print_setup(
        ws,
        title,
        landscape=len(df.columns) > 5,
        width_units=sum(widths),
        title_cols=f"A:{get_column_letter(min(2, len(widths)))}" if widths else None,
    )


def frames_xlsx_bytes(
    frames: dict[str, pd.DataFrame], *, title: str | None = None, note: str | None = None
) -> bytes:
    """Several DataFrames as the bytes of one xlsx (openpyxl), every cell formula-safe and Office-safe; each
    sheet prints like the plan workbook (:func:`print_setup`), with dates in 令和 and money in whole 円.

    ``note``: a sentence on a first sheet of its own, the one the workbook opens on (for a synthetic prefecture
    :func:`workbench.text.synthetic_note`); the table sheets stay as they are."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    if note:
        first = wb.create_sheet(title="注意")
        first.cell(1, 1, safe_cell(note)).font = Font(bold=True, size=12, color="8A6D00")
        first.column_dimensions["A"].width = 120
    for name, df in frames.items():
        _table_sheet(wb.create_sheet(title=office_text(name)[:31]), df, f"{title}　{name}" if title else name)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
