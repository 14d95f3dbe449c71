"""``workbench schema``: the JSON Schema of the prefecture file (generated from the pydantic models)."""

from __future__ import annotations

import argparse
import json


def prefecture_schema() -> dict:
    from ..inventory import Prefecture

    schema = Prefecture.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "共同利用ワークベンチ 都道府県ファイル (prefecture file)"
    return schema


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("schema", help="都道府県ファイルの JSON Schema を出力")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print(json.dumps(prefecture_schema(), ensure_ascii=False, indent=2))
    return 0
