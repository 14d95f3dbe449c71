"""Charts of the national summary (workbench.batch)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from . import JA_FONT
from .plaintext import plain_labels


@plain_labels
def national_types(df: pd.DataFrame) -> go.Figure:
    """Prefectures by today's type (first type of a 1.x combination), synthetic ones shown apart."""
    t = df.assign(
        kind=df["current_type"].str.split("+").str[0],
        src=df["synthetic"].map({True: "合成データ", False: "サンプル（ガイドの事実＋仮定）"}),
    )
    counts = t.groupby(["kind", "src"]).size().reset_index(name="n")
    fig = go.Figure()
    for src, part in counts.groupby("src"):
        fig.add_bar(x=part["kind"], y=part["n"], name=src)
    fig.update_layout(
        barmode="stack",
        title="都道府県の現在の型（全国）",
        xaxis_title="型",
        yaxis_title="都道府県数",
        font={"family": JA_FONT},
        legend_title="データ",
    )
    return fig


@plain_labels
def national_savings(df: pd.DataFrame) -> go.Figure:
    """Shared cost against the sum of going alone, per prefecture (present values, yen)."""
    d = df.dropna(subset=["shared_total"]).sort_values("code")
    fig = go.Figure()
    fig.add_bar(x=d["name"], y=d["standalone_total"], name="単独の費用の合計")
    fig.add_bar(x=d["name"], y=d["shared_total"], name="共同利用の費用")
    fig.update_layout(
        barmode="group",
        title="共同利用と単独の費用（現在価値、円）",
        yaxis_title="円",
        font={"family": JA_FONT},
    )
    return fig
