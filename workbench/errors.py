"""Errors the workbench raises for bad input.

Every problem with a user's file is an :class:`InputError` that names the file, the line, the field, the bad
value and what is allowed, so that prefecture staff can fix the file without reading a traceback.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

#: a value shown in a message is cut to this many characters (a 5,000-digit number or a 40,000-character name
#: stays one readable line)
SHOWN_VALUE = 60


def shorten(value: object, limit: int = SHOWN_VALUE) -> str:
    """``repr(value)`` for a message, cut in the middle when long, with line breaks and control characters
    escaped so the message stays one line.

    >>> shorten("9" * 5000)
    "'9999999999999999999999999…（5,002 文字）…9999999999999999999999999'"
    """
    text = repr(value)
    if len(text) <= limit:
        return text
    half = (limit - 8) // 2
    return f"{text[:half]}…（{len(text):,} 文字）…{text[-half:]}"


@dataclass
class Problem:
    """One located problem in an input file.

    Examples
    --------
    >>> from workbench import Problem
    >>> p = Problem("使えない値です", file="07.yaml", line=5,
    ...             field="platforms[0].user_scope", value="nationwide")
    >>> print(p.format())
    07.yaml:5: platforms[0].user_scope: 使えない値です（値: 'nationwide'）
    """

    message: str
    file: str | None = None
    line: int | None = None  # 1-based
    field: str | None = None  # dotted path, e.g. "platforms[0].user_scope"
    value: object = None
    allowed: str | None = None
    #: the field as staff name it (「サービス利用者の範囲」, 「基盤「県の基盤」の運営主体」): shown beside ``field``
    label: str | None = None

    def format(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        parts = [where]
        if self.field:
            parts.append(f"{self.field}（{self.label}）" if self.label else f"{self.field}")
        elif self.label:
            parts.append(self.label)
        text = ": ".join(parts) + ": " + self.message
        if (
            self.value is not None
            and not isinstance(self.value, dict | list)
            and str(self.value) not in self.message
        ):
            text += f"（値: {shorten(self.value)}）"
        if self.allowed:
            text += f"（使える値: {self.allowed}）"
        return text


@dataclass
class InputError(ValueError):
    """Bad input: raised with at least one located :class:`Problem`.

    ``str(err)`` is one line per problem (the first problem first), suitable for stderr.

    Examples
    --------
    >>> import workbench as wb
    >>> lines = [
    ...     "prefecture: 福島県",
    ...     "platforms:",
    ...     "  - id: p1",
    ...     "    name: 県の基盤",
    ...     "    operated_by: prefecture",
    ...     "    components: [non_personal]",
    ...     "    user_scope: nationwide",  # not a value of user_scope
    ... ]
    >>> try:
    ...     wb.loads("\\n".join(lines), file="07.yaml")
    ... except wb.InputError as err:
    ...     print(err.file, err.line, err.field)
    07.yaml 7 platforms[0].user_scope
    """

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.__str__())

    @classmethod
    def single(
        cls,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
        value: object = None,
        allowed: str | None = None,
        label: str | None = None,
    ) -> InputError:
        return cls([Problem(message, str(file) if file else None, line, field, value, allowed, label)])

    # convenient accessors for the first problem
    @property
    def file(self) -> str | None:
        return self.problems[0].file if self.problems else None

    @property
    def line(self) -> int | None:
        return self.problems[0].line if self.problems else None

    @property
    def field(self) -> str | None:  # type: ignore[override]
        return self.problems[0].field if self.problems else None

    def __str__(self) -> str:
        if not self.problems:
            return "入力エラー"
        return "\n".join(p.format() for p in self.problems)

    def __hash__(self) -> int:  # exceptions must be hashable for traceback machinery
        return id(self)

    def _render_traceback_(self) -> list[str]:
        """What a notebook cell shows for this error (IPython asks for this instead of a traceback): the
        located Japanese lines as the command line prints them (file, line, field), in red, and how to fix it.
        Nothing was changed on disk."""
        red, end = "\x1b[31m", "\x1b[0m"
        lines = [f"{red}エラー: {line}{end}" for line in str(self).splitlines()]
        if isinstance(self, WriteError):
            how = "直し方: ファイルが書けない理由（上の行）を取り除いて、もう一度実行してください。"
        elif self.file:
            where = Path(self.file).name + (f" の {self.line} 行目" if self.line else "")
            how = f"直し方: {where}を直して保存し、このセルからもう一度実行してください。"
        else:
            how = "直し方: 上の項目を直して、もう一度実行してください。"
        return [*lines, how + "ファイルは何も変更していません。"]


class WriteError(InputError):
    """A file could not be written (disk full, no permission, read-only file, another save in progress).

    Nothing was changed: the file keeps its previous content and no temporary file is left. The command line
    reports it in one line with exit status 1 (the input was fine; the machine refused). A subclass of
    :class:`InputError`, so code that shows input errors shows these too.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import workbench as wb
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "福島県.yaml"
    >>> _ = wb.save(wb.load_sample("07"), path)
    >>> path.chmod(0o444)                      # someone made the file read-only
    >>> try:
    ...     wb.save(wb.load(path))
    ... except wb.WriteError as err:
    ...     print("読み取り専用" in str(err), len(str(err).splitlines()))
    True 1
    >>> saved = wb.save(wb.load(path), overwrite_readonly=True)  # unless the caller says so
    """


class ReadOnlyFileError(WriteError):
    """The file to overwrite is read-only; it is overwritten only when the caller says so
    (``overwrite_readonly=True``, ``--overwrite-readonly``)."""


# --- where a problem sits in the file ---------------------------------------------------------------------------------------------


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
