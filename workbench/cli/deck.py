"""``workbench deck FILE --pptx OUT [--on YYYY-MM-DD]``: the meeting deck (PowerPoint, native charts, sources in
the notes of each slide)."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    from .common import add_file_argument, add_on_argument

    p = sub.add_parser("deck", help="会議用の資料（PowerPoint: 地図・型・課題・費用・認証・スケジュール）")
    add_file_argument(p)
    p.add_argument(
        "--pptx", required=True, metavar="OUT", help="書き出す .pptx ファイル（一時ファイル経由で置き換え）"
    )
    add_on_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import workbench as wb
    from workbench.deck import write_deck

    pref = wb.load(args.file)  # bad input: InputError -> exit 2, nothing written
    out = write_deck(pref, args.pptx, on=args.on)
    print(f"書き出しました: {out}", file=sys.stderr)
    return 0
