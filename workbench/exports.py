"""Writing tables for spreadsheets: CSV and xlsx, formula-safe and atomic."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pandas as pd

from .files import atomic_write, safe_cell
from .sheetkit import WAREKI_DATE, YEN, fit_rows, print_setup
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


def _cell_value(v: Any, money: bool) -> tuple[Any, str | None]:
    """A value as written (formula-safe) and its number format: whole 円 for money, 和暦 for dates."""
    import datetime as dt
    import math

    if money and isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(float(v)):
        return int(round(float(v))), YEN
    if isinstance(v, dt.date):
        return v, WAREKI_DATE
    return v, None


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


def frames_xlsx_bytes(
    frames: dict[str, pd.DataFrame], *, title: str | None = None, note: str | None = None
) -> bytes:
    """Several DataFrames as the bytes of one xlsx (openpyxl), every cell formula-safe and Office-safe; each
    sheet prints like the plan workbook (:func:`print_setup`), with dates in 令和 and money in whole 円.

    ``note``: a sentence on a first sheet of its own, the one the workbook opens on (for a synthetic prefecture
    :func:`workbench.text.synthetic_note`); the table sheets stay as they are."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    if note:
        first = wb.create_sheet(title="注意")
        first.cell(1, 1, safe_cell(note)).font = Font(bold=True, size=12, color="8A6D00")
        first.column_dimensions["A"].width = 120
    for name, df in frames.items():
        ws = wb.create_sheet(title=office_text(name)[:31])
        ws.append([safe_cell(str(c)) for c in df.columns])
        src = {i for i, c in enumerate(df.columns) if str(c) in SOURCE_COLUMNS}
        money = {i for i, c in enumerate(df.columns) if _is_money(c)}
        for r, row in enumerate(
            df.astype(object).where(df.notna(), None).itertuples(index=False, name=None), 2
        ):
            for i, v in enumerate(row):
                value, fmt = _cell_value(source_ja(v) if i in src and v is not None else v, i in money)
                c = ws.cell(r, i + 1, safe_cell(value))
                c.alignment = Alignment(wrap_text=True, vertical="top")
                if fmt:
                    c.number_format = fmt
        for c in ws[1]:
            c.font = Font(bold=True)
            c.alignment = Alignment(wrap_text=True, vertical="center")
        for i, col in enumerate(df.columns, 1):
            width = max([len(str(col))] + [len(str(v)) for v in df.iloc[:, i - 1].head(200)]) + 2
            ws.column_dimensions[get_column_letter(i)].width = min(50, width * 1.6)
        ws.freeze_panes = "A2"
        fit_rows(ws)
        if len(df.columns):
            ws.auto_filter.ref = f"A1:{get_column_letter(len(df.columns))}{max(len(df) + 1, 1)}"
        print_setup(ws, f"{title}　{name}" if title else name, landscape=len(df.columns) > 5)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
