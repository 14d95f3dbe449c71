"""The overview diagram (俯瞰図) of a platform as a plotly sankey (guide 3.1 Step 1): municipalities →
services → platform → brokers, authentication and federated platforms, coloured by provider.

The nodes and links come from :func:`workbench.overview.overview`; this module only draws them.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from ..staff import source_ja
from ..text import plain
from . import JA_FONT, PROVIDER_COLOURS
from .plaintext import plain_labels

SOURCE = "guide 3.1 Step1（俯瞰図）; 3.4 属性; your input（platforms:, services:）"
_X = {0: 0.01, 1: 0.3, 2: 0.56, 3: 0.99}


def wrap_label(label: str, width: int = 14) -> str:
    """A long node label on two lines, broken before its first bracket (sankey labels of neighbouring
    columns then stay clear of each other)."""
    i = label.find("（")
    if len(label) <= width or i <= 0:
        return label
    return label[:i] + "<br>" + label[i:]


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


@plain_labels
def overview_figure(data: Any) -> go.Figure:
    """Draw an :class:`~workbench.overview.OverviewData` as a sankey."""
    index = {n.id: k for k, n in enumerate(data.nodes)}
    per_col: dict[int, list[int]] = {}
    for k, n in enumerate(data.nodes):
        per_col.setdefault(n.column, []).append(k)
    ys = [0.5] * len(data.nodes)
    for ks in per_col.values():
        for j, k in enumerate(ks):
            ys[k] = 0.01 + 0.98 * (j + 0.5) / len(ks) if len(ks) > 1 else 0.5
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={
                "label": [wrap_label(plain(n.label)) for n in data.nodes],
                "color": [PROVIDER_COLOURS.get(n.group, "#7f7f7f") for n in data.nodes],
                "x": [_X[n.column] for n in data.nodes],
                "y": ys,
                "pad": 18,
                "thickness": 16,
                "customdata": [plain(f"{n.group_label}／{n.detail}") for n in data.nodes],
                "hovertemplate": "%{label}<br>%{customdata}<extra></extra>",
            },
            link={
                "source": [index[x.source] for x in data.links],
                "target": [index[x.target] for x in data.links],
                "value": [x.value for x in data.links],
                "color": [_rgba(PROVIDER_COLOURS.get(x.group, "#7f7f7f"), 0.35) for x in data.links],
                "customdata": [plain(x.label) for x in data.links],
                "hovertemplate": "%{source.label} → %{target.label}<br>%{customdata}: %{value}<extra></extra>",
            },
        )
    )
    legend = "　".join(
        f"<span style='color:{c}'>■</span> {label}"
        for c, label in (
            (PROVIDER_COLOURS["municipality"], "自治体"),
            (PROVIDER_COLOURS["private"], "民間"),
            (PROVIDER_COLOURS["prefecture"], "都道府県"),
            (PROVIDER_COLOURS["operator"], "運営組織"),
        )
    )
    notes = ("<br>" + plain("／".join(data.notes))) if data.notes else ""
    fig.update_layout(
        title={
            "text": f"{plain(data.platform_name)} の俯瞰図（利用団体 → サービス → 基盤 → ブローカー・認証）",
            "x": 0.01,
        },
        font={"family": JA_FONT, "size": 12},
        height=max(420, 34 * max(len(v) for v in per_col.values()) + 180),
        margin={"l": 20, "r": 20, "t": 60, "b": 100},
        annotations=[
            {
                "text": f"提供主体: {legend}{notes}<br>出典: {source_ja(SOURCE)}",
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": 0,
                "yshift": -24,
                "yanchor": "top",
                "xanchor": "left",
                "showarrow": False,
                "align": "left",
                "font": {"size": 10, "color": "#555"},
            }
        ],
    )
    fig.layout.meta = {"source": SOURCE, "platform": data.platform}
    return fig


@plain_labels
def overview_diagram(pref: Any, platform_id: str, **kwargs: Any) -> go.Figure:
    """The 俯瞰図 of one platform of ``pref`` (data from :func:`workbench.overview.overview`)."""
    from ..overview import overview

    return overview_figure(overview(pref, platform_id, **kwargs))
