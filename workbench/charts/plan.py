"""Step 2 and Step 3 charts: the type flowchart with the path taken, the survey's purposes and challenges,
and the Gantt chart of the action plan.

Builders draw results computed elsewhere (:func:`workbench.classify.classify`, :func:`workbench.plan.vision`,
:func:`workbench.plan.action_plan`); the flowchart's structure (nodes and edges) is read from the reference
data (data/type_paths.csv, data/pattern_flow.yaml). Each returns a ``go.Figure`` and never shows it; the
figure's ``layout.meta`` carries what it highlights and its source.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .. import reference
from ..classify import pattern_text
from ..staff import source_ja
from ..text import plain
from . import JA_FONT, apply_template, figure
from .plaintext import plain_labels

HIGHLIGHT = "#d62728"
FAINT = "#c8c8c8"
EDGE_ON, EDGE_OFF = "道筋の矢印", "型の移行（参考）"
SOURCE_GANTT = (
    "guide 3.1 Step3; 3.3（data/considerations.csv）; ガイドブック第3.0版 8.2 パターン別の取組事項; "
    "課題リスト（Step 1）の重要度「高」; 期間・依存は workbench 既定"
)
SOURCE_FLOW = "ガイドブック第3.0版 7.1・7.2（型1.x/2.x）と 8.2（共同利用パターン検討フロー）"
SOURCE_SURVEY = "guide 2.4（目的）, 2.8（直面した課題）: ヒアリング10団体の回答数（data/survey_counts.csv）"


def _wrap(text: str, width: int = 70) -> str:
    """A long note on several lines (at ``；`` where possible) so that it never runs off the chart."""
    lines, cur = [], ""
    for part in text.split("；"):
        piece = part if not cur else "；" + part
        if cur and len(cur) + len(piece) > width:
            lines.append(cur + "；")
            cur = part
        else:
            cur += piece
    lines.append(cur)
    return "<br>".join(lines)


def _layout(title: str, height: int, source: str) -> dict[str, Any]:
    return {
        "title": {"text": title, "x": 0.01, "xanchor": "left"},
        "font": {"family": JA_FONT, "size": 12},
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 60, "b": 130},
        "annotations": [
            {
                "text": _wrap(f"出典: {source_ja(source)}"),
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": 0,
                "yshift": -74,  # below the tick labels and the axis title, never on them
                "yanchor": "top",
                "xanchor": "left",
                "showarrow": False,
                "font": {"size": 10, "color": "#666"},
            }
        ],
    }


# --- type flowchart -------------------------------------------------------------------------------------

# positions: 1.x on the left, the patterns in the middle, 2.x left to right along the paths to 2.4
_POS: dict[str, tuple[float, float]] = {
    "1.1": (0, 6),
    "1.2": (0, 5),
    "1.3": (0, 4),
    "1.4": (0, 3),
    "1.5": (0, 2),
    "1.x×n": (0, 0.5),
    "A": (1, 6),
    "B": (1, 4.8),
    "D": (1, 3.4),
    "C": (1, 1.2),
    "link": (1, 0.2),
    "2.1": (2, 6),
    "2.3": (2, 4.5),
    "2.5": (2, 2.2),
    "2.7": (2, 0.4),
    "2.2": (3, 5.4),
    "2.6": (3, 2.2),
    "2.8": (3, 0.8),
    "2.4": (4, 3.4),
}
_MULTI = "1.x×n"


def flow_structure() -> tuple[list[str], list[tuple[str, str]]]:
    """Nodes and edges of the type flowchart: 1.x → pattern (each pattern's ``from`` in
    data/pattern_flow.yaml, guidebook 第3.0版 8.2), pattern → its after-types, and the transitions between 2.x
    (data/type_paths.csv)."""
    flow = reference.yaml_table("pattern_flow.yaml")
    edges: list[tuple[str, str]] = []
    for p, info in flow["patterns"].items():
        edges += [(str(t), p) for t in info.get("from", [])]
    for p, info in flow["patterns"].items():
        for t in info["after"]:
            edges.append((p, str(t)))
    for r in reference.table("type_paths.csv").to_dict("records"):
        edges.append((str(r["from"]), str(r["to"])))
    return list(_POS), edges


def _node_label(n: str, flow: dict) -> str:
    if n == _MULTI:
        return "複数の基盤"
    if n in flow["patterns"]:
        return f"{n if len(n) == 1 else ''} {flow['patterns'][n]['label_ja']}".strip()
    return f"型{n}"


Segment = tuple[tuple[float, float], tuple[float, float]]


def _highlighted(
    current_nodes: list[str], pattern: str, types: list[str]
) -> tuple[list[tuple[str, str]], set[str]]:
    """The edges and nodes of the path taken: from today's 1.x through the pattern to the 2.x types, or along
    the 2.x types when shared use has begun."""
    if not current_nodes[0].startswith("1."):
        return list(zip(types, types[1:], strict=False)), {*current_nodes, *types}
    many = len(current_nodes) > 1
    starts = [*current_nodes, _MULTI] if many else current_nodes
    hl_edges = [(s, pattern) for s in ([_MULTI] if many else current_nodes)]
    tail = [t for t in types if t.startswith("2.")]
    if tail:
        hl_edges.append((pattern, tail[0]))
    hl_edges += list(zip(tail, tail[1:], strict=False))
    return hl_edges, {*starts, pattern, *tail}


def _arrow_segments(
    edges: list[tuple[str, str]], hl_edges: list[tuple[str, str]]
) -> dict[bool, list[Segment]]:
    """Arrows as two line traces (reference / highlighted) with arrowhead markers at their ends: one SVG path
    each, where 40 arrow annotations took Chromium ~0.3 s to draw at every update of a dashboard."""
    segments: dict[bool, list[Segment]] = {False: [], True: []}
    hl_set, edge_set = set(hl_edges), set(edges)
    # the reference structure, then highlighted edges not in it (e.g. 2.5 → 2.8 shortcuts)
    wanted = [(a, b, (a, b) in hl_set) for a, b in edges]
    wanted += [(a, b, True) for a, b in hl_edges if (a, b) not in edge_set]
    for a, b, on in wanted:
        if a in _POS and b in _POS:
            (x0, y0), (x1, y1) = _POS[a], _POS[b]
            segments[on].append(((x0 + 0.12, y0), (x1 - 0.12, y1)))
    return segments


def _node_hover(n: str, label: str, is_cur: bool) -> str:
    from ..classify import type_label  # label only; no domain computation

    hover = f"型{n} {type_label(n)}" if n.startswith(("1.", "2.")) and n != _MULTI else label
    return hover + ("（現在）" if is_cur else "")


def _node_trace(nodes: list[str], flow: dict, current_nodes: list[str], hl_nodes: set[str]) -> dict:
    """The types and patterns as markers: today's in amber, the path in red, the rest pale."""
    xs, ys, labels, colours, sizes, hovers = [], [], [], [], [], []
    for n in nodes:
        x, y = _POS[n]
        xs.append(x)
        ys.append(y)
        labels.append(_node_label(n, flow))
        is_cur = n in current_nodes or (n == _MULTI and len(current_nodes) > 1)
        colours.append("#ffbf00" if is_cur else HIGHLIGHT if n in hl_nodes else "#eef1f6")
        sizes.append(34 if n in hl_nodes or is_cur else 26)
        hovers.append(_node_hover(n, labels[-1], is_cur))
    return {
        "type": "scatter",
        "x": xs,
        "y": ys,
        "mode": "markers+text",
        "text": labels,
        "textposition": "top center",
        "hovertext": hovers,
        "hoverinfo": "text",
        "marker": {"size": sizes, "color": colours, "line": {"width": 1, "color": "#555"}},
        "name": "型・パターン",
        "showlegend": False,
    }


