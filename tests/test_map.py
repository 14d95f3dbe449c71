"""The offline map: geometry shipped in data/, the view frames of workbench.geo and the figures of
workbench.charts.map (no external URL anywhere in a figure)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from workbench import geo, reference
from workbench.auth import match_auth
from workbench.charts import map as cm
from workbench.cost import allocate
from workbench.samples import load_sample


def _inside(ring: pd.DataFrame, x: float, y: float) -> bool:
    xs, ys = ring["lon"].to_numpy(), ring["lat"].to_numpy()
    xj, yj = np.roll(xs, 1), np.roll(ys, 1)
    cross = ((ys > y) != (yj > y)) & (x < (xj - xs) * (y - ys) / np.where(yj == ys, 1e-12, yj - ys) + xs)
    return bool(cross.sum() % 2)


def test_every_census_municipality_has_a_point():
    pts = geo.municipal_points()
    assert len(pts) == 1741
    assert pts["code"].tolist() == reference.municipalities()["code"].tolist()
    assert pts["lon"].between(122.9, 154.0).all() and pts["lat"].between(20.0, 45.6).all()
    by_hand = pts.loc[pts["note"] != "", "code"].tolist()
    assert by_hand == ["282219", "394050"]  # 丹波篠山市 (renamed 2019), 檮原町 (spelled 梼原町 by JpGeocode)


def test_points_fall_in_their_own_prefecture():
    """No point lies inside another prefecture's outline (a wrong geocode would), except 北山村, the enclave of
    和歌山県 between 三重県 and 奈良県 that the outlines do not draw."""
    rings = geo.prefecture_outlines()
    wrong = []
    for r in geo.municipal_points().itertuples(index=False):
        if _inside(rings[r.prefecture_code], r.lon, r.lat):
            continue
        others = [c for c, ring in rings.items() if c != r.prefecture_code and _inside(ring, r.lon, r.lat)]
        if others:
            wrong.append((r.code, r.name, others))
    assert wrong == [("304271", "北山村", ["24"])]


def test_outlines_are_47_closed_rings():
    rings = geo.prefecture_outlines()
    assert sorted(rings) == [f"{i:02d}" for i in range(1, 48)]
    for code, ring in rings.items():
        assert len(ring) > 20, code
        assert tuple(ring.iloc[0]) == tuple(ring.iloc[-1]), code
    assert set(geo.neighbours("07")) == {"04", "06", "08", "09", "10", "15"}  # 宮城 山形 茨城 栃木 群馬 新潟


def test_use_frame_fukushima():
    pref = load_sample("07")
    df = geo.use_frame(pref)
    assert len(df) == len(reference.municipalities_of("07")) == 59
    by = df.set_index("code")["group"]
    assert by["072036"] == "福島県データ連携基盤（仮称）"  # 郡山市
    assert by["072028"] == "会津若松市 都市OS（仮称）"
    assert (df["group"] != geo.NO_PLATFORM).sum() == 10
    assert not df["outside"].any()


def test_cost_frame_is_share_over_standalone():
    pref = load_sample("07")
    alloc = allocate(pref, "shapley")
    df = geo.cost_frame(pref, alloc).set_index("code")
    for m in alloc.members:
        assert df.loc[m.code, "value"] == pytest.approx(m.share / m.standalone)
        assert df.loc[m.code, "group"] == ("単独より安い" if m.individually_rational else "単独より高い")
    others = df[~df.index.isin([m.code for m in alloc.members])]
    assert (others["group"] == geo.NOT_MEMBER).all() and others["value"].isna().all()


def test_auth_frame_worst_gap():
    """会津若松市 uses only the 会津 platform (当人認証 1 by the sample's assumption); its resident services need
    more, so the map shows a gap there; 三春町 uses no platform."""
    pref = load_sample("07")
    match = match_auth(pref)
    df = geo.auth_frame(pref, match).set_index("code")
    aizu = [s for s in match.services if s.platform == "aizu-platform" and s.basis != "none"]
    worst = max(
        max(s.required.proofing - s.offered.proofing, s.required.authenticator - s.offered.authenticator, 0)
        for s in aizu
    )
    assert df.loc["072028", "value"] == worst
    assert df.loc["075213", "group"] == geo.NO_PLATFORM  # 三春町


def test_members_outside_the_prefecture_are_marked():
    """Guide 1.2(3): 「都道府県を超えた取組が行われることは、むしろ好ましい」; guidebook 9.6: the platform of 前橋市
    is also used by 江別市 (北海道), 大村市 (長崎県) and 門真市 (大阪府). The map keeps them, marked ◆ on its edge."""
    pref = load_sample("10")
    maebashi = next(p for p in pref.platforms if "102016" in p.municipalities)
    outside = ["012173", "422053", "272230"]
    wider = maebashi.model_copy(update={"municipalities": [*maebashi.municipalities, *outside]})
    pref = pref.model_copy(update={"platforms": [wider if p is maebashi else p for p in pref.platforms]})
    df = geo.use_frame(pref)
    assert df.loc[df["outside"], "code"].tolist() == outside
    fig = cm.use_map(pref)
    traces = [t for t in fig.data if t.customdata is not None and t.mode == "markers"]
    hover = [c[0] for t in traces for c in t.customdata]
    assert "江別市（県外: 北海道）" in hover
    symbols = [s for t in traces for s in (t.marker.symbol if isinstance(t.marker.symbol, tuple) else ())]
    assert symbols.count(cm.OUTSIDE_SYMBOL) == 3
    x0, x1 = fig.layout.xaxis.range
    y0, y1 = fig.layout.yaxis.range
    for t in traces:
        for x, y in zip(t.x, t.y, strict=True):  # every marker, 県外 included, lies on the drawn map
            assert x0 <= x <= x1 and y0 <= y <= y1
    note = fig.layout.annotations[0].text
    assert "◆江別市（北海道）" in note


def test_cost_map_colours_outside_members_by_their_ratio():
    pref = load_sample("07")
    alloc = allocate(pref, "shapley")
    extra = alloc.members[0].model_copy(update={"code": "012173", "name": "江別市"})
    fake = alloc.model_copy(update={"members": [*alloc.members, extra]})
    fig = cm.cost_map(pref, fake)
    members = next(t for t in fig.data if t.name.startswith("単独より安い"))
    assert len(members.x) == len(alloc.members) + 1
    assert members.marker.symbol[-1] == cm.OUTSIDE_SYMBOL
    assert members.marker.color[-1] == pytest.approx(min(extra.share / extra.standalone, cm.RATIO_MAX))


def _no_url(fig) -> None:
    text = json.dumps(fig.to_plotly_json(), default=str, ensure_ascii=False)
    assert "http" not in text and "//" not in text.replace("<br>", "")
    assert "geo" not in fig.layout.to_plotly_json() and "mapbox" not in fig.layout.to_plotly_json()
    assert all(t.type == "scatter" for t in fig.data)


def test_map_figures_carry_no_external_url():
    from workbench.batch import run_batch

    pref = load_sample("07")
    _no_url(cm.use_map(pref))
    _no_url(cm.cost_map(pref, allocate(pref, "shapley")))
    _no_url(cm.auth_map(pref, match_auth(pref)))
    df, _ = run_batch(["07", "09", "13", "47"])
    _no_url(cm.national_map(df))


def test_map_keeps_shapes_and_hover():
    pref = load_sample("07")
    fig = cm.use_map(pref)
    ratio = fig.layout.yaxis.scaleratio
    y0, y1 = fig.layout.yaxis.range
    assert ratio == pytest.approx(1 / math.cos(math.radians((y0 + y1) / 2)))
    koriyama = next(
        (t, i) for t in fig.data if t.customdata for i, c in enumerate(t.customdata) if c[0] == "郡山市"
    )
    t, i = koriyama
    assert t.customdata[i][1] == 327692  # census 2020
    assert "福島県データ連携基盤" in t.customdata[i][2]
    assert "人口" in t.hovertemplate
    assert reference.POPULATION_SOURCE in fig.layout.annotations[0].text


def test_national_map_colours_by_type():
    from workbench.batch import run_batch

    df, _ = run_batch(["07", "09", "10", "24", "47"])
    fig = cm.national_map(df)
    fills = [t for t in fig.data if t.fill == "toself"]
    assert sum(int(t.name.rsplit("（", 1)[1].rstrip("）")) for t in fills) == 5
    hover = fig.data[-1].customdata
    fuk = next(c for c in hover if c[0] == "福島県")
    assert fuk[2].startswith(f"現在の型: 型{df.set_index('code').loc['07', 'current_type']}")
