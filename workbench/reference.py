"""Reference data: what the guide and public statistics say, read from data/.

Every table lives in data/ as CSV or YAML with its source in data/README.md. The library reads it through
:func:`data_dir` (the package ``workbench.data``: the repository's data/, shipped inside the wheel), and
caches each table, so repeated calls cost nothing.

Examples
--------
>>> from workbench import reference
>>> reference.resolve_prefecture("福島")
('07', '福島県')
>>> reference.normalize_municipality_code("07201")  # the check digit is added
'072010'
>>> reference.label("user_scope", "prefectural")
'都道府県内'
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from .text import fold, nfkc  # noqa: F401  (re-exported)

POPULATION_SOURCE = "出典：政府統計の総合窓口(e-Stat)、総務省統計局「令和2年国勢調査 都道府県・市区町村別の主な結果」を加工して作成"


@functools.cache
def data_dir() -> Path:
    """The folder holding the reference data: the package ``workbench.data``.

    pyproject.toml maps the repository's top-level data/ into the package, so ``importlib.resources`` finds
    it in an installed wheel (``site-packages/workbench/data``) and in an editable install (the checkout's
    data/) alike — never relative to the working directory. A source tree that was not installed at all
    (only put on ``sys.path``) falls back to the data/ beside the package.

    Examples
    --------
    >>> from workbench.reference import data_dir
    >>> (data_dir() / "prefectures.csv").is_file()
    True
    """
    try:
        folder = resources.files("workbench.data")
    except ModuleNotFoundError:
        root = Path(__file__).resolve().parent.parent
        if (root / "pyproject.toml").is_file() and (root / "data" / "README.md").is_file():
            return root / "data"
        raise FileNotFoundError(
            "参照データ（workbench.data）が見つかりません。パッケージを入れ直してください"
            "（pip install kyodo-riyo-workbench、開発中は make setup）"
        ) from None
    if not isinstance(folder, Path) or not folder.is_dir():  # e.g. imported from a zip file
        raise FileNotFoundError(f"参照データ（workbench.data）がフォルダとして読めません: {folder}")
    return folder


@functools.cache
def table(name: str) -> pd.DataFrame:
    """A reference CSV from data/ as a DataFrame (all columns read as text unless numeric)."""
    path = data_dir() / name
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    for col in df.columns:
        conv = pd.to_numeric(df[col], errors="coerce")
        if len(df) and conv.notna().all() and not col.endswith("code") and col != "type":
            df[col] = conv
    return df


@functools.cache
def yaml_table(name: str) -> Any:
    """A reference YAML file from data/ as plain Python objects."""
    from ruamel.yaml import YAML

    with open(data_dir() / name, encoding="utf-8") as fh:
        return YAML(typ="safe").load(fh)


# --- municipalities and prefectures -----------------------------------------------------------------


def check_digit(code5: str) -> str:
    """The check digit of a 5-digit local government code (全国地方公共団体コード, mod 11, weights 6..2)."""
    total = sum(int(d) * w for d, w in zip(code5, (6, 5, 4, 3, 2), strict=True))
    return str((11 - total % 11) % 10)


@functools.cache
def municipalities() -> pd.DataFrame:
    """All 1,741 municipalities: code (6 digits), prefecture, prefecture_code, name, population_2020.

    Source: 令和2年国勢調査 (see :data:`POPULATION_SOURCE`).
    """
    df = pd.read_csv(data_dir() / "municipal_population_2020.csv", dtype={"code": str})
    df = df.rename(columns={"municipality": "name"})
    df.insert(1, "prefecture_code", df["code"].str[:2])
    return df


@functools.cache
def prefectures() -> pd.DataFrame:
    """The 47 prefectures with JIS code (2 digits), name, English name, municipality count, population."""
    return pd.read_csv(data_dir() / "prefectures.csv", dtype={"code": str})


@functools.cache
def _pref_index() -> dict[str, tuple[str, str]]:
    idx: dict[str, tuple[str, str]] = {}
    for code, name, en in prefectures()[["code", "name", "name_en"]].itertuples(index=False):
        short = name[:-1] if name != "北海道" and name[-1] in "都道府県" else name
        for key in (code, str(int(code)), name, short, en):
            idx[fold(key)] = (code, name)
    return idx


def resolve_prefecture(value: str | int) -> tuple[str, str]:
    """(JIS code, name) for a prefecture given as code ("07", 7), name ("福島県", "福島") or English name.

    Raises ``KeyError`` when it names no prefecture.
    """
    key = fold(str(value))
    if key.isdigit():
        if not key.isascii() or len(key) > 3:  # "፩", a 5,000-digit number: no prefecture, not a ValueError
            raise KeyError(value)
        key = str(int(key))
    try:
        return _pref_index()[key]
    except KeyError:
        raise KeyError(value) from None


@functools.cache
def _muni_index() -> dict[str, str]:
    return dict(zip(municipalities()["code"], municipalities()["name"], strict=True))


def normalize_municipality_code(value: str | int) -> str:
    """A 6-digit municipality code from 5 or 6 digits (full-width allowed); the check digit is verified.

    Raises ``ValueError`` with a Japanese message when the code is malformed or not a municipality.
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"市区町村コードは5桁または6桁の数字です: {value!r}")
    s = nfkc(str(value)).replace("-", "")
    if isinstance(value, int) and len(s) <= 5:
        # YAML read an unquoted code as a number and dropped its leading zero ("072028" -> 72028)
        six = s.zfill(6)
        s = six if check_digit(six[:5]) == six[5] and six in _muni_index() else s.zfill(5)
    if not (s.isascii() and s.isdigit()) or len(s) not in (5, 6):
        raise ValueError(f"市区町村コードは5桁または6桁の数字です: {value!r}")
    if len(s) == 5:
        s = s + check_digit(s)
    elif check_digit(s[:5]) != s[5]:
        raise ValueError(f"市区町村コード {s} の検査数字が合いません（正しくは {s[:5]}{check_digit(s[:5])}）")
    if s not in _muni_index():
        raise ValueError(f"市区町村コード {s} は2020年国勢調査の市区町村にありません")
    return s


