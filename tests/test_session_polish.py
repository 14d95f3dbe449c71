"""Issue 13, the consultant's session: editors that save alike, staff-readable tables, dates and money as
offices write them, a saved YAML without contradicting comments, exports without .bak files, notebooks that
reopen with the Japanese placeholder."""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest

import workbench as wb
from workbench import widgets as W
from workbench.staff import cell_ja, source_ja, table_html
from workbench.text import date_ja, fiscal_year, fiscal_year_ja, money_ja

# --- dates and money -------------------------------------------------------------------------------------


def test_fiscal_year_runs_april_to_march():
    """地方自治法 第208条第1項: 「普通地方公共団体の会計年度は、毎年四月一日に始まり、翌年三月三十一日に終わる」."""
    assert fiscal_year(dt.date(2026, 4, 1)) == 2026
    assert fiscal_year(dt.date(2027, 3, 31)) == 2026
    assert fiscal_year_ja(2026) == "令和8年度（2026年度）"
    assert fiscal_year_ja(2026, western=False) == "令和8年度"


def test_era_dates_as_offices_write_them():
    """元号を改める政令（平成31年政令第143号）: 令和は2019年5月1日から; その年度（2019年度）は令和元年度と書く."""
    assert date_ja(dt.date(2019, 4, 30)) == "平成31年（2019年）4月30日"
    assert date_ja(dt.date(2019, 5, 1)) == "令和元年（2019年）5月1日"
    assert date_ja(dt.date(2026, 11, 30), western=False) == "令和8年11月30日"
    assert fiscal_year_ja(2019, western=False) == "令和元年度"
    assert fiscal_year_ja(2018, western=False) == "平成30年度"


def test_yen_with_separators_and_units():
    assert money_ja(15051382, "円") == "15,051,382円"
    assert money_ja(15051382, "千円") == "15,051千円"
    assert money_ja(15051382, "万円") == "1,505万円"
    assert money_ja(325_000_000, "億円") == "3.25億円"
    assert money_ja(-5000, "千円") == "−5千円"


# --- tables and sources ----------------------------------------------------------------------------------


def test_staff_cells():
    assert cell_ja(True) == "○" and cell_ja(False) == "—" and cell_ja(None) == "—"
    assert cell_ja(float("nan")) == "—" and cell_ja(3.0) == "3" and cell_ja(15051382) == "15,051,382"
    assert cell_ja(dt.date(2026, 4, 1)) == "令和8年（2026年）4月1日"


def test_sources_read_as_sources():
    assert source_ja("guide 3.4 住民向け規約; 3.3 (5)") == "ガイド 3.4 住民向け規約；3.3 (5)"
    assert (
        source_ja("guidebook 8.3（指標）; your input（目標値）")
        == "ガイドブック 8.3（指標）；入力値（目標値）"
    )
    assert source_ja("DOMAIN §6b 一部事務組合 bylaws (均等割)").startswith("一部事務組合")
    assert source_ja("your input（都道府県ファイルの plan:）") == "入力値（都道府県ファイルの実行計画）"
    assert "data/" not in source_ja("guide 3.3（data/considerations.csv）")


def test_table_has_no_index_fits_headers_and_keeps_full_text():
    long = "認証連携している基盤間で身元確認・当人認証レベルが揃っていません。" * 3
    df = pd.DataFrame(
        [
            {
                "重要度": "高",
                "コード": "FED_LEVEL_MISMATCH",
                "課題": long,
                "負担額（円）": 15051382,
                "根拠": "guide 3.4",
            }
        ]
    )
    page = table_html(df)
    assert long in page and "…" not in page  # the whole sentence, wrapped
    assert "15,051,382" in page
    import re

    heads = re.findall(r"<th style='([^']*)'>([^<]*)</th>", page)
    assert [h for _, h in heads] == ["重要度", "課題", "負担額（円）", "根拠"]  # no index, the code hidden
    # a header wraps to fit the notebook, but keeps its first five characters on a line: 重要度, never 重/要/度
    for style, head in heads:
        width = float(re.search(r"min-width:([\d.]+)em", style).group(1))
        assert width >= min(len(head), 5), (head, style)
    assert "title='FED_LEVEL_MISMATCH'" in page  # the code as a tooltip
    assert "ガイド 3.4" in page


