"""A meeting's worth of viewers without a browser (issue 28, point 3): N clients open a dashboard at once,
each the way Voila's page does it, and the time until every widget's state has arrived is measured.

    .venv/bin/python benchmarks/bench_viewers.py                          # 10, 20 and 40 viewers, own server
    .venv/bin/python benchmarks/bench_viewers.py --viewers 20 --pool 8   # one load, a pool of 8 per dashboard
    .venv/bin/python benchmarks/bench_viewers.py --url http://127.0.0.1:8866 --viewers 20   # a running server
    .venv/bin/python benchmarks/bench_viewers.py --smoke                 # 2 viewers (not a measurement)

One viewer, as Voila 0.5's page does it (voila/templates/lab/index.html.j2 and its widgets-manager8 bundle):

1. ``GET /voila/render/<notebook>?pref=07``, the page read to its end (the server streams it while the notebook
   runs). HTTP 503 (「混み合っています」) or 429 (「開いているページが多すぎます」) is recorded as the busy page;
   the page's ``jupyter-config-data`` gives the kernel id, its outputs the widget models shown
   (``application/vnd.jupyter.widget-view+json``).
2. The kernel's websocket ``/api/kernels/<id>/channels`` (Jupyter's JSON message protocol), a ``comm_open`` on
   ``jupyter.widget.control`` and ``request_states`` -- what the page's widget manager sends; the reply
   ``update_states`` holds the state of every widget.
3. Then the ``comm_msg`` updates that follow (the dashboards send charts below the first one a moment later),
   until every widget the page shows is known, with its children, and every chart slot (``wb-fig``) holds a
   chart: that instant is *every widget's state*, from the start of the GET.
4. The websocket closed and Voila's shutdown request sent (closing a tab does both).

Each viewer sends ``X-Forwarded-For`` with an address of its own (the server started here trusts 127.0.0.1 as a
proxy), so the viewers count as different clients, as 20 people in a meeting do; ``--same-client`` sends none
(one client: beyond ``max_kernels_per_client`` the busy page, HTTP 429). Only loopback addresses are contacted.
Prints JSON; the machine is shared (2 cores): compare runs made back to back.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

DASHBOARDS = ["県の全体像.ipynb", "費用負担シミュレーター.ipynb", "認証レベル.ipynb", "データの流れ.ipynb"]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
CHART_CLASS = "wb-fig"


# --- the page and the widget states (pure) -----------------------------------------------------------------


def page_kernel_id(page: str) -> str | None:
    """The kernel id in the page's ``jupyter-config-data`` (Voila's lab template), None when absent."""
    m = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S)
    if not m:
        return None
    try:
        return json.loads(m.group(1)).get("kernelId")
    except json.JSONDecodeError:
        return None


def page_models(page: str) -> list[str]:
    """The widget models the page's outputs show (``model_id`` of each widget view in Voila's cell outputs,
    ``<script type="application/vnd.voila.cell-output+json">``)."""
    out = []
    for raw in re.findall(
        r'<script type="application/vnd\.voila\.cell-output\+json">(.*?)</script>', page, re.S
    ):
        with contextlib.suppress(json.JSONDecodeError, KeyError, TypeError):
            out.append(json.loads(raw)["data"][WIDGET_VIEW]["model_id"])
    return out


def references(state: object) -> set[str]:
    """The model ids a widget state refers to (``IPY_MODEL_…`` anywhere in it: children, layout, style)."""
    found: set[str] = set()
    if isinstance(state, str):
        if state.startswith("IPY_MODEL_"):
            found.add(state.removeprefix("IPY_MODEL_"))
    elif isinstance(state, dict):
        for v in state.values():
            found |= references(v)
    elif isinstance(state, list | tuple):
        for v in state:
            found |= references(v)
    return found


def missing(roots: list[str], states: dict[str, dict]) -> list[str]:
    """What is still missing for the page to show every widget: model ids not yet known (the roots and all
    they refer to), and chart slots (Output widgets with the ``wb-fig`` class) without a chart yet."""
    seen: set[str] = set()
    todo = list(roots)
    lacking: list[str] = []
    while todo:
        mid = todo.pop()
        if mid in seen:
            continue
        seen.add(mid)
        state = states.get(mid)
        if state is None:
            lacking.append(mid)
            continue
        if CHART_CLASS in (state.get("_dom_classes") or ()) and not state.get("outputs"):
            lacking.append(f"chart {mid}")
        todo.extend(references(state))
    return sorted(lacking)


def decode_binary(frame: bytes) -> dict:
    """A binary websocket frame of Jupyter's legacy protocol: the count of parts, their offsets (32-bit big
    endian), the message JSON, then the buffers (not needed here)."""
    (n,) = struct.unpack_from("!I", frame, 0)
    offsets = struct.unpack_from(f"!{n}I", frame, 4)
    end = offsets[1] if n > 1 else len(frame)
    return json.loads(frame[offsets[0] : end].decode("utf-8"))


def percentile(values: list[float], q: float) -> float:
    """Nearest rank: with 20 values the 95th percentile is the 19th smallest."""
    ordered = sorted(values)
    return ordered[max(0, -(-int(q * 100) * len(ordered) // 100) - 1)]


# --- one viewer --------------------------------------------------------------------------------------------


def _message(channel: str, msg_type: str, content: dict, session: str, metadata: dict | None = None) -> str:
    return json.dumps(
        {
            "channel": channel,
            "header": {
                "msg_id": uuid.uuid4().hex,
                "msg_type": msg_type,
                "username": "load",
                "session": session,
                "date": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                "version": "5.3",
            },
            "parent_header": {},
            "metadata": metadata or {},
            "content": content,
            "buffers": [],
        }
    )


def _apply(msg: dict, comm: str, states: dict[str, dict]) -> bool:
    """Fold one kernel message into ``states``; True when it was the reply to ``request_states``."""
    kind = msg.get("msg_type") or msg.get("header", {}).get("msg_type")
    content = msg.get("content", {})
    data = content.get("data") or {}
    if kind == "comm_msg" and content.get("comm_id") == comm and data.get("method") == "update_states":
        for mid, s in data.get("states", {}).items():
            states[mid] = dict(s.get("state", {}))
        return True
    if kind == "comm_open":
        states[content.get("comm_id")] = dict(data.get("state", {}))
    elif kind == "comm_msg" and data.get("method") == "update":
        states.setdefault(content.get("comm_id"), {}).update(data.get("state", {}))
    return False


async def _every_state(ws, roots: list[str], session: str, timeout_s: float, t0: float, out: dict) -> None:
    """Ask for every widget's state, as the page's widget manager does, and read the kernel's messages until
    every widget the page shows is known and every chart slot holds a chart."""
    comm = uuid.uuid4().hex
    opening = {"comm_id": comm, "target_name": "jupyter.widget.control", "data": {}}
    # the widget control protocol's version goes in the metadata, as the page's widget manager sends it
    await ws.write_message(_message("shell", "comm_open", opening, session, {"version": "1.0.0"}))
    request = {"comm_id": comm, "data": {"method": "request_states"}}
    await ws.write_message(_message("shell", "comm_msg", request, session))
    states: dict[str, dict] = {}
    got_states = False
    deadline = time.monotonic() + timeout_s
    lacking: list[str] = roots
    while not got_states or lacking:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"still missing {len(lacking)}: {lacking[:3]}")
        raw = await asyncio.wait_for(ws.read_message(), left)
        if raw is None:
            raise RuntimeError("the kernel's websocket closed")
        if _apply(decode_binary(raw) if isinstance(raw, bytes) else json.loads(raw), comm, states):
            got_states = True
            out["states_s"] = round(time.perf_counter() - t0, 2)
        if got_states:
            lacking = missing(roots, states)
    out["widgets"] = len(states)


async def viewer(base: str, notebook: str, index: int, timeout_s: float, same_client: bool = False) -> dict:
    """Open ``notebook`` as one viewer; returns its outcome (ok, busy, failed) and times in seconds."""
    from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
    from tornado.websocket import websocket_connect

    out: dict = {"notebook": notebook, "viewer": index}
    headers = {} if same_client else {"X-Forwarded-For": f"10.28.{index // 250}.{index % 250 + 1}"}
    xsrf = uuid.uuid4().hex
    headers["Cookie"] = f"_xsrf={xsrf}"
    t0 = time.perf_counter()
    client = AsyncHTTPClient(force_instance=True, max_body_size=200 * 1024 * 1024)
    ws = None
    try:
        url = f"{base}/voila/render/{urllib.parse.quote(notebook)}?pref=07"
        try:
            resp = await client.fetch(
                HTTPRequest(url, headers=headers, request_timeout=timeout_s, connect_timeout=timeout_s)
            )
        except HTTPClientError as err:
            if err.code not in (429, 503):
                raise
            body = err.response.body.decode("utf-8", "replace") if err.response is not None else ""
            out.update(result="busy", status=err.code, s=round(time.perf_counter() - t0, 2))
            out["busy_page_ja"] = "混み合っています" in body or "多すぎます" in body
            return out
        page = resp.body.decode("utf-8", "replace")
        out["page_s"] = round(time.perf_counter() - t0, 2)
        kernel, roots = page_kernel_id(page), page_models(page)
        if not kernel or not roots:
            raise RuntimeError(f"no kernel or no widget in the page (HTTP {resp.code}, {len(page)} bytes)")
        session = uuid.uuid4().hex
        ws_url = base.replace("http", "ws", 1) + f"/api/kernels/{kernel}/channels?session_id={session}"
        ws = await websocket_connect(
            HTTPRequest(ws_url, headers=headers, request_timeout=timeout_s, connect_timeout=timeout_s)
        )
        await _every_state(ws, roots, session, timeout_s, t0, out)
        out.update(result="ok", s=round(time.perf_counter() - t0, 2))
        ws.close()
        ws = None
        with contextlib.suppress(Exception):  # as closing the tab does (beforeunload)
            await client.fetch(
                HTTPRequest(
                    f"{base}/voila/api/shutdown/{kernel}",
                    method="POST",
                    body=f"_xsrf={xsrf}",
                    headers={**headers, "X-XSRFToken": xsrf},
                    request_timeout=30,
                )
            )
    except Exception as err:  # a timeout or a broken page: counted, not raised
        out.update(result="failed", error=f"{type(err).__name__}: {str(err)[:200]}")
        out["s"] = round(time.perf_counter() - t0, 2)
    finally:
        if ws is not None:
            ws.close()
        client.close()
    return out


async def crowd(base: str, notebooks: list[str], viewers: int, spread_s: float, timeout_s: float, same: bool):
    """``viewers`` viewers, round robin over ``notebooks``, their starts spread evenly over ``spread_s``."""

    async def one(i: int) -> dict:
        await asyncio.sleep(spread_s * i / max(viewers, 1))
        return await viewer(base, notebooks[i % len(notebooks)], i, timeout_s, same)

    return await asyncio.gather(*(one(i) for i in range(viewers)))


def summary(results: list[dict]) -> dict:
    ok = [r["s"] for r in results if r["result"] == "ok"]
    busy = [r for r in results if r["result"] == "busy"]
    out = {
        "viewers": len(results),
        "ok": len(ok),
        "busy": len(busy),
        "busy_status": sorted({r["status"] for r in busy}),
        "busy_s_max": max((r["s"] for r in busy), default=None),
        "failed": [r for r in results if r["result"] == "failed"],
    }
    if ok:
        out["every_widget_p50_s"] = round(statistics.median(ok), 2)
        out["every_widget_p95_s"] = round(percentile(ok, 0.95), 2)
        out["every_widget_max_s"] = round(max(ok), 2)
        pages = [r["page_s"] for r in results if r["result"] == "ok"]
        out["page_p50_s"] = round(statistics.median(pages), 2)
    return out


# --- a server of its own -------------------------------------------------------------------------------------


def _pool_total(pool: str | None) -> int:
    """Kernels the pools hold (the repository's configuration: one per dashboard)."""
    if not pool:
        return len(DASHBOARDS)
    from workbench.dashboard_server import parse_pool

    sizes = parse_pool(pool)
    return sum(sizes.get(nb, sizes.get("default", 1)) for nb in DASHBOARDS)


def _wait_ready(proc: subprocess.Popen, base: str, home: Path, want: int) -> float:
    """Wait until the server answers and its ``want`` pooled kernels have run their notebooks (idle: under
    0.3 s of CPU in 2 s); returns the monotonic time the wait for the pool began."""
    import urllib.error
    import urllib.request

    from test_browser_support import children

    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            raise RuntimeError("voila exited: " + (home / "voila.log").read_text(errors="replace")[-2000:])
        try:
            urllib.request.urlopen(f"{base}/__ready__", timeout=2)
            break
        except urllib.error.HTTPError:
            break
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError("voila did not start") from None
            time.sleep(0.3)
    t0 = time.monotonic()
    count, since = 0, time.monotonic()
    while time.monotonic() - t0 < 600:  # every pooled kernel has run its dashboard (>= 1.5 s of CPU each) ...
        kids = children(proc.pid)
        if len(kids) != count:
            count, since = len(kids), time.monotonic()
        ran = sum(cpu_seconds([k]) >= 1.5 for k in kids)
        if kids and ran == len(kids) and (len(kids) >= want or time.monotonic() - since > 20):
            break  # (a pool that stays short of its size: measured as it is, kernels_idle says how many)
        time.sleep(1)
    quiet = 0
    before = cpu_seconds([proc.pid, *children(proc.pid)])
    while time.monotonic() - t0 < 600 and quiet < 2:  # ... and the server and kernels are idle (2 × 2 s)
        time.sleep(2)
        now = cpu_seconds([proc.pid, *children(proc.pid)])
        quiet = quiet + 1 if now - before < 0.3 else 0
        before = now
    return t0


@contextlib.contextmanager
def server(config: Path, pool: str | None, extra: list[str], home: Path):
    """Voila on a free loopback port with the repository's configuration (``pool``: kernels preheated per
    dashboard, the setting of ``make dashboards POOL=…``), waiting until the pools are full."""
    from test_browser_support import children, free_port, rss_mb, voila_env

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = voila_env(home)
    cmd = [
        str(Path(sys.executable).with_name("voila")),
        str(ROOT / "dashboards"),
        f"--Voila.config_file_paths={config}",
        "--Voila.ip=127.0.0.1",
        f"--Voila.port={port}",
        "--Voila.port_retries=0",
        "--no-browser",
        "--BoundedKernelManager.trusted_proxies=127.0.0.1",
        *([f"--BoundedKernelManager.pool={pool}"] if pool else []),
        *extra,
    ]
    log = open(home / "voila.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    info: dict = {"base": base, "pid": proc.pid}
    try:
        t0 = _wait_ready(proc, base, home, want=_pool_total(pool))
        info["pool_fill_s"] = round(time.monotonic() - t0, 1)
        info["kernels_idle"] = len(children(proc.pid))
        info["rss_idle_mb"] = round(rss_mb([proc.pid, *children(proc.pid)]))
        info["rss_server_mb"] = round(rss_mb([proc.pid]))
        info["children"] = lambda: children(proc.pid)
        info["rss"] = lambda: round(rss_mb([proc.pid, *children(proc.pid)]))
        yield info
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()


def one_load(args: argparse.Namespace, notebooks: list[str], n: int) -> dict:
    """``n`` viewers against a server of their own; the summary with the server's memory and load."""
    with (
        tempfile.TemporaryDirectory(prefix="wb-viewers-") as tmp,
        server(args.config, args.pool, args.extra, Path(tmp)) as srv,
    ):
        peak = [srv["rss"]()]

        async def sample(stop: asyncio.Event) -> None:
            while not stop.is_set():
                peak.append(srv["rss"]())
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), 0.5)

        async def run_load() -> list[dict]:
            stop = asyncio.Event()
            sampler = asyncio.ensure_future(sample(stop))
            try:
                return await crowd(srv["base"], notebooks, n, args.spread, args.timeout, args.same_client)
            finally:
                stop.set()
                await sampler

        t0 = time.perf_counter()
        results = asyncio.run(run_load())
        row = summary(results)
        row["wall_s"] = round(time.perf_counter() - t0, 1)
        for k in ("pool_fill_s", "kernels_idle", "rss_idle_mb", "rss_server_mb"):
            row[k] = srv[k]
        row["rss_peak_mb"] = max(peak)
        if row["failed"]:  # the server's side of a failure, for the report
            row["log_tail"] = (Path(tmp) / "voila.log").read_text(errors="replace")[-4000:]
        row["load_avg_1min"] = round(os.getloadavg()[0], 1)
        return row


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU seconds of ``pids`` so far (processes that have gone count 0)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = Path(f"/proc/{pid}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--viewers", default="10,20,40", help="comma-separated loads, each on a fresh server")
    ap.add_argument(
        "--notebooks",
        default="費用負担シミュレーター",
        help="comma-separated dashboards (without .ipynb), opened round robin; 'all' for every dashboard",
    )
    ap.add_argument("--spread", type=float, default=5.0, help="seconds over which the viewers arrive")
    ap.add_argument("--timeout", type=float, default=180.0, help="seconds a viewer waits")
    ap.add_argument(
        "--pool", help="preheated kernels per dashboard, as make dashboards POOL=… (8, or name=12,2)"
    )
    ap.add_argument("--config", type=Path, default=ROOT / "etc" / "voila")
    ap.add_argument("--url", help="measure a running server instead of starting one")
    ap.add_argument("--same-client", action="store_true", help="no X-Forwarded-For: all viewers one client")
    ap.add_argument("--extra", action="append", default=[], help="more Voila options for the server started")
    ap.add_argument("--smoke", action="store_true", help="2 viewers, pool 1 (not a measurement)")
    args = ap.parse_args(argv)
    if args.smoke:
        args.viewers, args.pool = "2", "1"
    notebooks = (
        DASHBOARDS
        if args.notebooks == "all"
        else [f"{n.strip().removesuffix('.ipynb')}.ipynb" for n in args.notebooks.split(",") if n.strip()]
    )
    loads = [int(v) for v in args.viewers.split(",")]
    out: dict = {"notebooks": notebooks, "spread_s": args.spread, "pool": args.pool, "loads": {}}
    for n in loads:
        if args.url:
            results = asyncio.run(crowd(args.url, notebooks, n, args.spread, args.timeout, args.same_client))
            out["loads"][str(n)] = summary(results)
            continue
        row = one_load(args, notebooks, n)
        out["loads"][str(n)] = row
        print(f"{n} viewers: {json.dumps({k: v for k, v in row.items() if k != 'failed'})}", file=sys.stderr)
    if args.smoke:
        out["smoke"] = True
    json.dump(out, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
