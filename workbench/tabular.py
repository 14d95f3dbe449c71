"""Messy tabular input and safe tabular output (CSV, and the cells of every xlsx the workbench writes).

Reading: prefecture staff send CSV files saved by Excel in CP932 (Shift_JIS) as often as in UTF-8, with or
without a byte-order mark, with full-width digits and spaces, and sometimes already damaged by a program that
read CP932 as UTF-8 (U+FFFD replacement characters). :func:`read_text` decodes what can be decoded and names
the line of what cannot; :func:`read_municipality_list` turns a column of names or codes into codes.

Writing: a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) is run as a formula
by spreadsheet programs (CSV injection, OWASP). :func:`safe_cell` prefixes such text with a single quote;
:func:`unsafe_cell` undoes it on import so a round trip is lossless (both in :mod:`workbench.files`). Pure
functions except the two file helpers, which write atomically.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from . import reference
from .errors import InputError, Problem
from .files import atomic_write, read_bytes, safe_cell
from .files import unsafe_cell as unsafe_cell  # re-exported: the hearing sheets read with it
from .text import mixed_encoding_line, nfkc

MAX_BYTES = 5 * 1024 * 1024  # a list of every municipality in Japan is ~60 KB

# --- output ---------------------------------------------------------------------------------------


def csv_bytes(rows: Iterable[Sequence[Any]], *, bom: bool = True) -> bytes:
    """CSV bytes (UTF-8, with a BOM so Excel reads it as UTF-8) with every cell passed through safe_cell."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else safe_cell(v) for v in row])
    return (("\ufeff" if bom else "") + buf.getvalue()).encode("utf-8")


def write_csv(path: str | os.PathLike[str], rows: Iterable[Sequence[Any]], *, bom: bool = True) -> Path:
    """Write rows as CSV atomically (temporary file, fsync, rename; the previous file kept as ``.bak``)."""

    target = Path(path)
    atomic_write(target, csv_bytes(rows, bom=bom))
    return target


# --- input ----------------------------------------------------------------------------------------


def decode_text(data: bytes, file: str | None = None) -> tuple[str, str]:
    """(text, encoding) of CSV bytes: UTF-8 with or without BOM, else CP932 (Shift_JIS).

    Raises :class:`InputError` naming the line when the bytes are neither, when they are binary, and when
    the text holds U+FFFD replacement characters (a CP932 file that another program read as UTF-8 and
    saved again: the original characters are lost and must be typed again).
    """
    if len(data) > MAX_BYTES:
        raise InputError.single(
            f"ファイルが大きすぎます（{len(data):,} バイト、上限 {MAX_BYTES:,} バイト）", file=file
        )
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise InputError.single(
            "テキストファイルではありません（NUL バイトを含みます）", file=file, line=line
        )
    text = encoding = None
    try:
        text, encoding = (
            data.decode("utf-8-sig"),
            ("utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"),
        )
    except UnicodeDecodeError as err:
        where = mixed_encoding_line(data)
        line, kind = where if where else (data[: err.start].count(b"\n") + 1, "unknown")
        if kind == "mixed":
            raise InputError.single(
                "この行だけ文字コードがほかの行と違います（UTF-8 と Shift_JIS/CP932 が混在しています）。"
                "この行を入力し直すか、Excel で「CSV UTF-8」として保存し直してください",
                file=file,
                line=line,
            ) from None
        try:
            text, encoding = data.decode("cp932"), "cp932"
        except UnicodeDecodeError:
            raise InputError.single(
                "文字コードが分かりません（UTF-8 でも Shift_JIS/CP932 でも読めません）。"
                "Excel で「CSV UTF-8」として保存し直してください",
                file=file,
                line=line,
            ) from None
    assert text is not None and encoding is not None
    bad = [i for i, ln in enumerate(text.splitlines(), 1) if "\ufffd" in ln]
    if bad:
        raise InputError(
            [
                Problem(
                    "文字化けしています（U+FFFD の置換文字があります）。Shift_JIS のファイルを UTF-8 として"
                    "読み込んで保存し直したときに起きます。元のファイルから出し直してください",
                    file,
                    i,
                    value=text.splitlines()[i - 1].strip()[:40],
                )
                for i in bad[:20]
            ]
        )
    return text, encoding


def read_text(path: str | os.PathLike[str]) -> tuple[str, str]:
    """(text, encoding) of a text file, see :func:`decode_text`; missing or unreadable files are located."""
    return decode_text(read_bytes(path), str(path))


