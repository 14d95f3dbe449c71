"""Helpers shared by the subcommands: JSON output and readable tables."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any

import pandas as pd


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def print_table(df: pd.DataFrame, title: str | None = None) -> None:
    if title:
        print(title)
    if df.empty:
        print("  （なし）")
        return
    with pd.option_context(
        "display.max_rows",
        500,
        "display.max_columns",
        50,
        "display.width",
        200,
        "display.max_colwidth",
        60,
        "display.unicode.east_asian_width",
        True,
    ):
        print(df.to_string(index=False))


def parse_date(text: str) -> date:
    """An argparse ``type`` for YYYY-MM-DD options: an impossible date (2026-04-31) or a 5,000-digit value is
    one short Japanese line, never a traceback."""
    from ..errors import shorten

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"日付は YYYY-MM-DD（実在する日付）で指定してください: {shorten(text, 40)}"
        ) from None


def add_on_argument(
    parser: argparse.ArgumentParser, help: str = "認証レベルを判定する日（既定: 今日）"
) -> None:
    """``--on YYYY-MM-DD``: the day the means catalogue's validity and the levels are judged (default: today)."""
    parser.add_argument("--on", type=parse_date, default=None, metavar="YYYY-MM-DD", help=help)


def prefecture_and_source(args: argparse.Namespace) -> tuple[str, Any]:
    """The prefecture code of ``args.prefecture`` and, with ``args.source``, that prefecture's file loaded
    (a blank sheet is pre-filled from it). Unknown prefectures and a file of another prefecture are located
    errors (exit 2)."""
    from .. import reference
    from ..errors import InputError

    try:
        code = reference.resolve_prefecture(args.prefecture)[0]
    except KeyError:
        raise InputError.single(
            "都道府県が分かりません",
            file="<コマンドライン>",
            line=1,
            field="prefecture",
            value=args.prefecture,
            allowed="47都道府県の名前（例 福島県）またはJISコード（01〜47）",
        ) from None
    existing = None
    if args.source:
        import workbench as wb

        existing = wb.load(args.source)
        if existing.code != code:
            raise InputError.single(
                f"{args.source} は{existing.name}のファイルです（指定は{reference.resolve_prefecture(code)[1]}）",
                file=args.source,
                line=1,
                field="prefecture",
                value=existing.prefecture,
            )
    return code, existing


def add_file_argument(parser: argparse.ArgumentParser) -> None:
    """FILE, or ``--sample PREF`` for a built-in sample (no repository path needed: it ships in the package)."""
    parser.add_argument(
        "file", nargs="?", metavar="FILE", help="都道府県ファイル（YAML）。--sample を使うときは省略"
    )
    parser.add_argument(
        "--sample",
        metavar="PREF",
        help="同梱のサンプル（ない県は合成データ）を使う: 都道府県コード（07）か名前（福島県）",
    )


def resolve_file(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Turn ``--sample PREF`` into ``args.file`` (the sample's path); FILE and --sample exclude each other."""
    if not hasattr(args, "sample"):
        return
    if args.sample is None:
        if args.file is None:
            parser.error(f"{args.command}: 都道府県ファイル（FILE）か --sample PREF を指定してください")
        return
    if args.file is not None:
        parser.error(f"{args.command}: FILE と --sample は同時に指定できません")
    from ..reference import resolve_prefecture
    from ..samples import sample_path

    try:
        resolve_prefecture(args.sample)
    except KeyError:
        parser.error(f"--sample: 都道府県ではありません: {args.sample!r}（例: 07、福島県、fukushima）")
    args.file = str(sample_path(args.sample))
