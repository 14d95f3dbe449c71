"""Sphinx configuration of the offline reference (`make docs` → build/docs/html/index.html).

Pages: index.md (はじめに), api.md (every public name of ``workbench`` through autodoc, each docstring with an
example that tests/test_docs.py runs), the Step notebooks with their stored outputs (myst-nb, never
executed here; no pandoc), and every other Markdown page in docs/ (found by the glob in index.md).
The build runs with warnings as errors (``sphinx-build -W``) and tools/check_docs.py makes sure the output
loads nothing from the internet.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

import workbench

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent

# Generated on every build into docs/_generated/ (gitignored), so neither can go stale:
# - the Step notebooks as committed (executed, with their outputs; nbval markers dropped) — Sphinx reads
#   sources only below docs/;
# - the command-line reference, from the parser's own help texts (cli.md includes it).
GENERATED = DOCS / "_generated"
shutil.rmtree(GENERATED, ignore_errors=True)
(GENERATED / "notebooks").mkdir(parents=True)
NBVAL_MARKERS = ("# NBVAL_CHECK_OUTPUT", "# NBVAL_IGNORE_OUTPUT")  # test markers, not for the reader
for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
    doc = json.loads(nb.read_text(encoding="utf-8"))
    for cell in doc["cells"]:
        src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        cell["source"] = "\n".join(ln for ln in src.split("\n") if ln.strip() not in NBVAL_MARKERS)
    (GENERATED / "notebooks" / nb.name).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def _cli_reference() -> str:
    from workbench.cli import build_parser

    os.environ["COLUMNS"] = "90"  # argparse wraps the help at the terminal width
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    summary = {a.dest: a.help for a in sub._choices_actions}
    parts = []
    for name, p in sub.choices.items():
        parts += [
            f"## workbench {name}",
            "",
            summary.get(name) or "",
            "",
            "```text",
            p.format_help().rstrip(),
            "```",
            "",
        ]
    return "\n".join(parts)


(GENERATED / "cli_commands.md").write_text(_cli_reference(), encoding="utf-8")

project = "共同利用ワークベンチ"
author = "共同利用ワークベンチ開発チーム"
copyright = f"2026, {author}"  # noqa: A001 - Sphinx's name
version = release = workbench.__version__
language = "ja"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",  # numpy-style sections (Parameters, Returns, Examples)
    "myst_nb",  # Markdown pages (MyST) and the notebooks' stored outputs
]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "README.md", "_generated/*.md"]
root_doc = "index"

# autodoc: the public names as ``workbench.NAME``; signatures with their type hints as written
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
trim_doctest_flags = True

# MyST / myst-nb: notebooks are shown as committed (tools/build_notebooks.py executed them); never run here.
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
nb_execution_mode = "off"
nb_merge_streams = True
# A widget's stored output carries no state (tools/build_notebooks.py strips it), so show its text/plain
# note ("（基盤の編集画面: セルを実行すると表示されます）") rather than an empty widget, and load no
# widget JavaScript from a CDN.
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", None)]
nb_ipywidgets_js = {}

html_theme = "furo"
html_title = f"共同利用ワークベンチ {release}"
html_show_sourcelink = False
html_copy_source = False
html_last_updated_fmt = None
html_theme_options = {"navigation_with_keys": True}
html_show_sphinx = False

# Sphinx's own Japanese catalogue says サンプル for napoleon's "Examples" and lacks the theme's words (前へ, 次へ,
# …); locales/ja/LC_MESSAGES/sphinx.po overrides and adds them
locale_dirs = ["locales"]

# The docs build runs every example too: `make docs` runs the doctest builder after the HTML one, over the
# docstrings autodoc includes and the pages' >>> blocks (tests/test_docs.py runs them as well, faster).
extensions.append("sphinx.ext.doctest")
doctest_test_doctest_blocks = "default"
doctest_global_setup = """
import os, tempfile
os.environ.setdefault("WORKBENCH_CACHE", tempfile.mkdtemp(prefix="wb-docs-cache-"))
tempfile.tempdir = tempfile.mkdtemp(prefix="wb-docs-")
"""
import doctest as _doctest  # noqa: E402

doctest_default_flags = _doctest.ELLIPSIS | _doctest.NORMALIZE_WHITESPACE | _doctest.IGNORE_EXCEPTION_DETAIL


# --- the analyst's script (docs/analysis.md): run at every build, its output shown under it --------------------
def _run_analysis() -> None:
    import subprocess
    import sys
    import tempfile

    script = DOCS / "analysis" / "analyst_tasks.py"
    out = GENERATED / "analysis_output.txt"
    if (
        os.environ.get("WORKBENCH_DOCS_REUSE_ANALYSIS")
        and out.is_file()
        and out.stat().st_mtime >= script.stat().st_mtime
    ):
        return  # `make docs`/`make test`: the doctest build follows the HTML build, which has just run it
    with tempfile.TemporaryDirectory(prefix="wb-docs-analysis-") as work:
        env = {**os.environ, "WORKBENCH_CACHE": os.path.join(work, "cache"), "PYTHONIOENCODING": "utf-8"}
        proc = subprocess.run(
            [sys.executable, str(script)], cwd=work, env=env, capture_output=True, text=True, check=False
        )
    if proc.returncode != 0:
        raise RuntimeError(
            f"docs/analysis/analyst_tasks.py failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    out.write_text(proc.stdout, encoding="utf-8")


_run_analysis()


# --- result classes: their fields and their frame's columns, read from the classes themselves ---------------------
import importlib  # noqa: E402
import re  # noqa: E402
import typing  # noqa: E402


def _obj(path: str):  # noqa: ANN202
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _cell(text: str) -> str:
    text = " ".join(str(text).split())
    return re.sub(r"([*|_`\\])", r"\\\1", text) if "``" not in text else text


def _type_text(annotation: object) -> str:
    text = getattr(annotation, "__name__", None) if not typing.get_args(annotation) else None
    text = text or str(annotation).replace("typing.", "")
    return re.sub(r"[\w.]+\.(\w+)", r"\1", text).replace("NoneType", "None")


def _inner(field) -> str:  # noqa: ANN001 - a pydantic FieldInfo
    """The first line of the docstring of the model a field holds (``list[Arrangement]`` → Arrangement's)."""
    from pydantic import BaseModel

    todo = [field.annotation]
    while todo:
        a = todo.pop()
        if isinstance(a, type) and issubclass(a, BaseModel) and a.__doc__:
            return a.__doc__.strip().splitlines()[0]
        todo += list(typing.get_args(a))
    return ""


def _setup_directives(app) -> None:  # noqa: ANN001 - Sphinx's application
    from docutils import nodes
    from docutils.statemachine import StringList
    from sphinx.util.docutils import SphinxDirective

    class _Table(SphinxDirective):
        required_arguments = 1
        title = ""
        prefix = ""

        def rows(self, cls: type) -> list[tuple[str, ...]]:
            raise NotImplementedError

        def run(self) -> list[nodes.Node]:
            path = self.arguments[0]
            cls = _obj(path)
            head, *rows = self.rows(cls)
            lines = [f".. list-table:: {self.title}", "   :header-rows: 1", ""]
            for row in [head, *rows]:
                lines += [f"   * - {row[0]}", *[f"     - {c}" for c in row[1:]]]
            box = nodes.container(ids=[nodes.make_id(f"{self.prefix}-{path}")])
            self.state.nested_parse(StringList(lines), self.content_offset, box)
            return [box]

    class Fields(_Table):
        """``.. wb-fields:: workbench.cost.Allocation`` — the model's fields (the keys of ``model_dump()``)."""

        title = "フィールド（``model_dump()`` のキー）"
        prefix = "fields"

        def rows(self, cls: type) -> list[tuple[str, ...]]:
            out = [("名前", "型", "内容")]
            for name, f in cls.model_fields.items():
                key = f.serialization_alias or f.alias or name
                out.append(
                    (
                        f"``{key}``",
                        f"``{_type_text(f.annotation)}``",
                        _cell(f.description or getattr(cls, "FIELD_DOCS", {}).get(name) or _inner(f) or "—"),
                    )
                )
            return out

    class Columns(_Table):
        """``.. wb-columns:: workbench.cost.Allocation`` — the columns of ``to_frame()`` (``FRAME_COLUMNS``)."""

        title = "``to_frame()`` の列"
        prefix = "columns"

        def rows(self, cls: type) -> list[tuple[str, ...]]:
            return [("列", "内容"), *[(f"``{k}``", _cell(v)) for k, v in cls.FRAME_COLUMNS.items()]]

    app.add_directive("wb-fields", Fields)
    app.add_directive("wb-columns", Columns)


def setup(app) -> None:  # noqa: ANN001
    _setup_directives(app)
