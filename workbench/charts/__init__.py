"""Plotly figure builders. Every builder returns a ``plotly.graph_objects.Figure`` and never shows it;
builders draw results computed by the analyses and compute no domain results themselves.

Modules: ``classify`` (Step 1 views), ``auth`` (level heatmaps), ``cost`` (shares, fairness, cash flow,
tornado), ``plan`` (Gantt, type flowchart, survey counts), ``overview`` (俯瞰図 sankey).

Text from the user's files is plain text in every figure (:func:`workbench.text.plain` where a builder uses a
name, :func:`plain_labels` on every builder as the net under it).
"""

from .plaintext import plain_figure, plain_labels

__all__ = ["JA_FONT", "PROVIDER_COLOURS", "plain_figure", "plain_labels"]

JA_FONT = "Noto Sans CJK JP, Hiragino Sans, Yu Gothic, Meiryo, sans-serif"

# colours by provider, shared by every chart (municipal / private / prefecture / operating body)
PROVIDER_COLOURS = {
    "municipality": "#1f77b4",
    "private": "#ff7f0e",
    "prefecture": "#2ca02c",
    "operator": "#9467bd",
}
