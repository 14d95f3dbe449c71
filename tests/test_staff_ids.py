"""Staff meet names and numbers, never what the prefecture file says to the program: a sweep over every staff
view the library produces, for the bundled samples (07 福島県, 09 栃木県, 10 群馬県, 24 三重県) and one synthetic
prefecture (47 沖縄県).

The forbidden strings are read from the loaded file itself, not listed here:

* the file's ids — platforms, services, data-map assets and external data, the plan's items (its ``items:`` and
  ``removed:``) and every item id the plan generates from the file (``c1-1``, ``issue-…``, ``dm-…``);
* its YAML keys (``operated_by``, ``user_scope`` …), at any depth;
* its codes: the values written as codes (lower-case ASCII words such as ``prefectural``, ``ekyc_ic``,
  ``shapley``) and the 6-digit municipality codes.

The views: every staff table of every result (``to_staff_frame()`` and the other ``…_frame()`` tables,
rendered as staff see them), the printed summaries and cards, the options panel, the plan (critical path,
schedule, Gantt chart, the plan editor's choosers), the widgets of the Step notebooks, and the take-aways —
Word, Excel and PowerPoint read back with python-docx, openpyxl and python-pptx, and the HTML reports.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from office_text import Fragment, docx_text, pptx_text, xlsx_text  # noqa: I001

import workbench as wb

PREFECTURES = ["07", "09", "10", "24", "47"]


# --- what the file says to the program ---------------------------------------------------------------------


_CODE = re.compile(r"^[a-z][a-z0-9_]*$")  # a value written as a code (prefectural, ekyc_ic, shapley)
_MUNICIPALITY = re.compile(r"^\d{6}$")


def _walk(node: Any, keys: set[str], values: set[str]) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            keys.add(str(k))
            _walk(v, keys, values)
    elif isinstance(node, list):
        for v in node:
            _walk(v, keys, values)
    elif isinstance(node, str):
        values.add(node)


def forbidden(pref: Any, path: Path) -> dict[str, str]:
    """Every string of the prefecture file ``path`` (loaded as ``pref``) staff must not meet → what it is."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    keys: set[str] = set()
    values: set[str] = set()
    _walk(doc, keys, values)
    for v in values:
        if _CODE.match(v):
            out[v] = "コード"
        elif _MUNICIPALITY.match(v):
            out[v] = "市区町村コード"
    for k in keys:
        if _MUNICIPALITY.match(k):
            out[k] = "市区町村コード"
        elif not k.isdigit():
            out[k] = "YAMLのキー"
    ids = {p.id: "基盤のID" for p in pref.platforms} | {s.id: "サービスのID" for s in pref.services}
    if pref.data_map is not None:
        ids |= {a.id: "データアセットのID" for a in pref.data_map.assets}
        ids |= {x.id: "外部提供データのID" for s in pref.data_map.services for x in s.external if x.id}
    if pref.plan is not None:
        ids |= {e.id: "取組事項のID" for e in pref.plan.items} | dict.fromkeys(
            pref.plan.removed, "取組事項のID"
        )
    ids |= {i.id: "取組事項のID" for i in wb.action_plan(pref).items}
    out |= ids
    return out


def finder(bad: dict[str, str]) -> re.Pattern[str]:
    """One pattern for all of ``bad``: an id or code as a whole word (never a part of a longer word or of a
    number with separators, 「1,072,010円」)."""
    words = sorted(bad, key=len, reverse=True)
    return re.compile(r"(?<![A-Za-z0-9_\-,.])(" + "|".join(map(re.escape, words)) + r")(?![A-Za-z0-9_\-,])")


def leaks(fragments: Iterable[Fragment], bad: dict[str, str]) -> list[str]:
    pattern = finder(bad)
    out = []
    for where, text in fragments:
        hits = sorted({m.group(1) for m in pattern.finditer(text)})
        if hits:
            out.append(f"{where}: {', '.join(f'{h}（{bad[h]}）' for h in hits)} in {text.strip()[:140]!r}")
    return out


# --- fragments: what each view shows ---------------------------------------------------------------------

_TAG = re.compile(r"<(script|style)[^>]*>.*?</\1>|<[^>]+>", re.S)


