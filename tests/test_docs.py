"""The API reference: every public name of ``workbench`` has an example (in its docstring; two on
docs/api.rst), and each runs as written (doctest), so the examples in the HTML reference cannot rot. The built reference itself is checked
by tools/check_docs.py after ``sphinx-build -W`` (``make docs``, part of ``make test``); its checker is tested
here on small pages.
"""

from __future__ import annotations

import doctest
import importlib.metadata
import re
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

import workbench as wb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import check_docs  # noqa: E402

API_PAGE = ROOT / "docs" / "api.rst"
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
# ".. autofunction:: workbench.load" and the indented body under it
DIRECTIVE = re.compile(r"^\.\. (?:auto\w+|py:\w+):: (?:workbench\.)?(\w+)\n((?:(?:   .*)?\n)*)", re.M)


def _page_examples() -> dict[str, str]:
    """Examples written on the API page under a name's directive: for the pydantic model ``Prefecture`` (its
    docstring is also the JSON Schema's description) and ``__version__`` (a string has no docstring of its
    own). Every other name carries its example in its docstring."""
    return {m.group(1): textwrap.dedent(m.group(2)) for m in DIRECTIVE.finditer(API_PAGE.read_text("utf-8"))}


def _examples(name: str) -> list[doctest.DocTest]:
    obj = getattr(wb, name)
    tests = []
    if name != "__version__":
        tests += doctest.DocTestFinder(recurse=False).find(obj, f"workbench.{name}", globs={})
    page = _page_examples().get(name, "")
    tests.append(doctest.DocTestParser().get_doctest(page, {}, f"docs/api.rst: {name}", str(API_PAGE), 0))
    return [t for t in tests if t.examples]


@pytest.fixture
def _scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Examples that write (save, synthetic samples) write into the test's temporary folder."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path / "cache"))


@pytest.mark.parametrize("name", wb.__all__)
def test_every_public_name_has_an_example_that_runs(name: str, _scratch: None) -> None:
    tests = _examples(name)
    assert tests, f"wb.{name}: no example (an Examples section with >>> lines in its docstring)"
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for t in tests:
        runner.run(t)
    assert runner.failures == 0, (
        f"wb.{name}: {runner.failures} of {runner.tries} example lines failed (above)"
    )


def test_version_is_the_distributions() -> None:
    assert wb.__version__ == importlib.metadata.version("kyodo-riyo-workbench")


def test_api_page_names_every_public_name() -> None:
    text = (ROOT / "docs" / "api.rst").read_text(encoding="utf-8")
    for name in wb.__all__:
        assert f"workbench.{name}" in text or f":: {name}" in text, (
            f"docs/api.rst does not document wb.{name}"
        )


def test_a_failing_example_is_reported() -> None:
    """The doctest runner above fails on a wrong example (so the test can fail)."""
    t = doctest.DocTestParser().get_doctest(">>> 1 + 1\n3\n", {}, "wrong", None, 0)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    runner.run(t, out=lambda _s: None)
    assert runner.failures == 1


# --- tools/check_docs.py ------------------------------------------------------------------------------


def _api_ids(leave_out: str = "") -> list[str]:
    """The anchors a complete API page has: public names, the extra names, result classes and their columns."""
    from docutils.nodes import make_id

    ids = [f"workbench.{n}" for n in wb.__all__] + list(check_docs.EXTRA_NAMES)
    for cls in check_docs.result_classes():
        path = f"{cls.__module__}.{cls.__qualname__}"
        if cls.__qualname__ != leave_out:
            ids += [path, make_id(f"columns-{path}")]
    return ids


def _site(tmp_path: Path, head: str = "", css: str = "", body: str = "") -> Path:
    site = tmp_path / "html"
    (site / "_static").mkdir(parents=True)
    ids = "".join(f'<dt id="{n}"></dt>' for n in _api_ids())
    (site / "index.html").write_text(f"<html><head>{head}</head><body>{body}</body></html>", encoding="utf-8")
    (site / "api.html").write_text(f"<html><body>{ids}</body></html>", encoding="utf-8")
    (site / "_static" / "site.css").write_text(css, encoding="utf-8")
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        page = site / "_generated" / "notebooks" / f"{nb.stem}.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text("<html></html>", encoding="utf-8")
    for md in (ROOT / "docs").glob("*.md"):
        if not (site / f"{md.stem}.html").exists():  # index.html is the page under test
            (site / f"{md.stem}.html").write_text("<html></html>", encoding="utf-8")
    return site


def test_check_docs_accepts_an_offline_site_with_outside_links(tmp_path: Path) -> None:
    site = _site(tmp_path, body='<a href="https://github.com/digital-go-jp/area-data-coordination">出典</a>')
    assert check_docs.check(site) == []


@pytest.mark.parametrize(
    ("head", "css"),
    [
        ('<script src="https://cdn.jsdelivr.net/npm/require.js"></script>', ""),
        ('<link rel="stylesheet" href="//fonts.googleapis.com/css2?family=Noto+Sans+JP">', ""),
        ("", "@import url('https://fonts.googleapis.com/css2?family=Noto+Sans+JP');"),
        ("", "@font-face { src: url(https://example.org/font.woff2); }"),
        ("<style>body { background: url('http://example.org/bg.png') }</style>", ""),
    ],
)
def test_check_docs_rejects_anything_loaded_from_the_internet(tmp_path: Path, head: str, css: str) -> None:
    problems = check_docs.check(_site(tmp_path, head=head, css=css))
    assert any("internet" in p for p in problems), problems


def test_check_docs_rejects_a_missing_public_name(tmp_path: Path) -> None:
    site = _site(tmp_path)
    (site / "api.html").write_text(
        '<html><body><dt id="workbench.load"></dt></body></html>', encoding="utf-8"
    )
    problems = check_docs.check(site)
    assert "api.html: the public name workbench.classify is not documented" in problems


def test_check_docs_rejects_a_result_class_without_its_columns(tmp_path: Path) -> None:
    site = _site(tmp_path)
    ids = "".join(f'<dt id="{n}"></dt>' for n in _api_ids(leave_out="Allocation"))
    ids += '<dt id="workbench.cost.Allocation"></dt>'  # the class, but not its frame's columns
    (site / "api.html").write_text(f"<html><body>{ids}</body></html>", encoding="utf-8")
    problems = check_docs.check(site)
    assert problems == [
        "api.html: the columns of workbench.cost.rules.Allocation.to_frame() are not listed (.. wb-columns::)"
    ]
    assert check_docs.EXTRA_NAMES[0] == "workbench.batch.run_batch"
