"""Margins computed from a figure's own labels, so the browser draws a chart once.

plotly's templates set ``automargin`` on every axis: after drawing, plotly.js measures the tick labels and, when
they need more room than the margin gives, draws the whole chart again with a wider margin. On the dashboards'
2 cores that second drawing was about half of a chart's time in the browser after a control change (the level
matrix 37 → 18 ms, the cost-effect chart 48 → 20 ms, measured in Chromium). :func:`fit_margins` sets each
margin from the labels the axis will show (the categories, ``ticktext``, or the largest number in the given
format), with room to spare, and turns ``automargin`` off only on the axes it could measure. Axes it cannot
measure keep ``automargin``. tests/test_chart_margins.py draws every dashboard chart in Chromium with
``automargin`` back on and checks that plotly finds nothing more to add.
"""

from __future__ import annotations

import base64
import math
import unicodedata
from typing import Any

#: width of a character in ems: East Asian wide / full-width / ambiguous (○ × ●), Latin capitals, the rest
#: (Noto Sans CJK JP in Chromium: 12 labels of the level matrix measured within 1–6% above their drawn width)
WIDE_EM, CAPITAL_EM, NARROW_EM = 1.0, 0.72, 0.62
LINE_EM = 1.25  # height of one line of text in ems
DEFAULT_FONT = 12.0  # plotly's default font size
PLOTLY_MARGIN = {"l": 80, "r": 80, "t": 100, "b": 80}  # plotly.js defaults
LABEL_PAD = 10  # between tick labels and the plot, and spare room (px)
TITLE_STANDOFF = 15  # the templates' axis title standoff (px)
NUMBER_CHARS = 7  # a number plotly formats itself ("200k", "1.5M", "−0.25") is at most this long
MIN_PLOT_WIDTH = 600  # narrowest plot area assumed when deciding whether plotly turns x labels (px)


def text_width(text: str, size: float) -> float:
    """Width in px of one line of ``text`` at font ``size``, on the safe side (no font metrics in Python)."""
    return size * sum(
        WIDE_EM
        if unicodedata.east_asian_width(c) in ("W", "F", "A")
        else CAPITAL_EM
        if "A" <= c <= "Z"
        else NARROW_EM
        for c in text
    )


def label_box(text: str, size: float) -> tuple[float, float]:
    """Width and height in px of a label that may hold ``<br>`` line breaks (other tags count as text)."""
    lines = str(text).split("<br>")
    return max(text_width(line, size) for line in lines), len(lines) * LINE_EM * size


def _values(arr: Any) -> list:
    """The values of a trace array as a list: a list, a numpy array or plotly's base64 form."""
    if arr is None:
        return []
    if isinstance(arr, dict) and "bdata" in arr:
        import numpy as np

        return np.frombuffer(base64.b64decode(arr["bdata"]), dtype=arr["dtype"]).tolist()
    if hasattr(arr, "tolist"):
        arr = arr.tolist()
    if isinstance(arr, list | tuple):
        out: list = []
        for v in arr:
            out.extend(v if isinstance(v, list | tuple) else [v])  # 2-D (heatmap z) flattened
        return out
    return [arr]


def _axis_values(fig: dict, axis: str) -> list:
    """Every value the traces put on ``axis`` ("xaxis" / "yaxis"): their x or y arrays, as far as the trace
    has points (plotly shows a category only for a point drawn: a heatmap without z shows no labels at all)."""
    letter = axis[0]
    ref = letter  # traces refer to the primary axes as "x" / "y"
    out: list = []
    for trace in fig.get("data", []):
        if trace.get(f"{letter}axis", ref) != ref:
            continue
        mine = _values(trace.get(letter))
        if trace.get("type") == "heatmap":
            if not _values(trace.get("z")):
                continue
        elif trace.get("x") is not None and trace.get("y") is not None:
            mine = mine[: min(len(_values(trace.get("x"))), len(_values(trace.get("y"))))]
        out.extend(v for v in mine if v is not None)
    return out


def _number_text(value: float, tickformat: str | None) -> str:
    if tickformat and "," in tickformat:
        return f"{value:,.0f}"
    text = f"{value:.6g}"
    return text if len(text) <= NUMBER_CHARS else "0" * NUMBER_CHARS


def _tick_labels(fig: dict, axis: str, layout_axis: dict) -> list[str] | None:
    """The labels the axis will show, or None when they cannot be known here."""
    if layout_axis.get("ticktext") is not None:
        return [str(t) for t in _values(layout_axis["ticktext"])]
    if layout_axis.get("tickvals") is not None or layout_axis.get("tickmode") == "array":
        return None
    values = _axis_values(fig, axis)
    if not values:
        return None
    kind = layout_axis.get("type")
    if kind in ("category", "multicategory") or any(isinstance(v, str) for v in values):
        return [str(v) for v in dict.fromkeys(values)]
    if kind in ("log", "date"):
        return None
    numbers = [abs(float(v)) for v in values if isinstance(v, int | float) and math.isfinite(v)]
    if layout_axis.get("range"):
        numbers += [abs(float(v)) for v in layout_axis["range"] if isinstance(v, int | float)]
    if not numbers:
        return None
    top = max(numbers)
    if fig.get("layout", {}).get("barmode") in ("stack", "relative"):
        top = sum(numbers)  # stacked bars reach at most the sum
    return ["-" + _number_text(top, layout_axis.get("tickformat"))]


