"""The overview diagram (俯瞰図) of one platform, as guide 3.1 Step 1 asks (guide 3.5 Step1フロー): who uses it
(municipalities), the services on it and who provides them, the platform, and its parts — the brokers
(non-personal / personal, with their data management, guide 3.4 属性 5/5), the personal authentication
service (with its proofing and authenticator levels, guide 3.4 属性 3/5) — and the platforms it federates with.

:func:`overview` computes the nodes and links; :func:`workbench.charts.overview.overview_diagram` only
draws them. Pure function, no I/O.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import pandas as pd
from pydantic import BaseModel, Field

from . import reference
from .inventory import Platform, Prefecture, Service
from .results import Result, frame

Kind = Literal["municipality", "service", "platform", "broker", "auth", "federation"]
Group = Literal["municipality", "private", "prefecture", "operator"]
COLUMN = {"municipality": 0, "service": 1, "platform": 2, "broker": 3, "auth": 3, "federation": 3}
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
        labels = reference.labels("overview_node")  # data/labels.csv
        count = {k: sum(n.kind == k for n in self.nodes) for k in labels}
        return [(labels[k], f"{v} 件") for k, v in count.items() if v]

    def node(self, node_id: str) -> OverviewNode:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    FRAME_COLUMNS: ClassVar[dict[str, str]] = {
        "source": "id of the node the link starts at",
        "target": "id of the node it ends at",
        "value": "its weight (number of services or municipalities)",
        "group": "who provides it: the provider code (municipality | prefecture | operator | private)",
        "label": "what it stands for (Japanese)",
    }

    def to_frame(self) -> pd.DataFrame:
        """One row per link, node ids and codes as values (columns: :attr:`FRAME_COLUMNS`)."""
        recs = [
            {"source": x.source, "target": x.target, "value": x.value, "group": x.group, "label": x.label}
            for x in self.links
        ]
        return frame(recs, self.FRAME_COLUMNS)

    def to_staff_frame(self) -> pd.DataFrame:
        """One row per link with Japanese labels."""
        label = {n.id: n.label for n in self.nodes}
        recs = [
            {
                "接続元": label[x.source],
                "接続先": label[x.target],
                "量": int(x.value) if float(x.value).is_integer() else x.value,  # 「1」, never 「1.0」
                "提供主体": reference.label("provider", x.group),
                "内容": x.label,
            }
            for x in self.links
        ]
        return frame(recs, ["接続元", "接続先", "量", "提供主体", "内容"])


def _platform_group(p: Platform) -> Group:
    if p.operator_municipality:
        return "municipality"
    return {"prefecture": "prefecture", "operating_body": "operator", "private": "private"}.get(
        p.operated_by, "operator"
    )  # type: ignore[return-value]


def _service_munis(pref: Prefecture, p: Platform, s: Service) -> list[str]:
    return list(s.municipalities) if s.municipalities else pref.users_of(p)


def _group_label(g: str) -> str:
    return reference.label("provider", g)


def _populations() -> dict[str, int]:
    """2020 census population of every municipality of Japan (members of other prefectures are allowed,
    guide 1.2 (3))."""
    return dict(reference.populations())  # a copy: the caller keeps it


def _part_nodes(p: Platform, pg: Group, pref: Prefecture | None = None) -> list[OverviewNode]:
    """The platform's brokers and its authentication service (guide 3.4 属性)."""
    common = dict(column=3, group=pg, group_label=_group_label(pg))
    out = []
    if p.has_non_personal:
        out.append(
            OverviewNode(
                id="broker:non_personal",
                kind="broker",
                label=f"非パーソナルブローカー（{reference.label('broker', p.non_personal_broker)}）",
                detail="guide 3.4 非パーソナルブローカー（データ管理方式）",
                **common,
            )
        )
    if p.has_personal:
        out.append(
            OverviewNode(
                id="broker:personal",
                kind="broker",
                label=f"パーソナルブローカー（{reference.label('broker', p.personal_broker)}）",
                detail="guide 3.4 パーソナルブローカー（データ管理方式）",
                **common,
            )
        )
    if p.has_auth:
        lv = f"身元確認{p.identity_proofing}・当人認証{p.authenticator}" if p.levels else "レベル未記録"
        out.append(
            OverviewNode(
                id="auth",
                kind="auth",
                label=f"個人認証サービス（{lv}）",
                detail=(
                    "手段: " + "、".join(_means_label(pref, m) for m in p.means)
                    if p.means
                    else "手段: 未記録"
                )
                + "／ガイド 3.4 身元確認・当人認証レベル",
                **common,
            )
        )
    return out


