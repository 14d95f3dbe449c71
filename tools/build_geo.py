"""Build the map geometry in data/ from two packages of the public Python index (run once, by hand; the
result is committed). Nothing here runs at import or test time.

    pip download --no-deps japanmap==0.6.0 JpGeocode==0.3.1 -d /tmp/geo
    .venv/bin/python tools/build_geo.py /tmp/geo/japanmap-0.6.0-py3-none-any.whl \
        /tmp/geo/JpGeocode-0.3.1-py3-none-any.whl

Writes
  data/municipal_points.csv      one point per census municipality (JpGeocode 0.3.1, MIT), matched to the
                                 census code by prefecture and name; ``note`` says which were matched by hand
  data/prefecture_outlines.csv   one ring per prefecture (japanmap 0.6.0, Apache-2.0): the boundary segments of
                                 ``japan.json`` joined into a closed ring, coordinates rounded to 4 decimals
  data/licenses/japanmap-LICENSE.txt  the Apache-2.0 text shipped with japanmap (copied unchanged)
"""

from __future__ import annotations

import csv
import io
import json
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"

# census name -> JpGeocode key, where the two differ (checked by hand; see data/README.md)
BY_HAND = {
    ("兵庫県", "丹波篠山市"): ("兵庫県,篠山市", "JpGeocode の「篠山市」（2019年5月1日に丹波篠山市へ改称）"),
    ("高知県", "檮原町"): ("高知県,梼原町", "JpGeocode の「梼原町」（国勢調査の表記は檮原町）"),
}


def _read(wheel: Path, suffix: str) -> bytes:
    with zipfile.ZipFile(wheel) as z:
        name = next(n for n in z.namelist() if n.endswith(suffix))
        return z.read(name)


def points(wheel: Path) -> list[dict[str, str]]:
    geo = json.loads(_read(wheel, "data/jp_geocode.json"))
    census = list(csv.DictReader(open(DATA / "municipal_population_2020.csv", encoding="utf-8")))
    rows, used = [], set()
    for r in census:
        key, note = BY_HAND.get((r["prefecture"], r["municipality"]), (None, ""))
        key = key or f"{r['prefecture']},{r['municipality']}"
        if key not in geo:
            raise SystemExit(f"no point for {r['code']} {r['prefecture']}{r['municipality']}")
        used.add(key)
        p = geo[key]
        rows.append({"code": r["code"], "lon": f"{p['lng']:.4f}", "lat": f"{p['lat']:.4f}", "note": note})
    left = sorted(set(geo) - used)
    if left:
        raise SystemExit(f"JpGeocode keys matched to no census municipality: {left}")
    return rows


def outlines(wheel: Path) -> list[dict[str, str]]:
    qp, qo = json.loads(_read(wheel, "japanmap/japan.json"))
    rows = []
    for k, segments in enumerate(qo):
        ring: list[list[float]] = []
        for _neighbour, idx in segments:
            seg = [qp[i][0] for i in idx]
            if ring and ring[-1] == seg[0]:
                seg = seg[1:]
            ring += seg
        if ring[0] != ring[-1]:  # 島根県: the last segment ends 0.007° from the first (closed here)
            gap = max(abs(ring[0][0] - ring[-1][0]), abs(ring[0][1] - ring[-1][1]))
            if gap > 0.05:
                raise SystemExit(f"ring of prefecture {k + 1} is open by {gap:.3f}°")
            ring.append(ring[0])
        last = None
        for lon, lat in ring:
            pt = (f"{lon:.4f}", f"{lat:.4f}")
            if pt == last:
                continue
            last = pt
            rows.append({"code": f"{k + 1:02d}", "lon": pt[0], "lat": pt[1]})
    return rows


def write(path: Path, rows: list[dict[str, str]]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    print(f"{path.relative_to(ROOT)}: {len(rows)} rows")


def main(argv: list[str]) -> int:
    japanmap, jpgeocode = (Path(a) for a in argv)
    write(DATA / "municipal_points.csv", points(jpgeocode))
    write(DATA / "prefecture_outlines.csv", outlines(japanmap))
    lic = DATA / "licenses"
    lic.mkdir(exist_ok=True)
    (lic / "japanmap-LICENSE.txt").write_bytes(_read(japanmap, "licenses/LICENSE"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
