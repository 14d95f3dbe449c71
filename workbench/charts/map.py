"""Offline maps: the municipalities of a prefecture at their location, sized by population and coloured by what
the view is about, and the 47 prefectures coloured by today's type.

Drawn with ``go.Scatter`` on plain longitude/latitude axes (latitude scaled by 1/cos φ so shapes keep their
proportions): no tile server, no map style, no topojson that plotly would fetch from a CDN. The geometry is the
one shipped in data/ (:mod:`workbench.geo`); the per-municipality figures come from the view frames there
(:func:`workbench.geo.use_frame`, :func:`~workbench.geo.cost_frame`, :func:`~workbench.geo.auth_frame`,
:func:`~workbench.geo.national_frame`). Builders return a ``go.Figure`` and never show it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd
import plotly.graph_objects as go

from .. import geo, reference
from ..text import plain
from . import JA_FONT, figure
from .classify import NO_PLATFORM_COLOUR, PLATFORM_PALETTE
from .plaintext import plain_labels

#: municipalities farther than this share of the outline box's larger side (at least FAR_MIN degrees) from the
#: prefecture's outline are shown on the map's edge (far islands: 伊豆諸島, 対馬, 先島 …)
FAR, FAR_MIN = 0.5, 0.35
MAX_MARKER_PX = 42
OUTLINE_FILL, OUTLINE_LINE = "#fbfaf5", "#8c8c8c"
NEIGHBOUR_FILL, NEIGHBOUR_LINE = "#f0f0f0", "#d0d0d0"
OUTSIDE_SYMBOL = "diamond"
GAP_COLOURS = {
    "不足なし": "#1a9850",
    "1段階不足": "#fdae61",
    "2段階以上不足": "#d73027",
    "サインインが必要なサービスなし": "#9ecae1",
    geo.NO_PLATFORM: NO_PLATFORM_COLOUR,
}
# share ÷ stand-alone: green well below 1, yellow towards 1, red above 1 (better off alone)
RATIO_SCALE = [[0.0, "#1a9850"], [0.45, "#a6d96a"], [0.75, "#fee08b"], [0.8333, "#f46d43"], [1.0, "#a50026"]]
RATIO_MAX = 1.2
TYPE_COLOURS = {
    "1": ["#fdd0a2", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603"],
    "2": ["#c6dbef", "#9ecae1", "#6baed6", "#2171b5", "#74c476", "#31a354", "#9e9ac8", "#756bb1"],
}
SOURCES = f"{reference.POPULATION_SOURCE}<br>{geo.GEO_SOURCE}"


def _rings_xy(rings: Iterable[pd.DataFrame], shift: tuple[float, float] = (0.0, 0.0)) -> tuple[list, list]:
    xs: list[float | None] = []
    ys: list[float | None] = []
    for ring in rings:
        xs += [round(x + shift[0], 4) for x in ring["lon"]] + [None]
        ys += [round(y + shift[1], 4) for y in ring["lat"]] + [None]
    return xs, ys


def _outline_trace(rings: list[pd.DataFrame], fill: str, line: str, name: str, width: float = 1.0) -> dict:
    xs, ys = _rings_xy(rings)
    return {
        "type": "scatter",
        "x": xs,
        "y": ys,
        "mode": "lines",
        "fill": "toself",
        "fillcolor": fill,
        "line": {"color": line, "width": width},
        "hoverinfo": "skip",
        "showlegend": False,
        "name": name,
    }


def map_box(code: str, df: pd.DataFrame) -> tuple[float, float, float, float]:
    ring = geo.prefecture_outline(code)
    x0, x1, y0, y1 = ring.lon.min(), ring.lon.max(), ring.lat.min(), ring.lat.max()
    own = df[~df["outside"]]
    far = max(FAR_MIN, FAR * max(x1 - x0, y1 - y0))
    near = own[own["lon"].between(x0 - far, x1 + far) & own["lat"].between(y0 - far, y1 + far)]
    if len(near):
        x0, x1 = min(x0, near.lon.min()), max(x1, near.lon.max())
        y0, y1 = min(y0, near.lat.min()), max(y1, near.lat.max())
    px, py = (x1 - x0) * 0.04 + 0.02, (y1 - y0) * 0.04 + 0.02
    return x0 - px, x1 + px, y0 - py, y1 + py


def _edge(x: float, y: float, box: tuple[float, float, float, float]) -> tuple[float, float]:
    """Where the line from the box's centre towards (x, y) leaves the box (slightly inside)."""
    x0, x1, y0, y1 = box
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    dx, dy = x - cx, y - cy
    t = min(
        ((x1 - cx) / dx if dx > 0 else (x0 - cx) / dx) if dx else math.inf,
        ((y1 - cy) / dy if dy > 0 else (y0 - cy) / dy) if dy else math.inf,
    )
    t *= 0.96
    return cx + dx * t, cy + dy * t


