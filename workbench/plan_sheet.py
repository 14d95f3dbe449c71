"""The Step 3 action plan as an Excel workbook that prefecture offices print as they are (guide 3.1 Step 3
実行計画の策定).

Sheet 実行計画: a title, the table of action items (autofilter, header rows repeated on every printed page,
A4 landscape fitted to the page width) and a Gantt chart drawn in cells beside it: one column per month,
grouped by 年度 (April–March, 令和N年度) once the plan has a start date, filled in the colour of the item's
owner; a milestone is ◆. Start and end are real dates once the plan has a start (date cells Excel can sort
and filter), else months from the plan start. Sheet 出典: the plan's card and its sources, written as
sources (「取組事項: ガイド 3.3 …」), and each item's basis.

Every text cell goes through :func:`workbench.files.safe_cell` (no formula is ever run). Written
atomically with the usual file mode, like the other exports (:func:`workbench.inventory.atomic_write`), and
no ``.bak`` beside it: an export is made again from the file at any time.
"""

from __future__ import annotations

import io
import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from . import reference
from .classify import pattern_text
from .exports import WAREKI_DATE, print_setup
from .files import atomic_write, safe_cell
from .inventory import Prefecture
from .plan import ActionPlan, action_plan
from .sheetkit import fit_rows
from .staff import source_ja
from .text import date_ja, fiscal_year, fiscal_year_ja, office_safe, with_synthetic_mark

#: how staff read the plan's sources (ActionPlan.sources keys)
SOURCE_LABELS = {
    "items": "取組事項",
    "organisation": "運営組織の整備",
    "schedule": "期間と依存関係",
    "owners": "担当の区分",
    "input": "編集した内容",
}

TABLE_COLUMNS = [
    "番号",
    "取組事項",
    "検討事項",
    "担当",
    "開始",
    "終了",
    "期間（月）",
    "依存",
    "クリティカル",
    "完了",
    "備考",
]
WIDTHS = {"番号": 7, "取組事項": 44, "検討事項": 18, "担当": 11, "開始": 15, "終了": 15, "期間（月）": 7,
          "依存": 14, "クリティカル": 7, "完了": 5, "備考": 24}  # fmt: skip
MONTH_WIDTH = 3.2
TITLE_ROW, GROUP_ROW, HEADER_ROW = 1, 3, 4
FIRST_ITEM_ROW = HEADER_ROW + 1


def month_of(start: date, offset: int) -> date:
    """The first day of the month ``offset`` months after the plan start's month."""
    y, m = divmod(start.month - 1 + offset, 12)
    return date(start.year + y, m + 1, 1)


def month_columns(plan: ActionPlan) -> list[tuple[str, str]]:
    """(group, label) of each Gantt month column: (令和8年度, 4月) with a start date, else (1年目, 1)."""
    months = max(int(plan.months), 1)
    out = []
    for k in range(months):
        if plan.start is not None:
            d = month_of(plan.start, k)
            out.append((fiscal_year_ja(fiscal_year(d), western=False), f"{d.month}月"))
        else:
            out.append((f"{k // 12 + 1}年目", str(k + 1)))
    return out


def _colour(code: str) -> str:
    roles = reference.table("owner_roles.csv")
    hit = roles[roles["code"] == code]
    return str(hit["color"].iloc[0]).lstrip("#").upper() if len(hit) else "999999"


class _Style:
    """The workbook's borders, fills and fonts (made once per workbook)."""

    def __init__(self) -> None:
        self.thin = Side(style="thin", color="999999")
        self.hair = Side(style="hair", color="CCCCCC")
        self.grid = Border(left=self.thin, right=self.thin, top=self.thin, bottom=self.thin)
        self.hair_grid = Border(left=self.hair, right=self.hair, top=self.hair, bottom=self.hair)
        self.head_fill = PatternFill("solid", fgColor="DDE4F0")
        self.bold = Font(bold=True)
        self.wrap = Alignment(wrap_text=True, vertical="top")
        self.centre = Alignment(horizontal="center", vertical="center")


