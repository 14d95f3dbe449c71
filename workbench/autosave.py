"""Autosave for the widgets: timestamped copies of a prefecture file beside it, and restoring one.

``autosave(pref)`` writes the current state of a prefecture to ``<file>.autosave/<stem>.<timestamp>.yaml``
(atomic: temporary file, fsync, rename) and keeps the newest :data:`KEEP` copies. ``restore_autosave(path)``
puts a copy back over the file atomically, keeping the file it replaces as ``<file>.bak``. Pure I/O, no
widgets: the widgets call these on a timer and from a "restore" button.
"""

from __future__ import annotations

import itertools
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from .errors import InputError

KEEP = 20
_counter = itertools.count()


def autosave_folder(path: str | os.PathLike[str]) -> Path:
    """The folder holding the autosaves of ``path`` (``<file>.autosave``)."""
    p = Path(path)
    return p.with_name(p.name + ".autosave")


def autosave(pref: Any, folder: str | os.PathLike[str] | None = None, *, keep: int = KEEP) -> Path:
    """Write a timestamped copy of ``pref`` (a Prefecture) and drop all but the newest ``keep`` copies.

    ``folder`` defaults to ``<file>.autosave/`` beside the file the prefecture was loaded from; a prefecture
    built in memory needs ``folder``. The prefecture file itself is never touched. Returns the copy's path.
    """
    from .errors import source_path
    from .files import atomic_write
    from .inventory.yamlio import to_yaml

    src = source_path(pref)
    if folder is None:
        if src is None:
            raise InputError.single("自動保存の保存先が分かりません（folder を指定してください）")
        folder = autosave_folder(src)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stem = src.stem if src is not None else "prefecture"
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = folder / f"{stem}.{stamp}-{next(_counter) % 10000:04d}.yaml"
    atomic_write(target, to_yaml(pref).encode("utf-8"), backup=False)
    copies = _copies(folder)
    for old in copies[: max(len(copies) - keep, 0)]:
        old.unlink(missing_ok=True)
    return target


def _copies(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.glob("*.yaml") if not p.name.startswith(".")), key=lambda p: p.name)


def list_autosaves(path: str | os.PathLike[str]) -> list[Path]:
    """The autosaved copies of the file ``path``, oldest first."""
    return _copies(autosave_folder(path))


def restore_autosave(path: str | os.PathLike[str], which: int = -1) -> Any:
    """Put autosave number ``which`` (default the newest) back over ``path`` and return it loaded.

    The copy is validated first (nothing is written when it does not load); the file it replaces is kept
    as ``<file>.bak``; the write is atomic.
    """
    from .files import atomic_write
    from .inventory.yamlio import load

    copies = list_autosaves(path)
    if not copies:
        raise InputError.single("自動保存されたファイルがありません", file=str(path))
    try:
        chosen = copies[which]
    except IndexError:
        raise InputError.single(
            f"自動保存は {len(copies)} 件です（which={which} は範囲外）", file=str(path)
        ) from None
    load(chosen)  # raises a located InputError for a damaged copy
    atomic_write(Path(path), chosen.read_bytes(), backup=True)
    return load(path)
