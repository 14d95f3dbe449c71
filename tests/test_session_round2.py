"""The consultant's session, round 2 (issue 25): what a consultant meets in front of prefecture staff in the
four notebooks, checked on the widgets and files themselves (the browser run is tests/test_browser_session.py).

Cases are the bundled 栃木県 sample (那須塩原市データ連携基盤, run by 那須塩原市 for itself) and the synthetic 沖縄県 file
(no platform at all).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

import workbench as wb
import workbench.widgets as W
from workbench import reference
from workbench.widgets.notebook import Exports, working_copy, working_notebooks

ROOT = Path(__file__).resolve().parent.parent
PLOTLY = "application/vnd.plotly.v1+json"


@pytest.fixture
def tochigi(tmp_path):
    return working_copy("09", tmp_path)


@pytest.fixture
def okinawa(tmp_path):
    return working_copy("47", tmp_path)


def muni(name: str, pref: str = "09") -> str:
    df = reference.municipalities_of(pref)
    return str(df[df["name"] == name]["code"].iloc[0])


def shown(editor) -> str:
    """Everything an editor shows in its controls and messages, as one text."""
    parts = [str(f.control.value) for f in editor.fields.values()]
    parts += [f.message.text for f in editor.fields.values()] + [editor.status.text]
    parts += [
        f.control.summary_text() for f in editor.fields.values() if isinstance(f.control, W.MultiChoice)
    ]
    return "\n".join(parts)


# --- 1. new rows start empty; 適用 refuses an empty required field beside it --------------------------------


@pytest.mark.parametrize("code", ["09", "47"])
def test_a_new_row_starts_empty_and_an_empty_required_field_is_refused_beside_it(tmp_path, code):
    session = W.Session.from_file(working_copy(code, tmp_path))
    before = session.pref
    for editor in (W.PlatformEditor(session), W.ServiceEditor(session)):
        editor.chooser.value = "__new__"
        assert "PydanticUndefined" not in shown(editor)
        assert editor.fields["id"].control.value == "" and editor.fields["name"].control.value == ""
        assert not editor.apply()
        assert "PydanticUndefined" not in shown(editor)
        assert editor.fields["name"].message.text == "名称を入力してください"
        assert editor.fields["id"].message.text.startswith("IDを入力してください")
        required = "operated_by" if isinstance(editor, W.PlatformEditor) else "platform"
        assert editor.fields[required].message.text.endswith("を選んでください")
        assert session.pref is before, "nothing changed"


def test_every_dropdown_shows_an_option_never_a_blank_box(tochigi):
    """ipywidgets reads value None as "nothing selected": 分野 —（なし）, API公開 不明, 運営 —（選んでください） showed
    as blank boxes on a new row after a row that had values."""
    import ipywidgets

    session = W.Session.from_file(tochigi)
    editor = W.PlatformEditor(session)
    editor.chooser.value = "nasushiobara"
    editor.chooser.value = "__new__"
    boxes = {n: f.control for n, f in editor.fields.items() if isinstance(f.control, ipywidgets.Dropdown)}
    assert {n: c.index is not None for n, c in boxes.items()} == dict.fromkeys(boxes, True)
    assert (boxes["field"].label, boxes["api_published"].label) == ("—（なし）", "不明")
    vision = W.VisionEditor(session)
    vision.kpi_chooser.value = "__new__"
    for box in (vision.external, vision.organisation, vision.cost_rule, vision.scheme, vision.kpi_service):
        assert box.index is not None, box.description
    assert vision.kpi_service.label == "—（県全体）"
    for panel in (editor, vision, W.ServiceEditor(session), W.PlanEditor(session)):
        assert _blank_dropdowns(panel) == [], type(panel).__name__


def _blank_dropdowns(widget) -> list[str]:
    import ipywidgets

    out = [widget.description] if isinstance(widget, ipywidgets.Dropdown) and widget.index is None else []
    for child in getattr(widget, "children", ()):
        out += _blank_dropdowns(child)
    return out


def test_the_synthetic_prefecture_without_platforms_opens_on_an_empty_new_row(okinawa):
    session = W.Session.from_file(okinawa)
    assert session.pref.synthetic and not session.pref.platforms
    editor = W.PlatformEditor(session)
    assert editor.chooser.value == "__new__"
    assert "PydanticUndefined" not in shown(editor)
    assert editor.fields["operated_by"].control.label == "—（選んでください）"


# --- 2. 利用団体 starts from the file, the operator included ---------------------------------------------------


def test_users_start_from_the_file_with_the_operator_and_adding_towns_keeps_it(tochigi):
    """那須塩原市データ連携基盤 lists no 利用団体: the file means 那須塩原市 alone (CONTRACT.md: omitted = its operator
    only). Clicking 大田原市 and 那須町 gives three users, 那須塩原市 among them."""
    session = W.Session.from_file(tochigi)
    editor = W.PlatformEditor(session)
    editor.chooser.value = "nasushiobara"
    users = editor.fields["municipalities"].control
    assert users.value == (muni("那須塩原市"),)
    assert users.summary_text() == "1 / 25 件を選択: 那須塩原市"
    users.value = (*users.value, muni("大田原市"), muni("那須町"))
    users.all_chosen = True
    assert users.summary_text() == "すべて（25 件）"
    users.all_chosen = False  # unticking puts the earlier selection back
    assert set(users.value) == {muni("那須塩原市"), muni("大田原市"), muni("那須町")}
    assert editor.apply(), editor.status.text
    platform = next(p for p in session.pref.platforms if p.id == "nasushiobara")
    assert set(session.pref.users_of(platform)) == {muni("那須塩原市"), muni("大田原市"), muni("那須町")}


def test_applying_an_unchanged_platform_keeps_the_file_saying_nothing_about_users(tochigi):
    session = W.Session.from_file(tochigi)
    editor = W.PlatformEditor(session)
    editor.chooser.value = "nasushiobara"
    assert editor.apply()
    platform = next(p for p in session.pref.platforms if p.id == "nasushiobara")
    assert platform.municipalities is None  # still the operator's default, not a list of one


# --- 3. exports staff can reach, as links ------------------------------------------------------------------


def test_exports_are_links_relative_to_the_notebook_office_files_downloaded(tmp_path):
    out = tmp_path / "書き出し"
    out.mkdir()
    files = [out / "step2_09_共同利用ビジョン.docx", out / "step2_09_共同利用ビジョン.html"]
    for f in files:
        f.write_bytes(b"x")
    page = Exports(files, base=tmp_path)._repr_html_()
    links = re.findall(r"<a class='wb-export' href='([^']*)'( download)?>([^<]*)</a>", page)
    assert [(h, bool(d), n) for h, d, n in links] == [
        (
            "%E6%9B%B8%E3%81%8D%E5%87%BA%E3%81%97/step2_09_%E5%85%B1%E5%90%8C%E5%88%A9%E7%94%A8%E3%83%93%E3%82%B8%E3%83%A7%E3%83%B3.docx",
            True,
            files[0].name,
        ),
        (
            "%E6%9B%B8%E3%81%8D%E5%87%BA%E3%81%97/step2_09_%E5%85%B1%E5%90%8C%E5%88%A9%E7%94%A8%E3%83%93%E3%82%B8%E3%83%A7%E3%83%B3.html",
            False,
            files[1].name,
        ),
    ]
    assert "Word・ダウンロード" in page and "ページ・JupyterLab で開く" in page
    assert repr(Exports(files, base=tmp_path)) == f"書き出しました: {files[0].name}、{files[1].name}"
    # outside the notebook's folder JupyterLab cannot open it: the full path is said instead of a dead link
    elsewhere = Exports(files, base=tmp_path / "notebooks")._repr_html_()
    assert "href" not in elsewhere and str(files[0]) in elsewhere


def test_working_notebooks_carry_no_results_of_another_prefecture(tmp_path):
    written = working_notebooks(ROOT / "notebooks", tmp_path)
    assert sorted(p.name for p in written) == sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    for path in written:
        nb = json.loads(path.read_text(encoding="utf-8"))
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
        assert "07_fukushima.yaml" not in path.read_text(encoding="utf-8")  # 福島県（07）: 07_fukushima.yaml
    assert working_notebooks(ROOT / "notebooks", tmp_path) == []  # a copy being worked on is kept


# --- 4. every refusal beside its field, nothing changed, no stale success ---------------------------------------


def test_plan_refusals_are_named_beside_their_fields_and_change_nothing(tochigi):
    session = W.Session.from_file(tochigi)
    editor = W.PlanEditor(session)
    editor.chooser.value = "c1-1"
    editor.duration.value = 5
    assert editor.apply() and editor.save() == tochigi
    assert editor.status.text.startswith("保存しました")
    before = session.pref
    cases = [
        ("duration", lambda: setattr(editor.duration, "value", -2), "期間は 0〜120"),
        ("start", lambda: setattr(editor.start, "value", -3), "開始は 0〜240"),
        ("plan_start", lambda: setattr(editor.plan_start, "value", "02/30/2026"), "日付として読めません"),
        ("plan_start", lambda: setattr(editor.plan_start, "value", "2026-02-30"), "実在しない日付"),
    ]
    for field, make_it_wrong, words in cases:
        editor.chooser.value = "c1-2"
        editor.chooser.value = "c1-1"  # a fresh form
        make_it_wrong()
        assert not editor.apply()
        assert words in editor.messages[field].text, (field, editor.messages[field].text)
        assert "保存しました" not in editor.status.text and "適用しませんでした" in editor.status.text
        assert session.pref is before


def test_kpi_refusals_are_named_beside_their_fields_never_clamped(tochigi):
    session = W.Session.from_file(tochigi)
    editor = W.VisionEditor(session)
    editor.statement.value = "県内どこでも同じ手続きで"
    assert editor.apply() and editor.save() == tochigi
    before = session.pref
    editor.kpi_chooser.value = "__new__"
    editor.kpi_code.value = "api_calls"
    editor.kpi_target.value = -5
    assert not editor.apply()
    assert editor.messages["target"].text == "目標値: 0 以上を指定してください（入力: -5）"
    assert "保存しました" not in editor.status.text and "適用しませんでした" in editor.status.text
    editor.kpi_target.value = 1000
    editor.kpi_year.value = 1999
    assert not editor.apply()
    assert editor.kpi_year.value == 1999  # never silently 2000
    assert editor.messages["year"].text.startswith("目標年度: 2000 以上")
    assert not editor.messages["target"].text  # the earlier message went with the value it was about
    assert session.pref is before


# --- 5. a hand-edited file: the located Japanese line, as the command line prints it ---------------------------


def test_a_bad_file_shows_the_located_line_and_how_to_fix_it_never_a_traceback(tochigi):
    text = tochigi.read_text(encoding="utf-8").replace("initial: 250000000", "initial: -250000000")
    tochigi.write_text(text, encoding="utf-8")
    line = next(i for i, x in enumerate(text.splitlines(), 1) if "-250000000" in x)
    with pytest.raises(wb.InputError) as info:
        W.Session.from_file(tochigi)
    shown_lines = info.value._render_traceback_()
    plain = [re.sub(r"\x1b\[\d+m", "", s) for s in shown_lines]
    assert (
        plain[0]
        == f"エラー: {tochigi}:{line}: costs.shared.initial（初期費用（円））: 0.0 以上を指定してください（値: -250000000）"
    )  # the field's Japanese name beside its path since issue 27 (data/field_labels.csv)
    assert (
        plain[-1]
        == f"直し方: {tochigi.name} の {line} 行目を直して保存し、このセルからもう一度実行してください。ファイルは何も変更していません。"
    )
    assert not any("Traceback" in s for s in shown_lines)


@pytest.mark.slow
def test_a_notebook_cell_shows_the_japanese_line_not_a_red_english_traceback(tochigi, tmp_path):
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    text = tochigi.read_text(encoding="utf-8").replace("initial: 250000000", "initial: -250000000")
    tochigi.write_text(text, encoding="utf-8")
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                f"from workbench.widgets import Session\nSession.from_file({str(tochigi)!r})"
            )
        ]
    )
    with pytest.raises(CellExecutionError):
        NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    err = nb.cells[0].outputs[0]
    assert err.output_type == "error"
    plain = [re.sub(r"\x1b\[\d+m", "", s) for s in err.traceback]
    assert plain[0].startswith(f"エラー: {tochigi}:") and "costs.shared.initial" in plain[0]
    assert plain[-1].startswith("直し方: ") and len(plain) == 2


# --- 6. placeholders in plain words --------------------------------------------------------------------------


def test_placeholders_say_what_to_do_in_plain_words(tochigi):
    session = W.Session.from_file(tochigi)
    panels = [
        W.ClassificationCard(session),
        W.PlatformView(session),
        W.PlatformEditor(session),
        W.ServiceEditor(session),
        W.VisionEditor(session),
        W.VisionCard(session),
        W.TypeFlowchart(session),
        W.CostSimulator(session),
        W.PlanEditor(session),
        W.DataFlowPanel(session),
    ]
    for panel in panels:
        bundle = panel._repr_mimebundle_()
        text = (bundle[0] if isinstance(bundle, tuple) else bundle)["text/plain"]
        assert text.endswith("セルを実行すると表示されます）"), text
        assert not re.search(r"[A-Za-z]", text), text  # no class name, no English
        assert "対話部品" not in text


# --- 8. synthetic data said on every card, chart title, slide and workbook -------------------------------------


def _titles(panel) -> list[str]:
    out = []
    for slot in vars(panel).values():
        if isinstance(slot, W.FigureSlot) and slot.widget.outputs:
            layout = slot.widget.outputs[0]["data"][PLOTLY]["layout"]
            out.append((layout.get("title") or {}).get("text", ""))
    return out


@pytest.mark.parametrize("code", ["47", "09"])
def test_synthetic_is_said_on_every_card_and_chart_title(tmp_path, code):
    session = W.Session.from_file(working_copy(code, tmp_path))
    synthetic = session.pref.synthetic
    assert synthetic == (code == "47")
    card = W.ClassificationCard(session)
    vision = W.VisionCard(session)
    simulator = W.CostSimulator(session)
    panels = [card, W.PlatformView(session), W.TypeFlowchart(session), simulator]
    panels += [
        W.PlanEditor(session),
        W.DataFlowPanel(session),
        W.AuthMatrix(session),
        W.CostEffectPanel(session),
        W.OptionsPanel(session),  # issue 23's panel, merged after issue 25's marks
    ]
    titles = [t for p in panels for t in _titles(p)]
    assert len(titles) >= 10
    for title in titles:
        assert title.endswith("（合成データ）") == synthetic, title
    for html_text in (card.card.value, vision.card.value):
        assert ("（合成データ）</h" in html_text) == synthetic
        assert ("合成データです" in html_text) == synthetic
    # the cost simulator's text summary: its title line (「沖縄県 費用配分：…」) says it too
    first = re.search(r"<li>([^<]*)</li>", simulator.summary.value).group(1)
    assert "費用配分" in first and first.endswith("（合成データ）") == synthetic, first


def test_synthetic_is_said_on_every_slide_and_workbook(okinawa, tmp_path):
    from openpyxl import load_workbook
    from pptx import Presentation

    from workbench.deck import write_deck
    from workbench.plan_sheet import TITLE_ROW, plan_xlsx
    from workbench.report_datamap import write_tables_xlsx
    from workbench.report_vision import vision_html
    from workbench.text import synthetic_note

    pref = wb.load(okinawa)
    deck = Presentation(write_deck(pref, tmp_path / "deck.pptx"))
    for k, slide in enumerate(deck.slides):
        texts = [s.text_frame.text for s in slide.shapes if s.has_text_frame]
        assert any("合成データ" in t for t in texts), (k, texts[:2])
    book = load_workbook(plan_xlsx(pref, tmp_path / "plan.xlsx"))
    assert book["実行計画"].cell(TITLE_ROW, 1).value.endswith("（合成データ）")
    tables = load_workbook(
        write_tables_xlsx(wb.datamap(pref), tmp_path / "dm.xlsx", note=synthetic_note(pref))
    )
    assert tables.sheetnames[0] == "注意" and "合成データ" in tables["注意"]["A1"].value
    assert "共同利用ビジョン（合成データ）</h1>" in vision_html(pref)
    from docx import Document

    from workbench.vision_docx import write_vision_docx

    doc = Document(str(write_vision_docx(pref, tmp_path / "vision.docx")))
    assert (
        doc.paragraphs[0].style.name == "Title"
        and doc.paragraphs[0].text == "沖縄県 共同利用ビジョン（合成データ）"
    )
    assert doc.core_properties.title.endswith("（合成データ）") and doc.paragraphs[
        1 + 1
    ].text == synthetic_note(pref)
    assert doc.sections[0].header.paragraphs[0].text.endswith("（合成データ）")
    # a sample says nothing of the kind
    sample = wb.load_sample("09")
    assert synthetic_note(sample) is None
    assert (
        Document(str(write_vision_docx(sample, tmp_path / "v9.docx"))).paragraphs[0].text
        == "栃木県 共同利用ビジョン"
    )
    assert (
        not load_workbook(plan_xlsx(sample, tmp_path / "p9.xlsx"))["実行計画"]
        .cell(TITLE_ROW, 1)
        .value.endswith("（合成データ）")
    )


# --- 9. Step 2 uses the plan's start --------------------------------------------------------------------------


def test_step2_yearly_costs_follow_the_start_saved_in_step3(tochigi):
    plan = W.PlanEditor(W.Session.from_file(tochigi))
    plan.plan_start.value = "令和8年4月1日"
    assert plan.apply() and plan.save() == tochigi
    cost = W.CostSimulator(W.Session.from_file(tochigi))  # Step 2 run again after the save in Step 3
    heads = re.findall(r"<th[^>]*>([^<]*)</th>", cost.cash.value)
    assert heads[:3] == ["団体", "令和8年度", "令和9年度"], heads
    assert "年度目</th>" not in cost.cash.value and "開始日を入れると" not in cost.cash.value


# --- 10. staff tables in the notebooks -------------------------------------------------------------------------


def test_committed_notebooks_show_no_pandas_tables():
    """02 showed pandas' own tables (row numbers 0–24, text cut with …): every table is the staff table."""
    for path in sorted((ROOT / "notebooks").rglob("*.ipynb")):
        text = path.read_text(encoding="utf-8")
        assert 'class=\\"dataframe\\"' not in text and "class='dataframe'" not in text, path.name


