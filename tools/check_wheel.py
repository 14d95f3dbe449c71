"""Build the wheel and use it the way an analyst would, outside this checkout (`make wheel-check`, part of
`make test`).

1. copy the tracked sources (not .venv, build/, caches) to a temporary folder and build the wheel there, so a
   stale build/ in the checkout can never leak into it;
2. check its contents: every file in data/ (and its subfolders) as ``workbench/data/...``, every module of
   workbench/, the JSON Schema, the licence;
3. install it with its dependencies into a fresh virtual environment in the temporary folder (pip's cache is
   reused; nothing but the package registry is contacted);
4. from another folder, with a clean environment: ``workbench --help``, ``workbench classify --sample 07
   --json``, tools/wheel_smoke.py (``import workbench as wb``, load / classify / match_auth / allocate,
   the widgets constructing) and docs/analysis/analyst_tasks.py (the reference's analysis example: the national
   table, a cost scenario built in code across four rules, edits in code validated).

Exit status 0 when everything works; otherwise the failing step, its command and its output, and status 1.

    .venv/bin/python tools/check_wheel.py            # build, inspect, install, run
    .venv/bin/python tools/check_wheel.py --keep     # keep the temporary folder (printed) for a look
    .venv/bin/python tools/check_wheel.py --build-only dist   # `make wheel`: build and inspect into dist/
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP_DIRS = {
    ".git",
    ".venv",
    "build",
    "dist",
    "artifacts",
    "output",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    ".ipynb_checkpoints",
    "_build",
    "_generated",  # docs/_generated/: the docs build (beside this check in `make test`) remakes it
}


class CheckFailed(Exception):
    pass


def data_files(root: Path = ROOT) -> list[str]:
    """Every file that data/ ships: its files and its subfolders' files (caches and dotfiles aside), as paths
    relative to data/."""
    out = []
    for path in sorted((root / "data").rglob("*")):
        rel = path.relative_to(root / "data")
        if path.is_file() and not any(p == "__pycache__" or p.startswith(".") for p in rel.parts):
            out.append(rel.as_posix())
    return out


def module_files(root: Path = ROOT) -> list[str]:
    """Every module and package file of workbench/ (``workbench/...``)."""
    out = []
    for path in sorted((root / "workbench").rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and "__pycache__" not in rel.parts and path.suffix in {".py", ".json", ".typed"}:
            out.append(rel.as_posix())
    return out


def run(cmd: list[str], *, cwd: Path, env: dict[str, str] | None = None, step: str) -> str:
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    took = time.monotonic() - t0
    if proc.returncode != 0:
        raise CheckFailed(
            f"{step}: exit status {proc.returncode} after {took:.1f} s\n$ {' '.join(cmd)}  (in {cwd})\n"
            f"--- stdout ---\n{proc.stdout[-4000:]}\n--- stderr ---\n{proc.stderr[-4000:]}"
        )
    print(f"[{step}] ok ({took:.1f} s)", flush=True)
    return proc.stdout


def copy_sources(dest: Path) -> None:
    def ignore(folder: str, names: list[str]) -> set[str]:
        return {n for n in names if n in SKIP_DIRS or n.endswith(".egg-info")}

    shutil.copytree(ROOT, dest, ignore=ignore, symlinks=True)


def build_wheel(src: Path, dist: Path) -> Path:
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(src)],
        cwd=src,
        step="build the wheel",
    )
    wheels = list(dist.glob("*.whl"))
    if len(wheels) != 1:
        raise CheckFailed(f"build the wheel: expected one wheel in {dist}, found {wheels}")
    return wheels[0]


def check_contents(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [f"data/{f}" for f in data_files() if f"workbench/data/{f}" not in names]
    missing += [f for f in module_files() if f not in names]
    if not any(n.endswith(".dist-info/licenses/LICENSE") for n in names):
        missing.append("LICENSE (dist-info/licenses)")
    if missing:
        raise CheckFailed("wheel contents: missing from the wheel:\n  " + "\n  ".join(missing))
    top = sorted({n.split("/", 1)[0] for n in names})
    stray = [t for t in top if t != "workbench" and not t.endswith(".dist-info")]
    if stray:
        raise CheckFailed(f"wheel contents: top-level entries besides workbench/: {stray}")
    print(
        f"[wheel contents] ok: {len(names)} files, {len(data_files())} from data/, {wheel.name}", flush=True
    )


def clean_env(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "VIRTUAL_ENV", "WORKBENCH_", "JUPYTER", "QUERY_STRING"))
    }
    env["HOME"] = str(home)  # synthetic files and caches go to the temporary folder
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    if "PIP_CACHE_DIR" not in os.environ:  # keep using the real user's pip cache despite the new HOME
        env["PIP_CACHE_DIR"] = os.path.join(os.path.expanduser("~"), ".cache", "pip")
    return env


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument(
        "--build-only", metavar="DIR", type=Path, help="build and inspect the wheel into DIR, no more"
    )
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="wb-wheel-check-"))
    t0 = time.monotonic()
    try:
        src, dist, env_dir, work, home = (tmp / d for d in ("src", "dist", "venv", "elsewhere", "home"))
        work.mkdir()
        home.mkdir()
        copy_sources(src)
        wheel = build_wheel(src, dist)
        check_contents(wheel)
        if args.build_only:
            args.build_only.mkdir(parents=True, exist_ok=True)
            target = args.build_only / wheel.name
            shutil.copy2(wheel, target)
            print(f"wheel: {target}")
            return 0
        shutil.rmtree(src)  # nothing of the checkout is left beside the environment
        # no pip inside the new environment (ensurepip took seconds): this pip installs into it (--python)
        venv.EnvBuilder(with_pip=False, clear=True).create(env_dir)
        py, cli = env_dir / "bin" / "python", env_dir / "bin" / "workbench"
        env = clean_env(home)
        run(
            # --no-compile: byte-compiling every dependency (plotly alone has thousands of modules) took two
            # thirds of the step; what the checks import compiles on first use
            [sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-compile", str(wheel)],
            cwd=work,
            env=env,
            step="install into a fresh environment",
        )
        out = run([str(cli), "--help"], cwd=work, env=env, step="workbench --help")
        if "classify" not in out:
            raise CheckFailed(f"workbench --help: no classify subcommand in\n{out}")
        out = run(
            [str(cli), "classify", "--sample", "07", "--json"],
            cwd=work,
            env=env,
            step="workbench classify --sample 07 --json",
        )
        result = json.loads(out)
        if result["prefecture"]["code"] != "07" or not result["current_type"]:
            raise CheckFailed(f"workbench classify: unexpected JSON {result}")
        print(
            f"  classify: {result['prefecture']['name']} 型{result['current_type']} "
            f"パターン{result['pattern']} 課題{len(result['issues'])}件"
        )
        smoke = work / "wheel_smoke.py"
        shutil.copy(ROOT / "tools" / "wheel_smoke.py", smoke)
        out = run([str(py), str(smoke)], cwd=work, env=env, step="import workbench as wb (wheel_smoke.py)")
        print("  " + out.strip().replace("\n", "\n  "))
        # the analyst's three tasks of the reference (docs/analysis.md), as written, with the installed wheel only
        tasks = work / "analyst_tasks.py"
        shutil.copy(ROOT / "docs" / "analysis" / "analyst_tasks.py", tasks)
        out = run([str(py), str(tasks)], cwd=work, env=env, step="docs/analysis/analyst_tasks.py")
        if not out.rstrip().endswith("OK"):
            raise CheckFailed(f"docs/analysis/analyst_tasks.py: did not finish\n{out[-2000:]}")
        print("  " + "\n  ".join(out.strip().splitlines()[1:7]))
    except CheckFailed as err:
        print(f"\nWHEEL CHECK FAILED — {err}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"wheel check passed in {time.monotonic() - t0:.0f} s (from a clean checkout, pip's cache warm)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
