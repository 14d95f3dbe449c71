"""Reading and writing prefecture files: YAML round trip that keeps comments and order, located errors,
atomic saves that refuse to overwrite a file changed on disk since it was loaded."""

from __future__ import annotations

import collections
import contextlib
import copy
import functools
import hashlib
import io
import os
import re
import threading
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.reader import ReaderError

from .. import reference
from ..errors import InputError, Problem, locate, shorten, source_path
from ..errors import field_path as _field_path
from ..files import LOCK_TIMEOUT as LOCK_TIMEOUT  # the saves' names, re-exported
from ..files import allow_readonly as allow_readonly
from ..files import atomic_write, file_lock, read_bytes
from ..files import real_target as real_target
from ..text import MAX_TEXT as MAX_TEXT  # re-exported: the hearing sheets use it
from ..text import REFUSED_CHARS, char_name, fold, mixed_encoding_line, text_problem
from . import base as _base
from . import models as _models
from .base import field_label
from .checks import mark_checked
from .models import Prefecture, cross_check

MAX_BYTES = 2 * 1024 * 1024  # a prefecture file with every municipality is ~200 KB
MAX_NODES = 200_000
MAX_DEPTH = 64  # nesting levels; a prefecture file needs about 6

_MESSAGES = {
    "missing": "必須の項目がありません",
    "extra_forbidden": "不明な項目です",
    "int_parsing": "整数を指定してください",
    "int_type": "整数を指定してください",
    "int_from_float": "整数を指定してください",
    "float_parsing": "数値を指定してください",
    "float_type": "数値を指定してください",
    "finite_number": "有限の数値を指定してください（NaN や無限大は使えません）",
    "bool_parsing": "true か false を指定してください",
    "bool_type": "true か false を指定してください",
    "string_type": "文字列を指定してください",
    "string_unicode": "対になっていないサロゲート（\\ud800 など）が含まれています。削除してください",
    "list_type": "リスト（- で始まる行、または [a, b]）を指定してください",
    "dict_type": "項目の集まり（キー: 値）を指定してください",
    "model_type": "項目の集まり（キー: 値）を指定してください",
    "model_attributes_type": "項目の集まり（キー: 値）を指定してください",
    "string_too_short": "空にできません",
    "string_pattern_mismatch": "空白やカンマを含まないIDを指定してください",
    "date_from_datetime_parsing": "日付（YYYY-MM-DD）を指定してください",
    "date_parsing": "日付（YYYY-MM-DD）を指定してください",
}


class _Constructor(RoundTripConstructor):
    """Round-trip constructor that refuses merge keys (``<<: *anchor``): merging one big anchored mapping
    into many mappings is an expansion bomb that ruamel builds before any check could run; and refuses
    collection keys (``? [a]``), on which ruamel fails with a TypeError instead of a located error."""

    def flatten_mapping(self, node: Any) -> Any:
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode):  # "? [a]" / "? {a: b}": ruamel fails with TypeError
                raise ConstructorError(
                    None,
                    None,
                    "項目名（キー）にはリストや集まりでなく文字を使ってください",
                    key_node.start_mark,
                )
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise ConstructorError(
                    None,
                    None,
                    "マージキー（<<）は使えません（展開爆弾の防止）。項目を直接書いてください",
                    key_node.start_mark,
                )
        return super().flatten_mapping(node)

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        """Values Python refuses to build (``2026-04-31``, an integer of 5,000 digits) become located
        errors instead of a ValueError traceback."""
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError, TypeError) as err:
            raise ConstructorError(None, None, _value_message(node, err), node.start_mark) from None


def _value_message(node: Any, err: Exception) -> str:
    value = getattr(node, "value", "")
    text = value if isinstance(value, str) else ""
    if str(getattr(node, "tag", "")).endswith(":timestamp"):
        return f"存在しない日付です（{shorten(text)}）。YYYY-MM-DD の形で、実在する日付を書いてください"
    if str(getattr(node, "tag", "")).endswith(":int") and "digits" in str(err):
        digits = sum(c.isdigit() for c in text)
        return f"数値の桁数が多すぎます（{digits:,} 桁）。桁を確かめてください"
    return f"値を読めません（{shorten(text)}）"


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.Constructor = _Constructor
    y.preserve_quotes = True
    y.width = 4096
    y.indent(mapping=2, sequence=4, offset=2)
    return y


# --- locating -------------------------------------------------------------------------------------


def _value_at(doc: Any, loc: Iterable[str | int]) -> Any:
    node = doc
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def problems_from_validation(err: ValidationError, doc: Any, file: str | None) -> list[Problem]:
    """Turn pydantic errors into located problems (Japanese messages, allowed values where known)."""
    out: list[Problem] = []
    for e in err.errors():
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        ctx = e.get("ctx") or {}
        allowed = None
        etype = e["type"]
        if etype == "value_error":
            exc = ctx.get("error")
            msg = str(exc) if exc is not None else e["msg"]
            allowed = getattr(exc, "allowed", None)
        elif etype in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
            bound = next(iter(ctx.values()))
            word = {
                "greater_than_equal": "以上",
                "greater_than": "より大きい値",
                "less_than_equal": "以下",
                "less_than": "未満",
            }[etype]
            msg = f"{bound} {word}を指定してください"
        elif etype == "extra_forbidden":
            parent = _value_at(doc, loc[:-1])
            msg = f"不明な項目「{loc[-1]}」です"
            if isinstance(parent, dict):
                pass
        else:
            msg = _MESSAGES.get(etype, e["msg"])
        value = e.get("input") if etype != "missing" else None
        if isinstance(value, dict | list):
            value = None
        label = field_label(Prefecture, loc) if doc is not None else None  # a file: the key named in Japanese
        out.append(Problem(msg, file, locate(doc, loc), _field_path(loc), value, allowed, label))
    out.sort(key=lambda p: p.line or 0)
    return out


_base.validation_problems = problems_from_validation  # errors of models built or changed in code


# --- reading --------------------------------------------------------------------------------------


#: characters refused in text values and the longest text accepted (one definition for every input:
#: :mod:`workbench.text`; the models check them too, so values set in code or imported from sheets are held to
#: the same rules)
CONTROL_CHARS = REFUSED_CHARS


