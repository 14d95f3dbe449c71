"""Workbooks filled in the Digital Agency's データマップ作成フォーマット import right (issue 26, points 1–5).

The workbooks are built here (tests/datamap_books.py) from guidebook 第3.0版 11.2's column names and the format's
README (作成手順と留意点, 改訂履歴): a 記載要領 sheet, a title and notes rows above the headers, a two-level
取得データ header, the 記入例 rows, blank and half-filled rows. Each situation of the issue is a test: office
wordings, a sheet whose headers are not found, no 基盤ID column, the 記入例 rows, a 提供先 that is no service,
re-import as a sync, nothing outside ``data_map:`` rewritten.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from datamap_books import GB_ASSET_EXAMPLE, asset_sheet, official_book, save, service_sheet
from openpyxl import Workbook

import workbench as wb
from workbench.cli import main
from workbench.datamap_sheets import import_datamap, read_datamap

PREF = {
    "prefecture": "香川県",
    "platforms": [
        {
            "id": "area",
            "name": "かがわデータ連携基盤",
            "operated_by": "prefecture",
            "components": ["non_personal"],
            "api_published": True,
        },
        {
            "id": "city",
            "name": "高松市データ連携基盤",
            "operated_by": "372013",
            "components": ["non_personal"],
        },
    ],
    "services": [
        {"id": "shelter_app", "name": "避難所混雑度通知アプリ", "platform": "area"},
        {"id": "bousai_app", "name": "防災アプリ", "platform": "area"},
        {"id": "portal", "name": "地域ポータル", "platform": "area"},
        {"id": "kanko_app", "name": "観光アプリ", "platform": "city"},
    ],
}

SERVICES = [
    {
        "service": "防災アプリ",
        "intake": "指定避難所一覧、河川水位",
        "external": "避難所閲覧数",
        "frequency": "日次",
        "method": "REST API",
        "to": "地域ポータル",
    },
    {"external": "通知開封率"},  # the same service, its next item (サービス名 left blank)
    None,  # a blank row
    {"service": "観光アプリ", "intake": "観光施設一覧、指定避難所一覧"},
    {"service": "地域ポータル"},  # half-filled: only the name
]
ASSETS = [
    {
        "name": "指定避難所一覧",
        "owner": "防災危機管理課",
        "location": "防災情報管理システム",
        "frequency": "日次",
        "method": "CSV、NGSI-LD",
        "to": "防災アプリ、地域ポータル",
    },
    {
        "name": "河川水位",
        "owner": "河川砂防課",
        "location": "河川情報システム",
        "frequency": "10分間隔",
        "method": "NGSI v2",
        "to": "防災アプリ",
    },
    None,
    {"name": "観光施設一覧", "owner": "観光振興課", "location": "観光情報システム", "to": "観光アプリ"},
]


@pytest.fixture
def into(tmp_path: Path) -> Path:
    path = tmp_path / "37_kagawa.yaml"
    path.write_text(json.dumps(PREF, ensure_ascii=False), encoding="utf-8")
    return path


def official(tmp_path: Path, name: str = "回答.xlsx", services=SERVICES, assets=ASSETS, **opts) -> Path:
    return save(official_book(services, assets, **opts), tmp_path / name)


# --- point 1: no sheet skipped silently; the wordings offices use ----------------------------------------------


def test_the_official_layout_imports_with_its_example_rows_skipped(tmp_path, into):
    path = official(tmp_path)
    parsed = read_datamap(path, prefecture="37")
    assert [(s, side) for s, side, _ in parsed.sheets_read] == [
        ("サービス側データマップ", "service"),
        ("データアセット側データマップ", "asset"),
    ]
    assert parsed.sheets_skipped == [("記載要領", "データマップの見出しがありません")]
    # the format's 記入例 rows (guidebook 11.2's 避難所混雑度通知アプリ / 指定避難所一覧 rows) are not data
    assert parsed.examples == [("サービス側データマップ", [6, 7]), ("データアセット側データマップ", [5])]
    assert [r.key for r in parsed.services] == ["防災アプリ", "観光アプリ", "地域ポータル"]
    bousai = parsed.services[0]
    assert [e["name"] for e in bousai.external] == [
        "避難所閲覧数",
        "通知開封率",
    ]  # two-level 取得データ header
    assert bousai.values["intake"] == ["指定避難所一覧", "河川水位"]
    assert parsed.template_version == "1.3" and parsed.version_where == "記載要領の改訂履歴"
    res = import_datamap([path], into)
    assert len(res.assets_added) == 3 and res.examples


@pytest.mark.parametrize(
    ("asset_words", "service_words"),
    [
        ({"name": "データ名称", "owner": "所管課名"}, {"service": "サービス名称"}),
        ({"name": "データセット名", "owner": "データ所管元", "method": "提供方式"}, {"to": "提供先サービス"}),
        ({"name": "データアセット名称", "owner": "担当課"}, {"service": "サービス・システム名"}),
    ],
)
def test_the_wordings_offices_use_are_read(tmp_path, into, asset_words, service_words):
    # README: 「サービス名」「データアセット名」「データの所管元」; guidebook 11.2: サービス名, データセット名, データ所管元,
    # 提供方式, 提供先サービス; offices write 「データ名称」「所管課名」「サービス名称」 (issue 26, point 1)
    book = official_book(
        SERVICES, ASSETS, service_options={"wordings": service_words}, asset_options={"wordings": asset_words}
    )
    path = save(book, tmp_path / "words.xlsx")
    parsed = read_datamap(path)
    assert len(parsed.services) == 3 and len(parsed.assets) == 3
    assert parsed.assets[0].values["owner"] == "防災危機管理課"
    import_datamap([path], into)
    assert [a.name for a in wb.load(into).data_map.assets] == ["指定避難所一覧", "河川水位", "観光施設一覧"]


def test_a_sheet_of_the_format_whose_headers_are_not_found_stops_naming_it(tmp_path, into):
    book = official_book(SERVICES, None)
    asset_sheet(book, ASSETS, wordings={"name": "資産", "owner": "担当"})  # the key header unreadable
    path = save(book, tmp_path / "unknown.xlsx")
    before = into.read_bytes()
    with pytest.raises(wb.InputError) as err:
        import_datamap([path], into)
    (p,) = err.value.problems
    assert p.field == "データアセット側データマップ!4行目" and p.line == 4
    # where it looked, the headers seen, the wording expected
    assert "1〜" in p.message and "行目を探しました" in p.message
    assert "「資産」" in p.message and "「担当」" in p.message and "「データの所在」" in p.message
    assert "「データアセット名」" in p.message and "データセット名" in p.message
    assert into.read_bytes() == before  # nothing written: the import never "succeeds" with 0 assets


def test_a_sheet_named_otherwise_with_the_formats_columns_is_not_skipped(tmp_path, into):
    # two of the format's column names in a row are enough to tell a data-map sheet, whatever its name
    book = Workbook()
    ws = book.active
    ws.title = "Sheet1"
    ws.append(["名前", "データの所在", "提供頻度", "提供方法"])
    ws.append(["指定避難所一覧", "防災情報管理システム", "日次", "CSV"])
    path = save(book, tmp_path / "sheet1.xlsx")
    with pytest.raises(wb.InputError) as err:
        read_datamap(path)
    assert "Sheet1!1行目" == err.value.problems[0].field and "「名前」" in err.value.problems[0].message


def test_a_header_far_below_the_title_is_found(tmp_path, into):
    # a notes block of 25 rows above the headers (the old reader looked at rows 1–15 only and skipped the sheet)
    path = official(tmp_path, header_row=30)
    parsed = read_datamap(path)
    assert len(parsed.services) == 3 and len(parsed.assets) == 3
    book = official_book(SERVICES, None, header_row=120)  # beyond the rows searched: the message says so
    with pytest.raises(wb.InputError) as err:
        read_datamap(save(book, tmp_path / "far.xlsx"))
    assert "1〜100 行目を探しました" in str(err.value)


# --- point 2: no 基盤ID column: the platform inferred, or asked for; a summary after every import ---------------


def test_the_platform_is_inferred_from_the_destination_services(tmp_path, into, capsys):
    path = official(tmp_path)
    assert main(["import-datamap", str(path), "--into", str(into)]) == 0
    out = capsys.readouterr().out
    pref = wb.load(into)
    plat = {a.name: a.platform for a in pref.data_map.assets}
    # 指定避難所一覧 → 防災アプリ・地域ポータル (area); 観光施設一覧 → 観光アプリ (city)
    assert plat == {"指定避難所一覧": "area", "河川水位": "area", "観光施設一覧": "city"}
    res = wb.datamap(pref)
    via = [f for f in res.flows if f.route == "platform"]
    assert len(via) == 5 and {k.code: k.value for k in res.kpis}["linked_data_assets"] == 3
    # the summary printed after the import: sheets, examples, counts, the platforms' basis, flows, unknowns
    assert (
        "読んだシート: サービス側データマップ（サービス 3 行）、データアセット側データマップ（データアセット 3 行）"
        in out
    )
    assert (
        "記入例として読み飛ばした行: サービス側データマップ 6–7 行目、データアセット側データマップ 5 行目"
        in out
    )
    assert "データアセットの基盤: 提供先サービスの基盤から推定 3 件" in out
    assert "データの流れ: 6 件（基盤経由 5、個別の取込 1）" in out
    assert "分野が分からないサービス 3 件" in out and "標準データモデルの記載がないデータアセット 3 件" in out
    assert "第1.3版（記載要領の改訂履歴から）" in out


def test_the_platform_is_asked_for_when_it_cannot_be_inferred(tmp_path, into):
    assets = [
        {
            "name": "指定避難所一覧",
            "owner": "防災危機管理課",
            "location": "防災情報管理システム",
            "to": "防災アプリ、観光アプリ",
        },
        {"name": "人流データ", "owner": "観光振興課", "location": "人流分析システム"},  # no 提供先 at all
    ]
    path = official(tmp_path, assets=assets)
    before = into.read_bytes()
    with pytest.raises(wb.InputError) as err:
        import_datamap([path], into)
    msgs = [p.message for p in err.value.problems]
    assert len(msgs) == 2 and all("--platform" in m for m in msgs)
    assert "複数の基盤" in msgs[0] and "かがわデータ連携基盤＝area" in str(err.value.problems[0].value)
    assert "提供先サービスからも分かりません" in msgs[1]
    assert into.read_bytes() == before
    res = import_datamap([path], into, platform="area")
    assert res.platforms == {"option": 2}
    assert {a.platform for a in wb.load(into).data_map.assets} == {"area"}


# --- point 3: 記入例 rows skipped and said; each error said once, with its rows ------------------------------------


def test_each_mistake_is_said_once_with_its_rows(tmp_path, into, capsys):
    services = [{"service": f"台帳にないアプリ{k}", "intake": "指定避難所一覧"} for k in range(3)]
    path = official(tmp_path, services=services, assets=[])
    assert main(["import-datamap", str(path), "--into", str(into)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines  # the 記入例 rows no longer add their own errors
    assert "同じ誤り 3 行: 8–10 行目" in lines[0] and "サービス側データマップ サービス名" in lines[0]


# --- point 4: a 提供先 that is no service; a two-level header without parentheses --------------------------------


def test_a_destination_that_is_no_service_is_kept_as_an_external_system(tmp_path, into):
    # guidebook 11.2: 提供先サービス 「別のどのようなサービスやシステムで利活用されるかの展開先」
    services = [dict(SERVICES[0], to="地域ポータル、県防災情報システム"), *SERVICES[1:]]
    assets = [dict(ASSETS[0], to="防災アプリ、防災ダッシュボード（県）"), *ASSETS[1:]]
    res = import_datamap([official(tmp_path, services=services, assets=assets)], into)
    assert res.systems == ["県防災情報システム", "防災ダッシュボード（県）"]
    pref = wb.load(into)
    assert [s.name for s in pref.data_map.systems] == res.systems
    dm = wb.datamap(pref)
    to_systems = [f for f in dm.flows if f.target_kind == "system"]
    assert {(f.data, f.service) for f in to_systems} == {
        ("避難所閲覧数", "県防災情報システム"),
        ("指定避難所一覧", "防災ダッシュボード（県）"),
    }
    shown = set(dm.to_staff_frame()["サービス"])
    assert "県防災情報システム（外部のシステム）" in shown
    flows = dm.to_frame()
    assert set(flows.loc[flows["target_kind"] == "system", "service"]) == set(res.systems)
    assert {k.code: k.value for k in dm.kpis}["connected_services"] == 3  # systems are not services


@pytest.mark.parametrize("merge_group", [True, False])
def test_a_two_level_header_without_parentheses(tmp_path, into, merge_group):
    # 「サービスでの取得データ」 over 「内部利用のみに限るもの」「外部利用が可能なもの」, merged or only above the first
    path = official(tmp_path, parentheses=False, merge_group=merge_group)
    bousai = read_datamap(path).services[0]
    assert [e["name"] for e in bousai.external] == ["避難所閲覧数", "通知開封率"]


# --- point 5: re-import is a sync; nothing outside data_map changes ---------------------------------------------


def test_reimport_is_a_sync(tmp_path, into):
    first = import_datamap([official(tmp_path)], into)
    ids = {a.name: a.id for a in wb.load(into).data_map.assets}
    assert first.assets_added == list(ids.values())
    # the office clears 観光施設一覧's 所管元, deletes the 河川水位 row and 防災アプリ's 取込データ
    assets = [ASSETS[0], {**ASSETS[3], "owner": None}]
    services = [{**SERVICES[0], "intake": None}, *SERVICES[1:]]
    second = import_datamap([official(tmp_path, "回答2.xlsx", services=services, assets=assets)], into)
    pref = wb.load(into)
    after = {a.name: a for a in pref.data_map.assets}
    assert set(after) == {"指定避難所一覧", "観光施設一覧"}  # the deleted row is removed
    assert after["観光施設一覧"].owner is None  # the cleared cell clears
    assert {n: a.id for n, a in after.items()} == {n: ids[n] for n in after}  # ids stable
    bousai = next(r for r in pref.data_map.services if r.service == "bousai_app")
    assert bousai.intake == []
    assert second.assets_removed == [ids["河川水位"]] and second.cleared >= 2
    text = second.summary()
    assert "削除 1 件（河川水位）" in text and "area-a002" not in text
    assert "同期した範囲: かがわデータ連携基盤、高松市データ連携基盤" in text
    # the same workbook again: nothing changes, the file stays byte-identical
    before = into.read_bytes()
    assert not import_datamap([tmp_path / "回答2.xlsx"], into).changed
    assert into.read_bytes() == before


def test_a_workbook_of_one_platform_leaves_the_others_rows_alone(tmp_path, into):
    """The format describes the services and data assets connected to one platform (README サービス側1・データセット側1
    「エリアデータ連携基盤に接続している…すべて」): a workbook is the truth for the platforms its rows are on."""
    import_datamap([official(tmp_path)], into)
    res = import_datamap([official(tmp_path, "city.xlsx", services=[SERVICES[3]], assets=[ASSETS[3]])], into)
    assert res.assets_removed == [] and res.services_removed == []
    assert len(wb.load(into).data_map.assets) == 3
    assert "同期した範囲: 高松市データ連携基盤" in res.summary()


def test_deleted_rows_can_be_kept(tmp_path, into):
    import_datamap([official(tmp_path)], into)
    res = import_datamap(
        [official(tmp_path, "b.xlsx", assets=[ASSETS[0], ASSETS[3]])], into, keep_missing=True
    )
    assert len(res.kept_missing) == 1 and res.assets_removed == []
    assert len(wb.load(into).data_map.assets) == 3
    assert "--keep-missing" in res.summary()


def test_only_the_data_map_is_rewritten(tmp_path):
    """vision.purposes written as 広域でのDX化推進 and plan.start as 2026-04 stayed as written? Before, the import
    rewrote them (wide_area_dx, '2026-04-01'): only data_map: may change."""
    text = """prefecture: 香川県   # ヒアリング 2026-10
