"""``make bench``: run every benchmark in its own process and write benchmarks/results/latest.json and
benchmarks/results/latest.md (the table for the note).

    .venv/bin/python benchmarks/run.py [--smoke] [--only B1,B2]

B1 national batch in process and ``workbench batch --all --csv --xlsx --html`` as a whole process (bench_batch.py), B2 Shapley (bench_shapley.py), B3 dashboards in Chromium
(bench_dashboards.py; needs /usr/bin/chromium), B4 test suite and import time (bench_suite.py), DM the データマップ:
loading and analysing 500 assets and 200 services, importing a 500-row workbook of the format (bench_datamap.py), B5 dashboards under load: 20 concurrent viewers
(bench_load.py; Chromium), B6 hostile and large hearing workbooks (bench_workbooks.py), B7 a meeting's worth of viewers
without a browser: 10, 20 and 40 viewers opening a dashboard within 5 s, time to every widget's state (bench_viewers.py).
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
BENCHES = {
    "B1": "bench_batch.py",
    "B2": "bench_shapley.py",
    "B3": "bench_dashboards.py",
    "B4": "bench_suite.py",
    "DM": "bench_datamap.py",
    "B5": "bench_load.py",
    "B6": "bench_workbooks.py",
    "B7": "bench_viewers.py",
}


def run_one(script: str, smoke: bool) -> dict:
    cmd = [sys.executable, str(HERE / script)] + (["--smoke"] if smoke else [])
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE.parent)
    out: dict = {"script": script, "exit": res.returncode, "wall_s": round(time.perf_counter() - t0, 1)}
    text = res.stdout.strip()
    try:
        out["result"] = json.loads(text)
    except json.JSONDecodeError:
        start = text.rfind("\n{")
        try:
            out["result"] = json.loads(text[start + 1 :] if start >= 0 else text)
        except json.JSONDecodeError:
            out["stdout_tail"] = text[-2000:]
    if res.returncode:
        out["stderr_tail"] = res.stderr[-2000:]
    return out


def _fmt(x: float | None, unit: str = "s") -> str:
    if x is None:
        return "—"
    if unit == "ms":
        return f"{x * 1000:.2f} ms"
    return f"{x:.3f} s" if x < 10 else f"{x:.1f} s"


def markdown(results: dict) -> str:
    lines = ["| benchmark | measure | value | goal | met |", "|---|---|---|---|---|"]
    for rows in (_b1_rows, _b2_rows, _b3_rows, _b4_rows, _dm_rows, _b5_rows, _b6_rows, _b7_rows):
        lines += rows(results)
    return "\n".join(lines) + "\n"


def _b1_rows(results: dict) -> list[str]:
    """B1: the national batch's wall time and memory."""
    lines: list[str] = []
    b1 = results.get("B1", {}).get("result")
    if b1:
        cpu = f" (CPU {_fmt(b1['cpu_s'])})" if "cpu_s" in b1 else ""
        lines.append(
            f"| B1 national batch | wall ({b1['prefectures']} prefectures, {b1['municipalities']} "
            f"municipalities, in process){cpu} | {_fmt(b1['wall_s'])} | ≤ 3 s | "
            f"{'yes' if b1['wall_s'] <= 3 else 'no'} |"
        )
        cli = b1.get("cli")
        if cli:
            lines.append(
                f"| B1 `workbench batch --all --csv --xlsx --html` | whole process, wall (CPU {_fmt(cli['cpu_s'])}; "
                f"exit {cli['exit']}) | {_fmt(cli['wall_s'])} | ≤ 6 s | "
                f"{'yes' if cli['wall_s'] <= 6 and not cli['exit'] else 'no'} |"
            )
        if b1.get("first_run_wall_s") is not None:
            lines.append(
                f"| B1 | first run ever (writes the 43 synthetic files), whole process | "
                f"{_fmt(b1['first_run_wall_s'])} | — | |"
            )
        lines.append(
            f"| B1 | peak memory (RSS) | {b1['peak_rss_mb']} MB | ≤ 500 MB | "
            f"{'yes' if b1['peak_rss_mb'] <= 500 else 'no'} |"
        )
    return lines


