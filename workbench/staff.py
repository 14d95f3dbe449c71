"""What prefecture staff read: sources in Japanese, cells as offices write them, tables that fit.

Results keep their provenance in the form analysts search for (``guide 3.4``, ``data/issue_rules.csv``, rule
codes); this module turns it into what a staff member reads in a notebook, a dashboard or an export:

* :func:`source_ja` — 「ガイド 3.4 住民向け規約」 for ``guide 3.4 住民向け規約``, 「入力値」 for ``your input``,
  「本ツールの既定値」 for our defaults; the names of our reference files and design notes are left out (the
  guide's sections stay; the file names remain in the results' JSON for analysts).
* :func:`cell_ja` — ○/— for yes/no, 「—」 for nothing, integers and yen with separators, 令和/西暦 dates.
* :func:`table_html` and :func:`table` — a table without the pandas index, headers that never break one
  character per line, long text wrapped in full (never cut with 「…」), numbers right-aligned with separators.

Pure functions; no widgets.
"""

from __future__ import annotations

import html
import math
import re
from datetime import date, datetime
from typing import Any

from .text import date_ja

# --- sources ---------------------------------------------------------------------------------------------

_SOURCE_RULES: list[tuple[re.Pattern[str], str]] = [
    # the guidebook's second published text, named by its file
    (re.compile(r"「?guidebook-ver3\.md」?"), "「ガイドブック第3.0版（もう一つの公開本文）」"),
    # our reference files and design notes: analysts find them in the JSON, staff never need them
    (re.compile(r"[（(]\s*data/[^）)]*[）)]"), ""),
    (re.compile(r"[;；、,]?\s*data/[\w./\\-]+(\s*[（(][^）)]*[）)])?"), ""),  # \_ of Markdown too
    (re.compile(r"[;；、,]?\s*DOMAIN(\.md)?\s*(§\s*\w+)?"), ""),
    (re.compile(r"[;；、,]?\s*(DATAMAP|CONTRACT|ARCHITECTURE|JUPYTER_NOTES)\.md(\s*§\s*\w+)?"), ""),
    (re.compile(r"[;；、,]?\s*workbench\.[\w.]+"), ""),
    (re.compile(r"[;；、,]?\s*docs/[\w./-]+(\s*[（(][^）)]*[）)])?"), ""),
    # the sources themselves, in Japanese
    (re.compile(r"data\s*model\s*guideline", re.I), "データモデル実践ガイドライン"),
    (re.compile(r"guidebook\s*pattern\s*flow", re.I), "ガイドブック 共同利用パターン検討フロー"),
    (re.compile(r"data\s*model\s*guideline", re.I), "データモデル実践ガイドライン"),
    (re.compile(r"guidebook\s*(?=[\d第])", re.I), "ガイドブック "),
    (re.compile(r"guidebook\s*", re.I), "ガイドブック"),
    (re.compile(r"\bguide\s+(?=\d)", re.I), "ガイド "),
    (re.compile(r"\bguide\b", re.I), "ガイド"),
    (re.compile(r"your\s+input", re.I), "入力値"),
    (re.compile(r"workbench\s*既定"), "本ツールの既定値"),
    (re.compile(r"\bbylaws\b", re.I), "規約"),
    (re.compile(r"\s*\(core\)"), "（コア）"),
    (re.compile(r"\s*\(least core\)"), "（最小コア）"),
    (re.compile(r"workbench\s*独自整合"), "本ツールで整合させた値"),
    (re.compile(r"\s*\(population monotonicity\)"), "（人口単調性）"),
    (re.compile(r"\s*\(monotonicity\)"), "（単調性）"),
    (re.compile(r"\bStep\s*(\d)"), r"Step \1"),
]

