"""The ``workbench`` command line. Each subcommand lives in its own module with ``register(subparsers)``.

Bad input: exit status 2 and one clear line per problem on stderr (file, line, field), nothing written.
A file that cannot be written (disk full, no permission, read-only file, another save in progress): exit
status 1 and one line on stderr; the file keeps its previous content. Commands that write files refuse to
overwrite a read-only file unless given ``--overwrite-readonly``.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from typing import NoReturn

from ..errors import InputError, WriteError
from ..files import allow_readonly
from . import auth, batch, classify, cost, datamap, deck, options, plan, report, schema, sheets
from .common import resolve_file

# subcommand modules, in the order shown by --help
MODULES = [classify, auth, cost, options, plan, schema, report, deck, sheets, datamap, batch]
# subcommands that write files (they get --overwrite-readonly)
WRITERS = (
    "vision",
    "plan",
    "report",
    "deck",
    "hearing-sheet",
    "import-sheet",
    "datamap",
    "datamap-sheet",
    "import-datamap",
    "batch",
    "synth",
)


#: argparse's own messages (English) as one Japanese line each; matched in order, the rest shown as they are
_ARGPARSE = (
    (re.compile(r"the following arguments are required: (.*)"), "必要な引数がありません: {0}"),
    (re.compile(r"unrecognized arguments: (.*)"), "分からない引数です: {0}"),
    (
        re.compile(r"argument (\S+): invalid choice: (.*?) \(choose from (.*)\)"),
        "{0}: 選べない値です: {1}（使える値: {2}）",
    ),
    (re.compile(r"argument (\S+): expected one argument"), "{0}: 値を1つ指定してください"),
    (re.compile(r"argument (\S+): invalid (\w+) value: (.*)"), "{0}: 値が正しくありません: {2}"),
    (re.compile(r"argument (\S+): (.*)"), "{0}: {1}"),
)


class _Parser(argparse.ArgumentParser):
    """Usage errors as one located Japanese line (``エラー: <コマンドライン>: …``) and exit status 2, like every
    other bad input; ``--help`` is unchanged."""

    def error(self, message: str) -> NoReturn:
        for pattern, text in _ARGPARSE:
            m = pattern.fullmatch(message)
            if m:
                message = text.format(*m.groups())
                break
        self.exit(2, f"エラー: <コマンドライン>: {self.prog}: {message}（使い方: {self.prog} --help）\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="workbench",
        description="共同利用ワークベンチ: データ連携基盤の共同利用の検討（分類・認証レベル・費用負担）",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for mod in MODULES:
        mod.register(sub)
    for name in WRITERS:
        if name in sub.choices:
            sub.choices[name].add_argument(
                "--overwrite-readonly",
                action="store_true",
                help="読み取り専用のファイルでも上書きする（既定では上書きせずに止める）",
            )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    resolve_file(parser, args)  # --sample PREF -> args.file
    try:
        with allow_readonly(bool(getattr(args, "overwrite_readonly", False))):
            return int(args.func(args) or 0)
    except WriteError as err:
        for line in str(err).splitlines():
            print(f"エラー: {line}", file=sys.stderr)
        return 1
    except InputError as err:
        for line in str(err).splitlines():
            print(f"エラー: {line}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # pragma: no cover - output piped into head
        return 0
    except OSError as err:  # a file the command could not read or write, never a traceback
        where = f"{err.filename}: " if getattr(err, "filename", None) else ""
        print(
            f"エラー: {where}ファイルを読み書きできませんでした（{err.strerror or type(err).__name__}）",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:  # pragma: no cover
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
