"""A tiny smoke run of each benchmark (the real runs are `make bench`, never timed assertions here)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(script: str, tmp_path: Path) -> dict:
    env = dict(os.environ, HOME=str(tmp_path), WORKBENCH_CACHE=str(tmp_path / "cache"))
    res = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), "--smoke"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr[-8000:]
    text = res.stdout.strip()
    return json.loads(text[text.find("{") :])


def test_b1_national_batch_smoke(tmp_path):
    out = run("bench_batch.py", tmp_path)
    assert out["prefectures"] == 2 and out["errors"] == []
    assert out["wall_s"] > 0 and out["peak_rss_mb"] > 0
    assert out["cpu_s"] > 0 and out["cli"]["exit"] == 0 and out["cli"]["wall_s"] > 0
    from benchmarks.run import markdown

    assert "whole process" in markdown({"B1": {"result": out}})


def test_b2_shapley_smoke(tmp_path):
    out = run("bench_shapley.py", tmp_path)
    assert set(out["model_exact_s"]) and set(out["generic_exact_s"])
    assert all(v["max_abs_error_yen"] >= 0 for v in out["monte_carlo"].values())
    nu = out["nucleolus"]
    assert set(nu["structured_s"]) == {"20", "50"} and all(t > 0 for t in nu["structured_s"].values())
    assert "ours_s" in out["nucleolus_vs_coopgame"] or "skipped" in out["nucleolus_vs_coopgame"]
    from benchmarks.run import markdown

    assert "B2 nucleolus" in markdown({"B2": {"result": out}})


def test_datamap_bench_smoke(tmp_path):
    out = run("bench_datamap.py", tmp_path)
    assert out["assets"] == 50 and out["services"] == 20 and out["flows"] > 0
    assert out["datamap_best_s"] > 0 and out["classify_s"] > 0
    imp = out["import"]
    assert imp["assets_added"] == 50 and imp["platforms_inferred"] == 50 and imp["reimport_updated"] == 1
    from benchmarks.run import markdown

    assert "DM import" in markdown({"DM": {"result": out}})
    f = out["file"]
    assert f["load_classify_s"] >= f["load_s"] > 0 and f["reload_kept_s"] > 0
    assert "DM file" in markdown({"DM": {"result": out}})


def test_b4_suite_smoke(tmp_path):
    out = run("bench_suite.py", tmp_path)
    assert out["tests"]["exit"] == 0
    assert out["imports"]["import workbench"]["best_s"] > 0


@pytest.mark.browser
@pytest.mark.skipif(
    not shutil.which("chromium") and not Path("/usr/bin/chromium").exists(), reason="no chromium"
)
def test_b3_dashboards_smoke(tmp_path):
    out = run("bench_dashboards.py", tmp_path)
    (r,) = out["interaction"].values()
    assert r["changes"] == 2 and len(r["page_settled_ms"]) == 2
    # the page's clock starts at the input event and stops at the frame that has every chart: inside the
    # driver's wall time, which starts before the action and ends when playwright has seen the same
    assert 0 < r["p50_ms"] <= r["settled_p50_ms"] <= r["driver_settled_p50_ms"]


def test_b6_workbooks_smoke(tmp_path):
    out = run("bench_workbooks.py", tmp_path)
    assert out["smoke"] and out["cases"]
    for row in out["cases"].values():
        assert row["read"]["outcome"].startswith(("refused", "accepted")) and row["read"]["peak_rss_mb"] > 0
