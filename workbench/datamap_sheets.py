"""The データマップ in Excel, both ways: the two sheets of the Digital Agency's template (サービス側データマップ,
データアセット側データマップ) generated with dropdowns, and filled workbooks (or CSV files) read back into the
prefecture file's ``data_map:`` section.

Columns are found by their header text, never by position: the real template's cell layout (sheet names,
header rows, merged group headers) has not been available (data/README.md), so every header is matched against
the wording of the template's README, of guidebook 11.2 and of known aliases (data/datamap_headers.csv), with
case, width and spacing folded. A header one level up (a merged group header such as 「サービスでの取得データ」
above 「（内部利用のみに限るもの）」) is tried together with the cell below it. A sheet is recognised by its
headers, whatever its name. A template column that cannot be found is a located error naming the sheet and the
header, listing the wordings accepted; the workbench's own extra columns (基盤ID, 分野, 標準データモデル …) are
optional.

Reading follows the hearing sheets (workbench.sheets): text cells are stripped and un-escaped, formulas are
refused, U+FFFD (mojibake) is refused, CSV files may be UTF-8 or CP932; many workbooks merge, lists are
unioned, any other value given differently by two files is a conflict unless ``prefer``/``on_conflict`` decide;
nothing is written when anything is wrong. Rows may be one per service with list cells (「、」 or new lines) or
one per data item with the サービス名 left blank (or merged) on the following rows. Every cell written goes through
:func:`workbench.files.safe_cell`.
"""

from __future__ import annotations

import bisect
import functools
import os
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.datavalidation import DataValidation

from . import reference
from .errors import InputError, Problem, field_path
from .files import existing_file
from .inventory import Prefecture
from .inventory.datamap import (
    TEMPLATE_VERSION,
    ServiceNames,
    field_index,
    field_label,
    split_list,
    vocab_index,
)
from .sheetkit import (
    HEAD_FILL,
    HEAD_FONT,
    HEADER_ROW,
    NOTE_FONT,
    REQ_FILL,
    SHEET_INFO,
    SHEET_LISTS,
    Conflict,
    Lists,
    Source,
    cell_text,
    merge_value,
    put,
    text_problem,
    workbook_bytes,
)
from .text import fold as _fold
from .text import nfkc, office_safe
from .xlsx_stream import Cell, StreamBook, Unreadable, unreadable_problem

fold = functools.lru_cache(maxsize=1 << 16)(_fold)  # names are folded again and again on big files

SHEET_SERVICE = "サービス側データマップ"
SHEET_ASSET = "データアセット側データマップ"
SIDE_LABEL = {"service": SHEET_SERVICE, "asset": SHEET_ASSET}
KEY = {"service": "service", "asset": "name"}
DATA_ROWS = 300


# --- the columns --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DmColumn:
    side: str
    key: str
    header: str
    labels: tuple[str, ...]  # every accepted wording, the written header first
    required: bool
    is_list: bool
    template: bool  # a column of the Digital Agency's template (README / guidebook 11.2)
    both: bool  # named by the template's README and by guidebook 11.2's table alike
    note: str


@functools.cache
def columns(side: str) -> tuple[DmColumn, ...]:
    """The columns of one side (data/datamap_headers.csv), in the order written."""
    df = reference.table("datamap_headers.csv")
    out = []
    for r in df[df["side"] == side].to_dict("records"):
        labels = [r["header_ja"], r["template_label"], r["guidebook_label"], *str(r["aliases"]).split("|")]
        out.append(
            DmColumn(
                side=side,
                key=str(r["key"]),
                header=str(r["header_ja"]),
                labels=tuple(dict.fromkeys(x for x in labels if x)),
                required=r["required"] == "yes",
                is_list=r["list"] == "yes",
                template=r["status"] == "confirmed",
                both=bool(r["template_label"]) and bool(r["guidebook_label"]),
                note=str(r["note"]),
            )
        )
    return tuple(out)


_NOTES = {
    "service": "サービス名",
    "intake": "直接または基盤経由で取り込んでいるデータ（複数は「、」か改行で区切る）",
    "internal": "サービス自体で取得し、このサービスだけで使うデータ",
    "external": "サービス自体で取得し、他のサービスや分析に出せるデータ（内部利用と重複しないように）",
    "frequency": "外部利用が可能なデータの提供頻度（例 リアルタイム、日次）",
    "method": "外部利用が可能なデータの提供方法（例 REST API、NGSI-LD、CSV）",
    "to": "外部利用が可能なデータの提供先（サービス名）",
    "platform": "接続している基盤ID（基盤シートのID）",
    "field": "サービスの分野（選択）",
    "status": "運用中・構築中・計画中（選択）",
    "pi_class": "外部提供データの個人情報の区分（選択）",
    "consent": "個人に関するデータを提供する場合の同意管理（選択）",
    "notes": "",
}
_ASSET_NOTES = {
    "name": "なるべくデータ単位の具体名",
    "owner": "正確な部署・組織名",
    "location": "取得したシステム・サービスの固有名詞",
    "frequency": "提供先に対しての提供頻度（例 日次、随時更新）",
    "method": "提供先に対しての提供方法（例 CSV、REST API、NGSI-LD）",
    "to": "基盤を介してデータを提供している先（サービス名）",
    "platform": "接続している基盤ID",
    "field": "データの分野（選択）",
    "model": "標準データモデル（選択、独自・不明も可）",
    "pi_class": "個人情報の区分（選択）",
    "notes": "",
}


# --- generating ---------------------------------------------------------------------------------------------


def _vocab_labels(kind: str) -> list[str]:
    df = reference.table("datamap_vocab.csv")
    return list(df[df["kind"] == kind]["label_ja"])


def _dropdowns(side: str, platforms: Sequence[str]) -> dict[str, tuple[str, list[str], bool]]:
    """key -> (list name, values, strict) for the columns with a dropdown (strict: only these values)."""
    fields = list(reference.table("datamap_fields.csv")["label_ja"])
    models = [*reference.table("standard_models.csv")["model"], "独自", "不明"]
    out = {
        "field": ("データマップの分野", fields, True),
        "pi_class": ("個人情報の区分", _vocab_labels("pi_class"), True),
        "frequency": ("提供頻度", _vocab_labels("frequency"), False),
        "platform": ("基盤ID", list(platforms), False),
    }
    if side == "service":
        out["status"] = ("状態", [reference.label("status", c) for c in reference.enum_codes("status")], True)
        out["consent"] = ("同意管理", _vocab_labels("consent"), True)
    else:
        out["model"] = ("標準データモデル", models, False)
    return out


def _cell_value(col: DmColumn, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, list):
        return "、".join(str(x) for x in value) or None
    if col.key == "field":
        return field_label(value)
    if col.key == "status":
        return reference.label("status", value)
    if col.key in ("pi_class", "consent"):
        df = reference.table("datamap_vocab.csv")
        hit = df[(df["kind"] == col.key) & (df["code"] == value)]
        return str(hit["label_ja"].iloc[0]) if len(hit) else value
    return value


def _names_of(pref: Prefecture, targets: list[str]) -> list[str]:
    """Service ids written as the services' names (what staff read in the sheet; read back by name)."""
    names = {s.id: s.name for s in pref.services}
    return [names.get(t, t) for t in targets]


def _service_rows(pref: Prefecture) -> list[dict[str, Any]]:
    """One row per service of the file (the template asks for every connected service), prefilled; when the
    external items of a service differ in 提供頻度・提供方法・提供先, each further item gets its own row with the
    サービス名 left blank (read back as a continuation of the service)."""
    rows = {}
    if pref.data_map is not None:
        names = ServiceNames(pref)
        for r in pref.data_map.services:
            sid = names.resolve(r.service)
            if sid:
                rows[sid] = r
    out = []
    for s in pref.services:
        r = rows.get(s.id)
        ext = list(r.external) if r else []

        def detail(it: Any) -> tuple[Any, ...]:
            return (it.frequency, tuple(it.method), tuple(it.to), it.pi_class, it.consent)

        same = len({detail(it) for it in ext}) <= 1
        groups = [ext] if same else [[it] for it in ext]
        for k, group in enumerate(groups or [[]]):
            first = group[0] if group else None
            row: dict[str, Any] = {
                "external": [it.name for it in group],
                "frequency": first.frequency if first else None,
                "method": list(first.method) if first else [],
                "to": _names_of(pref, list(first.to)) if first else [],
                "pi_class": first.pi_class if first else None,
                "consent": first.consent if first else None,
            }
            if k == 0:
                row.update(
                    service=s.name,
                    platform=s.platform,
                    field=r.field if r else None,
                    status=r.status if r else None,
                    intake=list(r.intake) if r else [],
                    internal=list(r.internal) if r else [],
                    notes=r.notes if r else None,
                )
            out.append(row)
    return out


def _asset_rows(pref: Prefecture) -> list[dict[str, Any]]:
    if pref.data_map is None:
        return []
    return [
        {
            "name": a.name,
            "owner": a.owner,
            "location": a.location,
            "frequency": a.frequency,
            "method": list(a.method),
            "to": _names_of(pref, list(a.to)),
            "platform": a.platform,
            "field": a.field,
            "model": a.model,
            "pi_class": a.pi_class,
            "notes": a.notes,
        }
        for a in pref.data_map.assets
    ]