def _arrow_trace(segments: list[Segment], on: bool) -> dict:
    ex: list[float | None] = []
    ey: list[float | None] = []
    size: list[int] = []
    for (x0, y0), (x1, y1) in segments:
        ex += [x0, x1, None]
        ey += [y0, y1, None]
        size += [0, 11 if on else 8, 0]
    return {
        "type": "scatter",
        "x": ex,
        "y": ey,
        "mode": "lines+markers",
        "line": {"color": HIGHLIGHT if on else FAINT, "width": 3 if on else 1},
        "marker": {
            "symbol": "arrow",
            "angleref": "previous",
            "size": size,
            "color": HIGHLIGHT if on else FAINT,
        },
        "hoverinfo": "skip",
        "showlegend": False,
        "name": EDGE_ON if on else EDGE_OFF,
    }


@plain_labels
def type_flowchart(classification: Any, path: list[str] | None = None) -> go.Figure:
    """The 型 flowchart: 1.x (before) → patterns A–D / link → 2.1–2.8 (after), left to right, with today's
    type, the pattern and the path to 型2.4 highlighted.

    Parameters
    ----------
    classification : workbench.classify.Classification
        Gives ``current_type`` ("1.2+1.4" for several unshared platforms), ``pattern`` and ``path_to_goal``.
    path : list of str, optional
        Types to highlight instead of ``classification.path_to_goal`` (e.g. the vision's recommended path).
    """
    flow = reference.yaml_table("pattern_flow.yaml")
    nodes, edges = flow_structure()
    cur = classification.current_type
    pattern = classification.pattern
    types = list(path) if path is not None else [s.type for s in classification.path_to_goal]
    current_nodes = cur.split("+") if cur else []  # undetermined today (CONTRACT: null): nothing highlighted
    hl_edges, hl_nodes = _highlighted(current_nodes, pattern, types) if current_nodes else ([], set())
    segments = _arrow_segments(edges, hl_edges)
    traces = [
        _node_trace(nodes, flow, current_nodes, hl_nodes),
        {
            "type": "scatter",
            "x": [None],
            "y": [None],
            "mode": "markers",
            "marker": {"color": "#ffbf00", "size": 12},
            "name": "現在の型",
        },
        {
            "type": "scatter",
            "x": [None],
            "y": [None],
            "mode": "lines+markers",
            "line": {"color": HIGHLIGHT, "width": 3},
            "marker": {"color": HIGHLIGHT, "size": 12},
            "name": "パターンと型2.4への道筋",
        },
        *(_arrow_trace(segments[on], on) for on in (False, True)),
    ]
    layout = _layout(f"{classification.prefecture.name}: 共同利用の型と道筋", 520, SOURCE_FLOW)
    layout["annotations"] = layout["annotations"] + [
        {
            "x": x,
            "y": 6.9,
            "text": t,
            "showarrow": False,
            "font": {"size": 12, "color": "#333"},
            "xref": "x",
            "yref": "y",
        }
        for x, t in (
            (0, "共同利用前（型1.x）"),
            (1, "パターン"),
            (2.5, "共同利用後（型2.x）"),
            (4, "目指す姿"),
        )
    ]
    layout["xaxis"] = {**layout.get("xaxis", {}), "visible": False, "range": [-0.5, 4.5]}
    layout["yaxis"] = {**layout.get("yaxis", {}), "visible": False, "range": [-0.3, 7.2]}
    layout["legend"] = {"orientation": "h", "y": 0.0, "yanchor": "top", "x": 0.5, "xanchor": "left"}
    layout["meta"] = {
        "highlighted_path": types,
        "highlighted_edges": [list(e) for e in hl_edges],
        "current": cur,
        "pattern": pattern,
        "source": SOURCE_FLOW,
    }
    # built at once from plain dicts: many shapes and annotations, validation would cost more than the chart
    return apply_template(figure({"data": traces, "layout": layout}))


