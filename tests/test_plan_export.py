"""Exports and charts of Steps 2 and 3: xlsx (atomic, formula-safe), self-contained vision HTML, Markdown,
Gantt, type flowchart and survey bars."""

from __future__ import annotations

import re

import plotly.graph_objects as go
import pytest
from conftest import sample_text_without_plan
from openpyxl import load_workbook

import workbench as wb
from workbench import plan, plan_sheet
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
    out = plan_sheet.plan_xlsx(pref, tmp_path / "plan.xlsx")
    assert out.exists() and not list(tmp_path.glob(".*.tmp"))
    book = load_workbook(out)
    ws = book["実行計画"]
    header = [c.value for c in ws[plan_sheet.HEADER_ROW]]
    assert header[:4] == ["番号", "取組事項", "検討事項", "担当"]  # item numbers, not ids (issue 23)
    rows = {r[0]: r for r in ws.iter_rows(min_row=plan_sheet.FIRST_ITEM_ROW, values_only=True) if r[0]}
    evil = rows[plan.action_plan(pref).numbers()["evil"]]
    assert evil[1].startswith("'=") and evil[header.index("備考")].startswith("'+")
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    assert "出典" in book.sheetnames


def test_xlsx_prints_as_offices_print_it(pref, tmp_path):
    """A4 landscape fitted to the page width, header rows repeated, a filter on the table, real dates once the
    plan has a start, the Gantt chart in cells by 年度, the usual file mode and no .bak beside it."""
    import datetime as dt
    import os

    ap = plan.action_plan(pref)
    out = plan_sheet.plan_xlsx(pref, tmp_path / "plan.xlsx", ap)
    (tmp_path / "again.txt").write_text("")
    plan_sheet.plan_xlsx(pref, out, ap)  # written twice: still no backup beside it
    assert not list(tmp_path.glob("*.bak"))
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(out).st_mode & 0o777 == 0o666 & ~umask == os.stat(tmp_path / "again.txt").st_mode & 0o777
    ws = load_workbook(out)["実行計画"]
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
    assert (
        ws.page_setup.fitToWidth == 1
        and ws.page_setup.fitToHeight == 0
        and ws.sheet_properties.pageSetUpPr.fitToPage
    )
    assert ws.print_title_rows == f"${plan_sheet.GROUP_ROW}:${plan_sheet.HEADER_ROW}"
    assert ws.auto_filter.ref.startswith(f"A{plan_sheet.HEADER_ROW}:")
    header = [c.value for c in ws[plan_sheet.HEADER_ROW]]
    first = next(i for i in ap.items if i.id == "c1-1")
    row = next(
        r for r in ws.iter_rows(min_row=plan_sheet.FIRST_ITEM_ROW) if r[0].value == ap.numbers()["c1-1"]
    )
    start, end = row[header.index("開始")].value, row[header.index("終了")].value
    assert start == dt.datetime(2026, 4, 1) and end == dt.datetime(2026, 6, 30)  # 3 か月: 4月1日〜6月30日
    assert row[header.index("開始")].number_format == '[$-411]ggge"年"m"月"d"日"'  # shown as 令和8年4月1日
    assert first.duration == 3
    gantt = row[len(plan_sheet.TABLE_COLUMNS) : len(plan_sheet.TABLE_COLUMNS) + 4]
    assert [c.fill.fgColor.rgb[-6:] for c in gantt[:3]] == ["1F77B4"] * 3  # 都道府県's colour, 3 months
    assert gantt[3].fill.fill_type is None
    groups = [c.value for c in ws[plan_sheet.GROUP_ROW] if c.value]
    assert groups[0] == "令和8年度" and "令和9年度" in groups  # the plan starts 2026-04: 令和8年度
    assert header[len(plan_sheet.TABLE_COLUMNS)] == "4月"
    sources = [r for r in load_workbook(out)["出典"].iter_rows(values_only=True) if r[0]]
    labels = [r[0] for r in sources]
    assert "取組事項" in labels and not any(str(x).startswith("出典: ") for x in labels)
    assert all("your input" not in str(r[1]) and "data/" not in str(r[1]) for r in sources)
    meta = load_workbook(out)["出典"]  # the sources sheet prints like the plan: A4, fitted, titles, footer
    assert meta.page_setup.fitToWidth == 1 and meta.print_title_rows and "&P" in meta.oddFooter.center.text


