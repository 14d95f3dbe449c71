"""Helpers for the browser tests (no tests here): a Voila server on a free loopback port (own process group, always
stopped), Chromium through Playwright with every non-loopback request aborted and recorded.

Also used by benchmarks/bench_dashboards.py.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PLOT = ".js-plotly-plot .main-svg"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def voila_command(
    folder: Path, port: int, *, preheat: bool = True, config: Path | None = None, extra: Sequence[str] = ()
) -> list[str]:
    voila = Path(sys.executable).with_name("voila")
    return [
        str(voila),
        str(folder),
        f"--Voila.config_file_paths={config or ROOT / 'etc' / 'voila'}",
        "--Voila.ip=127.0.0.1",
        f"--Voila.port={port}",
        "--Voila.port_retries=0",
        "--no-browser",
        f"--VoilaConfiguration.preheat_kernel={preheat}",
        *extra,
    ]


def voila_env(home: Path) -> dict[str, str]:
    """The environment for a Voila started by a test or benchmark: HOME, Jupyter's folders and the workbench's
    cache in ``home``, the repository's templates on JUPYTER_PATH."""
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        JUPYTER_PATH=str(ROOT / "share" / "jupyter"),
        JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
        JUPYTER_DATA_DIR=str(home / ".local" / "share" / "jupyter"),
        JUPYTER_RUNTIME_DIR=str(home / ".local" / "share" / "jupyter" / "runtime"),
        IPYTHONDIR=str(home / ".ipython"),
        WORKBENCH_CACHE=str(home / ".cache" / "workbench"),
        WORKBENCH_OUTPUT=str(home / "output"),
    )
    env.pop("WORKBENCH_PREFECTURE", None)
    return env


def children(pid: int) -> list[int]:
    """The pids whose parent is ``pid`` (Voila's kernels: jupyter_client starts each kernel in a session and
    process group of its own, so they are found by parent, not by group)."""
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid:
            out.append(int(d.name))
    return out


