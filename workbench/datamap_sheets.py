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

import functools
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
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
    workbook_bytes,
)
from .text import fold, nfkc, office_safe
from .xlsx_stream import MAX_FILE_BYTES, MAX_UNPACKED_BYTES

SHEET_SERVICE = "サービス側データマップ"
SHEET_ASSET = "データアセット側データマップ"
SIDE_LABEL = {"service": SHEET_SERVICE, "asset": SHEET_ASSET}
KEY = {"service": "service", "asset": "name"}
DATA_ROWS = 300
SCAN_ROWS = 15


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


def _label_index(side: str) -> dict[str, DmColumn]:
    idx: dict[str, DmColumn] = {}
    for col in columns(side):
        for label in col.labels:
            idx.setdefault(fold(label), col)
    return idx


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
    """The cells of one sheet or CSV file: ``value(r, c)`` 1-based; ``where(r, c)`` for messages."""

    file: str
    sheet: str
    rows: list[list[Any]]
    formulas: set[tuple[int, int]] = field(default_factory=set)
    merged_parent: dict[tuple[int, int], Any] = field(default_factory=dict)
    csv: bool = False

    def value(self, r: int, c: int) -> Any:
        if 1 <= r <= len(self.rows) and 1 <= c <= len(self.rows[r - 1]):
            return self.rows[r - 1][c - 1]
        return None

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def where(self, r: int, c: int) -> str:
        if self.csv:
            return f"{r}行目 {get_column_letter(c)}列"
        return f"{self.sheet}!{get_column_letter(c)}{r}"


