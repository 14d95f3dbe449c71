"""Plotly figure builders for the cost analyses (return go.Figure, never show()).

Charts compute nothing of the domain: they draw the results of :mod:`workbench.cost`.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from .plaintext import plain_labels

YEN_MAN = 1e4  # 万円


RULE_SYMBOLS = [
    "circle",
    "diamond",
    "square",
    "triangle-up",
    "x",
    "star",
    "triangle-down",
    "cross",
    "pentagon",
]


@plain_labels
def shares_by_rule(comparison: Any, note: str | None = None) -> go.Figure:
    """A dot plot that stays readable at 60 municipalities: one row per member (sorted by stand-alone cost,
    the largest on top), each rule's share as a dot of its own colour and shape, the stand-alone cost as a
    black bar; amounts in 万円 with separators. ``note`` is written in the chart when every share is 0 (e.g.
    the prefecture pays everything), so an empty chart says why."""
    df = comparison.to_staff_frame().sort_values("単独の費用（円）", ascending=True)
    names = list(df["市区町村"])
    fig = go.Figure()
    for k, a in enumerate(comparison.allocations.values()):
        fig.add_scatter(
            name=a.rule_label,
            y=names,
            x=df[a.rule_label] / YEN_MAN,
            mode="markers",
            marker={"symbol": RULE_SYMBOLS[k % len(RULE_SYMBOLS)], "size": 9, "opacity": 0.85},
            hovertemplate="%{y}<br>" + a.rule_label + ": %{x:,.0f} 万円<extra></extra>",
        )
    fig.add_scatter(
        name="単独の費用",
        y=names,
        x=df["単独の費用（円）"] / YEN_MAN,
        mode="markers",
        marker={"symbol": "line-ns-open", "size": 16, "color": "black", "line": {"width": 2}},
        hovertemplate="%{y}<br>単独の費用: %{x:,.0f} 万円<extra></extra>",
    )
    rows = len(names)
    fig.update_layout(
        title={"text": "配分ルール別の負担額（現在価値）", "x": 0.01, "xanchor": "left"},
        height=max(320, 22 * rows + 190),
        xaxis={"title": {"text": "負担額（万円、現在価値）"}, "tickformat": ",.0f", "rangemode": "tozero"},
        yaxis={"title": {"text": ""}, "automargin": True, "tickfont": {"size": 11}},
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0, "xanchor": "left",
                "title": {"text": "配分ルール"}},
        margin={"t": 110},
    )  # fmt: skip
    shares = [v for a in comparison.allocations.values() for v in df[a.rule_label]]
    if note and shares and max(abs(float(v)) for v in shares) < 0.5:
        fig.add_annotation(
            text=note, xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False,
            font={"size": 14, "color": "#8a6d00"}, bgcolor="rgba(255,255,255,0.9)",
        )  # fmt: skip
    fig.layout.meta = {"members": names, "note": note or ""}
    return fig


@plain_labels
def share_vs_standalone(allocation: Any) -> go.Figure:
    """Each member's share against its stand-alone cost, with the diagonal: points above it are better
    off alone (individual rationality broken: the cost game's stand-alone condition)."""
    df = allocation.to_staff_frame()
    x = df["単独の費用（円）"] / YEN_MAN
    y = df["負担額（円）"] / YEN_MAN
    top = float(max(x.max(), y.max())) * 1.05 if len(df) else 1.0
    colors = ["#d62728" if not ok else "#1f77b4" for ok in df["個別合理性"]]
    fig = go.Figure()
    fig.add_scatter(
        x=[0, top], y=[0, top], mode="lines", name="負担＝単独の費用", line={"dash": "dash", "color": "gray"}
    )
    fig.add_scatter(
        x=x,
        y=y,
        mode="markers",
        name="市区町村",
        text=df["市区町村"],
        marker={"color": colors, "size": 9},
        hovertemplate="%{text}<br>単独 %{x:,.0f} 万円<br>負担 %{y:,.0f} 万円<extra></extra>",
    )
    fig.update_layout(
        title=f"負担額と単独の費用（{allocation.rule_label}）：線より上は単独の方が安い団体",
        xaxis_title="単独の費用（万円、現在価値）",
        yaxis_title="負担額（万円、現在価値）",
        xaxis_tickformat=",.0f",
        yaxis_tickformat=",.0f",
    )
    return fig


@plain_labels
def cash_flow_lines(
    cash_flow: Any, include_prefecture: bool = True, first_fiscal_year: int | None = None
) -> go.Figure:
    """Payments per 年度 (万円), one line per member (and the prefecture). With ``first_fiscal_year`` the
    years are 令和N年度 as municipal budgets count them (April–March), else 1年度目, 2年度目 …"""
    from ..text import fiscal_year_ja

    labels = [
        fiscal_year_ja(first_fiscal_year + y, western=False) if first_fiscal_year else f"{y + 1}年度目"
        for y in cash_flow.years
    ]
    fig = go.Figure()
    for name, flows in zip(cash_flow.names, cash_flow.flows, strict=True):
        fig.add_scatter(x=labels, y=[f / YEN_MAN for f in flows], mode="lines+markers", name=name)
    if include_prefecture:
        fig.add_scatter(
            x=labels,
            y=[f / YEN_MAN for f in cash_flow.prefecture],
            mode="lines+markers",
            name="県",
            line={"width": 3, "dash": "dot"},
        )
    fig.update_layout(
        title="年度別の負担額（キャッシュフロー）",
        xaxis_title="年度",
        yaxis_title="負担額（万円）",
        yaxis_tickformat=",.0f",
    )
    return fig


@plain_labels
def tornado(sensitivity: Any) -> go.Figure:
    """Tornado: the change of the chosen output when each assumption moves to its low / high value."""
    rows = list(reversed(sensitivity.rows))  # largest swing on top
    base = sensitivity.base
    labels = [r.label for r in rows]
    fig = go.Figure()
    fig.add_bar(
        y=labels,
        x=[(r.output_low - base) / YEN_MAN for r in rows],
        orientation="h",
        name="低位",
        text=[r.low_input for r in rows],
        marker_color="#1f77b4",
    )
    fig.add_bar(
        y=labels,
        x=[(r.output_high - base) / YEN_MAN for r in rows],
        orientation="h",
        name="高位",
        text=[r.high_input for r in rows],
        marker_color="#ff7f0e",
    )
    fig.update_layout(
        title=f"感度分析（{sensitivity.output}、基準 {base / YEN_MAN:,.0f} 万円）",
        barmode="overlay",
        xaxis_title="基準からの変化（万円）",
        yaxis_title="前提",
    )
    return fig