def html_text(text: str, where: str) -> Iterator[Fragment]:
    """The text between the tags (attributes, scripts and styles are not shown)."""
    import html

    for part in _TAG.sub("\x00", text).split("\x00"):
        part = html.unescape(part)
        if part.strip():
            yield where, part


#: the parts of a plotly figure staff read: labels, hover texts, axis ticks, titles, annotations
_FIG_TEXT = {
    "x",
    "y",
    "text",
    "hovertext",
    "customdata",
    "labels",
    "label",
    "ticktext",
    "name",
    "title",
    "values",
}


def _strings(node: Any) -> Iterator[str]:
    """Every string under ``node`` (lists, dicts, arrays)."""
    if hasattr(node, "tolist"):
        node = node.tolist()
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict | list | tuple):
        for v in node.values() if isinstance(node, dict) else node:
            yield from _strings(v)


def _shown(node: Any) -> Iterator[str]:
    """The strings of a figure's JSON under the keys staff read (:data:`_FIG_TEXT`, hover templates)."""
    if isinstance(node, list):
        for v in node:
            yield from _shown(v)
    if not isinstance(node, dict):
        return
    for k, v in node.items():
        if k in _FIG_TEXT or (k == "hovertemplate" and isinstance(v, str)):
            yield from _strings(v)
        else:
            yield from _shown(v)


_PLACEHOLDER = re.compile(r"%\{[^}]*\}")  # 「%{source.label}」 in a hover template: filled in, never shown


def figure_text(fig: Any, where: str) -> Iterator[Fragment]:
    spec = fig.to_plotly_json()
    for text in _shown({"data": spec.get("data", []), "layout": spec.get("layout", {})}):
        yield from html_text(_PLACEHOLDER.sub("", text), where)


def table_text(df: Any, where: str) -> Iterator[Fragment]:
    """A staff table as the notebooks and dashboards show it (workbench.staff.table_html)."""
    from workbench.staff import table_html

    yield from html_text(table_html(df, max_rows=None), where)


#: tables that are the analysts' even though their names end in ``_frame``: the long service × means table
#: behind the authentication chart (English snake_case columns, codes as values, like ``to_frame()``)
ANALYST_FRAMES = {"matrix_frame"}