def _b2_rows(results: dict) -> list[str]:
    """B2: Shapley (model, generic, Monte Carlo) and the nucleolus."""
    lines: list[str] = []
    b2 = results.get("B2", {}).get("result")
    if b2:
        model = b2["model_exact_s"]
        big = max(model, key=int)
        lines.append(
            f"| B2 model Shapley | n = {big} | {_fmt(model[big], 'ms')} | ≤ 50 ms | "
            f"{'yes' if model[big] <= 0.05 else 'no'} |"
        )
        gen = b2["generic_exact_s"]
        gbig = max(gen, key=int)
        cg = b2.get("coopgame", {})
        cg_t = cg.get("generic_exact_s", {}).get(gbig)
        met = "—" if cg_t is None else ("yes" if gen[gbig] <= cg_t else "no")
        lines.append(
            f"| B2 generic Shapley | n = {gbig} (coopgame-py: {_fmt(cg_t, 'ms') if cg_t else 'not installed'}) "
            f"| {_fmt(gen[gbig], 'ms')} | no slower than coopgame-py | {met} |"
        )
        for k, v in b2.get("monte_carlo", {}).items():
            lines.append(
                f"| B2 Monte Carlo | {k} orders, n = {v['n']}: max error / max s.e. | "
                f"{v['max_abs_error_yen']:,.0f} / {v['max_stderr_yen']:,.0f} yen | (error within ~3 s.e.) | "
                f"{'yes' if v['max_abs_error_yen'] <= 4 * v['max_stderr_yen'] else 'no'} |"
            )
    if b2:
        lines += _nucleolus_rows(b2)
    return lines


def _b3_rows(results: dict) -> list[str]:
    """B3: the dashboards' settle times."""
    lines: list[str] = []
    b3 = results.get("B3", {}).get("result")
    if b3:
        for row in b3.get("table", []):
            lines.append(
                f"| B3 {row.get('page')} | {row.get('measure')} | {row.get('value')} | {row.get('goal', '')} "
                f"| {row.get('met', '')} |"
            )
        if not b3.get("table"):
            lines.append(
                f"| B3 dashboards | see JSON | {json.dumps(b3, ensure_ascii=False)[:200]} | ratio ≤ 1.5, p50 ≤ 200 ms | |"
            )
    elif "B3" in results:
        lines.append(f"| B3 dashboards | not measured | exit {results['B3'].get('exit')} | | |")
    return lines


def _b4_rows(results: dict) -> list[str]:
    """B4: the test suite's wall time and cold imports."""
    lines: list[str] = []
    b4 = results.get("B4", {}).get("result")
    if b4:
        t = b4["tests"]
        lines.append(
            f"| B4 test suite | pytest wall ({t['summary']}) | {_fmt(t['wall_s'])} | ≤ 300 s | "
            f"{'yes' if t['wall_s'] <= 300 else 'no'} |"
        )
        for k, v in b4["imports"].items():
            lines.append(
                f"| B4 {k} | cold, fresh process (best / worst) | {v['best_s']:.3f} / {v['worst_s']:.3f} s "
                f"| ≤ 1 s | {'yes' if v['worst_s'] <= 1 else 'no'} |"
            )
    return lines


