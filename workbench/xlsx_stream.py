"""Reading filled Excel workbooks safely: streamed, sparse, capped, with every refusal located.

A workbook sent back by a municipality may be hostile or just odd: one value typed at ``XFD2000`` makes
openpyxl's normal mode create every cell up to 16,384 columns × 2,000 rows (minutes, gigabytes); a value at
``XFD1048576`` never finishes; formatting applied to 150,000 rows makes each of them a row to read. This
module reads a sheet the way the XML stores it -- one ``<row>`` at a time, only the cells present -- so the
time is proportional to the file, not to the area its cells span, and it refuses, naming the cell:

- a value beyond column :data:`MAX_COLUMNS` or below row :data:`MAX_ROW` (empty formatted cells and rows are
  skipped, not counted);
- a cell openpyxl cannot convert (a 5,000-digit number) -- reported as the cell's value, not a traceback;
- a workbook whose XML declares a DTD or entities (XXE, billion laughs), before any XML parser sees it;
- a file over :data:`MAX_FILE_BYTES` or expanding beyond :data:`MAX_UNPACKED_BYTES` (zip bombs);
- a shared-strings table over :data:`MAX_SHARED_BYTES` or :data:`MAX_SHARED_STRINGS` strings (a 445 KB file
  whose table unpacks to 178 MB of tiny strings took 83 s and 1.1 GB to read), before it is parsed;
- a sheet with more than :data:`MAX_MERGED` merged ranges.

Pure reading: nothing is written. Used by :mod:`workbench.sheets` (the hearing sheets) and
:mod:`workbench.datamap_sheets` (the データマップ).
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.worksheet._reader import WorkSheetParser

from .errors import InputError, Problem

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # a zip bomb expands far beyond this; a filled sheet is < 1 MB
#: the last column a value may be in (the 基盤 sheet has about 40 columns; Excel allows 16,384)
MAX_COLUMNS = 200
#: the last row a value may be in (1,000 data rows below the 4 header rows; the sheet offers 300 rows with
#: dropdowns, and a municipality answers for a few dozen platforms and services; Excel allows 1,048,576)
MAX_ROW = 1_004
#: the shared-strings table (every distinct text of the workbook): a filled hearing sheet or データマップ has a few
#: thousand strings and well under 1 MB; a table beyond these is refused before it is parsed
MAX_SHARED_STRINGS = 100_000
MAX_SHARED_BYTES = 16 * 1024 * 1024
#: merged ranges in one sheet (a データマップ merges its title, its group headers and a service's rows; a few
#: hundred at most)
MAX_MERGED = 2_000
_SI = re.compile(rb"<(?:\w{1,20}:)?si[\s>/]")
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_ROOT = re.compile(rb"<[A-Za-z_]")
# the raw pre-scan of a sheet's XML: cells that hold a value (or formula), their references, merged ranges
_VALUE = re.compile(rb"<(?:\w{1,20}:)?(?:v|f|is)[\s/>]")
_CELL_START = re.compile(rb"<(?:\w{1,20}:)?c[\s>]")
_REF = re.compile(rb'\br="([A-Z]{1,3})([0-9]{1,7})"')
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*\bref="([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)"')


@dataclass(frozen=True)
class Cell:
    """One cell read from a sheet: its value as openpyxl converts it, its type (``s`` text, ``n`` number,
    ``d`` date, ``b`` bool, ``f`` formula, ``e`` error or unreadable), and its coordinate (``C5``)."""

    value: Any
    data_type: str
    coordinate: str


class Unreadable(str):
    """The raw text of a cell openpyxl could not convert (a number too long for Python's int, …)."""


class _Parser(WorkSheetParser):
    """openpyxl's streaming sheet parser, made tolerant: a cell it cannot convert becomes :class:`Unreadable`
    (located later) instead of ending the parse with a ValueError; rows keep no dimension records."""

    def parse_row(self, row: Any) -> tuple[int, list[dict[str, Any]]]:
        r = row.get("r")
        if r is not None and r.isascii() and r.isdigit():
            self.row_counter = int(r)
        else:
            self.row_counter += 1
        self.col_counter = 0
        cells = []
        for el in row:
            if len(el) == 0 and el.get("t") != "inlineStr":  # a formatted cell without value or formula
                r_ = el.get("r")
                if r_ is None:
                    self.col_counter += 1
                continue
            cells.append(self.parse_cell(el))
        return self.row_counter, cells

    def parse_cell(self, element: Any) -> dict[str, Any]:
        try:
            return super().parse_cell(element)
        except Exception:  # noqa: BLE001 - any conversion failure is reported as the cell's problem
            coordinate = element.get("r")
            row, column = self.row_counter, self.col_counter + 1
            if coordinate:
                try:
                    letters, row = coordinate_from_string(coordinate)
                    column = column_index_from_string(letters)
                except (ValueError, TypeError):
                    pass
            self.col_counter = column
            raw = element.findtext("{http://schemas.openxmlformats.org/spreadsheetml/2006/main}v") or ""
            return {"row": row, "column": column, "value": Unreadable(raw), "data_type": "e", "style_id": 0}


def _check_package(path: Path, file: str) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError.single("ファイルがありません", file=file) from None
    if path.is_dir():
        raise InputError.single("フォルダではなくファイルを指定してください", file=file)
    if size > MAX_FILE_BYTES:
        raise InputError.single(
            f"ファイルが大きすぎます（{size:,} バイト、上限 {MAX_FILE_BYTES:,} バイト）", file=file, line=1
        )
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            unpacked = sum(i.file_size for i in infos)
            if unpacked > MAX_UNPACKED_BYTES:
                raise InputError.single(
                    f"展開後のサイズが大きすぎます（{unpacked:,} バイト、上限 {MAX_UNPACKED_BYTES:,} バイト）",
                    file=file,
                    line=1,
                )
            for info in infos:
                if info.filename.endswith((".xml", ".rels", ".vml")) and _declares_dtd(zf, info):
                    raise InputError.single(
                        "安全でない XML（DTD または実体参照の宣言）を含むため読み込みません。"
                        "Excel で開いて「Excel ブック（.xlsx）」として保存し直してください",
                        file=file,
                        line=1,
                        field=info.filename,
                    )
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError):
        pass  # not a zip (or an encrypted one): openpyxl's own failure is reported below


