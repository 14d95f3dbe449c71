"""Hostile and odd hearing workbooks (issue 12, points 5-9), each built here, none stored: a value at XFD2000 or
XFD1048576, 150,000 rows of values or of formatting, a 5,000-digit number, control characters, a DTD.

Before: XFD2000 took minutes and 2.5 GB (openpyxl created every cell of the spanned area), XFD1048576 never
ended, the 150,000-row sheet ran over 400 s. Now the sheet is streamed and capped
(:mod:`workbench.xlsx_stream`): every refusal names the file, row and cell, the command exits 2 and nothing
is written; an accepted workbook of the largest allowed shape imports. Timings are in ``make bench`` (B6),
never asserted here.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from test_bad_inputs import GOOD_YAML, filled_workbook

import workbench as wb
from workbench.cli import main
from workbench.sheets import SHEET_PLATFORMS, SHEET_SERVICES, import_hearings, read_hearing
from workbench.xlsx_stream import MAX_COLUMNS, MAX_ROW


def book_bytes(book=None) -> bytes:
    buf = io.BytesIO()
    (book or filled_workbook()).save(buf)
    return buf.getvalue()


def _member(data: bytes, sheet: str) -> str:
    """The zip member of a sheet (xl/workbook.xml names it, its relationships give the file)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        workbook = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    tag = next(t for t in re.findall(r"<sheet [^>]*/>", workbook) if f'name="{sheet}"' in t)
    rid = re.search(r'r:id="([^"]+)"', tag).group(1)
    rel = next(t for t in re.findall(r"<Relationship [^>]*/>", rels) if f'Id="{rid}"' in t)
    target = re.search(r'Target="([^"]+)"', rel).group(1)
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


def with_sheet_xml(data: bytes, sheet: str, rows_xml: str = "", edit=None) -> bytes:
    """The workbook ``data`` with ``rows_xml`` appended to a sheet's data (and ``edit`` applied to its XML):
    builds 150,000 rows in a second, where openpyxl takes minutes."""
    member = _member(data, sheet)
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == member:
                text = body.decode()
                text = re.sub(r"<dimension [^>]*/>", "", text)  # as many writers leave it out
                text = text.replace("</sheetData>", rows_xml + "</sheetData>")
                body = (edit(text) if edit else text).encode()
            z.writestr(info, body)
    return out.getvalue()


def text_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def platform_rows(first: int, last: int) -> str:
    """Valid platform rows (ID, name, operator 都道府県) from row ``first`` to ``last``."""
    return "".join(
        f'<row r="{r}">{text_cell(f"A{r}", f"p{r}")}{text_cell(f"B{r}", f"基盤{r}")}'
        f"{text_cell(f'C{r}', '都道府県')}</row>"
        for r in range(first, last + 1)
    )


@pytest.fixture
def into(tmp_path: Path) -> Path:
    path = tmp_path / "pref.yaml"
    path.write_text(GOOD_YAML, encoding="utf-8")
    return path