def _check_size(path: Path, file: str) -> None:
    """A file or its unpacked content above the caps is refused before openpyxl reads it (a zip bomb)."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError.single(
            f"ファイルが大きすぎます（{size:,} バイト、上限 {MAX_FILE_BYTES:,} バイト）", file=file, line=1
        )
    try:
        with zipfile.ZipFile(path) as zf:
            unpacked = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, OSError):
        unpacked = 0
    if unpacked > MAX_UNPACKED_BYTES:
        raise InputError.single(
            f"展開後のサイズが大きすぎます（{unpacked:,} バイト、上限 {MAX_UNPACKED_BYTES:,} バイト）",
            file=file,
            line=1,
        )


def _sheet_grid(ws: Any, file: str) -> Grid:
    """One sheet's values, its formula cells, and each merged cell's top-left value."""
    rows: list[list[Any]] = []
    formulas: set[tuple[int, int]] = set()
    for r, row in enumerate(ws.iter_rows(), 1):
        vals = []
        for c, cell in enumerate(row, 1):
            if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.startswith("=")):
                formulas.add((r, c))
            vals.append(cell.value)
        rows.append(vals)
    parent: dict[tuple[int, int], Any] = {}
    for rng in ws.merged_cells.ranges:
        top = ws.cell(row=rng.min_row, column=rng.min_col).value
        for r in range(rng.min_row, rng.max_row + 1):
            for c in range(rng.min_col, rng.max_col + 1):
                parent[(r, c)] = top
    return Grid(file, ws.title, rows, formulas, parent)


def _grids_xlsx(path: Path, file: str) -> list[Grid]:
    _check_size(path, file)
    try:
        wb = load_workbook(path, data_only=False)
    except Exception as err:  # openpyxl raises many kinds for a file that is no xlsx
        raise InputError.single(
            f"Excel ブック（.xlsx）として読めません（{type(err).__name__}）。xlsx 形式で保存し直してください",
            file=file,
            line=1,
        ) from None
    return [
        _sheet_grid(ws, file)
        for ws in wb.worksheets
        if not (ws.sheet_state != "visible" and ws.title == SHEET_LISTS)
    ]


def _grid_csv(path: Path, file: str) -> Grid:
    from .tabular import csv_rows, read_text

    text, _ = read_text(path)
    rows = [[c if c != "" else None for c in row] for _line, row in csv_rows(text, file)]  # quotes closed
    formulas = {
        (r, c)
        for r, row in enumerate(rows, 1)
        for c, v in enumerate(row, 1)
        if isinstance(v, str) and v.startswith("=")
    }
    return Grid(file, path.name, rows, formulas, csv=True)


def _find_header(grid: Grid, side: str) -> tuple[int, dict[int, DmColumn]] | None:
    """(header row, column -> DmColumn) of a side in a grid, or None when the grid is not that side.

    A grid is the service side when one row holds サービス名 and one of the three data columns of that side; the
    asset side when a row holds データアセット名 (or データセット名) and one of its other columns. With two-level
    headers the lower row, which names more columns, is the header row."""
    idx = _label_index(side)
    best: tuple[int, dict[int, DmColumn]] | None = None
    twice: dict[int, list[tuple[int, int, DmColumn]]] = {}  # header row -> (column, first column, header)
    for r in range(1, min(len(grid.rows), SCAN_ROWS) + 1):
        found: dict[int, DmColumn] = {}
        for c in range(1, grid.width + 1):
            cols = [col for t in _header_texts(grid, r, c) if (col := idx.get(fold(t))) is not None]
            new = next((col for col in cols if col not in found.values()), None)
            if new is not None:
                found[c] = new
            elif cols:  # a second column of a header already found in this row
                first = next(k for k, v in found.items() if v == cols[0])
                twice.setdefault(r, []).append((c, first, cols[0]))
        keys = {col.key for col in found.values()}
        ok = (side == "service" and "service" in keys and keys & {"intake", "internal", "external"}) or (
            side == "asset" and "name" in keys and keys & {"owner", "location", "to"}
        )
        if ok and (best is None or len(found) > len(best[1])):
            best = (r, found)  # the row naming the most columns (a group header row above names fewer)
    if best is not None and twice.get(best[0]):
        _refuse_twice(grid, best[0], twice[best[0]])
    return best


def _header_texts(grid: Grid, r: int, c: int) -> list[str]:
    """The texts a header cell may be read as: with a group header above it first, then its own text (or its
    merged range's text)."""
    v = grid.value(r, c)
    texts = []
    if isinstance(v, str) and v.strip():
        texts.append(v)
        above = grid.value(r - 1, c)
        if above is None:
            above = grid.merged_parent.get((r - 1, c))
        if isinstance(above, str) and above.strip():
            texts.insert(0, above + v)
    elif (r, c) in grid.merged_parent and isinstance(grid.merged_parent[(r, c)], str):
        texts.append(grid.merged_parent[(r, c)])
    return texts


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


@dataclass
class DmRow:
    """One row of a side: values by key and where each came from."""

    side: str
    key: str  # service name or asset name as written
    values: dict[str, Any]
    source: Source
    cells: dict[str, Source] = field(default_factory=dict)
    external: list[dict[str, Any]] = field(default_factory=list)


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
    """Why a cell cannot be read (a formula, mojibake), or None."""
    if (r, c) in grid.formulas:
        return "数式は使えません。値を入力してください"
    if isinstance(raw, str) and "\ufffd" in raw:
        return "文字化けしています（U+FFFD の置換文字）。正しい文字を入力し直してください"
    return None


def _row_cells(
    grid: Grid, r: int, found: dict[int, DmColumn], respondent: str | None, problems: list[Problem]
) -> tuple[dict[str, Any], dict[str, Source]] | None:
    """The parsed values of one row and the cell each came from; None when a cell has a problem."""
    vals: dict[str, Any] = {}
    srcs: dict[str, Source] = {}
    bad = False
    for c, col in found.items():
        where = f"{grid.where(r, c)} {col.header}"
        raw = cell_text(grid.value(r, c))
        why = _cell_problem(grid, r, c, raw)
        if why is not None:
            shown = str(grid.value(r, c)) if (r, c) in grid.formulas else raw
            problems.append(Problem(why, grid.file, r, where, shown))
            bad = True
            continue
        if raw is None:
            continue
        try:
            vals[col.key] = _parse(col, raw)
        except ValueError as err:
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


def _read_side(
    grid: Grid,
    side: str,
    hrow: int,
    found: dict[int, DmColumn],
    respondent: str | None,
    problems: list[Problem],
    warnings: list[str],
) -> list[DmRow]:
    file = grid.file
    _check_headers(grid, side, hrow, found, problems, warnings)
    if any(p.file == file and p.line == hrow for p in problems):
        return []
    rows: list[DmRow] = []
    current: DmRow | None = None
    for r in range(hrow + 1, len(grid.rows) + 1):
        if all(cell_text(grid.value(r, c)) is None for c in found):
            continue
        cells = _row_cells(grid, r, found, respondent, problems)
        if cells is None:
            continue
        vals, srcs = cells
        key = vals.pop(KEY[side], None)
        source = Source(file, grid.sheet, r, respondent=respondent)
        if side == "asset":
            if key is None:
                problems.append(
                    Problem("データアセット名がありません", file, r, f"{grid.sheet}!{r}行目 データアセット名")
                )
            else:
                rows.append(DmRow(side, str(key), vals, source, srcs))
            continue
        ext = _external_data(grid, r, vals, respondent, warnings)
        if key is not None:
            current = DmRow(side, str(key), vals, source, srcs, ext)
            rows.append(current)
        elif current is not None:
            _continue(current, vals, srcs, ext)
        else:
            problems.append(
                Problem(
                    "サービス名がありません（最初のデータ行）", file, r, f"{grid.sheet}!{r}行目 サービス名"
                )
            )
    return rows


def _info(
    grids: list[Grid], code: str | None, file: str, problems: list[Problem]
) -> tuple[Any, str | None, str | None]:
    """The 説明 sheet: who answered, the template's version and the prefecture (checked against the one asked
    for). Returns (respondent, version, prefecture code)."""
    info = next((g for g in grids if g.sheet == SHEET_INFO and not g.csv), None)
    if info is None:
        return None, None, code
    labels = {
        fold(str(row[0])): (row[1] if len(row) > 1 else None) for row in info.rows[:40] if row and row[0]
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
        version = str(version).removeprefix("第").removesuffix("版")
    return respondent, version, code


def _book_prefecture(value: Any) -> str | None:
    try:
        return reference.resolve_prefecture(str(value))[0]
    except KeyError:
        return None


def read_datamap(path: str | os.PathLike[str], *, prefecture: str | None = None) -> DataMapSheets:
    """Parse a filled データマップ: an xlsx workbook (any sheets whose headers are those of a side) or a CSV
    file of one side (UTF-8 or CP932). Raises :class:`InputError` with every problem located as file, row and
    ``field = "シート!セル 見出し"``."""
    file = str(path)
    p = existing_file(path)
    grids = [_grid_csv(p, file)] if p.suffix.lower() in (".csv", ".txt") else _grids_xlsx(p, file)
    problems: list[Problem] = []
    warnings: list[str] = []
    code = reference.resolve_prefecture(prefecture)[0] if prefecture is not None else None
    respondent, version, code = _info(grids, code, file, problems)
    sides: dict[str, list[DmRow]] = {"service": [], "asset": []}
    hits = 0
    for g in grids:
        for side in ("service", "asset"):
            hdr = _find_header(g, side)
            if hdr is None:
                continue
            hits += 1
            sides[side] += _read_side(g, side, hdr[0], hdr[1], respondent, problems, warnings)
    if hits == 0:
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
        raise InputError(problems)
    return DataMapSheets(
        file,
        code,
        str(respondent) if respondent else None,
        version,
        sides["service"],
        sides["asset"],
        warnings,
    )


# --- merging and importing --------------------------------------------------------------------------------------


@dataclass
class DataMapImport:
    """What an import did."""

    path: Path
    added_services: list[str]
    services: list[str]
    assets_added: list[str]
    assets_updated: list[str]
    files: list[str]
    warnings: list[str]
    changed: bool = True

    def summary(self) -> str:
        lines = [f"{self.path} に {len(self.files)} 件のファイルからデータマップを取り込みました"]
        if not self.changed:
            lines.append("変更はありません（ファイルは書き換えていません）")
        if self.added_services:
            lines.append("サービスを追加: " + ", ".join(self.added_services))
        if self.services:
            lines.append(f"サービス側: {len(self.services)} 件")
        if self.assets_added or self.assets_updated:
            lines.append(
                f"データアセット側: 追加 {len(self.assets_added)} 件、更新 {len(self.assets_updated)} 件"
            )
        lines += [f"注意: {w}" for w in self.warnings]
        return "\n".join(lines)


def _merge_row(
    have: DmRow, row: DmRow, kind: str, preferred: set[str], on_conflict: str, conflicts: list[Conflict]
) -> None:
    """A row met again in another file: new values taken, lists joined; a different value is taken from a
    preferred file, kept with ``first``, else a conflict."""
    have.external.extend(
        x for x in row.external if fold(x["name"]) not in {fold(e["name"]) for e in have.external}
    )
    for key, value in row.values.items():
        src = row.cells.get(key, row.source)
        old = merge_value(have, key, value, src, preferred, on_conflict, isinstance(value, list))
        if old is not None:
            conflicts.append(Conflict(kind, row.key, key, old, have.values[key], src, value))


def _merge(
    files: list[DataMapSheets], prefer: Sequence[str | os.PathLike[str]], on_conflict: str, asset_key: Any
) -> tuple[dict[str, DmRow], dict[tuple[str, str], DmRow], list[Conflict]]:
    preferred = {os.path.realpath(str(p)) for p in prefer}
    svc: dict[str, DmRow] = {}
    ast: dict[tuple[str, str], DmRow] = {}
    conflicts: list[Conflict] = []
    for f in files:
        for kind, rows, target, keyf in (
            (SHEET_SERVICE, f.services, svc, lambda r: fold(r.key)),
            (SHEET_ASSET, f.assets, ast, asset_key),
        ):
            for row in rows:
                k = keyf(row)
                if k in target:
                    _merge_row(target[k], row, kind, preferred, on_conflict, conflicts)
                else:
                    target[k] = DmRow(
                        row.side, row.key, dict(row.values), row.source, dict(row.cells), list(row.external)
                    )
    return svc, ast, conflicts


def import_datamap(
    files: Sequence[str | os.PathLike[str]],
    into: str | os.PathLike[str],
    *,
    platform: str | None = None,
    prefer: Sequence[str | os.PathLike[str]] = (),
    on_conflict: str = "fail",
    dry_run: bool = False,
) -> DataMapImport:
    """Read, merge and write filled データマップ files into an existing prefecture file's ``data_map:``.

    Services are matched by name or id to the file's ``services:``; with ``platform`` an unknown service is added
    to that platform (otherwise it is an error naming the cell). Assets are matched by platform and name; new
    ones get ids ``<platform>-a001`` …; their platform is the row's 基盤ID, else ``platform``. A value given in a
    file replaces the prefecture file's value; a blank cell changes nothing. Nothing is written when any file has
    a problem, when a conflict is unresolved, when the result does not validate, or when the prefecture file
    changed on disk since it was read.
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

    def asset_key(row: DmRow) -> tuple[str, str]:
        return (str(row.values.get("platform") or platform or ""), fold(row.key))

    svc_rows, asset_rows, conflicts = _merge(parsed, prefer, on_conflict, asset_key)
    if conflicts:
        raise InputError([c.problem() for c in conflicts])
    imp = _Import(pref, platform)
    imp.match_services(svc_rows)
    imp.service_rows(svc_rows)
    imp.asset_rows(asset_rows)
    if imp.problems:
        raise InputError(imp.problems)
    versions = {f.template_version for f in parsed if f.template_version}
    new_pref = imp.validated(target, versions, svc_rows)
    warnings = [w for f in parsed for w in f.warnings]
    if len(versions) > 1:
        warnings.append(f"データマップの版が混在しています: {', '.join(sorted(versions))}")
    result = DataMapImport(
        target,
        imp.added_services,
        [imp.name_to_id[k] for k in svc_rows if k in imp.name_to_id],
        imp.added_assets,
        imp.updated_assets,
        [str(f) for f in files],
        warnings,
    )
    result.changed = not (new_pref.services == pref.services and new_pref.data_map == pref.data_map)
    if dry_run:  # every check of the real run (the save's read-back too), nothing written
        candidate = pref.model_copy()
        candidate.services, candidate.data_map = new_pref.services, new_pref.data_map
        yamlio.checked_yaml(candidate, target)
        return result
    if not result.changed:
        return result  # nothing to write: the file stays byte-identical (no .bak either)
    pref.services = new_pref.services
    pref.data_map = new_pref.data_map
    yamlio.save(pref)
    return result


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


def _from(row: DmRow) -> str:
    return f"データマップ（{Path(row.source.file).name}）"


class _Import:
    """The merged rows written into the prefecture file's services and ``data_map:`` (plain data, validated at
    the end); problems collected with the cell they come from."""

    def __init__(self, pref: Any, platform: str | None) -> None:
        from .inventory import yamlio

        self.pref, self.platform = pref, platform
        self.base = yamlio.dump_data(pref)
        self.services = [dict(s) for s in self.base.get("services", [])]
        self.dm = dict(self.base.get("data_map") or {})
        self.names = ServiceNames(pref)
        self.taken = {s["id"] for s in self.services}
        self.problems: list[Problem] = []
        self.added_services: list[str] = []
        self.added_assets: list[str] = []
        self.updated_assets: list[str] = []
        self.name_to_id: dict[str, str] = {}
        self.asset_src: dict[str, DmRow] = {}

    def new_id(self, prefix: str) -> str:
        k = 1
        while f"{prefix}{k:03d}" in self.taken:
            k += 1
        self.taken.add(f"{prefix}{k:03d}")
        return f"{prefix}{k:03d}"

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
        self.added_services.append(sid)
        return sid

    def targets(self, row: DmRow, values: list[str], what: str) -> list[str]:
        """Service names (提供先) as ids; an unknown one is a problem at its cell."""
        out = []
        for v in values:
            sid = self.all_names.get(fold(v))
            if sid is not None:
                out.append(sid)
                continue
            src = row.cells.get("to", row.source)
            self.problems.append(
                Problem(
                    f"{what}「{v}」がサービスにありません（サービス側データマップかサービスの台帳に記載してください）",
                    src.file,
                    src.row,
                    f"{src.sheet}!{src.cell} {src.header or what}",
                    v,
                )
            )
        return out

    def _external(self, row: DmRow, old: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The externally usable data of a service row over what the file had (by name)."""
        old_ext = {fold(e["name"]): e for e in old}
        ext = []
        for e in row.external:
            item = dict(old_ext.get(fold(e["name"]), {}))
            item["name"] = e["name"]
            item.update(
                {k: e[k] for k in ("frequency", "method", "pi_class", "consent") if e.get(k) is not None}
            )
            if e.get("to"):
                item["to"] = self.targets(row, e["to"], "提供先")
            ext.append(item)
        return ext

    def service_rows(self, svc_rows: dict[str, DmRow]) -> None:
        """The service side: a value given replaces the file's, a blank cell changes nothing."""
        old_rows = {self.names.resolve(r["service"]) or r["service"]: r for r in self.dm.get("services", [])}
        new_rows: dict[str, dict[str, Any]] = dict(old_rows)
        for key, row in svc_rows.items():
            sid = self.name_to_id.get(key)
            if sid is None:
                continue
            r = dict(old_rows.get(sid, {"service": sid}))
            r["service"] = sid
            r.update(
                {
                    k: row.values[k]
                    for k in ("field", "status", "intake", "internal", "notes")
                    if k in row.values
                }
            )
            if row.external:
                r["external"] = self._external(row, r.get("external", []))
            if sid not in old_rows:
                r.setdefault("source", _from(row))
            new_rows[sid] = r
        self.dm["services"] = list(new_rows.values())

    def asset_rows(self, asset_rows: dict[tuple[str, str], DmRow]) -> None:
        """The asset side: matched by platform and name, new ones get ids ``<platform>-a001`` …"""
        old_assets = [dict(a) for a in self.dm.get("assets", [])]
        by_key = {(str(a.get("platform") or ""), fold(a["name"])): a for a in old_assets}
        self.taken |= {a["id"] for a in old_assets}
        for (plat, _), row in asset_rows.items():
            a = by_key.get((plat, fold(row.key)))
            new = a is None
            if a is None:
                a = {"id": self.new_id(f"{plat or 'dm'}-a"), "name": row.key}
                if plat:
                    a["platform"] = plat
                old_assets.append(a)
                by_key[(plat, fold(row.key))] = a
            before = dict(a)
            keys = ("owner", "location", "frequency", "method", "field", "model", "pi_class", "notes")
            a.update({k: row.values[k] for k in keys if k in row.values})
            if "to" in row.values:
                a["to"] = self.targets(row, row.values["to"], "提供先サービス")
            self.asset_src[a["id"]] = row
            if new:
                a.setdefault("source", _from(row))
                self.added_assets.append(a["id"])
            elif a != before:
                self.updated_assets.append(a["id"])
        self.dm["assets"] = old_assets

    def validated(self, target: Path, versions: set[str], svc_rows: dict[str, DmRow]) -> Any:
        """The prefecture with the new services and data map, validated and cross-checked like a loaded file;
        problems are located at the data map's cells where they come from."""
        from pydantic import ValidationError

        from .inventory import models, yamlio

        if versions:
            self.dm["template_version"] = sorted(versions)[0]
        data = {**self.base, "services": self.services, "data_map": self.dm}
        where = (self.dm, svc_rows, self.name_to_id, self.asset_src)
        try:
            new_pref = models.Prefecture.model_validate(data, context={"pref_code": self.pref.code})
        except ValidationError as err:
            raise InputError(
                _locate(yamlio.problems_from_validation(err, None, str(target)), *where)
            ) from None
        found = [
            Problem(
                msg, str(target), None, field_path(loc), value if not isinstance(value, dict | list) else None
            )
            for loc, msg, value in models.cross_check(new_pref)
        ]
        if found:
            raise InputError(_locate(found, *where))
        return new_pref


def _locate(
    problems: list[Problem],
    dm: dict[str, Any],
    svc_rows: dict[str, DmRow],
    name_to_id: dict[str, str],
    asset_src: dict[str, DmRow],
) -> list[Problem]:
    """Point problems about imported rows at the file and row they came from."""
    import re

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
