"""Names from input are plain text in every output (issue 12, point 10).

A name like ``<a href="https://…">ログインはこちら</a>`` became a live external link in the report's and the
vision's charts (plotly draws a subset of HTML in labels and hover texts), and the Markdown vision copied raw
``<script>`` into headings and tables. The prefecture here puts hostile text in every field a user types that
reaches a chart or the Markdown: platform and service names, a platform id, the vision statement, a plan
item's title. Every figure the exports and dashboards draw is searched for markup the builders did not
write; the Markdown for raw HTML and Markdown links.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import SAMPLES

import workbench as wb
from workbench.charts import plain_figure
from workbench.charts.plaintext import _OWN_MARKUP, _PLOTLY_TAG
from workbench.text import markdown_plain, plain

LINK = '<a href="https://evil.example/login">ログインはこちら</a>'
SCRIPT = "<script>alert(1)</script>"
HOSTILE_ID = "<b>p1</b>"


@pytest.fixture(scope="module")
def hostile() -> wb.Prefecture:
    text = (SAMPLES / "07_fukushima.yaml").read_text(encoding="utf-8")
    swaps = {
        "name: 福島県データ連携基盤（仮称）": f"name: '{LINK}'",
        "name: 会津若松市 都市OS（仮称）": f"name: '{SCRIPT}会津'",
        "name: 電子申請": "name: '<span style=\"color:red\">電子申請</span>'",
        "name: ふくしま市民ポータル（通知）": "name: '[ポータル](https://evil.example) *強調* # 見出し'",
        "statement: 県内のどこに住んでいても": f"statement: '{SCRIPT}' # 県内のどこに住んでいても",
        "title: 県議会への説明": f"title: '{LINK}'",
    }
    for old, new in swaps.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    pref = wb.loads(text, file="hostile.yaml")
    assert pref.platforms[0].name == LINK
    return pref


def _strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for v in node.values():
            yield from _strings(v)
    elif isinstance(node, list | tuple):
        for v in node:
            yield from _strings(v)


def assert_plain(figure_json: dict) -> str:
    """No markup in a figure but the builders' own; returns all its text (to check the names arrived)."""
    texts = list(_strings(figure_json))
    for s in texts:
        for m in _PLOTLY_TAG.finditer(s):
            assert _OWN_MARKUP.fullmatch(m.group(0)), (
                f"markup from input in a figure: {m.group(0)!r} in {s[:120]!r}"
            )
        assert "<script" not in s.lower()
    return "\n".join(texts)


def _figures_in_html(page: str) -> list[dict]:
    """The figures of a page written by plotly's to_html: Plotly.newPlot(id, data, layout, config)."""
    out = []
    for m in re.finditer(r'Plotly\.newPlot\(\s*"[^"]+",\s*', page):
        decoder = json.JSONDecoder()
        data, end = decoder.raw_decode(page, m.end())
        rest = page[end:].lstrip(", \n")
        layout, _ = decoder.raw_decode(rest)
        out.append({"data": data, "layout": layout})
    return out


def test_plain_and_markdown_plain_escape_what_renders() -> None:
    assert plain(LINK) == '&lt;a href="https://evil.example/login"&gt;ログインはこちら&lt;/a&gt;'
    assert plain("A&B") == "A&amp;B"
    md = markdown_plain("[x](https://e.example) <b>y</b> | z")
    assert "[x](" not in md and "<b>" not in md and "\\|" in md


def test_the_net_escapes_markup_that_reached_a_figure_another_way() -> None:
    import plotly.graph_objects as go

    fig = go.Figure(go.Bar(x=[LINK, "a<br>b"], y=[1, 2], name="<span style='color:#ff0000'>■</span> 凡例"))
    fig.update_layout(title=f"<b>題</b> {LINK}")
    clean = plain_figure(fig).to_dict()
    text = assert_plain(clean)
    assert "&lt;a href=" in text and "a<br>b" in text and "<b>題</b>" in text
    untouched = go.Figure(go.Bar(x=["a"], y=[1]))
    assert plain_figure(untouched) is untouched  # nothing to escape: the same figure, no rebuild


def test_snapshot_report_charts_show_names_as_text(hostile) -> None:
    from workbench.report import snapshot_html

    page = snapshot_html(hostile)
    figures = _figures_in_html(page)
    assert len(figures) >= 6
    text = "\n".join(assert_plain(f) for f in figures)
    assert "&lt;a href=" in text  # the name reached the charts, as text
    body = re.sub(r"<script type='text/javascript'>.*?</script>", "", page, count=1, flags=re.S)
    assert LINK not in body and SCRIPT not in body  # tables and headings are HTML-escaped too


def test_vision_html_charts_show_names_as_text(hostile) -> None:
    from workbench.report_vision import vision_html

    page = vision_html(hostile)
    figures = _figures_in_html(page)
    assert figures
    text = "\n".join(assert_plain(f) for f in figures)
    assert "ログインはこちら" in text and "&lt;a href=" in text  # the plan item's title in the Gantt chart
    assert SCRIPT not in page.replace('<script type="text/javascript">', "")


def test_vision_markdown_is_plain_text(hostile) -> None:
    from workbench.report_vision import vision_markdown

    md = vision_markdown(hostile)
    assert "<script" not in md and "<a href" not in md and "<span" not in md
    assert "&lt;script&gt;" in md  # the statement and the heading of the platform, as text
    assert "](https://evil.example" not in md.replace("\\](https://evil.example", "")  # no Markdown link
    assert not re.search(r"^#+ .*\n?.*^# 見出し", md, flags=re.M)
    for line in md.splitlines():
        if line.startswith("#"):
            assert "<" not in line


def test_dashboard_figures_show_names_as_text(hostile, tmp_path: Path) -> None:
    from workbench import widgets as W

    path = tmp_path / "hostile.yaml"
    wb.save(hostile, path)
    texts = []
    for dash_cls in (W.OverviewDashboard, W.AuthDashboard, W.CostDashboard):
        dash = dash_cls()
        dash.session.set(wb.load(path), path)
        figures = _figure_slots(dash)
        assert figures, dash_cls.__name__
        for fig in figures:
            texts.append(assert_plain(fig.to_dict()))
    assert "&lt;a href=" in "\n".join(texts)


def _figure_slots(obj, seen=None) -> list:
    """Every figure shown by the FigureSlots reachable from a widget panel."""
    from workbench.widgets._common import FigureSlot

    seen = seen if seen is not None else set()
    if id(obj) in seen:
        return []
    seen.add(id(obj))
    out = []
    if isinstance(obj, FigureSlot):
        return [obj.figure] if obj.figure is not None else []
    for v in getattr(obj, "__dict__", {}).values():
        if isinstance(v, FigureSlot) or hasattr(v, "__dict__") and type(v).__module__.startswith("workbench"):
            out += _figure_slots(v, seen)
        elif isinstance(v, list | tuple):
            for x in v:
                if hasattr(x, "__dict__") and type(x).__module__.startswith("workbench"):
                    out += _figure_slots(x, seen)
    return out