def plan_workbook_bytes(pref: Prefecture, plan: ActionPlan) -> bytes:
    """The workbook (see the module docstring) as xlsx bytes."""
    pref, plan = office_safe(pref), office_safe(plan)  # no text can make openpyxl fail
    st = _Style()
    wb = Workbook()
    ws = wb.active
    ws.title = "実行計画"
    months = month_columns(plan)
    _title(ws, plan, pref)
    _header(ws, months, st)
    for r, item in enumerate(plan.items, FIRST_ITEM_ROW):
        _item_row(ws, r, item, plan, st)
        _gantt_row(ws, r, item, len(months), st)
    last_row = FIRST_ITEM_ROW + len(plan.items) - 1
    legend_row = _legend(ws, last_row + 2, st)
    _print_setup(ws, plan, last_row, legend_row, len(TABLE_COLUMNS) + len(months))
    _sources_sheet(wb.create_sheet("出典"), plan, st)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _title(ws: Any, plan: ActionPlan, pref: Any = None) -> None:
    """The title (「（合成データ）」 at its end for a synthetic prefecture) and what the plan rests on."""
    title = f"{plan.prefecture.name} 実行計画（{pattern_text(plan.pattern, plan.pattern_label)}）"
    ws.cell(TITLE_ROW, 1, safe_cell(with_synthetic_mark(title, pref)))
    ws.cell(TITLE_ROW, 1).font = Font(bold=True, size=14)
    start = date_ja(plan.start) if plan.start else "未設定（計画開始からの月数で表示）"
    ws.cell(
        TITLE_ROW + 1,
        1,
        safe_cell(f"運営組織: {plan.organisation_label}　開始: {start}　期間: {plan.months} か月"),
    )


def _header(ws: Any, months: list[tuple[str, str]], st: _Style) -> None:
    """The table's columns, and the Gantt months under their 年度 (merged group cells)."""
    for j, name in enumerate(TABLE_COLUMNS, 1):
        ws.cell(GROUP_ROW, j).fill = st.head_fill
        c = ws.cell(HEADER_ROW, j, name)
        c.font, c.fill, c.border = st.bold, st.head_fill, st.grid
        c.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(j)].width = WIDTHS[name]
    first = len(TABLE_COLUMNS) + 1
    group_start = first
    for k, (group, label) in enumerate(months):
        col = first + k
        c = ws.cell(HEADER_ROW, col, label)
        c.font, c.fill, c.alignment = Font(size=8), st.head_fill, st.centre
        c.border = Border(left=st.hair, right=st.hair, top=st.thin, bottom=st.thin)
        ws.column_dimensions[get_column_letter(col)].width = MONTH_WIDTH
        if k == len(months) - 1 or months[k + 1][0] != group:  # the group's last month
            g = ws.cell(GROUP_ROW, group_start, group)
            g.font, g.fill, g.alignment = Font(bold=True, size=9), st.head_fill, st.centre
            if col > group_start:
                ws.merge_cells(
                    start_row=GROUP_ROW, start_column=group_start, end_row=GROUP_ROW, end_column=col
                )
            group_start = col + 1


def _begin_end(item: Any, plan: ActionPlan) -> tuple[Any, Any]:
    """Start and end as dates once the plan has a start (the end's last day), else months from the start."""
    if plan.start is not None:
        begin = month_of(plan.start, 0) if item.start_date is None else item.start_date
        end = item.end_date - timedelta(days=1) if item.end_date and item.duration else item.end_date
        return begin, end
    return f"{item.start_month + 1}か月目", (f"{item.end_month}か月目" if item.duration else "—")


def _item_row(ws: Any, r: int, item: Any, plan: ActionPlan, st: _Style) -> None:
    """One action item's row of the table (formula-safe; dates as dates)."""
    begin, end = _begin_end(item, plan)
    nums = plan.numbers()
    values = [
        nums[item.id],
        item.title,
        item.consideration_label or "—",
        item.owner_label,
        begin,
        end if item.duration else "（節目）",
        item.duration,
        "、".join(nums.get(d, d) for d in item.depends_on) or "—",
        "○" if item.critical else "—",
        "○" if item.done else "—",
        item.notes or "",
    ]
    for j, v in enumerate(values, 1):
        c = ws.cell(r, j, safe_cell(v))
        c.border = st.grid
        c.alignment = st.wrap
        if isinstance(v, date):
            c.number_format = WAREKI_DATE


