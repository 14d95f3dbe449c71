"""B1: the national batch over 47 prefectures (1,741 municipalities): wall time, CPU time and peak memory; and
the command ``workbench batch --all --csv --xlsx --html`` as a whole process (imports, the batch, the writers).

Run in a fresh process so imports and reference-table loading count, as they do for a user:
    .venv/bin/python benchmarks/bench_batch.py [--smoke] [--no-cli]
Prints one JSON object (``first_run_wall_s``: the whole first process, writing the synthetic files). Goals (issue 28): B1 <= 3 s and <= 500 MB, the whole command <= 6 s, on the 2-core
machine. The CPU time (user + system) is printed beside the wall time: on a busy machine the wall time grows with
the other work, the CPU time much less. Synthetic files go to a fresh temporary cache, written by the first run
(``--smoke`` skips that warm-up: its two prefectures have samples).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _cpu(who: int = resource.RUSAGE_SELF) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def whole_command(codes: list[str] | None) -> dict:
    """``workbench batch --all --csv --xlsx --html`` (or ``--prefectures``) in a fresh process: wall and CPU."""
    with tempfile.TemporaryDirectory(prefix="wb-bench-cli-") as tmp:
        out = Path(tmp)
        which = ["--prefectures", ",".join(codes)] if codes else ["--all"]
        cmd = [
            sys.executable,
            "-c",
            "import sys; from workbench.cli import main; sys.exit(main())",
            "batch",
            *which,
            "--quiet",
            "--csv",
            str(out / "national.csv"),
            "--xlsx",
            str(out / "national.xlsx"),
            "--html",
            str(out / "national.html"),
        ]
        before = _cpu(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        res = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
        wall = time.perf_counter() - t0
        cpu = _cpu(resource.RUSAGE_CHILDREN) - before
        return {
            "exit": res.returncode,
            "wall_s": round(wall, 3),
            "cpu_s": round(cpu, 3),
            "goal_wall_s": 6.0,
            **({"stderr_tail": res.stderr[-1000:]} if res.returncode else {}),
        }


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true", help="two prefectures only")
    ap.add_argument("--no-cli", action="store_true", help="without the whole command")
    args = ap.parse_args(argv)
    os.environ.setdefault("WORKBENCH_CACHE", tempfile.mkdtemp(prefix="wb-bench-"))
    codes = ["07", "24"] if args.smoke else None
    first = None
    if not args.smoke:  # the synthetic files are written once per cache (timed: the first run ever); the runs
        # measured below read them, as every later run does
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", "from workbench.batch import run_batch; run_batch()"],
            check=True,
            env=os.environ.copy(),
        )
        first = round(time.perf_counter() - t0, 3)
    cpu0 = _cpu()
    t0 = time.perf_counter()
    from workbench.batch import national_totals, run_batch

    t_import = time.perf_counter() - t0
    df, errors = run_batch(codes)
    wall = time.perf_counter() - t0
    cpu = _cpu() - cpu0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    totals = national_totals(df)
    slowest = df.sort_values("seconds", ascending=False).head(3)[["code", "name", "members", "seconds"]]
    out = {
        "benchmark": "B1 national batch",
        "prefectures": totals["prefectures"],
        "municipalities": totals["municipalities"],
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "import_s": round(t_import, 3),
        "peak_rss_mb": round(peak_mb, 1),
        "errors": errors,
        "slowest": slowest.to_dict("records"),
        "goal": {"wall_s": 3.0, "peak_rss_mb": 500},
        "first_run_wall_s": first,
        "load_average": os.getloadavg()[0],
    }
    if not args.no_cli:
        out["cli"] = whole_command(codes)
    print(json.dumps(out, ensure_ascii=False))
    return out


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
