"""Deterministic synthetic prefecture files for prefectures without a sample (issue: national view).

Real municipalities and 2020 census populations; invented platforms, clearly labelled (``synthetic: true``,
names marked 【合成】). The same prefecture code always gives the same file, so the whole country can be
exercised reproducibly.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
from pathlib import Path
from typing import Any

from . import reference

SYNTH_MARK = "【合成】"


def synth_data(pref: str | int, seed: int = 0) -> dict[str, Any]:
    """A synthetic prefecture file as plain data (deterministic in ``pref`` and ``seed``).

    The state is drawn with the guidebook 第3.0版 national distribution (6.6, as of 2026-09-04; the text
    guidebook-ver3.md gives the same counts in 6.7 as of 2026-06-18: 13 share a prefectural
    platform, 5 share a municipal platform, 19 have a platform but do not share, 10 have none).
    """
    code, name = reference.resolve_prefecture(str(pref))
    rng = random.Random(int(code) * 1_000_003 + seed)
    munis = reference.municipalities_of(code).sort_values("population_2020", ascending=False)
    codes = [c for c, p in zip(munis["code"], munis["population_2020"], strict=True) if p > 0]
    states = reference.table("prefecture_status_2026.csv")
    state = rng.choices(list(states["status"]), weights=list(states["prefectures"]))[0]
    platforms: list[dict[str, Any]] = []
    services: list[dict[str, Any]] = []

    def platform(pid: str, pname: str, operated_by: str, users: list[str], scope: str, full: bool) -> None:
        comps = ["auth", "non_personal", "personal"] if full else ["non_personal"]
        p: dict[str, Any] = {
            "id": pid,
            "name": f"{SYNTH_MARK}{pname}",
            "operated_by": operated_by,
            "components": comps,
            "service_scheme": rng.choice(["municipality", "both"]),
            "user_scope": scope,
            "non_personal_broker": rng.choice(["external", "internal_separated", "internal_shared"]),
            "personal_broker": rng.choice(["external", "internal_separated"]) if full else "none",
            "terms": {
                "exists": rng.random() < 0.8,
                "component_responsibility": rng.random() < 0.5,
                "platform_service_split": rng.random() < 0.5,
                "certification_audit": rng.random() < 0.4,
            },
            "modules": ["orion"] + (["personal_data_module"] if full and rng.random() < 0.6 else []),
            "api_published": rng.random() < 0.7,
            "municipalities": users,
        }
        if full:
            level = rng.choice([(2, 2), (2, 1), (3, 3)])
            p.update(
                {
                    "identity_proofing": level[0],
                    "authenticator": level[1],
                    "means": {
                        (2, 2): ["ekyc_ic", "passkey"],
                        (2, 1): ["ekyc_ic", "password"],
                        (3, 3): ["jpki_card"],
                    }[level],
                }
            )
        platforms.append(p)
        services.append(
            {
                "id": f"{pid}-portal",
                "name": f"{SYNTH_MARK}ポータル",
                "platform": pid,
                "provider": "municipality",
                "category": "resident" if full else None,
                "personal_data": full,
            }
        )
        services.append(
            {
                "id": f"{pid}-opendata",
                "name": f"{SYNTH_MARK}オープンデータ",
                "platform": pid,
                "provider": "municipality",
                "personal_data": False,
            }
        )

    if state == "shared_prefectural":
        share = max(2, round(len(codes) * rng.uniform(0.3, 1.0)))
        platform("pref", f"{name}データ連携基盤", "prefecture", sorted(codes[:share]), "prefectural", True)
    elif state == "shared_municipal" and len(codes) >= 2:
        group = codes[: min(len(codes), rng.randint(2, 5))]
        platform(
            "joint",
            f"{reference.municipality_name(group[0])}ほか共同基盤",
            group[0],
            sorted(group),
            "municipal",
            rng.random() < 0.6,
        )
    elif state == "not_shared":
        for i, c in enumerate(codes[: rng.randint(1, 3)]):
            platform(
                f"m{i + 1}",
                f"{reference.municipality_name(c)}データ連携基盤",
                c,
                [c],
                "municipal",
                rng.random() < 0.5,
            )
    for s in services:
        if s.get("category", "") is None:
            del s["category"]
    return {
        "prefecture": name,
        "synthetic": True,
        "notes": f"合成データ（seed={seed}）: 市区町村と人口は2020年国勢調査の実データ、基盤とサービスは架空です。"
        f" 状態の抽選はガイドブック第3.0版 6.6 の全国分布（2026年9月4日現在）による（{state}）。",
        "assumptions": ["基盤・サービス・レベル・費用はすべて架空（合成データ）"],
        "platforms": platforms,
        "services": services,
        "target": {"source": "single", "user_scope": "prefectural", "providers": "mixed"},
        "costs": {
            "horizon_years": 5,
            "discount_rate": 0.04,
            "shared": {"initial": 300_000_000, "annual_fixed": 40_000_000, "annual_per_member": 1_000_000},
            "standalone": {"initial": 50_000_000, "annual": 10_000_000},
        },
    }


#: how the last header line of a synthetic file begins: the generator's fingerprint and the body's digest follow
CHECK_PREFIX = "# 照合用（生成元・本文）: "


@functools.cache
def _generator_bytes() -> bytes:
    """What the text depends on besides the data: this module's source (the writer's settings) and ruamel's
    version (its output)."""
    import ruamel.yaml

    return Path(__file__).read_bytes() + ruamel.yaml.__version__.encode()


def synth_fingerprint(pref: str | int, seed: int = 0) -> str:
    """A digest of what :func:`synth_yaml` would write, computed without writing it (the data, this module's
    source, ruamel's version): a file whose header carries it, and whose body is intact, need not be made again
    (making one takes ~25 ms, checking one ~1 ms)."""
    data = json.dumps(synth_data(pref, seed), ensure_ascii=False, sort_keys=True).encode()
    return hashlib.sha256(data + b"\0" + _generator_bytes()).hexdigest()[:20]


def _body_digest(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:20]


def is_current(text: str, pref: str | int, seed: int = 0) -> bool:
    """Whether ``text`` (a synthetic file's) is what :func:`synth_yaml` makes today: its check line names the
    generator's current fingerprint and the digest of the body below it (a file changed by hand is not)."""
    head, sep, body = text.partition("\n" + CHECK_PREFIX)
    if not sep:
        return False
    line, nl, body = body.partition("\n")
    parts = line.split()
    return (
        bool(nl)
        and len(parts) == 2
        and parts[1] == _body_digest(body)
        and parts[0] == synth_fingerprint(pref, seed)
    )


def synth_yaml(pref: str | int, seed: int = 0) -> str:
    """The synthetic file as YAML text, with a header comment saying it is synthetic (and a check line:
    :func:`is_current`)."""
    import io

    from ruamel.yaml import YAML
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    def quote(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: quote(v) for k, v in node.items()}
        if isinstance(node, list):
            return [quote(v) for v in node]
        if isinstance(node, str) and node.isdigit():
            return DoubleQuotedScalarString(node)
        return node

    y = YAML()
    y.width = 4096
    buf = io.StringIO()
    buf.write("# 合成データ（synthetic）: 市区町村と人口は実データ、基盤・サービス・費用は架空です。\n")
    buf.write("# workbench synth で生成。実在の基盤の状況を表すものではありません。\n")
    body = io.StringIO()
    y.dump(quote(synth_data(pref, seed)), body)
    text = body.getvalue()
    buf.write(f"{CHECK_PREFIX}{synth_fingerprint(pref, seed)} {_body_digest(text)}\n")
    buf.write(text)
    return buf.getvalue()
