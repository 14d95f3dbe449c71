"""The meeting deck (python-pptx) and the vision as Word (python-docx), read back: slide titles, chart types,
series values equal to what the library computes on its own, sources in the notes, Japanese fonts; headings
and tables of the document; the dashboards' download button. Rendering with LibreOffice (when installed) writes
PNG pages to artifacts/ for a person to look at."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE
from pptx.oxml.ns import qn

import workbench as wb
from workbench import geo
from workbench.auth import match_auth
from workbench.classify import classify
from workbench.cost import allocate, compare
from workbench.deck import FONT, build
from workbench.plan import action_plan, vision
from workbench.samples import load_sample

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "prefectures" / "07_fukushima.yaml"
ON = dt.date(2026, 12, 1)
#: 福島県's deck, in the order a 部長 decides from (issue 23): 結論 → 現状 → 課題 → 選択肢と費用 → 推奨とその理由 →
#: 費用負担 → スケジュール → 決めていただきたいこと・次の一歩 → 出典; each title states the slide's conclusion
TITLES = [
    "福島県",
    "県の基盤に集約（型2.4）を推奨：5年間で費用9,300万円減、18か月で型2.4へ",
    "今は型2.8（条件未達: 個人認証レベルの整合）：運用中の基盤2件",  # issue 22: the 7.1 flow; no 8.2 move left
    "59団体のうち10団体が運用中の基盤を利用",
    "運用中の基盤：個人認証サービス2件・非パーソナル基盤2件・パーソナル基盤2件",
    "課題13件、うち重要度「高」4件（1/3）",
    "課題13件、うち重要度「高」4件（2/3）",
    "課題13件、うち重要度「高」4件（3/3）",
    "サインインが必要な4サービスのうち2件で認証レベルが不足",
    "選択肢3つ：5年間の費用は5.70億円〜6.63億円（現在価値）",
    "県の基盤に集約（型2.4）を推奨（評点84点、次点 現状維持 68点）",
    "型2.8（条件未達） → 型2.4 の順に進める",
    "シャープレイ値では県4.38億円・市町村計1.33億円、どのルールでも単独より高い団体なし",
    "8つの配分ルールすべてで全団体が単独より安い（1/2）",
    "8つの配分ルールすべてで全団体が単独より安い（2/2）",
    "令和8年4月から18か月で型2.4へ（取組26件）",
    "決めていただきたいこと7件と次の一歩",
    "出典",
]


@pytest.fixture(scope="module")
def pref():
    return load_sample("07")


@pytest.fixture(scope="module")
def built(pref):
    return build(pref, on=ON, today=ON)


@pytest.fixture(scope="module")
def prs(built):
    return Presentation(io.BytesIO(built[0].save()))


def _charts(slide) -> list:
    return [s.chart for s in slide.shapes if s.has_chart]


def _by_title(prs, title: str):
    return next(s for s in prs.slides if s.shapes.title.text.startswith(title))


def test_titles_state_conclusions_in_the_title_placeholder(prs):
    from pptx.enum.shapes import PP_PLACEHOLDER

    titles = []
    for s in prs.slides:
        t = s.shapes.title  # the layout's real title placeholder: the outline view and screen readers read it
        assert t is not None and t.is_placeholder
        assert t.placeholder_format.type in (PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE)
        titles.append(t.text)
    assert titles == TITLES
    assert prs.slide_width / prs.slide_height == pytest.approx(16 / 9, rel=1e-3)


def _boxes(slide):
    """(name, left, top, right, bottom) in inches of what a slide shows, the blue bar and the footer aside."""
    from workbench.deck import FOOTER_TOP

    out = []
    for sh in slide.shapes:
        top = sh.top / 914400
        if top < 0.15 or top >= FOOTER_TOP - 1e-6:  # the bar at the top; page number and footer
            continue
        out.append(
            (sh.name, sh.left / 914400, top, (sh.left + sh.width) / 914400, (sh.top + sh.height) / 914400)
        )
    return out


@pytest.mark.parametrize("code", ["07", "09", "synthetic-01"])
def test_nothing_overlaps_or_runs_off_a_slide(code, tmp_path):
    """Text boxes, tables (as tall as their wrapped rows) and charts neither overlap nor reach the footer."""
    from workbench.deck import FOOTER_TOP, HIGH, WIDE

    p = _synthetic_01() if code == "synthetic-01" else load_sample(code)
    deck = Presentation(io.BytesIO(build(p, on=ON, today=ON)[0].save()))
    for k, slide in enumerate(deck.slides, 1):
        boxes = _boxes(slide)
        for name, _x0, _y0, x1, y1 in boxes:
            assert x1 <= WIDE + 1e-6 and y1 <= HIGH, (k, name)
            if k > 1:
                assert y1 <= FOOTER_TOP + 1e-6, (k, name, y1)
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                overlap_x = min(a[3], b[3]) - max(a[1], b[1])
                overlap_y = min(a[4], b[4]) - max(a[2], b[2])
                assert overlap_x <= 1e-6 or overlap_y <= 1e-6, (code, k, slide.shapes.title.text, a, b)


def _synthetic_01():
    from workbench.synth import synth_yaml

    return wb.loads(synth_yaml("01"))


def test_order_follows_the_decision(prs):
    titles = [s.shapes.title.text for s in prs.slides]

    def first(prefix: str) -> int:
        return next(i for i, t in enumerate(titles) if t.startswith(prefix))

    order = [
        first("県の基盤に集約（型2.4）を推奨："),  # 結論（要旨）
        first("今は型"),  # 現状
        first("課題"),  # 課題
        first("選択肢"),  # 選択肢と費用
        first("県の基盤に集約（型2.4）を推奨（"),  # 推奨とその理由
        first("シャープレイ値では"),  # 費用負担
        first("令和8年4月から"),  # スケジュール
        first("決めていただきたいこと"),  # 決めていただきたいこと・次の一歩
        first("出典"),
    ]
    assert order == sorted(order)


def test_every_slide_names_its_sources_in_the_notes(prs):
    for s in prs.slides:
        notes = s.notes_slide.notes_text_frame.text
        assert notes.startswith("出典:") and len(notes.splitlines()) >= 2, notes


def test_japanese_font_everywhere(prs):
    """Every run's Latin font has an East Asian twin, in slides and in charts."""
    parts = [s._element for s in prs.slides] + [c._chartSpace for s in prs.slides for c in _charts(s)]
    n = 0
    for el in parts:
        for latin in el.iter(qn("a:latin")):
            ea = latin.getnext()
            assert ea is not None and ea.tag == qn("a:ea") and ea.get("typeface") == FONT
            assert latin.get("typeface") == FONT
            n += 1
    assert n > 100