#: sections and keys of the prefecture file, as staff name them (a key never appears in a staff's sentence)
FILE_PARTS_JA = {
    "platforms: の municipalities": "基盤の利用団体",
    "platforms:, services:": "基盤とサービス",
    "vision.external_body_possible": "外部組織を立ち上げられるか",
    "vision.organisation": "ビジョンの運営組織",
    "vision.cost_rule": "ビジョンの費用按分ルール",
    "vision.purposes": "ビジョンの目的",
    "vision.statement": "ビジョンの文章",
    "vision.kpis": "ビジョンのKPI",
    "vision.scheme": "ビジョンの県負担の方式",
    "target.organisation": "目指す型の運営組織",
    "costs.scheme": "費用の前提の県負担の方式",
    "costs.shared": "費用の前提の共同利用の基盤の費用",
    "costs.standalone": "費用の前提の単独の費用",
    "costs.options": "費用の前提の選択肢ごとの費用",
    "costs.weights": "費用の前提の重み（均等割・人口割・利用割）",
    "costs.drivers": "費用の前提の利用実績",
    "plan.start": "実行計画の開始日",
    "data_map:": "データマップ",
    "vision:": "ビジョン",
    "target:": "目指す型",
    "costs:": "費用の前提",
    "plan:": "実行計画",
    "platforms:": "基盤",
    "services:": "サービス",
    "auth.means": "認証の設定の本人確認手段",
    "auth:": "認証の設定",
}
_FILE_PART = re.compile(
    r"(?<=[^\x00-\x7f]) ?("
    + "|".join(re.escape(k) for k in sorted(FILE_PARTS_JA, key=len, reverse=True))
    + ")"
    + r"|("
    + "|".join(re.escape(k) for k in sorted(FILE_PARTS_JA, key=len, reverse=True))
    + ")"
)


_ISO_DATE = re.compile(r"(?<![\d.-])(\d{4})-(\d{2})-(\d{2})(?![\d-])")
_ISO_MONTH = re.compile(r"(?<![\d.-])(\d{4})-(\d{2})(?![\d-])")


def dates_ja(text: str) -> str:
    """ISO dates in running text as offices write them: 「2027-03-31」 → 「令和9年（2027年）3月31日」, 「2026-04」 →
    「令和8年（2026年）4月」. Impossible dates are left as they are."""
    from .text import era_year

    def day(m: re.Match[str]) -> str:
        try:
            return date_ja(date(int(m.group(1)), int(m.group(2)), int(m.group(3))))
        except ValueError:
            return m.group(0)

    def month(m: re.Match[str]) -> str:
        y, mo = int(m.group(1)), int(m.group(2))
        if not (1 <= mo <= 12 and 1900 <= y <= 2200):
            return m.group(0)
        era = era_year(y, mo, 1)
        return f"{era}（{y}年）{mo}月" if era != f"{y}年" else f"{y}年{mo}月"

    return _ISO_MONTH.sub(month, _ISO_DATE.sub(day, text))


# --- names, not ids -------------------------------------------------------------------------------------


def file_names(pref: Any) -> dict[str, str]:
    """Every id of the prefecture file staff could meet → the name the file gives it: platforms, services and
    the データマップ's data assets and external data (the JSON and the analysts' frames keep the ids)."""
    names = dict(pref.names())
    dm = getattr(pref, "data_map", None)
    if dm is not None:
        names.update({a.id: a.name for a in dm.assets})
        for s in dm.services:
            for x in s.external:
                if x.id:
                    names.setdefault(x.id, x.name)
    return {k: v for k, v in names.items() if k and not k.isdigit()}


def _names_pattern(names: dict[str, str]) -> re.Pattern[str] | None:
    ids = sorted((k for k in names if k), key=len, reverse=True)
    if not ids:
        return None
    return re.compile(r"(?<![A-Za-z0-9_-])(" + "|".join(re.escape(i) for i in ids) + r")(?![A-Za-z0-9_-])")


def names_ja(text: str, names: dict[str, str]) -> str:
    """The file's ids in ``text`` replaced by their names (「pref-platform 75%」 → 「福島県データ連携基盤（仮称） 75%」)."""
    pattern = _names_pattern(names)
    if pattern is None or not text:
        return text
    return pattern.sub(lambda m: names[m.group(1)], text)


def frame_names_ja(df: Any, names: dict[str, str]) -> Any:
    """A table as staff file it: the ``ID`` column (the analysts' id) left out and the ids in the other cells
    replaced by names."""
    pattern = _names_pattern(names)
    out = df.drop(columns=[c for c in df.columns if str(c) in ("ID", "id")], errors="ignore").copy()
    if pattern is None:
        return out
    for col in out.columns:
        out[col] = out[col].map(
            lambda v: pattern.sub(lambda m: names[m.group(1)], v) if isinstance(v, str) else v
        )
    return out


