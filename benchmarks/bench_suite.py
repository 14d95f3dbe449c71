"""B4: the test suite's wall time and ``import workbench`` cold, each in a fresh process.

    .venv/bin/python benchmarks/bench_suite.py [--smoke]

Goals (issue): the test suite <= 5 min; ``import workbench`` <= 1 s. The import is timed in a new interpreter
(best and worst of 5), for the package alone and for what loading a prefecture file needs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

IMPORT_SNIPPETS = {
    "import workbench": "import workbench",
    "import workbench + inventory (to load a file)": "import workbench, workbench.inventory",
    "import workbench + classify + auth + cost": "import workbench.classify, workbench.auth, workbench.cost",
}


def time_import(code: str, runs: int = 5) -> dict:
    times = []
    for _ in range(runs):
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                f"import time; t=time.perf_counter(); {code}; print(time.perf_counter()-t)",
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        times.append(float(out.stdout.strip()))
    return {"best_s": round(min(times), 3), "worst_s": round(max(times), 3)}


def time_tests(smoke: bool) -> dict:
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    # the smoke runs one quick test in a fresh pytest (the harness, not a measurement): collecting and running the
    # whole of test_reference.py cost 10-20 s more here for nothing the smoke checks
    args += (
        ["tests/test_reference.py::test_futaba_is_zero_and_the_census_spelling_of_yusuhara"]
        if smoke
        else ["tests"]
    )
    env = dict(os.environ)
    t0 = time.perf_counter()
    res = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, env=env)
    wall = time.perf_counter() - t0
    tail = res.stdout.strip().splitlines()[-1] if res.stdout.strip() else ""
    return {"wall_s": round(wall, 1), "exit": res.returncode, "summary": tail}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args(argv)
    out = {
        "benchmark": "B4 suite and import",
        "imports": {k: time_import(v, 1 if args.smoke else 5) for k, v in IMPORT_SNIPPETS.items()},
        "tests": time_tests(args.smoke),
        "goal": {"tests_wall_s": 300, "import_s": 1.0},
    }
    print(json.dumps(out, ensure_ascii=False))
    return out


if __name__ == "__main__":
    main()
