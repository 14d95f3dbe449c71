"""A multi-select control staff can use without instructions: every option is a toggle button, a click adds or
removes that one item, and what is chosen is always written out above the buttons.

``ipywidgets.SelectMultiple`` (a native ``<select multiple>``) replaced the whole selection on a plain click,
needed Ctrl-click that nothing explained, and hid chosen items below its scroll: a consultant once saved a
platform with 0 of 25 member municipalities that way.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as w
import traitlets

from ._common import StaticFallback

#: CSS hooks the browser tests use
CHOICE_CLASS = "wb-choice"
ITEM_CLASS = "wb-choice-item"
SUMMARY_CLASS = "wb-choice-summary"
ALL_CLASS = "wb-choice-all"


class MultiChoice(StaticFallback, w.VBox):
    """Toggle buttons for a multi-selection, with the chosen items written out.

    Drop-in for the editors' former ``SelectMultiple``: ``options`` is a list of ``(label, value)`` pairs (or
    plain values), ``value`` the tuple of chosen values in option order; observe ``value`` as usual.

    Parameters
    ----------
    description : str
        The field's name, shown before the summary.
    options : sequence of (label, value)
    value : sequence
        Chosen values (unknown ones are dropped).
    empty_text : str or callable
        What an empty selection means (for 利用団体: the operator's default), shown when nothing is chosen.
        A callable is asked again at every redraw.
    all_label : str, optional
        When given, a checkbox with this label: "all of them", explicit (``all_chosen``). While it is ticked
        the buttons are greyed and ``value`` holds every option; unticking it puts back the selection it
        replaced.
    short : callable, optional
        The button text for an option label (default: the label up to its first ``（``); the full label is
        the button's tooltip, so codes stay available to analysts without crowding the buttons.

    Attributes
    ----------
    buttons : list of ipywidgets.ToggleButton
        One per option (CSS ``wb-choice-item``; ipywidgets marks a pressed one ``mod-active``).
    summary : ipywidgets.HTML
        「構成: 2 / 3 件を選択 — 認証、非パーソナル」 (CSS ``wb-choice-summary``).
    all_box : ipywidgets.Checkbox or None
        The explicit "all" (CSS ``wb-choice-all``).
    """

    placeholder_ja = "選択ボタン"

    value = traitlets.Tuple()
    options = traitlets.List()

    def __init__(
        self,
        description: str = "",
        options: Sequence[Any] = (),
        value: Sequence[Any] = (),
        *,
        empty_text: str | Callable[[], str] = "未選択",
        all_label: str | None = None,
        short: Callable[[str], str] | None = None,
        layout: w.Layout | None = None,
    ) -> None:
        self.description = description
        self.empty_text = empty_text
        self.short = short or (lambda label: label.split("（")[0] or label)
        self.summary = w.HTML()
        self.summary.add_class(SUMMARY_CLASS)
        self.grid = w.Box(layout=w.Layout(display="flex", flex_flow="row wrap"))
        self.all_box = w.Checkbox(description=all_label, indent=False) if all_label else None
        if self.all_box is not None:
            self.all_box.add_class(ALL_CLASS)
            self.all_box.layout.width = "auto"
        self.buttons: list[w.ToggleButton] = []
        self._quiet = False
        self._before_all: tuple = ()  # the selection before すべて was ticked (unticking restores it)
        kids: list[w.Widget] = [self.summary]
        if self.all_box is not None:
            kids.append(self.all_box)
        kids.append(self.grid)
        super().__init__(kids, layout=layout or w.Layout(width="100%"))
        self.add_class(CHOICE_CLASS)
        if self.all_box is not None:
            self.all_box.observe(self._all_changed, names="value")
        self.observe(self._rebuild, names="options")
        self.observe(self._on_value, names="value")
        self.options = [o if isinstance(o, tuple) else (str(o), o) for o in options]
        self.value = tuple(value)

    # --- traits -------------------------------------------------------------------------------------
    @traitlets.validate("options")
    def _valid_options(self, proposal: Any) -> list[tuple[str, Any]]:
        return [tuple(o) if isinstance(o, tuple | list) else (str(o), o) for o in proposal["value"]]

    @traitlets.validate("value")
    def _valid_value(self, proposal: Any) -> tuple:
        chosen = set(proposal["value"])
        return tuple(v for _, v in self.options if v in chosen)

    def _values(self) -> list[Any]:
        return [v for _, v in self.options]

    @property
    def all_chosen(self) -> bool:
        """Whether the explicit "all" box is ticked."""
        return bool(self.all_box is not None and self.all_box.value)

    @all_chosen.setter
    def all_chosen(self, flag: bool) -> None:
        if self.all_box is not None:
            self.all_box.value = bool(flag)

    # --- drawing ------------------------------------------------------------------------------------
    def _rebuild(self, _change: Any = None) -> None:
        self.buttons = []
        for label, value in self.options:
            b = w.ToggleButton(
                description=self.short(label),
                tooltip=label,
                layout=w.Layout(width="auto", height="28px", margin="2px 4px 2px 0"),
            )
            b.add_class(ITEM_CLASS)
            b.observe(lambda change, v=value: self._clicked(v, change["new"]), names="value")
            self.buttons.append(b)
        self.grid.children = self.buttons
        self.value = tuple(v for v in self.value if v in set(self._values()))
        self._sync()

    def _clicked(self, value: Any, pressed: bool) -> None:
        if self._quiet:
            return
        chosen = set(self.value)
        if pressed:
            chosen.add(value)
        else:
            chosen.discard(value)
        self.value = tuple(v for v in self._values() if v in chosen)

    def _on_value(self, _change: Any = None) -> None:
        if self.all_box is not None and not self._quiet:
            everything = bool(self.options) and len(self.value) == len(self.options)
            if self.all_box.value and not everything:
                self._quiet = True
                try:
                    self.all_box.value = False
                finally:
                    self._quiet = False
        self._sync()

    def _all_changed(self, change: Any) -> None:
        """Ticked: every option, the selection before it kept; unticked: that selection back."""
        if self._quiet:
            return
        self._quiet = True
        try:
            if change["new"]:
                self._before_all = tuple(self.value)
                self.value = tuple(self._values())
            else:
                self.value = self._before_all
        finally:
            self._quiet = False
        self._sync()

    def _sync(self) -> None:
        chosen = set(self.value)
        locked = self.all_chosen
        self._quiet = True
        try:
            for (_, v), b in zip(self.options, self.buttons, strict=True):
                b.value = v in chosen
                b.button_style = "info" if v in chosen else ""
                b.icon = "check" if v in chosen else ""
                b.disabled = locked
        finally:
            self._quiet = False
        self.summary.value = self.summary_html()

    def summary_text(self) -> str:
        """The selection as a sentence: 「2 / 3 件を選択: 認証、非パーソナル」, or what empty means."""
        n, total = len(self.value), len(self.options)
        if self.all_chosen:
            return f"すべて（{total} 件）"
        if n == 0:
            empty = self.empty_text() if callable(self.empty_text) else self.empty_text
            return f"0 / {total} 件 — {empty}"
        labels = {v: self.short(lab) for lab, v in self.options}
        return f"{n} / {total} 件を選択: " + "、".join(labels[v] for v in self.value)

    def summary_html(self) -> str:
        head = f"<b>{html.escape(self.description)}</b>　" if self.description else ""
        return f"<span style='font-size:90%'>{head}{html.escape(self.summary_text())}</span>"
