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


def chart(fig, css: str = "wb-fig-notebook"):
    """A chart for a notebook cell: the widget of a :class:`~workbench.widgets.FigureSlot` showing ``fig``."""
    from ._common import FigureSlot

    slot = FigureSlot(css)
    slot.show(fig)
    return slot.widget


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