def test_conclusion_slide_says_the_recommendation_and_its_numbers(prs, built):
    c = built[1]
    texts = [sh.text_frame.text for sh in prs.slides[1].shapes if sh.has_text_frame]
    b = c.options.best
    assert any(f"推奨: {b.label}" in t for t in texts)
    assert any("現状維持より9,300万円減" in t for t in texts)
    assert any("決めていただきたいこと: 7件" in t for t in texts)


def test_options_slide_is_the_options_table(prs, built):
    slide = _by_title(prs, "選択肢3つ")
    table = next(s.table for s in slide.shapes if s.has_table)
    rows = [[cell.text for cell in r.cells] for r in table.rows]
    opts = built[1].options
    assert [r[0] for r in rows[1:]] == [("※" if o.is_target else "") + o.label for o in opts.options]
    assert rows[3][-1] == "◎"
    chart = _charts(slide)[0]
    pref_part = list(chart.plots[0].series[0].values)
    assert pref_part == pytest.approx([o.prefecture_cost / 1e8 for o in opts.options])


def test_counts_chart_is_native_with_the_classification_counts(prs, pref):
    chart = _charts(_by_title(prs, "運用中の基盤："))[0]
    assert chart.chart_type == XL_CHART_TYPE.COLUMN_CLUSTERED
    c = classify(pref).counts
    assert list(chart.plots[0].series[0].values) == [c.auth, c.non_personal, c.personal]
    assert list(chart.plots[0].categories) == ["個人認証サービス", "非パーソナル基盤", "パーソナル基盤"]


