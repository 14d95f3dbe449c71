"""Exports and charts of Steps 2 and 3: xlsx (atomic, formula-safe), self-contained vision HTML, Markdown,
Gantt, type flowchart and survey bars."""

from __future__ import annotations

import re

import plotly.graph_objects as go
import pytest
from conftest import sample_text_without_plan
from openpyxl import load_workbook

import workbench as wb
from workbench import plan
from workbench.charts import plan as cplan
from workbench.classify import classify
from workbench.report_vision import vision_html, vision_markdown

SAMPLE = wb.reference.data_dir() / "prefectures" / "07_fukushima.yaml"
VISION = """vision:
  purposes: [cost_reduction]
  statement: 県内どこでも官民のサービスを使える
  external_body_possible: false
  cost_rule: population
  kpis:
    - {code: connected_services, target: 10, year: 2028}
plan:
  start: 2026-04-01
  items:
    - {id: evil, title: "=HYPERLINK(\\"http://x\\")", duration: 1, notes: "+1 とする", owner: vendor}
"""


@pytest.fixture(scope="module")
def pref(tmp_path_factory):
    path = tmp_path_factory.mktemp("v") / "fukushima.yaml"
    path.write_text(sample_text_without_plan() + VISION, encoding="utf-8")
    return wb.load(path)


def test_xlsx_opens_and_escapes_formulas(pref, tmp_path):
    out = plan.plan_xlsx(pref, tmp_path / "plan.xlsx")
    assert out.exists() and not list(tmp_path.glob(".*.tmp"))
    book = load_workbook(out)
    ws = book["実行計画"]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["ID", "取組事項", "検討事項", "担当"]
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    evil = rows["evil"]
    assert evil[1].startswith("'=") and evil[header.index("備考")].startswith("'+")
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    assert "出典" in book.sheetnames


def test_vision_html_is_self_contained_with_sources(pref):
    text = vision_html(pref)
    assert not re.search(r"<script[^>]+src=[\"']?(https?:)?//", text)
    assert not re.search(r"<link[^>]+href=[\"']?(https?:)?//", text)
    assert text.count("<div class='figure'>") >= 5
    assert text.count("plotly.js v") <= 2  # plotly.js inlined once (its banner)
    # every figure is followed by its source
    assert text.count("<div class='figure'>") == text.count("<p class='src'>図:")
    for src in ("guide 2.4", "guide 2.7", "guidebook 8.3", "data/type_paths.csv", "guide 3.1 Step1"):
        assert src in text
    assert "共同利用ビジョン" in text and "県内どこでも官民のサービスを使える" in text


def test_vision_markdown_has_sections_and_sources(pref):
    md = vision_markdown(pref)
    for heading in (
        "## 1. 共同利用の目的",
        "## 2. 目指す共同利用の型",
        "## 3. 運営組織",
        "## 4. 費用負担",
        "## 5. KPI",
        "## 7. 実行計画",
    ):
        assert heading in md
    assert md.count("出典:") >= 7
    assert "| コスト削減（割り勘効果や重複投資の回避） | 10 | 10 | ○ |" in md


def test_gantt_colours_by_owner_and_draws_dependencies(pref):
    ap = plan.action_plan(pref)
    fig = cplan.gantt(ap)
    assert isinstance(fig, go.Figure)
    names = {t.name for t in fig.data}
    assert {"都道府県", "運営組織", "ベンダ"} <= names and "マイルストーン" in names
    n_deps = sum(len(i.depends_on) for i in ap.items)
    arrows = [a for a in fig.layout.annotations if a.showarrow]
    assert len(arrows) == n_deps
    assert fig.layout.meta["critical_path"] == ap.critical_path
    assert "2026年4月" in fig.layout.xaxis.ticktext


def test_type_flowchart_highlights_the_path():
    p = wb.loads("prefecture: 福島県\n")
    cl = classify(p)
    fig = cplan.type_flowchart(cl)
    assert isinstance(fig, go.Figure)
    meta = fig.layout.meta
    assert meta["highlighted_path"] == ["1.1", "2.1", "2.2", "2.4"]
    assert meta["highlighted_edges"] == [["1.1", "A"], ["A", "2.1"], ["2.1", "2.2"], ["2.2", "2.4"]]
    red = next(t for t in fig.data if t.name == cplan.EDGE_ON)
    assert red.line.color == cplan.HIGHLIGHT
    assert list(red.x).count(None) == 4  # four highlighted arrows, one segment each
    labels = list(fig.data[0].text)
    assert "型2.4" in labels and "A 新規構築／近隣市区町村との共同利用" in labels


def test_type_flowchart_with_several_platforms_and_custom_path(pref):
    cl = classify(pref)
    v = plan.vision(pref)
    fig = cplan.type_flowchart(cl, v.target.recommended_path)
    assert fig.layout.meta["highlighted_edges"] == [["2.7", "2.8"], ["2.8", "2.4"]]
    assert fig.layout.meta["current"] == "2.7"


def test_survey_bars_highlight_selected_purposes(pref):
    fig = cplan.survey_bars(plan.vision(pref))
    assert isinstance(fig, go.Figure)
    assert list(fig.data[0].x) == [10, 4, 3] and list(fig.data[1].x) == [4, 2, 5, 8, 9]
    assert fig.data[0].marker.color[0] == cplan.HIGHLIGHT
    assert fig.layout.meta["selected"] == ["cost_reduction"]
