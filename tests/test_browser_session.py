"""Issue 25 in a real browser: the consultant's session as ``make notebooks`` starts it (tools/notebooks.py),
for a sample (09 栃木県) and a synthetic prefecture (47 沖縄県), through the Step notebooks in JupyterLab.

The link the launcher prints (token included) is the one the browser opens; the notebooks are the working
copies it made (no outputs: nothing of 福島県); every step below is what a consultant does in front of staff:

* 01: a new platform row starts empty and 適用 names the empty field; 那須塩原市's own platform starts with
  那須塩原市 chosen, two towns added keep it, すべて and back restores the three; a save from the service editor
  clears the platform editor's unsaved note; tables fit; exports are links that download;
* 03: −2 months and 02/30/2026 are refused beside their fields; a start date, a new item owned by an office;
* 02: the yearly costs in 令和 years from the start saved in 03; a negative KPI target refused beside it, the old
  保存しました gone; the vision card shows the vision;
* a hand-edited file: the located Japanese line and how to fix it, never a traceback;
* 沖縄県: 合成データ on every card and chart title.

Screenshots go to artifacts/session_<code>_<step>.png. Slow (about 4 minutes on 2 shared cores).
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
from test_browser_lab import BUSY, choose, shut_down_kernels, wait_widget
from test_browser_support import CHROMIUM, ROOT, Recorder, children, free_port, launch, new_context

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs /usr/bin/chromium"),
]

TIMEOUT = 240_000
ARTIFACTS = ROOT / "artifacts"
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"


class Launcher:
    """``tools/notebooks.py`` (what ``make notebooks`` runs) on a free port, HOME in a temporary folder; the
    link it prints, and every process it started (JupyterLab and its kernels) for the check at the end."""

    def __init__(self, home: Path, code: str) -> None:
        self.home, self.root = home, home / "root"
        settings = home / ".jupyter" / "lab" / "user-settings" / "@jupyterlab"
        (settings / "notebook-extension").mkdir(parents=True)
        (settings / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
            '{"windowingMode": "none"}'
        )
        (settings / "apputils-extension").mkdir(parents=True)
        (settings / "apputils-extension" / "notification.jupyterlab-settings").write_text(
            '{"fetchNews": "false"}'
        )
        env = dict(os.environ)
        env.update(
            HOME=str(home),
            JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
            JUPYTER_DATA_DIR=str(home / ".local" / "share" / "jupyter"),
            JUPYTER_RUNTIME_DIR=str(home / ".local" / "share" / "jupyter" / "runtime"),
            JUPYTERLAB_SETTINGS_DIR=str(home / ".jupyter" / "lab" / "user-settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(home / ".jupyter" / "lab" / "workspaces"),
            IPYTHONDIR=str(home / ".ipython"),
            WORKBENCH_CACHE=str(home / ".cache" / "workbench"),
        )
        env.pop("WORKBENCH_OUTPUT", None)
        env.pop("WORKBENCH_PREFECTURE", None)
        self.port = free_port()
        cmd = [sys.executable, str(ROOT / "tools" / "notebooks.py"), "--port", str(self.port)]
        cmd += ["--root", str(self.root), "--prefecture", code, "--no-browser"]
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
        )
        self.seen: set[int] = set()
        self.lines: queue.Queue[str] = queue.Queue()
        self._stop = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._watch, daemon=True).start()
        self.url = self._link()
        self.base = f"http://127.0.0.1:{self.port}"

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)

    def _watch(self) -> None:
        while not self._stop.is_set():
            todo = [self.proc.pid]
            while todo:
                kids = children(todo.pop())
                self.seen.update(kids)
                todo += kids
            self._stop.wait(0.5)

    def _link(self) -> str:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                assert self.proc.poll() is None, "tools/notebooks.py exited"
                continue
            m = re.search(r"(http://\S+\?token=[A-Za-z0-9_-]{16,})", line)  # ours, not the log's token=...
            if m:
                return m.group(1)
        raise TimeoutError("no link printed")

    def stop(self) -> list[int]:
        """SIGTERM as Ctrl+C would; returns the processes still alive (none expected)."""
        with_children = set(self.seen)
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self._stop.set()
        time.sleep(1)
        alive = [p for p in with_children if Path(f"/proc/{p}").exists() and not _zombie(p)]
        for p in alive:
            os.kill(p, signal.SIGKILL)
        return alive


def _zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2 :].split()[0] == "Z"


@pytest.fixture(scope="module")
def browser():
    """One Chromium for both sessions (each gets a new context: its own cookies, cache and recorder)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = launch(p)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def browser_page(browser):
    recorder = Recorder()
    context = new_context(browser, recorder)
    try:
        yield context.new_page(), recorder
    finally:
        context.close()


