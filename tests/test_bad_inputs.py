"""The bad-input corpus (issue 7): every bad input gives a located error and leaves every file byte-identical.

tests/bad_inputs/index.csv lists each case: its kind (yaml, csv, xlsx), its file (a data file in
tests/bad_inputs/, or ``gen:NAME`` for a binary or large input built here by ``GENERATED[NAME]``), and the
expected line and field of the first problem (field empty where the problem has none, e.g. YAML syntax).

Each case runs through the command line (``workbench.cli.main``: exit status 2, located message on stderr)
and through the Python API (``InputError`` with file and line), and the bytes of every file in the folder
are compared before and after: nothing is written, nothing is left behind.

Federation cycles: federation between platforms is a symmetric relation (both sides list each other) and a
chain A–B–C–A is a legitimate mesh, so the only federation "cycle" that is an error is a platform federated
with itself (``federation_self_*``).
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook

import workbench as wb
from workbench.cli import main
from workbench.datamap_sheets import import_datamap
from workbench.inventory import yamlio
from workbench.sheets import (
    SHEET_PLATFORMS,
    SHEET_SERVICES,
    hearing_workbook,
    import_hearings,
    platform_columns,
    read_hearing,
    service_columns,
)
from workbench.tabular import read_municipality_list

HERE = Path(__file__).parent / "bad_inputs"

GOOD_YAML = """\
# 取り込み先（正しいファイル）
prefecture: 福島県
platforms:
  - id: pref-platform
    name: 県の基盤
    operated_by: prefecture
    components: [non_personal]
