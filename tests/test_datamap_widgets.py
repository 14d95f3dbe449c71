"""The データの流れ panel and dashboard (workbench.widgets.datamap), driven from Python."""

from __future__ import annotations

import pytest

from workbench import widgets as W


def test_panel_draws_the_sample_and_follows_the_session():
    dash = W.DataFlowDashboard(pref="07")
    panel = dash.panel
    assert panel.result.has_data_map and "福島県" in panel.card.value
    flow = panel.flow.figure
    labels = list(flow.data[0].node.label)
    # platforms by the name the file gives them, not by their id
    assert "福島県データ連携基盤（仮称）" in labels and "住民基本情報（属性）" in labels
    assert "pref-platform" not in labels
    # the field × field matrix counts every flow whose two fields are known, where the result puts it
    res = panel.result
    heat = panel.matrix.figure.data[0]
    assert sum(map(sum, heat.z)) == sum(n for row in res.matrix.values() for n in row.values()) > 0
    assert sum(heat.z[i][i] for i in range(len(heat.z))) < sum(map(sum, heat.z))  # some flows cross fields
    # the coverage bars: per platform, the four parts stack up to its data assets
    bars = panel.coverage.figure.data
    assert len(bars) == 4 and list(bars[0].y) == [res.platform_name(c.platform) for c in res.coverage]
    assert "福島県データ連携基盤（仮称）" in list(bars[0].y)
    for k, c in enumerate(res.coverage):
        assert sum(b.x[k] for b in bars) == c.assets and bars[0].x[k] == c.declared
    assert "公開API一覧" in panel.apis.value and "コンテキスト情報API（NGSI）" in panel.apis.value
    assert "標準データモデルのあるデータが独自形式" in panel.findings.value
    # one platform only
    panel.platform.value = "aizu-platform"
    assert "福島県データ連携基盤（仮称）" not in list(panel.flow.figure.data[0].node.label)
    # another prefecture: the options and the figures follow
    dash.picker.value = "10"
    assert panel.result.prefecture.name == "群馬県"
    assert [v for _, v in panel.platform.options] == ["__all__", "maebashi"]
    assert panel.platform.value == "__all__"
    assert "健康記録" in list(panel.flow.figure.data[0].node.label)


def test_prefecture_without_a_data_map_says_so():
    dash = W.DataFlowDashboard(pref="01")  # synthetic file, no data_map:
    assert not dash.panel.result.has_data_map
    assert "未作成" in dash.panel.card.value
    ann = dash.panel.flow.figure.layout.annotations[0].text
    assert "データマップがありません" in ann
    assert dash.panel.message.text == ""


@pytest.mark.slow
def test_data_flow_dashboard_works_for_all_47_prefectures():
    from workbench import reference

    dash = W.DataFlowDashboard()
    for code in reference.prefectures()["code"]:
        dash.picker.value = code
        assert dash.panel.message.text == "", (code, dash.panel.message.text)
        flow = dash.panel.flow.figure
        if dash.panel.result.has_data_map:  # the sample files: nodes for their flows
            assert len(flow.data[0].node.label) > 0, code
        else:  # the synthetic ones: the chart says why it is empty
            assert "データマップがありません" in flow.layout.annotations[0].text, code