def shot(page, code: str, step: str, focus: str | None = None) -> None:
    """A screenshot in artifacts/, the notebook scrolled so that ``focus`` (a CSS selector) is at the top."""
    ARTIFACTS.mkdir(exist_ok=True)
    if focus:
        page.locator(focus).first.evaluate("e => e.scrollIntoView({block: 'start'})")
        time.sleep(0.5)
    page.screenshot(path=str(ARTIFACTS / f"session_{code}_{step}.png"))


def panel_text(page) -> str:
    return page.locator(PANEL).inner_text()


def open_notebook(page, lab: Launcher, name: str) -> None:
    """``name`` alone in JupyterLab with a kernel of its own (the earlier notebooks' kernels shut down, once the
    notebook open before is left for a blank page), idle."""
    page.goto("about:blank")
    shut_down_kernels(page, lab.base)
    page.goto(f"{lab.base}/lab/tree/{urllib.parse.quote(name)}?reset", timeout=TIMEOUT)
    wait_idle(page)


def wait_idle(page) -> None:
    page.wait_for_selector(f"{PANEL} .jp-Notebook", timeout=TIMEOUT)
    page.wait_for_function("() => document.body.innerText.includes('| アイドル')", timeout=TIMEOUT)


STARTED = (
    "() => Array.from(document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-InputPrompt'))"
    ".some(e => /\\[(\\*|\\d+)\\]/.test(e.textContent))"
)


def run_all(page) -> None:
    """実行 → すべてのセルを実行; once more if no cell started (a click while the page was still settling),
    then wait until no cell is running."""
    for attempt in range(2):
        page.locator(f"{PANEL} .jp-Notebook").first.click(position={"x": 5, "y": 5})
        page.locator(".lm-MenuBar-itemLabel", has_text="実行").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="すべてのセルを実行").first.click()
        try:
            page.wait_for_function(STARTED, timeout=30_000)
            break
        except Exception:
            if attempt:
                raise
    time.sleep(2)
    page.wait_for_function(BUSY, timeout=TIMEOUT)


def wait_text(page, css: str, words: str, timeout: int = 120_000) -> None:
    page.wait_for_function(
        "([css, words]) => Array.from(document.querySelectorAll(css))"
        ".some(e => (e.innerText || e.textContent || '').includes(words))",
        arg=[css, words],
        timeout=timeout,
    )


def text_of(page, css: str) -> str:
    return page.locator(css).first.inner_text()


def click_apply(editor) -> None:
    editor.locator("button.wb-apply, button.wb-plan-apply, button.wb-vision-apply").first.click()


def tables_fit(page) -> list[str]:
    """Staff tables wider than the output they sit in (their text cut at the right edge)."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) div.wb-table'))
             .filter(d => d.offsetParent !== null)
             .filter(d => d.querySelector('table').getBoundingClientRect().right
                          > d.closest('.jp-OutputArea-output').getBoundingClientRect().right + 1)
             .map(d => d.querySelector('th') ? d.querySelector('th').innerText : '?')"""
    )


def chart_titles(page) -> list[str]:
    page.wait_for_selector(f"{PANEL} .js-plotly-plot .main-svg", timeout=TIMEOUT)
    time.sleep(2)
    return page.locator(f"{PANEL} .js-plotly-plot .gtitle").all_text_contents()


def export_links(page, lab: Launcher) -> list[tuple[str, bool, int]]:
    """(file name, downloads?, HTTP status of its link) of the export links shown last."""
    out = []
    for a in page.locator(f"{PANEL} a.wb-export").all():
        href = a.get_attribute("href") or ""
        url = href if href.startswith("http") else lab.base + href
        out.append((a.inner_text(), a.get_attribute("download") is not None, page.request.get(url).status))
    return out


