"""The overview diagram (俯瞰図) of one platform, as guide 3.1 Step 1 asks (guide 3.5 Step1フロー): who uses it
(municipalities), the services on it and who provides them, the platform, and its parts — the brokers
(non-personal / personal, with their data management, guide 3.4 属性 5/5), the personal authentication
service (with its proofing and authenticator levels, guide 3.4 属性 3/5) — and the platforms it federates with.

:func:`overview` computes the nodes and links; :func:`workbench.charts.overview.overview_diagram` only
draws them. Pure function, no I/O.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import BaseModel, Field

from . import reference
from .inventory import Platform, Prefecture, Service
from .results import Result, frame

Kind = Literal["municipality", "service", "platform", "broker", "auth", "federation"]
Group = Literal["municipality", "private", "prefecture", "operator"]
COLUMN = {"municipality": 0, "service": 1, "platform": 2, "broker": 3, "auth": 3, "federation": 3}
KIND_JA = {
    "municipality": "利用団体",
    "service": "サービス",
    "platform": "データ連携基盤",
    "broker": "ブローカー",
    "auth": "個人認証サービス",
    "federation": "連携先の基盤",
}
MAX_MUNICIPALITIES = 20


class OverviewNode(BaseModel):
    id: str
    label: str
    kind: Kind
    column: int
    group: Group = Field(
        description="提供主体の区分（色分け）: municipality | private | prefecture | operator"
    )
    group_label: str
    detail: str = ""


class OverviewLink(BaseModel):
    source: str
    target: str
    value: float
    group: Group
    label: str = ""


class OverviewData(Result):
    """Nodes and links of a platform's 俯瞰図 (guide 3.1 Step 1)."""

    prefecture: str
    platform: str
    platform_name: str
    nodes: list[OverviewNode]
    links: list[OverviewLink]
    grouped_municipalities: int = Field(0, description="「ほか N 団体」にまとめた団体数")
    notes: list[str] = Field(default_factory=list)
    sources: dict[str, str] = Field(default_factory=dict)

    def card_title(self) -> str:
        return f"{self.platform_name} の俯瞰図"

    def card_rows(self) -> list[tuple[str, str]]:
        count = {k: sum(n.kind == k for n in self.nodes) for k in KIND_JA}
        return [(KIND_JA[k], f"{v} 件") for k, v in count.items() if v]

    def node(self, node_id: str) -> OverviewNode:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def to_frame(self) -> pd.DataFrame:
        """One row per link with Japanese labels."""
        label = {n.id: n.label for n in self.nodes}
        recs = [
            {
                "from": label[x.source],
                "to": label[x.target],
                "量": x.value,
                "提供主体": reference.label("provider", x.group),
                "内容": x.label,
            }
            for x in self.links
        ]
        return frame(recs, ["from", "to", "量", "提供主体", "内容"])


def _platform_group(p: Platform) -> Group:
    if p.operator_municipality:
        return "municipality"
    return {"prefecture": "prefecture", "operating_body": "operator", "private": "private"}.get(
        p.operated_by, "operator"
    )  # type: ignore[return-value]


def _service_munis(pref: Prefecture, p: Platform, s: Service) -> list[str]:
    return list(s.municipalities) if s.municipalities else pref.users_of(p)