def _gantt_row(ws: Any, r: int, item: Any, months: int, st: _Style) -> None:
    """The item's months filled in its owner's colour; a milestone is ◆."""
    first = len(TABLE_COLUMNS) + 1
    fill = PatternFill("solid", fgColor=_colour(item.owner))
    for k in range(months):
        c = ws.cell(r, first + k)
        c.border = st.hair_grid
        if item.duration and item.start_month <= k < item.end_month:
            c.fill = fill
        elif not item.duration and k == min(item.start_month, months - 1):
            c.value = "◆"
            c.alignment = st.centre
            c.font = Font(color=_colour(item.owner), bold=True)


def _legend(ws: Any, legend_row: int, st: _Style) -> int:
    """The owners' colours under the table; returns its first row."""
    ws.cell(legend_row, 1, "凡例（担当）").font = st.bold
    for k, r in enumerate(reference.table("owner_roles.csv").itertuples(), 0):
        c = ws.cell(legend_row + 1 + k // 4, 2 + (k % 4) * 2, safe_cell(str(r.label_ja)))
        c.fill = PatternFill("solid", fgColor=str(r.color).lstrip("#").upper())
    return legend_row


def _a4_landscape(ws: Any) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)


def _print_setup(ws: Any, plan: ActionPlan, last_row: int, legend_row: int, last_col: int) -> None:
    """A4 landscape fitted to the width, header rows on every page, a filter on the table."""
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(TABLE_COLUMNS))}{max(last_row, HEADER_ROW)}"
    ws.freeze_panes = ws.cell(FIRST_ITEM_ROW, 3)
    ws.print_title_rows = f"{GROUP_ROW}:{HEADER_ROW}"
    ws.print_area = f"A1:{get_column_letter(last_col)}{legend_row + 3}"
    _a4_landscape(ws)
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddFooter.center.text = "&P / &N ページ"
    ws.oddHeader.right.text = safe_cell(f"{plan.prefecture.name} 実行計画")


def _sources_sheet(meta: Any, plan: ActionPlan, st: _Style) -> None:
    """出典: the card, then the sources as sources, then each item's basis."""
    meta.append(["項目", "内容"])
    for k, v in plan.card_rows():
        meta.append([safe_cell(k), safe_cell(v)])
    meta.append([])
    meta.append(["出典", "内容"])
    for key, text in plan.sources.items():
        if source_ja(text):
            meta.append([safe_cell(SOURCE_LABELS.get(key, key)), safe_cell(source_ja(text))])
    meta.append([])
    meta.append(["取組事項", "根拠"])
    nums = plan.numbers()
    for item in plan.items:
        meta.append([safe_cell(f"{nums[item.id]} {item.title}"), safe_cell(source_ja(item.source))])
    for row in meta.iter_rows():
        for c in row:
            c.alignment = st.wrap
            if c.value in ("項目", "出典", "取組事項") and c.column == 1:
                c.font = st.bold
                meta.cell(c.row, 2).font = st.bold
    meta.column_dimensions["A"].width = 40
    meta.column_dimensions["B"].width = 90
    fit_rows(meta)
    print_setup(meta, f"{plan.prefecture.name} 実行計画の出典")


def plan_xlsx(pref: Prefecture, path: str | os.PathLike[str], plan: ActionPlan | None = None) -> Path:
    """Write the action plan (:func:`workbench.plan.action_plan`, computed unless given) to an Excel workbook as
    offices print it (sheets 実行計画 with a Gantt chart in cells, and 出典), atomically (file mode as for every
    export, no ``.bak``: an export is made again from the file at any time) and formula-safe."""
    target = Path(path)
    atomic_write(target, plan_workbook_bytes(pref, plan or action_plan(pref)), backup=False)
    return target
