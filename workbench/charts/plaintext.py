"""Plain text in figures: plotly draws a subset of HTML in every text (``<a href>`` links, ``<span style>``,
``<b>``…), so a name typed into a prefecture file or a hearing sheet must never reach a figure as markup."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

# the tags plotly.js draws as markup in any text (links, styles, emphasis); other "<...>" stays literal text
_PLOTLY_TAG = re.compile(r"</?\s*(?:a|span|br|b|i|em|s|u|sup|sub|font)\b[^<>]*>", re.IGNORECASE)
# the markup the builders themselves write (line breaks, the bold of a title, the legend colour squares)
_OWN_MARKUP = re.compile(r"<br>|<b>|</b>|<span style='color:#[0-9a-fA-F]{6}'>|</span>")


def _neutralise(text: str) -> str:
    return _PLOTLY_TAG.sub(
        lambda m: (
            m.group(0)
            if _OWN_MARKUP.fullmatch(m.group(0))
            else m.group(0).replace("<", "&lt;").replace(">", "&gt;")
        ),
        text,
    )


def _scrub(node: Any) -> tuple[Any, bool]:
    if isinstance(node, str):
        if "<" not in node:
            return node, False
        new = _neutralise(node)
        return new, new != node
    if isinstance(node, dict):
        changed = False
        out = {}
        for k, v in node.items():
            out[k], c = _scrub(v)
            changed |= c
        return out, changed
    if isinstance(node, list | tuple):
        items = [_scrub(v) for v in node]
        return [v for v, _ in items], any(c for _, c in items)
    if getattr(node, "dtype", None) is not None and node.dtype.kind in "OUS":  # numpy array of text
        items = [_scrub(v) for v in node.tolist()]
        return [v for v, _ in items], any(c for _, c in items)
    return node, False


def _has_markup(node: Any) -> bool:
    """Whether any text in ``node`` holds markup the builders did not write (a read-only walk, no copy)."""
    if isinstance(node, str):
        return "<" in node and _neutralise(node) != node
    if isinstance(node, dict):
        return any(_has_markup(v) for v in node.values())
    if isinstance(node, list | tuple):
        return any(_has_markup(v) for v in node)
    if getattr(node, "dtype", None) is not None and node.dtype.kind in "OUS":
        return any(_has_markup(v) for v in node.tolist())
    return False


def plain_figure(fig: Any) -> Any:
    """``fig`` with every plotly markup tag that the builders did not write themselves shown as text.

    The builders escape the user's names where they use them (:func:`workbench.text.plain`); this is the net
    under them: a ``<a href>``, ``<span style>`` or ``<sup>`` that reached a label, hover text, title or
    annotation any other way is escaped. A figure without such text is returned as it is, after a read-only
    walk of its properties (no copy, well under a millisecond for the dashboards' charts)."""
    import plotly.graph_objects as go

    raw_data, raw_layout = getattr(fig, "_data", None), getattr(fig, "_layout", None)
    if raw_data is not None and raw_layout is not None and not _has_markup([raw_data, raw_layout]):
        return fig
    data, changed = _scrub(fig.to_dict())
    return go.Figure(data) if changed else fig


def plain_labels(builder: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator for figure builders: the returned figure goes through :func:`plain_figure`."""

    @functools.wraps(builder)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return plain_figure(builder(*args, **kwargs))

    return wrapper