# --- 12. the smaller gaps --------------------------------------------------------------------------------------


def test_step3_adds_an_action_item_with_an_office_as_owner_and_removes_it(tochigi):
    from workbench.charts.plan import gantt

    session = W.Session.from_file(tochigi)
    editor = W.PlanEditor(session)
    assert editor.owner.options == (
        "都道府県",
        "市区町村",
        "運営組織",
        "ベンダ",
        "サービス提供者",
    )  # suggestions
    editor.chooser.value = "__new__"
    editor.title.value = "県民説明会の開催"
    editor.owner.value = "デジタル推進課"  # an office, as prefectures assign work
    editor.duration.value = 2
    editor.depends_on.value = ("c1-1",)
    assert editor.apply(), editor.status.text
    item = next(i for i in editor.plan.items if i.title == "県民説明会の開催")
    assert (item.owner, item.owner_label, item.duration, item.depends_on) == (
        "デジタル推進課",
        "デジタル推進課",
        2,
        ["c1-1"],
    )
    assert "デジタル推進課" in [t.name for t in gantt(editor.plan).data]  # its own bar in the chart
    editor.owner.value = "都道府県"  # a suggestion is stored as its role
    assert editor.apply() and editor.plan.item(item.id).owner == "prefecture"
    assert editor.save() == tochigi
    again = wb.action_plan(wb.load(tochigi))
    assert again.item(item.id).title == "県民説明会の開催"
    editor.chooser.value = item.id
    assert editor.delete()
    assert item.id not in [i.id for i in editor.plan.items]