def html_names_ja(page: str, names: dict[str, str]) -> str:
    """:func:`names_ja` over the text of an HTML page (tags, scripts and styles untouched); the names are
    HTML-escaped, as the page's own text is (a name is the user's text, never markup)."""
    escaped = {k: html.escape(v) for k, v in names.items()}
    parts = _SCRIPT.split(page)
    return "".join(p if i % 2 else names_ja(p, escaped) for i, p in enumerate(parts))


def file_parts_ja(text: str) -> str:
    """The prefecture file's keys in ``text`` (``vision.purposes``, ``costs:``) replaced by their Japanese
    names (「ビジョンの目的」, 「費用の前提」); a key escaped for Markdown (``vision.external\\_body``) too."""
    if "\\_" in text:
        text = re.sub(r"[a-z.]+(?:\\_[a-z]+)+", lambda m: m.group(0).replace("\\_", "_"), text)
    return _FILE_PART.sub(lambda m: FILE_PARTS_JA[m.group(1) or m.group(2)], text)


def prose_ja(text: Any) -> str:
    """Running text (a sentence, a Markdown line) with its source names in Japanese: like :func:`source_ja`
    but the text's own punctuation is left as it is."""
    if text is None:
        return ""
    s = dates_ja(file_parts_ja(str(text)))
    for pattern, repl in _SOURCE_RULES:
        s = pattern.sub(repl, s)
    return re.sub(r"[（(]\s*[）)]", "", s)


_SCRIPT = re.compile(r"(<script\b.*?</script>|<style\b.*?</style>|<[^>]+>)", re.S | re.I)


def html_prose_ja(page: str) -> str:
    """:func:`prose_ja` over the text of an HTML page (tags, scripts and styles untouched)."""
    parts = _SCRIPT.split(page)
    return "".join(p if i % 2 else prose_ja(p) for i, p in enumerate(parts))


def source_ja(text: Any) -> str:
    """A provenance string as staff read it (see the module docstring). ``None`` gives ""."""
    if text is None:
        return ""
    s = dates_ja(file_parts_ja(str(text)))
    for pattern, repl in _SOURCE_RULES:
        s = pattern.sub(repl, s)
    s = re.sub(r"\s*;\s*", "；", s)
    s = re.sub(r"(；\s*)+", "；", s)
    s = re.sub(r"[（(]\s*[）)]", "", s)
    s = re.sub(r"\s{2,}", " ", s)
    return s.strip(" ；;、,")


# --- answers of the pattern flow (data/pattern_flow.yaml) -----------------------------------------------

#: the answers of the guidebook's pattern flow (8.2) as staff read them; the codes stay in the result
ANSWERS_JA = {
    "0": "0件",
    "1": "1件",
    "many": "複数",
    "all_shared": "すべて共同利用中",
    "yes": "はい",
    "no": "いいえ",
    "expand": "運営組織に移して広げる（B）",
    "join": "都道府県・広域の基盤に合流する（D）",
    "integrate": "1つに統合する",
    "link": "統合せず基盤間をつなぐ",
}


def answer_ja(answer: str) -> str:
    """An answer of the pattern flow in Japanese (「複数」 for ``many``)."""
    return ANSWERS_JA.get(str(answer), str(answer))


def problem_text(err: Any) -> str:
    """A library error as staff read it: the Japanese messages only, without the file, field path and codes
    that the analysts' form of the error carries (``<input>: costs.weights: …``)."""
    problems = getattr(err, "problems", None)
    if problems:
        return "／".join(_plain_message(p.message) for p in problems)
    text = str(err)
    text = re.sub(r"^(<input>|[^:\s]+\.ya?ml)(:\d+)?:\s*", "", text)
    text = re.sub(r"^[a-z_.\[\]0-9]+:\s*", "", text)
    return _plain_message(text)


#: usage drivers of the cost scenario (data/cost_drivers.csv) as a message names them: 「users（利用者割）」
_DRIVER = re.compile(r"\b(?:users|records|api_calls|data_volume)（([^（）]*)）")


