"""Small helpers that keep notebook cells thin: where exports go, a working copy of the sample file, and
the prefecture a notebook serves (parameter, ``WORKBENCH_PREFECTURE``, default sample)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

OUTPUT_ENV = "WORKBENCH_OUTPUT"


def output_dir(
    param: str | os.PathLike[str] | None = None, default: str | os.PathLike[str] = "output"
) -> Path:
    """Where a notebook writes its exports: the ``OUTPUT_DIR`` parameter, else ``$WORKBENCH_OUTPUT`` (tests
    set it to a temporary folder so runs never dirty the repository), else ``output/`` beside the notebook.
    The folder is created."""
    chosen = param or os.environ.get(OUTPUT_ENV) or default
    path = Path(chosen)
    path.mkdir(parents=True, exist_ok=True)
    return path


def notebook_prefecture(param: str | None = None) -> str:
    """The JIS code a notebook works on: its ``PREFECTURE`` parameter, else ``WORKBENCH_PREFECTURE``, else
    the built-in sample (福島県, "07")."""
    from .. import reference
    from ..samples import resolve_from_env_or_query

    if param:
        return reference.resolve_prefecture(str(param))[0]
    return resolve_from_env_or_query(None, query="")


def working_copy(code: str, out: Path) -> Path:
    """A copy of the prefecture's sample (or synthetic) file in ``out``, so edits made in a notebook are
    saved there and never into the shipped sample. An existing copy is kept (work in progress)."""
    from ..samples import sample_path

    src = sample_path(code)
    dst = Path(out) / src.name
    if not dst.exists():
        shutil.copyfile(src, dst)
    return dst


def fresh_copy(code: str, out: Path) -> Path:
    """Like :func:`working_copy` but always starting again from the shipped file."""
    from ..samples import sample_path

    src = sample_path(code)
    dst = Path(out) / src.name
    shutil.copyfile(src, dst)
    return dst


def chart(fig, css: str = "wb-fig-notebook", session=None):
    """A chart for a notebook cell: the widget of a :class:`~workbench.widgets.FigureSlot` showing ``fig``
    (its title marked 「（合成データ）」 when ``session`` holds a synthetic prefecture)."""
    from ._common import FigureSlot

    slot = FigureSlot(css, session=session)
    slot.show(fig)
    return slot.widget


#: how each kind of export is opened from its link: in JupyterLab itself (HTML, CSV, JSON have viewers
#: there) or downloaded (Office files open in Word, Excel, PowerPoint)
KINDS = {
    ".html": ("ページ", False),
    ".csv": ("CSV", False),
    ".json": ("JSON", False),
    ".yaml": ("都道府県ファイル", False),
    ".docx": ("Word", True),
    ".xlsx": ("Excel", True),
    ".pptx": ("PowerPoint", True),
}


class Exports:
    """What a notebook cell wrote, shown as links staff click: HTML, CSV and JSON open in JupyterLab, Word,
    Excel and PowerPoint files download. The links are relative to the notebook (the folder the kernel runs
    in), which is how JupyterLab resolves them; an export outside that folder is named with its full path
    instead (JupyterLab cannot open it).

    ``Exports(paths)`` is the last expression of an export cell; ``.paths`` are the files."""

    def __init__(self, paths, base: str | os.PathLike[str] | None = None) -> None:
        self.paths = [Path(p) for p in paths]
        self.base = Path(base) if base is not None else Path.cwd()

    def _relative(self, path: Path) -> str | None:
        try:
            rel = os.path.relpath(path.resolve(), self.base.resolve())
        except ValueError:  # another drive (Windows)
            return None
        return None if rel.startswith("..") else Path(rel).as_posix()

    def _repr_html_(self) -> str:
        import html
        import urllib.parse

        items = []
        for p in self.paths:
            kind, download = KINDS.get(p.suffix.lower(), ("ファイル", True))
            rel = self._relative(p)
            if rel is None:
                items.append(f"<li>{html.escape(p.name)}（{kind}）: {html.escape(str(p))}</li>")
                continue
            how = "ダウンロード" if download else "JupyterLab で開く"
            attr = " download" if download else ""
            href = urllib.parse.quote(rel)
            items.append(
                f"<li><a class='wb-export' href='{html.escape(href, quote=True)}'{attr}>{html.escape(p.name)}</a>"
                f"<span style='color:#555'>（{kind}・{how}）</span></li>"
            )
        folder = self._relative(self.paths[0].parent) if self.paths else None
        where = (
            f"（「{html.escape(folder)}」フォルダ。左のファイル一覧からも開けます）"
            if folder not in (None, ".")
            else ""
        )
        return f"<p style='margin:4px 0'>書き出しました{where}:</p><ul style='margin:2px 0'>{''.join(items)}</ul>"

    def __repr__(self) -> str:
        return "書き出しました: " + "、".join(p.name for p in self.paths)


def exported(*paths) -> Exports:
    """The files an export cell wrote, as links (:class:`Exports`)."""
    return Exports(paths)


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def drop_widget_views(nb: dict) -> dict:
    """A notebook (as a dict, nbformat 4) without widget views and without stored widget state.

    A widget's output holds two representations: the widget view, which JupyterLab can draw only while the
    kernel that made it (or the stored widget state) is there, and a Japanese ``text/plain`` placeholder
    (:data:`workbench.widgets._common.STATIC_NOTE`). Reopened after a save, a trusted notebook draws the
    view and shows "Error displaying widget: model not found"; without the view it shows the placeholder,
    as the shipped notebooks do (they are committed without widget state and opened untrusted). An output
    whose only representation is the view is dropped. Returns ``nb``, changed in place.
    """
    meta = nb.get("metadata") or {}
    meta.pop("widgets", None)
    for cell in nb.get("cells") or []:
        if cell.get("cell_type") != "code":
            continue
        kept = []
        for out in cell.get("outputs") or []:
            data = out.get("data")
            if isinstance(data, dict) and WIDGET_VIEW in data:
                data.pop(WIDGET_VIEW)
                if not data:
                    continue
            kept.append(out)
        cell["outputs"] = kept
    return nb


def pre_save_hook(model: dict, **_kwargs) -> None:
    """Jupyter server ``ContentsManager.pre_save_hook`` (etc/jupyter/jupyter_server_config.py): every notebook
    JupyterLab saves goes through :func:`drop_widget_views`."""
    if model.get("type") == "notebook" and isinstance(model.get("content"), dict):
        drop_widget_views(model["content"])


def without_outputs(nb: dict) -> dict:
    """A notebook (a dict, nbformat 4) with every output and execution count removed, so that a copy opened
    for another prefecture never shows the results the committed notebook was executed with (福島県's).
    Changed in place and returned."""
    drop_widget_views(nb)
    for cell in nb.get("cells") or []:
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return nb


def working_notebooks(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> list[Path]:
    """Copies of the Step notebooks of ``src`` in ``dst`` (what ``make notebooks`` opens), without outputs
    (:func:`without_outputs`). A copy is made when missing or older than its notebook (a newer workbench);
    a copy being worked on is otherwise kept. Returns the copies written."""
    import json

    src, dst = Path(src), Path(dst)
    dst.mkdir(parents=True, exist_ok=True)
    written = []
    for nb_path in sorted(src.glob("*.ipynb")):
        target = dst / nb_path.name
        if target.exists() and target.stat().st_mtime >= nb_path.stat().st_mtime:
            continue
        nb = without_outputs(json.loads(nb_path.read_text(encoding="utf-8")))
        target.write_text(json.dumps(nb, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        written.append(target)
    return written


def summary(result, pref) -> str:
    """A result's printed card (``str(result)``) whose title line ends with 「（合成データ）」 for a synthetic
    prefecture, as every card of that prefecture does."""
    from ..text import with_synthetic_mark

    head, _, rest = str(result).partition("\n")
    return with_synthetic_mark(head, pref) + ("\n" + rest if rest else "")
