"""``workbench classify FILE [--json]``: Step 1 classification (CONTRACT.md)."""

from __future__ import annotations

import argparse

from .common import add_file_argument, print_json, print_table


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("classify", help="Step 1: 基盤数・型・パターン・課題リスト")
    add_file_argument(p)
    p.add_argument("--json", action="store_true", help="CONTRACT.md の JSON で出力")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import workbench as wb

    result = wb.classify(wb.load(args.file))
    if args.json:
        print_json(result.model_dump(mode="json"))
        return 0
    print(result)
    print(f"\n{result.current_reason}")
    print_table(result.arrangements_frame(), "\n今の型の内訳（共同利用の単位と単独運営の基盤）")
    print_table(result.principles_frame(), "\n基本的な考え方")
    print_table(result.issues_frame()[["重要度", "コード", "基盤", "サービス", "課題"]], "\n課題リスト")
    if result.pattern_reading:
        print(f"\n注: {result.pattern_reading}")
    if result.pattern_target_assumed:
        print("注: 目指す型が未設定のため、ガイドの目指す姿（型2.4）を仮定してパターンを判定しました")
    return 0
