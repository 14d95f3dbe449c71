"""Hostile and large hearing workbooks (issue 12, point 5): seconds and peak memory to read (refuse or accept)
and to import each, every case in a fresh process. Prints JSON.

    .venv/bin/python benchmarks/bench_workbooks.py           # every case
    .venv/bin/python benchmarks/bench_workbooks.py --smoke   # two small cases (not a measurement)

Cases (built here, as in tests/test_hostile_workbooks.py): a value at XFD2000 (before: minutes, 2.5 GB), at
XFD1048576 (before: never finished), at A1048576; 150,000 rows of values (before: over 400 s); 150,000 rows of
formatting only; the largest sheet accepted (1,000 data rows), read and imported. The goal of the issue: any
workbook refused or accepted in seconds. The machine is shared (2 cores): numbers are noisy.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def build(folder: Path, smoke: bool) -> dict[str, Path]:
    from test_bad_inputs import filled_workbook
    from test_hostile_workbooks import book_bytes, platform_rows, with_sheet_xml

    from workbench.sheets import SHEET_PLATFORMS
    from workbench.xlsx_stream import MAX_ROW

    cases: dict[str, Path] = {}
    for cell in ("XFD2000", "XFD1048576", "A1048576"):
        book = filled_workbook()
        book[SHEET_PLATFORMS][cell] = "x"
        cases[f"value at {cell}"] = folder / f"{cell}.xlsx"
        book.save(cases[f"value at {cell}"])
        if smoke:
            break
    rows = 2_000 if smoke else 150_000
    p = folder / "rows.xlsx"
    p.write_bytes(with_sheet_xml(book_bytes(), SHEET_PLATFORMS, platform_rows(6, rows + 5)))
    cases[f"{rows:,} rows of values"] = p
    if not smoke:
        empty = "".join(
            f'<row r="{r}" s="1" customFormat="1">'
            + "".join(f'<c r="{c}{r}" s="1"/>' for c in "ABCDEFGHIJ")
            + "</row>"
            for r in range(6, 150_006)
        )
        p = folder / "formatted.xlsx"
        p.write_bytes(with_sheet_xml(book_bytes(), SHEET_PLATFORMS, empty))
        cases["150,000 formatted empty rows (accepted)"] = p
        p = folder / "largest.xlsx"
        p.write_bytes(with_sheet_xml(book_bytes(), SHEET_PLATFORMS, platform_rows(6, MAX_ROW)))
        cases[f"largest accepted: {MAX_ROW - 4:,} data rows"] = p
    return cases


CHILD = """
import json, sys, time
from pathlib import Path
from workbench.errors import InputError
from workbench.sheets import import_hearings, read_hearing
path, into, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
t0 = time.perf_counter()
try:
    if mode == "import":
        into.write_text("prefecture: 福島県\\n", encoding="utf-8")
        outcome = f"imported {len(import_hearings([path], into).added)}"
    else:
        outcome = f"accepted {len(read_hearing(path).platforms)} platforms"
except InputError as err:
    outcome = "refused: " + str(err).splitlines()[0][-90:]
hwm = next(int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmHWM:"))
print(json.dumps({"s": round(time.perf_counter() - t0, 2), "outcome": outcome, "peak_rss_mb": hwm // 1024}))
"""


def measure(path: Path, into: Path, mode: str) -> dict:
    res = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(into), mode],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    if res.returncode:
        return {"error": res.stderr[-500:]}
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args(argv)
    out: dict = {"cases": {}, "smoke": args.smoke}
    with tempfile.TemporaryDirectory(prefix="wb-books-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        cases = build(folder, args.smoke)
        out["build_s"] = round(time.perf_counter() - t0, 1)
        for name, path in cases.items():
            row = {
                "file_kb": round(path.stat().st_size / 1024),
                "read": measure(path, folder / "into.yaml", "read"),
            }
            if "accepted" in name:
                row["import"] = measure(path, folder / "into.yaml", "import")
            out["cases"][name] = row
    json.dump(out, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
