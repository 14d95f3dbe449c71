"""``make notebooks``: JupyterLab (Japanese UI, etc/jupyter) on working copies of the Step notebooks, with the
full link (token included) printed once the server answers, and opened in the browser.

    .venv/bin/python tools/notebooks.py [--port 8888] [--host 127.0.0.1] [--no-browser] [--prefecture 09]

* The working copies go to ``output/notebooks/`` (JupyterLab's root; not tracked) without outputs, so a
  notebook opened for 栃木県 never shows the 福島県 results the committed notebooks were executed with. A copy
  is refreshed when its committed notebook is newer.
* Exports and the working copy of the prefecture file go to ``output/notebooks/書き出し/``: inside the root,
  so the notebooks' links open them and JupyterLab's file browser lists them.
* The token is made here and printed in a link (``…/lab?token=…``): the page never asks for a password.
* ``--prefecture`` (``make notebooks PREF=09``) sets ``WORKBENCH_PREFECTURE`` for every notebook.

Ctrl+C stops JupyterLab and its kernels.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import webbrowser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPORTS = "書き出し"
FIRST = "01_Step1_現状把握.ipynb"


def lab_url(host: str, port: int, token: str, notebook: str | None = FIRST) -> str:
    """The link staff open: the first Step notebook, token included (no password page)."""
    path = "/lab" + (f"/tree/{urllib.parse.quote(notebook)}" if notebook else "")
    return f"http://{host}:{port}{path}?token={token}"


def wait_ready(proc: subprocess.Popen, host: str, port: int, token: str, timeout: float = 120) -> bool:
    """Whether the server answers with the token before ``timeout`` (False when it exited)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            urllib.request.urlopen(f"http://{host}:{port}/api/status?token={token}", timeout=2)
            return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            time.sleep(0.3)
    return False


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT))
    from workbench.widgets.notebook import working_notebooks

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8888)
    ap.add_argument("--root", type=Path, default=ROOT / "output" / "notebooks", help="JupyterLab のフォルダ")
    ap.add_argument("--prefecture", default="", help="都道府県（コードか名前）。空なら各ノートブックの指定")
    ap.add_argument("--no-browser", action="store_true", help="ブラウザを開かない（リンクだけ表示）")
    args = ap.parse_args(argv)

    root = args.root.resolve()
    working_notebooks(ROOT / "notebooks", root)
    (root / EXPORTS).mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
    env = dict(os.environ)
    env.update(
        JUPYTER_TOKEN=token,
        JUPYTER_CONFIG_PATH=str(ROOT / "etc" / "jupyter"),
        WORKBENCH_OUTPUT=str(root / EXPORTS),
    )
    if args.prefecture:
        env["WORKBENCH_PREFECTURE"] = args.prefecture
    cmd = [
        str(Path(sys.executable).with_name("jupyter-lab")),
        f"--ServerApp.root_dir={root}",
        f"--ServerApp.ip={args.host}",
        f"--ServerApp.port={args.port}",
        "--ServerApp.port_retries=0",
        "--ServerApp.open_browser=False",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    proc = subprocess.Popen(cmd, env=env, cwd=str(root))
    signal.signal(signal.SIGTERM, _interrupt)  # stopped from outside: JupyterLab and its kernels stop too
    try:
        if not wait_ready(proc, args.host, args.port, token):
            print(
                f"JupyterLab が起動しませんでした（ポート {args.port} が使用中なら PORT=… で変えられます）",
                file=sys.stderr,
            )
            return proc.wait() or 1
        url = lab_url(args.host, args.port, token)
        opened = False if args.no_browser else webbrowser.open(url)
        bar = "=" * 72
        print(
            f"\n{bar}\nJupyterLab: 次のリンクをブラウザで開いてください（パスワードは不要です）\n\n  {url}\n\n"
            f"{'ブラウザで開きました。' if opened else ''}作業用のノートブック: {root}\n"
            f"書き出したファイルと都道府県ファイルの作業用コピー: {root / EXPORTS}（左のファイル一覧の「{EXPORTS}」）\n"
            f"終了するには Ctrl+C を押します。\n{bar}\n",
            flush=True,
        )
        return proc.wait()
    except KeyboardInterrupt:  # SIGTERM: JupyterLab shuts its kernels down and exits without asking
        proc.terminate()
        try:
            return proc.wait(timeout=20)
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            proc.kill()
            return proc.wait()
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    sys.exit(main())