def _check_strings(reader: Any, file: str) -> None:
    """The shared-strings table of an opened package: its unpacked size and its number of strings (counted in
    one streamed pass of the raw XML, before any parser builds them) within :data:`MAX_SHARED_BYTES` and
    :data:`MAX_SHARED_STRINGS`."""
    from openpyxl.xml.constants import SHARED_STRINGS

    ct = reader.package.find(SHARED_STRINGS)
    if ct is None:
        return
    name = ct.PartName[1:]
    try:
        info = reader.archive.getinfo(name)
    except KeyError:
        return
    if info.file_size > MAX_SHARED_BYTES:
        raise InputError.single(
            f"文字列の表が大きすぎます（展開後 {info.file_size:,} バイト、上限 {MAX_SHARED_BYTES:,} バイト）。"
            "Excel で開いて不要なシート・セルを消し、保存し直してください",
            file=file,
            line=1,
            field=name,
        )
    count, tail = 0, b""
    with reader.archive.open(info) as fh:
        while chunk := fh.read(1 << 20):
            text = tail + chunk
            cut = max(len(text) - 32, 0)  # a tag cut by the chunk's end is counted with the next chunk
            count += sum(1 for m in _SI.finditer(text) if m.start() < cut)
            tail = text[cut:]
            if count > MAX_SHARED_STRINGS:
                break
    count += len(_SI.findall(tail))
    if count > MAX_SHARED_STRINGS:
        raise InputError.single(
            f"文字列の表の項目が多すぎます（{MAX_SHARED_STRINGS:,} 個を超えています）。"
            "Excel で開いて不要なシート・セルを消し、保存し直してください",
            file=file,
            line=1,
            field=name,
        )


