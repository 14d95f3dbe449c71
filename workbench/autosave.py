"""Autosave for the widgets: timestamped copies of a prefecture file beside it, and restoring one.

``autosave(pref)`` writes the current state of a prefecture to ``<file>.autosave/<stem>.<timestamp>.yaml``
(atomic: temporary file, fsync, rename) and keeps the newest :data:`KEEP` copies. ``restore_autosave(path)``
puts a copy back over the file atomically, keeping the file it replaces as ``<file>.bak``. Pure I/O, no
widgets: the widgets call these on a timer and from a "restore" button.
"""

from __future__ import annotations

import hashlib
import itertools
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from .errors import InputError, Problem

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


def find_autosave(path: str | os.PathLike[str], which: int | str | os.PathLike[str] = -1) -> Path:
    """The autosaved copy of ``path`` chosen by its name (``07_fukushima.20261130-101503-123456-0001.yaml``,
    or its path): the copy itself, wherever other editors' autosaves put it in the list meanwhile. A number
    is a position in :func:`list_autosaves` (oldest first; -1 the newest), which shifts as copies come and go:
    code that lists the copies and restores one later must use the name."""
    copies = list_autosaves(path)
    if not copies:
        raise InputError.single("自動保存されたファイルがありません", file=str(path))
    if isinstance(which, int) and not isinstance(which, bool):
        try:
            return copies[which]
        except IndexError:
            raise InputError.single(
                f"自動保存は {len(copies)} 件です（which={which} は範囲外）", file=str(path)
            ) from None
    name = Path(which).name
    for c in copies:
        if c.name == name:
            return c
    raise InputError.single(
        f"選んだ自動保存の版はもうありません（自動保存は新しい {KEEP} 件だけを残します。ほかの画面の自動保存で"
        "古い版から消えます）。一覧を開き直して選んでください",
        file=str(path),
        value=name,
    )


def restore_autosave(
    path: str | os.PathLike[str],
    which: int | str | os.PathLike[str] = -1,
    *,
    loaded: Any = None,
    force: bool = False,
) -> Any:
    """Put an autosaved copy back over ``path`` and return it loaded.

    ``which`` is the copy's name (or path): that copy, however the list has moved since it was shown (other
    editors autosave into the same folder, and the oldest copies are dropped); a number is a position in
    :func:`list_autosaves` (default -1, the newest). The copy is validated first (nothing is written when it
    does not load); the file it replaces is kept as ``<file>.bak``; the write is atomic.

    ``loaded`` is the prefecture the caller holds (loaded from ``path``, or saved to it): the restore is
    refused with :class:`~workbench.inventory.StaleFileError` when the file changed on disk since, as a save is
    (someone else's newer save is never overwritten without a word), unless ``force``. The check and the
    write happen under the file's lock.
    """
    from .files import atomic_write, file_lock
    from .inventory.yamlio import StaleFileError, load

    chosen = find_autosave(path, which)
    data = chosen.read_bytes()
    load(chosen)  # raises a located InputError for a damaged copy
    digest = getattr(loaded, "_wb_digest", None) if loaded is not None else None
    with file_lock(path) as real:
        if digest and not force:
            try:
                now = hashlib.sha256(real.read_bytes()).hexdigest()
            except FileNotFoundError:
                now = digest
            if now != digest:
                raise StaleFileError(
                    [
                        Problem(
                            "読み込んだ後に別の人（または別の画面）がファイルを保存しています。自動保存の版に"
                            "戻すと、その保存を上書きするため止めました。読み込み直してから戻してください",
                            str(path),
                        )
                    ]
                )
        atomic_write(Path(path), data, backup=True)
    return load(path)
