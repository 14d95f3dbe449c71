"""Dashboards under load (issue 12): N concurrent viewers against one Voila, as a busy meeting would.

    .venv/bin/python benchmarks/bench_load.py                  # 20 viewers, 3 rounds
    .venv/bin/python benchmarks/bench_load.py --viewers 20 --rounds 5 --config etc/voila
    .venv/bin/python benchmarks/bench_load.py --smoke          # 3 viewers, 1 round (not a measurement)

Each round starts Voila (the repository's etc/voila configuration unless ``--config`` names another folder) on a
free loopback port, waits for the kernel pool, then opens the dashboards in N headless Chromium pages at once
(round robin over the three dashboards, ``?pref=07``). Measured per round:

- time from navigation to *every* chart of the page drawn (the charts of ``SETTLED``), per viewer;
- viewers shown the 「混み合っています」 page (the kernel cap) and viewers that failed or timed out;
- peak memory: the sum of the resident set of Voila and its kernels (children), sampled every 0.5 s;
- kernels left 40 s after every page was closed (beforeunload fired, as closing a tab does), beyond the
  preheated pool, and whether the server still answers;
- whether SIGTERM stops Voila and every kernel within 15 s (a wedged server would not).

Prints JSON. The machine is shared (2 cores): numbers are noisy; compare runs made side by side.

What froze with 20 viewers (issue 12, point 12) -- what is established, and what is not
-------------------------------------------------------------------------------------------
- Capacity. Every viewer gets a kernel that runs the dashboard (about 180 MB, several seconds of CPU, then
  widget traffic); 20 of them on 2 cores take minutes (this benchmark: every chart after 2 to 3 minutes,
  median, before and after the fixes). Under that load nbclient's default ``iopub_timeout`` (4 s) gave up
  waiting for a cell's output and Voila dropped it: the page never got its dashboard and looked frozen for
  good (logged "Timeout waiting for IOPub output"; 5 of 60 pages in one measurement). Fixed:
  ``VoilaExecutor.iopub_timeout`` 120 s in etc/voila/voila.json; the kernel cap turns more viewers than the
  machine can serve into the busy page instead of ever slower pages.
- Why SIGTERM did nothing. Voila's SIGTERM handler only schedules ``ioloop.stop`` on the event loop
  (``VoilaApp._handle_signal_stop``), and its stop then awaits every preheated kernel's start with no time
  limit (``shutdown_all`` awaits each pool task). When the main thread is inside a call that does not
  return, the loop never runs again: the signal is received and nothing happens, and the kernels stay. On the
  kernel-start path the main thread makes such calls without any time limit: ``kernel_info()`` in
  ``wait_for_ready`` sends through ``jupyter_client.Session.send``, which turns the asyncio socket into a
  blocking one (``zmq.Socket.shadow``) and sends without ``NOBLOCK``; a start that fails under load
  (nbclient's 60 s ``startup_timeout``) stops its channels with ``Thread.join()`` and a zmq context
  ``term()``, both unbounded. The reported stack (main thread in ``kernel_info`` during a kernel start) is
  one of these calls not returning.
- Not established: which condition made that call block. No wedge happened on this machine in 14 runs: 5
  rounds of this benchmark (20 browsers) and 3 bursts of 20 plain GETs with the original configuration (two
  of the bursts stopped with SIGTERM in the middle of the kernel starts: stopped in 3.5 s, nothing left),
  and 6 rounds with the bounded server. The server now records the evidence when it happens: a stalled event loop (30 s)
  writes every thread's stack to the log, and this benchmark sends SIGUSR1 (faulthandler) to a server that
  stops answering. Whatever the blocking call is, the server no longer wedges for good: the
  SIGTERM watchdog thread of ``workbench.dashboard_server`` kills the kernels and exits after
  ``stop_timeout`` (tested with a main thread blocked for an hour: tests/test_dashboard_server.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from test_browser_support import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    children,
    free_port,
    rss_mb,
    voila_env,
)

DASHBOARDS = ["県の全体像.ipynb", "費用負担シミュレーター.ipynb", "認証レベル.ipynb"]
SETTLED = {
    "県の全体像.ipynb": ["wb-fig-counts", "wb-fig-munis", "wb-fig-flowchart"],
    "費用負担シミュレーター.ipynb": ["wb-fig-cost-standalone"],
    "認証レベル.ipynb": ["wb-fig-auth-matrix", "wb-fig-auth-gaps"],
}
BUSY = ".wb-busy"  # the page shown when the kernel cap is reached (share/jupyter/voila/templates/wb)


def _answers(base: str, timeout: float = 5) -> bool:
    try:
        urllib.request.urlopen(f"{base}/__ready__", timeout=timeout)
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


def _p95(values: list[float]) -> float:
    """The 95th percentile (nearest rank: with 20 viewers, the 19th fastest)."""
    ordered = sorted(values)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


class Sampler(threading.Thread):
    """Peak RSS of a process and its children, sampled every 0.5 s."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.peak_kernels, self._halt = pid, 0.0, 0, threading.Event()
        self.seen: set[int] = set()

    def run(self) -> None:
        while not self._halt.is_set():
            kids = children(self.pid)
            self.seen.update(kids)
            self.peak = max(self.peak, rss_mb([self.pid, *kids]))
            self.peak_kernels = max(self.peak_kernels, len(kids))
            self._halt.wait(0.5)

    def stop(self) -> None:
        self._halt.set()
        self.join(5)