# --- survey counts --------------------------------------------------------------------------------------


@plain_labels
def survey_bars(vision: Any) -> go.Figure:
    """Purposes (guide 2.4) and challenges met (guide 2.8), counts out of the ten surveyed bodies; the
    vision's selected purposes highlighted.

    Parameters
    ----------
    vision : workbench.plan.VisionResult
    """
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("共同利用の目的（ガイド 2.4）", "直面した課題（ガイド 2.8）"),
        horizontal_spacing=0.28,
    )
    p = vision.purposes
    fig.add_trace(
        go.Bar(
            y=[x.label for x in p],
            x=[x.count for x in p],
            orientation="h",
            name="目的",
            marker_color=[HIGHLIGHT if x.selected else "#1f77b4" for x in p],
            text=[f"{x.count}/{x.out_of}" + ("（選択）" if x.selected else "") for x in p],
            textposition="auto",
            hovertemplate="%{y}: %{x} 団体<extra></extra>",
        ),
        row=1,
        col=1,
    )
    c = vision.challenges
    fig.add_trace(
        go.Bar(
            y=[x.label for x in c],
            x=[x.count for x in c],
            orientation="h",
            name="課題",
            marker_color="#7f7f7f",
            text=[f"{x.count}/{x.out_of}" for x in c],
            textposition="auto",
            hovertemplate="%{y}: %{x} 団体<extra></extra>",
        ),
        row=1,
        col=2,
    )
    out_of = max([x.out_of for x in [*p, *c]] or [10])
    fig.update_xaxes(range=[0, out_of], title_text="回答団体数", dtick=2)
    fig.update_yaxes(autorange="reversed")
    layout = _layout("ヒアリング10団体の回答", 360, SOURCE_SURVEY)
    layout["annotations"] = list(fig.layout.annotations) + layout["annotations"]
    apply_template(fig).update_layout(**layout, showlegend=False)
    fig.layout.meta = {"source": SOURCE_SURVEY, "selected": [x.code for x in p if x.selected]}
    return fig


