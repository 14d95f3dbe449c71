"""Charts of the options appraisal (Step 2 目指す型の選択): the options' costs and how their scores are made.

They draw :class:`workbench.options.OptionsResult`; every number comes from there.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from ..text import money_ja
from . import JA_FONT, apply_template, figure

OKU = 1e8
PREF_COLOUR, MUNI_COLOUR = "#2ca02c", "#1f77b4"
CRITERION_COLOURS = {
    "cost": "#1f77b4",
    "goal": "#17becf",
    "principles": "#2ca02c",
    "auth": "#9467bd",
    "risks": "#d62728",
    "months": "#ff7f0e",
}


def _names(result: Any) -> list[str]:
    return [("◎ " if o.recommended else "") + o.label for o in result.options]


def option_costs(result: Any) -> go.Figure:
    """Each option's cost over the horizon (present value, 億円): the prefecture's part and the municipalities'
    part stacked, the range of an estimate (推計) as a whisker, the recommended one marked ◎. Options with no
    cost (no scenario in the file) are named in the title instead of drawn as 0."""
    opts = [o for o in result.options if o.total_cost is not None]
    names = [("◎ " if o.recommended else "") + o.label for o in opts]
    years = f"{result.horizon_years}年" if result.horizon_years else "評価期間"
    fig = figure()
    fig.add_trace(
        go.Bar(
            y=names,
            x=[(o.prefecture_cost or 0) / OKU for o in opts],
            name="県",
            orientation="h",
            marker_color=PREF_COLOUR,
            hovertemplate="%{y}<br>県 %{x:,.2f}億円<extra></extra>",
        )
    )
    fig.add_trace(
        go.Bar(
            y=names,
            x=[(o.municipal_cost or 0) / OKU for o in opts],
            name="市町村",
            orientation="h",
            marker_color=MUNI_COLOUR,
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [((o.total_cost_high or o.total_cost) - o.total_cost) / OKU for o in opts],
                "arrayminus": [(o.total_cost - (o.total_cost_low or o.total_cost)) / OKU for o in opts],
                "color": "#444",
                "thickness": 1.5,
                "width": 6,
            },
            text=[money_ja(o.total_cost) + ("（推計）" if o.estimated else "") for o in opts],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}<br>市町村 %{x:,.2f}億円<extra></extra>",
        )
    )
    title = f"選択肢ごとの費用（{years}・現在価値）"
    if not opts:
        title = "費用の前提がないため、費用は比べられません"
    top = max([(o.total_cost_high or o.total_cost or 0) / OKU for o in opts], default=1.0)
    fig.update_layout(
        barmode="stack",
        title={"text": title, "font": {"size": 15}},
        xaxis={
            "title": {"text": "億円"},
            "tickformat": ",.1f",
            "range": [0, top * 1.35],
            "rangemode": "tozero",
        },
        yaxis={"autorange": "reversed", "automargin": True},
        legend={"orientation": "h", "y": -0.2, "traceorder": "normal"},
        height=140 + 46 * max(len(opts), 1),
        font={"family": JA_FONT},
        margin={"l": 10, "r": 30, "t": 50, "b": 60},
    )
    return apply_template(fig)


def option_scores(result: Any) -> go.Figure:
    """How each option's score is made: the weighted score of each criterion stacked (100 = best on every
    criterion), so the weights and what decides the recommendation are visible."""
    names = _names(result)
    fig = figure()
    for c in result.criteria:
        if not c.active or c.weight <= 0:
            continue
        fig.add_trace(
            go.Bar(
                y=names,
                x=[100 * c.weight * o.scores.get(c.code, 0.0) for o in result.options],
                name=f"{c.name}（{c.weight:.0%}）",
                orientation="h",
                marker_color=CRITERION_COLOURS.get(c.code, "#7f7f7f"),
                hovertemplate=f"%{{y}}<br>{c.name}: %{{x:.1f}}点<extra></extra>",
            )
        )
    fig.update_layout(
        barmode="stack",
        title={"text": "評点の内訳（基準ごとの点×重み、100点満点）", "font": {"size": 15}},
        xaxis={"title": {"text": "点"}, "range": [0, 100]},
        yaxis={"autorange": "reversed", "automargin": True},
        legend={"orientation": "h", "y": -0.25},
        height=170 + 46 * len(names),
        font={"family": JA_FONT},
        margin={"l": 10, "r": 20, "t": 50, "b": 80},
    )
    return apply_template(fig)