"""


# --- generated inputs ----------------------------------------------------------------------------


def _letter(sheet: str, header: str) -> str:
    from openpyxl.utils import get_column_letter

    cols = platform_columns() if sheet == SHEET_PLATFORMS else service_columns()
    return get_column_letter(next(i for i, c in enumerate(cols, 1) if c.header == header))


def filled_workbook():
    """A correctly filled hearing workbook: one platform (row 5), one service (row 5)."""
    book = hearing_workbook("07", respondent="会津若松市")
    ws = book[SHEET_PLATFORMS]
    row = {
        "基盤ID": "aizu",
        "基盤名": "会津の基盤",
        "運営主体": "会津若松市",
        "非パーソナルデータ連携基盤": "あり",
        "サービス利用者の範囲": "基礎自治体内",
        "利用する市区町村": "会津若松市",
    }
    for h, v in row.items():
        ws[f"{_letter(SHEET_PLATFORMS, h)}5"] = v
    ws = book[SHEET_SERVICES]
    for h, v in {"サービスID": "od", "サービス名": "オープンデータ", "基盤ID": "aizu"}.items():
        ws[f"{_letter(SHEET_SERVICES, h)}5"] = v
    return book


def _xlsx(mutate: Callable) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        book = filled_workbook()
        mutate(book)
        path = folder / "filled.xlsx"
        book.save(path)
        return path

    return make


def _set(sheet: str, header: str, value: object, row: int = 5) -> Callable:
    def mutate(book) -> None:
        book[sheet][f"{_letter(sheet, header)}{row}"] = value

    return mutate


def _bytes(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path

    return make


def _merge_header(book) -> None:
    book[SHEET_PLATFORMS].merge_cells("C4:D4")


def _duplicate_header(book) -> None:
    ws = book[SHEET_PLATFORMS]
    ws.cell(row=4, column=ws.max_column + 1, value="サービス利用者の範囲")


def _unlabelled_column(book) -> None:
    ws = book[SHEET_PLATFORMS]
    ws.cell(row=5, column=ws.max_column + 2, value="メモ：来年度更新")


def _drop_required_column(book) -> None:
    book[SHEET_PLATFORMS][f"{_letter(SHEET_PLATFORMS, '運営主体')}4"] = "運営者"


def _formula(book) -> None:
    book[SHEET_PLATFORMS][f"{_letter(SHEET_PLATFORMS, '基盤名')}5"] = '=CONCAT("会津","基盤")'


def _duplicate_row(book) -> None:
    ws = book[SHEET_PLATFORMS]
    for c in range(1, ws.max_column + 1):
        ws.cell(row=6, column=c, value=ws.cell(row=5, column=c).value)


def _missing_id(book) -> None:
    ws = book[SHEET_PLATFORMS]
    ws[f"{_letter(SHEET_PLATFORMS, '基盤名')}6"] = "名前だけの基盤"


def _wrong_prefecture(book) -> None:
    book["説明"]["B3"] = "東京都"
    book["説明"]["B4"] = "13"


def _no_header_row(book) -> None:
    ws = book[SHEET_SERVICES]
    for c in range(1, ws.max_column + 1):
        ws.cell(row=4, column=c).value = None


def _oversized_yaml() -> bytes:
    line = "# " + "あ" * 100 + "\n"
    return ("prefecture: 福島県\n" + line * (yamlio.MAX_BYTES // len(line.encode()) + 10)).encode()


def _text(name: str, text: str) -> Callable[[Path], Path]:
    return _bytes(name, text.encode("utf-8"))


# issue 12: inputs that gave a traceback, hung or named the wrong line
ISSUE12 = {
    "date_impossible_day.yaml": GOOD_YAML + "plan:\n  start: 2026-04-31\n",
    "date_impossible_month.yaml": GOOD_YAML + "plan:\n  start: 2024-13-45\n",
    "number_5000_digits.yaml": GOOD_YAML + "costs:\n  horizon_years: " + "9" * 5000 + "\n",
    "control_character_escaped.yaml": GOOD_YAML.replace("name: 県の基盤", 'name: "県の\\a基盤"'),
    "control_character_raw.yaml": GOOD_YAML.replace("name: 県の基盤", "name: 県の\x07基盤"),
    "name_40000_characters.yaml": GOOD_YAML.replace("name: 県の基盤", "name: " + "あ" * 40_000),
    "unterminated_quote.yaml": GOOD_YAML.replace("name: 県の基盤", 'name: "県の基盤') + "services: []\n",
    # the quote after ":" without a space hid every bracket from the old nesting pre-check
    "crafted_quote_nesting.yaml": GOOD_YAML + 'notes: {a:"' + "[" * 3000 + "\n",
    "closing_brackets_in_quotes.yaml": GOOD_YAML + "notes: " + '[ "]" ' * 3000 + "\n",
    "flow_900k_nodes.yaml": GOOD_YAML + "facts: [" + ",".join(["1"] * 900_000) + "]\n",
}
#: the prefecture file the data-map cases are imported into (issue 24: kind ``datamap``)
DATAMAP_INTO = """\
# 取り込み先（正しいファイル）
prefecture: 香川県
platforms:
  - {id: area, name: エリアデータ連携基盤, operated_by: prefecture, components: [non_personal]}
services:
  - {id: bousai_app, name: 防災アプリ, platform: area}
  - {id: kanko_app, name: 観光アプリ, platform: area}