async def _viewer(browser, base: str, notebook: str, timeout_s: float, viewer: int = 0) -> dict:
    # each viewer its own client, as a reverse proxy on this machine forwards them (trusted_proxies below):
    # the load of 20 people, not one person at the limit per client
    context = await browser.new_context(
        viewport={"width": 1400, "height": 2400},
        locale="ja-JP",
        extra_http_headers={"X-Forwarded-For": f"10.24.0.{viewer + 1}"},
    )

    async def route(r):
        url = r.request.url
        if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
            await r.continue_()
        else:
            await r.abort()

    await context.route("**/*", route)
    page = await context.new_page()
    out: dict = {"notebook": notebook}
    t0 = time.perf_counter()
    try:
        await page.goto(
            f"{base}/voila/render/{urllib.parse.quote(notebook)}?pref=07",
            timeout=timeout_s * 1000,
            wait_until="commit",
        )
        sel = ", ".join([BUSY] + [f".{c} .main-svg" for c in SETTLED[notebook][:1]])
        await page.wait_for_selector(sel, timeout=timeout_s * 1000)
        if await page.locator(BUSY).count():
            out["result"] = "busy"
        else:
            for css in SETTLED[notebook]:
                await page.wait_for_selector(f".{css} .main-svg", timeout=timeout_s * 1000)
            out["result"] = "ok"
        out["s"] = round(time.perf_counter() - t0, 2)
    except Exception as err:  # a timeout or a broken page: counted, not raised
        out["result"] = "failed"
        out["error"] = f"{type(err).__name__}: {str(err)[:160]}"
        out["s"] = round(time.perf_counter() - t0, 2)
    out["page"], out["context"] = page, context
    return out


async def _round(base: str, viewers: int, timeout_s: float) -> list[dict]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            tasks = [
                _viewer(browser, base, DASHBOARDS[i % len(DASHBOARDS)], timeout_s, i) for i in range(viewers)
            ]
            results = await asyncio.gather(*tasks)
            for r in results:  # close each tab the way a person does: beforeunload runs
                with contextlib.suppress(Exception):
                    await r["page"].close(run_before_unload=True)
            await asyncio.sleep(1)
            for r in results:
                with contextlib.suppress(Exception):
                    await r.pop("context").close()
                r.pop("page", None)
        finally:
            await browser.close()
    return results


