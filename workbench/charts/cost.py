"""Plotly figure builders for the cost analyses (return go.Figure, never show()).

Charts compute nothing of the domain: they draw the results of :mod:`workbench.cost`.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from .plaintext import plain_labels

YEN_MAN = 1e4  # 万円


@plain_labels
def shares_by_rule(comparison: Any) -> go.Figure:
    """Grouped bars: each member's share under each rule (万円), stand-alone cost as markers."""
    df = comparison.to_frame()
    fig = go.Figure()
    for a in comparison.allocations.values():
        fig.add_bar(name=a.rule_label, x=df["市区町村"], y=df[a.rule_label] / YEN_MAN)
    fig.add_scatter(
        name="単独の費用",
        x=df["市区町村"],
        y=df["単独の費用（円）"] / YEN_MAN,
        mode="markers",
        marker={"symbol": "line-ew-open", "size": 18, "color": "black"},
    )
    fig.update_layout(
        title="配分ルール別の負担額（現在価値）",
        barmode="group",
        xaxis_title="市区町村",
        yaxis_title="負担額（万円）",
        legend_title="配分ルール",
    )
    return fig


@plain_labels
def share_vs_standalone(allocation: Any) -> go.Figure:
    """Each member's share against its stand-alone cost, with the diagonal: points above it are better
    off alone (individual rationality broken, DOMAIN §6b)."""
    df = allocation.to_frame()
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
    )
    return fig


@plain_labels
def cash_flow_lines(cash_flow: Any, include_prefecture: bool = True) -> go.Figure:
    """Payments per year (万円), one line per member (and the prefecture)."""
    fig = go.Figure()
    for name, flows in zip(cash_flow.names, cash_flow.flows, strict=True):
        fig.add_scatter(x=cash_flow.years, y=[f / YEN_MAN for f in flows], mode="lines+markers", name=name)
    if include_prefecture:
        fig.add_scatter(
            x=cash_flow.years,
            y=[f / YEN_MAN for f in cash_flow.prefecture],
            mode="lines+markers",
            name="県",
            line={"width": 3, "dash": "dot"},
        )
    fig.update_layout(
        title="年度別の負担額（キャッシュフロー）", xaxis_title="年目", yaxis_title="負担額（万円）"
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
