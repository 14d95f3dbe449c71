"""Names, not ids, in everything staff receive (issue 23 point 4): every take-away rendered for the bundled samples
— the deck, the Word vision, the vision as HTML and Markdown, the one-file snapshot, the plan workbook, the data
map's workbook and 公開API一覧 (xlsx and HTML), the 課題リスト CSV and the national summary (CSV, xlsx, HTML) — and
each text in it (a paragraph, a cell, a chart's category) checked for:

* an id of the file (platforms, services, plan items, data assets) as a word;
* a key of the file (the prefecture file's field names: ``operated_by``, ``service_scheme`` …) as a word;
* an English word, apart from the abbreviations Japanese offices write (API, ID, eKYC …), citations of the
  literature the cost rules rest on, and words the file itself uses in its names and values;
* an ISO date (``2027-03-31``, ``2026-04``): dates are written in 令和.

The JSON and the analysts' frames keep the ids (other tests).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from office_text import docx_text, pptx_text, xlsx_text  # noqa: I001
from pydantic import BaseModel
from test_staff_text import html_fragments  # noqa: I001

import workbench as wb
from workbench import reference
from workbench.inventory import Prefecture

SAMPLES = ["07", "09", "10", "24"]

#: abbreviations and names Japanese offices write in Latin letters
ALLOWED = {
    *(
        "API",
        "APIs",
        "ID",
        "IDs",
        "IdP",
        "IC",
        "PIN",
        "QR",
        "SNS",
        "SMS",
        "eKYC",
        "DX",
        "KPI",
        "MAU",
        "NGSI",
        "LD",
    ),
    *("REST", "CSV", "GIS", "OS", "IT", "AI", "LGWAN", "Step", "Well", "Being", "NW", "SI", "PDF", "Excel"),
    *(
        "Word",
        "PowerPoint",
        "HTML",
        "Stat",
        "JpGeocode",
        "japanmap",
        "MIT",
        "Apache",
        "DS",
        "NIST",
        "SP",
        "TVA",
    ),
    *(
        "HARP",
        "SCRB",
        "Voila",
        "Jupyter",
        "GB",
        "v2",
        "v1",
        "x",
        "NEC",
        "NTT",
        "AiCT",
        "Web",
        "ver",
        "AED",
        "Stat",
    ),
    *("Well", "Being", "NGSI", "LD", "DS", "e", "Apache"),
    "LAN",
    "Appendix",  # the guidebook's own name for its 別冊
    # the literature the cost rules and the fairness audit cite (authors, committees), as it is cited
    *("Shapley", "Gillies", "Maschler", "Peleg", "Schmeidler", "Young", "Okada", "Hashimoto", "Littlechild"),
    *("Owen", "Federal", "Inter", "Agency", "River", "Basin", "Committee", "TVA"),
}


def _model_keys(model: type[BaseModel], seen: set[type] | None = None) -> set[str]:
    """Every field name of the prefecture file (nested models included)."""
    seen = seen if seen is not None else set()
    if model in seen:
        return set()
    seen.add(model)
    out: set[str] = set()
    for name, f in model.model_fields.items():
        out.add(name)
        for t in _types(f.annotation):
            if isinstance(t, type) and issubclass(t, BaseModel):
                out |= _model_keys(t, seen)
    return out


def _types(annotation: object) -> Iterator[object]:
    yield annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        yield from _types(arg)


KEYS = {k for k in _model_keys(Prefecture) if "_" in k or len(k) > 3}


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def _ids(pref: Prefecture) -> set[str]:
    ids = {p.id for p in pref.platforms} | {s.id for s in pref.services}
    try:
        ids |= {i.id for i in wb.action_plan(pref).items}
    except wb.InputError:
        pass
    if pref.data_map is not None:
        ids |= {a.id for a in pref.data_map.assets if getattr(a, "id", None)}
    return {i for i in ids if not i.isdigit()}


WORD = re.compile(r"(?<![A-Za-z0-9_])[A-Za-z][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*(?![A-Za-z0-9_])")
ISO = re.compile(r"(?<![\d.-])\d{4}-\d{2}(?:-\d{2})?(?![\d-])")
FRACTION_YEN = re.compile(r"(?<![\d.])\d{1,3}(?:,\d{3})+\.\d+")  # 437,555,409.58


def _file_words(pref: Prefecture, ids: set[str]) -> set[str]:
    """Latin words in the file's own names and texts (a vendor, a data model), which staff wrote themselves."""
    data = pref.model_dump(exclude={"facts", "assumptions"})
    words = set()
    for text in _strings(data):
        if text in ids:
            continue
        words |= {w for w in re.split(r"[^A-Za-z0-9]+", text) if w}
    return words - ids


def _reference_words() -> set[str]:
    """Latin words the reference data shows staff: labels and quotes of the catalogues, the literature the
    cost rules cite."""
    words: set[str] = set()
    for name in (
        "id_means.csv",
        "service_categories.csv",
        "cost_rules.csv",
        "standard_models.csv",
        "datamap_vocab.csv",
    ):
        df = reference.table(name)
        for col in df.columns:
            if col.endswith(("_ja", "source", "reasoning")) or col in ("label", "name"):
                for v in df[col].dropna().astype(str):
                    words |= {w for w in re.split(r"[^A-Za-z0-9]+", v) if w}
    return words


