"""Hearing sheets (issue 7): generate, fill by script, import, merge with conflicts; messy CSV; safe cells."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

import workbench as wb
from workbench.classify import classify
from workbench.cli import main
from workbench.files import safe_cell, unsafe_cell
from workbench.sheets import (
    HEADER_ROW,
    SHEET_LISTS,
    SHEET_MUNIS,
    SHEET_PLATFORMS,
    SHEET_SERVICES,
    hearing_workbook,
    import_hearings,
    platform_columns,
    read_hearing,
    service_columns,
)
from workbench.tabular import csv_bytes, decode_text, read_municipality_list, write_csv

SAMPLE = Path(__file__).parent.parent / "data" / "prefectures" / "07_fukushima.yaml"


def letter(sheet: str, header: str) -> str:
    cols = platform_columns() if sheet == SHEET_PLATFORMS else service_columns()
    return get_column_letter(next(i for i, c in enumerate(cols, 1) if c.header == header))


def fill(book, sheet: str, row: int, values: dict[str, object]) -> None:
    for header, value in values.items():
        book[sheet][f"{letter(sheet, header)}{row}"] = value


def headers(ws) -> list[str]:
    return [c.value for c in ws[HEADER_ROW] if c.value]


# --- generating ------------------------------------------------------------------------------------


def test_hearing_workbook_sheets_municipalities_and_dropdowns() -> None:
    book = hearing_workbook("福島県")
    dm = [
        "サービス側データマップ",
        "データアセット側データマップ",
    ]  # workbench.datamap_sheets (tests/test_datamap_sheets.py)
    assert book.sheetnames == ["説明", SHEET_MUNIS, SHEET_PLATFORMS, SHEET_SERVICES, *dm, SHEET_LISTS]
    assert book[SHEET_LISTS].sheet_state == "hidden"
    info = book["説明"]
    assert info["B3"].value == "福島県" and info["B4"].value == "07"
    assert any("ヒアリング" in str(c.value) for c in info["A"])
    munis = book[SHEET_MUNIS]
    rows = list(munis.iter_rows(min_row=HEADER_ROW + 1, values_only=True))
    assert len(rows) == 59  # 福島県 has 59 municipalities (2020 census)
    assert ("072028", "会津若松市", 117376) in rows
    assert ("075469", "双葉町", 0) in rows
    plat = book[SHEET_PLATFORMS]
    assert headers(plat)[:3] == ["基盤ID", "基盤名", "運営主体"]
    assert "サービス利用者の範囲" in headers(plat) and "パーソナルデータ連携基盤" in headers(plat)
    formulas = {
        next(iter(dv.sqref.ranges)).coord.split(":")[0].rstrip("0123456789"): dv.formula1
        for dv in plat.data_validations.dataValidation
    }
    scope = letter(SHEET_PLATFORMS, "サービス利用者の範囲")
    assert formulas[scope].startswith(f"'{SHEET_LISTS}'!")
    lists = book[SHEET_LISTS]
    labels = {c.value for col in lists.iter_cols() for c in col}
    assert {
        "基礎自治体内",
        "都道府県内",
        "内部（接続組織単位でのデータベース分離あり）",
        "会津若松市",
    } <= labels
    assert formulas[letter(SHEET_PLATFORMS, "住民向け規約")] == '"あり,なし"'
    svc = book[SHEET_SERVICES]
    refs = [dv.formula1 for dv in svc.data_validations.dataValidation]
    assert any(f.startswith(f"'{SHEET_PLATFORMS}'!$A$") for f in refs)


def test_prefilled_from_existing_prefecture_with_labels() -> None:
    pref = wb.load(SAMPLE)
    book = hearing_workbook("07", pref)
    ws = book[SHEET_PLATFORMS]
    assert ws["A5"].value == "pref-platform" and ws["A6"].value == "aizu-platform"
    assert ws[f"{letter(SHEET_PLATFORMS, '運営主体')}5"].value == "都道府県"
    assert ws[f"{letter(SHEET_PLATFORMS, 'サービス提供スキーム')}5"].value == "自治体のみ"
    assert ws[f"{letter(SHEET_PLATFORMS, '個人認証サービス')}5"].value == "あり"
    assert "会津若松市" in ws[f"{letter(SHEET_PLATFORMS, '利用する市区町村')}6"].value
    assert book[SHEET_SERVICES]["A5"].value == "portal"


def test_generated_cells_are_formula_safe() -> None:
    pref = wb.loads(
        SAMPLE.read_text(encoding="utf-8").replace("name: 電子申請", 'name: "=HYPERLINK(\\"http://x\\")"')
    )
    book = hearing_workbook("07", pref)
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert any(c.value == '\'=HYPERLINK("http://x")' for c in cells)


def test_cli_hearing_sheet_writes_xlsx(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "hearing.xlsx"
    lst = tmp_path / "munis.csv"
    lst.write_bytes("市区町村\n会津若松市\n郡山市\n".encode("cp932"))
    assert (
        main(
            [
                "hearing-sheet",
                "07",
                "--xlsx",
                str(out),
                "--from",
                str(SAMPLE),
                "--municipalities",
                str(lst),
                "--respondent",
                "07202",
            ]
        )
        == 0
    )
    book = load_workbook(out)
    assert book["説明"]["B5"].value == "会津若松市"
    assert [r[1] for r in book[SHEET_MUNIS].iter_rows(min_row=5, values_only=True)] == [
        "会津若松市",
        "郡山市",
    ]
    assert main(["hearing-sheet", "福島州", "--xlsx", str(tmp_path / "x.xlsx")]) == 2
    assert "都道府県が分かりません" in capsys.readouterr().err
    assert not (tmp_path / "x.xlsx").exists()


# --- round trips -----------------------------------------------------------------------------------


def test_round_trip_generated_filled_imported_classified(tmp_path: Path) -> None:
    """hearing sheet generated → filled by a script → imported → classify: one municipality, non-personal only."""
    assert main(["hearing-sheet", "07", "--xlsx", str(tmp_path / "blank.xlsx")]) == 0
    book = load_workbook(tmp_path / "blank.xlsx")
    book["説明"]["B5"] = "会津若松市"
    fill(
        book,
        SHEET_PLATFORMS,
        5,
        {
            "基盤ID": "aizu-np",
            "基盤名": "会津若松 オープンデータ基盤",
            "運営主体": "会津若松市",
            "個人認証サービス": "なし",
            "非パーソナルデータ連携基盤": "あり",
            "パーソナルデータ連携基盤": "なし",
            "サービス提供スキーム": "自治体のみ",
            "サービス利用者の範囲": "基礎自治体内",
            "非パーソナルブローカー（データ管理方式）": "外部",
            "住民向け規約": "なし",
            "非パーソナルデータ連携モジュール（FIWARE Orion）": "あり",
            "API公開": "あり",
        },
    )
    fill(
        book,
        SHEET_SERVICES,
        5,
        {
            "サービスID": "dashboard",
            "サービス名": "ダッシュボード",
            "基盤ID": "aizu-np",
            "提供者": "自治体",
            "パーソナルデータを扱う": "なし",
        },
    )
    book.save(tmp_path / "aizu.xlsx")
    into = tmp_path / "fukushima.yaml"
    assert main(["import-sheet", str(tmp_path / "aizu.xlsx"), "--into", str(into)]) == 0
    pref = wb.load(into)
    p = pref.platform("aizu-np")
    assert (p.operated_by, p.components, p.modules) == ("072028", ["non_personal"], ["orion"])
    assert p.non_personal_broker == "external" and p.api_published is True
    assert classify(pref).current_type == "1.4"
    assert main(["classify", str(into), "--json"]) == 0


def test_round_trip_of_the_sample_is_lossless(tmp_path: Path) -> None:
    pref = wb.load(SAMPLE)
    (tmp_path / "s.xlsx").write_bytes(_xlsx(hearing_workbook("07", pref)))
    result = import_hearings([tmp_path / "s.xlsx"], tmp_path / "new.yaml")
    new = wb.load(tmp_path / "new.yaml")
    assert [p.model_dump() for p in new.platforms] == [p.model_dump() for p in pref.platforms]
    assert [s.model_dump() for s in new.services] == [s.model_dump() for s in pref.services]
    assert len(result.added) == 7
    # importing the unchanged sheet into the sample itself changes nothing, not even a .bak
    copy = tmp_path / "fukushima.yaml"
    copy.write_bytes(SAMPLE.read_bytes())
    result = import_hearings([tmp_path / "s.xlsx"], copy)
    assert not result.added and not result.updated
    assert copy.read_bytes() == SAMPLE.read_bytes() and not (tmp_path / "fukushima.yaml.bak").exists()


def _xlsx(book) -> bytes:
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_messy_cells_are_normalised(tmp_path: Path) -> None:
    book = hearing_workbook("07")
    fill(
        book,
        SHEET_PLATFORMS,
        5,
        {
            "基盤ID": "ｐ１",
            "基盤名": "  基盤（全角）  ",
            "運営主体": "072028",
            "非パーソナルデータ連携基盤": "○",
            "サービス利用者の範囲": "基礎自治体内 ",
            "身元確認レベル": "２",
            "当人認証レベル": 2.0,
            "個人認証サービス": "はい",
            "利用する市区町村": "会津若松市、河沼郡会津坂下町，０７２０１",
            "データ連携先（基盤ID）": "",
        },
    )
    book.save(tmp_path / "m.xlsx")
    h = read_hearing(tmp_path / "m.xlsx")
    row = h.platforms[0]
    assert row.id == "p1"
    assert row.values["name"] == "基盤（全角）"  # free text keeps its characters
    assert row.values["components"] == ["auth", "non_personal"]
    assert row.values["identity_proofing"] == 2 and row.values["authenticator"] == 2
    assert row.values["municipalities"] == ["072028", "074217", "072010"]
    assert "data_federation_with" not in row.values


def test_extra_and_reordered_columns_are_tolerated(tmp_path: Path) -> None:
    book = hearing_workbook("07")
    ws = book[SHEET_PLATFORMS]
    ws.insert_cols(1)  # a column of the municipality's own, before everything
    ws["A4"] = "担当者メモ"
    ws["A5"] = "来年度更新"
    ws.move_range("B4:B5", cols=ws.max_column)  # 基盤ID moved to the far right
    fill(book, SHEET_PLATFORMS, 5, {})
    ws["C5"], ws["D5"] = "基盤", "都道府県"  # 基盤名, 運営主体 (shifted by one)
    ws.cell(row=5, column=ws.max_column, value="p1")
    book.save(tmp_path / "r.xlsx")
    h = read_hearing(tmp_path / "r.xlsx")
    assert [(r.id, r.values["name"], r.values["operated_by"]) for r in h.platforms] == [
        ("p1", "基盤", "prefecture")
    ]


# --- merging ---------------------------------------------------------------------------------------


def _two_workbooks(tmp_path: Path, scope_b: str = "都道府県内") -> tuple[Path, Path]:
    paths = []
    for name, who, scope in (("a.xlsx", "会津若松市", "基礎自治体内"), ("b.xlsx", "郡山市", scope_b)):
        book = hearing_workbook("07", respondent=who)
        fill(
            book,
            SHEET_PLATFORMS,
            5,
            {
                "基盤ID": "shared",
                "基盤名": "共同基盤",
                "運営主体": "運営組織",
                "サービス利用者の範囲": scope,
                "利用する市区町村": who,
                "非パーソナルデータ連携基盤": "あり",
            },
        )
        book.save(tmp_path / name)
        paths.append(tmp_path / name)
    return paths[0], paths[1]


def test_conflict_is_reported_with_both_sources_and_nothing_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = _two_workbooks(tmp_path)
    into = tmp_path / "pref.yaml"
    assert main(["import-sheet", str(a), str(b), "--into", str(into)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    col = letter(SHEET_PLATFORMS, "サービス利用者の範囲")
    assert f"b.xlsx:5: 基盤!{col}5 サービス利用者の範囲" in err[0]
    assert "a.xlsx（会津若松市）" in err[0] and "b.xlsx（郡山市）" in err[0]
    assert "municipal" in err[0] and "prefectural" in err[0]
    assert not into.exists()


def test_conflict_resolved_by_prefer_or_first(tmp_path: Path) -> None:
    a, b = _two_workbooks(tmp_path)
    into = tmp_path / "pref.yaml"
    assert main(["import-sheet", str(a), str(b), "--into", str(into), "--prefer", str(b)]) == 0
    p = wb.load(into).platform("shared")
    assert p.user_scope == "prefectural"
    assert p.municipalities == ["072028", "072036"]  # each municipality's own use, unioned
    into.unlink()
    assert main(["import-sheet", str(a), str(b), "--into", str(into), "--on-conflict", "first"]) == 0
    assert wb.load(into).platform("shared").user_scope == "municipal"


def test_agreeing_workbooks_merge_without_conflict(tmp_path: Path) -> None:
    a, b = _two_workbooks(tmp_path, scope_b="基礎自治体内")
    res = import_hearings([a, b], tmp_path / "p.yaml")
    assert res.added == ["shared"]


def test_import_keeps_comments_and_refuses_stale_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    into = tmp_path / "fukushima.yaml"
    into.write_bytes(SAMPLE.read_bytes())
    a, _ = _two_workbooks(tmp_path)
    import_hearings([a], into)
    text = into.read_text(encoding="utf-8")
    assert "# 日本語ラベルでも書ける" in text and "id: shared" in text
    assert (tmp_path / "fukushima.yaml.bak").read_bytes() == SAMPLE.read_bytes()

    # someone edits the file between our read and our write: refused, their edit kept
    import workbench.sheets as sheets

    real = sheets.read_hearing

    def edit_meanwhile(*args, **kwargs):
        into.write_text(text + "# 別の人の編集\n", encoding="utf-8")
        return real(*args, **kwargs)

    monkeypatch.setattr(sheets, "read_hearing", edit_meanwhile)
    _, b = _two_workbooks(tmp_path, scope_b="基礎自治体内")
    with pytest.raises(wb.StaleFileError):
        import_hearings([b], into)
    assert into.read_text(encoding="utf-8").endswith("# 別の人の編集\n")


def test_workbook_of_another_prefecture_is_refused(tmp_path: Path) -> None:
    book = hearing_workbook("13")
    book.save(tmp_path / "tokyo.xlsx")
    into = tmp_path / "f.yaml"
    into.write_bytes(SAMPLE.read_bytes())
    with pytest.raises(wb.InputError) as info:
        import_hearings([tmp_path / "tokyo.xlsx"], into)
    assert "東京都のもの" in str(info.value)


# --- tabular: messy CSV, safe cells ----------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_municipality_list_in_any_encoding(tmp_path: Path, encoding: str) -> None:
    text = (
        "コード,市区町村名\n０７２０２８,会津若松市\n,河沼郡会津坂下町\n,南会津郡只見町 \n07201,\n,相馬市\n"
    )
    path = tmp_path / "list.csv"
    path.write_bytes(text.encode(encoding))
    assert read_municipality_list(path, "福島県") == ["072028", "074217", "073679", "072010", "072095"]


def test_municipality_names_with_variant_characters(tmp_path: Path) -> None:
    path = tmp_path / "k.csv"
    path.write_text("梼原町\n高岡郡檮原町\n", encoding="utf-8")  # census spelling 檮原町
    assert read_municipality_list(path, "39") == ["394050"]
    path.write_text("鰺ヶ沢町\n", encoding="utf-8")
    assert read_municipality_list(path, "02") == ["023213"]
    path.write_text("ｹｰﾀｲ\n", encoding="utf-8")
    with pytest.raises(wb.InputError) as info:
        read_municipality_list(path, "02")
    assert info.value.line == 1 and info.value.field == "1列目"


def test_decode_text_names_the_mojibake_line() -> None:
    data = "一行目\n二行目\n".encode() + "三行目".encode("cp932").decode("utf-8", "replace").encode()
    with pytest.raises(wb.InputError) as info:
        decode_text(data, "x.csv")
    assert (info.value.file, info.value.line) == ("x.csv", 3)
    assert decode_text("\ufeffあ".encode(), "x")[1] == "utf-8-sig"


@pytest.mark.parametrize("value", ["=1+1", "+81", "-2", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("x")'])
def test_safe_cell_escapes_formula_starts(value: str) -> None:
    assert safe_cell(value) == "'" + value
    assert unsafe_cell(safe_cell(value)) == value


@pytest.mark.parametrize("value", [-5, 3.5, 0, None, True, "abc", "'quoted", "a=b", "", "会津"])
def test_safe_cell_leaves_others(value: object) -> None:
    assert safe_cell(value) == value


def test_write_csv_is_safe_atomic_and_excel_readable(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    write_csv(path, [["名前", "値"], ["=cmd|' /C calc'!A0", -3], ["@x", None]])
    data = path.read_bytes()
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    assert "'=cmd" in text and "'@x" in text and ",-3" in text
    write_csv(path, [["新しい"]])
    assert (tmp_path / "out.csv.bak").read_bytes() == data
    assert csv_bytes([["+1"]], bom=False) == b"'+1\r\n"
