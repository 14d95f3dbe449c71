"""Margins fitted to a chart's labels (workbench.charts.margins): the dashboards turn plotly's ``automargin``
off so that the browser draws each chart once; these tests check that no label or axis title is then cut off.

The browser test draws every chart of the four dashboards for the four sample prefectures in Chromium, at the
width of a projector (1,000 px) and of the dashboard on a wide screen (1,300 px), exactly as the dashboards send
it, and checks that every tick label and axis title lies inside the chart and that no axis title covers a tick
label.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from test_browser_support import CHROMIUM, launch

from workbench.charts.margins import fit_margins, label_box, text_width


def _heatmap(x, y, **axes):
    layout = {"margin": {"l": 40, "b": 40}, **axes}
    return {"data": [{"type": "heatmap", "x": x, "y": y, "z": [[1] * len(x)] * len(y)}], "layout": layout}


def test_text_width_counts_wide_characters_as_one_em():
    assert text_width("会津若松市", 12) == pytest.approx(60)
    assert text_width("ID", 10) < text_width("ＩＤ", 10)
    assert label_box("一行目<br>二行目です", 10) == (pytest.approx(50), pytest.approx(25))


def test_long_category_labels_widen_the_margin_and_turn_automargin_off():
    fig = _heatmap(
        ["a", "b"], ["マイナンバーカード（公的個人認証）", "短い"], yaxis={"title": {"text": "サービス"}}
    )
    out = fit_margins(fig)
    assert out["layout"]["margin"]["l"] >= text_width("マイナンバーカード（公的個人認証）", 12) + 15
    assert out["layout"]["yaxis"]["automargin"] is False
    assert fig["layout"]["margin"] == {"l": 40, "b": 40}, "the input is not changed"


def test_turned_labels_need_room_below_and_to_the_left():
    long = "eKYC ICチップ方式（犯収法施行規則6条1項1号ヘ）"
    out = fit_margins(_heatmap([long, "b"], ["s"], xaxis={"tickangle": -40}))
    assert out["layout"]["margin"]["b"] > 0.6 * text_width(long, 12)
    assert out["layout"]["margin"]["l"] > 0.7 * text_width(long, 12)


def test_a_figure_grows_by_the_margin_added_below_so_its_plot_keeps_its_height():
    fig = _heatmap(["マイナンバーカード（公的個人認証）"], ["s"], xaxis={"tickangle": -40})
    fig["layout"]["height"] = 300
    out = fit_margins(fig)
    assert out["layout"]["height"] - 300 == out["layout"]["margin"]["b"] - 40


def test_a_heatmap_without_cells_shows_no_labels_and_keeps_its_margins():
    fig = _heatmap(["とても長い本人確認手段の名前です"], [], xaxis={"tickangle": -40})
    fig["data"][0]["z"] = []
    assert fit_margins(fig)["layout"]["margin"] == {"l": 40, "b": 40}


def test_a_margin_already_large_enough_is_kept():
    fig = _heatmap(["a"], ["短い"])
    fig["layout"]["margin"]["l"] = 300
    assert fit_margins(fig)["layout"]["margin"]["l"] == 300


def test_axes_that_cannot_be_measured_keep_automargin():
    fig = {
        "data": [{"type": "scatter", "x": [1, 10, 100], "y": [1, 2, 3]}],
        "layout": {"xaxis": {"type": "log"}, "yaxis": {"tickvals": [1, 2]}},
    }
    out = fit_margins(fig)
    assert "automargin" not in out["layout"]["xaxis"]
    assert "automargin" not in out["layout"]["yaxis"]


def test_figures_without_axes_are_left_alone_but_the_template_is_trimmed():
    fig = {
        "data": [{"type": "sankey", "node": {"label": ["a", "b"]}}],
        "layout": {"template": {"data": {"sankey": [{"type": "sankey"}], "bar": [{"type": "bar"}]}}},
    }
    out = fit_margins(fig)
    assert "margin" not in out["layout"]
    assert set(out["layout"]["template"]["data"]) == {"sankey"}
    assert set(fig["layout"]["template"]["data"]) == {"sankey", "bar"}


def test_numbers_in_thousands_format_are_measured_from_the_largest():
    fig = {
        "data": [{"type": "bar", "orientation": "h", "x": [12_345_678], "y": ["福島市"]}],
        "layout": {"xaxis": {"tickformat": ","}},
    }
    out = fit_margins(fig)
    assert out["layout"]["xaxis"]["automargin"] is False
    assert out["layout"]["yaxis"]["automargin"] is False
    assert out["layout"]["margin"]["l"] >= text_width("福島市", 12)


# --- every dashboard chart in a real browser ---------------------------------------------------------------


def _dashboard_figures() -> list[tuple[str, dict]]:
    import gc

    import plotly.io as pio

    from workbench.widgets import _common
    from workbench.widgets.dashboards import (
        AuthDashboard,
        CostDashboard,
        DataFlowDashboard,
        OverviewDashboard,
    )

    out = []
    for pref in ("07", "09", "10", "24"):
        for cls in (OverviewDashboard, CostDashboard, AuthDashboard, DataFlowDashboard):
            dash = cls(pref)
            slots = [o for o in gc.get_objects() if isinstance(o, _common.FigureSlot)]
            for slot in slots:
                if slot.figure is not None and _belongs(slot, dash):
                    fig = json.loads(pio.to_json(slot.figure))
                    out.append((f"{pref} {slot.css}", fit_margins(fig)))
    return out


def _belongs(slot, dash) -> bool:
    """Whether the slot's widget is inside the dashboard (widgets hold their children)."""
    todo = [dash]
    while todo:
        w = todo.pop()
        if w is slot.widget:
            return True
        todo.extend(getattr(w, "children", ()))
    return False


