"""File helpers every floor uses (the bottom floor: no module of ours below it but the errors).

* Reading: :func:`read_bytes` (and :func:`existing_file` for readers that open it themselves) reads a file or
  raises :class:`~workbench.errors.InputError` naming it, in
  Japanese (missing, a folder, unreadable).
* Locating: :func:`locate` and :func:`field_path` turn a field's path (``("platforms", 0, "name")``) into the
  line of a round-trip YAML document and the dotted path staff see (``platforms[0].name``);
  :func:`source_name` is the file a prefecture was loaded from, for messages.
* Cells: a spreadsheet runs a cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) as
  a formula (CSV injection, OWASP). :func:`safe_cell` prefixes such text with a single quote; :func:`unsafe_cell`
  undoes it on import so a round trip is lossless.

One copy of each: the YAML module, the tables, the hearing sheets, the analyses' located errors and every export
use these.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from .errors import InputError

# --- reading ----------------------------------------------------------------------------------------------


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a file; a missing file, a folder or an unreadable file is an
    :class:`~workbench.errors.InputError` naming the file.

    >>> read_bytes("/nonexistent/福島県.yaml")
    Traceback (most recent call last):
    ...
    workbench.errors.InputError: /nonexistent/福島県.yaml: ファイルがありません
    """
    file = str(path)
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError.single("ファイルがありません", file=file) from None
    except IsADirectoryError:
        raise InputError.single("フォルダではなくファイルを指定してください", file=file) from None
    except OSError as err:
        raise InputError.single(f"ファイルを読めません: {err.strerror}", file=file) from None


def existing_file(path: str | os.PathLike[str]) -> Path:
    """``path`` when it is a file (for readers that open it themselves: workbooks); a missing file or a folder
    is an :class:`~workbench.errors.InputError` naming it, as :func:`read_bytes` says it."""
    p = Path(path)
    if not p.exists():
        raise InputError.single("ファイルがありません", file=str(path))
    if p.is_dir():
        raise InputError.single("フォルダではなくファイルを指定してください", file=str(path))
    return p


# --- locating ---------------------------------------------------------------------------------------------


def _tag(part: object) -> bool:
    """A pydantic validator tag in an error's location (not a key of the file)."""
    return isinstance(part, str) and (part.startswith("function-") or part.startswith("nullable["))


def locate(doc: Any, loc: Iterable[str | int]) -> int | None:
    """1-based line of the node at ``loc`` in a round-trip YAML document (deepest node that exists)."""
    node, line = doc, None
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            with contextlib.suppress(Exception):
                line = node.lc.key(part)[0] + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            with contextlib.suppress(Exception):
                line = node.lc.item(part)[0] + 1
            node = node[part]
        elif isinstance(part, str) and (part.startswith("function-") or "[" in part):
            continue  # pydantic validator tags
        else:
            break
    if line is None and hasattr(doc, "lc"):
        line = doc.lc.line + 1
    return line


def field_path(loc: Iterable[str | int]) -> str:
    """A field's location as staff read it in a message: ``platforms[0].name``.

    >>> field_path(("plan", "items", 2, "depends_on", 0))
    'plan.items[2].depends_on[0]'
    """
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _tag(part):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out


def field_loc(path: str) -> list[str | int]:
    """The inverse of :func:`field_path`: ``platforms[0].name`` → ``["platforms", 0, "name"]``; a bracketed
    municipality code stays a key (``[072028]``).

    >>> field_loc("costs.standalone[072028].initial")
    ['costs', 'standalone', '072028', 'initial']
    """
    out: list[str | int] = []
    for part in path.split("."):
        while "[" in part:
            head, rest = part.split("[", 1)
            if head:
                out.append(head)
            idx, part = rest.split("]", 1)
            out.append(int(idx) if idx.isdigit() and str(int(idx)) == idx else idx)  # a code keeps its 0
        if part:
            out.append(part)
    return out


def source_path(pref: Any) -> Path | None:
    """The file a prefecture was loaded from (None for one built in memory)."""
    return getattr(pref, "_wb_path", None)


def source_name(pref: Any) -> str | None:
    """The name to put in error messages: the file it was loaded from, or the label given to ``loads``."""
    path = source_path(pref)
    return str(path) if path is not None else getattr(pref, "_wb_file", None)


# --- cells ------------------------------------------------------------------------------------------------

#: first characters that make a spreadsheet treat a cell as a formula (plus tab and CR, OWASP)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` made safe for a spreadsheet cell: text starting with = + - @ (or tab/CR) gets a leading
    single quote so it is shown, never run. Numbers, booleans, dates and None pass unchanged.

    >>> safe_cell("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> safe_cell(-5)
    -5
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def unsafe_cell(value: Any) -> Any:
    """Undo :func:`safe_cell` (for reading back what the workbench wrote)."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value
