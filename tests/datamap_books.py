"""Workbooks laid out as a municipality fills in the Digital Agency's データマップ作成フォーマット, built here (none
stored): the column names of guidebook 第3.0版 11.2 and of the format's README (作成手順と留意点), a 記載要領 sheet
with the README's text and its 改訂履歴, merged title and group-header rows, notes rows above the headers, the
format's 記入例 rows, blank and half-filled rows, a two-level 取得データ header.

The xlsx of the format itself (template/データマップ/…_1.3.xlsx in digital-go-jp/area-data-coordination) is
binary and could not be read from here: sheet names, the header row and the place of the 記入例 rows are this
module's reconstruction from the texts, which is why the importer finds everything by its wording.

Rows are dicts keyed by the canonical keys of data/datamap_headers.csv (service side: service, intake,
internal, external, frequency, method, to; asset side: name, owner, location, frequency, method, to).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

#: the format's README (記載要領), as the first sheet carries it
README = [
    ["データマップ作成フォーマット"],
    ["■目的"],
    [None, "データマップ作成の目的は、データの所在・内容・提供頻度・連携状況等を体系的に整理することで、"],
    [None, "地域におけるデータの利活用状況を可視化し、新たなサービス創出の起点とすることにあります。"],
    ["■作成手順と留意点"],
    [None, "◎サービス側データマップの作成手順"],
    [None, None, 1, "エリアデータ連携基盤に接続してる「サービス名」をすべて記載してください。"],
    [None, None, 6, "提供頻度、提供方法、提供先は外部利用が可能なデータについての回答であり、"],
    [None, None, None, "外部利用可能なデータがない場合は、未記載で構いません。"],
    [None, "◎データセット側データマップの作成手順"],
    [None, None, 5, "提供先サービスには、基盤を返してデータ提供を行っている先を記載。"],
    ["【改訂履歴】"],
    [None, "第1版　令和7年9月1日"],
    [None, "第1.1版　令和7年10月31日"],
    [None, "第1.2版　令和7年12月15日"],
    [None, "第1.3版　令和8年4月3日"],
]

#: guidebook 11.2 の記入例（防災分野）, as the format's example rows
GB_SERVICE_EXAMPLE = {
    "service": "避難所混雑度通知アプリ",
    "intake": "避難所情報、混雑度、水位情報、気象警報",
    "external": "アプリ利用状況、避難所閲覧数、通知開封率",
    "to": "防災ダッシュボード、地域ポータル",
    "frequency": "リアルタイム、または5分間隔",
    "method": "REST API、Webhook",
}
GB_ASSET_EXAMPLE = {
    "name": "指定避難所一覧",
    "owner": "防災危機管理課",
    "location": "防災情報管理システム",
    "to": "防災アプリ、観光アプリ、地域ポータル",
    "frequency": "日次、随時更新",
    "method": "CSV、REST API、NGSI-LD",
}

#: the service side's columns: (key, upper header, lower header); the two 取得データ columns share the upper one
SERVICE_COLUMNS = [
    ("service", "サービス名", None),
    ("intake", "サービスへの取込データ", None),
    ("internal", "サービスでの取得データ", "（内部利用のみに限るもの）"),
    ("external", "サービスでの取得データ", "（外部利用が可能なもの）"),
    ("frequency", "提供頻度", None),
    ("method", "提供方法", None),
    ("to", "提供先", None),
]
ASSET_COLUMNS = [
    ("name", "データアセット名"),
    ("owner", "データの所管元"),
    ("location", "データの所在"),
    ("frequency", "提供頻度"),
    ("method", "提供方法"),
    ("to", "提供先サービス"),
]


def _title(ws: Any, text: str, width: int) -> None:
    ws.cell(row=1, column=1, value=text).font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)


def service_sheet(
    book: Workbook,
    rows: list[dict[str, Any]],
    *,
    name: str = "サービス側データマップ",
    header_row: int = 4,
    examples: bool = True,
    parentheses: bool = True,
    wordings: dict[str, str] | None = None,
    merge_group: bool = True,
) -> Any:
    """The サービス側データマップ: a title, notes rows, a two-level header at ``header_row`` (No. and the
    columns merged down over both rows; 「サービスでの取得データ」 merged across its two columns), the 記入例
    rows (No. column 「記入例」, merged), then ``rows`` numbered 1, 2, … (a None row is left blank)."""
    ws = book.create_sheet(name)
    width = 1 + len(SERVICE_COLUMNS)
    _title(ws, "サービス側データマップ", width)
    ws.cell(row=2, column=1, value="※エリアデータ連携基盤に接続しているサービスをすべて記載してください。")
    ws.cell(
        row=3,
        column=1,
        value="※提供頻度、提供方法、提供先は外部利用が可能なデータについての回答です（ない場合は未記載で構いません）。",
    )
    for r in range(4, header_row):
        ws.cell(row=r, column=1, value=f"※記入上の注意 {r - 3}")
    h, s = header_row, header_row + 1
    ws.cell(row=h, column=1, value="No.")
    ws.merge_cells(start_row=h, start_column=1, end_row=s, end_column=1)
    for c, (key, upper, lower) in enumerate(SERVICE_COLUMNS, 2):
        upper = (wordings or {}).get(key, upper)
        if lower is None:
            ws.cell(row=h, column=c, value=upper)
            ws.merge_cells(start_row=h, start_column=c, end_row=s, end_column=c)
        else:
            if key == "internal" or not merge_group:
                ws.cell(row=h, column=c, value=upper)
            text = lower if parentheses else lower.strip("（）")
            ws.cell(row=s, column=c, value=(wordings or {}).get(key + "_lower", text))
    if merge_group:
        ws.merge_cells(start_row=h, start_column=4, end_row=h, end_column=5)
    for c in range(1, width + 1):
        for r in (h, s):
            ws.cell(row=r, column=c).alignment = Alignment(wrap_text=True)
    r = s + 1
    if examples:
        ws.cell(row=r, column=1, value="記入例")
        _put(ws, r, SERVICE_COLUMNS, GB_SERVICE_EXAMPLE)
        ws.cell(row=r + 1, column=3, value="（例）避難所の位置情報")
        ws.merge_cells(start_row=r, start_column=1, end_row=r + 1, end_column=1)
        r += 2
    _rows(ws, r, SERVICE_COLUMNS, rows)
    return ws


def asset_sheet(
    book: Workbook,
    rows: list[dict[str, Any]],
    *,
    name: str = "データアセット側データマップ",
    header_row: int = 4,
    examples: bool = True,
    wordings: dict[str, str] | None = None,
    extra: list[tuple[str, str]] = (),
) -> Any:
    """The データアセット側データマップ: a title, notes, the header at ``header_row``, one 記入例 row, ``rows``."""
    ws = book.create_sheet(name)
    cols = [(k, (wordings or {}).get(k, head), None) for k, head in [*ASSET_COLUMNS, *extra]]
    _title(ws, "データアセット側データマップ", len(cols) + 1)
    ws.cell(
        row=2,
        column=1,
        value="※エリアデータ連携基盤に接続しているデータアセットを、なるべくデータ単位で記載します。",
    )
    for r in range(3, header_row):
        ws.cell(row=r, column=1, value=f"※記入上の注意 {r - 2}")
    ws.cell(row=header_row, column=1, value="No.")
    for c, (_, head, _) in enumerate(cols, 2):
        ws.cell(row=header_row, column=c, value=head)
    r = header_row + 1
    if examples:
        ws.cell(row=r, column=1, value="記入例")
        _put(ws, r, cols, GB_ASSET_EXAMPLE)
        r += 1
    _rows(ws, r, cols, rows)
    return ws


def _put(ws: Any, r: int, cols: list[tuple[str, str, Any]], row: dict[str, Any]) -> None:
    for c, (key, *_rest) in enumerate(cols, 2):
        if row.get(key) is not None:
            ws.cell(row=r, column=c, value=row[key])


def _rows(ws: Any, first: int, cols: list[tuple[str, str, Any]], rows: list[dict[str, Any] | None]) -> None:
    n = 0
    for r, row in enumerate(rows, first):
        if row is None:
            continue
        if row.get("service") is not None or row.get("name") is not None:
            n += 1
            ws.cell(row=r, column=1, value=n)
        _put(ws, r, cols, row)


def official_book(
    services: list[dict[str, Any] | None],
    assets: list[dict[str, Any] | None],
    *,
    readme: bool = True,
    **options: Any,
) -> Workbook:
    """A workbook of the format: 記載要領, サービス側データマップ, データアセット側データマップ. ``options`` go to
    both sheet builders where they apply (``header_row``, ``examples``)."""
    book = Workbook()
    book.remove(book.active)
    if readme:
        ws = book.create_sheet("記載要領")
        for row in README:
            ws.append(row)
    svc_opts = {
        k: v for k, v in options.items() if k in ("header_row", "examples", "parentheses", "merge_group")
    }
    svc_opts.update(options.get("service_options", {}))
    ast_opts = {k: v for k, v in options.items() if k in ("header_row", "examples")}
    ast_opts.update(options.get("asset_options", {}))
    if services is not None:
        service_sheet(book, services, **svc_opts)
    if assets is not None:
        asset_sheet(book, assets, **ast_opts)
    return book


def save(book: Workbook, path: Path) -> Path:
    book.save(path)
    return path


# --- hostile variants: a workbook's XML edited where openpyxl would take minutes to write it -------------------


def book_bytes(book: Workbook) -> bytes:
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def edit_members(data: bytes, edits: dict[str, Any]) -> bytes:
    """The package ``data`` with members replaced (``name -> bytes | callable(old bytes) -> bytes``) or added."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    names = set(src.namelist())
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            body = src.read(info)
            if info.filename in edits:
                e = edits[info.filename]
                body = e(body) if callable(e) else e
            z.writestr(info, body)
        for name, e in edits.items():
            if name not in names:
                z.writestr(name, e(b"") if callable(e) else e)
    return out.getvalue()