# --- the sample: 09 栃木県 ---------------------------------------------------------------------------------------


def step1_sample(page, lab: Launcher) -> None:
    assert panel_text(page).count("\n") > 10 and page.locator(f"{PANEL} .jp-OutputArea-output").count() == 0
    text = panel_text(page)
    assert "NBVAL" not in text and "import workbench as wb" in text  # tags, not comments; plumbing folded
    assert page.locator(f"{PANEL} .jp-InputPlaceholder").count() >= 3
    run_all(page)
    editor = wait_widget(page, ".wb-platform-editor", "platform_editor")
    wait_text(page, ".wb-class-card", "栃木県（09）Step 1 現状把握")
    assert "合成データ" not in " ".join(chart_titles(page))
    # 1. a new row starts empty; 適用 names the empty fields
    choose(editor.locator(".wb-platform-editor-chooser select"), "新しい行を追加")
    page.wait_for_function(
        "() => document.querySelector('.wb-platform-editor .wb-field-id input').value === ''", timeout=30_000
    )
    click_apply(editor)
    wait_text(page, ".wb-platform-editor .wb-msg-name", "名称を入力してください")
    wait_text(page, ".wb-platform-editor .wb-msg-operated_by", "運営を選んでください")
    assert "PydanticUndefined" not in panel_text(page)
    # every dropdown shows an option (ipywidgets drew —（なし）/不明 as blank boxes after a row with values)
    blank = page.evaluate(
        "() => Array.from(document.querySelectorAll('.wb-platform-editor select')).filter(s => s.selectedIndex < 0)"
        ".map(s => s.closest('.widget-dropdown').innerText)"
    )
    assert blank == [], blank
    shot(page, "09", "01_new_row_refused", ".wb-platform-editor")
    # 2. 那須塩原市's platform starts with 那須塩原市; two towns added keep it; すべて and back restores them
    choose(editor.locator(".wb-platform-editor-chooser select"), "那須塩原市データ連携基盤")
    users = editor.locator(".wb-field-municipalities")
    wait_text(
        page, ".wb-platform-editor .wb-field-municipalities .wb-choice-summary", "1 / 25 件を選択: 那須塩原市"
    )
    for town in ("大田原市", "那須町"):
        users.locator(".wb-choice-item", has_text=town).click()
    wait_text(page, ".wb-platform-editor .wb-field-municipalities .wb-choice-summary", "3 / 25 件を選択")
    users.locator(".wb-choice-all input").check()
    wait_text(page, ".wb-platform-editor .wb-field-municipalities .wb-choice-summary", "すべて（25 件）")
    users.locator(".wb-choice-all input").uncheck()
    wait_text(
        page,
        ".wb-platform-editor .wb-field-municipalities .wb-choice-summary",
        "3 / 25 件を選択: 大田原市、那須塩原市、那須町",
    )
    click_apply(editor)
    wait_text(page, ".wb-platform-editor-status", "まだファイルには保存していません")
    wait_text(page, ".wb-class-card", "パターン")
    shot(page, "09", "01_users_applied", ".wb-platform-editor .wb-field-municipalities")
    # 12. a save from the service editor is a save of the session: the platform editor says so
    page.locator(".wb-service-editor-save").click()
    wait_text(page, ".wb-service-editor-status", "保存しました")
    wait_text(page, ".wb-platform-editor-status", "保存しました")
    assert "まだファイルには保存していません" not in text_of(page, ".wb-platform-editor-status")
    saved = (lab.root / "書き出し" / "09_tochigi.yaml").read_text(encoding="utf-8")
    assert re.search(r"municipalities: \[['\"]?092100", saved) or "092100" in saved
    # 10. staff tables fit the notebook; 3. exports are links that open or download
    assert tables_fit(page) == []
    links = export_links(page, lab)
    assert [n for n, _d, _s in links] == [
        "step1_09.json",
        "step1_09_課題リスト.csv",
        "step1_09_データマップ.xlsx",
        "step1_09_公開API一覧.html",
    ]
    assert all(status == 200 for _n, _d, status in links), links
    assert [d for _n, d, _s in links] == [False, False, True, False]  # the workbook downloads
    shot(page, "09", "01_exports", f"{PANEL} .jp-Cell:last-child")