# --- saving ----------------------------------------------------------------------------------------------


@pytest.fixture
def tochigi(tmp_path):
    path = tmp_path / "09_tochigi.yaml"
    shutil.copy(wb.reference.data_dir() / "prefectures" / "09_tochigi.yaml", path)
    return path


def test_saved_yaml_drops_the_comment_its_new_value_contradicts(tochigi):
    """「調査時点では構築中」 beside ``status: building`` goes when the status becomes running."""
    session = W.Session.from_file(tochigi)
    editor = W.PlatformEditor(session)
    editor.chooser.value = "tochigi-pref"
    editor.fields["status"].control.value = "running"
    assert editor.apply(), editor.status.text
    assert editor.save() == tochigi
    text = tochigi.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if "status: running" in x)
    assert "構築中" not in line
    assert "# 栃木県" in text and "# 非パーソナルのみ" in text  # the other comments stay


def test_plan_editor_saves_autosaves_and_restores(sample_copy):
    session = W.Session.from_file(sample_copy)
    editor = W.PlanEditor(session)
    editor.chooser.value = "c1-1"
    editor.duration.value = 7
    assert editor.apply(), editor.message.text
    assert editor.dirty and "保存していません" in editor.status.text
    labels = [label for label, v in editor.saving.restore_choice.options if v is not None]
    assert len(labels) == 1 and labels[0].startswith("令和")  # the autosave, by its date and time
    assert editor.save() == sample_copy and not editor.dirty
    again = W.Session.from_file(sample_copy)
    assert wb.action_plan(again.pref).item("c1-1").duration == 7
    editor.duration.value = 9
    assert editor.apply()
    editor.saving.restore_choice.value = editor.saving.restore_choice.options[-1][1]  # the first: 7 months
    assert editor.restore(), editor.status.text
    assert editor.plan.item("c1-1").duration == 7


def test_plan_editor_start_date_gives_real_dates(sample_copy):
    session = W.Session.from_file(sample_copy)
    editor = W.PlanEditor(session)
    editor.plan_start.value = "令和9年4月1日"  # as staff type it (2027-04-01 is read too)
    assert editor.apply(), editor.messages["plan_start"].text
    assert session.pref.plan.start == dt.date(2027, 4, 1)
    assert "令和9年4月1日" in editor.table.value and "令和9年度" in editor.table.value


def test_vision_editor_puts_purposes_and_kpis_in_the_file(tochigi):
    session = W.Session.from_file(tochigi)
    card = W.VisionCard(session)
    editor = W.VisionEditor(session)
    editor.purposes.value = ("cost_reduction", "wide_area_dx", "service_sharing")
    editor.kpi_chooser.value = "__new__"
    editor.kpi_code.value = "api_calls"
    editor.kpi_target.value = 1000
    editor.kpi_notes.value = "仮定（説明用）"
    assert editor.apply(), editor.message.text
    assert "サービスの共同利用促進" in card.card.value  # the card follows at once
    assert editor.save()
    saved = wb.load(tochigi).vision
    assert saved.purposes == ["cost_reduction", "wide_area_dx", "service_sharing"]
    assert saved.kpis[-1].code == "api_calls" and saved.kpis[-1].notes == "仮定（説明用）"


def test_vision_editor_refuses_a_bad_kpi(tochigi):
    session = W.Session.from_file(tochigi)
    editor = W.VisionEditor(session)
    before = session.pref
    editor.kpi_chooser.value = 0
    editor.kpi_baseline_year.value = "来年"
    assert not editor.apply()
    assert "西暦" in editor.messages["baseline_year"].text and session.pref is before  # beside the field