def test_map_is_a_native_xy_chart_of_every_municipality(prs, pref):
    chart = _charts(_by_title(prs, "59団体のうち"))[0]
    assert chart.plots[0]._element.tag == qn("c:scatterChart")  # an XY scatter, editable in PowerPoint
    series = list(chart.plots[0].series)
    assert series[0].name == "県境"
    assert len(series[0].values) == len(geo.prefecture_outline("07"))
    df = geo.use_frame(pref)
    counts = df["group"].value_counts()
    names = {s.name for s in series[1:]}
    assert names == {f"{g}（{n}）" for g, n in counts.items()}
    assert sum(len(s.values) for s in series[1:]) == len(df) == 59
    pts = geo.municipal_points().set_index("code")
    koriyama = next(s for s in series if s.name.startswith("福島県データ連携基盤"))
    assert pts.loc["072036", "lat"] in list(koriyama.values)  # y values are latitudes


def test_cost_chart_series_equal_each_rules_allocation(prs, pref):
    chart = _charts(_by_title(prs, "シャープレイ値では"))[0]
    assert chart.chart_type == XL_CHART_TYPE.COLUMN_CLUSTERED
    got = {s.name: list(s.values) for s in chart.plots[0].series}
    comp = compare(pref)
    for rule, a in comp.allocations.items():
        expected = [m.share / 1e4 for m in allocate(pref, rule).members]
        assert got[a.rule_label] == pytest.approx(expected, rel=1e-9)
    shapley = allocate(pref, "shapley")
    assert got["単独の費用"] == pytest.approx([m.standalone / 1e4 for m in shapley.members])
    assert list(chart.plots[0].categories) == [m.name for m in shapley.members]


def test_179_municipalities_are_summarised_in_the_charts():
    from workbench.deck import MAX_CATEGORIES, MAX_GANTT_ROWS, cost_categories, schedule_series

    p = _synthetic_01()
    _, c = build(p, on=ON, today=ON)
    names, series = cost_categories(c)
    assert len(names) == MAX_CATEGORIES
    assert names[-1] == f"その他{179 - MAX_CATEGORIES + 1}団体（平均）"
    full = allocate(p, c.options.rule)
    shares = sorted((m.share / 1e4 for m in full.members), reverse=True)
    rule = series[c.options.rule_label]
    assert rule[:-1] == pytest.approx(shares[: MAX_CATEGORIES - 1])
    assert rule[-1] == pytest.approx(sum(shares[MAX_CATEGORIES - 1 :]) / (179 - MAX_CATEGORIES + 1))
    cats, _, _ = schedule_series(c)
    assert len(cats) <= MAX_GANTT_ROWS


def test_fairness_flags_follow_the_audit(prs, pref):
    from workbench.cost import audit_rules

    rows = []
    for slide in prs.slides:
        if slide.shapes.title.text.startswith("8つの配分ルール"):
            table = next(s.table for s in slide.shapes if s.has_table)
            rows += [[c.text for c in r.cells] for r in list(table.rows)[1:]]
            assert [c.text for c in table.rows[0].cells][:4] == ["配分ルール", "個別合理性", "コア", "単調性"]
    report = audit_rules(pref)
    assert len(rows) == len(report.audits)
    for row, a in zip(rows, report.audits.values(), strict=True):
        assert row[0] == a.rule_label
        assert row[1] == ("○" if a.individually_rational else "×")
        assert row[2] == ("—" if a.in_core is None else "○" if a.in_core else "×")


