"""The 俯瞰図 (guide 3.1 Step 1): nodes and links per platform, and the sankey that draws them."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

import workbench as wb
from workbench.charts.overview import overview_diagram
from workbench.overview import overview

SAMPLE = wb.reference.data_dir() / "prefectures" / "07_fukushima.yaml"


@pytest.fixture(scope="module")
def pref():
    return wb.load(SAMPLE)


def test_fukushima_prefectural_platform(pref):
    d = overview(pref, "pref-platform")
    kinds = {}
    for n in d.nodes:
        kinds.setdefault(n.kind, []).append(n.id)
    assert len(kinds["municipality"]) == 9 and "muni:072010" in kinds["municipality"]
    assert kinds["service"] == ["service:portal", "service:e-application", "service:open-data"]
    assert kinds["platform"] == ["platform:pref-platform"]
    assert set(kinds["broker"]) == {"broker:non_personal", "broker:personal"}
    assert kinds["auth"] == ["auth"] and kinds["federation"] == ["federation:aizu-platform"]
    assert d.node("platform:pref-platform").group == "prefecture"
    assert d.node("service:e-application").group == "municipality"
    assert "身元確認2・当人認証2" in d.node("auth").label
    assert "外部" in d.node("broker:personal").label
    links = {(x.source, x.target): x for x in d.links}
    assert links[("muni:072010", "service:portal")].value == 1
    assert links[("service:portal", "platform:pref-platform")].value == 9
    personal = [x for x in d.links if x.target == "broker:personal"]
    assert sum(x.value for x in personal) == 18  # portal + e-application, 9 municipalities each
    assert {x.target for x in d.links if x.source == "platform:pref-platform"} == {
        "broker:personal",
        "broker:non_personal",
        "auth",
        "federation:aizu-platform",
    }
    assert "認証連携・データ連携" in d.node("federation:aizu-platform").label
    # every link joins known nodes, columns flow left to right
    col = {n.id: n.column for n in d.nodes}
    assert all(col[x.source] < col[x.target] for x in d.links)


def test_fukushima_aizu_platform_private_services(pref):
    d = overview(pref, "aizu-platform")
    assert [n.id for n in d.nodes if n.kind == "municipality"] == ["muni:072028"]
    assert {n.group for n in d.nodes if n.kind == "service"} == {"private"}
    assert d.node("platform:aizu-platform").group == "operator"
    unused = [x for x in d.links if x.target == "broker:non_personal"]
    assert unused and unused[0].label == "利用サービスなし"
    assert list(d.to_staff_frame().columns) == ["接続元", "接続先", "量", "提供主体", "内容"]


def test_many_municipalities_are_grouped():
    p = wb.loads(
        "prefecture: 福島県\nplatforms:\n  - {id: pp, name: 県基盤, operated_by: prefecture, "
        "components: [non_personal]}\n"
    )
    d = overview(p, "pp", max_municipalities=10)
    munis = [n for n in d.nodes if n.kind == "municipality"]
    assert len(munis) == 10 and munis[-1].id == "muni:others"
    assert d.grouped_municipalities == 59 - 9
    assert "muni:072010" in {n.id for n in munis}  # the largest stay
    assert sum(x.value for x in d.links if x.target == "platform:pp") == 59
    assert d.notes


def test_unknown_platform():
    with pytest.raises(KeyError):
        overview(wb.loads("prefecture: 福島県\n"), "nothing")


def test_overview_diagram_is_a_sankey(pref):
    fig = overview_diagram(pref, "pref-platform")
    assert isinstance(fig, go.Figure) and fig.data[0].type == "sankey"
    d = overview(pref, "pref-platform")
    # long labels on two lines, broken before their bracket (clear of the neighbouring column)
    assert [x.replace("<br>", "") for x in fig.data[0].node.label] == [n.label for n in d.nodes]
    assert len(fig.data[0].link.value) == len(d.links)
    assert "出典" in fig.layout.annotations[0].text