def _dm_rows(results: dict) -> list[str]:
    """DM: the data map on a large file."""
    lines: list[str] = []
    dm = results.get("DM", {}).get("result")
    if dm:
        lines.append(
            f"| DM データマップ | {dm['assets']} assets, {dm['services']} services, {dm['flows']} flows: "
            f"wb.datamap best / median | {_fmt(dm['datamap_best_s'])} / {_fmt(dm['datamap_median_s'])} | ≤ 1 s | "
            f"{'yes' if dm['datamap_median_s'] <= 1 else 'no'} |"
        )
        if "load_and_datamap_s" in dm:
            lines.append(
                f"| DM | loading the file + wb.datamap (median) | {_fmt(dm['load_and_datamap_s'])} | ≤ 1 s | "
                f"{'yes' if dm['load_and_datamap_s'] <= 1 else 'no'} |"
            )
        lines.append(
            f"| DM | wb.classify with the data map's findings; loading the file | {_fmt(dm['classify_s'])}; "
            f"{_fmt(dm['load_s'])} | — | |"
        )
        f = dm.get("file")
        if f:
            lines.append(
                f"| DM file | wb.load(path) + wb.classify, a file not read before (median; CPU "
                f"{_fmt(f['load_classify_cpu_s'])}) | {_fmt(f['load_classify_s'])} (load {_fmt(f['load_s'])}) | ≤ 1 s | "
                f"{'yes' if f['load_classify_s'] <= 1 else 'no'} |"
            )
            lines.append(
                f"| DM file | wb.load of the same file again (kept) | {_fmt(f['reload_kept_s'])} | — | |"
            )
        imp = dm.get("import")
        if imp:
            lines.append(
                f"| DM import | {imp['rows']}-row workbook of the データマップ作成フォーマット, first import best / median | "
                f"{_fmt(imp['import_best_s'])} / {_fmt(imp['import_median_s'])} | ≤ 2 s | "
                f"{'yes' if imp['import_median_s'] <= 2 else 'no'} |"
            )
            lines.append(
                f"| DM import | the same again with one cell changed (sync) | {_fmt(imp['reimport_one_change_s'])} | — | |"
            )
    return lines


def _b5_rows(results: dict) -> list[str]:
    """B5: concurrent viewers of the dashboards."""
    lines: list[str] = []
    b5 = results.get("B5", {}).get("result")
    if b5:
        s = b5["summary"]
        n = b5["viewers"]
        lines.append(
            f"| B5 {n} concurrent viewers ({len(b5['rounds'])} rounds) | every chart drawn: p50 / p95 / max "
            f"(ok {s['ok']}, busy page {s['busy']}, failed {s['failed']}) | "
            f"{_fmt(s.get('every_chart_p50_s', s['every_chart_median_s']))} / {_fmt(s.get('every_chart_p95_s'))} / "
            f"{_fmt(s['every_chart_max_s'])} | all served, none wedged | "
            f"{'yes' if not s['failed'] and not s['wedged'] else 'no'} |"
        )
        lines.append(
            f"| B5 | peak memory, Voila and kernels | {s['peak_rss_mb']} MB | bounded by the kernel cap | — |"
        )
        lines.append(
            f"| B5 | kernels left 40 s after the tabs closed (beyond the pool) / after SIGTERM | "
            f"{s['kernels_left_after_close']} / {s['kernels_left_after_stop']} | 0 / 0 | "
            f"{'yes' if not any(s['kernels_left_after_close']) and not s['kernels_left_after_stop'] else 'no'} |"
        )
    elif "B5" in results:
        lines.append(f"| B5 load | not measured | exit {results['B5'].get('exit')} | | |")
    return lines


def _b6_rows(results: dict) -> list[str]:
    """B6: hostile workbooks read and imported."""
    lines: list[str] = []
    b6 = results.get("B6", {}).get("result")
    if b6:
        for name, row in b6["cases"].items():
            for mode in ("read", "import"):
                r = row.get(mode)
                if not r:
                    continue
                seconds = r.get("s")
                lines.append(
                    f"| B6 {name} | {mode}: {str(r.get('outcome', r.get('error', '')))[:48]} | "
                    f"{_fmt(seconds)}, {r.get('peak_rss_mb', '—')} MB | seconds | "
                    f"{'yes' if seconds is not None and seconds <= 10 else 'no'} |"
                )
    return lines