def _plain_message(text: str) -> str:
    text = re.sub(r"（例: \{[^}]*\}）", "", text)  # an example written in the file's syntax
    text = _DRIVER.sub(lambda m: m.group(1), text)  # a driver's code beside its label: the label
    text = re.sub(r"\bdrivers\b", "利用実績", text)
    text = re.sub(r"（[a-z][a-z0-9_]*）", "", text)  # a code beside its label
    text = re.sub(
        r"\b(costs|vision|plan|target)\.([a-z_]+)\b",
        lambda m: FILE_PARTS_JA.get(m.group(0), "費用の前提の設定"),
        text,
    )
    return prose_ja(text)


# --- documents: Word and PowerPoint ----------------------------------------------------------------------


def docx_ja(doc: Any, names: dict[str, str] | None = None) -> Any:
    """Every run of a Word document (paragraphs and table cells) through :func:`prose_ja`, and the file's ids
    through :func:`names_ja` when ``names`` are given; formatting kept."""

    def paragraphs():
        yield from doc.paragraphs
        for t in doc.tables:
            for row in t.rows:
                for cell in row.cells:
                    yield from cell.paragraphs

    for p in paragraphs():
        for run in p.runs:
            fixed = names_ja(prose_ja(run.text), names or {})
            if fixed != run.text:
                run.text = fixed
    return doc


def _slide_frames(slide: Any) -> Any:
    """The text frames of one slide: text boxes, table cells, the notes."""
    for shape in slide.shapes:
        if shape.has_text_frame:
            yield shape.text_frame
        if getattr(shape, "has_table", False) and shape.has_table:
            for row in shape.table.rows:
                for cell in row.cells:
                    yield cell.text_frame
    if slide.has_notes_slide:
        yield slide.notes_slide.notes_text_frame


def _runs_ja(paragraphs: Any, names: dict[str, str] | None = None) -> None:
    for p in paragraphs:
        for run in p.runs:
            fixed = names_ja(prose_ja(run.text), names or {})
            if fixed != run.text:
                run.text = fixed


def pptx_ja(prs: Any, names: dict[str, str] | None = None) -> Any:
    """Every run of a PowerPoint deck (text boxes, tables, notes) through :func:`prose_ja`, and the file's ids
    through :func:`names_ja` when ``names`` are given."""
    for slide in prs.slides:
        for frame in _slide_frames(slide):
            _runs_ja(frame.paragraphs, names)
    return prs


# --- cells -----------------------------------------------------------------------------------------------


def is_missing(value: Any) -> bool:
    try:
        return value is None or (isinstance(value, float) and math.isnan(value))
    except TypeError:  # pragma: no cover
        return False


def cell_ja(value: Any) -> str:
    """One table cell as staff read it: 「—」 for nothing, ○/— for yes/no, separators for numbers (no
    「3.0」 for three), 令和/西暦 for dates."""
    if is_missing(value):
        return "—"
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return "—"
    except ImportError:  # pragma: no cover
        pass
    if isinstance(value, bool) or type(value).__name__ in ("bool_", "bool"):
        return "○" if value else "—"
    if isinstance(value, datetime | date):
        return date_ja(value)
    if isinstance(value, int) or type(value).__name__.startswith("int"):
        return f"{int(value):,}"
    if isinstance(value, float) or type(value).__name__.startswith("float"):
        v = float(value)
        return f"{v:,.0f}" if v.is_integer() else f"{v:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, list | tuple):
        return "、".join(cell_ja(v) for v in value) or "—"
    text = dates_ja(str(value))
    return text if text.strip() else "—"


def _is_number(value: Any) -> bool:
    return (
        not isinstance(value, bool)
        and type(value).__name__ not in ("bool_", "bool")
        and (isinstance(value, int | float) or type(value).__name__.startswith(("int", "float")))
    )


# --- tables ----------------------------------------------------------------------------------------------