def municipality_name(code: str) -> str:
    """The census name of a municipality code."""
    return _muni_index()[code]


@functools.cache
def populations() -> dict[str, int]:
    """Municipality code → 2020 census population, built once (the cost model of every prefecture looks its
    members up in it).

    >>> from workbench import reference
    >>> reference.populations()["072010"] > 0
    True
    """
    df = municipalities()
    return dict(zip(df["code"], df["population_2020"], strict=True))


def municipalities_of(pref_code: str) -> pd.DataFrame:
    """The municipalities of a prefecture with their 2020 census population (data/municipal_population_2020.csv).

    Parameters
    ----------
    pref_code : str
        The JIS prefecture code, 2 digits (``reference.resolve_prefecture`` turns a name into one).

    Returns
    -------
    pandas.DataFrame
        One row per municipality in census order: ``code`` (6-digit 全国地方公共団体コード with its check digit,
        a string), ``prefecture_code``, ``prefecture``, ``name`` (census name), ``population_2020`` (int).

    Examples
    --------
    >>> from workbench import reference
    >>> df = reference.municipalities_of("07")
    >>> len(df), df.iloc[0][["code", "name"]].tolist()
    (59, ['072010', '福島市'])
    """
    return _municipalities_of(pref_code).copy()


@functools.cache
def _municipalities_of(pref_code: str) -> pd.DataFrame:
    """:func:`municipalities_of`, filtered once per prefecture (callers get copies)."""
    df = municipalities()
    return df[df["prefecture_code"] == pref_code].reset_index(drop=True)


@functools.cache
def _muni_name_index(pref_code: str) -> dict[str, str]:
    idx: dict[str, str] = {}
    for code, name in municipalities_of(pref_code)[["code", "name"]].itertuples(index=False):
        idx[fold(name)] = code
    return idx


def find_municipality(pref_code: str, label: str) -> str:
    """A municipality code from its name within a prefecture, tolerant of spelling variants and 郡 prefix."""
    key = fold(label)
    idx = _muni_name_index(pref_code)
    if key in idx:
        return idx[key]
    if "郡" in key:  # "多気郡多気町" -> "多気町"
        tail = key.split("郡", 1)[1]
        if tail in idx:
            return idx[tail]
    raise KeyError(label)


def find_municipality_anywhere(label: str) -> str:
    """A municipality code from a name that starts with its prefecture (「北海道江別市」「長崎県 大村市」) or
    names it in brackets (「江別市（北海道）」); used for members outside the file's prefecture (guide 1.2 (3):
    都道府県を超えた取組). Raises ``KeyError`` when no prefecture/municipality pair matches."""
    key = fold(label)
    m = re.fullmatch(r"(.+?)\((.+)\)", key)
    candidates = [(m.group(2), m.group(1))] if m else []
    for code, name in prefectures()[["code", "name"]].itertuples(index=False):
        for p in {fold(name), fold(name[:-1]) if name != "北海道" else fold(name)}:
            if key.startswith(p) and len(key) > len(p):
                candidates.append((code, key[len(p) :]))
    for pref, rest in candidates:
        try:
            code = pref if pref.isdigit() else resolve_prefecture(pref)[0]
            return find_municipality(code, rest)
        except KeyError:
            continue
    raise KeyError(label)