def _declares_dtd(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Whether an XML member has a DTD (``<!DOCTYPE``/``<!ENTITY``) before its root element; reads only the
    prolog (a DTD cannot come after the root element starts)."""
    tail = b""
    with zf.open(info) as fh:
        while True:
            chunk = fh.read(65536)
            if not chunk:
                return False
            text = tail + chunk
            root = None
            for m in _ROOT.finditer(text):
                root = m.start()
                break
            head = text if root is None else text[:root]
            if _DTD.search(head):
                return True
            if root is not None:
                return False
            tail = text[-16:]


class StreamBook:
    """A workbook opened for streaming (a context manager; closing releases the file).

    openpyxl's ``load_workbook(read_only=True)`` reads each sheet once just to size it (to the end of the
    sheet when it has no ``<dimension>``); this opens the package with openpyxl's reader but skips that, so a
    sheet is read once, by :meth:`rows`.

    Attributes
    ----------
    file : str
        The name used in messages.
    sheetnames : list[str]
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        from openpyxl.reader.excel import ExcelReader
        from openpyxl.styles.stylesheet import apply_stylesheet

        self.file = str(path)
        p = Path(path)
        _check_package(p, self.file)
        self._reader = None
        try:
            reader = ExcelReader(p, read_only=True, data_only=False)
            self._reader = reader
            reader.read_manifest()
            _check_strings(reader, self.file)
            reader.read_strings()
            reader.read_workbook()
            apply_stylesheet(reader.archive, reader.wb)
            self._sheets: dict[str, str] = {}
            self.hidden: set[str] = set()
            for sheet, rel in reader.parser.find_sheets():
                if rel.target in reader.valid_files and "chartsheet" not in rel.Type:
                    self._sheets[sheet.name] = rel.target
                    if getattr(sheet, "state", "visible") not in (None, "visible"):
                        self.hidden.add(sheet.name)
        except InputError:
            self.close()
            raise
        except Exception as err:  # openpyxl raises many kinds for a file that is no xlsx
            self.close()
            if type(err).__name__ in ("DTDForbidden", "EntitiesForbidden", "ExternalReferenceForbidden"):
                raise InputError.single(
                    "安全でない XML（DTD または実体参照の宣言）を含むため読み込みません。"
                    "Excel で開いて「Excel ブック（.xlsx）」として保存し直してください",
                    file=self.file,
                    line=1,
                ) from None
            raise InputError.single(
                "Excel ブック（.xlsx）として読めません。Excel で開いて「Excel ブック（.xlsx）」として保存し直してください",
                file=self.file,
                line=1,
            ) from None
        self.sheetnames: list[str] = list(self._sheets)
        self._merged: dict[str, list[str]] = {}

    def __enter__(self) -> StreamBook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        archive = getattr(self._reader, "archive", None)
        if archive is not None:
            archive.close()

    def rows(self, sheet: str, *, last_row: int | None = None) -> Iterator[tuple[int, dict[int, Cell]]]:
        """The rows of ``sheet`` that hold a value, in order: ``(row, {column: Cell})`` with only the cells
        that hold a value (or a formula). Stops after ``last_row`` when given; otherwise a value beyond
        :data:`MAX_COLUMNS` or below :data:`MAX_ROW` raises a located :class:`InputError`. The merged
        ranges of the sheet are known (:meth:`merged`) once its rows have been read to the end."""
        reader = self._reader
        wb = reader.wb
        if last_row is None:
            last_row = self._prescan(sheet)
        with reader.archive.open(self._sheets[sheet]) as src:
            parser = _Parser(
                src,
                reader.shared_strings,
                data_only=False,
                epoch=wb.epoch,
                date_formats=wb._date_formats,
                timedelta_formats=wb._timedelta_formats,
            )
            for r, cells in parser.parse():
                if last_row is not None and r > last_row:
                    return
                out: dict[int, Cell] = {}
                for c in cells:
                    value, kind = c["value"], c["data_type"]
                    if value is None or (isinstance(value, str) and kind != "f" and not value.strip()):
                        continue
                    col = c["column"]
                    coordinate = f"{get_column_letter(min(max(col, 1), 18278))}{c['row']}"
                    if last_row is None and col > MAX_COLUMNS:
                        raise InputError.single(
                            f"列が多すぎます（値は {get_column_letter(MAX_COLUMNS)} 列までにしてください）。"
                            "余分なセルの値を消してください",
                            file=self.file,
                            line=c["row"],
                            field=f"{sheet}!{coordinate}",
                            value=value,
                        )
                    if last_row is None and c["row"] > MAX_ROW:
                        raise InputError.single(
                            f"行が多すぎます（値は {MAX_ROW:,} 行目までにしてください）。余分な行を消してください",
                            file=self.file,
                            line=c["row"],
                            field=f"{sheet}!{coordinate}",
                            value=value,
                        )
                    out[col] = Cell(value, kind, coordinate)
                if out:
                    yield r, out
            self._keep_merged(sheet, parser)

    def _keep_merged(self, sheet: str, parser: Any) -> None:
        """The merged ranges the XML parser met (a sheet read without the pre-scan), capped."""
        merged = getattr(parser, "merged_cells", None)
        if merged is not None:
            refs = [str(m.ref) for m in getattr(merged, "mergeCell", None) or []]
            if len(refs) > MAX_MERGED:
                raise self._too_many_merged(sheet, len(refs))
            self._merged[sheet] = refs

    def _prescan(self, sheet: str) -> int | None:
        """One pass of regular expressions over the raw XML of a sheet (fast, whatever its shape): refuse a
        value beyond the caps, note the merged ranges, and return the last row holding a value, so that
        the XML parser can stop there instead of walking thousands of formatted but empty rows. None when
        some cell has no reference (the parser then reads the whole sheet)."""
        data = self._reader.archive.read(self._sheets[sheet])
        last = 0
        for m in _VALUE.finditer(data):
            start = data.rfind(b"<", 0, m.start())
            tag_end = data.find(b">", start)
            tag = data[start : tag_end + 1]
            if not _CELL_START.match(tag):
                continue  # the <v> after a cell's <f>: the cell was seen at its <f>
            ref = _REF.search(tag)
            if ref is None:
                return None
            col = column_index_from_string(ref.group(1).decode())
            row = int(ref.group(2))
            if col > MAX_COLUMNS or row > MAX_ROW:
                what = (
                    f"列が多すぎます（値は {get_column_letter(MAX_COLUMNS)} 列までにしてください）。余分なセルの値を消してください"
                    if col > MAX_COLUMNS
                    else f"行が多すぎます（値は {MAX_ROW:,} 行目までにしてください）。余分な行を消してください"
                )
                raise InputError.single(
                    what, file=self.file, line=row, field=f"{sheet}!{ref.group(1).decode()}{row}"
                )
            last = max(last, row)
        merged = []
        for m in _MERGE.finditer(data):
            merged.append(m.group(1).decode())
            if len(merged) > MAX_MERGED:
                raise self._too_many_merged(sheet, len(_MERGE.findall(data)))
        self._merged[sheet] = merged
        return last

    def _too_many_merged(self, sheet: str, n: int) -> InputError:
        return InputError.single(
            f"結合されたセルの範囲が多すぎます（{n:,} 個、上限 {MAX_MERGED:,} 個）。不要なセルの結合を解除してください",
            file=self.file,
            line=1,
            field=f"{sheet}!（セルの結合）",
        )

    def merged(self, sheet: str) -> list[str]:
        """The merged ranges (``C4:D4``) of a sheet whose rows were read to the end."""
        return self._merged.get(sheet, [])


def unreadable_problem(cell: Cell, file: str, row: int, where: str) -> Problem | None:
    """The located problem of a cell whose value could not be converted, or None."""
    if isinstance(cell.value, Unreadable):
        digits = sum(ch.isdigit() for ch in cell.value)
        what = f"数値の桁数が多すぎます（{digits:,} 桁）" if digits > 300 else "値を読めません"
        return Problem(f"{what}。値を入力し直してください", file, row, where, str(cell.value))
    return None