"""
DATAMAP_HEADER = "データアセット名,データの所管元,データの所在,提供頻度,提供方法,提供先サービス,基盤ID\n"
MIXED_UTF8_CP932 = "\n".join(
    GOOD_YAML.splitlines()[:4]
).encode() + "\n    name: 県の基盤（ＣＰ９３２）\n".encode("cp932")


GENERATED: dict[str, Callable[[Path], Path]] = {
    **{name: _text(name, text) for name, text in ISSUE12.items()},
    "mixed_encoding.yaml": _bytes("mixed_encoding.yaml", MIXED_UTF8_CP932 + b"    operated_by: prefecture\n"),
    "csv_mixed_encoding.csv": _bytes(
        "csv_mixed_encoding.csv",
        "会津若松市\n郡山市\n".encode() + "いわき市\n".encode("cp932") + "白河市\n".encode(),
    ),
    "oversized.yaml": _bytes("oversized.yaml", _oversized_yaml()),
    "cp932.yaml": _bytes(
        "cp932.yaml", GOOD_YAML.replace("県の基盤", "県の基盤（ＣＰ９３２）").encode("cp932")
    ),
    "nul_bytes.yaml": _bytes("nul_bytes.yaml", GOOD_YAML.encode() + b"\x00\x00"),
    "csv_neither_encoding.csv": _bytes(
        "csv_neither_encoding.csv", "会津若松市\n".encode() + b"\x81\x20\x81\n"
    ),
    "csv_cp932_read_as_utf8.csv": _bytes(
        "csv_cp932_read_as_utf8.csv",
        "会津若松市\n".encode("cp932").decode("utf-8", errors="replace").encode("utf-8"),
    ),
    "csv_binary.csv": _bytes("csv_binary.csv", b"072028\n\x00\x01\x02"),
    "xlsx_missing_sheet": _xlsx(lambda b: b.remove(b[SHEET_SERVICES])),
    "xlsx_merged_header": _xlsx(_merge_header),
    "xlsx_duplicate_header": _xlsx(_duplicate_header),
    "xlsx_extra_unlabelled_column": _xlsx(_unlabelled_column),
    "xlsx_missing_required_column": _xlsx(_drop_required_column),
    "xlsx_no_header_row": _xlsx(_no_header_row),
    "xlsx_unknown_label": _xlsx(_set(SHEET_PLATFORMS, "サービス利用者の範囲", "全国")),
    "xlsx_bad_level": _xlsx(_set(SHEET_PLATFORMS, "身元確認レベル", "5")),
    "xlsx_bad_yes_no": _xlsx(_set(SHEET_PLATFORMS, "住民向け規約", "たぶん")),
    "xlsx_unknown_municipality": _xlsx(_set(SHEET_PLATFORMS, "利用する市区町村", "会津若松市、存在しない町")),
    "xlsx_check_digit": _xlsx(_set(SHEET_PLATFORMS, "利用する市区町村", "072029")),
    "xlsx_unknown_operator": _xlsx(_set(SHEET_PLATFORMS, "運営主体", "千代田区")),
    "xlsx_mojibake_cell": _xlsx(_set(SHEET_SERVICES, "サービス名", "オープン\ufffd\ufffdデータ")),
    # issue 24, point 4: U+FFFF as Excel stores what XML cannot hold (_xFFFF_): read back, it is refused
    "xlsx_uffff_cell": _xlsx(_set(SHEET_PLATFORMS, "基盤名", "会津_xFFFF_基盤")),
    "xlsx_c1_control_cell": _xlsx(_set(SHEET_SERVICES, "サービス名", "オープン\x85データ")),
    "xlsx_formula_cell": _xlsx(_formula),
    "xlsx_duplicate_id": _xlsx(_duplicate_row),
    "xlsx_missing_id": _xlsx(_missing_id),
    "xlsx_wrong_prefecture": _xlsx(_wrong_prefecture),
    "xlsx_federation_self": _xlsx(_set(SHEET_PLATFORMS, "認証連携先（基盤ID）", "aizu")),
    "xlsx_service_unknown_platform": _xlsx(_set(SHEET_SERVICES, "基盤ID", "nowhere")),
    "xlsx_id_with_space": _xlsx(_set(SHEET_SERVICES, "サービスID", "open data")),
    "xlsx_not_a_workbook": _bytes("filled.xlsx", "基盤ID,基盤名\naizu,会津\n".encode()),
    # issue 24, point 7: refused by the real run before, passed by --dry-run
    "datamap_40000_characters.csv": _text(
        "datamap_40000_characters.csv",
        DATAMAP_HEADER
        + "指定避難所一覧,"
        + "あ" * 40_000
        + ",防災情報管理システム,日次,CSV,防災アプリ,area\n",
    ),
}


def _cases() -> list:
    with open(HERE / "index.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [pytest.param(r, id=r["file"].removeprefix("gen:")) for r in rows]


CASES = _cases()


def test_corpus_size_and_index() -> None:
    assert len(CASES) >= 40
    kinds = {c.values[0]["kind"] for c in CASES}
    assert kinds == {"yaml", "csv", "xlsx", "datamap"}
    listed = {c.values[0]["file"] for c in CASES}
    on_disk = {p.name for p in HERE.iterdir() if p.name != "index.csv"}
    assert on_disk <= listed, f"files missing from index.csv: {on_disk - listed}"
    assert {f"gen:{k}" for k in GENERATED} <= listed


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def good_xlsx_bytes() -> bytes:
    import io

    buf = io.BytesIO()
    filled_workbook().save(buf)
    return buf.getvalue()


def _prepare(case: dict, folder: Path) -> Path:
    if case["file"].startswith("gen:"):
        return GENERATED[case["file"][4:]](folder)
    return Path(shutil.copy(HERE / case["file"], folder / case["file"]))


def _check_error(err: wb.InputError, case: dict, path: Path) -> None:
    first = err.problems[0]
    assert first.file and Path(first.file).name == path.name, str(err)
    assert first.line is not None, str(err)
    if case["line"]:
        assert first.line == int(case["line"]), str(err)
    if case["field"]:
        assert case["field"] in (first.field or ""), str(err)


def _commands(kind: str, path: Path, tmp_path: Path, into: Path) -> list[list[str]]:
    """The command lines that read a case of ``kind``."""
    if kind == "yaml":
        return [["classify", str(path)], ["import-sheet", str(tmp_path / "ok.xlsx"), "--into", str(path)]]
    if kind == "csv":
        return [["hearing-sheet", "07", "--xlsx", str(tmp_path / "out.xlsx"), "--municipalities", str(path)]]
    if kind == "datamap":  # the dry run checks what the real run checks (issue 24, point 7)
        return [["import-datamap", str(path), "--into", str(into), *dry] for dry in (["--dry-run"], [])]
    return [["import-sheet", str(path), "--into", str(into)]]


@pytest.mark.parametrize("case", CASES)
def test_bad_input(
    case: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str], good_xlsx_bytes: bytes
) -> None:
    monkey_cwd = tmp_path
    path = _prepare(case, monkey_cwd)
    into = tmp_path / "pref.yaml"
    if case["kind"] == "xlsx":
        into.write_text(GOOD_YAML, encoding="utf-8")
    elif case["kind"] == "datamap":
        into.write_text(DATAMAP_INTO, encoding="utf-8")
    else:
        (tmp_path / "ok.xlsx").write_bytes(good_xlsx_bytes)
    before = snapshot(tmp_path)

    # the command line: exit 2, one located line per problem, nothing written
    for argv in _commands(case["kind"], path, tmp_path, into):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        lines = err.strip().splitlines()
        assert lines and all(line.startswith("エラー: ") for line in lines)
        assert path.name in lines[0]
        if case["line"]:
            assert f"{path.name}:{case['line']}" in lines[0], lines[0]
        if case["field"]:
            assert case["field"] in lines[0], lines[0]
        assert snapshot(tmp_path) == before, f"files changed by {argv}"

    # the Python API
    with pytest.raises(wb.InputError) as info:
        if case["kind"] == "yaml":
            wb.load(path)
        elif case["kind"] == "csv":
            read_municipality_list(path, "07")
        elif case["kind"] == "datamap":
            import_datamap([path], into, dry_run=True)
        else:
            import_hearings([path], into)
    _check_error(info.value, case, path)
    if case["kind"] == "xlsx" and not case["file"].endswith(("federation_self", "unknown_platform")):
        with pytest.raises(wb.InputError) as info2:  # found in the workbook alone (not a cross-object check)
            read_hearing(path, prefecture="07")
        _check_error(info2.value, case, path)
    assert snapshot(tmp_path) == before


def test_xlsx_cells_are_named_by_sheet_cell_and_header(tmp_path: Path) -> None:
    path = GENERATED["xlsx_unknown_label"](tmp_path)
    with pytest.raises(wb.InputError) as info:
        read_hearing(path)
    p = info.value.problems[0]
    col = _letter(SHEET_PLATFORMS, "サービス利用者の範囲")
    assert (p.line, p.field) == (5, f"基盤!{col}5 サービス利用者の範囲")
    assert p.value == "全国" and "基礎自治体内" in (p.allowed or "")


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    book = filled_workbook()
    ws = book[SHEET_PLATFORMS]
    ws[f"{_letter(SHEET_PLATFORMS, 'サービス利用者の範囲')}5"] = "全国"
    ws[f"{_letter(SHEET_PLATFORMS, '身元確認レベル')}5"] = "9"
    book[SHEET_SERVICES][f"{_letter(SHEET_SERVICES, '提供者')}5"] = "宇宙人"
    book.save(tmp_path / "x.xlsx")
    with pytest.raises(wb.InputError) as info:
        read_hearing(tmp_path / "x.xlsx")
    fields = [p.field for p in info.value.problems]
    assert len(fields) == 3
    assert any("サービス!" in f for f in fields)


def test_loaded_workbook_is_not_modified(tmp_path: Path) -> None:
    path = GENERATED["xlsx_merged_header"](tmp_path)
    data = path.read_bytes()
    with pytest.raises(wb.InputError):
        read_hearing(path)
    assert path.read_bytes() == data
    assert load_workbook(path)[SHEET_PLATFORMS].merged_cells.ranges


def test_population_zero_member_is_an_error_only_for_population_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """双葉町 (075469) had 0 inhabitants in the 2020 census: fine as a member, an error for population rules."""
    text = (HERE / "costs_population_zero.yaml").read_text(encoding="utf-8")
    path = tmp_path / "futaba.yaml"
    path.write_text(text.replace("  weights: {flat: 0.5, population: 0.5}\n", ""), encoding="utf-8")
    before = snapshot(tmp_path)
    pref = wb.load(path)  # no population rule in the file itself: loads
    assert wb.allocate(pref, rule="equal").members
    with pytest.raises(wb.InputError) as info:
        wb.allocate(pref, rule="population")
    assert info.value.line == 16 and "costs.members[1]" in (info.value.field or "")
    assert main(["cost", str(path), "--rule", "population", "--json"]) == 2
    err = capsys.readouterr().err
    assert "075469" in err and ":16:" in err
    assert snapshot(tmp_path) == before


def test_xlsx_zip_bomb_is_refused_before_unpacking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import workbench.xlsx_stream as xlsx_stream

    path = GENERATED["xlsx_unknown_label"](tmp_path)
    monkeypatch.setattr(xlsx_stream, "MAX_UNPACKED_BYTES", 1000)  # stands in for a 10 GB expansion
    with pytest.raises(wb.InputError) as info:
        read_hearing(path)
    assert info.value.line == 1 and "展開後のサイズ" in str(info.value)


@pytest.mark.parametrize("value", ["2026-04-31", "2024-13-45", "9" * 5000])
def test_an_impossible_date_on_the_command_line_is_one_japanese_line(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 12, point 6: every command; here the --on date of ``auth`` (argparse's own error was two English
    lines)."""
    with pytest.raises(SystemExit) as info:
        main(["auth", str(HERE.parent.parent / "data" / "prefectures" / "07_fukushima.yaml"), "--on", value])
    assert info.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("エラー: <コマンドライン>: workbench auth: --on: 日付は")
    assert len(lines[0]) < 300
