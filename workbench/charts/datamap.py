"""Figures of the データマップ (workbench.datamap): the flow diagram (who holds the data → data → platform →
services, guidebook 11.2 図24), the field × field matrix of realised and candidate links, and standard-model
coverage per platform. Builders return ``go.Figure``; they draw a :class:`~workbench.datamap.DataMapResult` and
compute no domain results."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go

from ..staff import source_ja
from ..text import plain
from . import JA_FONT
from .plaintext import plain_labels

if TYPE_CHECKING:  # pragma: no cover
    from ..datamap import DataMapResult

SOURCE = "データマップ作成フォーマット; guidebook 11.2（図24）; your input（データマップ）"
# one colour per field of data/datamap_fields.csv (plotly's qualitative palette), grey for unknown
FIELD_COLOURS = {
    "disaster": "#d62728",
    "tourism": "#ff7f0e",
    "childcare": "#e377c2",
    "education": "#bcbd22",
    "mobility": "#1f77b4",
    "health": "#2ca02c",
    "administration": "#8c564b",
    "resident": "#9467bd",
    "commerce": "#17becf",
    "cross": "#393b79",
    "other": "#7f7f7f",
}
MAX_NODES = 80  # above this many data nodes, data are grouped by field so the diagram stays readable


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def _colour(field: str | None) -> str:
    return FIELD_COLOURS.get(field or "", "#9e9e9e")


def _empty(title: str, text: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(
        title={"text": title, "x": 0.01},
        font={"family": JA_FONT},
        height=240,
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[
            {"text": text, "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5, "showarrow": False}
        ],
    )
    return fig


def _middle(res: DataMapResult, f: Any) -> tuple[str, str, int, str, str]:
    """The middle column of a flow: its platform, 基盤を経由しない取込, or 経路不明 (提供先サービス blank)."""
    if f.route == "platform" and f.platform:
        pname = plain(res.platform_name(f.platform))
        return f"platform:{f.platform}", pname, 2, "#0017b6", f"基盤 {pname}"
    if f.route == "unknown":
        return "unknown", "経路不明", 2, "#9e9e9e", "提供先サービスの記載がなく、基盤経由か直接か分からない"
    return "direct", "基盤を経由しない取込", 2, "#b00020", "基盤を経由しない個別の取込"


@plain_labels
def flow_figure(res: DataMapResult, platform: str | None = None) -> go.Figure:
    """The flow diagram as a sankey: 所管元・提供元サービス → データ → 基盤（または個別の取込）→ サービス, coloured
    by the field of the data; ``platform`` limits it to the flows through one platform."""
    from ..inventory.datamap import field_label

    flows = [f for f in res.flows if platform is None or f.platform == platform]
    title = f"{res.prefecture.name} データの流れ" + (
        f"（{plain(res.platform_name(platform))}）" if platform else ""
    )
    if not flows:
        return _empty(
            title,
            "データマップに流れがありません"
            if res.has_data_map
            else "この都道府県ファイルにはデータマップがありません",
        )
    names = {s.id: s.name for s in res.services}
    group = len({f.source for f in flows}) > MAX_NODES
    nodes: dict[str, tuple[str, int, str, str]] = {}  # id -> (label, column, colour, hover)

    def node(nid: str, label: str, col: int, colour: str, hover: str = "") -> str:
        nodes.setdefault(nid, (label, col, colour, hover or label))
        return nid

    links: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [0, "", ""])
    for f in flows:
        colour = _colour(f.data_field)
        if group:
            data = node(f"field:{f.data_field}", f"{field_label(f.data_field)}のデータ", 1, colour)
        else:
            data = node(
                f"data:{f.source}", f.data, 1, colour, f"{f.data}<br>分野: {field_label(f.data_field)}"
            )
        origin_label = f.owner or "所管元不明"
        origin = node(
            f"origin:{f.from_service or origin_label}",
            names.get(f.from_service or "", origin_label),
            0,
            "#bdbdbd",
            ("提供元サービス: " if f.from_service else "所管元: ")
            + names.get(f.from_service or "", origin_label),
        )
        mid = node(*_middle(res, f))
        target = res.target_name(f)
        svc = node(
            f"{f.target_kind}:{f.service}",
            target,
            3,
            _colour(f.service_field),
            f"{target}<br>分野: {field_label(f.service_field)}",
        )
        for a, b in ((origin, data), (data, mid), (mid, svc)):
            link = links[(a, b)]
            link[0] += 1
            link[1] = colour
            link[2] = "分野をまたぐ" if f.cross_field else ""
    ids = list(nodes)
    index = {n: i for i, n in enumerate(ids)}
    per_col: dict[int, list[int]] = defaultdict(list)
    for i, n in enumerate(ids):
        per_col[nodes[n][1]].append(i)
    xs = [0.01 + 0.98 * nodes[n][1] / 3 for n in ids]
    ys = [0.5] * len(ids)
    for ks in per_col.values():
        for j, k in enumerate(ks):
            ys[k] = 0.01 + 0.98 * (j + 0.5) / len(ks) if len(ks) > 1 else 0.5
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={
                "label": [nodes[n][0] for n in ids],
                "color": [nodes[n][2] for n in ids],
                "x": xs,
                "y": ys,
                "pad": 10,
                "thickness": 14,
                "customdata": [nodes[n][3] for n in ids],
                "hovertemplate": "%{customdata}<extra></extra>",
            },
            link={
                "source": [index[a] for a, _ in links],
                "target": [index[b] for _, b in links],
                "value": [v[0] for v in links.values()],
                "color": [_rgba(v[1], 0.35) for v in links.values()],
                "customdata": [v[2] for v in links.values()],
                "hovertemplate": "%{source.label} → %{target.label}<br>%{value} 件 %{customdata}<extra></extra>",
            },
        )
    )
    legend = "　".join(
        f"<span style='color:{c}'>■</span> {field_label(k)}"
        for k, c in FIELD_COLOURS.items()
        if any(f.data_field == k or f.service_field == k for f in flows)
    )
    fig.update_layout(
        title={"text": title + "（所管元・提供元 → データ → 基盤 → サービス）", "x": 0.01},
        font={"family": JA_FONT, "size": 12},
        height=max(420, 20 * max(len(v) for v in per_col.values()) + 160),
        margin={"l": 20, "r": 20, "t": 60, "b": 90},
        annotations=[
            {
                "text": f"データの分野: {legend}"
                + ("（データは分野ごとにまとめて表示）" if group else "")
                + f"<br>出典: {source_ja(SOURCE)}",
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": -0.04,
                "yanchor": "top",
                "xanchor": "left",
                "showarrow": False,
                "align": "left",
                "font": {"size": 10, "color": "#555"},
            }
        ],
    )
    fig.layout.meta = {"source": SOURCE, "platform": platform}
    return fig


@plain_labels
def field_matrix_figure(res: DataMapResult) -> go.Figure:
    """データの分野 × サービスの分野: realised flows (colour) and the guidebook 11.3 matrix's candidates (text)."""
    from ..datamap import field_order
    from ..inventory.datamap import field_label

    cand: dict[tuple[str, str], int] = defaultdict(int)
    for c in res.candidates:
        if c.data_field:
            cand[(c.data_field, c.service_field)] += 1
    fields = sorted(
        {f for row in res.matrix for f in [row, *res.matrix[row]]} | {x for k in cand for x in k},
        key=field_order,
    )
    title = "分野 × 分野：実現している流れと連携候補"
    if not fields:
        return _empty(title, "分野の分かる流れがありません")
    z, text = [], []
    for a in fields:
        zr, tr = [], []
        for b in fields:
            n = res.matrix.get(a, {}).get(b, 0)
            k = cand.get((a, b), 0)
            zr.append(n)
            tr.append((str(n) if n else "") + (f"<br>候補 {k}" if k else ""))
        z.append(zr)
        text.append(tr)
    labels = [field_label(f) for f in fields]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=labels,
            y=labels,
            text=text,
            texttemplate="%{text}",
            colorscale="Blues",
            hovertemplate="%{y} のデータ → %{x} のサービス<br>流れ %{z} 件<extra></extra>",
            colorbar={"title": {"text": "流れ"}},
            xgap=2,
            ygap=2,
        )
    )
    fig.update_layout(
        title={"text": title + "（対角線の外が分野をまたぐ流れ）", "x": 0.01},
        font={"family": JA_FONT},
        xaxis={"title": "サービスの分野", "tickangle": -30},
        yaxis={"title": "データの分野", "autorange": "reversed"},
        height=260 + 36 * len(fields),
        margin={"l": 140, "b": 120},
    )
    fig.layout.meta = {"source": "guide 4; guidebook 11.3（候補）; your input"}
    return fig