def step3_sample(page, lab: Launcher) -> None:
    open_notebook(page, lab, "03_Step3_実行計画.ipynb")
    run_all(page)
    editor = wait_widget(page, ".wb-plan-editor", "plan_editor")
    choose(
        editor.locator(".wb-plan-item select"), " Well-Being指標等を活用しつつ地域課題を分析"
    )  # c1-1, by its name
    page.wait_for_function("() => document.querySelector('.wb-plan-duration input').value === '3'")
    # 4. refusals beside their fields; nothing changes
    editor.locator(".wb-plan-duration input").fill("-2")
    editor.locator(".wb-plan-duration input").press("Tab")
    editor.locator(".wb-plan-apply").click()
    wait_text(page, ".wb-plan-msg-duration", "期間は 0〜120 の整数")
    wait_text(page, ".wb-plan-editor-status", "適用しませんでした")
    editor.locator(".wb-plan-duration input").fill("3")
    editor.locator(".wb-plan-start-date input").fill("02/30/2026")
    editor.locator(".wb-plan-start-date input").press("Tab")
    editor.locator(".wb-plan-apply").click()
    wait_text(page, ".wb-plan-msg-plan_start", "日付として読めません")
    assert not page.locator(".wb-plan-msg-duration").inner_text().strip()
    shot(page, "09", "03_refused", ".wb-plan-editor")
    # the plan's start, as staff write it; 12. a new item owned by an office
    editor.locator(".wb-plan-start-date input").fill("令和8年4月1日")
    editor.locator(".wb-plan-start-date input").press("Tab")
    editor.locator(".wb-plan-apply").click()
    wait_text(page, ".wb-plan-editor-status", "計画の開始日を変更しました")
    choose(editor.locator(".wb-plan-item select"), "新しい取組事項を追加")
    page.wait_for_function("() => document.querySelector('.wb-plan-title input').value === ''")
    editor.locator(".wb-plan-title input").fill("県民説明会の開催")
    editor.locator(".wb-plan-owner input").fill("デジタル推進課")
    editor.locator(".wb-plan-owner input").press("Tab")
    editor.locator(".wb-plan-apply").click()
    wait_text(page, ".wb-plan-editor-status", "取組事項「県民説明会の開催」を追加しました")
    wait_text(page, ".wb-fig-gantt .legend", "デジタル推進課")
    editor.locator(".wb-plan-editor-save").click()
    wait_text(page, ".wb-plan-editor-status", "保存しました")
    shot(page, "09", "03_added", ".wb-plan-editor")
    import datetime as dt

    import workbench as wb

    saved = wb.load(lab.root / "書き出し" / "09_tochigi.yaml").plan
    assert saved.start == dt.date(2026, 4, 1)
    assert [(e.title, e.owner) for e in saved.items if e.title] == [("県民説明会の開催", "デジタル推進課")]


def step2_sample(page, lab: Launcher) -> None:
    open_notebook(page, lab, "02_Step2_ビジョン策定.ipynb")
    run_all(page)
    editor = wait_widget(page, ".wb-vision-editor", "vision_editor")
    # 12. the vision card shows the vision; 9. the yearly costs in 令和 years from the start saved in 03
    wait_text(page, ".wb-vision-card", "県内どこでも同じサービスを使えるようにする")
    wait_text(page, ".wb-cost-cash", "令和8年度")
    assert "実行計画に開始日を入れると" not in panel_text(page)
    assert tables_fit(page) == []
    assert page.locator(f"{PANEL} table.dataframe").count() == 0
    # 4. a KPI refused beside its field, the old 保存しました replaced
    page.locator(".wb-vision-editor-save").click()
    wait_text(page, ".wb-vision-editor-status", "保存しました")
    choose(editor.locator(".wb-vision-kpi select"), "新しいKPIを追加")
    # the kernel fills the form of the new row first (目標値 0): typing before that would be overwritten
    page.wait_for_function("() => document.querySelector('.wb-vision-kpi-target input').value === '0'")
    editor.locator(".wb-vision-kpi-target input").fill("-5")
    editor.locator(".wb-vision-kpi-target input").press("Tab")
    editor.locator(".wb-vision-apply").click()
    wait_text(page, ".wb-vision-msg-target", "目標値: 0 以上を指定してください（入力: -5）")
    assert "保存しました" not in text_of(page, ".wb-vision-editor-status")
    assert "適用しませんでした" in text_of(page, ".wb-vision-editor-status")
    shot(page, "09", "02_kpi_refused", ".wb-vision-kpi")