def _hover(df: pd.DataFrame) -> list[list]:
    return [
        [
            plain(r.name + (f"（県外: {r.prefecture}）" if r.outside else "")),
            int(r.population),
            plain(r.detail),
        ]
        for r in df.itertuples(index=False)
    ]


HOVER = "<b>%{customdata[0]}</b><br>人口 %{customdata[1]:,} 人<br>%{customdata[2]}<extra></extra>"


def placed_frame(df: pd.DataFrame, box: tuple[float, float, float, float]) -> pd.DataFrame:
    """``df`` with ``x``/``y`` (the point, or its place on the map's edge when it lies beyond) and ``edge``."""
    x0, x1, y0, y1 = box
    out = df.copy()
    inside = out["lon"].between(x0, x1) & out["lat"].between(y0, y1)
    xy = [
        (r.lon, r.lat) if ok else _edge(r.lon, r.lat, box)
        for r, ok in zip(out.itertuples(index=False), inside, strict=True)
    ]
    out["x"] = [round(p[0], 4) for p in xy]
    out["y"] = [round(p[1], 4) for p in xy]
    out["edge"] = ~inside
    return out


def _points(
    part: pd.DataFrame, name: str, sizeref: float, *, colour: str | None = None, legend: bool = True, **marker
) -> dict:
    symbols = [
        OUTSIDE_SYMBOL if o else ("triangle-right" if e else "circle")
        for o, e in zip(part["outside"], part["edge"], strict=True)
    ]
    m = {
        "size": part["population"].clip(lower=1).tolist(),
        "sizemode": "area",
        "sizeref": sizeref,
        "sizemin": 4,
        "symbol": symbols,
        "line": {"color": ["#222" if o else "#ffffff" for o in part["outside"]], "width": 1},
        "opacity": 0.9,
    }
    if colour is not None:
        m["color"] = colour
    m.update(marker)
    return {
        "type": "scatter",
        "x": part["x"].tolist(),
        "y": part["y"].tolist(),
        "mode": "markers",
        "name": plain(f"{name}（{len(part)}）"),
        "marker": m,
        "customdata": _hover(part),
        "hovertemplate": HOVER,
        "showlegend": legend,
    }


def _layout(title: str, box: tuple[float, float, float, float], height: int, notes: list[str]) -> dict:
    """The map's layout as a plain dict (the figure is built once from it: plotly's ``update_layout`` and
    ``add_annotation`` cost more than the map itself)."""
    x0, x1, y0, y1 = box
    ratio = 1 / math.cos(math.radians((y0 + y1) / 2))
    axis = {"visible": False, "showgrid": False, "zeroline": False, "fixedrange": False}
    return {
        "title": {"text": title, "x": 0.01, "xanchor": "left"},
        "font": {"family": JA_FONT, "size": 12},
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 60, "b": 70},
        "plot_bgcolor": "#e8f1f8",
        "paper_bgcolor": "white",
        "xaxis": {**axis, "range": [x0, x1], "constrain": "domain"},
        "yaxis": {**axis, "range": [y0, y1], "scaleanchor": "x", "scaleratio": ratio, "constrain": "domain"},
        "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom", "font": {"size": 11}},
        "hoverlabel": {"font": {"family": JA_FONT}},
        "dragmode": "pan",
        "annotations": [
            {
                "text": "<br>".join([*notes, SOURCES]),
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": 0,
                "yanchor": "top",
                "yshift": -6,
                "xanchor": "left",
                "align": "left",
                "showarrow": False,
                "font": {"size": 9, "color": "#666"},
            }
        ],
    }


def _base(code: str) -> list[dict]:
    rings = [geo.prefecture_outline(c) for c in geo.neighbours(code)]
    traces = [_outline_trace(rings, NEIGHBOUR_FILL, NEIGHBOUR_LINE, "隣接県", 0.6)] if rings else []
    traces.append(_outline_trace([geo.prefecture_outline(code)], OUTLINE_FILL, OUTLINE_LINE, "県境", 1.2))
    return traces


