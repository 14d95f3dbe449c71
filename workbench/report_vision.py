"""Exports of the 共同利用ビジョン (guide 3.1 Step 2): one self-contained HTML file (plotly.js inlined once, no
CDN, no network) and Markdown, each figure and table with its source.

The content comes from :func:`workbench.plan.vision`, :func:`workbench.plan.action_plan`,
:func:`workbench.classify.classify` and :func:`workbench.overview.overview`; the figures from
:mod:`workbench.charts.plan` and :mod:`workbench.charts.overview`.
"""

from __future__ import annotations

import html
import os
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from .classify import classify, pattern_text, running
from .errors import InputError
from .inventory import Prefecture
from .plan import ActionPlan, VisionResult, action_plan, vision
from .staff import cell_ja, html_prose_ja, prose_ja, table_html
from .text import date_ja, money_ja, office_safe, office_text, synthetic_note, with_synthetic_mark
from .text import markdown_plain as md

_CSS = """
body{font-family:'Noto Sans CJK JP','Hiragino Sans','Yu Gothic',Meiryo,sans-serif;margin:24px auto;max-width:1100px;
color:#222;line-height:1.6}
h1{border-bottom:3px solid #1f77b4;padding-bottom:4px}h2{border-left:6px solid #1f77b4;padding-left:8px;margin-top:2em}
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{border:1px solid #ccd;padding:3px 8px;vertical-align:top}
th{background:#eef1f6}.src{color:#666;font-size:12px;margin:2px 0 16px}.warn{background:#fff4e5;border-left:4px solid
#ff7f0e;padding:6px 10px}.figure{margin:8px 0}
"""