def test_a_save_from_one_editor_clears_the_unsaved_note_of_the_others(tochigi):
    session = W.Session.from_file(tochigi)
    platforms, services = W.PlatformEditor(session), W.ServiceEditor(session)
    platforms.chooser.value = "nasushiobara"
    platforms.fields["name"].control.value = "那須塩原市データ連携基盤（改）"
    assert platforms.apply()
    assert platforms.status.text.endswith("（まだファイルには保存していません）") and platforms.dirty
    assert services.save() == tochigi
    assert not platforms.dirty and not services.dirty
    assert platforms.status.text.startswith("保存しました: 09_tochigi.yaml")
    assert "まだファイルには保存していません" not in platforms.status.text


def test_the_vision_card_shows_the_vision_itself(tochigi):
    session = W.Session.from_file(tochigi)
    card = W.VisionCard(session)
    statement = session.pref.vision.statement
    assert statement and statement in card.card.value
    editor = W.VisionEditor(session)
    editor.statement.value = "県内どこに住んでいても同じ手続きで行政サービスを受けられる"
    assert editor.apply()
    assert "県内どこに住んでいても同じ手続きで行政サービスを受けられる" in card.card.value
    shutil.rmtree(tochigi.parent / (tochigi.name + ".autosave"), ignore_errors=True)
