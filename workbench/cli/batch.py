"""``workbench batch`` (the national summary) and ``workbench synth`` (synthetic prefecture files)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..errors import InputError


def register(sub: argparse._SubParsersAction) -> None:
    b = sub.add_parser("batch", help="全国（または指定した都道府県）の一括分析と全国サマリー")
    g = b.add_mutually_exclusive_group(required=True)
    g.add_argument("--all", action="store_true", help="47都道府県すべて")
    g.add_argument("--prefectures", help="都道府県コードまたは名前をカンマ区切りで（例 07,09）")
    b.add_argument(
        "--folder", type=Path, help="都道府県ファイル（NN_名前.yaml）のフォルダ。ない県はサンプルか合成データ"
    )
    b.add_argument(
        "--rules",
        help="費用の列を加える配分ルール（コードか名前をカンマ区切りで。例 shapley,population）",
    )
    b.add_argument(
        "--csv",
        type=Path,
        help="サマリーを CSV に書く（見出しは日本語。分析用の英字の列名は wb.national_summary）",
    )
    b.add_argument("--xlsx", type=Path, help="サマリーを xlsx に書く")
    b.add_argument("--html", type=Path, help="全国のグラフを HTML に書く（plotly.js 同梱）")
    b.add_argument("--quiet", action="store_true", help="進捗を表示しない")
    b.set_defaults(func=run_batch)

    s = sub.add_parser("synth", help="合成の都道府県ファイルを作る（市町村と人口は実データ、基盤は架空）")
    s.add_argument("prefecture", help="都道府県コードまたは名前")
    s.add_argument("--out", type=Path, help="書き出すファイル（省略時は標準出力）")
    s.add_argument("--seed", type=int, default=0)
    s.set_defaults(func=run_synth)


def _bar(i: int, n: int, code: str) -> None:
    width = 30
    done = int(width * i / n)
    sys.stderr.write(f"\r[{'#' * done}{'.' * (width - done)}] {i}/{n} {code}")
    if i == n:
        sys.stderr.write("\n")
    sys.stderr.flush()


def run_batch(args: argparse.Namespace) -> int:
    from .. import reference
    from ..batch import national_totals, run_batch, staff_frame

    codes = None
    if args.prefectures:
        codes = []
        for part in args.prefectures.split(","):
            try:
                codes.append(reference.resolve_prefecture(part.strip())[0])
            except KeyError:
                raise InputError.single("都道府県が分かりません", field="--prefectures", value=part) from None
    rules = [r.strip() for r in args.rules.split(",") if r.strip()] if args.rules else []
    df, errors = run_batch(codes, folder=args.folder, progress=None if args.quiet else _bar, rules=rules)
    for e in errors:
        print(f"エラー: {e}", file=sys.stderr)
    asked = codes or list(reference.prefectures()["code"])
    missing = [c for c in dict.fromkeys(asked) if c not in set(df.get("code", []))]
    left_out = "、".join(reference.resolve_prefecture(c)[1] for c in missing)
    ja = staff_frame(df)
    outputs = _outputs(args, df, ja, errors, left_out if missing else "")
    if outputs:
        from ..files import atomic_write_all

        atomic_write_all(outputs)
    from .common import print_table

    cols = [
        "code",
        "name",
        "synthetic",
        "current_type",
        "pattern",
        "after_type",
        "issues",
        "members",
        "saving_ratio",
        "rules_not_ir",
    ]
    if len(df):
        print_table(staff_frame(df[[c for c in [*cols, "pattern_label"] if c in df.columns]]))
    t = national_totals(df) if len(df) else {}
    if t:
        of = f"（{len(asked)} のうち。集計から外した県: {left_out}）" if missing else ""
        print(
            f"\n{t['prefectures']} 都道府県{of}・{t['municipalities']:,} 市区町村・人口 {t['population']:,}"
            f"（うち合成データ {t['synthetic']} 県）"
        )
    if missing:
        print(
            f"集計から外した都道府県が {len(missing)} あります: {left_out}（理由は上のエラー）",
            file=sys.stderr,
        )
    return 2 if errors else 0


def _outputs(args: argparse.Namespace, df: Any, ja: Any, errors: list[str], left_out: str) -> list:
    """(file, bytes) of every output asked for, built before any is written."""
    from .. import reference

    outputs: list[tuple[Path, bytes]] = []
    if args.csv:
        from ..exports import frame_csv_bytes

        outputs.append((args.csv, frame_csv_bytes(ja)))
    if args.xlsx:
        import pandas as pd

        from ..exports import frames_xlsx_bytes

        sheets = {"全国サマリー": ja}
        if errors:  # the prefectures left out, with the reason, beside the table that lacks them
            sheets["集計から外したファイル"] = pd.DataFrame({"理由（ファイル: 行: 内容）": errors})
        outputs.append((args.xlsx, frames_xlsx_bytes(sheets, title="全国サマリー（共同利用ワークベンチ）")))
    if args.html and len(df):
        import html

        from ..charts.map import national_map
        from ..charts.national import national_savings, national_types

        parts = [
            national_map(df).to_html(full_html=False, include_plotlyjs=True),
            national_types(df).to_html(full_html=False, include_plotlyjs=False),
            national_savings(df).to_html(full_html=False, include_plotlyjs=False),
        ]
        note = (
            f"<p>集計から外した都道府県: {html.escape(left_out)}（ファイルを使えなかったため）</p>"
            if left_out
            else ""
        )
        page = (
            "<!doctype html><html lang='ja'><head><meta charset='utf-8'><title>全国サマリー</title></head><body>"
            + note
            + "".join(parts)
            + f"<p>{reference.POPULATION_SOURCE}</p></body></html>"
        )
        outputs.append((args.html, page.encode("utf-8")))
    return outputs


def run_synth(args: argparse.Namespace) -> int:
    from .. import reference
    from ..synth import synth_yaml

    try:
        code = reference.resolve_prefecture(args.prefecture)[0]
    except KeyError:
        raise InputError.single("都道府県が分かりません", field="prefecture", value=args.prefecture) from None
    text = synth_yaml(code, args.seed)
    if args.out:
        from ..files import atomic_write

        atomic_write(args.out, text.encode("utf-8"), backup=False)
        print(f"書き出しました: {args.out}")
    else:
        sys.stdout.write(text)
    return 0
