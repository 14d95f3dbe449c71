"""Where the municipalities are, and what each map view colours them by.

Geometry ships in data/ (no tile server, no download at run time):

- ``municipal_points.csv``: one point per 2020-census municipality (longitude, latitude), from the package
  JpGeocode 0.3.1 (MIT), matched to the census code by prefecture and name; two matched by hand (``note``).
- ``prefecture_outlines.csv``: one closed ring per prefecture, from the package japanmap 0.6.0 (Apache-2.0):
  the part of the prefecture holding its capital, so islands (佐渡, 淡路, 伊豆諸島, 奄美, 先島 …) have a point but
  no outline.

The view frames below are the analyses' results per municipality (the charts only draw them): which platform
each uses (Step 1), its share against going alone (cost), its worst authentication-level gap (auth), and the
prefectures' current type (national view). Members from another prefecture (guide 1.2(3): 「都道府県を超えた
取組が行われることは、むしろ好ましい」) are kept, with ``outside`` set, so a map can mark them.
"""

from __future__ import annotations

import functools

import pandas as pd

from . import reference
from .auth import AuthMatch, ServiceMatch
from .classify import type_label
from .cost.rules import Allocation
from .inventory import Prefecture
from .text import money_ja

GEO_SOURCE = (
    "位置: JpGeocode 0.3.1（MIT）の市区町村の代表点、県境: japanmap 0.6.0（Apache-2.0）を加工して作成"
)
#: columns of every view frame (see :func:`use_frame`)
FRAME_COLUMNS = [
    "code",
    "name",
    "prefecture",
    "population",
    "lon",
    "lat",
    "outside",
    "group",
    "value",
    "detail",
]

NO_PLATFORM = "利用なし"
NOT_MEMBER = "参加していない"


@functools.cache
def municipal_points() -> pd.DataFrame:
    """All 1,741 municipalities with their point: code, prefecture_code, prefecture, name, population_2020,
    lon, lat, note (how a point was matched by hand; empty for exact matches)."""
    pts = pd.read_csv(
        reference.data_dir() / "municipal_points.csv", dtype={"code": str}, keep_default_na=False
    )
    out = reference.municipalities().merge(pts, on="code", how="left", validate="one_to_one")
    if out["lon"].isna().any():  # pragma: no cover - guarded by tests on the shipped files
        missing = out.loc[out["lon"].isna(), "code"].tolist()
        raise ValueError(f"municipal_points.csv に位置のない市区町村があります: {missing[:5]}")
    return out


@functools.cache
def _outlines() -> dict[str, pd.DataFrame]:
    df = pd.read_csv(reference.data_dir() / "prefecture_outlines.csv", dtype={"code": str})
    return {code: part[["lon", "lat"]].reset_index(drop=True) for code, part in df.groupby("code", sort=True)}


def prefecture_outline(code: str) -> pd.DataFrame:
    """The closed ring (lon, lat) of a prefecture (JIS code "01".."47")."""
    return _outlines()[reference.resolve_prefecture(code)[0]]


def prefecture_outlines() -> dict[str, pd.DataFrame]:
    """Every prefecture's ring, keyed by JIS code."""
    return dict(_outlines())


@functools.cache
def neighbours(code: str, margin: float = 0.15) -> tuple[str, ...]:
    """Prefectures whose outline comes within ``margin`` degrees of the bounding box of ``code`` (drawn light
    around a prefecture's map for orientation)."""
    own = prefecture_outline(code)
    x0, x1, y0, y1 = (
        own.lon.min() - margin,
        own.lon.max() + margin,
        own.lat.min() - margin,
        own.lat.max() + margin,
    )
    out = []
    for c, ring in _outlines().items():
        if c == code:
            continue
        inside = (ring.lon.between(x0, x1)) & (ring.lat.between(y0, y1))
        if inside.any():
            out.append(c)
    return tuple(out)


