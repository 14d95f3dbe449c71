"""Reading and writing prefecture files: YAML round trip that keeps comments and order, located errors,
atomic saves that refuse to overwrite a file changed on disk since it was loaded."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import ScalarNode

from .. import reference
from ..errors import InputError, Problem
from ..files import field_path as _field_path
from ..files import locate, read_bytes, source_path
from ..text import fold
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
        out.append(Problem(msg, file, locate(doc, loc), _field_path(loc), value, allowed))
    out.sort(key=lambda p: p.line or 0)
    return out


# --- reading --------------------------------------------------------------------------------------


def _plain(node: Any, seen: set[int], count: list[int], file: str | None) -> Any:
    """Plain Python copy of a round-trip node; refuses repeated collections (YAML alias bombs)."""
    count[0] += 1
    if count[0] > MAX_NODES:
        raise InputError.single(f"ファイルの要素が多すぎます（{MAX_NODES:,} を超えています）", file=file)
    if isinstance(node, dict | list):
        if id(node) in seen:
            line = getattr(getattr(node, "lc", None), "line", None)
            raise InputError.single(
                "YAMLのアンカー／エイリアス（& と *）による集まりの再利用は使えません（展開爆弾の防止）",
                file=file,
                line=(line + 1) if line is not None else None,
            )
        seen.add(id(node))
        if isinstance(node, dict):
            return {
                str(k) if not isinstance(k, int | bool) else k: _plain(v, seen, count, file)
                for k, v in node.items()
            }
        return [_plain(v, seen, count, file) for v in node]
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, datetime):
        return node.isoformat()
    if isinstance(node, date):
        return node.isoformat()
    if node is None:
        return None
    return str(node)


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
        line = data[: err.start].count(b"\n") + 1
        hint = ""
        with contextlib.suppress(UnicodeDecodeError):
            data.decode("cp932")
            hint = "（Shift_JIS/CP932 で保存されているようです。UTF-8 で保存し直してください）"
        raise InputError.single("UTF-8 として読めない文字があります" + hint, file=file, line=line) from None


def check_depth(text: str, file: str | None) -> None:
    """Refuse text nested deeper than :data:`MAX_DEPTH` before the (recursive, and for deep flow collections
    slow) YAML parser sees it; the error names the line. A linear estimate: block indentation levels plus
    compact ``- `` markers plus open flow brackets outside quotes and comments."""
    stack: list[int] = []
    flow = 0
    for lineno, line in enumerate(text.splitlines(), 1):
        body = line.lstrip(" ")
        if not body or body.startswith("#"):
            continue
        indent = len(line) - len(body)
        if flow == 0:
            while stack and stack[-1] >= indent:
                stack.pop()
            stack.append(indent)
        dashes = 0
        while body[dashes * 2 : dashes * 2 + 2] in ("- ", "? "):
            dashes += 1
        quote = ""
        deepest = flow
        for i, ch in enumerate(body):
            if quote:
                if ch == quote:
                    quote = ""
            elif ch in "'\"" and (i == 0 or body[i - 1] in " [{,:"):
                quote = ch
            elif ch == "#" and (i == 0 or body[i - 1] == " "):
                break
            elif ch in "[{":
                flow += 1
                deepest = max(deepest, flow)
            elif ch in "]}":
                flow = max(flow - 1, 0)
        if len(stack) + dashes + deepest > MAX_DEPTH:
            raise InputError.single(
                f"YAMLの入れ子が深すぎます（{MAX_DEPTH} 段を超えています）", file=file, line=lineno
            )


def parse_yaml(text: str, file: str | None) -> Any:
    """The round-trip document of a YAML text; syntax errors become located InputErrors."""
    check_depth(text, file)
    try:
        doc = _yaml().load(io.StringIO(text))
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        what = (err.problem or err.context or "").strip()
        raise InputError.single(f"YAMLの書式が正しくありません: {what}", file=file, line=line) from None
    except YAMLError as err:
        raise InputError.single(f"YAMLの書式が正しくありません: {err}", file=file) from None
    except RecursionError:
        raise InputError.single("YAMLの入れ子が深すぎます", file=file, line=1) from None
    return doc


def from_document(doc: Any, file: str | None) -> Prefecture:
    """Validate a round-trip document into a :class:`Prefecture` (fields, then cross-object checks)."""
    if doc is None:
        raise InputError.single("ファイルが空です（少なくとも prefecture: が必要です）", file=file, line=1)
    if not isinstance(doc, dict):
        raise InputError.single(
            "ファイルの最上位は「prefecture:」などの項目の集まりである必要があります", file=file, line=1
        )
    plain = _plain(doc, set(), [0], file)
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
            locate(doc, loc),
            _field_path(loc),
            value if not isinstance(value, dict | list) else None,
        )
        for loc, msg, value in cross_check(pref)
    ]
    if problems:
        problems.sort(key=lambda p: p.line or 0)
        raise InputError(problems)
    return pref


def load(path: str | os.PathLike[str]) -> Prefecture:
    """Load and validate a prefecture file.

    Raises :class:`~workbench.errors.InputError` naming the file, line, field, bad value and what is
    allowed. The returned object remembers its document (comments kept on save) and the file's digest
    (a save over a file changed on disk since is refused).

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
    doc = parse_yaml(decode(data, file), file)
    pref = from_document(doc, file)
    _attach(pref, doc, p, data)
    return pref