CHECK = """async ([fig, width]) => {
  const div = document.createElement('div');
  div.style.width = width + 'px';
  document.body.appendChild(div);
  const layout = JSON.parse(JSON.stringify(fig.layout));
  layout.height = layout.height || 360;
  await Plotly.react(div, fig.data, layout, {});
  const svg = div.querySelector('.main-svg').getBoundingClientRect();
  const box = (e) => e.getBoundingClientRect();
  const out = [];
  const inside = (b) => b.left >= svg.left - 0.5 && b.right <= svg.right + 0.5 && b.top >= svg.top - 0.5
    && b.bottom <= svg.bottom + 0.5;
  const labels = [...div.querySelectorAll('.xtick text, .ytick text')].filter((t) => t.textContent);
  const titles = [...div.querySelectorAll('.g-xtitle text, .g-ytitle text')].filter((t) => t.textContent);
  for (const t of [...labels, ...titles]) {
    if (!inside(box(t))) out.push('cut off: ' + t.textContent);
  }
  const size = div._fullLayout._size;
  if (labels.length && size.h < 40) out.push('plot area squeezed: ' + size.h + ' px');
  for (const t of titles) {
    const a = box(t);
    for (const l of labels) {
      const b = box(l);
      if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom)
        out.push('title ' + t.textContent + ' covers ' + l.textContent);
    }
  }
  Plotly.purge(div);
  div.remove();
  return out;
}"""


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs /usr/bin/chromium")
def test_no_label_is_cut_off_on_any_dashboard_chart():
    sync_api = pytest.importorskip("playwright.sync_api")
    import plotly

    figures = _dashboard_figures()
    assert len(figures) >= 4 * 12, [n for n, _ in figures]
    measured = [n for n, f in figures if f["layout"].get("xaxis", {}).get("automargin") is False]
    assert len(measured) >= 4 * 8, "most charts are measured, not left to automargin"
    script = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    problems = {}
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_content("<html><body style='margin:0'></body></html>")
            page.add_script_tag(path=str(script))
            # the check itself finds a cut label: the level matrix with no room on the left
            matrix = copy.deepcopy(next(f for n, f in figures if n.endswith("wb-fig-auth-matrix")))
            matrix["layout"]["margin"]["l"] = 5
            assert any("cut off" in p for p in page.evaluate(CHECK, [matrix, 1300]))
            for name, fig in figures:
                for width in (1000, 1300):
                    found = page.evaluate(CHECK, [copy.deepcopy(fig), width])
                    if found:
                        problems[f"{name} @{width}px"] = found
        finally:
            browser.close()
    assert problems == {}