def _check_text(text: str, file: str | None, line: int | None, path: list[str | int]) -> None:
    problem = text_problem(text)
    if problem:
        raise InputError.single(
            problem,
            file=file,
            line=line,
            field=_field_path(path) or None,
            value=text if len(text) <= MAX_TEXT else None,
        )


def _plain(
    node: Any,
    seen: set[int],
    count: list[int],
    file: str | None,
    path: list[str | int] | None = None,
    line: int | None = None,
) -> Any:
    """Plain Python copy of a round-trip node; refuses repeated collections (YAML alias bombs), control
    characters and over-long text (named by file, line and field)."""
    path = path if path is not None else []
    count[0] += 1
    if count[0] > MAX_NODES:
        raise InputError.single(f"ファイルの要素が多すぎます（{MAX_NODES:,} を超えています）", file=file)
    if isinstance(node, dict | list):
        _once(node, seen, file)
        if isinstance(node, dict):
            return _plain_map(node, seen, count, file, path, line)
        return _plain_seq(node, seen, count, file, path, line)
    if node is None:
        return None
    if isinstance(node, bool | int | float):
        return _number(node)
    if isinstance(node, date):  # datetime too
        return node.isoformat()
    text = str(node)
    _check_text(text, file, line, path)
    return text


def _number(node: bool | int | float) -> bool | int | float:
    """A YAML number or boolean as a plain Python one (ruamel's subclasses keep their formatting)."""
    for kind in (bool, int, float):  # bool first: it is an int too
        if isinstance(node, kind):
            return kind(node)
    return node


def _once(node: Any, seen: set[int], file: str | None) -> None:
    """A collection met a second time is an alias: refused (an alias bomb expands to billions of nodes)."""
    if id(node) in seen:
        line = getattr(getattr(node, "lc", None), "line", None)
        raise InputError.single(
            "YAMLのアンカー／エイリアス（& と *）による集まりの再利用は使えません（展開爆弾の防止）",
            file=file,
            line=(line + 1) if line is not None else None,
        )
    seen.add(id(node))


def _plain_map(
    node: Any, seen: set[int], count: list[int], file: str | None, path: list[str | int], line: int | None
) -> dict:
    lc = getattr(node, "lc", None)
    out = {}
    for k, v in node.items():
        at = line
        with contextlib.suppress(Exception):
            at = lc.key(k)[0] + 1
        key = str(k) if not isinstance(k, int | bool) else k
        if isinstance(k, str):
            _check_text(k, file, at, path)
        out[key] = _plain(v, seen, count, file, [*path, key], at)
    return out


def _plain_seq(
    node: Any, seen: set[int], count: list[int], file: str | None, path: list[str | int], line: int | None
) -> list:
    lc = getattr(node, "lc", None)
    items = []
    for i, v in enumerate(node):
        at = line
        with contextlib.suppress(Exception):
            at = lc.item(i)[0] + 1
        items.append(_plain(v, seen, count, file, [*path, i], at))
    return items


