"""``workbench datamap``, ``workbench datamap-sheet`` and ``workbench import-datamap``: the データマップ
(workbench.datamap, workbench.datamap_sheets)."""

from __future__ import annotations

import argparse

from .common import add_file_argument, prefecture_and_source


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "datamap", help="データマップを分析する（データの流れ・分野横断・標準データモデル・公開API）"
    )
    add_file_argument(p)
    p.add_argument("--json", action="store_true", help="結果を JSON で出力する")
    p.add_argument("--api-html", metavar="OUT", help="公開API一覧を HTML で書き出す")
    p.add_argument("--api-xlsx", metavar="OUT", help="公開API一覧を xlsx で書き出す")
    p.add_argument(
        "--xlsx", metavar="OUT", help="分析結果の表（流れ・課題・候補・公開API…）を xlsx で書き出す"
    )
    p.set_defaults(func=run_datamap)

    q = sub.add_parser("datamap-sheet", help="データマップの記入用ブック（xlsx）を作る")
    q.add_argument("prefecture", help="都道府県名またはJISコード（例 福島県、07）")
    q.add_argument("--xlsx", required=True, metavar="OUT", help="書き出す xlsx ファイル")
    q.add_argument(
        "--from",
        dest="source",
        metavar="FILE",
        help="この都道府県ファイルのサービスとデータマップを記入しておく",
    )
    q.set_defaults(func=run_sheet)

    r = sub.add_parser(
        "import-datamap", help="記入済みのデータマップ（xlsx・CSV）を都道府県ファイルに取り込む"
    )
    r.add_argument("files", nargs="+", metavar="FILLED", help="記入済みのブックまたは CSV（複数可）")
    r.add_argument("--into", required=True, metavar="PREFECTURE.yaml", help="取り込み先の都道府県ファイル")
    r.add_argument(
        "--platform", metavar="ID", help="基盤IDの列がない行の基盤（台帳にないサービスはこの基盤に追加）"
    )
    r.add_argument(
        "--prefer", action="append", default=[], metavar="FILE", help="食い違いがあればこのファイルの値を採る"
    )
    r.add_argument(
        "--on-conflict",
        choices=["fail", "first"],
        default="fail",
        help="食い違いの扱い: fail=取り込まずに報告（既定）、first=先に指定したファイルの値を採る",
    )
    r.add_argument(
        "--keep-missing",
        action="store_true",
        help="ブックにない行（消された行）もデータマップに残す（既定では、ブックが扱う基盤の行のうちブックにないものを外す）",
    )
    r.add_argument("--dry-run", action="store_true", help="検査だけして書き込まない")
    r.set_defaults(func=run_import)


def run_datamap(args: argparse.Namespace) -> int:
    import workbench as wb

    from ..datamap import datamap
    from ..staff import file_names
    from .common import print_json, print_table

    pref = wb.load(args.file)
    res = datamap(pref)
    outputs = []  # every file built first, then all written in one step: never some without the rest
    if args.api_html:
        from ..report_datamap import api_html

        outputs.append((args.api_html, api_html(res, names=file_names(pref)).encode("utf-8")))
    if args.api_xlsx:
        from ..report_datamap import api_xlsx_bytes

        outputs.append((args.api_xlsx, api_xlsx_bytes(res, file_names(pref))))
    if args.xlsx:
        from ..report_datamap import tables_xlsx_bytes
        from ..text import synthetic_note

        outputs.append((args.xlsx, tables_xlsx_bytes(res, file_names(pref), note=synthetic_note(pref))))
    if outputs:
        from ..files import atomic_write_all

        atomic_write_all(outputs)
    if args.json:
        print_json(res.model_dump(mode="json"))
        return 0
    print(str(res))
    for title, df in (
        ("データの流れ", res.to_staff_frame()),
        ("課題", res.findings_frame()),
        ("分野横断の連携候補", res.candidates_frame()),
        ("標準データモデルの準拠", res.coverage_frame()),
        ("公開API一覧", res.apis_frame()),
    ):
        print()
        print_table(df, title)
    for w in res.warnings:
        print(f"注意: {w}")
    return 0


def run_sheet(args: argparse.Namespace) -> int:
    from ..datamap_sheets import write_datamap_sheet

    code, existing = prefecture_and_source(args)
    path = write_datamap_sheet(args.xlsx, code, existing)
    print(f"{path} を書き出しました")
    return 0


def run_import(args: argparse.Namespace) -> int:
    from ..datamap import datamap
    from ..datamap_sheets import import_datamap

    result = import_datamap(
        args.files,
        args.into,
        platform=args.platform,
        prefer=args.prefer,
        on_conflict=args.on_conflict,
        dry_run=args.dry_run,
        keep_missing=args.keep_missing,
    )
    result.analysed(datamap(result.prefecture))  # flows and what stayed unknown, in the summary
    print(result.summary() + ("\n（--dry-run: 書き込んでいません）" if args.dry_run else ""))
    return 0
