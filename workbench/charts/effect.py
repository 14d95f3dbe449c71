"""Charts of the scenario beside the guide's surveyed cost effects (guide 2.5, 2.6).

They draw :class:`workbench.cost.effect.CostEffect` and :class:`workbench.cost.effect.ModuleEffectView`;
every number comes from there.
"""

from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go

from .. import reference

VERDICT_COLOURS = {"below": "#d62728", "within": "#2ca02c", "above": "#1f77b4", "no_burden": "#7f7f7f"}
BAND_COLOUR = "rgba(44, 160, 44, 0.12)"
TICKS = [1, 2, 5, 10, 20, 50, 100, 200, 500]
POP_TICKS = {
    100: "100人",
    300: "300人",
    1_000: "1千人",
    3_000: "3千人",
    10_000: "1万人",
    30_000: "3万人",
    100_000: "10万人",
    300_000: "30万人",
    1_000_000: "100万人",
    3_000_000: "300万人",
}


def _ratios(effect: Any) -> list[float]:
    vals = []
    for m in effect.members:
        for k in ("build", "running"):
            for v in (getattr(m, f"{k}_ratio"), getattr(m, f"{k}_ratio_gross")):
                if v is not None and math.isfinite(v):
                    vals.append(v)
    return vals


def _top(effect: Any) -> float:
    """The highest effect drawn (the 負担なし row sits above it)."""
    return max(50.0, *(v * 1.3 for v in _ratios(effect)))


def _bottom(effect: Any) -> float:
    """The lowest effect drawn: 1/1, or lower when a municipality pays more than alone."""
    return min(0.9, *(v / 1.3 for v in _ratios(effect) if v > 0))


def effect_ranges(effect: Any) -> go.Figure:
    """Each municipality against guide 2.5's surveyed range, build and running side by side.

    x: population (log); y: the effect 1/x of what the municipality pays against going alone (log), the
    surveyed range shaded; filled markers after the prefecture's part (colour = verdict), hollow markers
    before it; the dashed line is the prefecture-wide reading; municipalities that pay nothing sit on the
    負担なし row at the top. Built as plain dicts and validated once (the dashboard redraws it on every
    control change).
    """
    top = _top(effect)
    none_y = top * 1.6
    totals = {t.code: t for t in effect.total}
    traces: list[dict[str, Any]] = []
    shapes: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    shown_legend: set[str] = set()
    domains = [(0.0, 0.47), (0.53, 1.0)]
    for col, r in enumerate(effect.ranges):
        k = r.code
        xa, ya = ("x", "y") if col == 0 else ("x2", "y2")
        lo, hi = domains[col]
        annotations.append(
            {
                "text": f"{r.label}（調査 1/{r.low:g}～1/{r.high:g}）",
                "x": (lo + hi) / 2,
                "y": 1.0,
                "xref": "paper",
                "yref": "paper",
                "xanchor": "center",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 14},
            }
        )
        shapes.append(
            {
                "type": "rect",
                "xref": f"{xa} domain",
                "yref": ya,
                "x0": 0,
                "x1": 1,
                "y0": r.low,
                "y1": r.high,
                "fillcolor": BAND_COLOUR,
                "line": {"width": 0},
                "layer": "below",
            }
        )
        if effect.prefecture_fractions.get(k, 0) > 0:
            traces.append(
                {
                    "type": "scatter",
                    "xaxis": xa,
                    "yaxis": ya,
                    "x": [max(m.population, 1) for m in effect.members],
                    "y": [
                        none_y if getattr(m, f"{k}_ratio_gross") is None else getattr(m, f"{k}_ratio_gross")
                        for m in effect.members
                    ],
                    "mode": "markers",
                    "name": "県の負担を除く前の按分額",
                    "legendgroup": "gross",
                    "showlegend": "gross" not in shown_legend,
                    "marker": {"symbol": "circle-open", "size": 10, "color": "#555"},
                    "text": [m.name for m in effect.members],
                    "hovertemplate": "%{text}<br>県の負担を除く前: 1/%{y:.1f}<extra></extra>",
                }
            )
            shown_legend.add("gross")
        for verdict, colour in VERDICT_COLOURS.items():
            mine = [m for m in effect.members if getattr(m, f"{k}_verdict") == verdict]
            if not mine:
                continue
            traces.append(
                {
                    "type": "scatter",
                    "xaxis": xa,
                    "yaxis": ya,
                    "x": [max(m.population, 1) for m in mine],
                    "y": [
                        none_y if getattr(m, f"{k}_ratio") is None else getattr(m, f"{k}_ratio") for m in mine
                    ],
                    "mode": "markers",
                    "name": reference.label("effect_verdict", verdict),
                    "legendgroup": verdict,
                    "showlegend": verdict not in shown_legend,
                    "marker": {"size": 10, "color": colour},
                    "text": [m.name for m in mine],
                    "customdata": [
                        [getattr(m, f"{k}_share") / 1e4, getattr(m, f"{k}_alone") / 1e4] for m in mine
                    ],
                    "hovertemplate": "%{text}<br>負担 %{customdata[0]:,.0f}万円 ／ 単独 %{customdata[1]:,.0f}万円"
                    "<extra></extra>",
                }
            )
            shown_legend.add(verdict)
        t = totals.get(k)
        if t is not None and t.ratio is not None:
            shapes.append(
                {
                    "type": "line",
                    "xref": f"{xa} domain",
                    "yref": ya,
                    "x0": 0,
                    "x1": 1,
                    "y0": t.ratio,
                    "y1": t.ratio,
                    "line": {"dash": "dash", "color": "#444", "width": 1.5},
                }
            )
            annotations.append(
                {
                    "text": f"県全体 1/{t.ratio:.1f}",
                    "xref": f"{xa} domain",
                    "yref": ya,
                    "x": 1,
                    "y": math.log10(t.ratio),
                    "xanchor": "right",
                    "yanchor": "top",
                    "showarrow": False,
                }
            )
    bottom = _bottom(effect)
    ticks = [v for v in [0.2, 0.5, *TICKS] if bottom <= v <= top] + [none_y]
    labels = [f"1/{v:g}" if v >= 1 else f"{1 / v:g}倍" for v in ticks[:-1]] + ["負担なし"]
    yaxis = {
        "type": "log",
        "tickvals": ticks,
        "ticktext": labels,
        "range": [math.log10(bottom), math.log10(none_y * 1.25)],
    }
    xaxis = {
        "type": "log",
        "title": {"text": "人口（2020年国勢調査）"},
        "tickvals": list(POP_TICKS),
        "ticktext": list(POP_TICKS.values()),
    }
    layout = {
        "title": {
            "text": f"市町村ごとの抑制効果とガイド 2.5 の調査範囲（{effect.rule_label}、緑の帯が調査範囲）"
        },
        "xaxis": {**xaxis, "domain": list(domains[0]), "anchor": "y"},
        "xaxis2": {**xaxis, "domain": list(domains[1]), "anchor": "y2"},
        "yaxis": {**yaxis, "anchor": "x", "title": {"text": "単独の場合と比べた負担（1/x）"}},
        "yaxis2": {**yaxis, "anchor": "x2", "matches": "y", "showticklabels": False},
        "shapes": shapes,
        "annotations": annotations,
        "legend": {"orientation": "h", "y": -0.25},
        "margin": {"t": 100, "b": 110},
    }
    return go.Figure({"data": traces, "layout": layout})


