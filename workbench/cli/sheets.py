"""``workbench hearing-sheet`` and ``workbench import-sheet``: the Step 1 hearing in Excel (workbench.sheets)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("hearing-sheet", help="Step 1 のヒアリングシート（xlsx）を作る")
    p.add_argument("prefecture", help="都道府県名またはJISコード（例 福島県、07）")
    p.add_argument("--xlsx", required=True, metavar="OUT", help="書き出す xlsx ファイル")
    p.add_argument(
        "--from",
        dest="source",
        metavar="FILE",
        help="この都道府県ファイル（YAML）の基盤・サービスを記入しておく",
    )
    p.add_argument(
        "--municipalities",
        metavar="CSV",
        help="市区町村シートに載せる市区町村の一覧（名前またはコードのCSV、UTF-8/CP932）",
    )
    p.add_argument("--respondent", metavar="NAME", help="回答団体（市区町村名またはコード）を記入しておく")
    p.set_defaults(func=run_hearing)

    q = sub.add_parser("import-sheet", help="記入済みのヒアリングシートを都道府県ファイルに取り込む")
    q.add_argument(
        "files",
        nargs="+",
        metavar="FILLED.xlsx",
        help="記入済みのブック（複数可、ふつうは市区町村ごとに1つ）",
    )
    q.add_argument(
        "--into",
        required=True,
        metavar="PREFECTURE.yaml",
        help="取り込み先の都道府県ファイル（なければ作る）",
    )
    q.add_argument(
        "--prefer", action="append", default=[], metavar="FILE", help="食い違いがあればこのブックの値を採る"
    )
    q.add_argument(
        "--on-conflict",
        choices=["fail", "first"],
        default="fail",
        help="食い違いの扱い: fail=取り込まずに報告（既定）、first=先に指定したブックの値を採る",
    )
    q.add_argument("--dry-run", action="store_true", help="検査だけして書き込まない")
    q.set_defaults(func=run_import)


def run_hearing(args: argparse.Namespace) -> int:
    from ..errors import InputError
    from ..sheets import write_hearing_sheet
    from .common import prefecture_and_source

    code, existing = prefecture_and_source(args)
    munis = None
    if args.municipalities:
        from ..tabular import read_municipality_list

        munis = read_municipality_list(args.municipalities, code)
    respondent = None
    if args.respondent:
        from ..tabular import municipality_code

        try:
            respondent = municipality_code(code, args.respondent)
        except ValueError as err:
            raise InputError.single(
                str(err), file="<コマンドライン>", line=1, field="--respondent", value=args.respondent
            ) from None
    path = write_hearing_sheet(args.xlsx, code, existing, municipalities=munis, respondent=respondent)
    print(f"{path} を書き出しました")
    return 0


def run_import(args: argparse.Namespace) -> int:
    from ..sheets import import_hearings

    result = import_hearings(
        args.files, args.into, prefer=args.prefer, on_conflict=args.on_conflict, dry_run=args.dry_run
    )
    print(result.summary() + ("（--dry-run: 書き込んでいません）" if args.dry_run else ""))
    return 0