# --- Gantt ----------------------------------------------------------------------------------------------


def _gantt_labels(items: list[Any], width: int = 30, numbers: dict[str, str] | None = None) -> dict[str, str]:
    """Row labels staff read: the item's number (「2-3」, :meth:`ActionPlan.numbers`) and its title shortened
    (full title on hover); an item answering a 課題リスト issue shows 「課題」 and the issue's title. Never the
    item's id: the numbers keep two rows with the same title apart."""

    def cut(text: str) -> str:
        return text[:width] + ("…" if len(text) > width else "")

    numbers = numbers or {}
    short = {
        i.id: ("課題 " + cut(i.title.split(": ", 1)[-1])) if getattr(i, "issue", None) else cut(i.title)
        for i in items
    }
    labels = {k: f"{numbers[k]} {v}" if k in numbers else v for k, v in short.items()}
    seen = list(labels.values())
    return {k: v if seen.count(v) == 1 else f"{v}（{n}）" for n, (k, v) in enumerate(labels.items(), 1)}


#: bar colours of offices named by the plan itself (担当 as free text), after the five roles' own colours
OFFICE_GREYS = ("#7f7f7f", "#8c6d31", "#5f6b7a", "#a07878", "#6b8e6b")


def _owners(items: list) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """(owner, label) in legend order and each owner's colour: the five roles of data/owner_roles.csv in their
    colours, then the offices the plan names itself (担当 written as a 課) in greys."""
    roles = reference.table("owner_roles.csv")
    colour = dict(zip(roles["code"], roles["color"], strict=True))
    offices = list(dict.fromkeys(i.owner for i in items if i.owner not in colour))
    for k, office in enumerate(offices):
        colour[office] = OFFICE_GREYS[k % len(OFFICE_GREYS)]
    return [*zip(roles["code"], roles["label_ja"], strict=True), *((o, plain(o)) for o in offices)], colour