def _means_label(pref: Prefecture, code: str) -> str:
    """A means of identity proofing by its name (data/id_means.csv, or the file's own auth.means), never its
    code."""
    own = getattr(getattr(pref, "auth", None), "means", None) or []
    for m in own:
        if getattr(m, "code", None) == code and getattr(m, "label", None):
            return str(m.label)
    table = reference.table("id_means.csv").set_index("code")["label_ja"]
    return str(table.get(code, code))


def _federated_with(pref: Prefecture, p: Platform) -> list[tuple[Platform, list[str]]]:
    """Platforms federated with ``p`` (declared on either side) and the kinds of federation."""
    fed = list(dict.fromkeys([*p.auth_federation_with, *p.data_federation_with]))
    for q in pref.platforms:  # federation declared on the other side
        declared = p.id in q.auth_federation_with or p.id in q.data_federation_with
        if q.id != p.id and declared and q.id not in fed:
            fed.append(q.id)
    others = {q.id: q for q in pref.platforms}
    out = []
    for q in (others[qid] for qid in fed if qid in others):
        kinds = [
            k
            for k, on in (
                ("認証連携", q.id in p.auth_federation_with or p.id in q.auth_federation_with),
                ("データ連携", q.id in p.data_federation_with or p.id in q.data_federation_with),
            )
            if on
        ]
        out.append((q, kinds))
    return out


