"""``workbench cost FILE --rule RULE [--json] [--prefecture-scheme …]`` (CONTRACT.md)."""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import InputError
from .common import add_file_argument

SCHEMES = ("fukushima", "tochigi", "tottori", "none")


def _rules() -> list[str]:
    from ..cost.model import rule_codes

    return list(rule_codes())


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``cost`` subcommand."""
    p = subparsers.add_parser(
        "cost", help="費用配分（配分ルール別の負担額）", description="共同利用の費用を配分します"
    )
    add_file_argument(p)
    p.add_argument("--rule", default="shapley", choices=_rules(), help="配分ルール（既定: shapley）")
    p.add_argument("--json", action="store_true", help="JSON で出力する")
    p.add_argument(
        "--prefecture-scheme", choices=SCHEMES, default=None, help="県負担の方式（ファイルの設定より優先）"
    )
    p.set_defaults(func=run)
    return p


def table_text(alloc) -> str:  # noqa: ANN001 - Allocation
    """A readable Japanese table of an allocation."""
    lines = alloc.summary_lines()
    width = max((len(m.name) for m in alloc.members), default=4)
    lines.append("")
    lines.append(
        f"{'コード':<7} {'市区町村':<{width}} {'負担額（円）':>16} {'単独（円）':>16} {'削減率':>6} 個別合理性"
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