def _md_table(df: pd.DataFrame) -> str:
    if df.empty:
        return "（なし）\n"
    cols = [str(c) for c in df.columns]

    def cell(v: Any) -> str:
        if v is None or (isinstance(v, float) and pd.isna(v)):
            return ""
        return md((v if isinstance(v, str) else cell_ja(v)).replace("|", "｜").replace("\n", " "))

    lines = ["| " + " | ".join(cell(c) for c in cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def _html_table(df: pd.DataFrame) -> str:
    if df.empty:
        return "<p>（なし）</p>"
    return table_html(df, max_rows=None)


def _try_plan(pref: Prefecture) -> tuple[ActionPlan | None, str | None]:
    try:
        return action_plan(pref), None
    except InputError as err:
        return None, str(err)


def vision_sections(pref: Prefecture) -> tuple[VisionResult, ActionPlan | None, str | None]:
    """The vision, and the plan or why it could not be made (the Markdown and Word versions show both), their
    text safe for every writer (:func:`~workbench.text.office_safe`: no U+FFFF, control character or lone
    surrogate reaches python-docx or an encoder)."""
    pref = office_safe(pref)
    v = vision(pref)
    ap, err = _try_plan(pref)
    return v, ap, err


def _yen(x: float | None) -> str:
    return "—" if x is None else f"{money_ja(x, '円')}（{money_ja(x, '万円')}）"


def vision_markdown(pref: Prefecture) -> str:
    """The 共同利用ビジョン as Markdown: tables in place of the figures, each with its source."""
    pref = office_safe(pref)  # every section reads the same safe copy (the options too)
    v, ap, err = vision_sections(pref)
    t, org, cost = v.target, v.organisation, v.cost
    out = [
        f"# {md(v.prefecture.name)} 共同利用ビジョン",
        "",
        f"作成日: {date_ja(date.today())}（共同利用ワークベンチ、ガイド 3.1 Step 2）",
        "",
    ]
    if v.statement:
        out += ["## ビジョン", "", md(v.statement), ""]
    if v.warnings:
        out += ["## 未決事項", "", *[f"- {md(w)}" for w in v.warnings], ""]
    out += [
        "## 1. 共同利用の目的",
        "",
        _md_table(v.purposes_frame()),
        f"出典: {md(v.sources['purposes'])}",
        "",
        "### 参考: 共同利用で直面した課題",
        "",
        _md_table(v.challenges_frame()),
        f"出典: {md(v.sources['challenges'])}",
        "",
    ]
    out += [
        "## 2. 目指す共同利用の型",
        "",
        f"- 現状: {md(t.situation)}（運用中の基盤 {md(t.running_platforms)} 件、{md(t.current_words())}）",
        f"- 方向性（guide 3.2）: {md(t.direction)}",
        "- 目指す型: "
        + (
            f"型{md(t.chosen_type)} {md(t.chosen_label)}"
            if t.chosen_type
            else "未設定（目指す姿 型2.4 を想定）"
        ),
        f"- 推奨する道筋: {md(' → '.join('型' + x for x in t.recommended_path))}（{md(t.route_label)}）",
        f"- パターン: {md(pattern_text(v.pattern, v.pattern_label))}",
        *[f"- {md(r)}" for r in t.reasons],
        "",
        f"出典: {md(t.source)}; {md(v.sources['pattern'])}",
        "",
    ]
    out += _options_markdown(pref)
    out += ["## 4. 運営組織", "", f"{md(org.reason)}", ""]
    if org.chosen_label:
        out += [f"選択: {md(org.chosen_label)}", ""]
    out += [
        *[f"> {md(w)}" for w in org.warnings],
        "",
        _md_table(v.organisation_frame()),
        f"出典: {md(org.source)}",
        "",
    ]
    out += [
        "## 5. 費用負担",
        "",
        f"- 按分ルール: {md(cost.rule_label or '未設定')}"
        + (f"（{md(cost.rule_description)}）" if cost.rule_description else ""),
        f"- 県負担の方式: {md(cost.scheme_label or '未設定')}"
        + (f"（{md(cost.scheme_description)}）" if cost.scheme_description else ""),
        f"- {md(cost.note)}",
        "",
    ]
    if cost.shares:
        out += [
            f"総額（現在価値）: {md(_yen(cost.total))}、うち県 {md(_yen(cost.prefecture))}",
            "",
            _md_table(v.shares_frame()),
        ]
    out += [f"出典: {md(cost.source)}; your input（costs:）", ""]
    out += ["## 6. KPI", "", _md_table(v.kpis_frame()), f"出典: {md(v.sources['kpis'])}", ""]
    if v.cross_field is not None:  # the データマップ's cross-field goals (workbench.datamap.vision_goals)
        out += [
            "### 分野横断の目標（データマップから）",
            "",
            _md_table(v.cross_field.to_staff_frame()),
            "",
            _md_table(v.cross_field.kpis_frame()),
            f"出典: {md(v.cross_field.sources['goals'])}",
            "",
        ]
    out += ["## 7. 基盤の俯瞰図（Step 1）", ""]
    from .overview import overview

    for p in running(pref):
        d = overview(pref, p.id)
        out += [
            f"### {md(p.name)}",
            "",
            _md_table(d.to_staff_frame()),
            *[f"- {md(n)}" for n in d.notes],
            f"出典: {md('; '.join(d.sources.values()))}",
            "",
        ]
    out += ["## 8. 実行計画（Step 3）", ""]
    if ap is not None:
        out += [
            *[f"- {md(k)}: {md(val)}" for k, val in ap.card_rows()],
            "",
            _md_table(ap.staff_frame()),
            f"出典: {md('; '.join(ap.sources.values()))}",
            "",
        ]
    else:
        out += [f"実行計画を作れませんでした: {md(err)}", ""]
    from .staff import file_names, names_ja

    names = {k: md(v) for k, v in file_names(pref).items()}  # escaped as the page's own text is
    # no text an encoder or Office refuses
    return office_text("\n".join(names_ja(prose_ja(line), names) for line in out))


def _reason_text(r: Any) -> str:
    return r.text + (f"（{r.source}「{r.quote}」）" if r.quote else f"（{r.source}）")


def _options_markdown(pref: Prefecture) -> list[str]:
    """3. 目指す型の選択肢と推奨 (workbench.options) as Markdown."""
    from .options import options

    o = options(pref)
    return [
        "## 3. 目指す型の選択肢と推奨",
        "",
        f"**{md(o.summary)}**",
        "",
        f"出発点（ガイド 3.2）: {md(o.starting_point)} → {md(o.direction)}",
        "",
        _md_table(o.columns_frame()),
        f"出典: {md(o.sources['options'])}; {md(o.sources['costs'])}",
        "",
        "### 推奨の理由",
        "",
        *[f"- {md(_reason_text(r))}" for r in o.best.reasons],
        "",
        "### 推奨が変わる条件と基準の重み",
        "",
        *[f"- {md(x)}" for x in o.changes_lines()],
        "",
        "### 決めていただきたいこと",
        "",
        _md_table(o.decisions_frame()),
        "",
    ]


def _options_html(pref: Prefecture, first: list[bool]) -> list[str]:
    """3. 目指す型の選択肢と推奨 (workbench.options) as HTML, with the options' cost chart."""
    from .charts.options import option_costs
    from .options import options

    o = options(pref)
    e = html.escape
    parts = [
        "<h2>3. 目指す型の選択肢と推奨</h2>",
        f"<p><b>{e(o.summary)}</b></p>",
        f"<p>出発点（ガイド 3.2）: {e(o.starting_point)} → {e(o.direction)}</p>",
        _html_table(o.columns_frame()),
    ]
    if any(x.total_cost is not None for x in o.options):
        parts.append(
            _figure_html(option_costs(o), first, o.sources["costs"], "選択肢ごとの費用（県・市町村）")
        )
    parts += [
        f"<p class='src'>出典: {e(o.sources['options'])}; {e(o.sources['costs'])}</p>",
        "<h3>推奨の理由</h3><ul>",
        *[f"<li>{e(_reason_text(r))}</li>" for r in o.best.reasons],
        "</ul><h3>推奨が変わる条件と基準の重み</h3><ul>",
        *[f"<li>{e(x)}</li>" for x in o.changes_lines()],
        "</ul><h3>決めていただきたいこと</h3>",
        _html_table(o.decisions_frame()),
    ]
    return parts


def _figure_html(fig: Any, first: list[bool], source: str, caption: str) -> str:
    inline = first[0]
    first[0] = False
    body = fig.to_html(
        full_html=False,
        include_plotlyjs=True if inline else False,
        include_mathjax=False,
        config={"displaylogo": False, "responsive": True},
    )
    return (
        f"<div class='figure'>{body}</div><p class='src'>図: {html.escape(caption)}／出典: "
        f"{html.escape(source)}</p>"
    )


def vision_html(pref: Prefecture) -> str:
    """The 共同利用ビジョン as one self-contained HTML document: plotly.js inlined in the first figure only,
    no CDN or other network reference, the source under every figure and table."""
    from .charts.overview import overview_figure
    from .charts.plan import SOURCE_FLOW, SOURCE_GANTT, SOURCE_SURVEY, gantt, survey_bars, type_flowchart
    from .overview import overview

    pref = office_safe(pref)  # no text the encoder or a browser refuses
    v, ap, err = vision_sections(pref)
    t, org, cost = v.target, v.organisation, v.cost
    e = html.escape
    first = [True]
    parts = [
        f"<!DOCTYPE html><html lang='ja'><head><meta charset='utf-8'><title>{e(v.prefecture.name)} 共同利用ビジョン"
        f"</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(with_synthetic_mark(f'{v.prefecture.name} 共同利用ビジョン', pref))}</h1>",
        f"<p class='src'>作成日: {date_ja(date.today())}（共同利用ワークベンチ、ガイド 3.1 Step 2）</p>",
    ]
    if synthetic_note(pref):
        parts.append(f"<div class='warn'><p>{e(synthetic_note(pref) or '')}</p></div>")
    if v.statement:
        parts += ["<h2>ビジョン</h2>", f"<p>{e(v.statement)}</p>"]
    if v.warnings:
        parts += [
            "<h2>未決事項</h2><div class='warn'><ul>",
            *[f"<li>{e(w)}</li>" for w in v.warnings],
            "</ul></div>",
        ]
    parts += [
        "<h2>1. 共同利用の目的</h2>",
        _figure_html(survey_bars(v), first, SOURCE_SURVEY, "目的と直面した課題"),
        _html_table(v.purposes_frame()),
        f"<p class='src'>出典: {e(v.sources['purposes'])}</p>",
    ]
    cl = classify(pref)
    parts += [
        "<h2>2. 目指す共同利用の型</h2><ul>",
        f"<li>現状: {e(t.situation)}（運用中の基盤 {t.running_platforms} 件、{e(t.current_words())}）</li>",
        f"<li>方向性（guide 3.2）: {e(t.direction)}</li>",
        "<li>目指す型: "
        + (e(f"型{t.chosen_type} {t.chosen_label}") if t.chosen_type else "未設定（目指す姿 型2.4 を想定）")
        + "</li>",
        f"<li>推奨する道筋: {e(' → '.join('型' + x for x in t.recommended_path))}（{e(t.route_label)}）</li>",
        f"<li>パターン: {e(pattern_text(v.pattern, v.pattern_label))}</li>",
        *[f"<li>{e(r)}</li>" for r in t.reasons],
        "</ul>",
        _figure_html(
            type_flowchart(cl, t.recommended_path), first, SOURCE_FLOW, "共同利用の型と推奨する道筋（赤）"
        ),
        f"<p class='src'>出典: {e(t.source)}; {e(v.sources['pattern'])}</p>",
    ]
    parts += _options_html(pref, first)
    parts += ["<h2>4. 運営組織</h2>", f"<p>{e(org.reason)}</p>"]
    if org.chosen_label:
        parts.append(f"<p>選択: {e(org.chosen_label)}</p>")
    parts += [
        *[f"<div class='warn'>{e(w)}</div>" for w in org.warnings],
        _html_table(v.organisation_frame()),
        f"<p class='src'>出典: {e(org.source)}</p>",
    ]
    parts += [
        "<h2>5. 費用負担</h2><ul>",
        f"<li>按分ルール: {e(cost.rule_label or '未設定')}"
        + (f"（{e(cost.rule_description)}）" if cost.rule_description else "")
        + "</li>",
        f"<li>県負担の方式: {e(cost.scheme_label or '未設定')}"
        + (f"（{e(cost.scheme_description)}）" if cost.scheme_description else "")
        + "</li>",
        f"<li>{e(cost.note)}</li></ul>",
    ]
    if cost.shares:
        parts += [
            f"<p>総額（現在価値）: {_yen(cost.total)}、うち県 {_yen(cost.prefecture)}</p>",
            _html_table(v.shares_frame()),
        ]
    parts.append(f"<p class='src'>出典: {e(cost.source)}; your input（costs:）</p>")
    parts += [
        "<h2>6. KPI</h2>",
        _html_table(v.kpis_frame()),
        f"<p class='src'>出典: {e(v.sources['kpis'])}</p>",
    ]
    if v.cross_field is not None:  # the データマップ's cross-field goals (workbench.datamap.vision_goals)
        parts += [
            "<h3>分野横断の目標（データマップから）</h3>",
            _html_table(v.cross_field.to_staff_frame()),
            _html_table(v.cross_field.kpis_frame()),
            f"<p class='src'>出典: {e(v.cross_field.sources['goals'])}</p>",
        ]
    parts.append("<h2>7. 基盤の俯瞰図（Step 1）</h2>")
    ps = running(pref)
    if not ps:
        parts.append("<p>運用中の基盤はありません。</p>")
    for p in ps:
        d = overview(pref, p.id)
        parts += [
            f"<h3>{e(p.name)}</h3>",
            _figure_html(overview_figure(d), first, "; ".join(d.sources.values()), f"{p.name} の俯瞰図"),
            *[f"<p class='src'>{e(n)}</p>" for n in d.notes],
        ]
    parts.append("<h2>8. 実行計画（Step 3）</h2>")
    if ap is not None:
        parts += [
            "<ul>",
            *[f"<li>{e(k)}: {e(val)}</li>" for k, val in ap.card_rows()],
            "</ul>",
            _figure_html(gantt(ap), first, SOURCE_GANTT, "実行計画のガントチャート（赤枠はクリティカル）"),
            _html_table(ap.staff_frame()),
            f"<p class='src'>出典: {e('; '.join(ap.sources.values()))}</p>",
        ]
    else:
        parts.append(f"<div class='warn'>実行計画を作れませんでした: {e(err or '')}</div>")
    parts.append("</body></html>")
    from .staff import file_names, html_names_ja

    return html_names_ja(html_prose_ja("\n".join(parts)), file_names(pref))


def save_vision(pref: Prefecture, path: str | os.PathLike[str]) -> Path:
    """Write the vision to ``path`` atomically: HTML for ``.html``/``.htm``, Markdown otherwise."""
    from .files import atomic_write

    target = Path(path)
    text = vision_html(pref) if target.suffix.lower() in (".html", ".htm") else vision_markdown(pref)
    atomic_write(target, text.encode("utf-8"), backup=False)
    return target
