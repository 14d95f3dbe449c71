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