def _b7_rows(results: dict) -> list[str]:
    """B7: concurrent viewers at the protocol level (goal: p95 ≤ 15 s for 20 viewers, the busy page beyond)."""
    lines: list[str] = []
    b7 = results.get("B7", {}).get("result")
    if not b7:
        if "B7" in results:
            lines.append(f"| B7 viewers | not measured | exit {results['B7'].get('exit')} | | |")
        return lines
    for n, r in b7.get("loads", {}).items():
        p95 = r.get("every_widget_p95_s")
        met = "—" if n != "20" else ("yes" if p95 is not None and p95 <= 15 and not r["failed"] else "no")
        lines.append(
            f"| B7 {n} viewers (pool {b7.get('pool') or 'etc/voila'}) | every widget's state p50 / p95 (ok "
            f"{r['ok']}, busy page {r['busy']}, failed {len(r['failed'])}); peak memory | "
            f"{_fmt(r.get('every_widget_p50_s'))} / {_fmt(p95)}; {r.get('rss_peak_mb', '—')} MB | "
            f"p95 ≤ 15 s at 20, busy page beyond the cap | {met} |"
        )
    return lines


def _nucleolus_rows(b2: dict) -> list[str]:
    """B2 nucleolus rows (issue 17): structured at n = 20..179, generic beside coopgame-py at n = 8..12."""
    out = []
    nu = b2.get("nucleolus", {})
    for n, t in nu.get("structured_s", {}).items():
        stepped = nu.get("structured_stepped_s", {}).get(n, t)
        hard = nu.get("structured_hard_s", {}).get(n, t)
        stages = nu.get("hard_stages", {}).get(n, {}).get("stages", "?")
        met = "yes" if max(t, stepped, hard) <= 2.0 else "no"
        out.append(
            f"| B2 nucleolus (structured, exact) | n = {n}: model / stepped / stress game ({stages} stages) | "
            f"{_fmt(t, 'ms')} / {_fmt(stepped, 'ms')} / {_fmt(hard, 'ms')} | ≤ 2 s at n = 179 | "
            f"{met if str(n) == '179' else ''} |"
        )
    cmp = b2.get("nucleolus_vs_coopgame", {})
    if "skipped" in cmp:
        out.append(
            f"| B2 nucleolus (generic) vs coopgame-py | not measured | {cmp['skipped']} | no slower | — |"
        )
    for n, ours in cmp.get("ours_s", {}).items():
        theirs = cmp["coopgame_s"][n]
        r_ours, r_theirs = cmp["random_ours_s"][n], cmp["random_coopgame_s"][n]
        met = "yes" if ours <= theirs and r_ours <= r_theirs else "no"
        out.append(
            f"| B2 nucleolus (generic) vs coopgame-py | n = {n}, model game; random game (ours / theirs) | "
            f"{_fmt(ours, 'ms')} / {_fmt(theirs, 'ms')}; {_fmt(r_ours, 'ms')} / {_fmt(r_theirs, 'ms')} | "
            f"no slower | {met} |"
        )
    if "max_abs_diff_yen" in cmp:
        out.append(
            f"| B2 nucleolus agreement | max difference to coopgame-py (model; random games) | "
            f"{cmp['max_abs_diff_yen']:.2f}; {cmp.get('random_max_abs_diff_yen', 0):.2f} yen | < 10 yen | "
            f"{'yes' if max(cmp['max_abs_diff_yen'], cmp.get('random_max_abs_diff_yen', 0)) < 10 else 'no'} |"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--only", help="comma-separated, e.g. B1,B2")
    args = ap.parse_args(argv)
    which = args.only.split(",") if args.only else list(BENCHES)
    results = {
        "machine": {
            "python": platform.python_version(),
            "cpus": __import__("os").cpu_count(),
            "platform": platform.platform(),
        },
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    for key in which:
        print(f"{key} {BENCHES[key]} …", file=sys.stderr, flush=True)
        results[key] = run_one(BENCHES[key], args.smoke)
    RESULTS.mkdir(exist_ok=True)
    name = "smoke" if args.smoke else "latest"
    (RESULTS / f"{name}.json").write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    md = markdown(results)
    (RESULTS / f"{name}.md").write_text(md, encoding="utf-8")
    print(md)
    return 0 if all(results[k]["exit"] == 0 for k in which) else 1


if __name__ == "__main__":
    sys.exit(main())