def add_datamap_sheets(wb: Workbook, lists: Lists, existing: Prefecture | None = None) -> None:
    """Add the two データマップ sheets (headers in row 4, dropdowns on rows 5–304) to a workbook, prefilled from
    ``existing`` (a Prefecture): every service of the file gets a row (template README サービス側1)."""
    platforms = [p.id for p in existing.platforms] if existing is not None else []
    for side, guide, rows in (
        (
            "service",
            "エリアデータ連携基盤に接続しているサービスをすべて。データが複数なら「、」か改行で区切るか、次の行にサービス名を空けて続けます。"
            "提供頻度・提供方法・提供先は外部利用が可能なデータについての回答です（なければ空欄）。",
            _service_rows(existing) if existing is not None else [],
        ),
        (
            "asset",
            "エリアデータ連携基盤に接続しているデータアセットを、なるべくデータ単位で1行に1つ。"
            "提供先サービスには、基盤を介してデータを提供している先を書きます。",
            _asset_rows(existing) if existing is not None else [],
        ),
    ):
        title = SIDE_LABEL[side]
        ws = wb.create_sheet(title)
        put(ws, 1, 1, title).font = Font(bold=True, size=14)
        put(ws, 2, 1, guide)
        cols = columns(side)
        drops = _dropdowns(side, platforms)
        notes = _NOTES if side == "service" else _ASSET_NOTES
        for i, col in enumerate(cols, 1):
            note = put(
                ws, 3, i, notes.get(col.key, "") + ("" if col.template else "（ワークベンチの追加列）")
            )
            note.font = NOTE_FONT
            note.alignment = Alignment(wrap_text=True, vertical="bottom")
            head = put(ws, HEADER_ROW, i, col.header)
            head.font = HEAD_FONT
            head.fill = REQ_FILL if col.required else HEAD_FILL
            head.alignment = Alignment(wrap_text=True, vertical="center")
            ws.column_dimensions[get_column_letter(i)].width = (
                30 if col.is_list or col.key in ("service", "name") else 18
            )
            if col.key in drops and drops[col.key][1]:
                name, values, strict = drops[col.key]
                letter = get_column_letter(i)
                dv = DataValidation(type="list", formula1=lists.formula(name, values), allow_blank=True)
                dv.errorStyle = "stop" if strict else "warning"
                dv.error, dv.errorTitle = "一覧から選んでください", "選択肢にない値"
                dv.showErrorMessage = True
                dv.add(f"{letter}{HEADER_ROW + 1}:{letter}{HEADER_ROW + DATA_ROWS}")
                ws.add_data_validation(dv)
        ws.row_dimensions[3].height = 45
        ws.row_dimensions[HEADER_ROW].height = 45
        ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=2)
        for r, data in enumerate(rows, HEADER_ROW + 1):
            for c, col in enumerate(cols, 1):
                v = _cell_value(col, data.get(col.key))
                if v is not None:
                    put(ws, r, c, v)


def datamap_workbook(prefecture: str, existing: Prefecture | None = None) -> Workbook:
    """A workbook with only the データマップ sheets (and an instructions sheet) for a prefecture."""
    code, name = reference.resolve_prefecture(prefecture)
    existing = office_safe(existing)  # no text can make openpyxl fail (U+FFFF, control characters …)
    wb = Workbook()
    info = wb.active
    info.title = SHEET_INFO
    put(info, 1, 1, f"データマップ（{name}）").font = Font(bold=True, size=14)
    meta = [
        ("都道府県", name),
        ("都道府県コード", code),
        ("回答団体", None),
        ("記入者", None),
        ("記入日", None),
        ("データマップの版", TEMPLATE_VERSION),
    ]
    for r, (k, v) in enumerate(meta, 3):
        put(info, r, 1, k).font = Font(bold=True)
        if v is not None:
            put(info, r, 2, v)
    lines = (
        "デジタル庁「データマップ作成フォーマット」（第1.3版）の2つのシートの項目に沿った記入用ブックです。",
        "サービス側データマップ: 基盤に接続しているサービスをすべて記載します。",
        "データアセット側データマップ: 基盤に接続しているデータアセットを、なるべくデータ単位で記載します。",
        "見出し（4行目）の文字は変えないでください。列の並べ替えや独自の列の追加はかまいません。",
        "「ワークベンチの追加列」は任意です（基盤ID・分野・標準データモデル・個人情報の区分など）。",
    )
    for r, text in enumerate(lines, 3 + len(meta) + 1):
        put(info, r, 1, text)
    info.column_dimensions["A"].width = 18
    info.column_dimensions["B"].width = 40
    lists = Lists(wb)
    add_datamap_sheets(wb, lists, existing)
    wb.move_sheet(SHEET_LISTS, offset=len(wb.sheetnames) - 1 - wb.sheetnames.index(SHEET_LISTS))
    return wb


def write_datamap_sheet(
    path: str | os.PathLike[str], prefecture: str, existing: Prefecture | None = None
) -> Path:
    """Generate :func:`datamap_workbook` and write it atomically."""
    from .files import atomic_write

    target = Path(path)
    atomic_write(target, workbook_bytes(datamap_workbook(prefecture, existing)))
    return target


# --- reading ------------------------------------------------------------------------------------------------


@dataclass
class Grid:
    """The cells of one sheet or CSV file that hold a value: ``value(r, c)`` 1-based; ``merged_value`` gives the
    value a merged range shows in a cell other than its top-left one; ``where(r, c)`` for messages."""

    file: str
    sheet: str
    rows: dict[int, dict[int, Any]]
    formulas: set[tuple[int, int]] = field(default_factory=set)
    unreadable: dict[tuple[int, int], Cell] = field(default_factory=dict)
    merged: list[tuple[int, int, int, int]] = field(
        default_factory=list
    )  # min_col, min_row, max_col, max_row
    csv: bool = False
    hidden: bool = False

    def __post_init__(self) -> None:
        self.last_row = max(self.rows, default=0)
        self.width = max((max(r) for r in self.rows.values() if r), default=0)
        # merged ranges clipped to the cells that hold values (a range spanning XFD1048576 costs nothing)
        by_col: dict[int, list[tuple[int, int, Any]]] = defaultdict(list)
        for c1, r1, c2, r2 in self.merged:
            r2, c2 = min(r2, self.last_row), min(c2, max(self.width, c1))
            if r2 < r1 or (r1 == r2 and c1 >= c2):
                continue
            top = self.value(r1, c1)
            for c in range(c1, c2 + 1):
                by_col[c].append((r1, r2, top))
        self._merged_by_col = {c: sorted(v, key=lambda x: x[0]) for c, v in by_col.items()}
        self._merged_starts = {c: [x[0] for x in v] for c, v in self._merged_by_col.items()}

    def value(self, r: int, c: int) -> Any:
        row = self.rows.get(r)
        return row.get(c) if row else None

    def merged_value(self, r: int, c: int) -> Any:
        """The value of the merged range covering (r, c) when (r, c) is not its top-left cell, else None."""
        starts = self._merged_starts.get(c)
        if not starts:
            return None
        i = bisect.bisect_right(starts, r) - 1
        if i < 0:
            return None
        r1, r2, top = self._merged_by_col[c][i]
        if r > r2 or self.value(r, c) is not None:
            return None
        return top

    def shown(self, r: int, c: int) -> Any:
        """What Excel shows in a cell: its value, or the value of the merged range over it."""
        v = self.value(r, c)
        return v if v is not None else self.merged_value(r, c)

    def where(self, r: int, c: int) -> str:
        if self.csv:
            return f"{r}行目 {get_column_letter(c)}列"
        return f"{self.sheet}!{get_column_letter(c)}{r}"


def _grids_xlsx(path: Path, file: str) -> list[Grid]:
    """Every sheet of a workbook, streamed and capped like the hearing sheets (:mod:`workbench.xlsx_stream`): a
    value far to the right or below, a zip or shared-strings bomb, a DTD, too many merged ranges are located
    refusals; an unreadable cell (a 5,000-digit number) is kept for a located problem."""
    grids = []
    with StreamBook(path) as book:
        for sheet in book.sheetnames:
            rows: dict[int, dict[int, Any]] = {}
            formulas: set[tuple[int, int]] = set()
            unreadable: dict[tuple[int, int], Cell] = {}
            for r, cells in book.rows(sheet):
                vals: dict[int, Any] = {}
                for c, cell in cells.items():
                    if isinstance(cell.value, Unreadable):
                        unreadable[(r, c)] = cell
                        continue
                    if cell.data_type == "f":
                        formulas.add((r, c))
                    vals[c] = cell.value
                if vals:
                    rows[r] = vals
            merged = []
            for ref in book.merged(sheet):
                try:
                    merged.append(range_boundaries(ref))
                except (ValueError, TypeError):
                    continue
            grids.append(
                Grid(file, sheet, rows, formulas, unreadable, merged, hidden=sheet in book.hidden)  # type: ignore[arg-type]
            )
    return grids


def _grid_csv(path: Path, file: str) -> Grid:
    from .tabular import csv_rows, read_text

    text, _ = read_text(path)
    rows: dict[int, dict[int, Any]] = {}
    formulas: set[tuple[int, int]] = set()
    for r, (_line, row) in enumerate(csv_rows(text, file), 1):  # a quote never closed is refused, located
        vals = {c: v for c, v in enumerate(row, 1) if v != ""}
        if vals:
            rows[r] = vals
            formulas.update((r, c) for c, v in vals.items() if v.startswith("="))
    return Grid(file, path.name, rows, formulas, csv=True)


# --- finding the headers ----------------------------------------------------------------------------------------

