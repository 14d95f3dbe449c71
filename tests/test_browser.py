"""The dashboards in a real browser: Voila started by the test on a free loopback port (HOME in tmp), headless
Chromium via Playwright. Every request not to 127.0.0.1 is aborted and recorded; the test fails if there is
any, or any console error. Screenshots go to artifacts/ (gitignored).

Also: the ``?pref=`` link, the offline snapshot opened with the network disabled, and the executed notebooks
rendered with nbconvert and screenshotted.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import pytest
from test_browser_support import CHROMIUM, PLOT, ROOT, Recorder, group_gone, launch, new_context, voila_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs /usr/bin/chromium"),
]

ARTIFACTS = ROOT / "artifacts"
TIMEOUT = 90_000  # ms: a cold kernel on 2 cores plus plotly.js


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("browser-home")


@pytest.fixture(scope="module")
def server(home):
    with voila_server(ROOT / "dashboards", home) as base:
        yield base
    assert group_gone(base), "voila or one of its kernels outlived the test"


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = launch(p)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def page(browser, recorder):
    context = new_context(browser, recorder)
    pg = context.new_page()
    recorder.attach(pg)
    try:
        yield pg
    finally:
        context.close()


def url(base: str, notebook: str, query: str = "") -> str:
    return f"{base}/voila/render/{urllib.parse.quote(notebook)}{query}"


def svg(page, css: str) -> str:
    return page.locator(f".{css} .main-svg").first.inner_html()


def wait_changed(page, css: str, before: str, timeout: int = 30_000) -> None:
    page.wait_for_function(
        "([sel, before]) => { const e = document.querySelector(sel); return e && e.innerHTML !== before; }",
        arg=[f".{css} .main-svg", before],
        timeout=timeout,
    )


def choose(page, css: str, text: str) -> None:
    """Select the option of an ipywidgets Dropdown (a native <select>) whose label contains ``text``."""
    select = page.locator(f"{css} select")
    values = select.locator("option").evaluate_all("os => os.map(o => o.value)")
    select.select_option(value=next(v for v in values if text in v))


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def clean(recorder: Recorder) -> None:
    assert recorder.external == [], f"requests left the machine: {recorder.external}"
    assert recorder.errors == [], f"browser errors: {recorder.errors}"


def open_dashboard(page, base: str, notebook: str, query: str = "") -> None:
    page.goto(url(base, notebook, query), timeout=TIMEOUT)
    page.wait_for_selector(PLOT, timeout=TIMEOUT)


def test_overview_dashboard(server, page, recorder):
    open_dashboard(page, server, "県の全体像.ipynb")
    page.wait_for_selector(".wb-fig-counts .main-svg", timeout=TIMEOUT)
    assert "福島県" in page.locator(".wb-title").inner_text()
    assert page.locator(".wb-issues table").count() == 1
    before = svg(page, "wb-fig-counts")
    choose(page, ".wb-pref-picker", "09 栃木県")
    page.wait_for_function(
        "() => document.querySelector('.wb-title').innerText.includes('栃木県')", timeout=30_000
    )
    wait_changed(page, "wb-fig-counts", before)
    page.wait_for_selector(".wb-fig-flowchart .main-svg", timeout=TIMEOUT)
    page.wait_for_function(
        "() => (document.querySelector('.wb-fig-map .gtitle') || {}).textContent?.includes('栃木県')",
        timeout=30_000,
    )
    assert page.locator(".wb-fig-map .scatterlayer .point").count() >= 25  # 栃木県: 25 municipalities
    shot(page, "dashboard_overview")
    clean(recorder)


def test_cost_dashboard(server, page, recorder):
    open_dashboard(page, server, "費用負担シミュレーター.ipynb")
    page.wait_for_selector(".wb-fig-cost-standalone .main-svg", timeout=TIMEOUT)
    assert "公平性の監査" in page.locator(".wb-fairness").inner_text()
    before = svg(page, "wb-fig-cost-standalone")
    choose(page, ".wb-cost-rule", "人口割")  # labels only: the codes stay out of staff's sight
    wait_changed(page, "wb-fig-cost-standalone", before)
    page.wait_for_function("() => document.querySelector('.wb-cost-summary').innerText.includes('人口割')")
    page.wait_for_selector(".wb-late-result table", timeout=TIMEOUT)
    page.wait_for_function(
        "() => (document.querySelector('.wb-fig-cost-map .gtitle') || {}).textContent?.includes('人口割')",
        timeout=30_000,
    )
    shot(page, "dashboard_cost")
    # a slider: type into its editable readout
    before = svg(page, "wb-fig-cost-standalone")
    readout = page.locator(".wb-pref-running .widget-readout")
    readout.click()
    readout.fill("100")
    readout.press("Enter")
    wait_changed(page, "wb-fig-cost-standalone", before)
    page.wait_for_function("() => document.querySelector('.wb-cost-summary').innerText.includes('運用100%')")
    clean(recorder)


def test_auth_dashboard(server, page, recorder):
    open_dashboard(page, server, "認証レベル.ipynb")
    page.wait_for_selector(".wb-fig-auth-matrix .main-svg", timeout=TIMEOUT)
    before = svg(page, "wb-fig-auth-matrix")
    page.locator(".wb-auth-when button", has_text="2027-04-01以降").click()
    wait_changed(page, "wb-fig-auth-matrix", before)
    page.wait_for_function("() => document.querySelector('.wb-auth-card').innerText.includes('2027-04-01')")
    page.wait_for_function(
        "() => (document.querySelector('.wb-fig-auth-map .gtitle') || {}).textContent?.includes('2027-04-01')",
        timeout=30_000,
    )
    shot(page, "dashboard_auth")
    clean(recorder)


def test_charts_are_drawn_once_and_still_follow_the_window(server, page, recorder):
    """The template's patch of the plotly renderer (share/jupyter/voila/templates/wb/index.html.j2): no PNG
    snapshot, no second or third drawing of a chart just drawn (without the patch: 6 more drawings for the 3
    charts of this change), and the charts take the new width when the window narrows (Voila did not pass the
    window's size to the charts before; the fit is skipped only when the width is unchanged)."""
    open_dashboard(page, server, "認証レベル.ipynb")
    page.wait_for_selector(".wb-fig-auth-map .main-svg", timeout=TIMEOUT)
    assert page.evaluate("() => window.Plotly.__wbPatched") is True
    gd = ".wb-fig-auth-matrix .js-plotly-plot"
    snapshot = page.evaluate(
        """async (sel) => { const gd = document.querySelector(sel);
        const late = new Promise((r) => setTimeout(() => r('pending'), 300));
        return await Promise.race([window.Plotly.toImage(gd, {format: 'png'}), late]); }""",
        gd,
    )
    assert snapshot == "pending", "the PNG snapshot for saving the notebook is skipped"
    # drawn once: a chart swapped in after a control change is not drawn again by the renderer's update
    page.evaluate(
        """() => { window.__drawn = 0; window.__again = 0; const P = window.Plotly; const react = P.react;
        P.react = function (gd, ...rest) { return react.call(this, gd, ...rest).then((g) => {
          window.__drawn += 1; g.on('plotly_afterplot', () => { window.__again += 1; }); return g; }); }; }"""
    )
    before = svg(page, "wb-fig-auth-matrix")
    page.locator(".wb-auth-when button", has_text="2027-04-01以降").click()
    wait_changed(page, "wb-fig-auth-matrix", before)
    page.wait_for_function("() => window.__drawn >= 3", timeout=30_000)  # matrix, gaps, map
    page.wait_for_timeout(600)
    assert page.evaluate("() => window.__again") == 0, "a new chart was drawn a second time"
    width = page.evaluate(f"() => document.querySelector('{gd}')._fullLayout.width")
    page.set_viewport_size({"width": 1000, "height": 2400})
    page.wait_for_function(
        f"(w) => document.querySelector('{gd}')._fullLayout.width < w - 200", arg=width, timeout=10_000
    )
    inner = page.evaluate(
        f"() => [document.querySelector('{gd}')._fullLayout.width,"
        f" parseFloat(getComputedStyle(document.querySelector('{gd}')).width)]"
    )
    assert abs(inner[0] - inner[1]) < 2, inner
    clean(recorder)


def test_charts_already_drawn_are_not_redrawn_when_the_outputs_around_them_change(server, page, recorder):
    """The template's patch again: when a chart of 県の全体像 is replaced after a prefecture switch, the
    renderer sends a resize message to the outputs below, and each chart there was fully redrawn (~20 ms,
    width unchanged) just before its own replacement. A chart drawn in view whose width has not changed is
    no longer redrawn; none of the old or new charts draws twice."""
    open_dashboard(page, server, "県の全体像.ipynb")
    page.wait_for_selector(".wb-fig-flowchart .main-svg", timeout=TIMEOUT)
    page.wait_for_timeout(600)
    page.evaluate(
        """() => { window.__again = []; window.__drawn = 0; const P = window.Plotly; const react = P.react;
        const watch = (g, what) => g.on('plotly_afterplot', () => { window.__again.push(what); });
        document.querySelectorAll('.wb-fig .js-plotly-plot').forEach((g) => watch(g,
          'old ' + [...g.closest('.wb-fig').classList].find((c) => c.startsWith('wb-fig-'))));
        P.react = function (gd, ...rest) { return react.call(this, gd, ...rest).then((g) => {
          window.__drawn += 1; watch(g, 'new'); return g; }); }; }"""
    )
    before = svg(page, "wb-fig-flowchart")
    # from 福島県 to 栃木県 (to 群馬県, no resize message reached the charts below)
    choose(page, ".wb-pref-picker", "09 栃木県")
    wait_changed(page, "wb-fig-flowchart", before)
    page.wait_for_function("() => window.__drawn >= 4", timeout=30_000)  # counts, map, municipalities, 型
    page.wait_for_timeout(600)
    assert page.evaluate("() => window.__again") == [], "a chart was drawn a second time"
    clean(recorder)


def test_deck_download_from_a_dashboard(server, page, recorder, tmp_path):
    """The dashboard's button builds the deck in memory and the browser downloads it (nothing on the server)."""
    from pptx import Presentation

    open_dashboard(page, server, "認証レベル.ipynb")
    page.locator(".wb-deck-button").click()
    link = page.locator(".wb-deck-link a.wb-download")
    link.wait_for(timeout=TIMEOUT)
    with page.expect_download(timeout=60_000) as info:
        link.click()
    download = info.value
    assert download.suggested_filename.startswith("07_福島県_共同利用_検討資料_")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    assert len(Presentation(str(path)).slides) >= 10
    clean(recorder)


def test_data_flow_dashboard(server, page, recorder):
    open_dashboard(page, server, "データの流れ.ipynb")
    page.wait_for_selector(".wb-fig-datamap-flow .main-svg", timeout=TIMEOUT)
    page.wait_for_selector(".wb-fig-datamap-matrix .main-svg", timeout=TIMEOUT)
    assert "データの流れ（データマップ）" in page.locator(".wb-datamap-card").inner_text()
    page.wait_for_selector(".wb-datamap-apis table", timeout=TIMEOUT)
    before = svg(page, "wb-fig-datamap-flow")
    choose(page, ".wb-pref-picker", "10 群馬県")
    page.wait_for_function(
        "() => document.querySelector('.wb-datamap-card').innerText.includes('群馬県')", timeout=30_000
    )
    wait_changed(page, "wb-fig-datamap-flow", before)
    page.wait_for_function(  # the tables follow a moment later (secondary draw)
        "() => document.querySelector('.wb-datamap-cross').innerText.includes('健康記録')", timeout=30_000
    )
    shot(page, "dashboard_datamap")
    clean(recorder)


@pytest.mark.parametrize(
    ("query", "name"), [("?pref=09", "栃木県"), ("?pref=" + urllib.parse.quote("群馬県"), "群馬県")]
)
def test_pref_link(server, page, recorder, query, name):
    open_dashboard(page, server, "県の全体像.ipynb", query)
    page.wait_for_function(
        "(name) => document.querySelector('.wb-title') && document.querySelector('.wb-title').innerText.includes(name)",
        arg=name,
        timeout=TIMEOUT,
    )
    selected = page.locator(".wb-pref-picker select").evaluate("s => s.options[s.selectedIndex].text")
    assert selected.startswith("09" if name == "栃木県" else "10")
    shot(page, f"dashboard_link_{query.split('=')[1][:6]}")
    clean(recorder)


def test_offline_snapshot_renders_every_chart(browser, recorder, tmp_path):
    from workbench.cli import main

    out = tmp_path / "snapshot.html"
    assert main(["report", str(ROOT / "data" / "prefectures" / "07_fukushima.yaml"), "--html", str(out)]) == 0
    expected = out.read_text(encoding="utf-8").count("class='wb-chart'")
    context = new_context(browser, recorder, offline=True)
    try:
        page = context.new_page()
        recorder.attach(page)
        page.goto(out.as_uri())
        page.wait_for_function(
            "(n) => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n",
            arg=expected,
            timeout=60_000,
        )
        assert page.locator(".js-plotly-plot").count() == expected >= 6
        shot(page, "snapshot_07")
    finally:
        context.close()
    clean(recorder)


@pytest.mark.parametrize("notebook", sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb")))
def test_notebook_html_screenshot(browser, recorder, tmp_path, notebook):
    """The executed notebooks rendered to HTML with nbconvert (artefacts; widget state is not committed, so
    widgets show as placeholders while tables and printed results are there)."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(ROOT / "notebooks" / notebook, as_version=4)
    exporter = HTMLExporter(template_name="lab")
    exporter.require_js_url = ""
    exporter.mathjax_url = ""
    body, _ = exporter.from_notebook_node(nb)
    path = tmp_path / (Path(notebook).stem + ".html")
    path.write_text(body, encoding="utf-8")
    context = new_context(browser, recorder, offline=True)
    try:
        page = context.new_page()
        page.goto(path.as_uri())
        page.wait_for_selector(".jp-Notebook", timeout=30_000)
        assert page.locator(".jp-Cell").count() == len(nb.cells)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"notebook_{Path(notebook).stem}.png"), full_page=True)
    finally:
        context.close()
    # nbconvert's template may point at CDNs for require.js and the widget manager: recorded, not fetched
    (ARTIFACTS / f"notebook_{Path(notebook).stem}.external.txt").write_text(
        "\n".join(recorder.external) + "\n"
    )