def overview(
    pref: Prefecture, platform_id: str, *, max_municipalities: int = MAX_MUNICIPALITIES
) -> OverviewData:
    """The 俯瞰図 of one platform: municipalities → services → platform → brokers, authentication and
    federated platforms (guide 3.1 Step 1; 3.4 属性).

    A service's municipalities default to the platform's users (``pref.users_of``); a link's value is the
    number of municipalities behind it. Beyond ``max_municipalities`` the smallest ones by 2020 census
    population are grouped as one node「ほか N 団体」. Raises ``KeyError`` for an unknown platform id.
    """
    p = pref.platform(platform_id)
    pg = _platform_group(p)
    services = pref.services_on(p.id)
    users = pref.users_of(p)
    used = list(dict.fromkeys([*users, *[c for s in services for c in _service_munis(pref, p, s)]]))
    pops = dict(  # all of Japan: members of other prefectures are allowed (guide 1.2 (3))
        zip(
            reference.municipalities()["code"],
            reference.municipalities()["population_2020"],
            strict=True,
        )
    )
    shown = used
    grouped: list[str] = []
    if len(used) > max_municipalities:
        ranked = sorted(used, key=lambda c: -pops.get(c, 0))
        keep = set(ranked[: max_municipalities - 1])
        shown = [c for c in used if c in keep]
        grouped = [c for c in used if c not in keep]
    other_id = "muni:others"
    nodes: list[OverviewNode] = []
    links: list[OverviewLink] = []

    def group_label(g: str) -> str:
        return reference.label("provider", g)

    for c in shown:
        nodes.append(
            OverviewNode(
                id=f"muni:{c}",
                label=pref.municipality_label(c),
                kind="municipality",
                column=0,
                group="municipality",
                group_label=group_label("municipality"),
                detail=f"{c}（2020年人口 {pops.get(c, 0):,} 人）",
            )
        )
    if grouped:
        nodes.append(
            OverviewNode(
                id=other_id,
                label=f"ほか {len(grouped)} 団体",
                kind="municipality",
                column=0,
                group="municipality",
                group_label=group_label("municipality"),
                detail="、".join(pref.municipality_label(c) for c in grouped),
            )
        )

    def muni_node(c: str) -> str:
        return other_id if c in grouped else f"muni:{c}"

    pid = f"platform:{p.id}"
    comps = "・".join(reference.label("component", c) for c in p.components)
    nodes.append(
        OverviewNode(
            id=pid,
            label=p.name,
            kind="platform",
            column=2,
            group=pg,
            group_label=group_label(pg),
            detail=f"運営: {p.operator_label}"
            f"／構成: {comps or '—'}／利用者の範囲: {reference.label('user_scope', p.user_scope)}",
        )
    )
    parts: dict[str, float] = {}
    part_nodes: list[OverviewNode] = []
    if p.has_non_personal:
        part_nodes.append(
            OverviewNode(
                id="broker:non_personal",
                kind="broker",
                column=3,
                group=pg,
                group_label=group_label(pg),
                label=f"非パーソナルブローカー（{reference.label('broker', p.non_personal_broker)}）",
                detail="guide 3.4 非パーソナルブローカー（データ管理方式）",
            )
        )
    if p.has_personal:
        part_nodes.append(
            OverviewNode(
                id="broker:personal",
                kind="broker",
                column=3,
                group=pg,
                group_label=group_label(pg),
                label=f"パーソナルブローカー（{reference.label('broker', p.personal_broker)}）",
                detail="guide 3.4 パーソナルブローカー（データ管理方式）",
            )
        )
    if p.has_auth:
        lv = f"身元確認{p.identity_proofing}・当人認証{p.authenticator}" if p.levels else "レベル未記録"
        part_nodes.append(
            OverviewNode(
                id="auth",
                kind="auth",
                column=3,
                group=pg,
                group_label=group_label(pg),
                label=f"個人認証サービス（{lv}）",
                detail=("手段: " + "、".join(p.means) if p.means else "手段: 未記録")
                + "／guide 3.4 身元確認・当人認証レベル",
            )
        )
    part_ids = {n.id for n in part_nodes}

    def add_part(node_id: str, value: float, g: Group, label: str) -> None:
        if node_id in part_ids:
            parts[node_id] = parts.get(node_id, 0) + value
            links.append(OverviewLink(source=pid, target=node_id, value=value, group=g, label=label))

    if not services:
        counts: dict[str, int] = {}
        for c in users:
            counts[muni_node(c)] = counts.get(muni_node(c), 0) + 1
        for nid, k in counts.items():
            links.append(
                OverviewLink(source=nid, target=pid, value=k, group="municipality", label="基盤を利用")
            )
    for s in services:
        sid = f"service:{s.id}"
        g: Group = s.provider  # type: ignore[assignment]
        cat = reference.label("service_category", s.category) if s.category else "サインイン不要"
        nodes.append(
            OverviewNode(
                id=sid,
                label=s.name,
                kind="service",
                column=1,
                group=g,
                group_label=group_label(g),
                detail=f"提供: {group_label(g)}／{cat}"
                f"／{'パーソナルデータ' if s.personal_data else '非パーソナルデータ'}",
            )
        )
        munis = _service_munis(pref, p, s)
        counts = {}
        for c in munis:
            counts[muni_node(c)] = counts.get(muni_node(c), 0) + 1
        for nid, k in counts.items():
            links.append(OverviewLink(source=nid, target=sid, value=k, group=g, label="利用"))
        value = max(len(munis), 1)
        links.append(OverviewLink(source=sid, target=pid, value=value, group=g, label="接続"))
        add_part(
            "broker:personal" if s.personal_data and p.has_personal else "broker:non_personal",
            value,
            g,
            "パーソナルデータ" if s.personal_data else "非パーソナルデータ",
        )
        if s.category or s.levels:
            add_part("auth", value, g, "サインイン")
    for n in part_nodes:
        if n.id not in parts:  # a part no service uses yet: still drawn
            links.append(OverviewLink(source=pid, target=n.id, value=0.5, group=pg, label="利用サービスなし"))
    nodes.extend(part_nodes)
    others = {q.id: q for q in pref.platforms}
    fed = list(dict.fromkeys([*p.auth_federation_with, *p.data_federation_with]))
    for q in pref.platforms:  # federation declared on the other side
        if (
            q.id != p.id
            and (p.id in q.auth_federation_with or p.id in q.data_federation_with)
            and q.id not in fed
        ):
            fed.append(q.id)
    for qid in fed:
        q = others.get(qid)
        if q is None:
            continue
        kinds = [
            k
            for k, on in (
                ("認証連携", qid in p.auth_federation_with or p.id in q.auth_federation_with),
                ("データ連携", qid in p.data_federation_with or p.id in q.data_federation_with),
            )
            if on
        ]
        qg = _platform_group(q)
        nodes.append(
            OverviewNode(
                id=f"federation:{qid}",
                label=f"{q.name}（{'・'.join(kinds)}）",
                kind="federation",
                column=3,
                group=qg,
                group_label=group_label(qg),
                detail="guide 3.4 基盤間連携",
            )
        )
        links.append(
            OverviewLink(source=pid, target=f"federation:{qid}", value=1, group=qg, label="・".join(kinds))
        )
    notes = []
    if grouped:
        notes.append(
            f"利用団体が多いため、人口の少ない {len(grouped)} 団体を「ほか {len(grouped)} 団体」にまとめました"
        )
    if not p.municipalities and p.operated_by == "prefecture":
        notes.append("利用団体の記載がないため、県の基盤は県内の全市区町村が利用するとみなしました")
    return OverviewData(
        prefecture=pref.name,
        platform=p.id,
        platform_name=p.name,
        nodes=nodes,
        links=links,
        grouped_municipalities=len(grouped),
        notes=notes,
        sources={
            "structure": "guide 3.1 Step1（俯瞰図）; 3.5 Step1フロー",
            "attributes": "guide 3.4 属性（状態・性能）の定義",
            "input": "your input（都道府県ファイルの platforms: と services:）",
            "population": reference.POPULATION_SOURCE,
        },
    )
