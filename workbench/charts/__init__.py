"""Plotly figure builders. Every builder returns a ``plotly.graph_objects.Figure`` and never shows it;
builders draw results computed by the analyses and compute no domain results themselves.

Modules: ``classify`` (Step 1 views), ``auth`` (level heatmaps), ``cost`` (shares, fairness, cash flow,
tornado), ``plan`` (Gantt, type flowchart, survey counts), ``overview`` (俯瞰図 sankey).

Text from the user's files is plain text in every figure (:func:`workbench.text.plain` where a builder uses a
name, :func:`plain_labels` on every builder as the net under it).
"""

from .plaintext import plain_figure, plain_labels

__all__ = [
    "JA_FONT",
    "PROVIDER_COLOURS",
    "TEMPLATE",
    "apply_template",
    "figure",
    "plain_figure",
    "plain_labels",
]

JA_FONT = "Noto Sans CJK JP, Hiragino Sans, Yu Gothic, Meiryo, sans-serif"

# colours by provider, shared by every chart (municipal / private / prefecture / operating body)
PROVIDER_COLOURS = {
    "municipality": "#1f77b4",
    "private": "#ff7f0e",
    "prefecture": "#2ca02c",
    "operator": "#9467bd",
}

TEMPLATE = "plotly_white"


def figure(*args, **kwargs):
    """A ``go.Figure`` that skips plotly's per-property validation while it is built.

    Builders pass known property names and plain numbers and strings; validating them again costs more than
    the chart itself on 2 cores (the 型 flowchart's layout about 25 ms, a map's traces and layout about 30 ms,
    measured for the dashboards' settle time). Tests draw every builder's figure in a real browser."""
    import plotly.graph_objects as go

    return go.Figure(*args, _validate=False, **kwargs)


def apply_template(fig, name: str = TEMPLATE):
    """Set a registered plotly template (already validated by plotly) without validating it again — what
    plotly itself does for its default template; assigning ``template="plotly_white"`` through validation
    deep-copies the template and costs about 40 ms per figure. Returns ``fig``."""
    import plotly.io as pio

    layout = fig.layout
    keep = layout._validate
    layout._validate = False
    try:
        layout.template = pio.templates[name]
    finally:
        layout._validate = keep
    return fig
