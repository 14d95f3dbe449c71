"""Shared pieces of analysis results: provenance, frames and the Japanese notebook card."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict


class Result(BaseModel):
    """Base of analysis results: ``.model_dump()`` is the JSON of CONTRACT.md; ``.to_frame()`` a table;
    displayed in a notebook it shows a Japanese card (``_repr_html_``)."""

    model_config = ConfigDict(extra="forbid")

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - overridden
        raise NotImplementedError

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
        return "\n".join([self.card_title(), *[f"  {k}: {v}" for k, v in self.card_rows()]])


def frame(records: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """A DataFrame with fixed columns even when there are no records."""
    return pd.DataFrame.from_records(records, columns=columns)