def decode(data: bytes, file: str | None) -> str:
    """UTF-8 (BOM allowed) text; a clear located error for Shift_JIS/CP932 or binary files."""
    if len(data) > MAX_BYTES:
        raise InputError.single(
            f"ファイルが大きすぎます（{len(data):,} バイト、上限 {MAX_BYTES:,} バイト）",
            file=file,
            line=data[:MAX_BYTES].count(b"\n") + 1,  # the line where the limit is passed
        )
    if b"\x00" in data:
        raise InputError.single(
            "テキストファイルではありません（NUL バイトを含みます）",
            file=file,
            line=data[: data.index(b"\x00")].count(b"\n") + 1,
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        where = mixed_encoding_line(data)
        line, kind = where if where else (data[: err.start].count(b"\n") + 1, "unknown")
        message = {
            "cp932": "UTF-8 として読めない文字があります（Shift_JIS/CP932 で保存されているようです。"
            "UTF-8 で保存し直してください）",
            "mixed": "この行だけ文字コードがほかの行と違います（UTF-8 と Shift_JIS/CP932 が混在しています）。"
            "この行を UTF-8 で入力し直してください",
            "unknown": "UTF-8 として読めない文字があります",
        }[kind]
        raise InputError.single(message, file=file, line=line) from None


_DQ_END = re.compile(r'(?:[^"\\]|\\.)*"')  # the rest of a double-quoted scalar, \-escapes honoured
_SQ_END = re.compile(r"(?:[^']|'')*'(?!')")  # the rest of a single-quoted scalar, '' is an escaped quote
_PLAIN_STOP_BLOCK = re.compile(r":(?=[ \t]|$)| #|\t#")
_PLAIN_STOP_FLOW = re.compile(r"[,\[\]{}]|:(?=[ \t,\[\]{}]|$)| #|\t#")


def structure_estimate(text: str, file: str | None = None, *, raise_over: bool = True) -> tuple[int, int]:
    """``(deepest nesting, nodes)`` of a YAML text, estimated in one linear pass before any parsing.

    The parser (pure Python) is slow on pathological input: deep flow nesting is quadratic in its scanner and
    a million-node document takes a gigabyte to build. This pass follows the YAML scanner's rules where they
    decide nesting -- quoted scalars (``\"`` escapes, ``''`` in single quotes, spanning lines), plain scalars
    and their continuation lines, comments, block scalars (``|``, ``>``) -- and errs towards a deeper
    estimate where it cannot tell: an opening bracket is counted unless it is surely inside a quoted scalar,
    a comment or a block scalar. Depth = block indentation levels + compact ``- `` entries + open flow
    brackets; nodes = scalars, collections and entries.

    With ``raise_over`` (the default) an :class:`InputError` naming the line is raised as soon as the depth
    passes :data:`MAX_DEPTH` or the nodes pass :data:`MAX_NODES`.
    """
    scan = _Structure(file, raise_over)
    for lineno, raw in enumerate(text.split("\n"), 1):
        scan.feed(lineno, raw.rstrip("\r"))
    return scan.deepest, scan.nodes


class _Structure:
    """The state of :func:`structure_estimate` across lines, one method per kind of token."""

    def __init__(self, file: str | None, raise_over: bool) -> None:
        self.file, self.raise_over = file, raise_over
        self.stack: list[int] = []  # block indentation levels (while outside flow collections)
        self.flow = 0
        self.quote = ""  # a quoted scalar continuing on the next line
        self.plain_indent: int | None = None  # a plain scalar that may continue on lines indented more
        self.block_parent: int | None = None  # skipping the content of a block scalar indented more than this
        self.block_content: int | None = None
        self.deepest = self.nodes = 0
        self.lineno = self.dashes = self.colons = self.line_flow = 0

    def depth(self) -> int:
        return len(self.stack) + self.dashes + self.colons + self.line_flow

    def over(self, depth: int) -> None:
        if not self.raise_over:
            return
        if depth > MAX_DEPTH:
            raise InputError.single(
                f"YAMLの入れ子が深すぎます（{MAX_DEPTH} 段を超えています）", file=self.file, line=self.lineno
            )
        if self.nodes > MAX_NODES:
            raise InputError.single(
                f"ファイルの要素が多すぎます（{MAX_NODES:,} を超えています）",
                file=self.file,
                line=self.lineno,
            )

    def feed(self, lineno: int, line: str) -> None:
        self.lineno = lineno
        body = line.lstrip(" ")
        indent = len(line) - len(body)
        if self.block_parent is not None and self._in_block(body, indent):
            return
        self.dashes = self.colons = 0
        self.line_flow = self.flow
        i = self._start(line, body, indent)
        if i is None:
            return
        while i is not None and i < len(line):
            i = self._token(line, i, indent)
        self.deepest = max(self.deepest, self.depth())
        self.over(self.depth())

    def _in_block(self, body: str, indent: int) -> bool:
        """Whether the line is text of a | or > block scalar (else the block ended)."""
        if not body.strip():
            return True
        if self.block_content is None and indent > self.block_parent:  # type: ignore[operator]
            self.block_content = indent
        if self.block_content is not None and indent >= self.block_content:
            return True
        self.block_parent = self.block_content = None
        return False

    def _start(self, line: str, body: str, indent: int) -> int | None:
        """Where the line's tokens start: after a quoted scalar that ends here, after a plain scalar's
        continuation, or at the indentation (a new block level); None for a line with nothing to count."""
        if self.quote:
            m = (_DQ_END if self.quote == '"' else _SQ_END).match(line)
            if m is None:
                return None  # still inside the quoted scalar
            self.quote = ""
            return m.end()
        if not body or body.startswith("#"):
            self.plain_indent = None if not body or self.flow == 0 else self.plain_indent
            return None
        if self.plain_indent is not None and (self.flow > 0 or indent > self.plain_indent):
            # continuation of a multi-line plain scalar: quotes here are ordinary characters
            stop = (_PLAIN_STOP_FLOW if self.flow else _PLAIN_STOP_BLOCK).search(line, indent)
            if stop is None:
                return None
            self.plain_indent = None
            return stop.start()
        self.plain_indent = None
        if self.flow == 0:
            while self.stack and self.stack[-1] >= indent:
                self.stack.pop()
            self.stack.append(indent)
        return indent

    def _token(self, line: str, i: int, indent: int) -> int | None:
        """The position after the token at ``i``; None when the rest of the line is not counted."""
        handler = _TOKENS.get(line[i], _Structure._plain)
        return handler(self, line, i, indent)

    def _blank(self, line: str, i: int, indent: int) -> int | None:
        return i + 1

    def _comment(self, line: str, i: int, indent: int) -> int | None:
        return None

    def _open(self, line: str, i: int, indent: int) -> int | None:
        self.flow += 1
        self.nodes += 1
        self.line_flow = max(self.line_flow, self.flow)
        self.over(self.depth())
        return i + 1

    def _close(self, line: str, i: int, indent: int) -> int | None:
        self.flow = max(self.flow - 1, 0)
        return i + 1

    def _entry(self, line: str, i: int, indent: int) -> int | None:
        """``- `` or ``? ``: a block entry (nests on one line: ``- - a``); else a plain scalar."""
        if _next(line, i) not in ("", " ", "\t") or self.flow:
            return self._plain(line, i, indent)
        self.dashes += line[i] == "-"
        self.nodes += 1
        self.over(self.depth())
        return i + 1

    def _colon(self, line: str, i: int, indent: int) -> int | None:
        nxt = _next(line, i)
        if nxt in ("", " ", "\t") or (self.flow and nxt in ",[]{}"):
            if self.flow == 0:
                self.colons += 1  # "a: b: c" / ": :" nest mappings on one line
            return i + 1
        if not self.flow:
            return self._plain(line, i, indent)
        # ":x" in a flow collection: the scanner's choice depends on what came before; a quoted scalar right
        # after it is treated as uncertain (its brackets still counted)
        i += 1
        if i >= len(line) or line[i] not in "\"'":
            return i
        m = (_DQ_END if line[i] == '"' else _SQ_END).match(line, i + 1)
        end = m.end() if m else len(line)
        for c in line[i:end]:
            if c in "[{":
                self.flow += 1
                self.line_flow = max(self.line_flow, self.flow)
        self.over(self.depth())
        if m is None:
            self.quote = line[i]
        return end

    def _block_scalar(self, line: str, i: int, indent: int) -> int | None:
        if self.flow:
            return self._plain(line, i, indent)
        self.block_parent = indent + 2 * self.dashes
        digits = [c for c in line[i + 1 : i + 4] if c in "0123456789"]  # not "²": isdigit() but no int
        self.block_content = self.block_parent + int(digits[0]) if digits else None
        self.nodes += 1
        return None

    def _word(self, line: str, i: int) -> int:
        while i < len(line) and line[i] not in " \t,[]{}":
            i += 1
        return i

    def _property(self, line: str, i: int, indent: int) -> int | None:
        """An anchor (&) or a tag (!): not a node of its own."""
        return self._word(line, i)

    def _alias(self, line: str, i: int, indent: int) -> int | None:
        self.nodes += 1
        return self._word(line, i)

    def _quoted(self, line: str, i: int, indent: int) -> int | None:
        self.nodes += 1
        m = (_DQ_END if line[i] == '"' else _SQ_END).match(line, i + 1)
        if m is None:
            self.quote = line[i]
            return None
        return m.end()

    def _directive(self, line: str, i: int, indent: int) -> int | None:
        return None if i == 0 else self._plain(line, i, indent)

    def _plain(self, line: str, i: int, indent: int) -> int | None:
        """A plain scalar: up to the next indicator on this line, maybe continued on the next lines."""
        self.nodes += 1
        if self.nodes > MAX_NODES:
            self.over(0)
        stop = (_PLAIN_STOP_FLOW if self.flow else _PLAIN_STOP_BLOCK).search(line, i + 1)
        if stop is None:
            self.plain_indent = indent
            return None
        i = stop.start()
        return None if line[i] in " \t" else i  # " #": a comment


def _next(line: str, i: int) -> str:
    return line[i + 1] if i + 1 < len(line) else ""


_TOKENS = {
    " ": _Structure._blank,
    "\t": _Structure._blank,
    ",": _Structure._blank,
    "#": _Structure._comment,
    "[": _Structure._open,
    "{": _Structure._open,
    "]": _Structure._close,
    "}": _Structure._close,
    "-": _Structure._entry,
    "?": _Structure._entry,
    ":": _Structure._colon,
    "|": _Structure._block_scalar,
    ">": _Structure._block_scalar,
    "&": _Structure._property,
    "!": _Structure._property,
    "*": _Structure._alias,
    '"': _Structure._quoted,
    "'": _Structure._quoted,
    "%": _Structure._directive,
}


def check_depth(text: str, file: str | None) -> None:
    """Refuse text nested deeper than :data:`MAX_DEPTH` or with more than :data:`MAX_NODES` nodes before the
    parser sees it (:func:`structure_estimate`); the error names the line."""
    structure_estimate(text, file)


#: the YAML parser's problems (English) as messages for prefecture staff; matched by substring, first wins
_SYNTAX = (
    ("found unexpected end of stream", "引用符（\" または '）が閉じられていません"),
    ("found unexpected document separator", "引用符（\" または '）が閉じられていません"),
    (
        "that cannot start any token",
        "この位置に書けない文字があります（タブ文字による字下げなど）。空白で字下げしてください",
    ),
    (
        "found unknown escape character",
        "二重引用符の中の \\ の使い方が正しくありません（\\ を書くには \\\\ とします）",
    ),
    (
        "expected escape sequence",
        "二重引用符の中の \\ の使い方が正しくありません（\\ を書くには \\\\ とします）",
    ),
    (
        "mapping values are not allowed here",
        "ここに「項目名: 値」は書けません。字下げと、コロンの後の空白を確かめてください",
    ),
    ("could not find expected ':'", "「項目名: 値」のコロン（:）がありません"),
    ("found duplicate key", "同じ項目名（キー）が2回書かれています"),
    ("found undefined alias", "定義されていないエイリアス（*）です"),
    ("found duplicate anchor", "同じアンカー名（&）が2回使われています"),
    ("expected <block end>", "字下げがそろっていません"),
    ("expected ',' or ']'", "[ ] の閉じ忘れか、項目の間のカンマ（,）がありません"),
    ("expected ',' or '}'", "{ } の閉じ忘れか、項目の間のカンマ（,）がありません"),
    ("did not find expected key", "字下げがそろっていないか、「項目名: 値」の形になっていません"),
    ("did not find expected '-' indicator", "リストの字下げがそろっていません（- の位置を確かめてください）"),
    ("did not find expected node content", "値がありません（- や : の後に値を書いてください）"),
    ("expected the node content", "値がありません（- や : の後に値を書いてください）"),
    ("while scanning a simple key", "「項目名: 値」のコロン（:）がありません"),
    ("while scanning a block scalar", "ブロック文字列（| や >）の書き方が正しくありません"),
    ("while scanning an alias", "アンカー（&）やエイリアス（*）の名前が正しくありません"),
    ("while scanning an anchor", "アンカー（&）やエイリアス（*）の名前が正しくありません"),
    ("while scanning a tag", "タグ（!）の書き方が正しくありません"),
    ("could not determine a constructor for the tag", "使えないタグ（! で始まる型の指定）です"),
    ("found undefined tag handle", "使えないタグ（! で始まる型の指定）です"),
    ("while scanning a directive", "% で始まる指示の書き方が正しくありません"),
    ("expected a single document", "ファイルに複数の文書（--- の区切り）があります。1つにしてください"),
    ("found character", "この位置に書けない文字があります"),
)


def syntax_message(err: MarkedYAMLError) -> str:
    """A Japanese one-line message for a YAML syntax error (the parser's own text is English)."""
    text = " ".join(str(x) for x in (err.problem, err.context) if x)
    for key, message in _SYNTAX:
        if key in text:
            return message
    if isinstance(err, ConstructorError) and err.problem and not err.problem.isascii():
        return err.problem  # our own constructor's messages are Japanese already
    return "YAMLの書式が正しくありません"


def parse_yaml(text: str, file: str | None) -> Any:
    """The round-trip document of a YAML text; syntax errors become located one-line InputErrors in
    Japanese (line and column)."""
    check_depth(text, file)
    try:
        doc = _yaml().load(io.StringIO(text))
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        if err.context_mark is not None and "unexpected" in str(err.problem) and "quoted" in str(err.context):
            mark = err.context_mark  # an unterminated quote: name the line where it opens
        line = mark.line + 1 if mark is not None else None
        where = f"（{mark.column + 1} 文字目）" if mark is not None else ""
        message = syntax_message(err)
        if not message.startswith("YAML") and not isinstance(err, ConstructorError):
            message = "YAMLの書式が正しくありません: " + message
        raise InputError.single(message + where, file=file, line=line) from None
    except ReaderError as err:
        position = err.position if isinstance(err.position, int) else 0
        line = text.count("\n", 0, position) + 1
        char = err.character
        what = char_name(chr(char) if isinstance(char, int) else str(char)[:1] or "?")
        raise InputError.single(
            f"YAMLに書けない文字（{what}）が含まれています。削除してください", file=file, line=line
        ) from None
    except YAMLError:
        raise InputError.single("YAMLの書式が正しくありません", file=file, line=1) from None
    except RecursionError:
        raise InputError.single("YAMLの入れ子が深すぎます", file=file, line=1) from None
    return doc


# --- the fast way: libyaml builds the nodes, the round-trip document only when it is needed -------------------


class _Fallback(Exception):
    """The fast reading stops: the file goes the round-trip way, which gives every message its line."""


try:  # PyYAML's C parser (libyaml): about 15 times faster than ruamel's pure-Python round trip
    import yaml as _pyyaml

    class _Composer(_pyyaml.CSafeLoader):  # type: ignore[misc,name-defined]
        """libyaml's composer with no implicit resolution: every plain scalar is resolved below the YAML 1.2 way,
        by ruamel's own resolver and constructor, so both ways read a value alike."""

        yaml_implicit_resolvers: dict[str, Any] = {}

except (ImportError, AttributeError):  # no PyYAML or no libyaml: the round trip only
    _pyyaml = None


_TAG = "tag:yaml.org,2002:"


@functools.cache
def _scalars() -> tuple[Any, Any, frozenset[str] | None]:
    """The round trip's own resolver and constructor (YAML 1.2), bound to a loader as they expect, and the
    first characters for which the resolver has an implicit rule at all (a plain scalar starting otherwise is a
    string: the resolver picks its rules by the first character, and ours has no rule for any character nor a
    path rule)."""
    y = _yaml()
    resolver = y.resolver
    rules = resolver.versioned_resolver
    starts = frozenset(rules) if None not in rules and not resolver.yaml_path_resolvers else None
    return resolver, y.constructor, starts


def _fast_scalar(node: Any) -> Any:
    if node.tag != _TAG + "str":
        raise _Fallback  # an explicit tag (!!int "3", !python/…): the round trip decides
    if node.style:  # quoted ('"', "'") or block ('|', '>'); libyaml gives a plain scalar the style ''
        return node.value
    resolver, constructor, starts = _scalars()
    if starts is not None and node.value[:1] not in starts:
        return node.value  # what resolve() gives it: no implicit rule starts with this character
    tag = resolver.resolve(ScalarNode, node.value, (True, False))
    if tag == _TAG + "str":
        return node.value
    value = constructor.construct_object(ScalarNode(tag, node.value))
    if value is None:
        return None
    if isinstance(value, bool | int | float):
        return _number(value)
    if isinstance(value, date):
        return value.isoformat()
    raise _Fallback


def _fast_node(node: Any, seen: set[int], count: list[int]) -> Any:
    """Plain data of a libyaml node, as :func:`_plain` makes it of a round-trip node; anything the round trip
    would refuse or read otherwise (an alias, a merge key, a collection key, a duplicate key, control
    characters, over-long text, too many nodes) falls back."""
    count[0] += 1
    if count[0] > MAX_NODES or id(node) in seen:
        raise _Fallback
    seen.add(id(node))
    if isinstance(node, _pyyaml.ScalarNode):
        value = _fast_scalar(node)
        if isinstance(value, str) and (CONTROL_CHARS.search(value) or len(value) > MAX_TEXT):
            raise _Fallback
        return value
    if isinstance(node, _pyyaml.SequenceNode) and node.tag == _TAG + "seq":
        return [_fast_node(v, seen, count) for v in node.value]
    if isinstance(node, _pyyaml.MappingNode) and node.tag == _TAG + "map":
        out: dict[Any, Any] = {}
        for k, v in node.value:
            if not isinstance(k, _pyyaml.ScalarNode) or (k.value == "<<" and not k.style):
                raise _Fallback
            count[0] += 1
            key = _fast_scalar(k)
            key = key if isinstance(key, int | bool) else str(key)
            if key in out or (isinstance(key, str) and CONTROL_CHARS.search(key)):
                raise _Fallback
            out[key] = _fast_node(v, seen, count)
        return out
    raise _Fallback


def _fast_load(text: str, file: str | None) -> Prefecture | None:
    """A prefecture read through libyaml when the text is plain YAML that validates; None otherwise (the caller
    reads it the round-trip way, which locates every problem). The round-trip document is parsed later, on
    first use (a save, a located error): see :meth:`Prefecture.__getattr__`."""
    if _pyyaml is None:
        return None
    try:
        root = _pyyaml.compose(text, Loader=_Composer)
        if root is None:
            return None
        plain = _fast_node(root, set(), [0])
    except Exception:  # noqa: BLE001 - anything unusual goes the round-trip way, which names it with its line
        return None
    if not isinstance(plain, dict):
        return None
    try:
        return _validated(plain, file, None)
    except InputError:
        return None


def _validated(plain: dict[str, Any], file: str | None, doc: Any) -> Prefecture:
    """The plain data validated into a :class:`Prefecture` (fields, then cross-object checks); problems are
    located with ``doc`` when given."""
    context: dict[str, str] = {}
    try:
        context["pref_code"] = reference.resolve_prefecture(str(plain.get("prefecture", "")))[0]
    except (KeyError, ValueError):
        pass
    try:
        pref = Prefecture.model_validate(plain, context=context)
    except ValidationError as err:
        raise InputError(problems_from_validation(err, doc, file)) from None
    problems = [
        Problem(
            msg,
            file,
            locate(doc, loc) if doc is not None else None,
            _field_path(loc),
            value if not isinstance(value, dict | list) else None,
        )
        for loc, msg, value in cross_check(pref)
    ]
    if problems:
        problems.sort(key=lambda p: p.line or 0)
        raise InputError(problems)
    mark_checked(pref)  # the analyses' guard (wb.validate) need not check it again while it is unchanged
    return pref


def from_document(doc: Any, file: str | None) -> Prefecture:
    """Validate a round-trip document into a :class:`Prefecture` (fields, then cross-object checks)."""
    if doc is None:
        raise InputError.single("ファイルが空です（少なくとも prefecture: が必要です）", file=file, line=1)
    if not isinstance(doc, dict):
        raise InputError.single(
            "ファイルの最上位は「prefecture:」などの項目の集まりである必要があります", file=file, line=1
        )
    plain = _plain(doc, set(), [0], file)
    return _validated(plain, file, doc)


def load(path: str | os.PathLike[str]) -> Prefecture:
    """Load and validate a prefecture file.

    Raises :class:`~workbench.errors.InputError` naming the file, line, field, bad value and what is
    allowed. The returned object remembers its document (comments kept on save) and the file's digest
    (a save over a file changed on disk since is refused).

    Parameters
    ----------
    path : str or os.PathLike
        The prefecture file (YAML, UTF-8; CONTRACT.md).

    Returns
    -------
    Prefecture
        The validated prefecture (its fields: :class:`workbench.Prefecture`).

    Raises
    ------
    InputError
        Naming the file, the line, the field (with its Japanese name), the bad value and what is allowed.

    Examples
    --------
    >>> import workbench as wb
    >>> pref = wb.load(wb.sample_path("07"))  # your own file: wb.load("prefecture.yaml")
    >>> pref.code, pref.name
    ('07', '福島県')
    """
    p = Path(path)
    file = str(path)
    data = read_bytes(p)
    key = _cache_key(p, data)
    hit = _LOADED.get(key[0]) if key is not None else None
    if hit is not None and hit[0] == key:
        return _cached_copy(hit[1], p, file)
    text = decode(data, file)
    check_depth(text, file)
    pref = _fast_load(text, file)
    if pref is not None:
        _attach_text(pref, text, file, p, data)
    else:
        doc = parse_yaml(text, file)
        pref = from_document(doc, file)
        _attach(pref, doc, p, data)
    if key is None:
        return pref
    with _LOADED_LOCK:
        _LOADED[key[0]] = (key, pref)
        _LOADED.move_to_end(key[0])
        while len(_LOADED) > LOAD_CACHE_SIZE:
            _LOADED.popitem(last=False)
    return _cached_copy(pref, p, file)


#: how many parsed files :func:`load` keeps (most recently read first out last)
LOAD_CACHE_SIZE = 64
_LOADED: collections.OrderedDict[str, tuple[tuple[str, int, int, str], Prefecture]] = (
    collections.OrderedDict()
)
_LOADED_LOCK = threading.Lock()


def _cache_key(path: Path, data: bytes) -> tuple[str, int, int, str] | None:
    """(real path, size, modification time, SHA-256 of the bytes read): a file is parsed again when any of
    them changed. The digest decides even when the file changed between the stat and the read (or kept its
    size and time); None when the file cannot be stat'ed (then it is not kept)."""
    try:
        real = os.path.realpath(path)
        st = os.stat(real)
    except (OSError, ValueError):
        return None
    return real, len(data), st.st_mtime_ns, hashlib.sha256(data).hexdigest()


def _cached_copy(pref: Prefecture, path: Path, file: str) -> Prefecture:
    """A deep copy of a kept prefecture for one caller (what it changes changes no other's copy, nor the kept
    one), remembering the path it was asked for. A round-trip document already parsed is shared, as
    :func:`workbench.load_sample` shares it: nothing changes it in place (:func:`to_yaml` merges into a copy)."""
    doc = pref.__dict__.get("_wb_doc")
    out = copy.deepcopy(pref, {id(doc): doc} if doc is not None else {})
    object.__setattr__(out, "_wb_path", path)
    if "_wb_text" in out.__dict__:
        object.__setattr__(out, "_wb_file", file)
    return out


def clear_load_cache() -> None:
    """Forget every file :func:`load` kept (the next load of each parses it again)."""
    with _LOADED_LOCK:
        _LOADED.clear()


def loads(text: str, file: str = "<text>") -> Prefecture:
    """Validate a prefecture file given as text (no path remembered).

    Parameters
    ----------
    text : str
        The file's text.
    file : str
        The name to show in error messages.

    Returns
    -------
    Prefecture

    Examples
    --------
    >>> import workbench as wb
    >>> pref = wb.loads("prefecture: 栃木県\\nplatforms: []\\n")
    >>> pref.name, len(pref.platforms)
    ('栃木県', 0)
    """
    check_depth(text, file)
    pref = _fast_load(text, file)
    if pref is not None:
        _attach_text(pref, text, file, None, None)
        return pref
    doc = parse_yaml(text, file)
    pref = from_document(doc, file)
    _attach(pref, doc, None, None)
    object.__setattr__(pref, "_wb_file", file)
    return pref


def _attach(pref: Prefecture, doc: Any, path: Path | None, data: bytes | None) -> None:
    object.__setattr__(pref, "_wb_doc", doc)
    object.__setattr__(pref, "_wb_path", path)
    object.__setattr__(pref, "_wb_digest", hashlib.sha256(data).hexdigest() if data is not None else None)


def _attach_text(
    pref: Prefecture, text: str, file: str | None, path: Path | None, data: bytes | None
) -> None:
    """Like :func:`_attach`, with the text instead of its round-trip document: the document is parsed on first
    use (``pref._wb_doc``, by :meth:`Prefecture.__getattr__`)."""
    pref.__dict__.pop("_wb_doc", None)
    object.__setattr__(pref, "_wb_text", text)
    object.__setattr__(pref, "_wb_file", file)
    object.__setattr__(pref, "_wb_path", path)
    object.__setattr__(pref, "_wb_digest", hashlib.sha256(data).hexdigest() if data is not None else None)


def document_of(pref: Prefecture) -> Any:
    """The round-trip document of a prefecture read with :func:`_fast_load` (parsed now, kept for next time)."""
    text = pref.__dict__.get("_wb_text")
    if text is None:
        return None
    doc = parse_yaml(text, pref.__dict__.get("_wb_file"))
    object.__setattr__(pref, "_wb_doc", doc)
    return doc


_models.document_loader = document_of  # Prefecture._wb_doc, on first use


# --- writing --------------------------------------------------------------------------------------


def _same_code(old: Any, new: Any) -> bool:
    """Whether the user's old scalar reads as the new code (a Japanese label, full-width digits …)."""
    if not isinstance(old, str | int) or isinstance(old, bool) or not isinstance(new, str):
        return False
    if str(old) == new:
        return True
    key = fold(str(old))
    for enum in reference.table("enums.csv")["enum"].unique():
        try:
            if reference.enum_code(enum, key) == new:
                return True
        except ValueError:
            continue
    from .datamap import reads_as  # the data map's own vocabularies (fields, 個人情報の区分, 同意管理 …)

    return reads_as(key, new)


def merge(old: Any, new: Any) -> Any:
    """``new`` (plain data) written into the round-trip node ``old``, keeping comments, order and the
    user's spelling of values that did not change."""
    if isinstance(old, CommentedMap) and isinstance(new, dict):
        return _merge_map(old, new)
    if isinstance(old, CommentedSeq) and isinstance(new, list):
        return _merge_seq(old, new)
    return _merge_scalar(old, new)


def _merge_map(old: CommentedMap, new: dict) -> CommentedMap:
    for key in [k for k in old if k not in new]:
        del old[key]
    for key, value in new.items():
        if key not in old:
            old[key] = value
            continue
        before = old[key]
        old[key] = merge(before, value)
        if old[key] is not before and not isinstance(before, CommentedMap | CommentedSeq):
            drop_value_comment(old, key)
    return old


def _merge_seq(old: CommentedSeq, new: list) -> CommentedSeq:
    """Items with ids are matched by id (a reordered or shortened list keeps each item's comments), others by
    position."""
    with_ids = all(isinstance(x, dict) and "id" in x for x in [*new, *old])
    if new and with_ids:
        by_id = {x["id"]: x for x in old}
        items = [merge(by_id[x["id"]], x) if x["id"] in by_id else x for x in new]
    else:
        items = [merge(old[i], x) if i < len(old) else x for i, x in enumerate(new)]
    keep = {id(x) for x in items}
    for i in range(len(old) - 1, -1, -1):
        if id(old[i]) not in keep:
            del old[i]
    old[:] = items  # slice assignment keeps the sequence node (and its comments)
    return old


def _same_number(old: Any, new: Any) -> bool:
    """300000000 read back as a float field stays 300000000, not 300000000.0."""
    numbers = isinstance(old, int | float) and isinstance(new, int | float)
    return numbers and not isinstance(old, bool) and not isinstance(new, bool) and old == new


def _merge_scalar(old: Any, new: Any) -> Any:
    if _same_code(old, new) or _same_number(old, new):
        return old
    if isinstance(new, str) and new.isdigit() and len(new) in (2, 6):
        from ruamel.yaml.scalarstring import DoubleQuotedScalarString

        return DoubleQuotedScalarString(new)
    return new


def drop_value_comment(node: CommentedMap | CommentedSeq, key: Any) -> None:
    """Drop the end-of-line comment of ``node[key]`` after its value changed: a comment such as
    「調査時点では構築中」 beside ``status: building`` would contradict ``status: running``. Full-line comments
    that follow (ruamel keeps them in the same token) stay."""
    entry = node.ca.items.get(key)
    if not entry or len(entry) < 3 or entry[2] is None:
        return
    token = entry[2]
    _first, newline, rest = str(token.value).partition("\n")
    token.value = newline + rest if newline else "\n"


def _quote_codes(node: Any) -> Any:
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    if isinstance(node, dict):
        return {k: _quote_codes(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_quote_codes(v) for v in node]
    if isinstance(node, str) and node.isdigit() and len(node) in (2, 6):
        return DoubleQuotedScalarString(node)
    return node


def dump_data(pref: Prefecture) -> dict[str, Any]:
    """The plain data to write: what the user set or edited (defaults left out), JSON types."""
    return pref.model_dump(mode="json", exclude_unset=True, exclude_none=True)


def to_yaml(pref: Prefecture, sections: Iterable[str] | None = None) -> str:
    """The YAML text of a prefecture, merged into a copy of its loaded document when there is one (the
    document itself is never changed: copies of a prefecture share it, see :func:`workbench.load_sample`).

    With ``sections`` (top-level keys such as ``["data_map"]``) only those are written from the data; every other
    part of the loaded document stays exactly as the user wrote it (an import of the データマップ never rewrites
    the vision's or the plan's wording)."""
    if sections is not None:
        spliced = _splice_sections(pref, list(sections))
        if spliced is not None:
            return spliced
    data = _quote_codes(dump_data(pref))
    doc = getattr(pref, "_wb_doc", None)
    if isinstance(doc, CommentedMap) and sections is not None:
        doc = copy.deepcopy(doc)
        for key in sections:
            if key in data:
                doc[key] = merge(doc[key], data[key]) if key in doc else data[key]
            elif key in doc:
                del doc[key]
    elif isinstance(doc, CommentedMap):
        doc = merge(copy.deepcopy(doc), data)
    else:
        doc = data
    buf = io.StringIO()
    _yaml().dump(doc, buf)
    return buf.getvalue()


def checked_yaml(
    pref: Prefecture, target: str | os.PathLike[str], sections: Iterable[str] | None = None
) -> tuple[str, Prefecture]:
    """The YAML text a save of ``pref`` to ``target`` would write (with ``sections``, only those top-level
    sections rewritten: see :func:`to_yaml`), read back with every check of a load (size, nesting, characters,
    fields, cross-checks): what :func:`save` checks before it writes, and what an import's ``--dry-run`` checks,
    so that a dry run passes exactly what the real run would write."""
    text = to_yaml(pref, sections)
    check = loads(text, file=str(target))
    if sections is not None and dump_data(check) != dump_data(pref):  # a spliced text that reads otherwise
        text = to_yaml(pref)
        check = loads(text, file=str(target))
    return text, check


_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:(?:\s|$)")


def _top_blocks(lines: list[str]) -> dict[str, tuple[int, int]] | None:
    """The lines each top-level key of a block-style YAML text spans (its key line to the line before the next
    key; comment and blank lines just above a key go with that key). None when the text is not one plain
    block mapping (flow style, documents markers, a top-level sequence)."""
    keys: list[tuple[int, str]] = []
    for i, line in enumerate(lines):
        if not line.strip() or line.startswith("#") or line[0] in " \t":
            continue
        m = _TOP_KEY.match(line)
        if m:
            keys.append((i, m.group(1)))
        elif not line.startswith("- "):
            return None  # '---', '...', a flow mapping, a column-0 scalar: not ours to splice
    if not keys or len({k for _, k in keys}) != len(keys):
        return None
    out: dict[str, tuple[int, int]] = {}
    for n, (start, key) in enumerate(keys):
        end = keys[n + 1][0] if n + 1 < len(keys) else len(lines)
        while (
            n + 1 < len(keys)
            and end > start + 1
            and (not lines[end - 1].strip() or lines[end - 1].startswith("#"))
        ):
            end -= 1
        out[key] = (start, end)
    return out


class _BlockDumper(_pyyaml.SafeDumper if _pyyaml is not None else object):  # type: ignore[misc]
    """PyYAML's dumper in the file's style (sequences indented under their key, as :func:`_yaml` writes)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> Any:
        return super().increase_indent(flow, False)  # type: ignore[misc]


def _splice_sections(pref: Prefecture, sections: list[str]) -> str | None:
    """The text of a prefecture read the fast way with only ``sections`` rewritten in place: every other line of
    the file stays as it was. A section the file lacks, or has without a comment, is written by PyYAML (quick,
    nothing to keep: a re-import of a 500-row データマップ into the section its first import wrote); a section
    with comments is merged into its own round-trip block (its comments kept). None when the text cannot be
    spliced (:func:`checked_yaml` reads every spliced text back and falls back to a whole write)."""
    text = pref.__dict__.get("_wb_text")
    if text is None or _pyyaml is None:
        return None
    lines = text.splitlines(keepends=True)
    blocks = _top_blocks(lines)
    if blocks is None:
        return None
    data = _quote_codes(dump_data(pref))
    replaced: dict[int, tuple[int, str]] = {}  # start -> (end, new text)
    tail: list[str] = []
    for key in sections:
        where = blocks.get(key)
        if key not in data:
            if where is not None:
                replaced[where[0]] = (where[1], "")
            continue
        if where is None:
            tail.append(_block_text(key, data[key]))
            continue
        own = "".join(lines[where[0] : where[1]])
        if "#" not in own:  # nothing to keep but wording: written like a new section (the read-back decides)
            replaced[where[0]] = (where[1], _block_text(key, data[key]))
            continue
        merged = _merged_block(own, key, data[key])
        if merged is None:
            return None
        replaced[where[0]] = (where[1], merged)
    body = _replace_lines(lines, replaced)
    if tail:
        body = body + ("" if body.endswith("\n") or not body else "\n") + "".join(tail)
    return body


def _block_text(key: str, value: Any) -> str:
    """A top-level section written by PyYAML in the file's block style (quick: nothing to keep)."""
    return _pyyaml.dump(
        {key: _plain_for_dump(value)}, Dumper=_BlockDumper, allow_unicode=True, sort_keys=False, width=4096
    )


def _replace_lines(lines: list[str], replaced: dict[int, tuple[int, str]]) -> str:
    """The lines with the spans ``start -> (end, text)`` replaced."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        if i in replaced:
            end, new = replaced[i]
            out.append(new)
            i = end
        else:
            out.append(lines[i])
            i += 1
    return "".join(out)


def _merged_block(text: str, key: str, value: Any) -> str | None:
    """A top-level section's own text with new data merged in (its comments, order and wording kept)."""
    block = parse_yaml(text, None)
    if not isinstance(block, CommentedMap) or list(block) != [key]:
        return None
    block[key] = merge(block[key], value)
    buf = io.StringIO()
    _yaml().dump(block, buf)
    return buf.getvalue()


def _plain_for_dump(value: Any) -> Any:
    """Data for PyYAML: ruamel's quoted-string markers as plain strings (PyYAML quotes what needs quoting)."""
    if isinstance(value, dict):
        return {k: _plain_for_dump(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_for_dump(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


class StaleFileError(InputError):
    """The file changed on disk after it was loaded; saving would overwrite someone's work.

    Examples
    --------
    >>> import pathlib, shutil, tempfile
    >>> import workbench as wb
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "07.yaml"
    >>> _ = shutil.copy(wb.sample_path("07"), path)
    >>> pref = wb.load(path)
    >>> with open(path, "a", encoding="utf-8") as fh:  # someone else edits the file meanwhile
    ...     _ = fh.write("# 別の担当者の追記\\n")
    >>> try:
    ...     wb.save(pref)
    ... except wb.StaleFileError:
    ...     print("上書きしませんでした")
    上書きしませんでした
    """


def save(
    pref: Prefecture,
    path: str | os.PathLike[str] | None = None,
    *,
    force: bool = False,
    overwrite_readonly: bool | None = None,
    exclusive: bool = False,
    sections: Iterable[str] | None = None,
) -> Path:
    """Save a prefecture file atomically, keeping the user's comments and order (with ``sections``, only those
    top-level sections are rewritten: see :func:`to_yaml`).

    The data is validated again first (nothing is written when it is invalid). Saving over the file it was
    loaded from is refused with :class:`StaleFileError` when that file changed on disk since (unless
    ``force``); the check and the replacement happen under one lock shared by every process
    (:func:`file_lock`), so of two people saving the same version one lands and the other is refused. With
    ``exclusive`` the file must not exist (a new file another process created meanwhile is not overwritten).
    A symbolic link is saved through to its target; a read-only file is refused unless ``overwrite_readonly``;
    a full disk or a missing permission raises :class:`~workbench.errors.WriteError` with the file unchanged.
    The previous version is kept as ``FILE.bak``.

    Parameters
    ----------
    pref : Prefecture
        The prefecture to write (checked again first: nothing is written when it is invalid).
    path : str or os.PathLike, optional
        Where to write; default the file it was loaded from.
    force : bool
        Overwrite even when the file changed on disk since it was loaded.
    overwrite_readonly : bool, optional
        Overwrite a read-only file.
    exclusive : bool
        Refuse when the file exists.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    InputError
        Invalid data (the messages of :func:`workbench.validate`, located in the text to be written);
        :class:`StaleFileError` for a file changed on disk; :class:`~workbench.WriteError` when the machine
        refuses.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import workbench as wb
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "福島県.yaml"
    >>> saved = wb.save(wb.load_sample("07"), path)  # a copy of the sample, written atomically
    >>> wb.load(saved).name
    '福島県'
    """
    target = Path(path) if path is not None else source_path(pref)
    if target is None:
        raise InputError.single("保存先のファイルを指定してください")
    text, check = checked_yaml(pref, target, sections)  # never write what we could not read back
    data = text.encode("utf-8")
    loaded_from = source_path(pref)
    digest = getattr(pref, "_wb_digest", None)
    with file_lock(target) as real:
        if exclusive and real.exists():
            raise StaleFileError(
                [
                    Problem(
                        "作ろうとしている間に、ほかの人（または別の画面）が同じファイルを作りました。上書きせずに止めました",
                        str(target),
                    )
                ]
            )
        same = loaded_from is not None and real.resolve() == loaded_from.resolve()
        if not force and digest and same:
            try:
                now = hashlib.sha256(real.read_bytes()).hexdigest()
            except FileNotFoundError:
                now = digest
            if now != digest:
                raise StaleFileError(
                    [
                        Problem(
                            "読み込んだ後に別の人（または別の画面）がファイルを変更しています。上書きせずに止めました。"
                            "読み込み直してから編集してください",
                            str(target),
                        )
                    ]
                )
        atomic_write(real, data, overwrite_readonly=overwrite_readonly)
    if "_wb_doc" in check.__dict__:
        _attach(pref, check.__dict__["_wb_doc"], target, data)
    else:
        _attach_text(pref, text, str(target), target, data)
    return target
