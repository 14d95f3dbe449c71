"""The データマップ in Excel both ways (workbench.datamap_sheets): generate → fill by script → import → analyse;
header wording of the template's README and of guidebook 11.2; located errors; CP932 CSV; conflicts; formulas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

import workbench as wb
from workbench.datamap_sheets import columns, datamap_workbook, import_datamap, read_datamap
from workbench.sheets import HEADER_ROW, hearing_workbook

ROOT = Path(__file__).resolve().parent.parent

PREF = {
    "prefecture": "香川県",
    "platforms": [
        {
            "id": "area",
            "name": "エリアデータ連携基盤",
            "operated_by": "prefecture",
            "components": ["non_personal"],
            "api_published": True,
        }
    ],
    "services": [
        {"id": "shelter_app", "name": "避難所混雑度通知アプリ", "platform": "area"},
        {"id": "bousai_app", "name": "防災アプリ", "platform": "area"},
        {"id": "kanko_app", "name": "観光アプリ", "platform": "area"},
        {"id": "portal", "name": "地域ポータル", "platform": "area"},
        {"id": "dash", "name": "防災ダッシュボード", "platform": "area"},
    ],
}


def pref_file(tmp_path: Path, data: dict | None = None) -> Path:
    path = tmp_path / "37_kagawa.yaml"
    path.write_text(json.dumps(data or PREF, ensure_ascii=False), encoding="utf-8")
    return path


def header_columns(ws) -> dict[str, int]:
    return {ws.cell(row=HEADER_ROW, column=c).value: c for c in range(1, ws.max_column + 1)}


def fill(ws, row: int, values: dict[str, str]) -> None:
    cols = header_columns(ws)
    for header, value in values.items():
        ws.cell(row=row, column=cols[header], value=value)


def test_hearing_workbook_has_the_two_sheets_with_dropdowns():
    book = hearing_workbook("37", wb.loads(json.dumps(PREF, ensure_ascii=False)))
    assert {"サービス側データマップ", "データアセット側データマップ"} <= set(book.sheetnames)
    assert book.sheetnames[-1] == "選択肢"
    ws = book["サービス側データマップ"]
    heads = header_columns(ws)
    # the template README's wording (データマップ作成フォーマット サービス側1–6)
    for h in (
        "サービス名",
        "サービスへの取込データ",
        "サービスでの取得データ（内部利用のみに限るもの）",
        "サービスでの取得データ（外部利用が可能なもの）",
        "提供頻度",
        "提供方法",
        "提供先",
    ):
        assert h in heads
    # every service of the file is prefilled (README サービス側1: 接続している「サービス名」をすべて)
    names = [ws.cell(row=r, column=heads["サービス名"]).value for r in range(HEADER_ROW + 1, HEADER_ROW + 6)]
    assert names == [s["name"] for s in PREF["services"]]
    ranges = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    field_col = ws.cell(row=HEADER_ROW, column=heads["分野"]).column_letter
    assert f"{field_col}5:{field_col}304" in ranges
    aws = book["データアセット側データマップ"]
    assert {"データアセット名", "データの所管元", "データの所在", "提供先サービス"} <= set(
        header_columns(aws)
    )


def test_round_trip_generate_fill_import_analyse(tmp_path):
    path = pref_file(tmp_path)
    book = datamap_workbook("37", wb.load(path))
    ws = book["サービス側データマップ"]
    r = HEADER_ROW + 1  # 避難所混雑度通知アプリ (prefilled name); guidebook 11.2 サービス側の記入例
    fill(
        ws,
        r,
        {
            "分野": "防災",
            "サービスへの取込データ": "避難所情報、混雑度、水位情報、気象警報",
            "サービスでの取得データ（外部利用が可能なもの）": "アプリ利用状況\n避難所閲覧数\n通知開封率",
            "提供頻度": "リアルタイム、または5分間隔",
            "提供方法": "REST API、Webhook",
            "提供先": "防災ダッシュボード、地域ポータル",
        },
    )
    for row, fld in ((r + 1, "防災"), (r + 2, "観光・地域活性化"), (r + 3, "分野横断"), (r + 4, "防災")):
        fill(ws, row, {"分野": fld})
    aws = book["データアセット側データマップ"]
    fill(
        aws,
        HEADER_ROW + 1,
        {  # guidebook 11.2 データアセット側の記入例
            "データアセット名": "指定避難所一覧",
            "データの所管元": "防災危機管理課",
            "データの所在": "防災情報管理システム",
            "提供頻度": "日次、随時更新",
            "提供方法": "CSV、REST API、NGSI-LD",
            "提供先サービス": "防災アプリ、観光アプリ、地域ポータル",
            "基盤ID": "area",
        },
    )
    filled = tmp_path / "filled.xlsx"
    book.save(filled)
    result = import_datamap([filled], path)
    assert result.assets_added == ["area-a001"] and result.added_services == []
    pref = wb.load(path)
    shelter = next(r for r in pref.data_map.services if r.service == "shelter_app")
    assert [e.name for e in shelter.external] == ["アプリ利用状況", "避難所閲覧数", "通知開封率"]
    assert shelter.external[0].to == ["dash", "portal"] and shelter.external[0].method == [
        "REST API",
        "Webhook",
    ]
    asset = pref.data_map.assets[0]
    assert asset.to == ["bousai_app", "kanko_app", "portal"] and asset.owner == "防災危機管理課"
    res = wb.datamap(pref)
    assert len(res.flows) == 9 and sum(f.cross_field for f in res.flows) == 5
    # generate again from the imported file and read it back: the same rows
    again = tmp_path / "again.xlsx"
    datamap_workbook("37", pref).save(again)
    parsed = read_datamap(again)
    assert {r.key for r in parsed.services} == {s["name"] for s in PREF["services"]}
    assert parsed.assets[0].values["to"] == ["防災アプリ", "観光アプリ", "地域ポータル"]  # names for staff
    # importing the same workbook again changes nothing: the file stays byte-identical
    before = path.read_bytes()
    assert import_datamap([again], path).changed is False
    assert path.read_bytes() == before


def guidebook_wording_book(path: Path, *, drop: str | None = None) -> Path:
    """A workbook laid out differently from ours: other sheet names, headers on row 2 in guidebook 11.2's wording,
    a merged group header above the two 取得データ columns (the real template's layout is unknown)."""
    book = Workbook()
    ws = book.active
    ws.title = "①サービス"
    heads = ["サービス名", "取込データ", "取得データ", "", "提供先サービス", "提供頻度", "提供方式"]
    sub = ["", "", "（内部利用のみに限るもの）", "：外部提供可能データ", "", "", ""]
    ws.append(["サービス側"])
    ws.append(heads)
    ws.merge_cells("C2:D2")
    ws.append(sub)
    for c in (1, 2, 5, 6, 7):
        ws.merge_cells(start_row=2, start_column=c, end_row=3, end_column=c)
    ws.append(
        [
            "避難所混雑度通知アプリ",
            "避難所情報",
            "",
            "アプリ利用状況",
            "防災ダッシュボード",
            "5分間隔",
            "REST API",
        ]
    )
    ws.append(
        [None, "混雑度", "端末ログ", "通知開封率", "地域ポータル", "日次", "Webhook"]
    )  # same service, next item
    aws = book.create_sheet("②データ")
    aheads = ["データセット名", "データ所管元", "データの所在", "提供先サービス", "提供頻度", "提供方式"]
    if drop:
        aheads = [h for h in aheads if h != drop]
    aws.append(aheads)
    aws.append(
        ["指定避難所一覧", "防災危機管理課", "防災情報管理システム", "防災アプリ", "日次", "CSV"][
            : len(aheads)
        ]
    )
    book.save(path)
    return path


def test_guidebook_wording_and_other_layout_are_read_by_header(tmp_path):
    f = guidebook_wording_book(tmp_path / "gb.xlsx")
    parsed = read_datamap(f, prefecture="37")
    (svc,) = parsed.services
    assert svc.key == "避難所混雑度通知アプリ"
    assert svc.values["intake"] == ["避難所情報", "混雑度"] and svc.values["internal"] == ["端末ログ"]
    ext = {e["name"]: e for e in svc.external}
    assert ext["アプリ利用状況"]["to"] == ["防災ダッシュボード"] and ext["通知開封率"]["method"] == [
        "Webhook"
    ]
    assert parsed.assets[0].values["owner"] == "防災危機管理課"


def test_a_missing_header_names_the_sheet_and_the_header(tmp_path):
    f = guidebook_wording_book(tmp_path / "gb.xlsx", drop="データ所管元")
    with pytest.raises(wb.InputError) as err:
        read_datamap(f)
    p = err.value.problems[0]
    assert "②データ" in p.field and "データの所管元" in p.message and "データ所管元" in p.message


def test_no_data_map_sheet_at_all(tmp_path):
    book = Workbook()
    book.active.append(["何か", "別の表"])
    book.save(tmp_path / "x.xlsx")
    with pytest.raises(wb.InputError) as err:
        read_datamap(tmp_path / "x.xlsx")
    assert "データマップのシートが見つかりません" in str(err.value)


def test_cp932_csv_of_the_asset_side(tmp_path):
    path = pref_file(tmp_path)
    csv_text = (
        "データアセット名,データの所管元,データの所在,提供頻度,提供方法,提供先サービス,基盤ID\r\n"
        '指定避難所一覧,防災危機管理課,防災情報管理システム,日次,"CSV、ＮＧＳＩ－ＬＤ","防災アプリ、観光アプリ",ａｒｅａ\r\n'
    )
    f = tmp_path / "assets.csv"
    f.write_bytes(csv_text.encode("cp932"))
    import_datamap([f], path)
    asset = wb.load(path).data_map.assets[0]
    assert asset.platform == "area" and asset.to == ["bousai_app", "kanko_app"]
    assert wb.datamap(wb.load(path)).flows[0].methods == ["file", "ngsi_ld"]


def test_mojibake_and_formulas_are_refused_and_nothing_is_written(tmp_path):
    path = pref_file(tmp_path)
    before = path.read_bytes()
    f = tmp_path / "bad.csv"
    f.write_text(
        "データアセット名,データの所管元,データの所在,提供頻度,提供方法,提供先サービス\n指定避難所\ufffd覧,課,所,日次,CSV,防災アプリ\n",
        encoding="utf-8",
    )
    with pytest.raises(wb.InputError) as err:
        import_datamap([f], path)
    assert "文字化け" in str(err.value)
    book = datamap_workbook("37", wb.load(path))
    fill(
        book["データアセット側データマップ"],
        HEADER_ROW + 1,
        {"データアセット名": "一覧", "データの所管元": "=1+1"},
    )
    book.save(tmp_path / "formula.xlsx")
    with pytest.raises(wb.InputError) as err:
        import_datamap([tmp_path / "formula.xlsx"], path)
    p = err.value.problems[0]
    assert "数式" in p.message and p.line == HEADER_ROW + 1 and "データの所管元" in p.field
    assert path.read_bytes() == before


def two_books(tmp_path: Path, owner_b: str) -> tuple[Path, Path]:
    out = []
    for name, owner, to in (("a.xlsx", "防災危機管理課", "防災アプリ"), ("b.xlsx", owner_b, "観光アプリ")):
        book = datamap_workbook("37")
        fill(
            book["データアセット側データマップ"],
            HEADER_ROW + 1,
            {
                "データアセット名": "指定避難所一覧",
                "データの所管元": owner,
                "提供先サービス": to,
                "基盤ID": "area",
                "データの所在": "防災情報管理システム",
                "提供頻度": "日次",
                "提供方法": "CSV",
            },
        )
        book.save(tmp_path / name)
        out.append(tmp_path / name)
    return out[0], out[1]


def test_conflicts_between_files_are_reported_unless_resolved(tmp_path):
    path = pref_file(tmp_path)
    a, b = two_books(tmp_path, "危機管理課")
    with pytest.raises(wb.InputError) as err:
        import_datamap([a, b], path)
    msg = str(err.value)
    assert (
        "食い違" in msg
        and "防災危機管理課" in msg
        and "危機管理課" in msg
        and "a.xlsx" in msg
        and "b.xlsx" in msg
    )
    import_datamap([a, b], path, prefer=[b])
    asset = wb.load(path).data_map.assets[0]
    assert asset.owner == "危機管理課"
    assert asset.to == ["bousai_app", "kanko_app"]  # lists are unioned


def test_unknown_service_needs_a_platform(tmp_path):
    path = pref_file(tmp_path)
    book = datamap_workbook("37")
    fill(
        book["サービス側データマップ"],
        HEADER_ROW + 1,
        {
            "サービス名": "新しい子育てアプリ",
            "分野": "子育て支援",
            "サービスへの取込データ": "子育て施設一覧",
        },
    )
    book.save(tmp_path / "new.xlsx")
    with pytest.raises(wb.InputError) as err:
        import_datamap([tmp_path / "new.xlsx"], path)
    assert "--platform" in err.value.problems[0].message and err.value.problems[0].line == HEADER_ROW + 1
    res = import_datamap([tmp_path / "new.xlsx"], path, platform="area")
    assert res.added_services == ["area-s001"]
    pref = wb.load(path)
    assert pref.services[-1].name == "新しい子育てアプリ" and pref.data_map.services[0].field == "childcare"


def test_bad_dropdown_value_is_located(tmp_path):
    path = pref_file(tmp_path)
    book = datamap_workbook("37", wb.load(path))
    fill(book["サービス側データマップ"], HEADER_ROW + 2, {"分野": "宇宙開発"})
    book.save(tmp_path / "f.xlsx")
    with pytest.raises(wb.InputError) as err:
        import_datamap([tmp_path / "f.xlsx"], path)
    p = err.value.problems[0]
    assert p.line == HEADER_ROW + 2 and "分野" in p.field and "防災" in p.allowed


def test_every_template_header_is_in_the_reference_table():
    # data/datamap_headers.csv carries the README's and guidebook 11.2's wording of every template column
    svc = {c.key: c for c in columns("service")}
    assert "サービスへの取込データ" in svc["intake"].labels and "取込データ" in svc["intake"].labels
    assert "提供方式" in svc["method"].labels and "提供方法" in svc["method"].labels
    asset = {c.key: c for c in columns("asset")}
    assert {"データアセット名", "データセット名"} <= set(asset["name"].labels)


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    from workbench.cli import main

    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_sheet_import_and_exports(tmp_path, capsys):
    path = pref_file(tmp_path)
    out = tmp_path / "dm.xlsx"
    code, _, err = run_cli(capsys, "datamap-sheet", "香川県", "--xlsx", str(out), "--from", str(path))
    assert code == 0, err
    book = load_workbook(out)
    fill(book["データアセット側データマップ"], HEADER_ROW + 1, {"データアセット名": '=HYPERLINK("x")'})
    book.save(out)
    code, _, err = run_cli(capsys, "import-datamap", str(out), "--into", str(path))
    assert code == 2 and "数式" in err
    book = load_workbook(out)
    fill(
        book["データアセット側データマップ"],
        HEADER_ROW + 1,
        {
            "データアセット名": "指定避難所一覧",
            "提供先サービス": "防災アプリ",
            "提供方法": "NGSI v2",
            "基盤ID": "area",
        },
    )
    book.save(out)
    code, _, err = run_cli(capsys, "import-datamap", str(out), "--into", str(path))
    assert code == 0, err
    html, xlsx = tmp_path / "api.html", tmp_path / "api.xlsx"
    code, stdout, err = run_cli(
        capsys, "datamap", str(path), "--json", "--api-html", str(html), "--api-xlsx", str(xlsx)
    )
    assert code == 0, err
    data = json.loads(stdout)
    assert data["flows"][0]["service"] == "bousai_app"
    page = html.read_text(encoding="utf-8")
    assert "公開API一覧" in page and "<script" not in page and "NGSI v2" in page
    ws = load_workbook(xlsx)["公開API一覧"]
    assert ws["A1"].value == "基盤" and ws["A2"].value == "エリアデータ連携基盤"  # the name, as staff read it


def test_exports_are_formula_safe(tmp_path):
    data = dict(PREF)
    data["data_map"] = {
        "assets": [
            {
                "id": "x",
                "name": "=cmd|' /C calc'!A0",
                "platform": "area",
                "to": ["防災アプリ"],
                "method": ["CSV"],
            }
        ]
    }
    pref = wb.loads(json.dumps(data, ensure_ascii=False))
    from workbench.report_datamap import write_tables_xlsx

    write_tables_xlsx(wb.datamap(pref), tmp_path / "t.xlsx")
    ws = load_workbook(tmp_path / "t.xlsx")["データの流れ"]
    assert ws["A2"].value.startswith("'=")