def sheet_member(data: bytes, sheet: str) -> str:
    import re

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        workbook = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    tag = next(t for t in re.findall(r"<sheet [^>]*/>", workbook) if f'name="{sheet}"' in t)
    rid = re.search(r'r:id="([^"]+)"', tag).group(1)
    rel = next(t for t in re.findall(r"<Relationship [^>]*/>", rels) if f'Id="{rid}"' in t)
    target = re.search(r'Target="([^"]+)"', rel).group(1)
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


def edit_sheet(data: bytes, sheet: str, edit: Any) -> bytes:
    """The package with one sheet's XML (text) passed through ``edit``; the <dimension> is left out, as many
    writers do."""
    import re

    def apply(body: bytes) -> bytes:
        text = re.sub(r"<dimension [^>]*/>", "", body.decode())
        return edit(text).encode()

    return edit_members(data, {sheet_member(data, sheet): apply})


def shared_strings_bomb(data: bytes, n: int = 10_500_000) -> bytes:
    """The package with a shared-strings table of ``n`` one-letter strings (17 bytes each: 178 MB unpacked for the
    default, a few hundred KB packed), registered as Excel registers it (content type and workbook relationship)
    so that any reader parses it."""
    table = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">'
        % (n, n)
        + b"<si><t>a</t></si>" * n
        + b"</sst>"
    )
    ct = (
        b'<Override PartName="/xl/sharedStrings.xml" '
        b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    )
    rel = (
        b'<Relationship Id="rIdSst" '
        b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
        b'Target="sharedStrings.xml"/>'
    )

    def types(old: bytes) -> bytes:
        return old if b"sharedStrings" in old else old.replace(b"</Types>", ct + b"</Types>")

    def rels(old: bytes) -> bytes:
        return old if b"sharedStrings" in old else old.replace(b"</Relationships>", rel + b"</Relationships>")

    return edit_members(
        data,
        {
            "xl/sharedStrings.xml": table,
            "[Content_Types].xml": types,
            "xl/_rels/workbook.xml.rels": rels,
        },
    )