def unclosed_quote_line(text: str) -> int | None:
    """The line where a quoted CSV field opens that is never closed (None when every quote closes).

    Python's CSV reader (and Excel) read such a field to the end of the file: every following row becomes
    part of one cell, silently. The scan follows the CSV rules: a field is quoted when it starts with ``"``,
    ``""`` inside it is a quote, and a quote elsewhere is an ordinary character.

    >>> unclosed_quote_line('名前,分野\\n"会津,観光\\n郡山,防災\\n')
    2
    >>> unclosed_quote_line('名前,メモ\\n会津,"1行目\\n2行目"\\n') is None
    True
    """
    pos = 0
    while True:
        opening = _QUOTE_OPENS.search(text, pos)
        if opening is None:
            return None
        closing = _QUOTED_REST.match(text, opening.end())
        if closing is None:
            return text.count("\n", 0, opening.start()) + 1
        pos = closing.end()


#: a quote that starts a field (at the start of the text or after a comma or line break) and the rest of the
#: quoted field up to its closing quote ("" inside it is a quote)
_QUOTE_OPENS = re.compile(r'(?:^|(?<=[,\r\n]))"')
_QUOTED_REST = re.compile(r'[^"]*(?:""[^"]*)*"')


def csv_rows(text: str, file: str | None = None) -> list[tuple[int, list[str]]]:
    """Every row of a CSV text as (1-based line where the row starts, cells as written).

    Raises :class:`InputError` naming the line for a quote that is never closed (it would swallow every
    following row into one cell) and for what the CSV reader refuses."""
    opened = unclosed_quote_line(text)
    if opened is not None:
        raise InputError.single(
            f'引用符（"）が閉じられていません（{opened} 行目で始まった「"」が、ファイルの最後まで閉じていません）。'
            "このままでは次の行からファイルの最後までが1つのセルになります。引用符を閉じるか、取り除いてください",
            file=file,
            line=opened,
        )
    out: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text))
    start = 1
    try:
        for row in reader:
            out.append((start, row))
            start = reader.line_num + 1
    except csv.Error as err:
        raise InputError.single(
            f"CSV の書式が正しくありません（{err}）", file=file, line=reader.line_num
        ) from None
    return out


def read_rows(path: str | os.PathLike[str]) -> list[tuple[int, list[str]]]:
    """The rows of a CSV file as (1-based line number, NFKC-normalised cells), blank rows left out."""
    text, _ = read_text(path)
    out: list[tuple[int, list[str]]] = []
    for line, row in csv_rows(text, str(path)):
        cells = [nfkc(c) for c in row]
        if any(cells):
            out.append((line, cells))
    return out


_HEADER_WORDS = ("コード", "code", "市区町村", "団体", "名称", "name", "自治体")


def municipality_code(pref_code: str, value: str, *, allow_outside: bool = False) -> str:
    """The 6-digit code of a municipality of ``pref_code`` given as a name (variants and 郡 prefix
    tolerated) or a 5/6-digit code (full-width allowed, check digit verified). Raises ``ValueError``.

    With ``allow_outside`` a municipality of another prefecture is accepted too, by code or by its name with
    the prefecture in front (「北海道江別市」; platform members outside the prefecture, guide 1.2 (3))."""
    s = nfkc(value)
    if allow_outside:
        from .inventory.base import muni_code

        return muni_code(s, pref_code)
    if s.replace("-", "").isdigit():
        code = reference.normalize_municipality_code(s)
        if code[:2] != pref_code:
            name = reference.resolve_prefecture(pref_code)[1]
            raise ValueError(f"{reference.municipality_name(code)}（{code}）は{name}の市区町村ではありません")
        return code
    try:
        return reference.find_municipality(pref_code, s)
    except KeyError:
        name = reference.resolve_prefecture(pref_code)[1]
        raise ValueError(f"{name}の市区町村に「{s}」はありません") from None


def read_municipality_list(path: str | os.PathLike[str], pref_code: str) -> list[str]:
    """Municipality codes from a messy CSV list of names or codes (one municipality a row, first non-empty
    cell; a header row is skipped), in file order without duplicates.

    Accepts UTF-8 (with or without BOM) and CP932, full-width digits and spaces, ヶ/ケ and 檮/梼 variants,
    a leading 郡 name, and 5- or 6-digit codes. Every row that names no municipality of the prefecture is a
    located problem; all are reported together.
    """
    pref_code = reference.resolve_prefecture(pref_code)[0]
    file = str(path)
    rows = read_rows(path)
    codes: list[str] = []
    problems: list[Problem] = []
    for n, (line, cells) in enumerate(rows):
        col = next(i for i, c in enumerate(cells) if c)
        value = cells[col]
        # a row with both a code and a name: prefer the code column
        for i, c in enumerate(cells):
            if c.replace("-", "").isdigit() and len(c.replace("-", "")) in (5, 6):
                col, value = i, c
                break
        try:
            code = municipality_code(pref_code, value)
        except ValueError as err:
            if n == 0 and any(w in value.casefold() for w in _HEADER_WORDS):
                continue  # header row
            problems.append(Problem(str(err), file, line, f"{col + 1}列目", value))
            continue
        if code not in codes:
            codes.append(code)
    if problems:
        raise InputError(problems)
    if not codes:
        raise InputError.single("市区町村が1件もありません", file=file, line=1)
    return codes