def module_phases(view: Any, basis: str = "reconciled") -> go.Figure:
    """Guide 2.6's phases without and with the recommended module (万円), reconciled by default; the printed
    with-module figure is drawn as a marker where it differs."""
    phases = [p for p in view.phases if p.phase_code != "total"]
    names = [p.phase for p in phases]
    without = [getattr(p, f"{basis}_without") / 1e4 for p in phases]
    with_ = [getattr(p, f"{basis}_with") / 1e4 for p in phases]
    fig = go.Figure()
    fig.add_bar(name="推奨モジュールなし（推定値）", x=names, y=without, marker_color="#9aabd8")
    fig.add_bar(name="推奨モジュールあり（実績）", x=names, y=with_, marker_color="#0017b6")
    differs = [p for p in phases if abs(p.printed_with - p.reconciled_with) > 1]
    if basis == "reconciled" and differs:
        fig.add_scatter(
            name="モジュールあり（印刷値）",
            x=[p.phase for p in differs],
            y=[p.printed_with / 1e4 for p in differs],
            mode="markers",
            marker={"symbol": "x", "size": 12, "color": "#d62728"},
        )
    label = "整合させた値" if basis == "reconciled" else "印刷値"
    total = next(p for p in view.phases if p.phase_code == "total")
    rate = total.reconciled_rate if basis == "reconciled" else (total.printed_rate or 0)
    fig.update_layout(
        title=f"推奨モジュールの効果（ガイド 2.6、{label}）: 工程全体で{rate:.0%}減"
        "（スクラッチ開発でない場合は41%減）",
        barmode="group",
        yaxis_title="経費（万円）",
        yaxis_tickformat=",",
        xaxis_title="工程",
    )
    return fig
