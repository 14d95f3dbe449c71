"""Hostile and odd データマップ workbooks (issue 24 points 1, 2 and 7), each built here, none stored.

Before: ``import-datamap`` read workbooks with openpyxl's normal mode. A value at XFD2000 ran 41 s into a
MemoryError at a 3 GB limit (past 120 s and 7 GB without one); a merged range A20:XFD1048576 the same; 150,000
formatted empty rows took 15 s; a 5,000-digit number and a DTD gave 「Excel ブック（.xlsx）として読めません
（ValueError）」 with no cell; a 178 MB shared-strings table (445 KB packed) took 83 s and 1.1 GB in both importers;
each new service scanned every id (20,000 services: 47 s); one mistake on 200,000 rows printed 200,000 lines.

Now the workbook is read through the hearing sheets' streamed, capped reader (:mod:`workbench.xlsx_stream`):
every refusal names the file, the row and the cell, the command exits 2, nothing is written. Timings are in
``benchmarks/redteam_datamap.py`` (and B6), never asserted here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from datamap_books import book_bytes, edit_sheet, official_book, shared_strings_bomb
from test_bad_inputs import GOOD_YAML, filled_workbook

import workbench as wb
from workbench.cli import main
from workbench.datamap_sheets import import_datamap, read_datamap
from workbench.sheets import read_hearing
from workbench.xlsx_stream import MAX_COLUMNS, MAX_MERGED, MAX_ROW, MAX_SHARED_STRINGS

ASSET_SHEET = "データアセット側データマップ"
PREF = {
    "prefecture": "香川県",
    "platforms": [
        {
            "id": "area",
            "name": "かがわデータ連携基盤",
            "operated_by": "prefecture",
            "components": ["non_personal"],
        }
    ],
    "services": [{"id": "bousai_app", "name": "防災アプリ", "platform": "area"}],
}
SERVICE_HEADER = (
    "サービス名,サービスへの取込データ,サービスでの取得データ（内部利用のみに限るもの）,"
    "サービスでの取得データ（外部利用が可能なもの）,提供頻度,提供方法,提供先"
)


def base_book():
    return official_book(
        [{"service": "防災アプリ", "intake": "指定避難所一覧"}],
        [
            {
                "name": "指定避難所一覧",
                "owner": "防災危機管理課",
                "location": "防災情報管理システム",
                "to": "防災アプリ",
            }
        ],
    )


@pytest.fixture
def into(tmp_path: Path) -> Path:
    path = tmp_path / "37.yaml"
    path.write_text(json.dumps(PREF, ensure_ascii=False), encoding="utf-8")
    return path


def refused(path: Path, into: Path, capsys) -> wb.InputError:
    """Refused by the API and the command line alike: exit 2, one located line, nothing written."""
    before = {p.name: p.read_bytes() for p in into.parent.iterdir()}
    with pytest.raises(wb.InputError) as info:
        read_datamap(path)
    assert main(["import-datamap", str(path), "--into", str(into)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("エラー: ") and path.name in lines[0], lines
    assert "Traceback" not in lines[0] and len(lines[0]) < 400
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
def test_a_value_far_away_is_refused_at_its_cell(tmp_path, into, capsys, cell, line, words):
    book = base_book()
    book[ASSET_SHEET][cell] = "x"
    path = tmp_path / "far.xlsx"
    book.save(path)
    assert path.stat().st_size < 30_000
    p = refused(path, into, capsys).problems[0]
    assert (p.line, p.field) == (line, f"{ASSET_SHEET}!{cell}") and words in p.message


def test_a_merged_range_to_the_sheets_end_is_read_within_the_values(tmp_path, into):
    """A20:XFD1048576 merged (formatting, no value): clipped to the cells that hold values, imported."""

    def merge(xml: str) -> str:
        return xml.replace("</mergeCells>", '<mergeCell ref="A20:XFD1048576"/></mergeCells>')

    path = tmp_path / "merged.xlsx"
    path.write_bytes(edit_sheet(book_bytes(base_book()), ASSET_SHEET, merge))
    res = import_datamap([path], into)
    assert res.assets_added == ["area-a001"]


def test_too_many_merged_ranges_are_refused(tmp_path, into, capsys):
    def merges(xml: str) -> str:
        cells = "".join(f'<mergeCell ref="J{r}:K{r}"/>' for r in range(10, 10 + MAX_MERGED + 5))
        return xml.replace("</mergeCells>", cells + "</mergeCells>")

    path = tmp_path / "merges.xlsx"
    path.write_bytes(edit_sheet(book_bytes(base_book()), ASSET_SHEET, merges))
    p = refused(path, into, capsys).problems[0]
    assert "結合されたセルの範囲が多すぎます" in p.message and p.field.startswith(ASSET_SHEET)


def test_150000_formatted_rows_are_read_and_150000_value_rows_refused(tmp_path, into, capsys):
    def rows(xml: str, value: bool) -> str:
        body = "".join(
            f'<row r="{r}"><c r="B{r}" t="inlineStr"><is><t>データ{r}</t></is></c></row>'
            if value
            else f'<row r="{r}" s="1" customFormat="1">'
            + "".join(f'<c r="{c}{r}" s="1"/>' for c in "ABCDEFG")
            + "</row>"
            for r in range(10, 150_010)
        )
        return xml.replace("</sheetData>", body + "</sheetData>")

    empty = tmp_path / "formatted.xlsx"
    empty.write_bytes(edit_sheet(book_bytes(base_book()), ASSET_SHEET, lambda x: rows(x, False)))
    assert len(read_datamap(empty).assets) == 1
    full = tmp_path / "full.xlsx"
    full.write_bytes(edit_sheet(book_bytes(base_book()), ASSET_SHEET, lambda x: rows(x, True)))
    p = refused(full, into, capsys).problems[0]
    assert p.line == MAX_ROW + 1 and "行が多すぎます" in p.message


def test_a_5000_digit_number_is_a_located_problem(tmp_path, into, capsys):
    def put(xml: str) -> str:  # the 所管元 of the first data row becomes a number of 5,000 digits
        return re.sub(r'<c r="C6"[^>]*>.*?</c>', '<c r="C6"><v>' + "9" * 5000 + "</v></c>", xml, count=1)

    path = tmp_path / "digits.xlsx"
    path.write_bytes(edit_sheet(book_bytes(base_book()), ASSET_SHEET, put))
    p = refused(path, into, capsys).problems[0]
    assert (p.line, p.field) == (6, f"{ASSET_SHEET}!C6 データの所管元") and "5,000 桁" in p.message


def test_a_workbook_with_a_dtd_is_a_located_problem(tmp_path, into, capsys):
    def doctype(xml: str) -> str:
        rest = xml.split("?>", 1)[1] if xml.startswith("<?xml") else xml
        return '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + rest

    path = tmp_path / "xxe.xlsx"
    path.write_bytes(edit_sheet(book_bytes(base_book()), ASSET_SHEET, doctype))
    p = refused(path, into, capsys).problems[0]
    assert p.line == 1 and "DTD" in p.message and "ValueError" not in p.message
    assert p.field and p.field.startswith("xl/worksheets/")


def test_a_shared_strings_bomb_is_refused_before_it_is_read(tmp_path, into, capsys):
    """A table of 1.3 million one-letter strings (22 MB unpacked, 60 KB packed; the red team's was 445 KB → 178 MB,
    built in benchmarks/redteam_datamap.py): refused by its size before any parser reads it, in both importers."""
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(shared_strings_bomb(book_bytes(base_book()), 1_300_000))
    assert path.stat().st_size < 200_000
    p = refused(path, into, capsys).problems[0]
    assert p.field == "xl/sharedStrings.xml" and "文字列の表が大きすぎます" in p.message
    hearing = tmp_path / "hearing.xlsx"
    hearing.write_bytes(shared_strings_bomb(book_bytes(filled_workbook()), 1_300_000))
    with pytest.raises(wb.InputError) as err:
        read_hearing(hearing)
    assert err.value.problems[0].field == "xl/sharedStrings.xml"
    yaml_into = tmp_path / "07.yaml"
    yaml_into.write_text(GOOD_YAML, encoding="utf-8")
    assert main(["import-sheet", str(hearing), "--into", str(yaml_into)]) == 2


def test_many_tiny_shared_strings_are_refused_by_count(tmp_path, into, capsys):
    """Under the byte cap, over the count cap (150,000 one-letter strings are 2.5 MB unpacked)."""
    path = tmp_path / "count.xlsx"
    n = MAX_SHARED_STRINGS + 50_000
    path.write_bytes(shared_strings_bomb(book_bytes(base_book()), n))
    p = refused(path, into, capsys).problems[0]
    assert p.field == "xl/sharedStrings.xml" and "項目が多すぎます" in p.message


def test_a_cell_beyond_the_columns_read_is_still_refused(tmp_path, into, capsys):
    book = base_book()
    book[ASSET_SHEET].cell(row=6, column=MAX_COLUMNS + 1, value="メモ")
    path = tmp_path / "wide.xlsx"
    book.save(path)
    p = refused(path, into, capsys).problems[0]
    assert p.line == 6 and "列が多すぎます" in p.message


# --- issue 24 point 2: linear ids, one line for a repeated mistake ----------------------------------------------


def test_20000_new_services_get_ids_in_one_pass(tmp_path, into, capsys):
    """Each new id was found by scanning every id from 001 (20,000 services: 47 s); now a counter per prefix.
    20,000 services are more than a prefecture file may hold: the real run and the dry run (which checks
    everything the real run does, issue 24.7) say so at once, writing nothing."""

    def services(n: int) -> Path:
        path = tmp_path / f"services{n}.csv"
        lines = [SERVICE_HEADER] + [f"新サービス{k},データ{k},,,,," for k in range(n)]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    res = import_datamap([services(2_000)], into, platform="area", dry_run=True)
    assert len(res.added_services) == 2_000 == len(set(res.added_services))
    assert res.added_services[0] == "area-s001" and res.added_services[-1] == "area-s2000"
    assert "台帳に追加 2,000 件" in res.summary() and "area-s" not in res.summary()
    path = services(20_000)
    before = into.read_bytes()
    for dry in ([], ["--dry-run"]):
        assert main(["import-datamap", str(path), "--into", str(into), "--platform", "area", *dry]) == 2
        (line,) = capsys.readouterr().err.strip().splitlines()
        assert "上限を超えるため、書き込みませんでした" in line and "サービスの追加 20,000 件" in line
        assert into.read_bytes() == before


def test_one_mistake_on_200000_rows_is_one_line(tmp_path, into, capsys):
    path = tmp_path / "mistake.csv"
    lines = [SERVICE_HEADER] + [f"x{k},,,,,," for k in range(200_000)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["import-datamap", str(path), "--into", str(into)]) == 2
    err = capsys.readouterr().err
    (line,) = err.strip().splitlines()
    assert "同じ誤り 200,000 行: 2–200,001 行目" in line and len(line) < 400