@plain_labels
def municipal_map(
    df: pd.DataFrame,
    pref_code: str,
    title: str,
    *,
    colours: dict[str, str] | None = None,
    order: list[str] | None = None,
    ratio_groups: Iterable[str] = (),
    height: int = 560,
) -> go.Figure:
    """A prefecture's municipalities at their location, sized by population, coloured by ``df["group"]``.

    Parameters
    ----------
    df : pandas.DataFrame
        A view frame of :mod:`workbench.geo` (columns :data:`workbench.geo.FRAME_COLUMNS`).
    pref_code : str
        The prefecture whose outline frames the map; its neighbours are drawn light for orientation.
    colours : dict, optional
        Colour of each group; groups without one get the platform palette in order.
    order : list, optional
        Legend order of the groups (default: as they appear, :data:`workbench.geo.NO_PLATFORM` and
        :data:`workbench.geo.NOT_MEMBER` last).
    ratio_groups : iterable of str
        Groups coloured by ``df["value"]`` on the share ÷ stand-alone scale instead of one colour (cost view).

    Municipalities beyond the map (far islands, members from another prefecture) are drawn on its edge in
    their direction: ▶ for the prefecture's own, ◆ for another prefecture's; the hover says which.
    """
    box = map_box(pref_code, df)
    placed = placed_frame(df, box)
    own = placed[~placed["outside"]]
    sizeref = 2.0 * max(float(own["population"].max() if len(own) else 1), 1.0) / (MAX_MARKER_PX**2)
    traces = _base(pref_code)
    groups = list(dict.fromkeys(placed["group"]))
    last = [g for g in (geo.NO_PLATFORM, geo.NOT_MEMBER) if g in groups]
    groups = order or ([g for g in groups if g not in last] + last)
    colours = dict(colours or {})
    ratio_groups = set(ratio_groups)
    k = 0
    shown_bar = False
    for g in groups:
        part = placed[placed["group"] == g]
        if part.empty:
            continue
        if g in ratio_groups:
            traces.append(
                _points(
                    part,
                    g,
                    sizeref,
                    color=[min(v, RATIO_MAX) for v in part["value"]],
                    cmin=0,
                    cmax=RATIO_MAX,
                    colorscale=RATIO_SCALE,
                    showscale=not shown_bar,
                    colorbar={
                        "title": {"text": "負担÷単独", "side": "top"},
                        "tickvals": [0, 0.25, 0.5, 0.75, 1.0, RATIO_MAX],
                        "ticktext": ["0%", "25%", "50%", "75%", "100%", f"{RATIO_MAX:.0%}以上"],
                        "len": 0.6,
                        "thickness": 12,
                    },
                )
            )
            shown_bar = True
            continue
        colour = colours.get(g)
        if colour is None:
            colour = PLATFORM_PALETTE[k % len(PLATFORM_PALETTE)]
            k += 1
        traces.append(_points(part, g, sizeref, colour=colour))
    notes = []
    far = placed[placed["edge"]]
    if len(far):
        notes.append(
            "地図の外: "
            + "、".join(
                (f"◆{r.name}（{r.prefecture}）" if r.outside else f"▶{r.name}")
                for r in far.head(12).itertuples(index=False)
            )
            + ("ほか" if len(far) > 12 else "")
            + "（方向を示す位置に表示）"
        )
    outside = placed[placed["outside"]]
    if len(outside) and len(outside) != len(far[far["outside"]]):
        notes.append("◆ 県外の団体")
    notes.append("円の面積は人口に比例")
    layout = _layout(title, box, height, notes)
    layout["meta"] = {"source": SOURCES.replace("<br>", "; "), "prefecture": pref_code}
    return figure({"data": traces, "layout": layout})


@plain_labels
def use_map(pref) -> go.Figure:
    """県の全体像: each municipality coloured by the running platform(s) it uses (:func:`workbench.geo.use_frame`)."""
    df = geo.use_frame(pref)
    using = df[df["group"] != geo.NO_PLATFORM]
    pop = df.loc[~df["outside"], "population"].sum()
    share = using.loc[~using["outside"], "population"].sum() / pop if pop else 0
    title = f"{pref.name}の市区町村と利用する基盤（{len(using)}/{len(df)} 団体、人口の {share:.0%}）"
    return municipal_map(df, pref.code, title, colours={geo.NO_PLATFORM: NO_PLATFORM_COLOUR})


