"""``workbench vision FILE`` (Step 2: 共同利用ビジョン as HTML/Markdown) and ``workbench plan FILE`` (Step 3:
the action plan as a table or xlsx)."""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import add_file_argument


def register(sub: argparse._SubParsersAction) -> None:
    v = sub.add_parser("vision", help="Step 2: 共同利用ビジョン（HTML・Markdown・Word）")
    add_file_argument(v)
    v.add_argument("--html", type=Path, help="1ファイルで完結する HTML を書く（オフラインで表示可）")
    v.add_argument("--md", type=Path, help="Markdown を書く")
    v.add_argument("--docx", type=Path, help="Word 文書（見出し・表・KPI 表、編集可）を書く")
    v.set_defaults(func=run_vision)
    p = sub.add_parser("plan", help="Step 3: 実行計画（表示・xlsx）")
    add_file_argument(p)
    p.add_argument("--xlsx", type=Path, help="実行計画を xlsx に書く")
    p.set_defaults(func=run_plan)


def run_vision(args: argparse.Namespace) -> int:
    import workbench as wb

    from ..files import atomic_write_all
    from ..plan import vision
    from ..report_vision import vision_html, vision_markdown

    pref = wb.load(args.file)
    outputs = []  # every file built first, then all written in one step: never some of them without the rest
    if args.html:
        outputs.append((args.html, vision_html(pref).encode("utf-8")))
    if args.md:
        outputs.append((args.md, vision_markdown(pref).encode("utf-8")))
    if args.docx:
        from ..vision_docx import vision_docx_bytes

        outputs.append((args.docx, vision_docx_bytes(pref)))
    for path in (p for p in (args.html, args.md, args.docx) if p is not None):
        if path.parent and not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_all(outputs)
    for path, _ in outputs:
        print(f"書き出しました: {path}")
    if not outputs:
        print(vision(pref))
    return 0


def run_plan(args: argparse.Namespace) -> int:
    import workbench as wb

    from ..plan import action_plan
    from ..plan_sheet import plan_xlsx
    from .common import print_table

    pref = wb.load(args.file)
    plan = action_plan(pref)
    if args.xlsx:
        plan_xlsx(pref, args.xlsx, plan=plan)
        print(f"書き出しました: {args.xlsx}")
        return 0
    cols = ["ID", "取組事項", "担当", "開始日", "終了日", "依存"]
    df = plan.to_staff_frame()
    print_table(df[[c for c in cols if c in df.columns]], f"{pref.name} 実行計画（{len(df)} 件）")
    return 0