def _frame(codes: list[str], home: str) -> pd.DataFrame:
    pts = municipal_points().set_index("code")
    sub = pts.loc[codes]
    return pd.DataFrame(
        {
            "code": codes,
            "name": sub["name"].tolist(),
            "prefecture": sub["prefecture"].tolist(),
            "population": sub["population_2020"].astype(int).tolist(),
            "lon": sub["lon"].tolist(),
            "lat": sub["lat"].tolist(),
            "outside": [c[:2] != home for c in codes],
        }
    )


def _codes(pref: Prefecture, extra: list[str]) -> list[str]:
    """The prefecture's municipalities (census order), then codes of other prefectures named in ``extra``."""
    own = reference.municipalities_of(pref.code)["code"].tolist()
    seen = set(own)
    outside = [c for c in dict.fromkeys(extra) if c not in seen and c in set(municipal_points()["code"])]
    return own + outside


def platform_users(pref: Prefecture) -> dict[str, list[str]]:
    """Municipality code → names of the running platforms it uses (:meth:`Prefecture.users_of`, the rule the
    classification uses)."""
    use: dict[str, list[str]] = {}
    for p in pref.platforms:
        if p.status != "running":
            continue
        for code in pref.users_of(p):
            use.setdefault(code, []).append(p.name)
    return use


def use_frame(pref: Prefecture) -> pd.DataFrame:
    """Step 1 view (県の全体像): every municipality, ``group`` = the running platform(s) it uses, joined by
    「・」, or :data:`NO_PLATFORM`. Users from another prefecture are added with ``outside`` set.

    Columns: :data:`FRAME_COLUMNS` (``value`` = number of platforms used; ``detail`` the hover line).
    """
    use = platform_users(pref)
    df = _frame(_codes(pref, list(use)), pref.code)
    df["group"] = ["・".join(use[c]) if c in use else NO_PLATFORM for c in df["code"]]
    df["value"] = [float(len(use.get(c, []))) for c in df["code"]]
    df["detail"] = ["利用する基盤: " + g for g in df["group"]]
    return df[FRAME_COLUMNS]


def cost_frame(pref: Prefecture, allocation: Allocation) -> pd.DataFrame:
    """Cost view (費用負担): members with their share against going alone; every other municipality of the
    prefecture is :data:`NOT_MEMBER`. Members from another prefecture are added with ``outside`` set.

    ``value`` = share ÷ stand-alone cost (below 1: cheaper together; above 1: the member would pay less alone,
    individual rationality broken, DOMAIN §6b); ``group`` = 「単独より安い」/「単独より高い」/ :data:`NOT_MEMBER`.
    """
    members = {m.code: m for m in allocation.members}
    df = _frame(_codes(pref, list(members)), pref.code)
    groups, values, details = [], [], []
    for code in df["code"]:
        m = members.get(code)
        if m is None:
            groups.append(NOT_MEMBER)
            values.append(float("nan"))
            details.append("費用の按分に参加していない")
            continue
        ratio = m.share / m.standalone if m.standalone else float("nan")
        groups.append("単独より安い" if m.individually_rational else "単独より高い")
        values.append(ratio)
        details.append(
            f"負担 {money_ja(m.share)}／単独 {money_ja(m.standalone)}（単独の {ratio:.0%}）"
            + (f"、{m.join_year}年目から参加" if m.join_year else "")
        )
    df["group"], df["value"], df["detail"] = groups, values, details
    return df[FRAME_COLUMNS]


GAP_GROUPS = ["不足なし", "1段階不足", "2段階以上不足", "サインインが必要なサービスなし", NO_PLATFORM]


def _level_gap(svc: list[ServiceMatch]) -> tuple[str, float, str]:
    """(group, largest shortfall, hover line) for the sign-in services a municipality reaches."""
    worst = 0
    short = []
    unknown = [s.name for s in svc if s.basis == "unknown"]  # need not known: neither short nor met
    for s in svc:
        if s.basis == "unknown":
            continue
        gap = max(
            s.required.proofing - s.offered.proofing, s.required.authenticator - s.offered.authenticator, 0
        )
        if gap > 0 or not s.satisfied:
            short.append(s.name)
        worst = max(worst, gap)
    group = "不足なし" if not short else ("2段階以上不足" if worst >= 2 else "1段階不足")
    detail = f"サインインが必要なサービス {len(svc)} 件のうちレベル不足 {len(short)} 件" + (
        f"（{'・'.join(short[:4])}{'ほか' if len(short) > 4 else ''}）" if short else ""
    )
    if unknown:
        detail += f"、サービス種別が未記入で要確認 {len(unknown)} 件"
    return group, float(worst), detail