def loads(text: str, file: str = "<text>") -> Prefecture:
    """Validate a prefecture file given as text (no path remembered).

    Examples
    --------
    >>> import workbench as wb
    >>> pref = wb.loads("prefecture: 栃木県\\nplatforms: []\\n")
    >>> pref.name, len(pref.platforms)
    ('栃木県', 0)
    """
    doc = parse_yaml(text, file)
    pref = from_document(doc, file)
    _attach(pref, doc, None, None)
    object.__setattr__(pref, "_wb_file", file)
    return pref


def _attach(pref: Prefecture, doc: Any, path: Path | None, data: bytes | None) -> None:
    object.__setattr__(pref, "_wb_doc", doc)
    object.__setattr__(pref, "_wb_path", path)
    object.__setattr__(pref, "_wb_digest", hashlib.sha256(data).hexdigest() if data is not None else None)


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


def to_yaml(pref: Prefecture) -> str:
    """The YAML text of a prefecture, merged into its loaded document when there is one."""
    data = _quote_codes(dump_data(pref))
    doc = getattr(pref, "_wb_doc", None)
    if isinstance(doc, CommentedMap):
        doc = merge(doc, data)
    else:
        doc = data
    buf = io.StringIO()
    _yaml().dump(doc, buf)
    return buf.getvalue()


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


def _file_mode(path: Path) -> int:
    """Permission bits for a rewritten file: its current ones, or 0666 less the umask for a new one."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write(path: Path, data: bytes, *, backup: bool = True) -> None:
    """Write ``data`` to ``path`` atomically: temporary file in the same folder, fsync, rename.

    With ``backup`` the previous version is kept as ``path.bak`` (also by rename, so it is always whole).
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    mode = _file_mode(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        os.fchmod(fd, mode)  # mkstemp creates 0600: keep the file's own mode, or the usual one for a new file
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if backup and path.exists():
            bak = path.with_name(path.name + ".bak")
            fd2, tmp2 = tempfile.mkstemp(prefix=f".{bak.name}.", suffix=".tmp", dir=folder)
            os.fchmod(fd2, mode)
            with os.fdopen(fd2, "wb") as fh:
                fh.write(path.read_bytes())
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp2, bak)
        os.replace(tmp, path)
        with contextlib.suppress(OSError):
            dfd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def save(pref: Prefecture, path: str | os.PathLike[str] | None = None, *, force: bool = False) -> Path:
    """Save a prefecture file atomically, keeping the user's comments and order.

    The data is validated again first (nothing is written when it is invalid). Saving over the file it was
    loaded from is refused with :class:`StaleFileError` when that file changed on disk since (unless
    ``force``). The previous version is kept as ``FILE.bak``.

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
    text = to_yaml(pref)
    check = loads(text, file=str(target))  # never write what we could not read back
    data = text.encode("utf-8")
    loaded_from = source_path(pref)
    digest = getattr(pref, "_wb_digest", None)
    if not force and loaded_from is not None and digest and target.resolve() == loaded_from.resolve():
        try:
            now = hashlib.sha256(target.read_bytes()).hexdigest()
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
    atomic_write(target, data)
    _attach(pref, getattr(check, "_wb_doc", None), target, data)
    return target