# A table fits the notebook's (or dashboard's) width: the browser's automatic layout shrinks a table to its
# container down to its narrowest form, so nothing may hold a column wide. Headers wrap, but never narrower
# than a few characters (no one character per line); text wraps; only numbers and short words (an amount,
# ○, 高) stay on one line.
TABLE_CSS = (
    "<style>"
    "div.wb-table{max-width:100%}"
    "div.wb-table table{border-collapse:collapse;font-size:13px;margin:4px 0;table-layout:auto;max-width:100%}"
    "div.wb-table table th{white-space:normal;overflow-wrap:normal;background:#eef1f6;"
    "border-bottom:2px solid #99a;padding:4px 8px;text-align:left;vertical-align:bottom}"
    "div.wb-table table td{border-bottom:1px solid #dde;padding:4px 8px;vertical-align:top;text-align:left;"
    "white-space:normal;overflow-wrap:anywhere;min-width:4em}"
    "div.wb-table table td.num{text-align:right;white-space:nowrap;min-width:0}"
    "div.wb-table table td.long{min-width:10em;max-width:40em}"
    "div.wb-table table td.short{white-space:nowrap;min-width:0}"
    "div.wb-table table tr:nth-child(even) td{background:#fafbfd}"
    "</style>"
)

#: the same as inline styles: JupyterLab drops <style> from outputs it does not trust (a notebook opened
#: fresh), but keeps these
TH_STYLE = "white-space:normal;text-align:left;vertical-align:bottom;padding:4px 8px;background:#eef1f6"
TD_STYLE = "text-align:left;vertical-align:top;padding:4px 8px;border-bottom:1px solid #dde;"
TD_EXTRA = {
    "": "white-space:normal;overflow-wrap:anywhere;min-width:4em",
    "num": "text-align:right;white-space:nowrap",
    "long": "white-space:normal;overflow-wrap:anywhere;min-width:10em;max-width:40em",
    "short": "white-space:nowrap",
}
#: a header wraps, but keeps at least this many characters on a line (its own length when shorter)
HEADER_MIN_CHARS = 5


def _th(text: str) -> str:
    """A header cell that may wrap but is never narrower than :data:`HEADER_MIN_CHARS` characters."""
    chars = min(max(sum(1 if ord(ch) > 0x2E7F else 0.55 for ch in text), 1), HEADER_MIN_CHARS)
    return f"<th style='{TH_STYLE};min-width:{chars:.1f}em'>{html.escape(text)}</th>"


#: columns whose text is a provenance string (shown through :func:`source_ja`)
SOURCE_COLUMNS = ("根拠", "出典", "出典・根拠")


_MONEY = re.compile(r"^[−-]?[\d,.]+(円|千円|万円|億円)$")

#: column names of analysts' frames as staff read them
HEADERS_JA = {"id": "ID", "code": "コード", "name": "名称"}
#: (code column, column whose cells carry the code as a tooltip): the code stays at hand for analysts
TOOLTIPS = (("コード", "課題"),)


def _transposed(df: Any) -> Any:
    """A few wide rows (one per platform) as columns headed by the first column's values."""
    first = "名称" if "名称" in df.columns else df.columns[0]
    names = [cell_ja(v) for v in df[first]]
    df = df.drop(columns=[first]).T
    df.columns = names
    df = df.reset_index().rename(columns={"index": "項目"})
    df["項目"] = [HEADERS_JA.get(str(c), str(c)) for c in df["項目"]]
    return df


#: columns that hold a check (a rule passes or fails): a failing check is ×, never 「—」 (which reads as n/a)
CHECK_COLUMNS = ("個別合理性", "コア", "単調性", "人口単調性", "充足", "所要レベルの充足")


def _is_bool(v: Any) -> bool:
    return isinstance(v, bool) or type(v).__name__ in ("bool_", "bool")


def _cell_text(col: str, v: Any, sources: tuple[str, ...]) -> str:
    if col in sources and not is_missing(v):
        return source_ja(v)
    if col in CHECK_COLUMNS and _is_bool(v):
        return "○" if v else "×"
    if "円" in col and "万円" not in col and "億円" not in col and _is_number(v) and not is_missing(v):
        return f"{round(float(v)):,}"  # money in whole 円
    if "年" in col and _is_number(v) and 1900 <= float(v) <= 2100:
        return f"{int(v)}"  # a year, never 2,028
    return cell_ja(v)


