"""The ``workbench`` command line. Each subcommand lives in its own module with ``register(subparsers)``.

Bad input: exit status 2 and one clear line per problem on stderr (file, line, field), nothing written.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ..errors import InputError
from .common import resolve_file

# subcommand modules, in the order shown by --help
MODULES = ["classify", "auth", "cost", "plan", "schema", "report", "deck", "sheets", "datamap", "batch"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="共同利用ワークベンチ: データ連携基盤の共同利用の検討（分類・認証レベル・費用負担）",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in MODULES:
        try:
            mod = importlib.import_module(f"workbench.cli.{name}")
        except ModuleNotFoundError as err:
            if err.name == f"workbench.cli.{name}":
                continue
            raise
        mod.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    resolve_file(parser, args)  # --sample PREF -> args.file
    try:
        return int(args.func(args) or 0)
    except InputError as err:
        for line in str(err).splitlines():
            print(f"エラー: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # pragma: no cover
        return 130
    except BrokenPipeError:  # pragma: no cover
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