def rss_mb(pids: list[int]) -> float:
    """The summed resident set of ``pids`` in MB (processes that have gone count 0)."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


class Server:
    """A running Voila started by :func:`voila_server`: its process, base URL, log, and every kernel seen."""

    def __init__(self, proc: subprocess.Popen, base: str, log: Path) -> None:
        self.proc, self.base, self.log = proc, base, log
        self.kernels: set[int] = set()
        self._stop = threading.Event()
        self._watch = threading.Thread(target=self._watch_kernels, daemon=True)
        self._watch.start()

    def _watch_kernels(self) -> None:
        while not self._stop.is_set():
            self.kernels.update(children(self.proc.pid))
            self._stop.wait(0.2)

    def current_kernels(self) -> list[int]:
        """The kernel processes running now (children of Voila)."""
        kids = children(self.proc.pid)
        self.kernels.update(kids)
        return kids

    def left_behind(self) -> list[int]:
        """Voila itself or any kernel it started that is still alive."""
        alive = [p for p in self.kernels if Path(f"/proc/{p}").exists() and not _zombie(p)]
        return ([self.proc.pid] if self.proc.poll() is None else []) + alive

    def stop(self) -> float | None:
        """SIGTERM Voila (it shuts its kernels down); seconds it took, None when it had to be killed."""
        self._stop.set()
        self._watch.join(2)
        self.kernels.update(children(self.proc.pid))
        return stop(self.proc, self.kernels)


def _zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2 :].split()[0] == "Z"


@contextlib.contextmanager
def voila_server(
    folder: Path,
    home: Path,
    *,
    preheat: bool = True,
    timeout: float = 60,
    config: Path | None = None,
    extra: Sequence[str] = (),
    env: dict[str, str] | None = None,
) -> Iterator[str]:
    """Start Voila serving ``folder`` on a free loopback port with HOME in ``home``; yield its base URL.

    ``config`` is the folder of voila.json (default etc/voila), ``extra`` more command-line options. The
    server runs in its own process group; on exit it gets SIGTERM (Voila then shuts its kernels down) and,
    after 10 s, SIGKILL together with every kernel it started, also when the test fails: nothing is left behind.
    :func:`server_of` gives the :class:`Server` of a base URL.
    """
    port = free_port()
    log_path = home / f"voila-{port}.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed in finally
    proc = subprocess.Popen(
        voila_command(folder, port, preheat=preheat, config=config, extra=extra),
        cwd=str(ROOT),
        env={**voila_env(home), **(env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    server = _SERVERS[base] = Server(proc, base, log_path)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"voila exited with {proc.returncode}; log: {log_path}")
            try:
                urllib.request.urlopen(f"{base}/__ready__", timeout=2)
            except urllib.error.HTTPError:
                break  # any HTTP answer means the server is up
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError("voila did not start") from None
                time.sleep(0.2)
            else:
                break
        yield base
    finally:
        server.stop()
        log.close()


_SERVERS: dict[str, Server] = {}


def server_of(base: str) -> Server:
    return _SERVERS[base]


def group_gone(base: str) -> bool:
    """Whether Voila and every kernel it started are gone."""
    return not _SERVERS[base].left_behind()


def stop(proc: subprocess.Popen, kernels: set[int] | None = None) -> float | None:
    """SIGTERM the process group (Voila shuts its kernels down), SIGKILL Voila and its kernels if anything is
    left after 10 s. Returns the seconds SIGTERM took, None when it did not work."""
    t0 = time.monotonic()
    took: float | None = None
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    deadline = time.monotonic() + 5
    while proc.poll() is not None and any(
        Path(f"/proc/{k}").exists() and not _zombie(k) for k in kernels or ()
    ):
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
    if proc.poll() is not None and not any(
        Path(f"/proc/{k}").exists() and not _zombie(k) for k in kernels or ()
    ):
        took = time.monotonic() - t0
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    for k in kernels or ():  # each kernel runs in a process group of its own
        with contextlib.suppress(ProcessLookupError):
            os.killpg(k, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.kill(k, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)
    return took


class Recorder:
    """Collects requests leaving the machine (aborted), page errors and console errors."""

    def __init__(self) -> None:
        self.external: list[str] = []
        self.errors: list[str] = []

    def route(self, route) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "file://", "data:", "blob:")):
            route.continue_()
        else:
            self.external.append(url)
            route.abort()

    def attach(self, page) -> None:
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on(
            "console", lambda msg: self.errors.append(f"console: {msg.text}") if msg.type == "error" else None
        )


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def new_context(browser, recorder: Recorder, **kwargs):
    context = browser.new_context(viewport={"width": 1400, "height": 2400}, locale="ja-JP", **kwargs)
    context.route("**/*", recorder.route)
    return context


def lab_command(root: Path, port: int) -> list[str]:
    """JupyterLab as ``make notebooks`` starts it (our config in etc/jupyter: Japanese UI, widget views
    dropped on save), on a loopback port, no token (tests only), no browser."""
    lab = Path(sys.executable).with_name("jupyter-lab")
    return [
        str(lab),
        f"--ServerApp.root_dir={root}",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--ServerApp.open_browser=False",
        "--IdentityProvider.token=",
        "--ServerApp.password=",
        "--ServerApp.disable_check_xsrf=True",
        *(["--allow-root"] if os.geteuid() == 0 else []),
    ]


@contextlib.contextmanager
def lab_server(
    root: Path, home: Path, *, timeout: float = 120, env_extra: dict | None = None
) -> Iterator[str]:
    """Start JupyterLab on ``root`` (a folder of notebooks) with HOME in ``home``; yield its base URL.

    Config and settings come from the repository (``JUPYTER_CONFIG_PATH=etc/jupyter``), as with
    ``make notebooks``; the server runs in its own process group and is always stopped.
    """
    port = free_port()
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        JUPYTER_PATH=str(ROOT / "share" / "jupyter"),
        JUPYTER_CONFIG_PATH=str(ROOT / "etc" / "jupyter"),
        JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
        JUPYTER_DATA_DIR=str(home / ".local" / "share" / "jupyter"),
        JUPYTER_RUNTIME_DIR=str(home / ".local" / "share" / "jupyter" / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(home / ".jupyter" / "lab" / "user-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(home / ".jupyter" / "lab" / "workspaces"),
        IPYTHONDIR=str(home / ".ipython"),
        WORKBENCH_CACHE=str(home / ".cache" / "workbench"),
        WORKBENCH_OUTPUT=str(home / "output"),
    )
    env.pop("WORKBENCH_PREFECTURE", None)
    env.update(env_extra or {})
    log_path = home / f"lab-{port}.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed in finally
    proc = subprocess.Popen(
        lab_command(root, port),
        cwd=str(root),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    server = _SERVERS[base] = Server(proc, base, log_path)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {proc.returncode}; log: {log_path}")
            try:
                urllib.request.urlopen(f"{base}/api/status", timeout=2)
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError("jupyter lab did not start") from None
                time.sleep(0.3)
        yield base
    finally:
        server.stop()
        log.close()