platforms:
  - {id: area, name: かがわデータ連携基盤, operated_by: prefecture, components: [non_personal]}
  - {id: city, name: 高松市データ連携基盤, operated_by: "372013", components: [non_personal]}
services:
  - {id: bousai_app, name: 防災アプリ, platform: area}
  - {id: portal, name: 地域ポータル, platform: area}
  - {id: kanko_app, name: 観光アプリ, platform: city}
vision:
  purposes: [広域でのDX化推進]   # 県の言い方のまま
plan:
  start: 2026-04
"""
    into = tmp_path / "37.yaml"
    into.write_text(text, encoding="utf-8")
    import_datamap([official(tmp_path)], into)
    out = into.read_text(encoding="utf-8")
    head, _, tail = out.partition("data_map:")
    assert head == text and "広域でのDX化推進" in head and "start: 2026-04\n" in head
    assert wb.load(into).data_map.assets


# --- the analysis of an official workbook says 不明 where it is silent -------------------------------------------


def test_what_the_official_format_does_not_say_stays_unknown(tmp_path, into):
    import_datamap([official(tmp_path)], into)
    res = wb.datamap(wb.load(into))
    codes = {f.code for f in res.findings}
    # no 分野 column: cross-field unknown, never 「分野を横断するデータの流れがない」
    assert "DM_NO_CROSS_FIELD" not in codes
    assert "分野が分からない流れ" in dict(res.card_rows())["分野をまたぐ流れ"]
    # no 標準データモデル column: coverage unknown, not 0 %; no 「独自形式」 finding
    assert "DM_NO_STANDARD_MODEL" not in codes
    assert all(c.share is None for c in res.coverage)
    assert {a.level for a in res.assets} == {"unknown"}
    # 観光アプリ takes 指定避難所一覧 whose 提供先サービス (filled in) does not name it: a direct intake
    direct = [f for f in res.findings if f.code == "DM_DIRECT_LINK"]
    assert len(direct) == 1 and "かがわデータ連携基盤 に接続済み" in direct[0].detail


def test_the_template_version_is_read_from_the_cover(tmp_path, into):
    # the format's README 改訂履歴: 第1版 … 第1.3版; an older workbook ends its history at 第1.2版
    book = official_book(SERVICES, ASSETS)
    ws = book["記載要領"]
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == "第1.3版　令和8年4月3日":
                cell.value = None
    path = save(book, tmp_path / "old.xlsx")
    assert read_datamap(path).template_version == "1.2"
    import_datamap([path], into)
    res = wb.datamap(wb.load(into))
    assert [f.detail for f in res.findings if f.code == "DM_TEMPLATE_VERSION"] == ["第1.2版"]
    # the Digital Agency's file name carries it too (…_1.3.xlsx)
    bare = official_book(SERVICES, ASSETS, readme=False)
    named = save(bare, tmp_path / "20260413_data-mapping-template_1.3.xlsx")
    assert read_datamap(named).template_version == "1.3"
    assert read_datamap(save(bare, tmp_path / "回答.xlsx")).template_version is None


def test_a_merged_service_name_and_an_example_label(tmp_path):
    """A service's name merged over its item rows, a 提供頻度 merged over the same rows, and example rows marked
    「（例）」 in their first data cell."""
    book = official_book([], None, examples=False)
    ws = book["サービス側データマップ"]
    ws.append([None, "（例）避難所混雑度通知アプリ", "避難所情報"])
    ws.append([1, "防災アプリ", "指定避難所一覧", None, "避難所閲覧数", "日次", "REST API", "地域ポータル"])
    ws.append([None, None, None, None, "通知開封率", None, "Webhook", "地域ポータル"])
    ws.merge_cells("B7:B8")
    ws.merge_cells("F7:F8")
    parsed = read_datamap(save(book, tmp_path / "merged.xlsx"))
    (svc,) = parsed.services
    assert parsed.examples == [("サービス側データマップ", [6])]
    assert [(e["name"], e.get("frequency")) for e in svc.external] == [
        ("避難所閲覧数", "日次"),
        ("通知開封率", "日次"),
    ]


def test_the_guidebook_example_values_are_data_unless_marked(tmp_path):
    """Rows are skipped as 記入例 by their marking, never by their values: a prefecture may really run a
    避難所混雑度通知アプリ (guidebook 11.2's example)."""
    book = official_book([], [{**GB_ASSET_EXAMPLE, "to": "防災アプリ"}], examples=False)
    service_sheet(book, [], name="サービス側（2）", examples=False)
    parsed = read_datamap(save(book, tmp_path / "gb.xlsx"))
    assert [a.key for a in parsed.assets] == ["指定避難所一覧"] and parsed.examples == []