def _font_size(layout: dict, layout_axis: dict) -> float:
    size = (layout_axis.get("tickfont") or {}).get("size") or (layout.get("font") or {}).get("size")
    return float(size or DEFAULT_FONT)


def _title_block(layout: dict, layout_axis: dict) -> float:
    title = layout_axis.get("title") or {}
    text = title.get("text") if isinstance(title, dict) else title
    if not text:
        return 0.0
    size = float(
        (title.get("font") or {}).get("size") or round(1.2 * _font_size(layout, {}))
    )  # plotly's rule
    standoff = title.get("standoff", TITLE_STANDOFF)
    return label_box(str(text), size)[1] + standoff + 2


def _needs(fig: dict, axis: str) -> dict[str, float] | None:
    """The margins (px) that the axis's labels and title need, or None when its labels cannot be known."""
    layout = fig.get("layout", {})
    la = layout.get(axis) or {}
    if la.get("visible") is False:
        return {}
    labels = _tick_labels(fig, axis, la)
    if labels is None:
        return None
    size = _font_size(layout, la)
    boxes = [label_box(t, size) for t in labels] or [(0.0, 0.0)]
    widest = max(w for w, _ in boxes)
    tallest = max(h for _, h in boxes)
    title = _title_block(layout, la)
    angle = la.get("tickangle")
    if axis == "yaxis":
        side = "r" if la.get("side") == "right" else "l"
        return {side: widest + LABEL_PAD + title}
    side = "t" if la.get("side") == "top" else "b"
    if angle is None or angle == "auto":  # plotly turns the labels when they do not fit side by side
        angle = 90 if sum(w for w, _ in boxes) + 8 * len(boxes) > MIN_PLOT_WIDTH else 0
    a = math.radians(abs(float(angle)))
    extent = widest * math.sin(a) + tallest * math.cos(a)
    needs = {side: extent + LABEL_PAD + title}
    if a and float(angle) < 0:  # the first label reaches left, below the plot's left edge
        needs["l"] = boxes[0][0] * math.cos(a) + LABEL_PAD
    return needs


def fit_margins(fig: dict) -> dict:
    """``fig`` (a figure dict) with margins that hold its axes' labels and titles, ``automargin`` off on the
    axes measured, and only the template parts its traces use. A figure whose top or bottom margin grows grows
    by as much, so its plot area keeps the height the builder gave it (with ``automargin`` the 2-service level
    matrix kept 40 px of plot under 310 px of labels). Returns a new dict; ``fig`` is not changed.

    A figure without cartesian axes, or whose primary axes cannot be measured, keeps ``automargin`` (the margins
    it has are left as they are)."""
    layout = dict(fig.get("layout") or {})
    out = {**fig, "layout": layout}
    _trim_template(out)
    if not fig.get("data") or any(t.get("type") in _NOT_CARTESIAN for t in fig["data"]):
        return out
    margin = dict(layout.get("margin") or {})
    needed: dict[str, float] = {}
    for axis in ("xaxis", "yaxis"):
        needs = _needs(fig, axis)
        if needs is None:
            continue
        for k, v in needs.items():
            needed[k] = max(needed.get(k, 0.0), v)
        layout[axis] = {**(layout.get(axis) or {}), "automargin": False}
    grown = 0
    for k, v in needed.items():
        base = int(margin.get(k, PLOTLY_MARGIN[k]))
        margin[k] = max(base, int(math.ceil(v)))
        if k in ("t", "b"):
            grown += margin[k] - base
    if needed:
        layout["margin"] = margin
    if grown and isinstance(layout.get("height"), int | float):
        layout["height"] = int(layout["height"]) + grown  # the plot area keeps the height its builder gave it
    return out


_NOT_CARTESIAN = {
    "pie",
    "sankey",
    "sunburst",
    "treemap",
    "icicle",
    "funnelarea",
    "table",
    "parcoords",
    "parcats",
}


def _trim_template(fig: dict) -> None:
    """Keep only the template's defaults for the trace types in ``fig`` (the rest is sent for nothing)."""
    layout = fig["layout"]
    template = layout.get("template")
    if not isinstance(template, dict) or not isinstance(template.get("data"), dict):
        return
    used = {t.get("type", "scatter") for t in fig.get("data", [])}
    layout["template"] = {**template, "data": {k: v for k, v in template["data"].items() if k in used}}
