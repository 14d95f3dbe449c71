"""Saving for every editor, the way the platform editor always did: 適用 puts the edit into the session (and
autosaves a copy beside the file), ファイルに保存 writes the file atomically, 自動保存 lists the autosaved
versions by their date and time, この版に戻す puts one back.

:class:`SaveControls` is the row of buttons and the status line; an editor owns one and calls
:meth:`SaveControls.applied` after each edit it puts into the session. Pure UI: files are written by
:func:`workbench.inventory.save` and :mod:`workbench.autosave`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import ipywidgets as w

from .. import autosave as autosaving
from ..errors import InputError
from ..text import date_ja
from ._common import Message, Session, chosen, error_text, none_safe


def is_shipped(path: Path | None) -> bool:
    """Whether ``path`` is one of the files shipped with the workbench (the samples in its data folder): those
    are never written, by a save or an autosave (notebooks work on a copy: ``working_copy``)."""
    if path is None:
        return False
    from ..reference import data_dir

    try:
        return Path(path).resolve().is_relative_to(Path(data_dir()).resolve())
    except OSError:  # pragma: no cover
        return False


#: the end of the status line after 適用, until the file is saved (by any editor of the session)
UNSAVED = "（まだファイルには保存していません）"

SHIPPED = (
    "同梱のサンプルファイルは変更しません。作業用のコピー（notebook の working_copy）を開いて編集してください"
)


def autosave_label(path: Path) -> str:
    """An autosaved copy's name (``07_fukushima.20261130-101503-123456-0001.yaml``) as staff read it:
    「令和8年（2026年）11月30日 10時15分03秒」."""
    stamp = path.stem.rsplit(".", 1)[-1]
    try:
        when = datetime.strptime(stamp[:15], "%Y%m%d-%H%M%S")
    except ValueError:
        return stamp
    return date_ja(when, time=True)


class SaveControls(w.VBox):
    """保存 and 自動保存 for an editor on a :class:`Session`.

    Attributes
    ----------
    save_button : ipywidgets.Button
        Writes the session's prefecture to its file (``wb-save`` plus ``<css>-save``).
    status : Message
        The outcome of the last action (``<css>-status``).
    restore_choice, restore_button : ipywidgets.Dropdown, ipywidgets.Button
        Autosaved versions, newest first, labelled with their date and time (``wb-restore-choice``), and the
        button that puts the chosen one back over the file (``wb-restore``; the replaced file is kept as
        ``.bak``).
    dirty : bool
        True after an applied change that is not yet saved to the file.
    """

    def __init__(self, session: Session, css: str) -> None:
        self.session = session
        self.css = css
        self.save_button = w.Button(description="ファイルに保存", button_style="success", icon="save")
        self.save_button.add_class("wb-save")
        self.save_button.add_class(f"{css}-save")
        self.status = Message(f"{css}-status")
        self.restore_choice = w.Dropdown(description="自動保存", layout=w.Layout(width="460px"))
        self.restore_choice.add_class("wb-restore-choice")
        self.restore_button = w.Button(description="この版に戻す", icon="undo")
        self.restore_button.add_class("wb-restore")
        super().__init__([self.status, w.HBox([self.restore_choice, self.restore_button])])
        self.save_button.on_click(lambda _b: self.save())
        self.restore_button.on_click(lambda _b: self.restore())
        session.on_change(lambda _p: self.refresh())
        session.observe(lambda _c: self._saved_elsewhere(), names="saves")
        self.refresh()

    @property
    def dirty(self) -> bool:
        """An applied edit of the session is not yet in the file (from this editor or another one)."""
        return bool(self.session.unsaved)

    @dirty.setter
    def dirty(self, flag: bool) -> None:
        self.session.unsaved = bool(flag)

    def _saved_elsewhere(self) -> None:
        """Another editor of the session saved the file: this one's 「まだ…保存していません」 is no longer true."""
        if self.status.text.endswith(UNSAVED):
            self.status.set(self.session.saved_text, "ok")

    def applied(self, text: str) -> None:
        """After an edit went into the session: mark unsaved, say so, autosave a copy."""
        self.dirty = True
        self.status.set(f"{text}{UNSAVED}", "ok")
        self.autosave()

    def save(self, path: str | Path | None = None) -> Path | None:
        """Write the prefecture to its file (or ``path``) atomically; errors are shown, not raised."""
        from ..inventory import save

        pref = self.session.pref
        target = Path(path) if path is not None else self.session.path
        if pref is None or target is None:
            self.status.set("保存先のファイルがありません", "error")
            return None
        if is_shipped(target):
            self.status.set("保存しませんでした: " + SHIPPED, "error")
            return None
        try:
            written = save(pref, target)
        except (
            InputError
        ) as err:  # invalid, changed on disk, read-only, disk full (WriteError): file unchanged
            self.status.set("保存しませんでした: " + error_text(err), "error")
            return None
        except Exception as err:  # never leave an earlier 保存しました on screen after a failure
            self.status.set("保存しませんでした: " + error_text(err), "error")
            return None
        self.dirty = False
        self.status.set(f"保存しました: {written.name}", "ok")
        self.session.saved_text = f"保存しました: {written.name}（この画面の編集もファイルに入っています）"
        self.session.saves += 1
        return written

    def autosave(self) -> None:
        if self.session.pref is None or is_shipped(self.session.path):
            return
        try:
            autosaving.autosave(self.session.pref)
        except Exception as err:  # autosave must never break editing
            self.status.set(
                self.status.text + f"\n（自動保存に失敗: {error_text(err)}）", self.status.kind or "warn"
            )
        self.refresh()

    def refresh(self) -> None:
        """The list of autosaved versions of the session's file, newest first."""
        path = self.session.path
        copies = autosaving.list_autosaves(path) if path is not None else []
        # each version by its file name (its identity), never its position: other editors' autosaves move
        # the list between showing it and pressing この版に戻す; two in one second are told apart
        labels = [autosave_label(c) for c in copies]
        opts = [
            (lab if labels.count(lab) == 1 else f"{lab}（{labels[: i + 1].count(lab)}）", c.name)
            for i, (lab, c) in enumerate(zip(labels, copies, strict=True))
        ][::-1]
        self.restore_choice.options = opts or none_safe([("（なし）", None)])
        if self.restore_choice.index is None:  # a dropdown made without options selects nothing by itself
            self.restore_choice.index = 0
        self.restore_button.disabled = not opts

    def restore(self) -> bool:
        """Put the chosen autosaved version back over the file (the replaced file is kept as ``.bak``) and
        load it into the session."""
        path = self.session.path
        if path is None or chosen(self.restore_choice) is None:
            return False
        label = self.restore_choice.label
        try:
            pref = autosaving.restore_autosave(path, self.restore_choice.value, loaded=self.session.pref)
        except Exception as err:  # an InputError, a newer save on disk, a write refused: file unchanged
            self.status.set("戻せませんでした: " + error_text(err), "error")
            self.refresh()  # the list as it is now (a version dropped meanwhile is gone from it)
            return False
        self.dirty = False
        self.session.set(pref, path)
        self.status.set(f"自動保存の版（{label}）に戻しました（元のファイルは .bak に残しています）", "ok")
        return True


def unsaved_note(controls: Any) -> str:
    """「保存していない変更があります」 when ``controls.dirty``, else ""."""
    return "保存していない変更があります" if getattr(controls, "dirty", False) else ""
