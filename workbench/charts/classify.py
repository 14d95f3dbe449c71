"""Step 1 charts (都道府県下の状況把握): platform counts and the municipalities by population and platform use.

Every builder takes results computed elsewhere (:func:`workbench.classify.classify`, the prefecture file and
the census table of :mod:`workbench.reference`) and returns a ``plotly.graph_objects.Figure``; none shows it.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from .. import reference
from ..text import plain
from . import JA_FONT, apply_template, figure
from .plaintext import plain_labels

COUNT_LABELS = {
    "auth": "個人認証サービス",
    "non_personal": "非パーソナル基盤",
    "personal": "パーソナル基盤",
}
COUNT_COLOURS = {"auth": "#9467bd", "non_personal": "#1f77b4", "personal": "#d62728"}
NO_PLATFORM = "利用なし"
NO_PLATFORM_COLOUR = "#c7c7c7"
PLATFORM_PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


def base_layout(title: str, height: int = 360) -> dict:
    """The layout every workbench chart shares: Japanese font, compact margins (the white template is set by
    :func:`workbench.charts.apply_template`)."""
    return {
        "title": {"text": title, "x": 0.01, "xanchor": "left"},
        "font": {"family": JA_FONT, "size": 13},
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
    }


@plain_labels
def counts_figure(classification) -> go.Figure:
    """Bar chart of running platforms by component (guide 3.5 Step1フロー: counted separately).

    Parameters
    ----------
    classification : workbench.classify.Classification
        The Step 1 result; its ``counts`` are drawn.
    """
    counts = classification.counts.model_dump()
    keys = list(COUNT_LABELS)
    top = max([*counts.values(), 1])
    bar = {
        "type": "bar",
        "x": [COUNT_LABELS[k] for k in keys],
        "y": [counts[k] for k in keys],
        "marker": {"color": [COUNT_COLOURS[k] for k in keys]},
        "text": [f"{counts[k]} 件" for k in keys],
        "textposition": "outside",
        "hovertemplate": "%{x}: %{y} 件<extra></extra>",
        "name": "基盤数",
    }
    layout = {
        **base_layout(f"{classification.prefecture.name}の基盤数（運用中）", 320),
        "yaxis": {"title": {"text": "件数"}, "dtick": 1, "range": [0, top + 1]},
    }
    return apply_template(figure({"data": [bar], "layout": layout}))


def municipality_use_frame(pref) -> pd.DataFrame:
    """One row per municipality of the prefecture, then one per member of another prefecture (``outside``
    True, name marked 外部の団体; guide 1.2 (3)): code, name, 2020 population and the running platforms it
    uses (names joined by "・", or :data:`NO_PLATFORM`), sorted by population, largest first.

    Uses :meth:`Prefecture.users_of`, the same rule the classification uses; population from
    :data:`workbench.reference.POPULATION_SOURCE`.
    """
    from ..geo import platform_users

    munis = reference.municipalities_of(pref.code)[["code", "name", "population_2020"]].copy()
    use = platform_users(pref)
    outside = [c for c in use if pref.is_outside(c)]
    munis["outside"] = False
    if outside:
        allm = reference.municipalities().set_index("code")
        extra = pd.DataFrame(
            {
                "code": outside,
                "name": [pref.municipality_label(c) for c in outside],
                "population_2020": [int(allm.loc[c, "population_2020"]) for c in outside],
                "outside": True,
            }
        )
        munis = pd.concat([munis, extra], ignore_index=True)
    munis["platforms"] = [("・".join(use[c]) if c in use else NO_PLATFORM) for c in munis["code"]]
    munis["n_platforms"] = [len(use.get(c, [])) for c in munis["code"]]
    return munis.sort_values("population_2020", ascending=False).reset_index(drop=True)


@plain_labels
def municipalities_figure(pref, top: int = 30) -> go.Figure:
    """Horizontal bars: the ``top`` most populous municipalities, coloured by the platform(s) they use.

    Parameters
    ----------
    pref : workbench.inventory.Prefecture
    top : int
        How many municipalities to show (the rest are summed in the title).
    """
    df = municipality_use_frame(pref)
    shown = df.head(top).iloc[::-1]
    groups = list(dict.fromkeys(df["platforms"]))
    groups = [g for g in groups if g != NO_PLATFORM] + ([NO_PLATFORM] if NO_PLATFORM in groups else [])
    traces = []
    for i, g in enumerate(groups):
        part = shown[shown["platforms"] == g]
        colour = NO_PLATFORM_COLOUR if g == NO_PLATFORM else PLATFORM_PALETTE[i % len(PLATFORM_PALETTE)]
        traces.append(
            {
                "type": "bar",
                "y": part["name"].tolist(),
                "x": part["population_2020"].tolist(),
                "orientation": "h",
                "name": plain(g),
                "marker": {"color": colour},
                "hovertemplate": "%{y}: %{x:,} 人<extra>%{fullData.name}</extra>",  # by name, no code
            }
        )
    inside = df[~df["outside"]]
    using = int((inside["n_platforms"] > 0).sum())
    pop_using = int(inside.loc[inside["n_platforms"] > 0, "population_2020"].sum())
    pop_all = int(inside["population_2020"].sum())
    n_out = int(df["outside"].sum())
    title = (
        f"市区町村の人口と基盤の利用（{using}/{len(inside)} 団体が利用、人口の {pop_using / pop_all:.0%}"
        + (f"、ほか外部の団体 {n_out}" if n_out else "")
        + "）"
        if pop_all
        else "市区町村の人口と基盤の利用"
    )
    layout = {
        **base_layout(title, max(380, 18 * len(shown) + 160)),
        "barmode": "stack",
        "yaxis": {"categoryorder": "array", "categoryarray": shown["name"].tolist()},
        "xaxis": {"title": {"text": "人口（2020年国勢調査）"}, "tickformat": ","},
        "legend": {
            "title": {"text": "利用する基盤"},
            "orientation": "h",
            "x": 0,
            "y": 1.0,
            "yanchor": "bottom",
        },
        "margin": {"l": 110, "r": 20, "t": 90, "b": 90},
        "annotations": [
            {
                "text": "出典：総務省統計局「令和2年国勢調査」を加工して作成",
                "xref": "paper",
                "yref": "paper",
                "x": 1,
                "y": 0,
                "yanchor": "top",
                "yshift": -48,
                "showarrow": False,
                "font": {"size": 10, "color": "#666"},
                "xanchor": "right",
            }
        ],
    }
    # built at once from plain dicts (plotly's update_layout / add_trace cost more than the chart)
    return apply_template(figure({"data": traces, "layout": layout}))


@plain_labels
def issues_figure(classification) -> go.Figure:
    """Issue counts by platform and severity (the 課題リスト at a glance)."""
    df = classification.issues_frame()
    order = ["高", "中", "低"]
    colours = {"高": "#d62728", "中": "#ff7f0e", "低": "#7f7f7f"}
    fig = go.Figure()
    platforms = list(dict.fromkeys(df["基盤"])) if len(df) else []
    for sev in order:
        part = df[df["重要度"] == sev]
        counts = [int((part["基盤"] == p).sum()) for p in platforms]
        fig.add_trace(
            go.Bar(x=[plain(p) for p in platforms], y=counts, name=f"重要度 {sev}", marker_color=colours[sev])
        )
    apply_template(fig).update_layout(**base_layout(f"課題リスト（{len(df)} 件）", 300))
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text="件数", dtick=1)
    return fig
