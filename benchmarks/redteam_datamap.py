"""Red team of the データマップ importer (issue 24 points 1, 2 and 7; issue 26): each hostile file is built here,
imported in a child process with ``workbench import-datamap`` (or ``import-sheet`` for the hearing sheets), and
the wall time, peak memory and the first line the user reads are printed as one JSON line per case.

    .venv/bin/python benchmarks/redteam_datamap.py [--code DIR] [--timeout S] [--memory GB] [CASE ...]

``--code`` runs another checkout's ``workbench`` (the "before" of a change: ``--code /work/main``). Each child
runs under a memory limit (default 3 GB) and a timeout (default 60 s): a case past either is reported as
such, never allowed to take the machine. Not part of ``make bench`` (it is a demonstration, not a goal).
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

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))

PREF = {
    "prefecture": "香川県",
    "platforms": [
        {
            "id": "area",
            "name": "かがわデータ連携基盤",
            "operated_by": "prefecture",
            "components": ["non_personal"],
        }
    ],
    "services": [
        {"id": "shelter_app", "name": "避難所混雑度通知アプリ", "platform": "area"},
        {"id": "bousai_app", "name": "防災アプリ", "platform": "area"},
    ],
}


def _base_book():
    from datamap_books import official_book

    return official_book(
        [{"service": "防災アプリ", "intake": "指定避難所一覧"}],
        [
            {
                "name": "指定避難所一覧",
                "owner": "防災危機管理課",
                "location": "防災情報管理システム",
                "to": "防災アプリ",
            }
        ],
    )


def _far(cell: str):
    def make(folder: Path) -> Path:
        book = _base_book()
        book["データアセット側データマップ"][cell] = "x"
        path = folder / f"far_{cell}.xlsx"
        book.save(path)
        return path

    return make


def _merged(folder: Path) -> Path:
    """A merged range A20:XFD1048576 written into the sheet's XML (openpyxl itself would create every cell)."""
    from datamap_books import book_bytes, edit_sheet

    def merge(xml: str) -> str:
        cell = '<mergeCell ref="A20:XFD1048576"/>'
        if "<mergeCells" in xml:
            return xml.replace("</mergeCells>", cell + "</mergeCells>")
        return xml.replace("</sheetData>", f'</sheetData><mergeCells count="1">{cell}</mergeCells>')

    path = folder / "merged.xlsx"
    path.write_bytes(edit_sheet(book_bytes(_base_book()), "データアセット側データマップ", merge))
    return path


def _formatted_rows(folder: Path) -> Path:
    from datamap_books import book_bytes, edit_sheet

    empty = "".join(
        f'<row r="{r}" s="1" customFormat="1">'
        + "".join(f'<c r="{c}{r}" s="1"/>' for c in "ABCDEFGH")
        + "</row>"
        for r in range(10, 150_010)
    )
    data = edit_sheet(
        book_bytes(_base_book()),
        "データアセット側データマップ",
        lambda xml: xml.replace("</sheetData>", empty + "</sheetData>"),
    )
    path = folder / "formatted.xlsx"
    path.write_bytes(data)
    return path


def _bomb(folder: Path) -> Path:
    from datamap_books import book_bytes, shared_strings_bomb

    path = folder / "bomb.xlsx"
    path.write_bytes(shared_strings_bomb(book_bytes(_base_book())))
    return path


def _hearing_bomb(folder: Path) -> Path:
    from datamap_books import shared_strings_bomb
    from test_bad_inputs import filled_workbook
    from test_hostile_workbooks import book_bytes

    path = folder / "hearing_bomb.xlsx"
    path.write_bytes(shared_strings_bomb(book_bytes(filled_workbook())))
    return path


def _digits(folder: Path) -> Path:
    import re

    from datamap_books import book_bytes, edit_sheet

    def put(xml: str) -> str:
        return re.sub(r'<c r="C6"[^>]*>.*?</c>', '<c r="C6"><v>' + "9" * 5000 + "</v></c>", xml, count=1)

    path = folder / "digits.xlsx"
    path.write_bytes(edit_sheet(book_bytes(_base_book()), "データアセット側データマップ", put))
    return path


def _xxe(folder: Path) -> Path:
    from datamap_books import book_bytes, edit_sheet

    def doctype(xml: str) -> str:
        return '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + (
            xml.split("?>", 1)[1] if xml.startswith("<?xml") else xml
        )

    path = folder / "xxe.xlsx"
    path.write_bytes(edit_sheet(book_bytes(_base_book()), "データアセット側データマップ", doctype))
    return path