def test_xlsx_without_a_start_counts_months(tmp_path):
    p = wb.load_sample("09")
    out = plan_sheet.plan_xlsx(p, tmp_path / "plan.xlsx")
    ws = load_workbook(out)["実行計画"]
    header = [c.value for c in ws[plan_sheet.HEADER_ROW]]
    first = ws.cell(plan_sheet.FIRST_ITEM_ROW, header.index("開始") + 1).value
    assert (
        first == "1か月目"
        and ws.cell(plan_sheet.GROUP_ROW, len(plan_sheet.TABLE_COLUMNS) + 1).value == "1年目"
    )


def test_vision_html_is_self_contained_with_sources(pref):
    text = vision_html(pref)
    assert not re.search(r"<script[^>]+src=[\"']?(https?:)?//", text)
    assert not re.search(r"<link[^>]+href=[\"']?(https?:)?//", text)
    assert text.count("<div class='figure'>") >= 5
    assert text.count("plotly.js v") <= 2  # plotly.js inlined once (its banner)
    # every figure is followed by its source
    assert text.count("<div class='figure'>") == text.count("<p class='src'>図:")
    # sources as staff read them: the guide's sections in Japanese, our file names left out
    for src in ("ガイド 2.4", "ガイド 2.7", "ガイドブック 8.3", "ガイド 3.1 Step 1"):
        assert src in text
    from workbench.staff import _SCRIPT

    shown = "".join(p for i, p in enumerate(_SCRIPT.split(text)) if not i % 2)  # what the page shows
    assert "data/" not in shown and "your input" not in shown
    assert "共同利用ビジョン" in text and "県内どこでも官民のサービスを使える" in text


def test_vision_markdown_has_sections_and_sources(pref):
    md = vision_markdown(pref)
    for heading in (
        "## 1. 共同利用の目的",
        "## 2. 目指す共同利用の型",
        "## 3. 目指す型の選択肢と推奨",
        "## 4. 運営組織",
        "## 5. 費用負担",
        "## 6. KPI",
        "## 8. 実行計画",
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
    assert "4月<br>令和8年度" in fig.layout.xaxis.ticktext  # the plan starts 2026-04: 年度 as budgets count


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
    assert fig.layout.meta["highlighted_edges"] == [["2.8", "2.4"]]  # 型2.8（条件未達） → 型2.4
    assert fig.layout.meta["current"] == "2.8"


def test_survey_bars_highlight_selected_purposes(pref):
    fig = cplan.survey_bars(plan.vision(pref))
    assert isinstance(fig, go.Figure)
    assert list(fig.data[0].x) == [10, 4, 3] and list(fig.data[1].x) == [4, 2, 5, 8, 9]
    assert fig.data[0].marker.color[0] == cplan.HIGHLIGHT
    assert fig.layout.meta["selected"] == ["cost_reduction"]


def test_the_writer_moved_to_the_exports_and_is_still_found_where_it_was(pref, tmp_path):
    """``workbench.plan.plan_xlsx`` (before the plan package) is the exports' writer: same function, same file."""
    from workbench.plan import plan_xlsx

    assert plan_xlsx is plan_sheet.plan_xlsx
    out = plan_xlsx(pref, tmp_path / "old.xlsx")
    assert load_workbook(out)["実行計画"].cell(plan_sheet.HEADER_ROW, 1).value == "番号"
    with pytest.raises(AttributeError, match="no_such_name"):
        plan.no_such_name  # noqa: B018
