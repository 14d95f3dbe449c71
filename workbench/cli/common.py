"""Helpers shared by the subcommands: JSON output and readable tables."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any

import pandas as pd


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def print_table(df: pd.DataFrame, title: str | None = None) -> None:
    if title:
        print(title)
    if df.empty:
        print("  （なし）")
        return
    with pd.option_context(
        "display.max_rows",
        500,
        "display.max_columns",
        50,
        "display.width",
        200,
        "display.max_colwidth",
        60,
        "display.unicode.east_asian_width",
        True,
    ):
        print(df.to_string(index=False))


def parse_date(text: str) -> date:
    """An argparse ``type`` for YYYY-MM-DD options: an impossible date (2026-04-31) or a 5,000-digit value is
    one short Japanese line, never a traceback."""
    from ..errors import shorten

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"日付は YYYY-MM-DD（実在する日付）で指定してください: {shorten(text, 40)}"
        ) from None