def one_round(viewers: int, config: Path, timeout_s: float, close_wait_s: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="wb-load-") as tmp:
        home = Path(tmp)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        cmd = [
            sys.executable,  # voila's own entry point, with a thread dump on SIGUSR1 (to see where a wedge sits)
            "-c",
            "import faulthandler, signal, sys; faulthandler.register(signal.SIGUSR1, all_threads=True); "
            "from voila.app import main; sys.exit(main())",
            str(ROOT / "dashboards"),
            f"--Voila.config_file_paths={config}",
            "--Voila.ip=127.0.0.1",
            f"--Voila.port={port}",
            "--Voila.port_retries=0",
            "--no-browser",
            "--BoundedKernelManager.trusted_proxies=127.0.0.1",  # the viewers' X-Forwarded-For (_viewer)
        ]
        log_path = home / "voila.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                cmd,
                cwd=ROOT,
                env=voila_env(home),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        out: dict = {"viewers": viewers}
        sampler = Sampler(proc.pid)
        seen: set[int] = set()
        try:
            deadline = time.monotonic() + 120
            while not _answers(base, 2):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("voila did not start: " + log_path.read_text(errors="replace")[-2000:])
                time.sleep(0.3)
            deadline = time.monotonic() + 180
            pool = len(list((ROOT / "dashboards").glob("*.ipynb")))  # one preheated kernel per dashboard
            while len(children(proc.pid)) < pool and time.monotonic() < deadline:
                time.sleep(0.5)
            time.sleep(2)
            out["kernels_idle"] = len(children(proc.pid))
            sampler.start()
            t0 = time.perf_counter()
            results = asyncio.run(_round(base, viewers, timeout_s))
            out["wall_s"] = round(time.perf_counter() - t0, 1)
            seen.update(children(proc.pid))
            ok = [r["s"] for r in results if r["result"] == "ok"]
            out["ok"] = len(ok)
            out["busy"] = sum(r["result"] == "busy" for r in results)
            out["failed"] = [r for r in results if r["result"] == "failed"]
            out["every_chart_all_s"] = sorted(ok)
            if ok:
                out["every_chart_s"] = {
                    "median": round(statistics.median(ok), 1),
                    "p95": round(_p95(ok), 1),
                    "max": round(max(ok), 1),
                    "min": round(min(ok), 1),
                }
            time.sleep(close_wait_s)
            seen.update(children(proc.pid))
            out["kernels_after_close"] = len(children(proc.pid))
            out["kernels_left_after_close"] = max(out["kernels_after_close"] - out["kernels_idle"], 0)
            out["server_answers"] = _answers(base)
        finally:
            with contextlib.suppress(Exception):  # nothing here may keep the server below from being stopped
                sampler.stop()
            out["peak_rss_mb"] = round(sampler.peak)
            out["peak_processes"] = sampler.peak_kernels
            t_stop = time.perf_counter()
            if not out.get("server_answers", True) and proc.poll() is None:
                os.kill(proc.pid, signal.SIGUSR1)  # thread dump into the log
                time.sleep(1)
                t_stop = time.perf_counter()
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)  # the server's own watchdog forces the stop after 20 s
                out["sigterm_stopped_s"] = round(time.perf_counter() - t_stop, 1)
            except subprocess.TimeoutExpired:
                out["sigterm_stopped_s"] = None  # wedged: SIGTERM ignored
                os.kill(proc.pid, signal.SIGUSR1)
                time.sleep(1)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            time.sleep(1)
            seen |= sampler.seen
            left = [p for p in seen if Path(f"/proc/{p}").exists()]
            out["kernels_left_after_stop"] = len(left)
            for p in left:  # never leave anything behind, whatever happened
                with contextlib.suppress(ProcessLookupError):
                    os.kill(p, signal.SIGKILL)
            wedged = out.get("sigterm_stopped_s") is None or not out.get("server_answers", True)
            text = log_path.read_text(errors="replace")
            out["log_tail"] = text[-6000:] if wedged else (text[-1500:] if out.get("failed") else "")
            if os.environ.get("WB_LOAD_KEEP_LOGS"):
                keep = Path(os.environ["WB_LOAD_KEEP_LOGS"])
                keep.mkdir(parents=True, exist_ok=True)
                (keep / f"voila-{port}.log").write_text(text)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--viewers", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--config", type=Path, default=ROOT / "etc" / "voila")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds a viewer waits for its charts")
    ap.add_argument(
        "--close-wait",
        type=float,
        default=40.0,
        help="seconds after the tabs closed before kernels are counted",
    )
    args = ap.parse_args(argv)
    if args.smoke:
        args.viewers, args.rounds, args.close_wait = 3, 1, 5.0
    rounds = [one_round(args.viewers, args.config, args.timeout, args.close_wait) for _ in range(args.rounds)]
    ok = [r for r in rounds if "every_chart_s" in r]
    pooled = [v for r in rounds for v in r.get("every_chart_all_s", [])]
    out = {
        "viewers": args.viewers,
        "rounds": rounds,
        "summary": {
            "ok": sum(r["ok"] for r in rounds),
            "busy": sum(r["busy"] for r in rounds),
            "failed": sum(len(r["failed"]) for r in rounds),
            "every_chart_median_s": statistics.median(r["every_chart_s"]["median"] for r in ok)
            if ok
            else None,
            "every_chart_max_s": max(r["every_chart_s"]["max"] for r in ok) if ok else None,
            # every viewer of every round pooled
            "every_chart_p50_s": round(statistics.median(pooled), 1) if pooled else None,
            "every_chart_p95_s": round(_p95(pooled), 1) if pooled else None,
            "peak_rss_mb": max(r["peak_rss_mb"] for r in rounds),
            "kernels_left_after_close": [r.get("kernels_left_after_close") for r in rounds],
            "sigterm_stopped_s": [r.get("sigterm_stopped_s") for r in rounds],
            "wedged": sum(r.get("sigterm_stopped_s") is None or not r.get("server_answers") for r in rounds),
            "kernels_left_after_stop": sum(r["kernels_left_after_stop"] for r in rounds),
        },
    }
    if args.smoke:
        out["smoke"] = True
    json.dump(out, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