def column_cell(column: str, value: Any) -> str:
    """One cell of a staff table's column as text, the way :func:`table_html` writes it: numbers with separators
    and whole ones without 「.0」 (a year stays 「2028」, yen in whole 円), ○/— for yes/no (×for a failed check),
    「—」 for nothing (for Word and other take-aways that are not HTML)."""
    return _cell_text(str(column), value, ())


def _cell_class(v: Any, text: str, long: bool) -> str:
    """num (right-aligned), long (wrapped), short (never wrapped) or nothing."""
    money = isinstance(v, str) and _MONEY.match(v) is not None
    ident = text.isascii() and " " not in text and len(text) <= 24  # an id: never broken
    if _is_number(v) or money:
        return "num"
    if long and not ident:
        return "long"
    return "short" if len(text) <= 6 or ident else ""


def _td(text: str, cls: str, title: str | None) -> str:
    attrs = f" class='{cls}'" if cls else ""
    attrs += f" style='{TD_STYLE}{TD_EXTRA.get(cls, TD_EXTRA[''])}'"
    if title is not None:  # the analysts' code, on hover
        attrs += f" title='{html.escape(title, quote=True)}'"
    return f"<td{attrs}>{html.escape(text)}</td>"


def table_html(
    df: Any,
    *,
    max_rows: int | None = 500,
    sources: tuple[str, ...] = SOURCE_COLUMNS,
    empty: str = "（なし）",
    css: bool = True,
    tooltips: tuple[tuple[str, str], ...] = TOOLTIPS,
    transpose: bool = False,
) -> str:
    """A pandas frame as an HTML table staff can read (see the module docstring). Escaped; the CSS travels
    with the table so it looks the same in JupyterLab, Voila and exported HTML. A code column named in
    ``tooltips`` is not shown: its value is the tooltip of the cell beside it (analysts hover to see it).
    ``transpose`` turns a few wide rows into columns headed by the first column's values."""
    if df is None or len(df) == 0:
        return f"<p style='color:#666'>{html.escape(empty)}</p>"
    if transpose:
        df = _transposed(df)
    rows = df if max_rows is None else df.head(max_rows)
    titles: dict[int, list[str]] = {}
    for code_col, shown in tooltips:
        if code_col in rows.columns and shown in rows.columns:
            codes = [str(c) for c in rows[code_col]]
            rows = rows.drop(columns=[code_col])
            titles[list(rows.columns).index(shown)] = codes
    cols = [HEADERS_JA.get(str(c), str(c)) for c in rows.columns]
    values = rows.astype(object).values.tolist()
    long_cols = {
        j
        for j in range(len(cols))
        if max((len(r[j]) for r in values if isinstance(r[j], str)), default=0) > 24
    }
    head = "".join(_th(c) for c in cols)
    body = []
    for k, r in enumerate(values):
        tds = []
        for j, v in enumerate(r):
            text = _cell_text(cols[j], v, sources)
            tds.append(_td(text, _cell_class(v, text, j in long_cols), titles[j][k] if j in titles else None))
        body.append("<tr>" + "".join(tds) + "</tr>")
    more = (
        f"<p style='color:#666;font-size:90%'>先頭の {len(rows):,} 行を表示（全 {len(df):,} 行）</p>"
        if len(rows) < len(df)
        else ""
    )
    return (
        (TABLE_CSS if css else "")
        + "<div class='wb-table' style='overflow-x:auto'><table>"
        + f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
        + more
    )


class Table:
    """A frame shown in a notebook as :func:`table_html` (``display(table(df))`` or the last expression of a
    cell); ``.frame`` is the frame itself for analysts."""

    def __init__(self, df: Any, **kwargs: Any) -> None:
        self.frame = df
        self.kwargs = kwargs

    def _repr_html_(self) -> str:
        return table_html(self.frame, **self.kwargs)

    def __repr__(self) -> str:
        return f"（表 {len(self.frame)} 行）"


def table(df: Any, **kwargs: Any) -> Table:
    """A frame for a notebook cell: shown as a staff-readable table (:func:`table_html`)."""
    return Table(df, **kwargs)
