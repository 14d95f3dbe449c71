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
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
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


def voila_command(folder: Path, port: int, *, preheat: bool = True) -> list[str]:
    voila = Path(sys.executable).with_name("voila")
    return [
        str(voila),
        str(folder),
        f"--Voila.config_file_paths={ROOT / 'etc' / 'voila'}",
        "--Voila.ip=127.0.0.1",
        f"--Voila.port={port}",
        "--Voila.port_retries=0",
        "--no-browser",
        f"--VoilaConfiguration.preheat_kernel={preheat}",
    ]


@contextlib.contextmanager
def voila_server(folder: Path, home: Path, *, preheat: bool = True, timeout: float = 60) -> Iterator[str]:
    """Start Voila serving ``folder`` on a free loopback port with HOME in ``home``; yield its base URL.

    The server runs in its own process group and is stopped (SIGTERM, then SIGKILL) on exit, also when the
    test fails, so no kernel is left behind.
    """
    port = free_port()
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
    log = open(home / f"voila-{port}.log", "wb")  # noqa: SIM115 - closed in finally
    proc = subprocess.Popen(
        voila_command(folder, port, preheat=preheat),
        cwd=str(ROOT),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    _GROUPS[base] = proc.pid
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"voila exited with {proc.returncode}; log: {home / f'voila-{port}.log'}")
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
        stop(proc)
        log.close()


_GROUPS: dict[str, int] = {}


def group_gone(base: str) -> bool:
    """Whether no process of the server's process group (Voila and its kernels) is left."""
    try:
        os.killpg(_GROUPS[base], 0)
    except ProcessLookupError:
        return True
    return False


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM the process group (Voila shuts its kernels down), SIGKILL what is left after 10 s."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # kernels started by voila share its group
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


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
    log = open(home / f"lab-{port}.log", "wb")  # noqa: SIM115 - closed in finally
    proc = subprocess.Popen(
        lab_command(root, port),
        cwd=str(root),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    _GROUPS[base] = proc.pid
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"jupyter lab exited with {proc.returncode}; log: {home / f'lab-{port}.log'}"
                )
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
        stop(proc)
        log.close()