def refused(path: Path, into: Path, capsys) -> wb.InputError:
    """The workbook is refused by the API and the command line alike (exit 2, one located line, nothing
    written)."""
    before = {p.name: p.read_bytes() for p in into.parent.iterdir()}
    with pytest.raises(wb.InputError) as info:
        read_hearing(path)
    assert main(["import-sheet", str(path), "--into", str(into)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines and lines[0].startswith("エラー: ") and path.name in lines[0]
    assert "Traceback" not in "\n".join(lines)
    assert {p.name: p.read_bytes() for p in into.parent.iterdir()} == before
    return info.value


@pytest.mark.parametrize(
    ("cell", "line", "words"),
    [
        ("XFD2000", 2000, "列が多すぎます"),
        ("XFD1048576", 1048576, "列が多すぎます"),
        ("A1048576", 1048576, "行が多すぎます"),
    ],
)
def test_a_value_far_away_is_refused_at_its_cell(tmp_path, into, capsys, cell, line, words) -> None:
    book = filled_workbook()
    book[SHEET_PLATFORMS][cell] = "x"
    path = tmp_path / "far.xlsx"
    book.save(path)
    assert path.stat().st_size < 30_000  # a small file: the area it spans is what used to take minutes
    err = refused(path, into, capsys)
    p = err.problems[0]
    assert (p.line, p.field) == (line, f"{SHEET_PLATFORMS}!{cell}") and words in p.message


def test_a_150000_row_sheet_is_refused_at_the_first_row_past_the_cap(tmp_path, into, capsys) -> None:
    path = tmp_path / "rows.xlsx"
    path.write_bytes(with_sheet_xml(book_bytes(), SHEET_PLATFORMS, platform_rows(6, 150_005)))
    assert path.stat().st_size < 20 * 1024 * 1024  # inside the size limit
    err = refused(path, into, capsys)
    p = err.problems[0]
    assert (
        p.line == MAX_ROW + 1
        and p.field == f"{SHEET_PLATFORMS}!A{MAX_ROW + 1}"
        and "行が多すぎます" in p.message
    )


def test_150000_formatted_but_empty_rows_are_accepted(tmp_path, into) -> None:
    """Formatting applied down a column (empty styled cells) is not data: skipped, not counted."""
    empty = "".join(
        f'<row r="{r}" s="1" customFormat="1">'
        + "".join(f'<c r="{c}{r}" s="1"/>' for c in "ABCDEFGHIJ")
        + "</row>"
        for r in range(6, 150_006)
    )
    path = tmp_path / "formatted.xlsx"
    path.write_bytes(with_sheet_xml(book_bytes(), SHEET_PLATFORMS, empty))
    hearing = read_hearing(path)
    assert [r.id for r in hearing.platforms] == ["aizu"]
    assert import_hearings([path], into).added == ["aizu", "od"]


def test_the_largest_accepted_sheet_imports(tmp_path, into) -> None:
    path = tmp_path / "largest.xlsx"
    path.write_bytes(with_sheet_xml(book_bytes(), SHEET_PLATFORMS, platform_rows(6, MAX_ROW)))
    hearing = read_hearing(path)
    assert len(hearing.platforms) == MAX_ROW - 4
    result = import_hearings([path], into)
    assert len(result.added) == MAX_ROW - 4 + 1  # the platforms and the service
    assert len(wb.load(into).platforms) == MAX_ROW - 4 + 1  # + the file's own platform


def test_a_column_past_the_cap_is_refused_even_under_a_header(tmp_path, into, capsys) -> None:
    book = filled_workbook()
    ws = book[SHEET_PLATFORMS]
    ws.cell(row=4, column=MAX_COLUMNS + 1, value="独自の列")
    ws.cell(row=5, column=MAX_COLUMNS + 1, value="メモ")
    path = tmp_path / "wide.xlsx"
    book.save(path)
    p = refused(path, into, capsys).problems[0]
    assert p.line == 4 and "列が多すぎます" in p.message


def test_a_5000_digit_number_is_a_located_problem(tmp_path, into, capsys) -> None:
    def put_number(xml: str) -> str:  # the name cell of row 5 becomes a number of 5,000 digits
        return re.sub(r'<c r="B5"[^>]*>.*?</c>', '<c r="B5"><v>' + "9" * 5000 + "</v></c>", xml, count=1)

    path = tmp_path / "digits.xlsx"
    path.write_bytes(with_sheet_xml(book_bytes(), SHEET_PLATFORMS, edit=put_number))
    err = refused(path, into, capsys)
    p = err.problems[0]
    assert (p.line, p.field) == (5, f"{SHEET_PLATFORMS}!B5 基盤名") and "5,000 桁" in p.message
    assert len(str(err)) < 300  # the value is shortened, the message stays one readable line


def test_control_characters_in_a_cell_are_refused(tmp_path, into, capsys) -> None:
    """Excel stores a control character as _x0007_; it is decoded and refused, named by its cell."""

    def bell(xml: str) -> str:
        return xml.replace(
            "</sheetData>",
            '<row r="6">'
            + text_cell("A6", "od2")
            + text_cell("B6", "ベル_x0007_鳴る")
            + text_cell("C6", "aizu")
            + "</row></sheetData>",
        )

    path = tmp_path / "bell.xlsx"
    path.write_bytes(with_sheet_xml(book_bytes(), SHEET_SERVICES, edit=bell))
    p = refused(path, into, capsys).problems[0]
    assert (p.line, p.field) == (6, f"{SHEET_SERVICES}!B6 サービス名") and "U+0007" in p.message


def test_a_workbook_with_a_dtd_is_refused_before_parsing(tmp_path, into, capsys) -> None:
    """XXE and entity expansion: the DTD is found in the raw XML, named in Japanese (it was '(ValueError)')."""

    def doctype(xml: str) -> str:
        return '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + xml

    path = tmp_path / "xxe.xlsx"
    path.write_bytes(with_sheet_xml(book_bytes(), SHEET_PLATFORMS, edit=doctype))
    p = refused(path, into, capsys).problems[0]
    assert p.line == 1 and "DTD" in p.message and "ValueError" not in p.message
    assert p.field and p.field.startswith("xl/worksheets/")


def test_hearing_sheet_from_a_file_with_control_characters_is_refused_at_load(tmp_path, capsys) -> None:
    """The YAML side of point 8: control characters crashed hearing-sheet (IllegalCharacterError) and a
    40,000-character name was cut silently to Excel's 32,767; both are refused when the file is loaded."""
    for name, value, words in (
        ("bell.yaml", '"基盤\\a名"', "U+0007"),
        ("long.yaml", "あ" * 40_000, "文字が長すぎます"),
    ):
        path = tmp_path / name
        path.write_text(GOOD_YAML.replace("name: 県の基盤", f"name: {value}"), encoding="utf-8")
        out = tmp_path / "sheet.xlsx"
        assert main(["hearing-sheet", "07", "--xlsx", str(out), "--from", str(path)]) == 2
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and f"{name}:5: platforms[0].name:" in lines[0] and words in lines[0]
        assert len(lines[0]) < 300 and not out.exists()


def test_a_row_number_in_superscript_digits_is_no_traceback(tmp_path, into, capsys) -> None:
    """``<row r="²">``: "²".isdigit() is True but int() refuses it; the streamed reader counted on isdigit
    (a bare ValueError). Such a row is now counted as the next row, like a row without a number."""
    n = len(read_hearing(_book(tmp_path, "")).platforms)
    rows = platform_rows(40, 41).replace('<row r="41">', '<row r="²">')
    book = _book(tmp_path, rows, name="superscript.xlsx")
    assert [p.id for p in read_hearing(book).platforms][n:] == ["p40", "p41"]
    assert main(["import-sheet", str(book), "--into", str(into)]) == 0, capsys.readouterr().err


def _book(tmp_path: Path, rows_xml: str, name: str = "book.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(with_sheet_xml(book_bytes(), SHEET_PLATFORMS, rows_xml))
    return path