def hand_edited_file(page, lab: Launcher) -> None:
    path = lab.root / "書き出し" / "09_tochigi.yaml"
    text = path.read_text(encoding="utf-8").replace("initial: 250000000", "initial: -250000000")
    path.write_text(text, encoding="utf-8")
    line = next(i for i, x in enumerate(text.splitlines(), 1) if "-250000000" in x)
    open_notebook(page, lab, "01_Step1_現状把握.ipynb")
    run_all(page)
    error = page.locator(f"{PANEL} .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    error.first.wait_for(timeout=TIMEOUT)
    shown = error.first.inner_text()
    # the field's Japanese name beside its path since issue 27
    assert (
        f"09_tochigi.yaml:{line}: costs.shared.initial（初期費用（円））: 0.0 以上を指定してください" in shown
    )
    assert f"直し方: 09_tochigi.yaml の {line} 行目を直して保存し" in shown
    assert "Traceback" not in shown and "InputError" not in shown
    shot(page, "09", "01_hand_edited_error")


# --- the synthetic prefecture: 47 沖縄県 ----------------------------------------------------------------------------


def synthetic_steps(page, lab: Launcher) -> None:
    run_all(page)
    editor = wait_widget(page, ".wb-platform-editor", "platform_editor")
    wait_text(page, ".wb-class-card", "沖縄県（47）Step 1 現状把握（合成データ）")
    titles = chart_titles(page)
    assert titles and all(t.endswith("（合成データ）") for t in titles), titles
    # no platform: the editor opens on the new row, empty
    assert editor.locator(".wb-field-id input").input_value() == ""
    assert "PydanticUndefined" not in panel_text(page)
    shot(page, "47", "01", ".wb-classification")
    open_notebook(page, lab, "02_Step2_ビジョン策定.ipynb")
    run_all(page)
    wait_text(page, ".wb-vision-card", "共同利用ビジョン（合成データ）")
    wait_text(page, ".wb-vision-card", "合成データです")
    titles = chart_titles(page)
    # every chart of the prefecture says so; the guide's survey of ten bodies is the guide's, not 沖縄県's
    assert "ヒアリング10団体の回答" in titles
    assert all(t.endswith("（合成データ）") for t in titles if t != "ヒアリング10団体の回答"), titles
    assert tables_fit(page) == []
    shot(page, "47", "02", ".wb-vision")
    open_notebook(page, lab, "03_Step3_実行計画.ipynb")
    run_all(page)
    wait_widget(page, ".wb-plan-editor", "plan_editor")
    titles = chart_titles(page)
    assert titles and all(t.endswith("（合成データ）") for t in titles), titles
    links = export_links(page, lab)
    assert [(n, d, s) for n, d, s in links] == [
        ("step3_47_実行計画.xlsx", True, 200),
        ("step3_47_会議資料.pptx", True, 200),
    ]
    shot(page, "47", "03", ".wb-fig-gantt")


@pytest.mark.parametrize("code", ["09", "47"])
def test_the_consultants_session_through_the_step_notebooks(tmp_path, browser_page, code):
    page, recorder = browser_page
    lab = Launcher(tmp_path, code)
    try:
        # 11. the printed link opens JupyterLab on Step 1, no password page
        assert "/lab/tree/01_Step1_" in lab.url and "token=" in lab.url
        page.goto(lab.url, timeout=TIMEOUT)
        wait_idle(page)
        assert "Password" not in page.content()
        if code == "09":
            step1_sample(page, lab)
            step3_sample(page, lab)
            step2_sample(page, lab)
            hand_edited_file(page, lab)
        else:
            synthetic_steps(page, lab)
        assert not recorder.external, recorder.external
    finally:
        left = lab.stop()
    assert left == [], "JupyterLab or a kernel outlived Ctrl+C"
