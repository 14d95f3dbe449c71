"""The offline snapshot: one self-contained HTML file with the overview, cost and auth views of a prefecture.

plotly.js is inlined once in the page head; every chart is a ``div`` drawn by it, so the file opens with no
server and no network (e-mail it before a meeting, open it on a laptop without internet). Written atomically.
Every number comes from the analyses (:func:`workbench.classify.classify`, :func:`workbench.auth.match_auth`,
:mod:`workbench.cost`); this module only lays them out.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from .charts import JA_FONT
from .charts.overview import overview_diagram
from .charts.plan import type_flowchart
from .files import atomic_write
from .text import office_safe

CSS = f"""
body {{ font-family: {JA_FONT}; margin: 0 auto; max-width: 1200px; padding: 16px 24px; color: #222; }}
h1 {{ font-size: 24px; border-bottom: 3px solid #1f77b4; padding-bottom: 4px; }}
h2 {{ font-size: 20px; margin-top: 32px; border-left: 6px solid #1f77b4; padding-left: 8px; }}
h3 {{ font-size: 16px; margin-top: 20px; }}
table {{ border-collapse: collapse; font-size: 13px; margin: 4px 0 12px; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }}
th {{ background: #f4f6fa; }}
.wb-note {{ color: #666; font-size: 12px; }}
.wb-chart {{ margin: 8px 0 16px; }}
nav a {{ margin-right: 16px; }}
"""


def _table(df: pd.DataFrame) -> str:
    if df is None or len(df) == 0:
        return "<p class='wb-note'>（なし）</p>"
    from .staff import table_html

    # the analysts' code columns are left out: rules and platforms are shown by their labels and names
    return table_html(df.drop(columns=["rule", "ID", "id"], errors="ignore"), max_rows=None)


def _rule_label(code: str) -> str:
    from . import reference

    labels = reference.table("cost_rules.csv").set_index("code")["label_ja"]
    return str(labels.get(code, code))


def problem_text(v: Any) -> str:
    from .staff import problem_text as pt

    return pt(v)


def _rows(rows: list[tuple[str, str]]) -> str:
    from .staff import HEADERS_JA, cell_ja

    body = "".join(
        f"<tr><th>{html.escape(HEADERS_JA.get(str(k), str(k)))}</th><td>{html.escape(cell_ja(v))}</td></tr>"
        for k, v in rows
    )
    return f"<table>{body}</table>"


class _Page:
    """Collects sections and charts; plotly.js goes in once."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.charts = 0

    def h(self, level: int, text: str, anchor: str | None = None) -> None:
        aid = f" id='{anchor}'" if anchor else ""
        self.parts.append(f"<h{level}{aid}>{html.escape(text)}</h{level}>")

    def raw(self, text: str) -> None:
        self.parts.append(text)

    def p(self, text: str, css: str = "") -> None:
        self.parts.append(f"<p class='{css}'>{html.escape(text)}</p>")

    def chart(self, fig: go.Figure) -> None:
        fig.update_layout(font={"family": JA_FONT})
        self.charts += 1
        div = fig.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id=f"wb-chart-{self.charts}",
            config={"displaylogo": False, "responsive": True},
        )
        self.parts.append(f"<div class='wb-chart'>{div}</div>")


def _overview(page: _Page, pref: Any) -> None:
    from .charts import classify as cc
    from .charts import map as cm
    from .classify import classify

    res = classify(pref)
    page.h(2, "県の全体像（Step 1 現状把握）", "overview")
    page.raw(_rows(res.card_rows()))
    page.p(res.current_reason, "wb-note")
    page.raw(_table(res.arrangements_frame()))
    page.chart(cc.counts_figure(res))
    page.chart(cm.use_map(pref))
    page.chart(cc.municipalities_figure(pref))
    page.h(3, "型のフローチャートと型2.4への道筋")
    page.chart(type_flowchart(res))
    page.raw(
        "<p>"
        + " → ".join(f"{html.escape(s.text())}（{html.escape(s.note)}）" for s in res.path_to_goal)
        + "</p>"
    )
    if res.pattern_reading:
        page.p(f"パターンの読み: {res.pattern_reading}", "wb-note")
    page.h(3, "課題リスト")
    page.raw(_table(res.issues_frame()))
    page.h(3, "基本的な考え方")
    page.raw(_table(res.principles_frame()))
    for p in pref.platforms:
        page.h(3, f"基盤：{p.name}")
        page.chart(overview_diagram(pref, p.id))
        row = next(r for r in res.platforms if r["id"] == p.id)
        page.raw(_rows([(k, v) for k, v in row.items() if k != "id"]))  # the name, not the id


def _cost(page: _Page, pref: Any) -> None:
    page.h(2, "費用負担", "cost")
    if pref.costs is None:
        page.p("この都道府県ファイルには費用シナリオ（costs:）がありません。", "wb-note")
        return
    from .charts import cost as charts
    from .charts.map import cost_map
    from .cost import allocate, audit_rules, compare

    comparison = compare(pref)
    page.chart(charts.shares_by_rule(comparison))
    page.h(3, "配分ルールの比較")
    page.raw(_table(comparison.summary()))  # rules by their labels
    if comparison.skipped:
        page.raw(
            "<ul class='wb-note'>"
            + "".join(
                f"<li>{html.escape(_rule_label(k))}: {html.escape(problem_text(v))}</li>"
                for k, v in comparison.skipped.items()
            )
            + "</ul>"
        )
    rule = "shapley" if "shapley" in comparison.allocations else next(iter(comparison.allocations))
    alloc = comparison.allocations.get(rule) or allocate(pref, rule)
    page.chart(charts.share_vs_standalone(alloc))
    page.chart(cost_map(pref, alloc))
    page.raw("<ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in alloc.summary_lines()) + "</ul>")
    report = audit_rules(pref)
    page.h(3, "公平性の監査")
    page.p(report.summary)
    page.raw(_table(report.to_staff_frame()))
    _cost_effect(page, pref, rule)


def _cost_effect(page: _Page, pref: Any, rule: str) -> None:
    """Guide 2.5 read per municipality and for the prefecture, and guide 2.6 (printed beside reconciled)."""
    from .charts.effect import effect_ranges, module_phases
    from .cost.effect import cost_effect, module_effect_view

    effect = cost_effect(pref, rule)
    page.h(3, "共同利用による費用の抑制効果（ガイド 2.5 との比較）")
    page.raw(effect.details_html())
    page.chart(effect_ranges(effect).update_layout(height=480))
    page.raw(_table(effect.display_frame()))
    view = module_effect_view(pref)
    page.h(3, "推奨モジュール活用による経費削減効果（ガイド 2.6）")
    page.raw(view.details_html())
    page.chart(module_phases(view).update_layout(height=380))


def _auth(page: _Page, pref: Any, on: dt.date | None) -> None:
    from .auth import match_auth
    from .charts import auth as charts
    from .charts.map import auth_map

    res = match_auth(pref, on=on)
    page.h(2, "認証レベル", "auth")
    page.raw(_rows(res.card_rows()))
    if res.services:
        matrix = charts.means_heatmap(res)
        n = len(matrix.data[0].y or []) if matrix.data else 0
        page.chart(matrix.update_layout(height=420 + 40 * n))
        gaps = charts.level_gap_heatmap(res)
        m = len(gaps.data[0].y or []) if gaps.data else 0
        page.chart(gaps.update_layout(height=200 + 40 * m))
        page.chart(auth_map(pref, res))
    page.h(3, "サービス別の充足")
    page.raw(
        _table(res.to_staff_frame()[["サービス", "基盤", "必要", "提供", "充足", "不足"]])
    )  # services by name
    page.h(3, "基盤間の認証連携")
    page.raw(_table(res.federation_frame()))
    if res.recommendations:
        page.h(3, "推奨")
        page.raw("<ul>" + "".join(f"<li>{html.escape(r)}</li>" for r in res.recommendations) + "</ul>")
    page.p("本人確認手段ごとのレベルはプロジェクトの既定の仮定です（data/id_means.csv）。", "wb-note")


def snapshot_html(pref: Any, *, on: dt.date | None = None, generated: dt.datetime | None = None) -> str:
    """The snapshot page of ``pref`` as one HTML string (plotly.js inlined once, no external reference)."""
    from plotly.offline import get_plotlyjs

    pref = office_safe(pref)  # no text the encoder or a browser refuses
    page = _Page()
    title = f"{pref.name} データ連携基盤の共同利用：現状と検討材料"
    from .text import date_ja

    when = date_ja(generated or dt.datetime.now(), time=True)
    page.raw(f"<h1>{html.escape(title)}</h1>")
    page.raw(
        "<nav><a href='#overview'>県の全体像</a><a href='#cost'>費用負担</a><a href='#auth'>認証レベル</a>"
        "<a href='#datamap'>データの流れ</a></nav>"
    )
    note = f"作成: {when}（共同利用ワークベンチ）。"
    if getattr(pref, "synthetic", False):
        note += "このファイルは合成データ（実在しない基盤）です。"
    page.p(note, "wb-note")
    _overview(page, pref)
    _cost(page, pref)
    _auth(page, pref, on)
    from .report_datamap import section as datamap_section

    datamap_section(page, pref)
    if pref.assumptions or pref.facts:
        page.h(2, "事実と仮定")
        page.raw(
            "<ul>"
            + "".join(f"<li>事実: {html.escape(f)}</li>" for f in pref.facts)
            + "".join(f"<li>仮定: {html.escape(a)}</li>" for a in pref.assumptions)
            + "</ul>"
        )
    head = (
        "<!DOCTYPE html><html lang='ja'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{html.escape(title)}</title>"
        f"<style>{CSS}</style><script type='text/javascript'>{get_plotlyjs()}</script></head><body>"
    )
    from .staff import file_names, html_names_ja, html_prose_ja

    return html_names_ja(html_prose_ja(head + "".join(page.parts) + "</body></html>"), file_names(pref))


def write_snapshot(pref: Any, out: str | os.PathLike[str], *, on: dt.date | None = None) -> Path:
    """Write :func:`snapshot_html` to ``out`` atomically (temporary file in the same folder, then rename)."""
    path = Path(out)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, snapshot_html(pref, on=on).encode("utf-8"), backup=False)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)  # a page to share: the usual file mode, not the temporary file's 0600
    return path