#: rows searched for the header (a notes block of a dozen rows above it is common)
SCAN_ROWS = 100
_NOTE = re.compile(r"[（(][^（）()]*(?:可|選択|必須|任意|記述|区切|記入|入力|自由)[^（）()]*[）)]")
_PUNCT = re.compile(r"[()\[\]【】「」『』<>＜＞〈〉《》:：・/／、,，.。※*＊~〜～\"'“”‘’]")


@functools.lru_cache(maxsize=4096)
def header_key(text: str) -> str:
    """A header's comparison key: notes such as 「（複数可）」 dropped, width, case and spacing folded, brackets
    and punctuation removed, leading numbering removed — so 「サービスでの取得データ（内部利用のみに限るもの）」, a
    two-level 「サービスでの取得データ」 over 「内部利用のみに限るもの」 and 「①サービス名」 read as the template's."""
    t = _NOTE.sub("", nfkc(text))
    t = _PUNCT.sub("", fold(t))
    return re.sub(r"^(?:no|\d+)(?=\D)", "", t) or t


@functools.cache
def _label_index(side: str) -> dict[str, DmColumn]:
    idx: dict[str, DmColumn] = {}
    for col in columns(side):
        for label in col.labels:
            idx.setdefault(header_key(label), col)
    return idx


def _text(v: Any) -> str | None:
    return v.strip() if isinstance(v, str) and v.strip() else None


def _row_matches(
    grid: Grid, r: int, side: str, twice: list[tuple[int, int, DmColumn]] | None = None
) -> dict[int, DmColumn]:
    """The template columns a row names: each cell's text, a two-level header read with the cell above (a group
    header such as 「サービスでの取得データ」 merged across its columns), a vertically merged header cell by the
    merged range's text. A header written in two cells of its own (not one merged cell) is added to ``twice`` as
    (column, first column, header): which column to import would be a guess."""
    idx = _label_index(side)
    found: dict[int, DmColumn] = {}
    keys: set[str] = set()
    row = grid.rows.get(r, {})
    cols = set(row) | {c for c in range(1, grid.width + 1) if grid.merged_value(r, c) is not None}
    for c in sorted(cols):
        v = _text(row.get(c))
        texts = []
        if v is not None:
            above = _text(grid.shown(r - 1, c))
            if above is not None:
                texts.append(above + v)
            texts.append(v)
        else:
            mv = _text(grid.merged_value(r, c))
            if mv is not None:
                texts.append(mv)
        cols = [col for t in texts if (col := idx.get(header_key(t))) is not None]
        new = next((col for col in cols if col.key not in keys), None)
        if new is not None:
            found[c] = new
            keys.add(new.key)
        elif cols and v is not None and twice is not None:  # a second cell of a header already found here
            first = next(k for k, col in found.items() if col.key == cols[0].key)
            twice.append((c, first, cols[0]))
    return found


def _side_ok(side: str, keys: set[str]) -> bool:
    if side == "service":
        return "service" in keys and bool(keys & {"intake", "internal", "external"})
    return "name" in keys and bool(keys & {"owner", "location", "to"})


@dataclass
class _Header:
    row: int
    found: dict[int, DmColumn]
    template_matches: int  # template columns named in the best row (to tell a data-map sheet from others)
    seen_row: int | None  # the row whose texts are shown when no header is found


def _find_header(grid: Grid, side: str) -> _Header:
    """The header row of a side in a grid (rows 1..SCAN_ROWS). A header over two rows is read as one: the lower
    row's columns and the upper row's for the columns the lower one leaves blank. The row naming the most columns
    wins; on a tie the upper one (so the first data row is never taken for a header)."""
    last = min(grid.last_row, SCAN_ROWS)
    twice: dict[int, list[tuple[int, int, DmColumn]]] = {}  # header row -> (column, first column, header)
    matches = {
        r: _row_matches(grid, r, side, twice.setdefault(r, []))
        for r in range(1, last + 1)
        if r in grid.rows or r - 1 in grid.rows
    }
    best: tuple[int, dict[int, DmColumn]] | None = None
    most, most_row = 0, None
    for r in range(1, last + 1):
        here = matches.get(r, {})
        combined = dict(here)
        keys = {col.key for col in here.values()}
        for c, col in matches.get(r - 1, {}).items():
            if c not in combined and col.key not in keys:
                combined[c] = col
                keys.add(col.key)
        n = sum(col.template for col in combined.values())
        if n > most:
            most, most_row = n, r
        if _side_ok(side, keys) and (best is None or len(combined) > len(best[1])):
            best = (r, combined)
    if best is None:
        return _Header(0, {}, most, most_row)
    if twice.get(best[0]):
        _refuse_twice(grid, best[0], twice[best[0]])
    return _Header(best[0], best[1], most, None)


def _refuse_twice(grid: Grid, r: int, twice: list[tuple[int, int, DmColumn]]) -> None:
    """A header given to two columns of the header row: which column's values to import is unknown (the
    second was dropped silently before)."""
    raise InputError(
        [
            Problem(
                f"見出し「{col.header}」の列が2つあります（{grid.where(r, first)} と {grid.where(r, c)}）。"
                "どちらの値を取り込むか決められないため止めました。どちらか一方にしてください",
                grid.file,
                r,
                f"{grid.where(r, c)} {col.header}",
            )
            for c, first, col in twice
        ]
    )


# --- the rows ---------------------------------------------------------------------------------------------------


@dataclass
class DmRow:
    """One row of a side: values by key, where each came from, and the keys whose column the sheet has (a blank
    cell under such a column clears the value on import)."""

    side: str
    key: str  # service name or asset name as written
    values: dict[str, Any]
    source: Source
    cells: dict[str, Source] = field(default_factory=dict)
    external: list[dict[str, Any]] = field(default_factory=list)
    covered: set[str] = field(default_factory=set)