def result_views(res: Any, where: str) -> Iterator[Fragment]:
    """A result's printed summary, its card and every staff table it offers (``to_staff_frame`` and the other
    ``…_frame()`` methods that need no argument; ``to_frame`` is the analysts' and is left out)."""
    yield where, str(res)
    if hasattr(res, "_repr_html_"):
        yield from html_text(res._repr_html_(), where + " card")
    for name in dir(type(res)):
        if not name.endswith("_frame") or name in ("to_frame", *ANALYST_FRAMES) or name.startswith("_"):
            continue
        method = getattr(res, name)
        if not callable(method):
            continue
        params = [
            p
            for p in inspect.signature(method).parameters.values()
            if p.default is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        if params:
            continue
        yield from table_text(method(), f"{where}.{name}()")


def _own_text(x: Any, path: str) -> Iterator[Fragment]:
    """What one widget shows itself: its HTML or label, the value of a text box, its description, its options'
    labels, its chart."""
    import ipywidgets as w

    from workbench.widgets._common import ChartOutput

    if isinstance(x, w.HTML | w.HTMLMath | w.Label):
        yield from html_text(str(x.value), path)
    elif isinstance(x, w.Text | w.Textarea | w.Combobox):
        yield path + " value", str(x.value)
    desc = getattr(x, "description", None)
    if isinstance(desc, str) and desc:
        yield path + " description", desc
    yield from ((path + " option", str(label)) for label in getattr(x, "_options_labels", None) or ())
    if isinstance(x, ChartOutput):
        import plotly.graph_objects as go

        specs = [out.get("data", {}).get("application/vnd.plotly.v1+json") for out in x.outputs]
        for spec in filter(None, specs):
            yield from figure_text(go.Figure(spec), path + " chart")


def widget_text(widget: Any, where: str) -> Iterator[Fragment]:
    """Everything a widget tree shows: HTML, labels, values of text boxes, descriptions, option labels, charts."""
    seen: set[int] = set()

    def walk(x: Any) -> Iterator[Fragment]:
        if id(x) in seen:
            return
        seen.add(id(x))
        yield from _own_text(x, where)
        for child in getattr(x, "children", ()) or ():
            yield from walk(child)

    yield from walk(widget)


# --- the views of one prefecture ---------------------------------------------------------------------------


def library_views(pref: Any) -> Iterator[Fragment]:
    """The results' summaries, cards and staff tables, the charts, the options and the plan."""
    from workbench.charts import plan as plan_charts
    from workbench.classify import running
    from workbench.overview import overview
    from workbench.plan import schedule_frame
    from workbench.widgets.notebook import summary

    code = pref.code
    cl = wb.classify(pref)
    plan = wb.action_plan(pref)
    results: list[tuple[str, Any]] = [
        ("classify", cl),
        ("match_auth", wb.match_auth(pref)),
        ("datamap", wb.datamap(pref)),
        ("vision", wb.vision(pref)),
        ("options", wb.options(pref)),
        ("action_plan", plan),
    ]
    results += [(f"overview[{p.name}]", overview(pref, p.id)) for p in running(pref)]
    if pref.costs is not None:
        from workbench.cost import cost_effect, module_effect_view

        for rule in ("shapley", "population", "hybrid", "equal"):
            try:
                results.append((f"allocate[{rule}]", wb.allocate(pref, rule)))
            except (wb.InputError, ValueError):
                continue
        results += [
            ("compare_rules", wb.compare_rules(pref)),
            ("audit_rules", wb.audit_rules(pref)),
            ("cash_flow", wb.cash_flow(pref)),
            ("cost_effect", cost_effect(pref)),
            ("module_effect_view", module_effect_view(pref)),
        ]
    for name, res in results:
        yield from result_views(res, f"{code} {name}")
        yield f"{code} {name} summary()", summary(res, pref)
    o = results[4][1]
    yield from ((f"{code} options.changes_lines", s) for s in o.changes_lines())
    yield f"{code} options.summary", o.summary
    for opt in o.options:
        for r in opt.reasons if hasattr(opt, "reasons") else []:
            yield f"{code} options reason", getattr(r, "text", str(r))
    yield f"{code} plan クリティカルパス", dict(plan.card_rows())["クリティカルパス"]
    yield from table_text(schedule_frame(plan), f"{code} schedule_frame")
    yield from figure_text(plan_charts.gantt(plan), f"{code} gantt")
    yield from figure_text(plan_charts.type_flowchart(cl), f"{code} type_flowchart")


def widget_views(pref: Any) -> Iterator[Fragment]:
    """The widgets of the Step notebooks, built on a session of the prefecture (the plan editor's choosers
    for every item, the options panel, the cost simulator …)."""
    from workbench import widgets as W

    session = W.Session()
    session.set(pref)
    for cls in (
        "ClassificationCard",
        "PlatformView",
        "DataFlowPanel",
        "VisionCard",
        "TypeFlowchart",
        "OptionsPanel",
        "CostSimulator",
        "CostEffectPanel",
        "AuthMatrix",
        "PlanEditor",
    ):
        widget = getattr(W, cls)(session)
        yield from widget_text(widget, f"{pref.code} {cls}")
        if cls == "PlatformView":  # every platform in turn
            for value in list(getattr(widget.chooser, "options", ()))[1:]:
                widget.chooser.value = value[1] if isinstance(value, tuple) else value
                yield from widget_text(widget, f"{pref.code} {cls}")
        if cls == "PlanEditor":  # the depends-on chooser of the last item too
            widget.chooser.value = widget.plan.items[-1].id
            yield from widget_text(widget, f"{pref.code} {cls}")


def takeaway_views(pref: Any, out: Path) -> Iterator[Fragment]:
    """The files staff take away, read back as staff open them."""
    from workbench.deck import write_deck
    from workbench.plan_sheet import plan_xlsx
    from workbench.report import snapshot_html
    from workbench.report_datamap import api_html, write_tables_xlsx
    from workbench.report_vision import vision_html, vision_markdown
    from workbench.staff import file_names
    from workbench.text import synthetic_note
    from workbench.vision_docx import write_vision_docx

    code = pref.code
    dm = wb.datamap(pref)
    yield from docx_text(write_vision_docx(pref, out / f"step2_{code}_共同利用ビジョン.docx"))
    yield from xlsx_text(plan_xlsx(pref, out / f"step3_{code}_実行計画.xlsx"), every_value=True)
    names = file_names(pref)
    yield from xlsx_text(
        write_tables_xlsx(dm, out / f"step1_{code}_データマップ.xlsx", names, note=synthetic_note(pref)),
        every_value=True,
    )
    yield from pptx_text(write_deck(pref, out / f"step3_{code}_会議資料.pptx"))
    yield from html_text(vision_html(pref), f"{code} vision.html")
    yield from ((f"{code} vision.md", line) for line in vision_markdown(pref).splitlines())
    yield from html_text(snapshot_html(pref), f"{code} snapshot.html")
    yield from html_text(api_html(dm, names=names), f"{code} apis.html")


# --- the tests ---------------------------------------------------------------------------------------------


def test_the_forbidden_strings_come_from_the_file():
    """The set is built from the file: 福島県's platform ids, plan item ids, YAML keys and codes are in it; a
    string the file does not hold is not."""
    pref = wb.load_sample("07")
    bad = forbidden(pref, wb.sample_path("07"))
    for s in ("pref-platform", "aizu-health", "resident-attr", "c4-2", "council", "c1-1", "launch"):
        assert bad[s].endswith("ID"), s
    for s in ("operated_by", "user_scope", "depends_on", "non_participants"):
        assert bad[s] == "YAMLのキー", s
    for s in ("prefectural", "ekyc_ic", "shapley", "fukushima", "connected_services"):
        assert bad[s] == "コード", s
    assert bad["072010"] == "市区町村コード"
    assert "NGSI v2" not in bad and "福島県" not in bad and "ID" not in bad


def test_the_sweep_finds_an_id_where_a_name_should_be():
    """The check can fail: an id, a key, a code put where staff read a name is found; names, amounts and
    numbers are not."""
    pref = wb.load_sample("07")
    bad = forbidden(pref, wb.sample_path("07"))
    found = leaks(
        [
            ("表", "pref-platform"),
            ("文", "基盤 aizu-platform の課題"),
            ("選択肢", "運営組織の検討（c2-3）"),
            ("文", "user_scope が未設定"),
            ("表", "072010"),
            ("文", "利用者の範囲: prefectural"),
        ],
        bad,
    )
    assert len(found) == 6, found
    clean = [
        ("文", "福島県データ連携基盤（仮称）"),
        ("表", "1,072,010円"),
        ("番号", "2-3 運営組織の検討"),
        ("文", "一つのIDで安心して使える"),
        ("表", "NGSI v2"),
    ]
    assert leaks(clean, bad) == []
    # a staff table rendered with an id column is caught
    import pandas as pd

    df = pd.DataFrame({"ID": ["pref-platform"], "名称": ["福島県データ連携基盤（仮称）"]})
    assert leaks(table_text(df, "表"), bad)


@pytest.fixture(scope="module", params=PREFECTURES)
def prefecture(request):
    code = request.param
    path = wb.sample_path(code)
    pref = wb.load(path)
    return pref, forbidden(pref, path)


def _checked(fragments: Iterable[Fragment], bad: dict[str, str], names: Iterable[str]) -> list[str]:
    """The leaks; and the sweep saw something: the views name the file's platforms (where ids would be)."""
    fragments = list(fragments)
    assert len(fragments) > 20
    text = "\n".join(t for _, t in fragments)
    missing = [n for n in names if n not in text]
    assert not missing, f"the views never name {missing}: was anything rendered?"
    return leaks(fragments, bad)


def test_library_views_show_no_ids(prefecture):
    pref, bad = prefecture
    found = _checked(library_views(pref), bad, [p.name for p in pref.platforms[:1]])
    assert found == [], "\n".join(found)


def test_widgets_show_no_ids(prefecture):
    pref, bad = prefecture
    found = _checked(widget_views(pref), bad, [p.name for p in pref.platforms[:1]])
    assert found == [], "\n".join(found)


def test_takeaways_show_no_ids(prefecture, tmp_path):
    pref, bad = prefecture
    found = _checked(takeaway_views(pref, tmp_path), bad, [p.name for p in pref.platforms[:1]])
    assert found == [], "\n".join(found)