def test_editors_never_write_the_shipped_samples():
    session = W.Session.from_sample("07")
    editor = W.PlanEditor(session)
    editor.duration.value = editor.duration.value + 1
    assert editor.apply()
    assert editor.save() is None and "同梱" in editor.status.text
    folder = wb.reference.data_dir() / "prefectures"
    assert not list(folder.glob("*.autosave")) and not list(folder.glob("*.bak"))


# --- multi-selects ------------------------------------------------------------------------------------------


def test_multichoice_click_adds_one():
    c = W.MultiChoice(
        "構成", [("個人認証サービス", "auth"), ("非パーソナル", "non_personal"), ("パーソナル", "personal")]
    )
    c.buttons[0].value = True
    c.buttons[2].value = True
    assert c.value == ("auth", "personal")
    c.buttons[0].value = False
    assert c.value == ("personal",)
    assert c.summary_text() == "1 / 3 件を選択: パーソナル"


def test_all_municipalities_is_explicit(sample_copy):
    session = W.Session.from_file(sample_copy)
    editor = W.PlatformEditor(session)
    users = editor.fields["municipalities"].control
    editor.chooser.value = "aizu-platform"
    assert not users.all_chosen and "会津若松市" in users.summary_text()
    # a prefecture's platform with no list: every municipality, and said so
    pref = session.pref.model_copy()
    p0 = pref.platforms[0].model_copy(update={"municipalities": None})
    pref.platforms = [p0, *pref.platforms[1:]]
    session.set(pref)
    editor.chooser.value = "pref-platform"
    assert users.all_chosen and users.summary_text().startswith("すべて")
    assert "municipalities" not in editor.form_data()  # still omitted in the file: all, by CONTRACT.md
    users.all_chosen = False
    users.value = ()
    assert "県内すべての市区町村" in users.summary_text()  # what an empty choice means, written out


# --- exports and notebooks ----------------------------------------------------------------------------------


def test_exports_leave_no_backup(tmp_path):
    from workbench.exports import frame_csv, frames_xlsx

    df = pd.DataFrame({"a": [1]})
    for _ in range(2):
        frame_csv(df, tmp_path / "x.csv")
        frames_xlsx({"x": df}, tmp_path / "x.xlsx")
    assert not list(tmp_path.glob("*.bak"))


def test_saved_notebook_keeps_the_placeholder_not_the_view():
    from workbench.widgets.notebook import WIDGET_VIEW, pre_save_hook

    view = {"model_id": "abc", "version_major": 2, "version_minor": 0}
    nb = {
        "metadata": {"widgets": {"application/vnd.jupyter.widget-state+json": {}}},
        "cells": [
            {
                "cell_type": "code",
                "outputs": [
                    {
                        "output_type": "display_data",
                        "data": {WIDGET_VIEW: view, "text/plain": "PlanEditor（対話部品…）"},
                    },
                    {"output_type": "display_data", "data": {WIDGET_VIEW: view}},
                    {"output_type": "stream", "name": "stdout", "text": "福島県"},
                ],
            }
        ],
    }
    model = {"type": "notebook", "content": nb}
    pre_save_hook(model=model, path="x.ipynb", contents_manager=None)
    outs = nb["cells"][0]["outputs"]
    assert "widgets" not in nb["metadata"]
    assert [o.get("data", {}) for o in outs] == [{"text/plain": "PlanEditor（対話部品…）"}, {}]


def test_one_money_formatter():
    """Money has one formatter (``workbench.text.money_ja``: chosen or fixed unit); the old names are gone."""
    from workbench import text

    assert not hasattr(text, "yen_ja") and not hasattr(text, "yen_text")
    assert money_ja(325_000_000) == money_ja(325_000_000, "億円") == "3.25億円"
    assert money_ja(45_800_000) == "4,580万円" and money_ja(9_999) == "9,999円"
