"""Charts of the national summary (workbench.batch)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from . import JA_FONT
from .plaintext import plain_labels


def _type_key(t: str) -> tuple:
    """Sort key of a type or a combination: by its parts' numbers, a combination after its first type."""
    if t == "判定できない":
        return (9,)
    return tuple(float(x) for x in t.split("+"))


@plain_labels
def national_types(df: pd.DataFrame) -> go.Figure:
    """Prefectures by today's type, a combination counted as what it is (「1.3+1.4+1.4」 is its own column, not
    a 1.3), in the order of the types; synthetic ones stacked apart."""
    kinds = df["current_type"].where(df["current_type"].notna(), "判定できない").astype(str)
    t = df.assign(
        kind=kinds,
        src=df["synthetic"].map({True: "合成データ", False: "サンプル（ガイドの事実＋仮定）"}),
    )
    order = sorted(set(kinds), key=_type_key)
    counts = t.groupby(["kind", "src"]).size().reset_index(name="n")
    fig = go.Figure()
    for src, part in counts.groupby("src"):
        fig.add_bar(x=part["kind"], y=part["n"], name=src)
    fig.update_layout(
        barmode="stack",
        title=f"今の型ごとの都道府県数（{len(df)}都道府県、組み合わせはそのまま数える）",
        xaxis={
            "title": {"text": "今の型"},
            "categoryorder": "array",
            "categoryarray": order,
            "type": "category",
        },
        yaxis_title="都道府県数",
        font={"family": JA_FONT},
        legend_title="データ",
    )
    return fig


OKU = 1e8


@plain_labels
def national_savings(df: pd.DataFrame) -> go.Figure:
    """Shared cost against the sum of going alone, per prefecture (present values, 億円), in the order of the
    prefecture codes (north to south)."""
    d = df.dropna(subset=["shared_total"]).sort_values("code")
    fig = go.Figure()
    fig.add_bar(x=d["name"], y=d["standalone_total"] / OKU, name="単独の費用の合計")
    fig.add_bar(x=d["name"], y=d["shared_total"] / OKU, name="共同利用の費用")
    fig.update_layout(
        barmode="group",
        title="都道府県別の費用：共同利用と単独の合計（評価期間・現在価値）",
        xaxis={
            "categoryorder": "array",
            "categoryarray": list(d["name"]),
            "title": {"text": "都道府県（北から）"},
        },
        yaxis={"title": {"text": "億円"}, "tickformat": ",.0f"},
        font={"family": JA_FONT},
    )
    fig.update_traces(hovertemplate="%{x}<br>%{y:,.2f}億円<extra>%{fullData.name}</extra>")
    return fig
