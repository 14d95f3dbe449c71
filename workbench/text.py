"""Text normalisation for messy real-world input (全角/半角, ヶ/ケ, 旧字, spaces).

Used wherever a user's label is compared with a reference label: enumerated values, municipality and
prefecture names. Pure functions, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# characters that municipal code lists write in more than one way (census spelling first)
_VARIANTS = str.maketrans(
    {
        "ヶ": "ケ",
        "ヵ": "カ",
        "梼": "檮",
        "﨑": "崎",
        "髙": "高",
        "舘": "館",
        "（": "(",
        "）": ")",
        "〜": "~",
        "～": "~",
        "・": "・",
    }
)


def nfkc(text: str) -> str:
    """NFKC-normalise and strip: full-width digits, letters and spaces become half-width."""
    return unicodedata.normalize("NFKC", str(text)).strip()


def fold(text: str) -> str:
    """A comparison key: NFKC, variant kana/kanji folded, inner spaces removed, case folded.

    Two labels that a person would read as the same give the same key (``"ケ"`` and ``"ヶ"``, ``"檮原町"``
    and ``"梼原町"``, ``"自治体 のみ "`` and ``"自治体のみ"``).
    """
    s = nfkc(text).translate(_VARIANTS)
    s = "".join(s.split())
    return s.casefold()


# --- characters no input may carry -------------------------------------------------------------------------

#: noncharacters of the supplementary planes (U+1FFFE, U+1FFFF … U+10FFFF)
_PLANE_ENDS = "".join(chr(plane << 16 | low) for plane in range(1, 17) for low in (0xFFFE, 0xFFFF))
#: characters refused in every text of every input: C0 controls except tab and line breaks, DEL and the C1
#: controls (invisible in every view), lone surrogates (no UTF-8 can hold them), U+FFFE/U+FFFF and the other
#: noncharacters (XML 1.0 cannot hold U+FFFE/U+FFFF nor the C0 controls: every Office file is XML, and
#: openpyxl, python-pptx and python-docx fail on them with an English ValueError)
REFUSED_CHARS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff" + _PLANE_ENDS + "]"
)
#: the longest text value accepted: an Excel cell holds 32,767 characters, and a formula-looking value gets one
#: more (a leading quote) when written to a sheet
MAX_TEXT = 32_000


def char_name(ch: str) -> str:
    """What kind of refused character ``ch`` is, as staff read it.

    >>> char_name("\\x01"), char_name("\\ud800"), char_name("\\uffff")
    ('制御文字（U+0001）', '対になっていないサロゲート（U+D800）', '文字として使えない符号（U+FFFF）')
    """
    cp = ord(ch)
    if cp < 0xA0:
        kind = "制御文字"
    elif 0xD800 <= cp <= 0xDFFF:
        kind = "対になっていないサロゲート"
    else:
        kind = "文字として使えない符号"
    return f"{kind}（U+{cp:04X}）"


def text_problem(text: str) -> str | None:
    """Why a text value is refused, in Japanese (a character of :data:`REFUSED_CHARS`, with its position, or
    more than :data:`MAX_TEXT` characters); None when it is fine.

    >>> text_problem("那須塩原市\\uffffデータ連携基盤")
    '文字として使えない符号（U+FFFF）が含まれています（6 文字目）。削除してください'
    >>> text_problem("福島県") is None
    True
    """
    found = REFUSED_CHARS.search(text)
    if found:
        return f"{char_name(found.group())}が含まれています（{found.start() + 1:,} 文字目）。削除してください"
    if len(text) > MAX_TEXT:
        return f"文字が長すぎます（{len(text):,} 文字、上限 {MAX_TEXT:,} 文字）"
    return None


def office_text(text: str) -> str:
    """``text`` with every refused character (:data:`REFUSED_CHARS`) replaced by U+FFFD, the replacement
    character: what the Office and HTML writers write, so that no text makes them fail (inputs refuse those
    characters already; this is the writers' own safety).

    >>> office_text("A\\uffffB\\x01C") == "A\\ufffdB\\ufffdC"
    True
    """
    return REFUSED_CHARS.sub("\ufffd", text) if REFUSED_CHARS.search(text) else text


def office_safe(obj: Any) -> Any:
    """``obj`` with :func:`office_text` applied to every text inside it: strings, lists, tuples, dicts (keys
    too), pydantic models (a copy through ``model_copy``, which keeps a loaded prefecture's document and
    path), dataclasses and pandas frames. Returns ``obj`` itself when nothing needed replacing (no copy: the
    common case costs one walk). The one sanitising step every Office and HTML writer takes at its door.
    """
    if isinstance(obj, str):
        return office_text(obj)
    if obj is None or isinstance(obj, bool | int | float | bytes):
        return obj
    if isinstance(obj, list | tuple):
        new = [office_safe(x) for x in obj]
        if all(a is b for a, b in zip(new, obj, strict=True)):
            return obj
        return type(obj)(new) if isinstance(obj, list) or type(obj) is tuple else type(obj)(*new)
    if isinstance(obj, dict):
        items = [(office_safe(k), office_safe(v)) for k, v in obj.items()]
        if all(k is k0 and v is v0 for (k, v), (k0, v0) in zip(items, obj.items(), strict=True)):
            return obj
        out = obj.copy()
        out.clear()
        out.update(items)
        return out
    return _office_safe_object(obj)


def _office_safe_object(obj: Any) -> Any:
    import dataclasses

    if getattr(type(obj), "model_fields", None) is not None and hasattr(obj, "model_copy"):  # pydantic
        update = _changed(obj, type(obj).model_fields)
        return obj.model_copy(update=update) if update else obj
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        changed = _changed(obj, [f.name for f in dataclasses.fields(obj)])
        if not changed:
            return obj
        import copy

        out = copy.copy(obj)
        for name, value in changed.items():
            object.__setattr__(out, name, value)  # frozen dataclasses too
        return out
    if type(obj).__name__ == "DataFrame" and hasattr(obj, "select_dtypes"):
        return _office_safe_frame(obj)
    return obj


def _changed(obj: Any, names: Any) -> dict[str, Any]:
    """The attributes of ``obj`` that :func:`office_safe` changes, with their new values."""
    out = {}
    for name in names:
        old = getattr(obj, name, None)
        new = office_safe(old)
        if new is not old:
            out[name] = new
    return out


def _office_safe_frame(df: Any) -> Any:
    def bad(v: Any) -> bool:
        return isinstance(v, str) and bool(REFUSED_CHARS.search(v))

    texts = [c for c in df.select_dtypes(include=["object", "string"]).columns if df[c].map(bad).any()]
    names = [office_safe(c) for c in df.columns]
    if not texts and all(a is b for a, b in zip(names, df.columns, strict=True)):
        return df
    out = df.copy()
    for c in texts:
        out[c] = out[c].map(lambda v: office_text(v) if isinstance(v, str) else v)
    out.columns = names
    return out


def mixed_encoding_line(data: bytes) -> tuple[int, str] | None:
    """Where a byte string that is not all UTF-8 goes wrong: ``(line, kind)``, 1-based.

    ``kind`` is ``"cp932"`` when every line with non-ASCII bytes that is not UTF-8 reads as CP932 (Shift_JIS)
    and no line is UTF-8: the whole file is in CP932, and the line is the first one with Japanese text.
    ``kind`` is ``"mixed"`` when some lines are UTF-8 and others are not: the line is the first line of the
    smaller group (the one that differs from the rest of the file). ``kind`` is ``"unknown"`` for a line that
    is neither UTF-8 nor CP932. None when the bytes are UTF-8.

    >>> mixed_encoding_line("a\\nい\\n".encode() + "う\\n".encode("cp932"))
    (3, 'mixed')
    >>> mixed_encoding_line("a\\nい\\n".encode("cp932"))
    (2, 'cp932')
    """
    utf8: list[int] = []
    other: list[int] = []
    for n, line in enumerate(data.split(b"\n"), 1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8-sig" if n == 1 else "utf-8")
        except UnicodeDecodeError:
            try:
                line.decode("cp932")
            except UnicodeDecodeError:
                return n, "unknown"
            other.append(n)
        else:
            utf8.append(n)
    if not other:
        return None
    if not utf8:
        return other[0], "cp932"
    minority = other if len(other) <= len(utf8) else utf8
    return minority[0], "mixed"


def plain(text: object) -> str:
    """``text`` as plain text for a plotly label, hover text or title.

    plotly renders a subset of HTML in every text it draws (``<a href>`` becomes a live link, ``<b>``,
    ``<span style>``…); the user's names are escaped (``& < >`` as entities, which plotly shows as the
    characters), so a name like ``<a href="https://…">ログインはこちら</a>`` is shown as typed, never as a link.

    >>> plain('<a href="https://example.org">ログイン</a> & co')
    '&lt;a href="https://example.org"&gt;ログイン&lt;/a&gt; &amp; co'
    """
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_MD_INLINE = str.maketrans({c: "\\" + c for c in "\\`*_[]|~"})
#: what GFM and most renderers turn into a link by themselves (extended autolinks: a scheme and ``//``,
#: ``www.``, ``mailto:``, an e-mail address): shown as code instead, where no renderer makes a link
_AUTOLINK = re.compile(
    r"(?:[A-Za-z][A-Za-z0-9+.\-]*://|www\.|mailto:)[^\s<>|`]*"
    r"|[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"
)


#: an ampersand that could start a character reference (``&amp;``, ``&#38;``): only these need escaping, so a
#: reader of the Markdown file sees 「Littlechild & Owen」 as written
_MD_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")


def _md_escape(s: str) -> str:
    return _MD_ENTITY.sub("&amp;", s).replace("<", "&lt;").replace(">", "&gt;").translate(_MD_INLINE)


def markdown_plain(text: object) -> str:
    """``text`` as plain text inside Markdown (a heading, a list item, a table cell): HTML is escaped
    (``<script>`` stays text), Markdown's inline marks are backslash-escaped (no link, emphasis or code from
    a name), a bare address (``https://…``, ``www.…``, an e-mail address) is set as code, which no renderer
    turns into a link (GFM links bare addresses by itself), a leading ``#``, ``>``, ``-``, ``+`` or ``1.``
    cannot start a heading, quote or list, and line breaks become spaces.

    >>> markdown_plain("<script>alert(1)</script> [ログイン](https://example.org) *強調*")
    '&lt;script&gt;alert(1)&lt;/script&gt; \\\\[ログイン\\\\](`https://example.org)` \\\\*強調\\\\*'
    >>> markdown_plain("ログインはhttps://evil.example/login か www.evil.example へ")
    'ログインは`https://evil.example/login` か `www.evil.example` へ'
    >>> markdown_plain("# 見出しではない")
    '\\\\# 見出しではない'
    """
    s = " ".join(str(text).split("\n"))
    parts, pos = [], 0
    for m in _AUTOLINK.finditer(s):
        parts += [_md_escape(s[pos : m.start()]), f"`{m.group()}`"]
        pos = m.end()
    s = "".join([*parts, _md_escape(s[pos:])])
    stripped = s.lstrip()
    if stripped[:1] in ("#", "-", "+", "=") or (stripped[:1].isdigit() and "." in stripped[:12]):
        lead = len(s) - len(stripped)
        digits = len(stripped) - len(stripped.lstrip("0123456789"))
        if stripped[:1].isdigit():
            if stripped[digits : digits + 1] in (".", ")"):
                s = s[: lead + digits] + "\\" + s[lead + digits :]
        else:
            s = s[:lead] + "\\" + s[lead:]
    return s


#: money units shown to staff (DEVELOPERS.md: 千円/万円/億円 with separators)
YEN_UNITS = {"円": 1.0, "千円": 1e3, "万円": 1e4, "億円": 1e8}


def money_ja(yen: float, unit: str = "auto") -> str:
    """Yen as staff read it, the one money formatter of the workbench.

    ``unit="auto"``: 億円 from 1億 (two decimals), else 万円 (separators), else 円 — ``3.25億円``,
    ``1,234万円``, ``8,000円``. A fixed unit for a table column: 円, 千円, 万円 (whole numbers) or 億円 (two
    decimals). Negative amounts keep their sign (−).

    >>> money_ja(325_000_000), money_ja(12_340_000), money_ja(8000)
    ('3.25億円', '1,234万円', '8,000円')
    >>> money_ja(15_051_382, "円"), money_ja(15_051_382, "千円"), money_ja(-5000, "千円")
    ('15,051,382円', '15,051千円', '−5千円')
    """
    a = abs(float(yen))
    if unit == "auto":
        unit = "億円" if a >= 1e8 else "万円" if a >= 1e4 else "円"
    value = a / YEN_UNITS[unit]
    sign = "−" if yen < 0 else ""
    return f"{sign}{value:,.2f}{unit}" if unit == "億円" else f"{sign}{value:,.0f}{unit}"


# --- dates as Japanese offices write them ------------------------------------------------------------------

#: era start dates (the first day of each era) and names; years before 平成 are written in 西暦 only
_ERAS = ((2019, 5, 1, "令和"), (1989, 1, 8, "平成"))


def era_year(year: int, month: int = 12, day: int = 31) -> str:
    """The Japanese era year of a date: ``令和8年`` (``令和元年`` for the first year); 西暦 before 平成."""
    for y, m, d, name in _ERAS:
        if (year, month, day) >= (y, m, d):
            n = year - y + 1
            return f"{name}{'元' if n == 1 else n}年"
    return f"{year}年"


def date_ja(d, *, western: bool = True, time: bool = False) -> str:
    """A date as offices write it: ``令和8年（2026年）4月1日``; ``western=False`` leaves out the 西暦 year and
    ``time=True`` adds the time of a datetime (``令和8年（2026年）11月30日 10時05分``)."""
    era = era_year(d.year, d.month, d.day)
    year = f"{era}（{d.year}年）" if western and era != f"{d.year}年" else era
    out = f"{year}{d.month}月{d.day}日"
    if time and hasattr(d, "hour"):
        out += f" {d.hour}時{d.minute:02d}分{d.second:02d}秒"
    return out


def fiscal_year(d) -> int:
    """The 年度 (April–March) a date falls in: 2027-03-31 is in 2026年度."""
    return d.year if d.month >= 4 else d.year - 1


def fiscal_year_ja(year: int, *, western: bool = True) -> str:
    """A 年度 as municipal budgets write it: ``令和8年度（2026年度）``. A 年度 takes the era in force at its end
    (2019年度 is 令和元年度, as the government wrote it after the change of era)."""
    for y, _m, _d, name in _ERAS:
        if year >= y:
            n = year - y + 1
            era = f"{name}{'元' if n == 1 else n}年度"
            return f"{era}（{year}年度）" if western else era
    return f"{year}年度"


def yes_no(flag) -> str:
    """○ for yes, — for no, 不明 for unknown (None), as tables in Japanese offices mark them."""
    if flag is None:
        return "不明"
    return "○" if flag else "—"


# --- synthetic prefecture files --------------------------------------------------------------------------

#: what a title of a synthetic prefecture's card, chart, slide or workbook ends with
SYNTHETIC_MARK = "（合成データ）"
#: the sentence said once near the top of a synthetic prefecture's card or document
SYNTHETIC_NOTE = "合成データです: サンプルのない県のために作った実在しない基盤で、数値は説明のための試算です"


def is_synthetic(pref: object) -> bool:
    """Whether ``pref`` (a Prefecture, or anything with a ``synthetic`` attribute) is a synthetic file."""
    return bool(getattr(pref, "synthetic", False))


def synthetic_mark(pref: object) -> str:
    """「（合成データ）」 for a synthetic prefecture, "" otherwise: appended to every title staff read (cards,
    chart titles, slides, workbooks), so a synthetic figure is never mistaken for a surveyed one."""
    return SYNTHETIC_MARK if is_synthetic(pref) else ""


def synthetic_note(pref: object) -> str | None:
    """:data:`SYNTHETIC_NOTE` for a synthetic prefecture, None otherwise (for a workbook's first sheet, a
    document's first paragraph)."""
    return SYNTHETIC_NOTE if is_synthetic(pref) else None


def with_synthetic_mark(title: str, pref: object) -> str:
    """``title`` with :data:`SYNTHETIC_MARK` appended for a synthetic prefecture (never twice)."""
    mark = synthetic_mark(pref)
    return title if not mark or title.endswith(mark) else f"{title}{mark}"


# --- dates typed by staff ----------------------------------------------------------------------------------

_ERA_START = {"令和": 2019, "平成": 1989, "R": 2019, "H": 1989}
_DATE_WESTERN = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:[-/.月]\s*(\d{1,2})\s*日?)?\s*月?$")
_DATE_ERA = re.compile(
    r"^(令和|平成|R|H)\s*(\d{1,2}|元)\s*[年.]\s*(\d{1,2})\s*[月.]?\s*(?:(\d{1,2})\s*日?)?$"
)


def parse_date_ja(text: str):
    """A date typed by staff: ``2026-04-01``, ``2026/4/1``, ``2026年4月1日``, ``令和8年4月1日``, ``R8.4.1``; a
    month alone (``2026-04``, ``令和8年4月``) is its first day. Raises ``ValueError`` with a Japanese message
    for anything else, an impossible date (2026-02-30) included.

    >>> parse_date_ja("令和8年4月1日"), parse_date_ja("2026/4")
    (datetime.date(2026, 4, 1), datetime.date(2026, 4, 1))
    """
    from datetime import date

    t = nfkc(str(text)).strip()
    m = _DATE_WESTERN.match(t)
    if m:
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3) or 1)
    else:
        m = _DATE_ERA.match(t)
        if not m:
            raise ValueError(f"日付として読めません: {t[:40]!r}（例 2026-04-01、2026/4/1、令和8年4月1日）")
        n = 1 if m.group(2) == "元" else int(m.group(2))
        year, month, day = _ERA_START[m.group(1)] + n - 1, int(m.group(3)), int(m.group(4) or 1)
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"実在しない日付です: {t[:40]!r}（{year}年{month}月{day}日）") from None
