"""Writing tables for spreadsheets: CSV and xlsx, formula-safe and atomic."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pandas as pd

from .files import atomic_write, safe_cell
from .staff import SOURCE_COLUMNS, source_ja
from .tabular import csv_bytes


def frame_csv(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """A DataFrame as UTF-8 CSV with BOM (Excel reads it as UTF-8), every cell formula-safe, atomic."""
    rows = [list(df.columns), *df.astype(object).where(df.notna(), None).itertuples(index=False, name=None)]
    target = Path(path)
    atomic_write(target, csv_bytes(rows), backup=False)  # an export is made again at any time: no .bak
    return target


def frames_xlsx(
    frames: dict[str, pd.DataFrame], path: str | os.PathLike[str], *, note: str | None = None
) -> Path:
    """Several DataFrames as sheets of one xlsx (openpyxl), every cell formula-safe, written atomically.

    ``note``: a sentence on a first sheet of its own, the one the workbook opens on (for a synthetic prefecture
    :func:`workbench.text.synthetic_note`); the table sheets stay as they are."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    if note:
        first = wb.create_sheet(title="注意")
        first.cell(1, 1, safe_cell(note)).font = Font(bold=True, size=12, color="8A6D00")
        first.column_dimensions["A"].width = 120
    for title, df in frames.items():
        ws = wb.create_sheet(title=title[:31])
        ws.append([safe_cell(str(c)) for c in df.columns])
        src = {i for i, c in enumerate(df.columns) if str(c) in SOURCE_COLUMNS}
        for row in df.astype(object).where(df.notna(), None).itertuples(index=False, name=None):
            ws.append(
                [safe_cell(source_ja(v) if i in src and v is not None else v) for i, v in enumerate(row)]
            )
        for i, col in enumerate(df.columns, 1):
            width = max([len(str(col))] + [len(str(v)) for v in df.iloc[:, i - 1].head(200)]) + 2
            ws.column_dimensions[get_column_letter(i)].width = min(50, width * 1.6)
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    target = Path(path)
    atomic_write(target, buf.getvalue(), backup=False)  # an export is made again at any time: no .bak
    return target
