"""``workbench auth FILE [--json] [--on YYYY-MM-DD]``: authentication-level matching (CONTRACT.md)."""

from __future__ import annotations

import argparse

from .common import add_file_argument, add_on_argument, print_json, print_table


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("auth", help="認証レベルの照合: サービスの必要レベルと基盤の手段、認証連携の整合")
    add_file_argument(p)
    p.add_argument("--json", action="store_true", help="CONTRACT.md の JSON で出力")
    add_on_argument(
        p, "手段カタログの有効期間を判定する日（既定: 今日。例 2027-04-01 で画像方式eKYCの廃止後）"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import workbench as wb

    result = wb.match_auth(wb.load(args.file), on=args.on)
    if args.json:
        print_json(result.model_dump(mode="json"))
        return 0
    print(result)
    print_table(result.to_staff_frame()[["サービス", "基盤", "必要", "提供", "充足", "不足"]], "\nサービス別")
    print_table(result.platforms_frame(), "\n基盤別")
    print_table(result.federation_frame(), "\n認証連携")
    print_table(result.denied_flows_frame(), "\nレベル不足で拒否されるデータ連携")
    if result.recommendations:
        print("\n推奨")
        for r in result.recommendations:
            print(f"  - {r}")
    if result.assumptions:
        print("\n注: 次の値はプロジェクトの既定の仮定です（公式の対応表はありません。auth: で変更できます）")
        for a in result.assumptions:
            print(f"  - {a}")
    return 0