def offences(text: str, ids: set[str], allowed: set[str]) -> list[str]:
    found = []
    for m in WORD.finditer(text):
        w = m.group(0)
        if w in ids:
            found.append(f"id {w}")
        elif w in KEYS:
            found.append(f"key {w}")
        elif w not in allowed and not all(
            p in allowed or p.isdigit() or (len(p) <= 2 and p.isupper()) for p in w.split("-")
        ):
            found.append(f"word {w}")
    found += [f"date {m.group(0)}" for m in ISO.finditer(text)]
    found += [f"fraction {m.group(0)}" for m in FRACTION_YEN.finditer(text)]
    return found


# --- rendering every take-away ---------------------------------------------------------------------------------


def csv_fragments(path: Path) -> Iterator[tuple[str, str]]:
    for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))):
        for cell in row:
            yield path.name, cell


def takeaways(pref: Prefecture, out: Path) -> Iterator[tuple[str, str]]:
    """Every take-away of one prefecture, written to ``out`` and read back as (where, text) fragments."""
    from workbench.deck import write_deck
    from workbench.exports import frame_csv, frames_xlsx
    from workbench.plan_sheet import plan_xlsx
    from workbench.report import snapshot_html
    from workbench.report_datamap import api_html, write_tables_xlsx
    from workbench.report_vision import vision_html, vision_markdown
    from workbench.vision_docx import write_vision_docx

    yield from pptx_text(write_deck(pref, out / "deck.pptx"))
    yield from docx_text(write_vision_docx(pref, out / "vision.docx"))
    yield from html_fragments(vision_html(pref), "vision.html")
    yield from (("vision.md", line) for line in vision_markdown(pref).splitlines())
    yield from html_fragments(snapshot_html(pref), "snapshot.html")
    yield from xlsx_text(plan_xlsx(pref, out / "plan.xlsx"))
    yield from csv_fragments(frame_csv(wb.classify(pref).issues_frame(), out / "issues.csv"))
    dm = wb.datamap(pref)
    yield from xlsx_text(write_tables_xlsx(dm, out / "datamap.xlsx"))
    yield from xlsx_text(frames_xlsx({"公開API一覧": dm.apis_frame()}, out / "apis.xlsx"))
    yield from html_fragments(api_html(dm), "apis.html")


#: columns whose every cell is a code for analysts, allowed as they are (a code column, as in test_staff_text)
CODE_COLUMNS = re.compile(r"^(コード|課題コード)$")


@pytest.mark.parametrize("code", SAMPLES)
def test_every_takeaway_shows_names_not_ids(code, tmp_path):
    pref = wb.load_sample(code)
    ids = _ids(pref)
    allowed = ALLOWED | _file_words(pref, ids) | _reference_words()
    codes = set(reference.table("issue_rules.csv")["code"])
    bad = []
    for where, text in takeaways(pref, tmp_path):
        if text.strip() in codes:  # a コード column: the analysts' code beside the name
            continue
        hits = offences(text, ids, allowed)
        if hits:
            bad.append(f"{where}: {sorted(set(hits))} in {text.strip()[:120]!r}")
    assert bad == [], f"{len(bad)} texts:\n" + "\n".join(bad[:60])


def test_national_summary_shows_names_not_codes(tmp_path):
    from workbench.cli import main

    csv_path, xlsx, page = tmp_path / "n.csv", tmp_path / "n.xlsx", tmp_path / "n.html"
    assert main(["batch", "--prefectures", ",".join(SAMPLES), "--csv", str(csv_path), "--xlsx", str(xlsx),
                 "--html", str(page), "--quiet"]) == 0  # fmt: skip
    ids: set[str] = set()
    allowed = set(ALLOWED) | _reference_words()
    for code in SAMPLES:
        p = wb.load_sample(code)
        ids |= _ids(p)
        allowed |= _file_words(p, _ids(p))
    bad = []
    for where, text in [
        *csv_fragments(csv_path),
        *xlsx_text(xlsx),
        *html_fragments(page.read_text("utf-8"), "n.html"),
    ]:
        hits = offences(text, ids, allowed)
        if hits:
            bad.append(f"{where}: {sorted(set(hits))} in {text.strip()[:120]!r}")
    assert bad == [], "\n".join(bad[:60])


def test_the_check_finds_ids_keys_english_and_iso_dates():
    pref = wb.load_sample("07")
    ids = _ids(pref)
    allowed = ALLOWED | _file_words(pref, ids)
    for text, kind in [
        ("基盤 pref-platform の課題", "id"),
        ("c4-2 に依存", "id"),
        ("drivers（users…, api_calls…）", "key"),
        ("operated_by が未設定", "key"),
        ("rule: shapley", "word"),
        ("True", "word"),
        ("2027-03-31 まで", "date"),
        ("開始 2026-04", "date"),
        ("437,555,409.58", "fraction"),
    ]:
        assert any(h.startswith(kind) for h in offences(text, ids, allowed)), text
    for text in [
        "会津若松市 都市OS（仮称）",
        "eKYC ICチップ方式",
        "令和9年（2027年）3月31日",
        "API 3件",
        "型2.4",
        "1-2",
    ]:
        assert offences(text, ids, allowed) == [], text


def test_a_failing_rule_is_a_cross_in_every_output(tmp_path):
    """福島県: 人口割 is not in the core (the audit), shown × — never 「—」, which reads as 「not applicable」."""
    from workbench.cost import audit_rules
    from workbench.report import snapshot_html
    from workbench.staff import table_html

    pref = wb.load_sample("07")
    audit = audit_rules(pref)
    assert not audit.to_frame().set_index("rule").loc["population", "in_core"]
    for page in (snapshot_html(pref), table_html(audit.to_staff_frame())):
        cells = re.findall(r"<td[^>]*>([^<]*)</td>", page)
        i = cells.index("人口割")
        assert "×" in cells[i : i + 5]
