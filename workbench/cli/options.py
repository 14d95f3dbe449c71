"""``workbench options FILE [--json] [--weight 基準=重み ...]``: Step 2 目指す型の選択 — the options open to the
prefecture side by side with their costs, the recommendation and what would change it (CONTRACT.md
``options``)."""

from __future__ import annotations

import argparse

from .common import add_file_argument, add_on_argument, print_json, print_table


def _weight(text: str) -> tuple[str, float]:
    """``費用=0.5`` or ``cost=0.5`` (argparse type)."""
    name, sep, value = text.partition("=")
    try:
        if not sep:
            raise ValueError
        return name.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"基準=重み の形で指定してください（例 費用=0.5）: {text}") from None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("options", help="Step 2: 目指す型の選択肢と費用・推奨とその理由")
    add_file_argument(p)
    p.add_argument("--json", action="store_true", help="CONTRACT.md の JSON で出力")
    p.add_argument(
        "--weight",
        type=_weight,
        action="append",
        default=[],
        metavar="基準=重み",
        help="推奨の基準の重み（費用・目指す姿への近さ・基本的な考え方・認証レベルの不足・リスク・到達までの期間。"
        "既定は本ツールの読み。合計は自動で1にそろえる）",
    )
    add_on_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import workbench as wb
    from workbench.staff import source_ja

    weights = dict(args.weight) if args.weight else None
    result = wb.options(wb.load(args.file), weights=weights, on=args.on)
    if args.json:
        print_json(result.model_dump(mode="json"))
        return 0
    print(result)
    print_table(result.to_staff_frame(), "\n選択肢の比較")
    print("\n推奨の理由")
    for r in result.best.reasons:
        print(f"  ・{r.text}（{source_ja(r.source)}）")
    if result.what_changes:
        print("\n推奨が変わる条件")
        for r in result.what_changes:
            print(f"  ・{r.text}")
    print_table(result.criteria_frame()[["基準", "重み", "本ツールの読み", "説明"]], "\n基準と重み")
    for note in result.notes:
        print(f"注: {note}")
    return 0
