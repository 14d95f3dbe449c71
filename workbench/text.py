"""Text normalisation for messy real-world input (全角/半角, ヶ/ケ, 旧字, spaces).

Used wherever a user's label is compared with a reference label: enumerated values, municipality and
prefecture names. Pure functions, no I/O.
"""

from __future__ import annotations

import unicodedata

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
