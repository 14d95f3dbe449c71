"""``workbench report FILE --html OUT [--on YYYY-MM-DD]``: the offline snapshot (one self-contained HTML file
with the overview, cost and auth views; plotly.js inlined once; no server, no network)."""

from __future__ import annotations

import argparse
import sys

from .common import add_file_argument, add_on_argument


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report", help="オフライン用のスナップショット（1つのHTMLファイル: 全体像・費用・認証）"
    )
    add_file_argument(p)
    p.add_argument(
        "--html", required=True, metavar="OUT", help="書き出すHTMLファイル（一時ファイル経由で置き換え）"
    )
    add_on_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import workbench as wb
    from workbench.report import write_snapshot

    pref = wb.load(args.file)  # bad input: InputError -> exit 2, nothing written
    out = write_snapshot(pref, args.html, on=args.on)
    print(f"書き出しました: {out}", file=sys.stderr)
    return 0
