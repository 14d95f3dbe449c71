"""A meeting's worth of viewers (issue 28, point 3) without a server: the pool setting (``make dashboards
POOL=…``), the results the kernels of one server share on disk (and their invalidation when the prefecture file
changes), and the load client's reading of pages (the busy page counted as such, a page that never gets its
widgets counted as failed within its time limit, never a hang). Load numbers are in benchmarks/bench_viewers.py,
never asserted here."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import threading
from pathlib import Path

import pytest
from traitlets import Dict

from workbench import shared_cache
from workbench.dashboard_server import BoundedKernelManager, parse_pool, pool_text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_viewers as bv  # noqa: E402

# --- the pool setting ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sizes"),
    [
        ("8", {"default": 8}),
        (" 0 ", {"default": 0}),
        ("費用負担シミュレーター=12,2", {"費用負担シミュレーター.ipynb": 12, "default": 2}),
        ("県の全体像.ipynb=4、データの流れ=0", {"県の全体像.ipynb": 4, "データの流れ.ipynb": 0}),
    ],
)
def test_pool_setting_is_read_as_sizes_per_dashboard(text, sizes) -> None:
    assert parse_pool(text) == sizes


@pytest.mark.parametrize(
    "text", ["", "eight", "-1", "201", "８", "1.5", "3,4", "費用負担シミュレーター=", "=x"]
)
def test_a_pool_setting_that_is_no_size_is_refused_in_japanese(text) -> None:
    with pytest.raises(ValueError) as err:
        parse_pool(text)
    assert "POOL" in str(err.value)
    assert any("\u3040" <= c <= "\u30ff" for c in str(err.value))  # kana: a Japanese sentence


def test_pool_text_names_the_dashboards() -> None:
    assert (
        pool_text({"費用負担シミュレーター.ipynb": 12, "default": 2}) == "費用負担シミュレーター 12、ほか 2"
    )
    assert pool_text({"default": 8}) == "ダッシュボードごとに 8"


class Pooled(BoundedKernelManager):
    """Stands for Voila's preheating kernel manager (it adds ``kernel_pools_config`` on top of ours)."""

    kernel_pools_config = Dict({"default": {"pool_size": 1, "kernel_env_variables": {"A": "1"}}}, config=True)


def test_the_pool_setting_becomes_voilas_pool_sizes() -> None:
    m = Pooled(stop_watchdog=False, pool="費用負担シミュレーター=12,2")
    assert m.kernel_pools_config["default"] == {"pool_size": 2, "kernel_env_variables": {"A": "1"}}
    assert m.kernel_pools_config["費用負担シミュレーター.ipynb"] == {
        "pool_size": 12,
        "kernel_env_variables": {"A": "1"},
    }
    assert m._pool_target("費用負担シミュレーター.ipynb") == 12
    assert m._pool_target("県の全体像.ipynb") == 2


def test_without_the_setting_voilas_pool_is_left_alone() -> None:
    m = Pooled(stop_watchdog=False)
    assert m.kernel_pools_config == {"default": {"pool_size": 1, "kernel_env_variables": {"A": "1"}}}


def test_a_bad_pool_setting_stops_the_server_with_the_reason() -> None:
    with pytest.raises(ValueError, match="POOL"):
        Pooled(stop_watchdog=False, pool="many")


# --- results shared by the kernels, invalidated with the file -----------------------------------------------