def auth_frame(pref: Prefecture, match: AuthMatch) -> pd.DataFrame:
    """Authentication view (認証レベル): for each municipality, the services that need sign-in on the platforms
    it uses, and the largest shortfall of offered against required level (身元確認 or 当人認証) among them.

    ``value`` = the largest shortfall in levels (0 = none, NaN = nothing to sign in to); ``group`` one of
    :data:`GAP_GROUPS`.
    """
    users: dict[str, list[str]] = {}
    for p in pref.platforms:
        for code in pref.users_of(p) if p.status == "running" else []:
            users.setdefault(code, []).append(p.id)
    services: dict[str, list[ServiceMatch]] = {}
    for s in match.services:
        if s.basis != "none":
            services.setdefault(s.platform, []).append(s)
    names = {p.id: p.name for p in pref.platforms}
    df = _frame(_codes(pref, list(users)), pref.code)
    rows = []
    for code in df["code"]:
        pids = users.get(code, [])
        svc = [s for pid in pids for s in services.get(pid, [])]
        if not pids:
            rows.append((NO_PLATFORM, float("nan"), "基盤を利用していない"))
        elif not svc:
            rows.append(
                (
                    "サインインが必要なサービスなし",
                    float("nan"),
                    "利用する基盤: " + "・".join(names[p] for p in pids),
                )
            )
        else:
            rows.append(_level_gap(svc))
    df["group"], df["value"], df["detail"] = ([r[k] for r in rows] for k in range(3))
    return df[FRAME_COLUMNS]


def type_group(current_type: object) -> str:
    """Today's type as the national views count it: a single type by its label (「型2.3 単一基盤・自治体内・
    官民混在」); platforms run alone side by side (「1.3+1.4+1.4」) as 「型1.x の組み合わせ（単独運営が複数）」; a shared
    arrangement beside platforms run alone (「2.2+1.3」) as 「型2.2＋単独運営」; no type as 「判定できない」."""
    if (
        current_type is None
        or current_type == ""
        or (isinstance(current_type, float) and current_type != current_type)
    ):
        return "判定できない"
    text = str(current_type)
    if "+" not in text:
        label = type_label(text)
        return f"型{text}" + (f" {label}" if label != text else "")
    first = text.split("+")[0]
    if first.startswith("1."):
        return "型1.x の組み合わせ（単独運営が複数）"
    return f"型{first}＋単独運営"


def national_frame(summary: pd.DataFrame) -> pd.DataFrame:
    """National view: one row per prefecture of the batch summary (:func:`workbench.batch.run_batch`) with
    ``group`` = today's type as :func:`type_group` names it (a combination as what it is), ``detail`` the
    type and whether the file is synthetic, at the mean of the prefecture's capital-area outline."""
    prefs = reference.prefectures().set_index("code")
    rows = []
    for r in summary.itertuples(index=False):
        ring = prefecture_outline(r.code)
        rows.append(
            {
                "code": r.code,
                "name": r.name,
                "prefecture": r.name,
                "population": int(prefs.loc[r.code, "population_2020"]),
                "lon": float(ring.lon.mean()),
                "lat": float(ring.lat.mean()),
                "outside": False,
                "group": type_group(r.current_type),
                "value": float("nan"),
                "detail": f"現在の型: {f'型{r.current_type}' if r.current_type else '未確定'}"
                + ("（合成データ）" if r.synthetic else "（サンプル）"),
            }
        )
    return pd.DataFrame(rows, columns=FRAME_COLUMNS)
