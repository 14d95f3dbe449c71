"""B6 データマップ: analyse a prefecture with 500 data assets and 200 services (goal ≤ 1 s on this machine).

    .venv/bin/python benchmarks/bench_datamap.py [--smoke]

The prefecture is synthetic and deterministic (seeded): 5 platforms, 200 services over the data-map fields, 500
assets named after the guidebook 11.3 datasets and the standard models, each asset offered to 3 services, each
service taking 5 data (one in five directly), 2 external items per service offered to 2 services, personal items
with and without consent. Timed: ``wb.datamap(pref)`` (the whole analysis), best and median of repeated runs,
plus ``wb.classify(pref)`` (which includes the data map's findings). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def synthetic(n_assets: int = 500, n_services: int = 200, seed: int = 15) -> dict:
    """A prefecture file (plain data) with a data map of the given size."""
    from workbench import reference

    rng = random.Random(seed)
    fields = list(reference.table("datamap_fields.csv")["label_ja"])
    names = list(
        dict.fromkeys(
            [*reference.table("ods_matrix.csv")["dataset"], *reference.table("standard_models.csv")["model"]]
        )
    )
    methods = [["NGSI v2"], ["NGSI-LD"], ["REST API"], ["CSV"], ["CSV", "REST API"], ["NGSI-LD", "NGSI v2"]]
    freqs = ["日次", "リアルタイム", "月次", "随時更新", "5分間隔", "年次"]
    platforms = [
        {
            "id": f"p{k}",
            "name": f"基盤{k}",
            "operated_by": "prefecture",
            "components": ["auth", "non_personal", "personal"],
            "api_published": k % 2 == 0,
            "modules": ["orion"],
            "identity_proofing": 2,
            "authenticator": 2,
        }
        for k in range(5)
    ]
    services = [
        {
            "id": f"s{k}",
            "name": f"サービス{k}",
            "platform": f"p{k % 5}",
            "category": "resident" if k % 3 == 0 else None,
        }
        for k in range(n_services)
    ]
    for s in services:
        if s["category"] is None:
            del s["category"]
    assets = []
    for k in range(n_assets):
        to = rng.sample(range(n_services), 3)
        assets.append(
            {
                "id": f"a{k}",
                "name": f"{names[k % len(names)]}（{k}）",
                "owner": f"課{k % 40}",
                "location": f"システム{k % 60}",
                "platform": f"p{k % 5}",
                "frequency": rng.choice(freqs),
                "method": list(rng.choice(methods)),
                "to": [f"s{t}" for t in to],
                "model": rng.choice([None, "独自", names[k % len(names)]]),
            }
        )
    rows = []
    offered: dict[int, list[int]] = {}
    for a_i, a in enumerate(assets):
        for t in a["to"]:
            offered.setdefault(int(t[1:]), []).append(a_i)
    for k in range(n_services):
        mine = offered.get(k, [])[:4]
        direct = rng.sample(range(n_assets), 1)
        rows.append(
            {
                "service": f"s{k}",
                "field": fields[k % len(fields)],
                "status": "計画中" if k % 17 == 0 else "運用中",
                "intake": [f"a{i}" for i in [*mine, *direct]],
                "internal": [f"ログ{k}"],
                "external": [
                    {
                        "name": f"利用状況{k}-{j}",
                        "frequency": "日次",
                        "method": ["REST API"],
                        "to": [f"s{t}" for t in rng.sample(range(n_services), 2) if t != k],
                        "pi_class": rng.choice([None, "個人情報", "匿名加工情報"]),
                        "consent": rng.choice([None, "同意管理あり"]),
                    }
                    for j in range(2)
                ],
            }
        )
    return {
        "prefecture": "07",
        "platforms": platforms,
        "services": services,
        "data_map": {"services": rows, "assets": assets},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args(argv)
    import workbench as wb

    n_assets, n_services, repeat = (50, 20, 2) if args.smoke else (500, 200, 7)
    data = synthetic(n_assets, n_services)
    import io

    from ruamel.yaml import YAML

    buf = io.StringIO()
    YAML().dump(data, buf)  # block style, as a prefecture file is written
    t0 = time.perf_counter()
    pref = wb.loads(buf.getvalue(), file="synthetic.yaml")
    load_s = time.perf_counter() - t0
    wb.datamap(pref)  # warm the reference tables
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = wb.datamap(pref)
        times.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    cl = wb.classify(pref)
    classify_s = time.perf_counter() - t0
    out = {
        "assets": n_assets,
        "services": n_services,
        "flows": len(res.flows),
        "findings": len(res.findings),
        "candidates": len(res.candidates),
        "load_s": round(load_s, 3),
        "yaml_chars": len(buf.getvalue()),
        "datamap_best_s": round(min(times), 3),
        "datamap_median_s": round(statistics.median(times), 3),
        "classify_s": round(classify_s, 3),
        "issues": len(cl.issues),
        "goal_s": 1.0,
    }
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
