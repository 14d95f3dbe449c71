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


def money_ja(yen: float) -> str:
    """Yen as staff read it: 億円 from 1億 (two decimals), else 万円 (separators), else 円 — e.g. 3.25億円,
    1,234万円, 8,000円. Negative amounts keep their sign."""
    sign = "−" if yen < 0 else ""
    a = abs(float(yen))
    if a >= 1e8:
        return f"{sign}{a / 1e8:,.2f}億円"
    if a >= 1e4:
        return f"{sign}{a / 1e4:,.0f}万円"
    return f"{sign}{a:,.0f}円"


#: money units shown to staff (DEVELOPERS.md: 千円/万円/億円 with separators)
YEN_UNITS = {"千円": 1e3, "万円": 1e4, "億円": 1e8}


def yen_text(yen: float, unit: str = "auto") -> str:
    """Money in one fixed unit for a table column: ``"1,234万円"``, ``"5.70億円"``, ``"980千円"``; ``auto``
    is :func:`money_ja`."""
    if unit == "auto":
        return money_ja(yen)
    sign = "−" if yen < 0 else ""
    value = abs(float(yen)) / YEN_UNITS[unit]
    return f"{sign}{value:,.2f}{unit}" if unit == "億円" else f"{sign}{value:,.0f}{unit}"