@dataclass
class DataMapSheets:
    """One filled workbook or CSV file, parsed."""

    file: str
    prefecture_code: str | None
    respondent: str | None
    template_version: str | None
    services: list[DmRow] = field(default_factory=list)
    assets: list[DmRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sheets_read: list[tuple[str, str, int]] = field(default_factory=list)  # (sheet, side, rows)
    sheets_skipped: list[tuple[str, str]] = field(default_factory=list)  # (sheet, why)
    examples: list[tuple[str, list[int]]] = field(default_factory=list)  # (sheet, rows) of 記入例 skipped
    version_where: str | None = None


def _parse(col: DmColumn, raw: Any) -> Any:
    if col.is_list:
        return split_list(nfkc(str(raw)) if col.key in ("method",) else str(raw))
    if col.key == "field":
        return _vocab_code(field_index, raw, "データマップの分野", "datamap_fields")
    if col.key in ("pi_class", "consent"):
        return _vocab_code(functools.partial(vocab_index, col.key), raw, col.header, col.key)
    if col.key == "status":
        return reference.enum_code("status", raw)
    if col.key == "platform":
        return nfkc(str(raw))
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return str(raw)


def _vocab_code(index: Any, raw: Any, what: str, kind: str) -> str:
    try:
        return index()[fold(str(raw))]
    except KeyError:
        if kind == "datamap_fields":
            df = reference.table("datamap_fields.csv")
            allowed = ", ".join(df["label_ja"])
        else:
            df = reference.table("datamap_vocab.csv")
            allowed = ", ".join(df[df["kind"] == kind]["label_ja"])
        raise reference.EnumValueError(f"{str(raw)!r} は{what}にありません", allowed) from None


def _check_headers(
    grid: Grid, side: str, hrow: int, found: dict[int, DmColumn], problems: list[Problem], warnings: list[str]
) -> None:
    """Missing template headers (an error, or a warning for columns the guidebook's table does not have) and
    headers given twice."""
    file = grid.file
    keys = {col.key for col in found.values()}
    for col in columns(side):
        if col.template and not col.both and col.key not in keys:
            warnings.append(
                f"{grid.sheet}: 見出し「{col.header}」がありません（ガイドブック 11.2 の表にない列のため空として扱います）"
            )
        elif col.template and col.key not in keys:
            problems.append(
                Problem(
                    f"{SIDE_LABEL[side]}の見出し「{col.header}」が見つかりません（{grid.sheet} の {hrow} 行目。"
                    f"使える見出し: {'、'.join(col.labels)}）",
                    file,
                    hrow,
                    f"{grid.sheet}!{hrow}行目 {col.header}",
                )
            )
    seen: dict[str, int] = {}
    for c, col in found.items():
        if col.key in seen:
            problems.append(
                Problem(
                    f"見出し「{col.header}」が2つあります（{seen[col.key]}列目と{c}列目）",
                    file,
                    hrow,
                    f"{grid.where(hrow, c)} {col.header}",
                )
            )
        seen.setdefault(col.key, c)


def _cell_problem(grid: Grid, r: int, c: int, raw: Any) -> str | None:
    """Why a cell cannot be read (a formula, control characters, over-long text, mojibake), or None."""
    if (r, c) in grid.formulas or (isinstance(raw, str) and raw.startswith("=") and not grid.csv):
        return "数式は使えません。値を入力してください"
    return text_problem(raw)


_EXAMPLE = re.compile(r"^(?:記入例|記載例|入力例|回答例|[(\[【<]例[)\]】>]|例[):：)\]】])")


class _Layout:
    """The columns of a side in a grid, indexed once for the row loop: the found columns in order, the key
    column, the label columns (such as No.) where a 記入例 mark sits, and the columns a merged range covers."""

    def __init__(self, grid: Grid, side: str, found: dict[int, DmColumn]) -> None:
        self.found = sorted(found.items())
        self.key = next((c for c, col in self.found if col.key == KEY[side]), None)
        self.labels = set(range(1, min(grid.width, 3) + 1)) - set(found)
        self.merged = set(grid._merged_starts)
        self.marked = (self.labels | {self.key}) & self.merged  # merged label cells to look at
        self.found_cols = set(found)
        self.covered = {col.key for col in found.values()}


def _is_example(grid: Grid, r: int, row: dict[int, Any], lay: _Layout) -> bool:
    """A row of the format's 記入例: a label cell of the row (a column such as No. left of the table, a merged
    label spanning the example rows) or its key cell reading 「記入例」「（例）…」「例）…」. Marked rows only:
    the guidebook's example values are data where a prefecture really has them."""
    texts = [v for c, v in row.items() if (c == lay.key or c not in lay.found_cols) and isinstance(v, str)]
    texts += [v for c in lay.marked if isinstance(v := grid.merged_value(r, c), str)]
    for t in texts:
        if "例" in t:
            f = fold(t)
            if f == "例" or _EXAMPLE.match(f):
                return True
    return False


def _row_cells(
    grid: Grid, r: int, row: dict[int, Any], lay: _Layout, respondent: str | None, problems: list[Problem]
) -> tuple[dict[str, Any], dict[str, Source]] | None:
    """The parsed values of one row and the cell each came from; None when a cell has a problem. A blank cell
    inside a merged range (a 提供頻度 merged over a service's item rows) takes the range's value."""
    vals: dict[str, Any] = {}
    srcs: dict[str, Source] = {}
    bad = False
    for c, col in lay.found:
        value = row.get(c)
        if value is None:
            if (r, c) in grid.unreadable:
                p = unreadable_problem(
                    grid.unreadable[(r, c)], grid.file, r, f"{grid.where(r, c)} {col.header}"
                )
                if p is not None:
                    problems.append(p)
                    bad = True
                continue
            value = grid.merged_value(r, c) if c in lay.merged and c != lay.key else None
            if value is None:
                continue
        raw = cell_text(value)
        why = _cell_problem(grid, r, c, raw)
        if why is not None:
            shown = str(value) if (r, c) in grid.formulas else raw
            if why.startswith("文字が長すぎます"):
                shown = None
            problems.append(Problem(why, grid.file, r, f"{grid.where(r, c)} {col.header}", shown))
            bad = True
            continue
        if raw is None:
            continue
        try:
            vals[col.key] = _parse(col, raw)
        except ValueError as err:
            where = f"{grid.where(r, c)} {col.header}"
            problems.append(Problem(str(err), grid.file, r, where, raw, getattr(err, "allowed", None)))
            bad = True
            continue
        srcs[col.key] = Source(grid.file, grid.sheet, r, f"{get_column_letter(c)}{r}", col.header, respondent)
    return None if bad else (vals, srcs)


def _continue(
    current: DmRow, vals: dict[str, Any], srcs: dict[str, Source], ext: list[dict[str, Any]]
) -> None:
    """A row without a service name continues the service above: lists extended, blanks filled."""
    for k, v in vals.items():
        if isinstance(v, list):
            current.values[k] = list(dict.fromkeys([*current.values.get(k, []), *v]))
        elif k not in current.values:
            current.values[k] = v
            current.cells[k] = srcs[k]
    current.external.extend(ext)


def _external_data(
    grid: Grid, r: int, vals: dict[str, Any], respondent: str | None, warnings: list[str]
) -> list:
    """The externally usable data of a service row, each with the row's frequency, method and recipients."""
    ext_names = vals.pop("external", [])
    detail = {k: vals.pop(k) for k in ("frequency", "method", "to", "pi_class", "consent") if k in vals}
    if detail and not ext_names:
        warnings.append(
            f"{grid.sheet} {r}行目: 外部利用が可能なデータがないのに提供頻度・提供方法・提供先があります"
            "（記載要領: 外部利用可能なデータについての回答）"
        )
    return [
        {"name": n, **detail, "_src": Source(grid.file, grid.sheet, r, respondent=respondent)}
        for n in ext_names
    ]


@dataclass
class _SideRead:
    rows: list[DmRow]
    examples: list[int]


def _read_side(
    grid: Grid,
    side: str,
    hrow: int,
    found: dict[int, DmColumn],
    respondent: str | None,
    problems: list[Problem],
    warnings: list[str],
) -> _SideRead:
    file = grid.file
    _check_headers(grid, side, hrow, found, problems, warnings)
    if any(p.file == file and p.line == hrow for p in problems):
        return _SideRead([], [])
    lay = _Layout(grid, side, found)
    out = _SideRead([], [])
    bad_rows = {r for r, _ in grid.unreadable}
    for r in sorted(x for x in grid.rows if x > hrow):
        row = grid.rows[r]
        if r not in bad_rows and all(cell_text(row.get(c)) is None for c in lay.found_cols):
            continue
        if _is_example(grid, r, row, lay):
            out.examples.append(r)
            continue
        cells = _row_cells(grid, r, row, lay, respondent, problems)
        if cells is not None:
            _take_row(grid, side, r, lay, cells, respondent, out.rows, problems, warnings)
    return out


def _take_row(
    grid: Grid,
    side: str,
    r: int,
    lay: _Layout,
    cells: tuple[dict[str, Any], dict[str, Source]],
    respondent: str | None,
    rows: list[DmRow],
    problems: list[Problem],
    warnings: list[str],
) -> None:
    """One parsed row: a new service or asset, or the continuation of the one above (its name left blank, or
    merged over its rows)."""
    vals, srcs = cells
    key = vals.pop(KEY[side], None)
    source = Source(grid.file, grid.sheet, r, respondent=respondent)
    ext = _external_data(grid, r, vals, respondent, warnings) if side == "service" else []
    if key is not None:
        rows.append(DmRow(side, str(key), vals, source, srcs, ext, covered=lay.covered))
    elif rows and (side == "service" or grid.merged_value(r, lay.key or 0) is not None):
        _continue(rows[-1], vals, srcs, ext)
    else:
        what = (
            "サービス名がありません（最初のデータ行）"
            if side == "service"
            else "データアセット名がありません"
        )
        header = "サービス名" if side == "service" else "データアセット名"
        problems.append(Problem(what, grid.file, r, f"{grid.sheet}!{r}行目 {header}"))


def _info(
    grids: list[Grid], code: str | None, file: str, problems: list[Problem]
) -> tuple[Any, str | None, str | None]:
    """The workbench's own 説明 sheet: who answered, the template's version and the prefecture (checked against
    the one asked for). Returns (respondent, version, prefecture code)."""
    info = next((g for g in grids if g.sheet == SHEET_INFO and not g.csv), None)
    if info is None:
        return None, None, code
    labels = {
        fold(str(row[1])): row.get(2)
        for r, row in sorted(info.rows.items())
        if r <= 40 and row.get(1) is not None
    }
    wb_code = labels.get(fold("都道府県コード")) or labels.get(fold("都道府県"))
    if wb_code is not None:
        found = _book_prefecture(wb_code)
        if code is not None and found is not None and found != code:
            problems.append(
                Problem(
                    f"このブックは{reference.resolve_prefecture(found)[1]}のものです（取り込み先は{reference.resolve_prefecture(code)[1]}）",
                    file,
                    1,
                    f"{SHEET_INFO} 都道府県コード",
                    found,
                )
            )
        code = code or found
    respondent = cell_text(labels.get(fold("回答団体")))
    version = cell_text(labels.get(fold("データマップの版")))
    if version is not None:
        version = _version_text(str(version).removeprefix("第").removesuffix("版"))
    return respondent, version, code


def _book_prefecture(value: Any) -> str | None:
    try:
        return reference.resolve_prefecture(str(value))[0]
    except KeyError:
        return None


_HISTORY_ENTRY = re.compile(r"^第\s*(\d+(?:\.\d+)?)\s*版")
_VERSION_ANY = re.compile(r"(?:第\s*(\d+\.\d+)\s*版|(?:ver|version|バージョン)\.?\s*(\d+(?:\.\d+)?))", re.I)
_VERSION_FILE = re.compile(r"[_\-\s](?:v|ver)?(\d+\.\d+)(?=\.[a-z]+$)", re.I)


def _version_text(v: str) -> str:
    v = nfkc(v)
    return v if "." in v else f"{v}.0"


def _template_version(grids: list[Grid], file: str) -> tuple[str | None, str | None]:
    """The format's version a workbook carries, and where it was read: the latest entry of the 改訂履歴 on its
    記載要領 (「第1.3版　令和8年4月3日」), else a 「第1.3版」/「ver1.3」 in the top rows of a sheet, else the file
    name (…_1.3.xlsx, as the Digital Agency names the format's file)."""
    sheets = [g for g in grids if not g.csv]
    for g in sheets:
        found = _history_versions(g)
        if found:
            return max(found, key=_version_order), f"{g.sheet}の改訂履歴"
    for g in sheets:
        for r in sorted(g.rows)[:10]:
            for v in g.rows[r].values():
                t = _text(v)
                m = _VERSION_ANY.search(nfkc(t)) if t and "データマップ" in t else None
                if m:
                    return _version_text(m.group(1) or m.group(2)), f"{g.sheet}の表題"
    m = _VERSION_FILE.search(Path(file).name)
    if m:
        return _version_text(m.group(1)), "ファイル名"
    return None, None


def _history_versions(g: Grid) -> list[str]:
    """The versions listed after a 「改訂履歴」 cell of a sheet (「第1.3版　令和8年4月3日」 → 1.3)."""
    history_at = None
    found: list[str] = []
    for r in sorted(g.rows)[:200]:
        for _, v in sorted(g.rows[r].items()):
            t = _text(v)
            if t is None:
                continue
            if "改訂履歴" in t:
                history_at = r
            elif history_at is not None and (m := _HISTORY_ENTRY.match(nfkc(t))):
                found.append(_version_text(m.group(1)))
    return found


def _version_order(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", v))


#: sheets of the workbench's own workbooks that are not a data-map side (the hearing workbook holds both)
_OWN_SHEETS = {SHEET_INFO, SHEET_LISTS, "市区町村", "基盤", "サービス"}


def _looks_like_datamap(grid: Grid, heads: dict[str, _Header]) -> str | None:
    """The side a sheet seems meant to be although its headers were not found (two or more of the template's
    column names in one row, or a sheet name of the format), else None."""
    name = fold(grid.sheet)
    if grid.sheet in _OWN_SHEETS:
        return None
    by_name = (
        "service"
        if "サービス側" in name
        else "asset"
        if ("アセット側" in name or "データセット側" in name)
        else None
    )
    side = max(heads, key=lambda s: heads[s].template_matches)
    if heads[side].template_matches >= 2:
        return by_name or side
    return by_name


def _not_found(grid: Grid, side: str, head: _Header) -> Problem:
    """A data-map sheet whose headers were not found: the sheet, where it looked, the headers seen, the wording
    expected."""
    r = head.seen_row
    if r is None:  # nothing the template names: show the first row holding several texts
        r = next((x for x in sorted(grid.rows) if x <= SCAN_ROWS and len(grid.rows[x]) >= 2), None)
    seen = [str(_text(v)) for _, v in sorted(grid.rows.get(r, {}).items()) if _text(v)] if r else []
    shown = "、".join(f"「{t}」" for t in seen[:10]) + ("…" if len(seen) > 10 else "") or "なし"
    need = [c for c in columns(side) if c.key == KEY[side] or (c.template and c.both)][:3]
    expected = "、".join(f"「{c.header}」（{'・'.join(c.labels[1:5]) or '—'} も可）" for c in need)
    return Problem(
        f"{SIDE_LABEL[side]}の見出しを読み取れません（1〜{min(max(grid.last_row, 1), SCAN_ROWS)} 行目を探しました。"
        f"見つかった見出し{f'（{r}行目）' if r else ''}: {shown}。必要な見出し: {expected} など）",
        grid.file,
        r or 1,
        f"{grid.sheet}!{r or 1}行目",
    )


def read_datamap(path: str | os.PathLike[str], *, prefecture: str | None = None) -> DataMapSheets:
    """Parse a filled データマップ: an xlsx workbook (any sheets whose headers are those of a side) or a CSV
    file of one side (UTF-8 or CP932). Raises :class:`InputError` with every problem located as file, row and
    ``field = "シート!セル 見出し"``; a mistake repeated on many rows is said once with its rows.

    No sheet is skipped silently: a sheet that looks like a side (the format's sheet name, or two of its column
    names in a row) whose headers are not found is an error naming the sheet, the rows searched, the headers
    seen and the wording expected; other sheets are listed in ``sheets_skipped``. The format's 記入例 rows are
    skipped and listed in ``examples``."""
    file = str(path)
    p = existing_file(path)
    grids = [_grid_csv(p, file)] if p.suffix.lower() in (".csv", ".txt") else _grids_xlsx(p, file)
    problems: list[Problem] = []
    warnings: list[str] = []
    code = reference.resolve_prefecture(prefecture)[0] if prefecture is not None else None
    respondent, version, code = _info(grids, code, file, problems)
    where = SHEET_INFO if version else None
    if version is None:
        version, where = _template_version(grids, file)
    out = DataMapSheets(file, code, str(respondent) if respondent else None, version, version_where=where)
    for g in grids:
        if not (g.sheet == SHEET_LISTS and not g.csv):
            _read_grid(g, out, respondent, problems, warnings)
    if not out.sheets_read and not problems:
        sheets = "、".join(g.sheet for g in grids)
        problems.append(
            Problem(
                "データマップのシートが見つかりません（見出し「サービス名」と「サービスへの取込データ」などのある"
                f"サービス側、または「データアセット名」と「データの所管元」などのあるデータアセット側。シート: {sheets}）",
                file,
                1,
                "シート",
            )
        )
    if problems:
        raise InputError(group_problems(problems))
    out.warnings = warnings
    return out


def _read_grid(
    g: Grid, out: DataMapSheets, respondent: str | None, problems: list[Problem], warnings: list[str]
) -> None:
    """One sheet: read as the side(s) whose headers it has; otherwise an error when it looks like a side, or
    listed as a sheet not read."""
    heads = {side: _find_header(g, side) for side in ("service", "asset")}
    hits = [side for side in ("service", "asset") if heads[side].found]
    for side in hits:
        got = _read_side(g, side, heads[side].row, heads[side].found, respondent, problems, warnings)
        (out.services if side == "service" else out.assets).extend(got.rows)
        out.sheets_read.append((g.sheet, side, len(got.rows)))
        if got.examples:
            out.examples.append((g.sheet, got.examples))
        for (r, c), cell in g.unreadable.items():  # unreadable cells outside the columns read
            if r > heads[side].row and c not in heads[side].found:
                p = unreadable_problem(cell, g.file, r, g.where(r, c))
                problems.extend([p] if p is not None else [])
    if hits:
        return
    side = _looks_like_datamap(g, heads)
    if side is not None:
        problems.append(_not_found(g, side, heads[side]))
    elif g.rows:
        why = "データマップの見出しがありません" if g.sheet not in _OWN_SHEETS else "記入用ブックの別のシート"
        out.sheets_skipped.append((g.sheet, why))


# --- one line for a mistake repeated on many rows -----------------------------------------------------------------

_ROW_IN_FIELD = re.compile(r"!([A-Z]{1,3})\d+|!\d+行目|^\d+行目\s*")


def _column_of(where: str) -> str:
    """A problem's field without its row: 「シート!H6 提供先」→「シート!H列 提供先」, 「シート!6行目 サービス名」→
    「シート サービス名」, a CSV's 「6行目 A列 提供先」→「A列 提供先」."""
    return _ROW_IN_FIELD.sub(lambda m: f"!{m.group(1)}列" if m.group(1) else "", where).strip()


def _rows_text(lines: list[int]) -> str:
    """5–7、9、12–200,003 行目 (runs of consecutive rows joined; at most 6 runs shown)."""
    runs: list[list[int]] = []
    for n in sorted(set(lines)):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    parts = [f"{a:,}" if a == b else f"{a:,}–{b:,}" for a, b in runs[:6]]
    return "、".join(parts) + (f" ほか {len(runs) - 6:,} か所" if len(runs) > 6 else "") + " 行目"


def group_problems(problems: list[Problem]) -> list[Problem]:
    """Problems that differ only by their row (the same message under the same column of the same sheet) said
    once: 「…（同じ誤り 199,999 行: 5–200,003 行目）」, located at the first row, the value of the first shown."""
    groups: dict[tuple[Any, ...], list[Problem]] = {}
    for p in problems:
        where = _column_of(p.field) if p.field else ""
        groups.setdefault((p.file, p.message, where, p.allowed), []).append(p)
    out = []
    for (_, message, where, _), ps in groups.items():
        first = ps[0]
        lines = [p.line for p in ps if p.line is not None]
        if len(ps) == 1 or len(set(lines)) <= 1:
            out.append(first)
            continue
        same = all(p.value == first.value for p in ps)
        out.append(
            Problem(
                f"{message}（同じ誤り {len(ps):,} 行: {_rows_text(lines)}）",
                first.file,
                first.line,
                where or first.field,
                first.value if same or first.value is None else f"{first.value} など",
                first.allowed,
            )
        )
    return out


# --- merging and importing --------------------------------------------------------------------------------------


def _some(names: Sequence[str], n: int = 3) -> str:
    """「A、B、C ほか 12 件」: a few names and a count, never a long list."""
    names = list(dict.fromkeys(names))
    shown = "、".join(names[:n])
    return shown + (f" ほか {len(names) - n:,} 件" if len(names) > n else "")


@dataclass
class DataMapImport:
    """What an import did (:meth:`summary` is printed after every import)."""

    path: Path
    added_services: list[str]
    services: list[str]
    assets_added: list[str]
    assets_updated: list[str]
    files: list[str]
    warnings: list[str]
    changed: bool = True
    assets_removed: list[str] = field(default_factory=list)
    assets_unchanged: int = 0
    services_removed: list[str] = field(default_factory=list)
    kept_missing: list[str] = field(default_factory=list)
    cleared: int = 0
    platforms: dict[str, int] = field(default_factory=dict)  # how each asset's platform was known -> count
    systems: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    sheets_read: list[str] = field(default_factory=list)
    sheets_skipped: list[str] = field(default_factory=list)
    version: str | None = None
    version_where: str | None = None
    names: dict[str, str] = field(default_factory=dict)  # id -> name, for the summary
    flows: dict[str, int] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    scope: list[str] = field(default_factory=list)  # the platforms whose rows the workbooks are the truth for
    prefecture: Any = None  # the prefecture as imported (written unless dry_run or unchanged)

    def analysed(self, res: Any) -> DataMapImport:
        """The data map's analysis of the imported file (:func:`workbench.datamap.datamap`) added to the summary:
        flows through the platform / direct / of unknown route, and what the workbooks left unknown."""
        routes: dict[str, int] = {"all": len(res.flows)}
        for f in res.flows:
            routes[f.route] = routes.get(f.route, 0) + 1
        unknown = []
        no_field = [s for s in res.services if s.in_data_map and s.field is None]
        if no_field:
            unknown.append(f"分野が分からないサービス {len(no_field):,} 件（分野をまたぐかは不明）")
        no_model = [a for a in res.assets if a.level == "unknown"]
        if no_model:
            unknown.append(f"標準データモデルの記載がないデータアセット {len(no_model):,} 件（準拠率は不明）")
        unresolved = sum(len(s.unresolved) for s in res.services)
        if unresolved:
            unknown.append(
                f"データアセットと対応しない取込データ {unresolved:,} 件（基盤経由か直接かは不明）"
            )
        if routes.get("unknown"):
            unknown.append(f"提供先サービスの記載がなく経路が分からない流れ {routes['unknown']:,} 件")
        self.flows, self.unknown = routes, unknown
        return self

    def summary(self) -> str:
        """Counts, a few names, what stayed unknown: what staff need to trust the import (never 200 ids)."""
        lines = [f"{self.path} に {len(self.files)} 件のファイルからデータマップを取り込みました"]
        if not self.changed:
            lines.append("変更はありません（ファイルは書き換えていません）")
        lines.append(
            "データマップ作成フォーマットの版: "
            + (
                f"第{self.version}版（{self.version_where}から）"
                if self.version
                else "不明（ブックに記載が見つかりません）"
            )
        )
        for title, items in (
            ("読んだシート", self.sheets_read),
            ("読まなかったシート", self.sheets_skipped),
            ("記入例として読み飛ばした行", self.examples),
        ):
            if items:
                lines.append(f"{title}: " + "、".join(items))
        lines += self._rows_lines() + self._basis_lines()
        if self.unknown:
            lines.append("分からないこと: " + "、".join(self.unknown))
        lines += [f"注意: {w}" for w in self.warnings]
        return "\n".join(lines)

    def _named(self, ids: list[str]) -> str:
        return _some([self.names.get(i, i) for i in ids])

    def _rows_lines(self) -> list[str]:
        """What happened to the rows: services, assets, the sync's scope, what was kept, cleared cells."""
        svc = f"サービス側: {len(self.services):,} 件"
        if self.added_services:
            svc += f"（台帳に追加 {len(self.added_services):,} 件: {self._named(self.added_services)}）"
        lines = [svc]
        if self.services_removed:
            lines.append(
                f"  ブックにないためデータマップから外したサービス: {len(self.services_removed):,} 件"
                f"（{self._named(self.services_removed)}。サービスの台帳には残ります）"
            )
        lines.append(
            f"データアセット側: 追加 {len(self.assets_added):,} 件、更新 {len(self.assets_updated):,} 件、"
            f"変更なし {self.assets_unchanged:,} 件、削除 {len(self.assets_removed):,} 件"
            + (f"（{self._named(self.assets_removed)}）" if self.assets_removed else "")
        )
        if self.scope:
            lines.append(
                "同期した範囲: "
                + "、".join(self.scope)
                + "（この基盤のサービス・データアセットでブックにない行はデータマップから外します）"
            )
        if self.kept_missing:
            lines.append(
                f"  ブックにないが残したもの（--keep-missing）: {len(self.kept_missing):,} 件"
                f"（{self._named(self.kept_missing)}）"
            )
        if self.cleared:
            lines.append(f"空欄にした項目: {self.cleared:,} か所（ブックで消された値）")
        return lines

    def _basis_lines(self) -> list[str]:
        """Where the platforms came from, the external systems, the flows of the data map written."""
        how = {
            "column": "基盤IDの列",
            "option": "--platform の指定",
            "existing": "前回の取り込み（同じ名前のデータアセット）",
            "inferred": "提供先サービスの基盤から推定",
            "single": "ファイルにある唯一の基盤",
        }
        lines = []
        if self.platforms:
            lines.append(
                "データアセットの基盤: "
                + "、".join(f"{how[k]} {v:,} 件" for k, v in self.platforms.items() if v)
            )
        if self.systems:
            lines.append(
                f"サービスの台帳にない提供先（外部のシステムとして記録）: {len(self.systems):,} 件（{_some(self.systems)}）"
            )
        if self.flows:
            f = self.flows
            lines.append(
                f"データの流れ: {f.get('all', 0):,} 件（基盤経由 {f.get('platform', 0):,}、個別の取込 {f.get('direct', 0):,}"
                + (f"、経路不明 {f['unknown']:,}" if f.get("unknown") else "")
                + "）"
            )
        return lines


def _merge_row(
    have: DmRow, row: DmRow, kind: str, preferred: set[str], on_conflict: str, conflicts: list[Conflict]
) -> None:
    """A row met again in another file: new values taken, lists joined; a different value is taken from a
    preferred file, kept with ``first``, else a conflict."""
    have.external.extend(
        x for x in row.external if fold(x["name"]) not in {fold(e["name"]) for e in have.external}
    )
    have.covered |= row.covered
    for key, value in row.values.items():
        src = row.cells.get(key, row.source)
        old = merge_value(have, key, value, src, preferred, on_conflict, isinstance(value, list))
        if old is not None:
            conflicts.append(Conflict(kind, row.key, key, old, have.values[key], src, value))


def _merge(
    files: list[DataMapSheets], prefer: Sequence[str | os.PathLike[str]], on_conflict: str
) -> tuple[dict[str, DmRow], dict[tuple[str, str], DmRow], list[Conflict]]:
    """The rows of every file merged: services by name, assets by name (and 基盤ID where the sheet has one)."""
    preferred = {os.path.realpath(str(p)) for p in prefer}
    svc: dict[str, DmRow] = {}
    ast: dict[tuple[str, str], DmRow] = {}
    conflicts: list[Conflict] = []
    copied: set[int] = set()
    for f in files:
        for kind, rows, target, keyf in (
            (SHEET_SERVICE, f.services, svc, lambda r: fold(r.key)),
            (SHEET_ASSET, f.assets, ast, lambda r: (str(r.values.get("platform") or ""), fold(r.key))),
        ):
            for row in rows:
                k = keyf(row)
                have = target.get(k)
                if have is None:
                    target[k] = row  # copied only if another row is merged into it
                    continue
                if id(have) not in copied:
                    have = target[k] = DmRow(
                        have.side,
                        have.key,
                        dict(have.values),
                        have.source,
                        dict(have.cells),
                        list(have.external),
                        set(have.covered),
                    )
                    copied.add(id(have))
                _merge_row(have, row, kind, preferred, on_conflict, conflicts)
    return svc, ast, conflicts


def import_datamap(
    files: Sequence[str | os.PathLike[str]],
    into: str | os.PathLike[str],
    *,
    platform: str | None = None,
    prefer: Sequence[str | os.PathLike[str]] = (),
    on_conflict: str = "fail",
    dry_run: bool = False,
    keep_missing: bool = False,
) -> DataMapImport:
    """Read, merge and write filled データマップ files into an existing prefecture file's ``data_map:``.

    The workbooks are the truth for what they cover, so a re-import is a sync: a value given replaces the file's,
    a cell left blank under a column the sheet has clears the value, and the rows of the platforms a workbook
    covers that it no longer lists are removed from the data map (``keep_missing`` keeps them; the summary lists
    both). Services are matched by name or id to the file's ``services:``; an unknown one is added to its
    platform (the row's 基盤ID or ``platform``; otherwise an error naming the cell). An asset's platform is the
    row's 基盤ID, else ``platform``, else the one it had, else the platform of its 提供先 services, else the
    file's only platform; when none of these tells, the import asks for ``platform``. Assets keep their ids
    (matched by platform and name); new ones get ``<platform>-a001`` …. A 提供先 naming no service is kept as an
    external system (guidebook 11.2: 「サービスやシステム」).

    Only ``data_map:`` is rewritten (and ``services:`` when a service was added); nothing is written when any
    file has a problem, when a conflict is unresolved, when the result does not validate, or when the prefecture
    file changed on disk since it was read.
    """
    from .inventory import yamlio

    if on_conflict not in ("fail", "first"):
        raise ValueError(on_conflict)
    target = Path(into)
    pref = yamlio.load(target)
    if platform is not None and platform not in {p.id for p in pref.platforms}:
        raise InputError.single(
            f"不明な基盤IDです（既知: {', '.join(p.id for p in pref.platforms) or 'なし'}）",
            file="<コマンドライン>",
            line=1,
            field="--platform",
            value=platform,
        )
    parsed = _read_all(files, pref.code)
    svc_rows, asset_rows, conflicts = _merge(parsed, prefer, on_conflict)
    if conflicts:
        raise InputError([c.problem() for c in conflicts])
    imp = _Import(pref, platform, keep_missing)
    imp.match_services(svc_rows)
    imp.service_rows(svc_rows)
    imp.asset_rows(asset_rows)
    if imp.problems:
        raise InputError(group_problems(imp.problems))
    versions = {f.template_version for f in parsed if f.template_version}
    new_pref = imp.validated(target, versions, svc_rows)
    warnings = list(dict.fromkeys(w for f in parsed for w in f.warnings))
    if len(versions) > 1:
        warnings.append(
            f"データマップの版が混在しています: {', '.join(sorted(versions, key=_version_order))}"
        )
    result = imp.result(target, parsed, [str(f) for f in files], warnings, new_pref)
    result.changed = not (new_pref.services == pref.services and new_pref.data_map == pref.data_map)
    if not result.changed:
        return result  # nothing to write: the file stays byte-identical (no .bak either)
    _write_import(pref, new_pref, target, result, dry_run)
    return result


def _write_import(
    pref: Prefecture, new_pref: Prefecture, target: Path, result: DataMapImport, dry: bool
) -> None:
    """Write the imported services and data map into the file (only those sections), or with ``dry`` run every
    check of that write (the file's caps, the save's read-back) and write nothing."""
    from .inventory import yamlio

    sections = ["data_map"] + (["services"] if new_pref.services != pref.services else [])
    too_big = _over_file_caps(new_pref, result)
    try:
        if too_big is not None:
            raise InputError.single(too_big, file=str(target))
        if dry:
            candidate = pref.model_copy()
            candidate.services, candidate.data_map = new_pref.services, new_pref.data_map
            yamlio.checked_yaml(candidate, target, sections)
            return
        pref.services = new_pref.services
        pref.data_map = new_pref.data_map
        yamlio.save(pref, sections=sections)
    except InputError as err:
        if type(err) is InputError and any(
            "多すぎます" in p.message or "大きすぎます" in p.message for p in err.problems
        ):
            raise InputError(
                [
                    Problem(
                        "取り込んだ結果が都道府県ファイルの上限を超えるため、書き込みませんでした（"
                        + p.message.rstrip("。")
                        + f"。サービスの追加 {len(result.added_services):,} 件、データアセット "
                        f"{len(new_pref.data_map.assets) if new_pref.data_map else 0:,} 件）",
                        str(target),
                        None,
                    )
                    for p in err.problems
                ]
            ) from None
        raise


def _over_file_caps(pref: Any, result: DataMapImport) -> str | None:
    """Whether the prefecture file to write would pass the loader's caps (elements, bytes), counted on the plain
    data before the slow YAML round trip; the message, or None."""
    from .inventory import yamlio

    data = yamlio.dump_data(pref)
    nodes, size, stack = 0, 0, [data]
    while stack:
        x = stack.pop()
        nodes += 1
        if isinstance(x, dict):
            nodes += len(x)
            stack.extend(x.values())
        elif isinstance(x, list):
            stack.extend(x)
        else:
            size += len(str(x).encode()) + 4
    if nodes > yamlio.MAX_NODES:
        return f"ファイルの要素が多すぎます（{yamlio.MAX_NODES:,} を超えます）"
    if size > yamlio.MAX_BYTES:
        return f"ファイルが大きすぎます（{yamlio.MAX_BYTES:,} バイトを超えます）"
    return None


def _read_all(files: Sequence[str | os.PathLike[str]], code: str) -> list[DataMapSheets]:
    """Every file read; the problems of all of them in one error."""
    parsed: list[DataMapSheets] = []
    problems: list[Problem] = []
    for f in files:
        try:
            parsed.append(read_datamap(f, prefecture=code))
        except InputError as err:
            problems.extend(err.problems)
    if problems:
        raise InputError(problems)
    return parsed


@functools.lru_cache(maxsize=256)
def _from_file(file: str) -> str:
    return f"データマップ（{Path(file).name}）"


def _from(row: DmRow) -> str:
    return _from_file(row.source.file)


#: the asset keys a sheet may give (cleared when the sheet has the column and the cell is blank)
_ASSET_KEYS = ("owner", "location", "frequency", "method", "to", "field", "model", "pi_class", "notes")
_SERVICE_KEYS = ("field", "status", "intake", "internal", "notes")
_ITEM_KEYS = ("frequency", "method", "to", "pi_class", "consent")


class _AssetIndex:
    """The file's assets by (platform, name) and, for assets imported before without a platform, by name."""

    def __init__(self, assets: list[dict[str, Any]]) -> None:
        self.by_key = {(str(a.get("platform") or ""), fold(a["name"])): a for a in assets}
        self.loose: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for a in assets:
            if not a.get("platform"):
                self.loose[fold(a["name"])].append(a)

    def find(self, platform: str, name: str) -> dict[str, Any] | None:
        a = self.by_key.get((platform, fold(name)))
        if a is None:  # imported before without a platform: the same asset
            loose = self.loose.get(fold(name), [])
            a = loose[0] if len(loose) == 1 else None
        return a

    def add(self, platform: str, a: dict[str, Any]) -> None:
        self.by_key[(platform, fold(a["name"]))] = a


class _Import:
    """The merged rows written into the prefecture file's services and ``data_map:`` (plain data, validated at
    the end); problems collected with the cell they come from."""

    def __init__(self, pref: Any, platform: str | None, keep_missing: bool = False) -> None:
        from .inventory import yamlio

        self.pref, self.platform, self.keep_missing = pref, platform, keep_missing
        self.base = yamlio.dump_data(pref)
        self.services = [dict(s) for s in self.base.get("services", [])]
        self.dm = dict(self.base.get("data_map") or {})
        self.names = ServiceNames(pref)
        self.taken = {s["id"] for s in self.services}
        self.counters: dict[str, int] = {}
        self.problems: list[Problem] = []
        self.added_services: list[str] = []
        self.added_assets: list[str] = []
        self.updated_assets: list[str] = []
        self.unchanged_assets = 0
        self.removed_assets: list[str] = []
        self.removed_services: list[str] = []
        self.kept_missing: list[str] = []
        self.cleared = 0
        self.how: dict[str, int] = {}
        self.scope: set[str] = set()
        self.systems: dict[str, str] = {}  # folded -> name as first written
        self.name_to_id: dict[str, str] = {}
        self.asset_src: dict[str, DmRow] = {}
        self.platform_of = {s["id"]: s["platform"] for s in self.services}
        self.asset_names: dict[str, str] = {}

    def new_id(self, prefix: str) -> str:
        """The next free ``<prefix>NNN``: a counter per prefix, so allocating n ids costs n steps, not n²."""
        k = self.counters.get(prefix, 0)
        while True:
            k += 1
            candidate = f"{prefix}{k:03d}"
            if candidate not in self.taken:
                break
        self.counters[prefix] = k
        self.taken.add(candidate)
        return candidate

    def match_services(self, svc_rows: dict[str, DmRow]) -> None:
        """Each service side row matched to the file's services by name or id, or added to its platform."""
        for key, row in svc_rows.items():
            sid = self.names.resolve(row.key)
            if sid is None:
                sid = self._add_service(row)
                if sid is None:
                    continue
            self.name_to_id[key] = sid
        self.all_names = {fold(s["name"]): s["id"] for s in self.services} | {
            fold(s["id"]): s["id"] for s in self.services
        }

    def _add_service(self, row: DmRow) -> str | None:
        plat = row.values.get("platform") or self.platform
        if plat is None:
            self.problems.append(
                Problem(
                    "サービスの台帳にないサービスです（取り込むときに基盤（--platform）を指定すると新しいサービスとして追加します）",
                    row.source.file,
                    row.source.row,
                    f"{row.source.sheet}!{row.source.row}行目 サービス名",
                    row.key,
                )
            )
            return None
        sid = self.new_id(f"{plat}-s")
        self.services.append({"id": sid, "name": row.key, "platform": plat, "source": _from(row)})
        self.platform_of[sid] = plat
        self.added_services.append(sid)
        return sid

    def targets(self, values: list[str]) -> list[str]:
        """提供先 as service ids; a name that is no service is kept as written, as an external system (guidebook
        11.2 提供先サービス: 「別のどのようなサービスやシステムで利活用されるか」)."""
        out = []
        for v in values:
            sid = self.all_names.get(fold(v))
            if sid is not None:
                out.append(sid)
            else:
                out.append(self.systems.setdefault(fold(v), v))
        return list(dict.fromkeys(out))

    def _external(self, row: DmRow, old: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The externally usable data of a service row over what the file had (by name): the item's columns the
        sheet has are the workbook's (blank clears), the rest (an id, a model) kept."""
        old_ext = {fold(e["name"]): e for e in old}
        ext = []
        for e in row.external:
            item = dict(old_ext.get(fold(e["name"]), {}))
            item["name"] = e["name"]
            for k in _ITEM_KEYS:
                if e.get(k):
                    item[k] = self.targets(e[k]) if k == "to" else e[k]
                elif k in row.covered and k in item:
                    del item[k]
                    self.cleared += 1
            ext.append(item)
        return ext

    def service_rows(self, svc_rows: dict[str, DmRow]) -> None:
        """The service side: a value given replaces the file's, a blank cell under a column of the sheet clears
        it; rows of covered platforms the workbooks no longer list are removed (unless kept)."""
        old_rows = {self.names.resolve(r["service"]) or r["service"]: r for r in self.dm.get("services", [])}
        new_rows: dict[str, dict[str, Any]] = dict(old_rows)
        seen: set[str] = set()
        for key, row in svc_rows.items():
            sid = self.name_to_id.get(key)
            if sid is not None:
                seen.add(sid)
                new_rows[sid] = self._service_row(sid, row, old_rows.get(sid))
        if svc_rows:
            covered = {self.platform_of.get(s) for s in seen} | ({self.platform} if self.platform else set())
            self.scope |= {c for c in covered if c}
            for sid in [s for s in new_rows if s not in seen and self.platform_of.get(s) in covered]:
                if self.keep_missing:
                    self.kept_missing.append(sid)
                else:
                    del new_rows[sid]
                    self.removed_services.append(sid)
        self.dm["services"] = list(new_rows.values())

    def _service_row(self, sid: str, row: DmRow, old: dict[str, Any] | None) -> dict[str, Any]:
        """One service's row over what the file had."""
        r = dict(old or {"service": sid})
        r["service"] = sid
        for k in _SERVICE_KEYS:
            if k in row.values:
                r[k] = row.values[k]
            elif k in row.covered and k in r:
                del r[k]
                self.cleared += 1
        if row.external or "external" in row.covered:
            if not row.external and r.get("external"):
                self.cleared += 1
            r["external"] = self._external(row, r.get("external", []))
            if not r["external"]:
                del r["external"]
        if old is None:
            r.setdefault("source", _from(row))
        return r

    def _asset_platform(self, row: DmRow, column: str, old: list[dict[str, Any]]) -> tuple[str | None, str]:
        """Where an asset row's platform comes from (module docstring of :func:`import_datamap`)."""
        if column:
            return column, "column"
        if self.platform:
            return self.platform, "option"
        same = {a.get("platform") for a in old if fold(a["name"]) == fold(row.key) and a.get("platform")}
        if len(same) == 1:
            return same.pop(), "existing"
        to = [self.all_names.get(fold(v)) for v in row.values.get("to", [])]
        plats = sorted({self.platform_of[t] for t in to if t in self.platform_of})
        if len(plats) == 1:
            return plats[0], "inferred"
        if len(self.pref.platforms) == 1:
            return self.pref.platforms[0].id, "single"
        names = {p.id: p.name for p in self.pref.platforms}
        if plats:
            why = "提供先サービスが複数の基盤にあります"
            value = f"{row.key}（提供先の基盤: " + "、".join(f"{names[p]}＝{p}" for p in plats) + "）"
        else:
            why = "基盤IDの列がなく、提供先サービスからも分かりません"
            value = row.key
        known = "、".join(f"{p.id}＝{p.name}" for p in self.pref.platforms)
        self.problems.append(
            Problem(
                f"データアセットがどの基盤に接続しているか分かりません: {why}。"
                f"--platform 基盤ID で指定するか、基盤IDの列を加えてください（基盤: {known}）",
                row.source.file,
                row.source.row,
                f"{row.source.sheet}!{row.source.row}行目 データアセット名",
                value,
            )
        )
        return None, ""

    def asset_rows(self, asset_rows: dict[tuple[str, str], DmRow]) -> None:
        """The asset side: matched by platform and name (ids kept), new ones get ids ``<platform>-a001`` …;
        a blank cell under a column of the sheet clears the value; assets of covered platforms the workbooks no
        longer list are removed (unless kept)."""
        old_assets = [dict(a) for a in self.dm.get("assets", [])]
        self.taken |= {a["id"] for a in old_assets}
        index = _AssetIndex(old_assets)
        matched: dict[str, DmRow] = {}
        covered: set[str] = {self.platform} if self.platform else set()
        for (column, _), row in asset_rows.items():
            plat, how = self._asset_platform(row, column, old_assets)
            if plat is None:
                continue
            self.how[how] = self.how.get(how, 0) + 1
            covered.add(plat)
            a = index.find(plat, row.key)
            if a is not None and a["id"] in matched:
                self._twice(row, matched[a["id"]])
                continue
            a = self._asset(a, plat, row, index, old_assets)
            matched[a["id"]] = row
        if asset_rows:
            self.scope |= covered
        kept = []
        for a in old_assets:
            self.asset_names[a["id"]] = a["name"]
            if a["id"] in matched or a.get("platform") not in covered or not asset_rows:
                kept.append(a)
            elif self.keep_missing:
                self.kept_missing.append(a["id"])
                kept.append(a)
            else:
                self.removed_assets.append(a["id"])
        self.dm["assets"] = kept
        if self.systems:
            have = {fold(s["name"]) for s in self.dm.get("systems", [])}
            self.dm["systems"] = list(self.dm.get("systems", [])) + [
                {"name": n} for k, n in self.systems.items() if k not in have
            ]

    def _asset(
        self, a: dict[str, Any] | None, plat: str, row: DmRow, index: _AssetIndex, old: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """One asset row written over the asset it matched (or a new one): columns of the sheet replace or
        clear; the id stays."""
        new = a is None
        if a is None:
            a = {"id": self.new_id(f"{plat}-a"), "name": row.key}
            old.append(a)
        index.add(plat, a)
        before = dict(a)
        a["platform"] = plat
        for k in _ASSET_KEYS:
            if k in row.values:
                a[k] = self.targets(row.values[k]) if k == "to" else row.values[k]
            elif k in row.covered and k in a:
                del a[k]
                self.cleared += 1
        self.asset_src[a["id"]] = row
        if new:
            a.setdefault("source", _from(row))
            self.added_assets.append(a["id"])
        elif a != before:
            self.updated_assets.append(a["id"])
        else:
            self.unchanged_assets += 1
        return a

    def _twice(self, row: DmRow, other_row: DmRow) -> None:
        other = other_row.source
        self.problems.append(
            Problem(
                f"同じデータアセットの行が2つあります（{Path(other.file).name} {other.sheet} {other.row}行目と同じ）",
                row.source.file,
                row.source.row,
                f"{row.source.sheet}!{row.source.row}行目 データアセット名",
                row.key,
            )
        )

    def validated(self, target: Path, versions: set[str], svc_rows: dict[str, DmRow]) -> Any:
        """The prefecture with the new services and data map, validated and cross-checked like a loaded file;
        problems are located at the data map's cells where they come from."""
        from pydantic import ValidationError

        from .inventory import models, yamlio

        if versions:
            self.dm["template_version"] = max(versions, key=_version_order)
        data = {**self.base, "services": self.services, "data_map": self.dm}
        where = (self.dm, svc_rows, self.name_to_id, self.asset_src)
        try:
            new_pref = models.Prefecture.model_validate(data, context={"pref_code": self.pref.code})
        except ValidationError as err:
            raise InputError(
                group_problems(_locate(yamlio.problems_from_validation(err, None, str(target)), *where))
            ) from None
        found = [
            Problem(
                msg, str(target), None, field_path(loc), value if not isinstance(value, dict | list) else None
            )
            for loc, msg, value in models.cross_check(new_pref)
        ]
        if found:
            raise InputError(group_problems(_locate(found, *where)))
        return new_pref

    def result(
        self, target: Path, parsed: list[DataMapSheets], files: list[str], warnings: list[str], new_pref: Any
    ) -> DataMapImport:
        """The import's account (:meth:`DataMapImport.summary`); the analysis of the new file is added by
        :meth:`DataMapImport.analysed` (the command line does)."""
        names = {s.id: s.name for s in new_pref.services} | self.asset_names
        names |= {a.id: a.name for a in (new_pref.data_map.assets if new_pref.data_map else [])}
        sheets_read = []
        skipped = []
        examples = []
        for f in parsed:
            tag = f" ({Path(f.file).name})" if len(parsed) > 1 else ""
            sheets_read += [
                f"{s}（{'サービス' if side == 'service' else 'データアセット'} {n:,} 行）{tag}"
                for s, side, n in f.sheets_read
            ]
            skipped += [f"{s}（{why}）{tag}" for s, why in f.sheets_skipped]
            examples += [f"{s} {_rows_text(rows)}{tag}" for s, rows in f.examples]
        version = next((f.template_version for f in parsed if f.template_version), None)
        where = next((f.version_where for f in parsed if f.template_version), None)
        return DataMapImport(
            target,
            self.added_services,
            [self.name_to_id[k] for k in self.name_to_id],
            self.added_assets,
            self.updated_assets,
            files,
            warnings,
            assets_removed=self.removed_assets,
            assets_unchanged=self.unchanged_assets,
            services_removed=self.removed_services,
            kept_missing=self.kept_missing,
            cleared=self.cleared,
            platforms=self.how,
            systems=list(self.systems.values()),
            examples=examples,
            sheets_read=sheets_read,
            sheets_skipped=skipped,
            version=version,
            version_where=where,
            names=names,
            scope=[p.name for p in new_pref.platforms if p.id in self.scope],
            prefecture=new_pref,
        )


def _locate(
    problems: list[Problem],
    dm: dict[str, Any],
    svc_rows: dict[str, DmRow],
    name_to_id: dict[str, str],
    asset_src: dict[str, DmRow],
) -> list[Problem]:
    """Point problems about imported rows at the file and row they came from."""
    by_sid = {sid: svc_rows[k] for k, sid in name_to_id.items()}
    out = []
    for p in problems:
        m = re.match(r"data_map\.(services|assets)\[(\d+)\]", p.field or "")
        row = None
        if m:
            items = dm.get(m.group(1), [])
            i = int(m.group(2))
            if i < len(items):
                row = (
                    by_sid.get(items[i].get("service"))
                    if m.group(1) == "services"
                    else asset_src.get(items[i].get("id"))
                )
        if row is not None:
            out.append(
                Problem(
                    p.message,
                    row.source.file,
                    row.source.row,
                    f"{row.source.sheet}!{row.source.row}行目 ({p.field})",
                    p.value,
                    p.allowed,
                )
            )
        else:
            out.append(p)
    return out