SERVICE_HEADER = (
    "サービス名,サービスへの取込データ,サービスでの取得データ（内部利用のみに限るもの）,"
    "サービスでの取得データ（外部利用が可能なもの）,提供頻度,提供方法,提供先"
)


def _many_services(folder: Path) -> Path:
    path = folder / "services.csv"
    lines = [SERVICE_HEADER] + [f"新サービス{k},データ{k},,,,," for k in range(20_000)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _repeated_mistake(folder: Path) -> Path:
    """200,000 rows naming services the file does not have (and no --platform to add them): one mistake, 199,999
    times more; under the CSV size cap."""
    path = folder / "mistake.csv"
    lines = [SERVICE_HEADER] + [f"x{k},,,,,," for k in range(200_000)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


CASES = {
    "xfd2000": ("a value at XFD2000", _far("XFD2000"), ["import-datamap"]),
    "xfd1048576": ("a value at XFD1048576", _far("XFD1048576"), ["import-datamap"]),
    "merged": ("merged range A20:XFD1048576", _merged, ["import-datamap"]),
    "formatted": ("150,000 formatted empty rows", _formatted_rows, ["import-datamap"]),
    "bomb": ("shared strings 178 MB (import-datamap)", _bomb, ["import-datamap"]),
    "bomb_hearing": ("shared strings 178 MB (import-sheet)", _hearing_bomb, ["import-sheet"]),
    "digits": ("a 5,000-digit number in a cell", _digits, ["import-datamap"]),
    "xxe": ("a DTD with an external entity", _xxe, ["import-datamap"]),
    "services20k": ("20,000 new services (CSV)", _many_services, ["import-datamap", "--platform", "area"]),
    "mistake200k": ("one mistake on 200,000 rows (CSV)", _repeated_mistake, ["import-datamap"]),
}


def run(case: str, code: Path, timeout: float, memory_gb: float) -> dict:
    title, make, command = CASES[case]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = make(folder)
        into = folder / "37_kagawa.yaml"
        into.write_text(json.dumps(PREF, ensure_ascii=False), encoding="utf-8")
        if command[0] == "import-sheet":
            from test_bad_inputs import GOOD_YAML

            into.write_text(GOOD_YAML, encoding="utf-8")
        args = [*command[:1], str(path), "--into", str(into), *command[1:]]
        limit = int(memory_gb * 1024**3)

        def limits() -> None:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

        env = dict(os.environ, PYTHONPATH=str(code))
        prog = "import sys; from workbench.cli import main; sys.exit(main(sys.argv[1:]))"
        err_path = folder / "stderr.txt"
        t0 = time.perf_counter()
        with open(err_path, "wb") as err, open(folder / "stdout.txt", "wb") as out_f:
            proc = subprocess.Popen(
                [sys.executable, "-c", prog, *args],
                stdout=out_f,
                stderr=err,
                preexec_fn=limits,
                env=env,
                cwd=folder,  # not this checkout: ``-c`` puts the working folder first on sys.path
            )
            status: object = None
            while True:
                pid, code_, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    status = os.waitstatus_to_exitcode(code_)
                    break
                if time.perf_counter() - t0 > timeout:
                    proc.kill()
                    _, _, usage = os.wait4(proc.pid, 0)
                    status = "timeout"
                    break
                time.sleep(0.02)
            proc.returncode = 0  # reaped by wait4
        seconds = time.perf_counter() - t0
        peak_mb = round(usage.ru_maxrss / 1024)
        out = err_path.read_text(errors="replace") or (folder / "stdout.txt").read_text(errors="replace")
        lines = out.strip().splitlines()
        return {
            "case": case,
            "attack": title,
            "file_bytes": path.stat().st_size,
            "exit": status,
            "seconds": round(seconds, 2),
            "peak_mb": peak_mb,
            "output_lines": len(lines),
            "output_bytes": len(out.encode()),
            "first_line": (lines[0][:220] if lines else ""),
            "memory_error": "MemoryError" in out,
        }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("cases", nargs="*", default=list(CASES))
    ap.add_argument("--code", type=Path, default=ROOT)
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--memory", type=float, default=3.0, help="GB")
    args = ap.parse_args(argv)
    for case in args.cases:
        print(json.dumps(run(case, args.code, args.timeout, args.memory), ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