@plain_labels
def coverage_figure(res: DataMapResult) -> go.Figure:
    """Per platform: data assets with a standard model declared / not declared, and those whose model is only
    announced (防災) or planned (guidebook 10.3; データモデル実践ガイドライン)."""
    title = "標準データモデルへの準拠（基盤ごと）"
    if not res.coverage:
        return _empty(title, "基盤に接続されたデータアセットがデータマップにありません")
    ps = [plain(res.platform_name(c.platform)) for c in res.coverage]
    fig = go.Figure()
    for name, values, colour in (
        ("準拠と申告", [c.declared for c in res.coverage], "#2ca02c"),
        ("標準モデルがあるのに独自・不明", [c.with_model - c.declared for c in res.coverage], "#d62728"),
        ("標準モデルが予告・策定予定", [c.announced_only for c in res.coverage], "#ffbb78"),
        (
            "当てはまる標準モデルなし",
            [c.assets - c.with_model - c.announced_only for c in res.coverage],
            "#c7c7c7",
        ),
    ):
        fig.add_bar(
            name=name,
            y=ps,
            x=values,
            orientation="h",
            marker_color=colour,
            hovertemplate="%{y}: %{x} 件<extra>" + name + "</extra>",
        )
    fig.update_layout(
        title={"text": title, "x": 0.01},
        barmode="stack",
        font={"family": JA_FONT},
        # whole assets: no 0.5 ticks when there are few
        xaxis={
            "title": "データアセット（件）",
            **({"dtick": 1} if max(c.assets for c in res.coverage) <= 10 else {}),
        },
        height=230 + 50 * len(ps),
        # above the bars: below them it covered the axis title when there was one platform
        legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
        margin={"l": 140, "t": 90},
    )
    fig.layout.meta = {
        "source": "guidebook 10.3; データモデル実践ガイドライン（初版）; data/standard_models.csv"
    }
    return fig
