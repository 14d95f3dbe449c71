"""The national view: synthetic files, the batch summary and its CLI."""

import pytest

import workbench as wb
from workbench import reference
from workbench.batch import national_totals, run_batch
from workbench.cli import main
from workbench.synth import SYNTH_MARK, synth_data, synth_yaml


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path / "cache"))


def test_synth_is_deterministic_labelled_and_valid():
    assert synth_yaml("01") == synth_yaml("01")
    assert synth_yaml("01") != synth_yaml("01", seed=1)
    text = synth_yaml("13")
    assert "合成データ" in text.splitlines()[0]
    pref = wb.loads(text)
    assert pref.synthetic and pref.code == "13"
    assert all(p.name.startswith(SYNTH_MARK) for p in pref.platforms)


def test_synth_uses_real_municipalities_only():
    for code in ("01", "07", "47"):
        data = synth_data(code)
        known = set(reference.municipalities_of(code)["code"])
        for p in data["platforms"]:
            assert set(p["municipalities"]) <= known


def test_every_prefecture_has_a_loadable_file():
    for code in reference.prefectures()["code"]:
        pref = wb.load(wb.sample_path(code))
        assert pref.code == code


def test_batch_national_summary_covers_the_census():
    df, errors = run_batch()
    assert errors == []
    t = national_totals(df)
    assert t["prefectures"] == 47 and t["municipalities"] == 1741 and t["population"] == 126_146_099
    assert t["synthetic"] == 47 - 4
    row = df.set_index("code").loc["07"]
    c = wb.classify(wb.load_sample("07"))
    assert row["current_type"] == c.current_type and row["pattern"] == c.pattern and not row["synthetic"]
    assert row["members"] == len(wb.allocate(wb.load_sample("07")).members)
    hokkaido = df.set_index("code").loc["01"]
    assert hokkaido["members"] == 179
    # the national charts draw these rows: 47 prefectures by today's type, and each one's costs
    from workbench.charts.national import national_savings, national_types

    fig = national_types(df)
    kinds = df["current_type"].fillna("判定できない")  # a combination (「1.3+1.4+1.4」) counted as what it is
    drawn: dict[str, int] = {}
    for t in fig.data:
        for kind, n in zip(t.x, t.y, strict=True):
            drawn[kind] = drawn.get(kind, 0) + int(n)
    assert drawn == kinds.value_counts().to_dict() and sum(drawn.values()) == 47
    order = list(fig.layout.xaxis.categoryarray)  # the types in their order, combinations after their first
    assert order == sorted(
        order, key=lambda t: tuple(float(x) for x in t.split("+")) if t[0].isdigit() else (9,)
    )
    assert len({fig.layout.title.text, national_savings(df).layout.title.text}) == 2
    assert {t.name for t in fig.data} == {"合成データ", "サンプル（ガイドの事実＋仮定）"}
    fig = national_savings(df)
    alone, shared = ({n: v for n, v in zip(t.x, t.y, strict=True)} for t in fig.data)
    costed = df.dropna(subset=["shared_total"]).set_index("name")
    assert set(shared) == set(costed.index) and len(shared) >= 40
    assert shared["福島県"] == pytest.approx(costed.loc["福島県", "shared_total"] / 1e8)  # 億円 on the axis
    assert alone["福島県"] == pytest.approx(costed.loc["福島県", "standalone_total"] / 1e8)
    assert fig.layout.yaxis.title.text == "億円"


def test_batch_cli_writes_safe_csv_and_xlsx(tmp_path, capsys):
    csv, xlsx, html = tmp_path / "n.csv", tmp_path / "n.xlsx", tmp_path / "n.html"
    assert (
        main(
            [
                "batch",
                "--prefectures",
                "07,三重県",
                "--csv",
                str(csv),
                "--xlsx",
                str(xlsx),
                "--html",
                str(html),
                "--quiet",
            ]
        )
        == 0
    )
    text = csv.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("コード,都道府県")
    assert "福島県" in text and "三重県" in text
    from openpyxl import load_workbook

    ws = load_workbook(xlsx).active
    assert ws.cell(1, 2).value == "都道府県"
    # it prints like the plan workbook (the header on every page, page numbers), but its 29 columns are too wide
    # for one A4 page at a size anyone reads (22 % before): A3, over pages across, code and name repeated on each
    from openpyxl.utils import get_column_letter

    from workbench import sheetkit

    width = sum(ws.column_dimensions[get_column_letter(i)].width for i in range(1, ws.max_column + 1))
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A3) and ws.page_setup.fitToWidth >= 2
    assert width / ws.page_setup.fitToWidth <= sheetkit.A3_LANDSCAPE_UNITS * sheetkit.SHRINK_LIMIT
    assert (
        ws.print_title_rows == "$1:$1" and ws.print_title_cols == "$A:$B" and "&P" in ws.oddFooter.center.text
    )
    head = [c.value for c in ws[1]]
    row = {h: c for h, c in zip(head, ws[2], strict=True)}
    assert (
        row["合成データ"].value == "—"
        and row["パターン"].value == "該当なし（運用中の基盤はすべて共同利用中）"
    )  # issue 22: no 8.2 move left
    money = row["共同利用の費用（現在価値・円）"]
    assert isinstance(money.value, int) and money.number_format in ("#,##0", "#,##0_ ")  # whole 円
    assert "True" not in text and "False" not in text and "|" not in text  # no codes, ○/— and labels
    page = html.read_text(encoding="utf-8")
    assert '<script src="http' not in page and "plotly" in page
    assert "福島県" in capsys.readouterr().out


def test_batch_cli_unknown_prefecture_exits_2(capsys):
    assert main(["batch", "--prefectures", "07,ムー"]) == 2
    assert "ムー" in capsys.readouterr().err


def test_synth_cli(tmp_path):
    out = tmp_path / "s.yaml"
    assert main(["synth", "沖縄", "--out", str(out)]) == 0
    assert wb.load(out).name == "沖縄県"


def test_a_table_prints_on_the_paper_its_width_needs():
    """Narrow tables on A4 one page across; wide ones on A3 (offices print wide lists on A3); the national
    summary's width over several A3 pages across rather than shrunk below a readable size."""
    from workbench.sheetkit import paper_for

    assert paper_for(120) == ("A4", 1)
    assert paper_for(240) == ("A3", 1)
    paper, across = paper_for(374)
    assert paper == "A3" and across == 2


def test_fewer_collections_restores_the_collector_as_it_found_it():
    """run_batch collects garbage less often while it runs (batch.fewer_collections) and leaves the collector's
    thresholds and frozen objects as they were, also after an error and when the caller froze objects itself."""
    import gc

    from workbench.batch import BATCH_GC_THRESHOLD, fewer_collections

    before = gc.get_threshold()
    assert gc.get_freeze_count() == 0
    with pytest.raises(RuntimeError), fewer_collections():
        assert gc.get_threshold()[0] == max(before[0], BATCH_GC_THRESHOLD)
        assert gc.get_freeze_count() > 0  # what was alive before is out of the collector's sight
        raise RuntimeError
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    gc.freeze()  # a dashboard kernel's baseline (widgets.dashboards.freeze_baseline)
    try:
        frozen = gc.get_freeze_count()
        with fewer_collections():
            assert gc.get_freeze_count() == frozen
        assert gc.get_freeze_count() == frozen and gc.get_threshold() == before
    finally:
        gc.unfreeze()
    import weakref

    class Node:
        pass

    with fewer_collections():  # a reference cycle made inside is still collected
        node = Node()
        node.self = node
        alive = weakref.ref(node)
        del node
        gc.collect()
        assert alive() is None