def test_auth_chart_is_offered_minus_required(prs, pref):
    chart = _charts(_by_title(prs, "サインインが必要な"))[0]
    assert chart.chart_type == XL_CHART_TYPE.BAR_CLUSTERED
    m = match_auth(pref, on=ON)
    rows = [s for s in m.services if s.basis != "none"]
    proof, auth = list(chart.plots[0].series)
    assert list(proof.values) == [s.offered.proofing - s.required.proofing for s in rows]
    assert list(auth.values) == [s.offered.authenticator - s.required.authenticator for s in rows]
    # 会津ヘルスケア needs public personal authentication (guide 4.1: 「公的な個人認証が必要なサービス（健康保険・
    # ヘルスケア・電子申請など）」, level 3) on the 会津 platform (当人認証 1, the sample's assumption): short by two
    health = next(i for i, s in enumerate(rows) if s.service == "aizu-health")
    assert auth.values[health] == -2


def test_a_slide_with_nothing_to_show_is_left_out():
    # 栃木県: no service needs sign-in (那須塩原市の基盤 is non-personal only, guide 2.2 No.4): no auth slide
    d, _ = build(load_sample("09"), on=ON, today=ON)
    titles = [s.shapes.title.text for s in d.prs.slides]
    assert not any("サインイン" in t or "認証レベル" in t for t in titles)
    # every slide but the cover shows more than its bar, title, lead, page number and footer
    assert all(len(s.shapes) > 5 for s in list(d.prs.slides)[1:])


def test_schedule_is_a_gantt_grouped_by_consideration(prs, pref, built):
    from workbench.deck import schedule_series

    chart = _charts(_by_title(prs, "令和8年4月から"))[0]
    assert chart.chart_type == XL_CHART_TYPE.BAR_STACKED
    plan = action_plan(pref)
    cats, starts, durations = schedule_series(built[1])
    lead, bars = list(chart.plots[0].series)
    assert list(chart.plots[0].categories) == cats
    assert list(lead.values) == starts and list(bars.values) == durations
    # 37 items: one row per consideration (its items' count in the label) and the critical path by name
    groups = [c for c in cats if not c.startswith("★")]
    assert sum(int(g.rsplit("（", 1)[1].rstrip("件）")) for g in groups) == len(plan.items)
    assert [c[1:] for c in cats if c.startswith("★")] == sorted(
        (i.title for i in plan.items if i.critical), key=lambda t: cats.index("★" + t)
    )
    assert len([c for c in cats if c.startswith("★")]) == sum(i.critical for i in plan.items)


def test_a_schedule_starting_before_the_date_of_the_deck_is_flagged(prs):
    slide = _by_title(prs, "令和8年4月から")
    texts = {sh.text_frame.text for sh in slide.shapes if sh.has_text_frame}
    assert (
        "開始月（令和8年4月）が作成日（令和8年（2026年）12月1日）より前です。開始月を見直してください"
        in texts
    )


def test_a_plan_without_start_reads_as_japanese(pref):
    p = pref.model_copy(update={"plan": pref.plan.model_copy(update={"start": None})})
    d, _ = build(p, on=ON, today=ON)
    slide = next(s for s in d.prs.slides if s.shapes.title.text.startswith("開始から"))
    assert slide.shapes.title.text.startswith("開始から18か月で型2.4へ")
    texts = " ".join(sh.text_frame.text for sh in slide.shapes if sh.has_text_frame)
    assert "開始月未設定から" not in texts
    assert "計画の開始月が未設定です" in texts


def test_deck_without_costs_leaves_the_cost_slides_out(pref):
    d, c = build(pref.model_copy(update={"costs": None}), on=ON, today=ON)
    assert c.comparison is None
    titles = [s.shapes.title.text for s in d.prs.slides]
    assert "選択肢3つ（費用の前提がないため費用は不明）" in titles
    assert not any(t.startswith(("シャープレイ値", "8つの配分ルール")) for t in titles)


