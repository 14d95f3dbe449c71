"""Shared pieces of analysis results: provenance, frames and the Japanese notebook card.

Every result offers the same views (docs/frames.md):

* ``to_frame()`` — for analysts: one row per natural unit (platform, service, member, rule …), stable
  snake_case columns listed in the class's ``FRAME_COLUMNS``, codes as values (platform ids, 6-digit
  municipality codes as strings, rule codes, 型 as "2.8"), numbers as numbers (yen as float), yes/no as bool;
* ``to_staff_frame()`` — for prefecture staff: the table notebooks, dashboards and take-aways show, Japanese
  headers, names and labels instead of ids and codes;
* ``summary_lines()`` — the result in a few Japanese sentences; ``print(result)`` prints them, ``repr`` shows
  the first few;
* ``model_dump()`` — the JSON of CONTRACT.md.
"""

from __future__ import annotations

import functools
import html
from typing import Any, ClassVar, TypeVar

import pandas as pd
from pydantic import BaseModel, ConfigDict, TypeAdapter

M = TypeVar("M", bound=BaseModel)


class Result(BaseModel):
    """Base of analysis results: ``.model_dump()`` is the JSON of CONTRACT.md; ``.to_frame()`` a table;
    displayed in a notebook it shows a Japanese card (``_repr_html_``)."""

    model_config = ConfigDict(extra="forbid")

    #: the columns of :meth:`to_frame`, in order, with what each holds (the reference lists them)
    FRAME_COLUMNS: ClassVar[dict[str, str]] = {}
    #: what the fields that carry no ``description`` of their own hold (the reference's fields table reads it)
    FIELD_DOCS: ClassVar[dict[str, str]] = {}
    #: lines of :meth:`summary_lines` that ``repr`` shows
    REPR_LINES: ClassVar[int] = 5

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - overridden
        """The analysts' table: snake_case columns (:attr:`FRAME_COLUMNS`), codes as values."""
        raise NotImplementedError

    def to_staff_frame(self) -> pd.DataFrame:  # pragma: no cover - overridden
        """The staff's table: Japanese headers, names and labels (what notebooks and take-aways show)."""
        raise NotImplementedError

    def summary_lines(self) -> list[str]:
        """The result in Japanese sentences, the title first (``print(result)`` prints them)."""
        return [self.card_title(), *[f"{k}: {v}" for k, v in self.card_rows()]]

    def __repr__(self) -> str:
        lines = self.summary_lines()
        more = "\n  …" if len(lines) > self.REPR_LINES else ""
        return "\n  ".join(lines[: self.REPR_LINES]) + more

    def card_rows(self) -> list[tuple[str, str]]:
        """(label, value) rows for the card; subclasses override."""
        return []

    def card_title(self) -> str:
        return type(self).__name__

    def card_tables(self) -> list[tuple[str, pd.DataFrame]]:
        return []

    def _repr_html_(self) -> str:
        from .staff import prose_ja, table_html

        rows = "".join(
            f"<tr><th style='text-align:left;padding-right:1em;white-space:nowrap'>{html.escape(k)}</th>"
            f"<td style='text-align:left'>{html.escape(prose_ja(v))}</td></tr>"
            for k, v in self.card_rows()
        )
        parts = [
            "<div class='wb-card' style='border:1px solid #ccd;border-radius:6px;padding:8px 12px;"
            "font-family:sans-serif'>",
            f"<h4 style='margin:4px 0'>{html.escape(self.card_title())}</h4>",
            f"<table>{rows}</table>",
        ]
        for title, df in self.card_tables():
            if len(df):
                parts.append(f"<h5 style='margin:8px 0 2px'>{html.escape(title)}</h5>")
                parts.append(table_html(df, max_rows=None))
        parts.append("</div>")
        return "".join(parts)

    def _repr_markdown_(self) -> str:
        lines = [f"**{self.card_title()}**", ""]
        lines += [f"- {k}: {v}" for k, v in self.card_rows()]
        return "\n".join(lines)

    def __str__(self) -> str:
        lines = self.summary_lines()
        return "\n".join([lines[0], *[f"  {x}" for x in lines[1:]]])


def frame(records: list[dict[str, Any]], columns: list[str] | dict[str, str]) -> pd.DataFrame:
    """A DataFrame with fixed columns even when there are no records (``columns``: a list, or the keys of a
    ``FRAME_COLUMNS`` mapping)."""
    return pd.DataFrame.from_records(records, columns=list(columns))


@functools.cache
def _list_adapter(model: type[BaseModel]) -> TypeAdapter:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def models_from(model: type[M], rows: list[dict[str, Any]]) -> list[M]:
    """``[model(**row) for row in rows]``, validated in one call: the same objects (fields, values, the fields
    set), three times faster for the many small rows of a result (the audit's members and monotonicity
    violations: 69,000 in the national batch).

    >>> from pydantic import BaseModel
    >>> class Row(BaseModel):
    ...     code: str
    ...     share: float
    >>> models_from(Row, [{"code": "072010", "share": 1}]) == [Row(code="072010", share=1)]
    True
    """
    return _list_adapter(model).validate_python(rows)
