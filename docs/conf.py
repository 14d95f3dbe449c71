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