def test_decisions_slide_lists_who_decides_what(prs, built):
    slide = _by_title(prs, "決めていただきたいこと")
    table = next(s.table for s in slide.shapes if s.has_table)
    rows = [[c.text for c in r.cells] for r in list(table.rows)[1:]]
    b = built[1].options.best
    assert [(r[0], r[1]) for r in rows] == [(x.who_label, x.text) for x in b.decisions]
    texts = " ".join(sh.text_frame.text for sh in slide.shapes if sh.has_text_frame)
    assert "次の一歩" in texts and "令和8年4月から" in texts


def test_cli_deck_and_bad_input(tmp_path, capsys):
    from workbench.cli import main

    out = tmp_path / "deck.pptx"
    assert main(["deck", str(SAMPLE), "--pptx", str(out), "--on", "2026-12-01"]) == 0
    assert len(Presentation(str(out)).slides) == len(TITLES)
    bad = tmp_path / "bad.pptx"
    assert (
        main(["deck", str(ROOT / "tests" / "bad_inputs" / "syntax_bad_indent.yaml"), "--pptx", str(bad)]) == 2
    )
    assert not bad.exists()
    assert "エラー" in capsys.readouterr().err


# --- the vision as Word ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def doc(pref):
    from docx import Document

    from workbench.vision_docx import vision_docx_bytes

    return Document(io.BytesIO(vision_docx_bytes(pref)))