@plain_labels
def cost_map(pref, allocation) -> go.Figure:
    """費用負担: members coloured by share ÷ stand-alone cost, non-members grey, other prefectures' members ◆
    (:func:`workbench.geo.cost_frame`)."""
    df = geo.cost_frame(pref, allocation)
    members = df[df["group"] != geo.NOT_MEMBER]
    worse = int((members["group"] == "単独より高い").sum())
    title = (
        f"参加団体の負担と単独の費用（{allocation.rule_label}、参加 {len(members)} 団体"
        + (f"、うち単独より高い {worse} 団体" if worse else "")
        + "）"
    )
    return municipal_map(
        df,
        pref.code,
        title,
        colours={geo.NOT_MEMBER: NO_PLATFORM_COLOUR},
        order=["単独より安い", "単独より高い", geo.NOT_MEMBER],
        ratio_groups=["単独より安い", "単独より高い"],
    )


@plain_labels
def auth_map(pref, match) -> go.Figure:
    """認証レベル: each municipality coloured by the largest level gap of the services it can use
    (:func:`workbench.geo.auth_frame`)."""
    df = geo.auth_frame(pref, match)
    short = int(df["group"].isin(["1段階不足", "2段階以上不足"]).sum())
    title = f"市区町村から使うサービスの認証レベル（{match.on.isoformat()} 時点、不足のある団体 {short}）"
    return municipal_map(df, pref.code, title, colours=GAP_COLOURS, order=geo.GAP_GROUPS)


# Okinawa drawn in a box to the north-west, as Japanese national maps do (japanmap's own shift)
OKINAWA, OKINAWA_SHIFT = "47", (4.5, 5.0)


def _type_colour(group: str, seen: dict[str, str]) -> str:
    if group not in seen:
        major = group[1:2]
        pal = TYPE_COLOURS.get(major, ["#bdbdbd"])
        used = sum(1 for g in seen if g[1:2] == major)
        seen[group] = pal[used % len(pal)]
    return seen[group]


@plain_labels
def national_map(summary: pd.DataFrame) -> go.Figure:
    """The 47 prefectures coloured by today's type (:func:`workbench.geo.national_frame`), 沖縄県 inset."""
    df = geo.national_frame(summary)
    traces: list[dict] = []
    seen: dict[str, str] = {}
    for g in sorted(dict.fromkeys(df["group"])):
        codes = df.loc[df["group"] == g, "code"].tolist()
        xs: list = []
        ys: list = []
        for c in codes:
            x, y = _rings_xy([geo.prefecture_outline(c)], OKINAWA_SHIFT if c == OKINAWA else (0.0, 0.0))
            xs += x
            ys += y
        traces.append(
            {
                "type": "scatter",
                "x": xs,
                "y": ys,
                "mode": "lines",
                "fill": "toself",
                "fillcolor": _type_colour(g, seen),
                "line": {"color": "#ffffff", "width": 0.6},
                "name": f"{g}（{len(codes)}）",
                "hoverinfo": "skip",
            }
        )
    pts = df.copy()
    pts.loc[pts["code"] == OKINAWA, "lon"] += OKINAWA_SHIFT[0]
    pts.loc[pts["code"] == OKINAWA, "lat"] += OKINAWA_SHIFT[1]
    traces.append(
        {
            "type": "scatter",
            "x": pts["lon"].round(4).tolist(),
            "y": pts["lat"].round(4).tolist(),
            "mode": "markers",
            "marker": {"size": 7, "color": "rgba(0,0,0,0.25)"},
            "customdata": [[r.name, int(r.population), r.detail] for r in pts.itertuples(index=False)],
            "hovertemplate": HOVER,
            "showlegend": False,
            "name": "都道府県",
        }
    )
    ox, oy = OKINAWA_SHIFT
    n_syn = int(summary["synthetic"].sum()) if "synthetic" in summary else 0
    box = (128.3, 146.2, 30.5, 45.8)
    layout = _layout(
        "全国地図：都道府県ごとの今の型",
        box,
        720,
        [
            f"うち合成データ {n_syn} 県（サンプルのない県は実在しない基盤で試算）",
            "沖縄県は左上の枠内に移して表示",
        ],
    )
    layout["legend"] = {"orientation": "v", "x": 0.0, "y": 0.98, "yanchor": "top"}
    layout["shapes"] = [
        {
            "type": "rect",
            "x0": 127.5 + ox,
            "x1": 128.45 + ox,
            "y0": 26.0 + oy,
            "y1": 27.0 + oy,
            "line": {"color": "#999", "width": 1, "dash": "dot"},
        }
    ]
    layout["meta"] = {"source": SOURCES.replace("<br>", "; ")}
    return figure({"data": traces, "layout": layout})
