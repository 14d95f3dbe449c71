"""``workbench cost FILE --rule RULE [--json] [--prefecture-scheme …]`` (CONTRACT.md)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

import pandas as pd

from ..cost.model import rule_code, rules_table, scheme_code, schemes_table
from ..errors import InputError
from .common import add_file_argument


def _choice(resolve: Callable[[object], str]) -> Callable[[str], str]:
    """An argparse type: the code of a value written as a code or a Japanese label (as the file accepts)."""

    def convert(value: str) -> str:
        try:
            return resolve(value)
        except InputError as err:
            allowed = err.problems[0].allowed
            raise argparse.ArgumentTypeError(f"{value!r} は使えません（使える値: {allowed}）") from None

    convert.__name__ = resolve.__name__  # argparse names the type in its messages
    return convert


def _listing(df: pd.DataFrame) -> str:
    return ", ".join(f"{c}（{ja}）" for c, ja in df[["code", "label_ja"]].itertuples(index=False))


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``cost`` subcommand: rules and schemes come from data/cost_rules.csv and
    data/prefecture_schemes.csv, written as codes or Japanese labels (``--rule 人口割``)."""
    p = subparsers.add_parser(
        "cost", help="費用配分（配分ルール別の負担額）", description="共同利用の費用を配分します"
    )
    add_file_argument(p)
    p.add_argument(
        "--rule",
        default="shapley",
        type=_choice(rule_code),
        metavar="RULE",
        help=f"配分ルール（コードまたは名称。既定: shapley）: {_listing(rules_table())}",
    )
    p.add_argument("--json", action="store_true", help="JSON で出力する")
    p.add_argument(
        "--prefecture-scheme",
        type=_choice(scheme_code),
        default=None,
        metavar="SCHEME",
        help=f"県負担の方式（コードまたは名称。ファイルの設定より優先）: {_listing(schemes_table())}",
    )
    p.set_defaults(func=run)
    return p


def table_text(alloc) -> str:  # noqa: ANN001 - Allocation
    """A readable Japanese table of an allocation."""
    lines = alloc.summary_lines()
    width = max((len(m.name) for m in alloc.members), default=4)
    lines.append("")
    lines.append(
        f"{'コード':<7} {'市区町村':<{width}} {'負担額（円）':>16} {'単独（円）':>16} {'削減率':>6} 単独より安いか（個別合理性）"
    )
    for m in alloc.members:
        lines.append(
            f"{m.code:<8} {m.name:<{width}} {m.share:>18,.0f} {m.standalone:>18,.0f} {m.saving_ratio:>8.0%} "
            f"{'○' if m.individually_rational else '×'}"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Load FILE, allocate, print a table or the CONTRACT JSON; bad input -> exit 2, message on stderr."""
    from .. import inventory
    from ..cost import allocate, cost_effect

    try:
        pref = inventory.load(args.file)
        alloc = allocate(pref, args.rule, scheme=args.prefecture_scheme)
        effect = None if args.json else cost_effect(pref, args.rule, scheme=args.prefecture_scheme)
    except InputError as err:
        if args.file and not any(p.file for p in err.problems):
            for p in err.problems:
                p.file = str(args.file)
        print(str(err), file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(alloc.model_dump(), ensure_ascii=False, indent=2))
    else:
        print(table_text(alloc))
        # guide 2.5 read per municipality (the allocation's lines above carry the prefecture-wide reading)
        print("\n" + "\n".join(effect.summary_lines()[: -len(effect.total) or None]))
    return 0