def test_docx_headings(doc):
    heads = [(p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert heads[0] == ("Title", "福島県 共同利用ビジョン")
    level1 = [t for s, t in heads if s == "Heading 1"]
    assert level1 == [
        "ビジョン",
        "1. 共同利用の目的",
        "2. 目指す共同利用の型",
        "3. 目指す型の選択肢と推奨",
        "4. 運営組織",
        "5. 費用負担",
        "6. KPI",
        "7. 基盤の俯瞰図（Step 1）",
        "8. 実行計画（Step 3）",
    ]
    assert ("Heading 2", "福島県データ連携基盤（仮称）") in heads


def test_docx_kpi_table_equals_the_vision(doc, pref):
    kpis = vision(pref).kpis_frame()
    table = next(t for t in doc.tables if [c.text for c in t.rows[0].cells] == list(kpis.columns))
    body = [[c.text for c in r.cells] for r in table.rows[1:]]
    from workbench.staff import prose_ja

    # the cells as written, with the sources in Japanese (「ガイドブック 8.3」, 「入力値」)
    assert body == [
        [prose_ja("" if v is None else str(v)) for v in row] for row in kpis.itertuples(index=False)
    ]
    assert table.style.name == "Table Grid"


def test_docx_tables_and_fonts(doc, pref):
    plan = action_plan(pref)
    gantt = next(t for t in doc.tables if t.rows[0].cells[0].text == "番号")
    assert len(gantt.rows) == len(plan.items) + 1
    assert [c.text for c in gantt.rows[0].cells] == [
        "番号",
        "取組事項",
        "担当",
        "期間",
        "月数",
        "前提の取組",
        "クリティカルパス",
    ]
    numbers = plan.numbers()
    assert [r.cells[0].text for r in gantt.rows[1:]] == [numbers[i.id] for i in plan.items]
    shares = next(t for t in doc.tables if [c.text for c in t.rows[0].cells][:2] == ["団体", "負担額"])
    assert all(cell.text.endswith(("万円", "億円")) for cell in shares.columns[1].cells[1:])
    # the members by name: no municipality code column, no code in any cell (issue: staff read names)
    assert not any(c.text.isdigit() and len(c.text) == 6 for c in shares.columns[0].cells)
    # quantities as whole numbers: the overviews' 量 is 「1」, never 「1.0」
    flows = [t for t in doc.tables if [c.text for c in t.rows[0].cells][:3] == ["接続元", "接続先", "量"]]
    amounts = [c.text for t in flows for c in t.columns[2].cells[1:]]
    assert "1" in amounts and not any(a.endswith(".0") for a in amounts)
    fonts = doc.styles["Normal"].element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == "Meiryo"


def test_docx_prints_and_files(doc):
    """The plan on A4 landscape, page numbers in every footer, header rows repeated on every page, rows that
    do not break, headings kept with what follows."""
    from docx.enum.section import WD_ORIENT

    portrait, landscape = doc.sections[0], doc.sections[-1]
    assert portrait.orientation == WD_ORIENT.PORTRAIT and landscape.orientation == WD_ORIENT.LANDSCAPE
    assert landscape.page_width > landscape.page_height
    for sec in doc.sections:
        instr = " ".join(t.text for t in sec.footer._element.iter(qn("w:instrText")))
        assert "PAGE" in instr and "NUMPAGES" in instr
    for t in doc.tables:
        assert t.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    heads = [p for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert heads and all(p.paragraph_format.keep_with_next for p in heads)
    # the plan's columns as wide as staff need them (mm): 取組事項 the widest
    plan = next(t for t in doc.tables if t.rows[0].cells[0].text == "番号")
    widths = [c.width.mm for c in plan.columns]
    assert widths[1] == max(widths) and sum(widths) <= 267 + 1


def test_docx_names_not_ids(doc, pref):
    ids = (
        {p.id for p in pref.platforms}
        | {s.id for s in pref.services}
        | {i.id for i in action_plan(pref).items}
    )
    text = "\n".join(p.text for p in doc.paragraphs)
    text += "\n".join(c.text for t in doc.tables for r in t.rows for c in r.cells)
    import re

    words = set(re.findall(r"[A-Za-z0-9][A-Za-z0-9_-]*", text))
    assert not (ids & words), ids & words


def test_cli_vision_docx(tmp_path):
    from docx import Document

    from workbench.cli import main

    out = tmp_path / "v.docx"
    assert main(["vision", str(SAMPLE), "--docx", str(out)]) == 0
    assert Document(str(out)).paragraphs[0].text == "福島県 共同利用ビジョン"


# --- the dashboards' button -------------------------------------------------------------------------------


def test_deck_download_button(pref):
    import base64
    import re

    from workbench.widgets import DeckDownload, Session

    s = Session()
    s.set(pref)
    button = DeckDownload(s)
    data = button.build()
    assert data[:2] == b"PK"
    m = re.search(r"download='([^']+)' href='data:([^;]+);base64,([^']+)'", button.link.value)
    assert m and m.group(1).startswith("07_福島県_共同利用_検討資料_") and m.group(1).endswith(".pptx")
    assert base64.b64decode(m.group(3)) == data
    s.set(load_sample("09"))
    assert button.link.value == "" and button.data is None


# --- rendered to images (needs LibreOffice and poppler from Debian) ---------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(
    not (shutil.which("soffice") and shutil.which("pdftoppm")), reason="needs LibreOffice + pdftoppm"
)
def test_render_deck_and_document(tmp_path, pref):
    from workbench.deck import write_deck
    from workbench.vision_docx import write_vision_docx

    art = ROOT / "artifacts" / "office"
    art.mkdir(parents=True, exist_ok=True)
    files = [
        write_deck(pref, tmp_path / "deck_07.pptx", on=ON, today=ON),
        write_vision_docx(pref, tmp_path / "vision_07.docx"),
    ]
    env = {"HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    for f in files:
        subprocess.run(
            ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(f)],
            check=True,
            env=env,
            timeout=240,
            capture_output=True,
        )
        pdf = f.with_suffix(".pdf")
        assert pdf.exists()
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(art / f.stem)], check=True, timeout=120)
    assert len(list(art.glob("deck_07-*.png"))) == len(TITLES)
    assert wb  # the package imported (keeps the import used)
