"""Helpers shared by the subcommands: JSON output and readable tables."""

from __future__ import annotations

import json
import sys
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