@pytest.fixture
def shared(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv(shared_cache.ENV, "1")
    return tmp_path


def _session_of(path: Path):
    from workbench.inventory import load
    from workbench.widgets import Session

    s = Session()
    st = path.stat()
    s.set(load(path), path, source=(str(path), st.st_mtime_ns, st.st_size))
    return s


def test_a_second_kernel_reads_the_data_map_the_first_one_computed(shared, monkeypatch) -> None:
    """Two panels with caches of their own (as two kernels have) on the same file: the analysis runs once;
    after the file changes (content, size and time), it runs again, and the new result is shown."""
    import importlib

    from workbench.samples import sample_path
    from workbench.widgets import DataFlowPanel

    path = shared / "07.yaml"
    shutil.copyfile(sample_path("07"), path)
    dm = importlib.import_module("workbench.datamap")  # the package's name is the function's
    calls: list[int] = []
    real = dm.datamap

    def counting(pref):
        calls.append(1)
        return real(pref)

    monkeypatch.setattr(dm, "datamap", counting)
    first = DataFlowPanel(_session_of(path))
    assert len(calls) == 1
    second = DataFlowPanel(_session_of(path))
    assert len(calls) == 1, "the second kernel computed the data map again"
    assert second.card.value == first.card.value
    assert second.flow.widget.outputs == first.flow.widget.outputs
    assert second.flow.figure is not None and len(second.flow.figure.data) == len(first.flow.figure.data)

    text = path.read_text(encoding="utf-8")
    path.write_text(text + "\n# 変更\n", encoding="utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    DataFlowPanel(_session_of(path))
    assert len(calls) == 2, "a changed file must be analysed again"


def test_edited_content_is_never_shared(shared) -> None:
    """An edit in a notebook (session.set without a source) is keyed by the session: not written to disk."""
    from workbench.samples import load_sample
    from workbench.widgets import DataFlowPanel, Session

    s = Session()
    s.set(load_sample("07"))
    assert s.key()[0] == "revision"
    DataFlowPanel(s)
    assert not list((shared / "cache" / "results").glob("*.pickle"))


def test_the_shared_cache_is_off_outside_voila_unless_asked(monkeypatch) -> None:
    monkeypatch.delenv(shared_cache.ENV, raising=False)
    monkeypatch.delenv("VOILA_KERNEL_ID", raising=False)
    assert not shared_cache.enabled()
    monkeypatch.setenv("VOILA_KERNEL_ID", "k")
    assert shared_cache.enabled()
    monkeypatch.setenv(shared_cache.ENV, "0")
    assert not shared_cache.enabled()


def test_a_damaged_entry_is_a_miss_and_is_written_again(shared) -> None:
    key = (("file", ("/x.yaml", 1, 2)), "rule")
    assert shared_cache.store("t", key, {"a": 1})
    assert shared_cache.load("t", key) == {"a": 1}
    shared_cache.entry("t", key).write_bytes(b"not a pickle")
    assert shared_cache.load("t", key) is shared_cache.MISS
    assert shared_cache.load("t", (("file", ("/x.yaml", 1, 3)), "rule")) is shared_cache.MISS  # other size
    assert shared_cache.load("other", key) is shared_cache.MISS  # another namespace
    assert shared_cache.store("t", key, {"a": 2}) and shared_cache.load("t", key) == {"a": 2}


def test_the_cache_folder_is_private(shared) -> None:
    shared_cache.store("t", (("file", ("/x.yaml", 1, 2)),), 1)
    assert (shared_cache.cache_dir().stat().st_mode & 0o077) == 0


# --- the load client's reading of pages -----------------------------------------------------------------


def test_the_load_client_reads_the_kernel_and_the_widgets_of_a_voila_page() -> None:
    page = (
        '<script id="jupyter-config-data" type="application/json">\n {"baseUrl": "/", "kernelId": "k-1", '
        '"x": {"y": 1}}\n</script><script type="application/vnd.voila.cell-output+json">{"data": '
        '{"application/vnd.jupyter.widget-view+json": {"model_id": "m1", "version_major": 2}, "text/plain": "x"}}'
        '</script><script type="application/vnd.voila.cell-output+json">{"data": {"text/plain": "1"}}</script>'
    )
    assert bv.page_kernel_id(page) == "k-1"
    assert bv.page_models(page) == ["m1"]


def test_every_widget_means_children_known_and_every_chart_drawn() -> None:
    states = {
        "root": {"children": ["IPY_MODEL_a", "IPY_MODEL_chart"], "layout": "IPY_MODEL_lay"},
        "a": {"value": "x"},
        "chart": {"_dom_classes": ["wb-fig", "wb-fig-cost-map"], "outputs": []},
    }
    assert bv.missing(["root"], states) == ["chart chart", "lay"]
    states["lay"] = {}
    states["chart"]["outputs"] = [{"output_type": "display_data"}]
    assert bv.missing(["root"], states) == []


def test_the_nearest_rank_percentile() -> None:
    values = [float(i) for i in range(1, 21)]
    assert bv.percentile(values, 0.95) == 19.0
    assert bv.percentile(values, 0.5) == 10.0


def _serve(status: int, body: str):
    """A tiny HTTP server on 127.0.0.1 answering every request with ``status`` and ``body``."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the stdlib's name
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


@pytest.mark.parametrize(("status", "page"), [(503, "503.html"), (429, "429.html")])
def test_the_busy_page_is_counted_as_the_busy_page(status, page) -> None:
    body = (ROOT / "share" / "jupyter" / "voila" / "templates" / "wb" / page).read_text(encoding="utf-8")
    srv = _serve(status, body)
    try:
        out = asyncio.run(
            bv.viewer(f"http://127.0.0.1:{srv.server_port}", "費用負担シミュレーター.ipynb", 0, 10)
        )
    finally:
        srv.shutdown()
    assert out["result"] == "busy" and out["status"] == status and out["busy_page_ja"], out


def test_a_page_without_widgets_is_a_failure_not_a_hang() -> None:
    srv = _serve(200, "<html><body>no dashboard</body></html>")
    try:
        out = asyncio.run(
            bv.viewer(f"http://127.0.0.1:{srv.server_port}", "費用負担シミュレーター.ipynb", 0, 10)
        )
    finally:
        srv.shutdown()
    assert out["result"] == "failed" and "no kernel" in out["error"], out
