"""B1: the national batch over 47 prefectures (1,741 municipalities): wall time and peak memory.

Run in a fresh process so imports and reference-table loading count, as they do for a user:
    .venv/bin/python benchmarks/bench_batch.py [--smoke]
Prints one JSON object. Goal (issue): <= 5 s and <= 500 MB on the 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true", help="two prefectures only")
    args = ap.parse_args(argv)
    os.environ.setdefault("WORKBENCH_CACHE", tempfile.mkdtemp(prefix="wb-bench-"))
    t0 = time.perf_counter()
    from workbench.batch import national_totals, run_batch

    t_import = time.perf_counter() - t0
    codes = ["07", "24"] if args.smoke else None
    df, errors = run_batch(codes)
    wall = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    totals = national_totals(df)
    slowest = df.sort_values("seconds", ascending=False).head(3)[["code", "name", "members", "seconds"]]
    out = {
        "benchmark": "B1 national batch",
        "prefectures": totals["prefectures"],
        "municipalities": totals["municipalities"],
        "wall_s": round(wall, 3),
        "import_s": round(t_import, 3),
        "peak_rss_mb": round(peak_mb, 1),
        "errors": errors,
        "slowest": slowest.to_dict("records"),
        "goal": {"wall_s": 5.0, "peak_rss_mb": 500},
    }
    print(json.dumps(out, ensure_ascii=False))
    return out


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
