"""``workbench batch`` (the national summary) and ``workbench synth`` (synthetic prefecture files)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

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
    from ..batch import columns_ja, national_totals, run_batch

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
    ja = df.rename(columns=columns_ja(df.columns))  # offices read Japanese headers (docs/frames.md)
    if args.csv:
        from ..exports import frame_csv

        frame_csv(ja, args.csv)
    if args.xlsx:
        from ..exports import frames_xlsx

        frames_xlsx({"全国サマリー": ja}, args.xlsx)
    if args.html:
        from ..charts.map import national_map
        from ..charts.national import national_savings, national_types
        from ..files import atomic_write

        parts = [
            national_map(df).to_html(full_html=False, include_plotlyjs=True),
            national_types(df).to_html(full_html=False, include_plotlyjs=False),
            national_savings(df).to_html(full_html=False, include_plotlyjs=False),
        ]
        page = (
            "<!doctype html><html lang='ja'><head><meta charset='utf-8'><title>全国サマリー</title></head><body>"
            + "".join(parts)
            + f"<p>{reference.POPULATION_SOURCE}</p></body></html>"
        )
        atomic_write(args.html, page.encode("utf-8"))
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
    print_table(df[[c for c in cols if c in df.columns]].rename(columns=columns_ja(cols)))
    t = national_totals(df) if len(df) else {}
    if t:
        print(
            f"\n{t['prefectures']} 都道府県・{t['municipalities']:,} 市区町村・人口 {t['population']:,}"
            f"（うち合成データ {t['synthetic']} 県）"
        )
    return 2 if errors else 0


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