@plain_labels
def gantt(plan: Any, *, dependencies: bool = True) -> go.Figure:
    """Gantt chart of the action plan: one bar per item (months from the plan start, dates on the axis when
    the plan has a start date), coloured by owner role (data/owner_roles.csv), critical items outlined, and
    arrows from each dependency's end to the item's start.

    Parameters
    ----------
    plan : workbench.plan.ActionPlan
    dependencies : bool
        Draw the dependency arrows.
    """
    items = list(plan.items)
    owners, colour = _owners(items)
    numbers = plan.numbers()
    ylabels = {k: plain(v) for k, v in _gantt_labels(items, numbers=numbers).items()}
    fig = go.Figure()
    for code, label in owners:
        mine = [i for i in items if i.owner == code and i.duration > 0]
        if not mine:
            continue
        fig.add_trace(
            go.Bar(
                y=[ylabels[i.id] for i in mine],
                x=[i.duration for i in mine],
                base=[i.start_month for i in mine],
                orientation="h",
                name=label,
                marker_color=colour[code],
                marker_line={
                    "color": [HIGHLIGHT if i.critical else "rgba(0,0,0,0)" for i in mine],
                    "width": 2,
                },
                customdata=[
                    [
                        plain(f"{numbers[i.id]} {i.title}"),
                        label,
                        i.start_month,
                        i.end_month,
                        plain(plan.depends_text(i)),
                        i.start_date.isoformat() if i.start_date else "",
                        "○" if i.critical else "",
                    ]
                    for i in mine
                ],
                hovertemplate="%{customdata[0]}<br>担当: %{customdata[1]}<br>%{customdata[2]}～%{customdata[3]} か月目"
                " %{customdata[5]}<br>依存: %{customdata[4]}<br>クリティカル: %{customdata[6]}<extra></extra>",
            )
        )
    miles = [i for i in items if i.duration == 0]
    if miles:
        fig.add_trace(
            go.Scatter(
                y=[ylabels[i.id] for i in miles],
                x=[i.start_month for i in miles],
                mode="markers",
                name="マイルストーン",
                marker={
                    "symbol": "diamond",
                    "size": 14,
                    "color": [colour.get(i.owner, "#333") for i in miles],
                    "line": {"color": HIGHLIGHT, "width": 2},
                },
                hovertext=[plain(f"{numbers[i.id]} {i.title}") for i in miles],
                hoverinfo="text",
            )
        )
    layout = _layout(
        f"{plan.prefecture.name} 実行計画（{pattern_text(plan.pattern)}、{plan.organisation_label}）",
        max(360, 26 * len(items) + 140),
        SOURCE_GANTT,
    )
    if dependencies:
        by_id = {i.id: i for i in items}
        for i in items:
            for d in i.depends_on:
                dep = by_id.get(d)
                if dep is None:
                    continue
                layout["annotations"].append(
                    {
                        "x": i.start_month,
                        "y": ylabels[i.id],
                        "ax": dep.end_month,
                        "ay": ylabels[d],
                        "xref": "x",
                        "yref": "y",
                        "axref": "x",
                        "ayref": "y",
                        "showarrow": True,
                        "arrowhead": 2,
                        "arrowsize": 0.8,
                        "arrowwidth": 1,
                        "arrowcolor": "rgba(80,80,80,0.45)",
                        "text": "",
                    }
                )
    apply_template(fig).update_layout(**layout, barmode="overlay", legend={"title": {"text": "担当"}})
    fig.update_yaxes(categoryorder="array", categoryarray=[ylabels[i.id] for i in reversed(items)])
    months = max(plan.months, 1)
    if plan.start is not None:
        from ..text import fiscal_year_ja

        def ym(m: int) -> str:  # April opens a 年度 (April–March, as municipal budgets count)
            y, mm = divmod(plan.start.month - 1 + m, 12)
            year, month = plan.start.year + y, mm + 1
            return (
                f"{month}月<br>{fiscal_year_ja(year if month >= 4 else year - 1, western=False)}"
                if (month == 4 or m == 0)
                else f"{month}月"
            )

        ticks = list(range(0, months + 1, 3))
        fig.update_xaxes(
            tickvals=ticks, ticktext=[ym(m) for m in ticks], tickangle=0, title_text="時期（年度は4月～翌年3月）",
            range=[0, months + 0.5],
        )  # fmt: skip
    else:
        fig.update_xaxes(title_text="計画開始からの月数", dtick=3, tickangle=0, range=[0, months + 0.5])
    fig.layout.meta = {"source": SOURCE_GANTT, "critical_path": list(plan.critical_path)}
    return fig
