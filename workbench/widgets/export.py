"""Take-aways from a dashboard: the meeting deck (PowerPoint) as a download link.

The file is built in memory when the button is pressed and handed to the browser as a ``data:`` link with a
``download`` name: nothing is written on the server (a dashboard never writes into the repository), and it
works under Voila as in a notebook.
"""

from __future__ import annotations

import base64
import html
from typing import Any

import ipywidgets as w

from ._common import Message, Session, StaticFallback, error_text

PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


def download_link(data: bytes, filename: str, mime: str, label: str) -> str:
    """An ``<a download>`` with the file inlined as base64 (``wb-download``)."""
    b64 = base64.b64encode(data).decode("ascii")
    size = f"{len(data) / 1024:,.0f} KB"
    return (
        f"<a class='wb-download' download='{html.escape(filename, quote=True)}' href='data:{mime};base64,{b64}' "
        f"style='font-weight:bold'>⬇ {html.escape(label)}（{html.escape(filename)}、{size}）</a>"
    )


class DeckDownload(StaticFallback, w.HBox):
    """A button that builds the meeting deck of the session's prefecture (:func:`workbench.deck.deck_bytes`)
    and shows a download link for it.

    Attributes
    ----------
    button : ipywidgets.Button
        「会議資料（PowerPoint）を作成」 (``wb-deck-button``).
    link : ipywidgets.HTML
        The download link once built (``wb-deck-link``); cleared when the prefecture changes.
    message : Message
        Errors while building.
    data : bytes or None
        The last deck built (tests read it back).
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.data: bytes | None = None
        self.button = w.Button(
            description="会議資料（PowerPoint）を作成", icon="", layout=w.Layout(width="260px")
        )
        self.button.add_class("wb-deck-button")
        self.link = w.HTML()
        self.link.add_class("wb-deck-link")
        self.message = Message("wb-deck-msg")
        super().__init__([self.button, self.link, self.message])
        self.add_class("wb-deck")
        self.button.on_click(self.build)
        session.on_change(lambda _p: self._reset())

    def _reset(self) -> None:
        self.data = None
        self.link.value = ""
        self.message.clear()

    def build(self, _button: Any = None) -> bytes | None:
        """Build the deck now and show its link (returns the bytes, or None after an error)."""
        from ..deck import deck_bytes, deck_filename

        pref = self.session.pref
        if pref is None:
            return None
        self.button.disabled = True
        self.message.set("作成中…（数秒かかります）", "info")
        try:
            self.data = deck_bytes(pref)
        except Exception as err:
            self.message.set(f"作成できませんでした: {error_text(err)}", "error")
            return None
        finally:
            self.button.disabled = False
        self.message.clear()
        self.link.value = download_link(self.data, deck_filename(pref), PPTX_MIME, "ダウンロード")
        return self.data