class _Diagram:
    """The nodes and links of one platform's 俯瞰図, built column by column."""

    OTHERS = "muni:others"

    def __init__(self, pref: Prefecture, p: Platform, max_municipalities: int) -> None:
        self.pref, self.p = pref, p
        self.pg = _platform_group(p)
        self.pid = f"platform:{p.id}"
        self.services = pref.services_on(p.id)
        self.users = pref.users_of(p)
        self.used = list(
            dict.fromkeys([*self.users, *[c for s in self.services for c in _service_munis(pref, p, s)]])
        )
        self.pops = _populations()
        self.shown, self.grouped = self.used, []
        if len(self.used) > max_municipalities:
            ranked = sorted(self.used, key=lambda c: -self.pops.get(c, 0))
            keep = set(ranked[: max_municipalities - 1])
            self.shown = [c for c in self.used if c in keep]
            self.grouped = [c for c in self.used if c not in keep]
        self.nodes: list[OverviewNode] = []
        self.links: list[OverviewLink] = []
        self.part_nodes = _part_nodes(p, self.pg, pref)
        self.parts: dict[str, float] = {}

    def muni_node(self, c: str) -> str:
        return self.OTHERS if c in self.grouped else f"muni:{c}"

    def municipalities(self) -> None:
        """Column 0: the municipalities, the smallest grouped as「ほか N 団体」."""
        common = dict(
            kind="municipality", column=0, group="municipality", group_label=_group_label("municipality")
        )
        for c in self.shown:
            detail = f"2020年人口 {self.pops.get(c, 0):,} 人"  # the name is the label: no code
            self.nodes.append(
                OverviewNode(id=f"muni:{c}", label=self.pref.municipality_label(c), detail=detail, **common)
            )
        if self.grouped:
            self.nodes.append(
                OverviewNode(
                    id=self.OTHERS,
                    label=f"ほか {len(self.grouped)} 団体",
                    detail="、".join(self.pref.municipality_label(c) for c in self.grouped),
                    **common,
                )
            )

    def platform(self) -> None:
        """Column 2: the platform itself."""
        p = self.p
        comps = "・".join(reference.label("component", c) for c in p.components)
        self.nodes.append(
            OverviewNode(
                id=self.pid,
                label=p.name,
                kind="platform",
                column=2,
                group=self.pg,
                group_label=_group_label(self.pg),
                detail=f"運営: {p.operator_label}"
                f"／構成: {comps or '—'}／利用者の範囲: {reference.label('user_scope', p.user_scope)}",
            )
        )

    def count_links(self, codes: list[str], target: str, group: Group, label: str) -> None:
        counts: dict[str, int] = {}
        for c in codes:
            counts[self.muni_node(c)] = counts.get(self.muni_node(c), 0) + 1
        for nid, k in counts.items():
            self.links.append(OverviewLink(source=nid, target=target, value=k, group=group, label=label))

    def _part_link(self, node_id: str, value: float, g: Group, label: str) -> None:
        if node_id in {n.id for n in self.part_nodes}:
            self.parts[node_id] = self.parts.get(node_id, 0) + value
            self.links.append(
                OverviewLink(source=self.pid, target=node_id, value=value, group=g, label=label)
            )

    def service(self, s: Service) -> None:
        """Column 1: one service, its municipalities' links, and its links to the brokers and sign-in."""
        p, sid = self.p, f"service:{s.id}"
        g: Group = s.provider  # type: ignore[assignment]
        cat = reference.label("service_category", s.category) if s.category else "サインイン不要"
        data = "パーソナルデータ" if s.personal_data else "非パーソナルデータ"
        self.nodes.append(
            OverviewNode(
                id=sid,
                label=s.name,
                kind="service",
                column=1,
                group=g,
                group_label=_group_label(g),
                detail=f"提供: {_group_label(g)}／{cat}／{data}",
            )
        )
        munis = _service_munis(self.pref, p, s)
        self.count_links(munis, sid, g, "利用")
        value = max(len(munis), 1)
        self.links.append(OverviewLink(source=sid, target=self.pid, value=value, group=g, label="接続"))
        broker = "broker:personal" if s.personal_data and p.has_personal else "broker:non_personal"
        self._part_link(broker, value, g, data)
        if s.category or s.levels:
            self._part_link("auth", value, g, "サインイン")

    def parts_and_federation(self) -> None:
        """Column 3: brokers and authentication (drawn even when no service uses them yet), then the
        federated platforms."""
        for n in self.part_nodes:
            if n.id not in self.parts:  # a part no service uses yet: still drawn
                self.links.append(
                    OverviewLink(
                        source=self.pid, target=n.id, value=0.5, group=self.pg, label="利用サービスなし"
                    )
                )
        self.nodes.extend(self.part_nodes)
        for q, kinds in _federated_with(self.pref, self.p):
            qg = _platform_group(q)
            self.nodes.append(
                OverviewNode(
                    id=f"federation:{q.id}",
                    label=f"{q.name}（{'・'.join(kinds)}）",
                    kind="federation",
                    column=3,
                    group=qg,
                    group_label=_group_label(qg),
                    detail="guide 3.4 基盤間連携",
                )
            )
            self.links.append(
                OverviewLink(
                    source=self.pid, target=f"federation:{q.id}", value=1, group=qg, label="・".join(kinds)
                )
            )

    def notes(self) -> list[str]:
        out = []
        if self.grouped:
            n = len(self.grouped)
            out.append(f"利用団体が多いため、人口の少ない {n} 団体を「ほか {n} 団体」にまとめました")
        if not self.p.municipalities and self.p.operated_by == "prefecture":
            out.append("利用団体の記載がないため、県の基盤は県内の全市区町村が利用するとみなしました")
        return out


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
    d = _Diagram(pref, p, max_municipalities)
    d.municipalities()
    d.platform()
    if not d.services:
        d.count_links(d.users, d.pid, "municipality", "基盤を利用")
    for s in d.services:
        d.service(s)
    d.parts_and_federation()
    return OverviewData(
        prefecture=pref.name,
        platform=p.id,
        platform_name=p.name,
        nodes=d.nodes,
        links=d.links,
        grouped_municipalities=len(d.grouped),
        notes=d.notes(),
        sources={
            "structure": "guide 3.1 Step1（俯瞰図）; 3.5 Step1フロー",
            "attributes": "guide 3.4 属性（状態・性能）の定義",
            "input": "your input（都道府県ファイルの platforms: と services:）",
            "population": reference.POPULATION_SOURCE,
        },
    )