def prefecture_of_municipality(code: str) -> tuple[str, str]:
    """(JIS code, name) of the prefecture a municipality code belongs to."""
    return resolve_prefecture(code[:2])


# --- enumerations: codes and Japanese labels together -------------------------------------------------


#: the tables of codes with their labels: values of the prefecture file, and codes of the library's results and
#: options (severity, level dimensions, …); same columns, an enumeration lives in one of them
ENUM_TABLES = ("enums.csv", "labels.csv")


@functools.cache
def _enum_rows() -> pd.DataFrame:
    return pd.concat([table(name) for name in ENUM_TABLES], ignore_index=True)


@functools.cache
def enum_table(enum: str) -> pd.DataFrame:
    """The rows of one enumeration (code, label_ja, label_en, aliases, source) from data/enums.csv (values of
    the prefecture file) or data/labels.csv (codes of results and options).

    Examples
    --------
    >>> from workbench import reference
    >>> list(reference.enum_table("severity")["label_ja"])
    ['高', '中', '低']
    """
    df = _enum_rows()
    out = df[df["enum"] == enum].reset_index(drop=True)
    if out.empty:
        raise KeyError(enum)
    return out


def enum_codes(enum: str) -> tuple[str, ...]:
    return tuple(enum_table(enum)["code"])


@functools.cache
def _enum_index(enum: str) -> dict[str, str]:
    idx: dict[str, str] = {}
    for code, ja, en, aliases in enum_table(enum)[["code", "label_ja", "label_en", "aliases"]].itertuples(
        index=False
    ):
        for key in [code, ja, en, *[a for a in aliases.split("|") if a]]:
            idx.setdefault(fold(key), code)
    return idx


class EnumValueError(ValueError):
    """A value that is no code or label of an enumeration; ``allowed`` lists what is."""

    def __init__(self, message: str, allowed: str) -> None:
        super().__init__(message)
        self.allowed = allowed


def enum_code(enum: str, value: object) -> str:
    """The code for ``value``, which may be the code, the Japanese label, the English label or an alias.

    Raises ``ValueError`` naming the allowed values when ``value`` matches none.
    """
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        raise EnumValueError(f"{value!r} は使えません", enum_allowed(enum))
    key = fold(str(value))
    try:
        return _enum_index(enum)[key]
    except KeyError:
        pass
    hint = _ambiguous().get((enum, key))
    if hint:  # a word that could mean two codes is never mapped silently
        raise EnumValueError(hint, enum_allowed(enum))
    raise EnumValueError(f"{str(value)!r} は「{enum}」の値ではありません", enum_allowed(enum))


@functools.cache
def _ambiguous() -> dict[tuple[str, str], str]:
    """Words that would map to more than one code (data/enum_ambiguous.csv), with the message to show."""
    df = table("enum_ambiguous.csv")
    return {(e, fold(t)): str(m) for e, t, m in df[["enum", "term", "message_ja"]].itertuples(index=False)}


@functools.cache
def enum_allowed(enum: str) -> str:
    """'code (ラベル), …' for error messages (made once per enumeration: the tables do not change, and saving a
    file asks for it at every scalar that is not a code, to_yaml's label check)."""
    return ", ".join(
        f"{c}（{ja}）" for c, ja in enum_table(enum)[["code", "label_ja"]].itertuples(index=False)
    )


def label(enum: str, code: str) -> str:
    """The Japanese label of a code (the code itself when the enumeration does not list it).

    Examples
    --------
    >>> from workbench import reference
    >>> reference.label("auth_dimension", "proofing"), reference.label("severity", "high")
    ('身元確認', '高')
    """
    return _label_index(enum).get(code, code)


def labels(enum: str) -> dict[str, str]:
    """Code → Japanese label of one enumeration, in table order (for legends and option lists).

    Examples
    --------
    >>> from workbench import reference
    >>> reference.labels("late_join_policy")["book_value"]
    '残存簿価（5年定額法）の持分を負担'
    """
    return dict(_label_index(enum))


@functools.cache
def _label_index(enum: str) -> dict[str, str]:
    """Code → Japanese label of one enumeration, built once (a dashboard asks for labels thousands of times
    per redraw; filtering the table each time cost a quarter of a prefecture switch)."""
    df = enum_table(enum)
    return {str(c): str(j) for c, j in zip(df["code"], df["label_ja"], strict=True)}
