"""Pieces every panel shares: figure slots updated in place, inline messages, the shared session.

Figures are shown by replacing an ``Output`` widget's ``outputs`` trait with the plotly mime bundle
(JUPYTER_NOTES pattern C). ``with out: display(fig)`` on an ``Output`` hangs notebook execution
intermittently and is never used here.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as w
import plotly.graph_objects as go
import traitlets

from ..errors import InputError
from ..text import synthetic_mark

# CSS hooks that browser tests rely on (keep them stable)
MSG_CLASS = "wb-msg"


STATIC_NOTE = "セルを実行すると表示されます"


def static_note(what: str) -> str:
    """The placeholder staff read where a panel is not drawn (a reopened notebook, a refreshed browser, an
    HTML copy): 「（基盤の編集画面: セルを実行すると表示されます）」 — plain words, never a class name."""
    return f"（{what}: {STATIC_NOTE}）"


class StaticFallback:
    """Mixin for panels: in a notebook rendered without a kernel (nbconvert HTML, GitHub), reopened after a
    save or shown again after the browser was refreshed, a widget shows its ``text/plain`` repr, a long
    Python expression. This puts a short Japanese note there instead (:func:`static_note` of
    :attr:`placeholder_ja`, what the panel is in staff's words); live, the widget view takes precedence."""

    #: what the panel is, as staff call it (the placeholder names it)
    placeholder_ja = "この画面"

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)  # type: ignore[misc]
        if isinstance(bundle, tuple):
            data, meta = bundle
        else:
            data, meta = bundle, None
        if isinstance(data, dict) and "text/plain" in data:
            data = {**data, "text/plain": static_note(self.placeholder_ja)}
        return (data, meta) if meta is not None else data


class ChartOutput(StaticFallback, w.Output):
    """The Output widget of a :class:`FigureSlot`."""

    placeholder_ja = "グラフ"


class FigureSlot:
    """A plotly chart slot: an ``ipywidgets.Output`` whose ``outputs`` trait is replaced by the figure's
    plotly mime bundle at every update (JUPYTER_NOTES pattern C).

    Output *capture* (``with out: display(fig)``) hangs notebook execution intermittently and is never used.
    ``go.FigureWidget`` (pattern A) was tried first: on 2 cores anywidget's 2-second model-initialisation
    timeout fires when a dashboard creates several FigureWidgets at once (console error "[anywidget] Failed to
    initialize model"), so the slots draw through JupyterLab's plotly renderer instead.

    Attributes
    ----------
    widget : ipywidgets.Output
        The widget to put in a layout; it keeps its identity for the life of the panel, only its outputs
        change. CSS classes ``wb-fig`` and :attr:`css`, hooks for browser tests.
    css : str
        The CSS class added to the widget (``wb-fig-…``).
    figure : plotly.graph_objects.Figure or None
        The figure shown last (tests assert on it: ``slot.figure.data[0].y``).
    """

    def __init__(self, css: str, height: int | None = None, session: Session | None = None) -> None:
        self.widget = ChartOutput()
        self.css = css
        self.session = session
        self._figure: go.Figure | None = None
        self._figure_data: dict | None = None
        self.widget.add_class("wb-fig")
        self.widget.add_class(css)
        self._min_height = height or 0
        if height:
            self.widget.layout.min_height = f"{height}px"

    #: figures kept per slot by :meth:`show_for` (a control switched back and forth between a few states)
    CACHED = 8

    def show(self, fig: go.Figure) -> None:
        """Replace what the slot shows with ``fig`` (one message to the browser), its margins fitted to its
        labels so that the browser draws it once (:func:`workbench.charts.margins.fit_margins`)."""
        self.figure = fig
        self._send(self._outputs(fig))

    def show_for(self, key: Any, build: Callable[[], go.Figure]) -> None:
        """:meth:`show` the figure ``build()`` makes, built once per ``key`` (the inputs it depends on: see
        :meth:`Session.key`) among the last :attr:`CACHED` keys: switching a control back to a state shown
        before sends the message prepared then, without building the figure again. ``key`` None: no cache."""
        if key is None:
            self.show(build())
            return
        cache: Memo = self.__dict__.setdefault("_cache", Memo(self.CACHED, shared=f"figure {self.css}"))
        built: list[go.Figure] = []

        def make() -> tuple:
            built.append(build())
            return self._outputs(built[0])

        outputs = cache.get(key, make)
        self.figure = built[0] if built else None
        if not built:  # kept: the figure shown is the one the message carries (built only when asked for)
            self._figure_data = outputs[0]["data"].get("application/vnd.plotly.v1+json")
        self._send(outputs)

    @property
    def figure(self) -> go.Figure | None:
        """The figure shown last (see the class)."""
        if self._figure is None and self._figure_data is not None:
            self._figure = go.Figure(self._figure_data)
        return self._figure

    @figure.setter
    def figure(self, fig: go.Figure | None) -> None:
        self._figure = fig
        self._figure_data = None

    def _outputs(self, fig: go.Figure) -> tuple:
        from ..charts.margins import fit_margins

        data = fig.to_dict()
        mark = synthetic_mark(self.session.pref) if self.session is not None else ""
        if mark:
            mark_title(data, mark)
        data = fit_margins(data)
        bundle = mime_renderer().to_mimebundle(data)
        return ({"output_type": "display_data", "metadata": {}, "data": bundle},)

    def _send(self, outputs: tuple) -> None:
        if outputs == self.widget.outputs:
            return  # the same chart: no message, no redraw in the browser
        data = outputs[0]["data"].get("application/vnd.plotly.v1+json", {})
        height = data.get("layout", {}).get("height")
        if isinstance(height, int | float) and height > 0:
            # the slot keeps the chart's height while the browser swaps the old chart for the new one, so the
            # page below does not jump up and back (two layouts of the whole page per chart)
            hold = f"{int(max(height, self._min_height))}px"
            if self.widget.layout.min_height != hold:
                self.widget.layout.min_height = hold
        self.widget.outputs = outputs

    def clear(self) -> None:
        self.figure = None
        self.widget.outputs = ()


class Memo:
    """The results of the last ``size`` keys (least recently used dropped): what a control change recomputes
    only when its inputs are new (:meth:`Session.key` names the prefecture's content).

    >>> m = Memo(2)
    >>> m.get("a", lambda: 1), m.get("a", lambda: 2), m.get("b", lambda: 3), m.get("c", lambda: 4)
    (1, 1, 3, 4)
    >>> m.get("a", lambda: 5)  # "a" was dropped for "c"
    5
    """

    def __init__(self, size: int = 8, shared: str | None = None) -> None:
        self.size = size
        self.shared = shared
        self._items: dict[Any, Any] = {}

    def get(self, key: Any, compute: Callable[[], Any]) -> Any:
        """The result kept for ``key``, else ``compute()`` (kept; an exception is raised, not kept).

        With ``shared`` (a name for what is kept), a key that names a prefecture file's content is also
        looked up in, and written to, the cache the kernels of a dashboard server share
        (:mod:`workbench.shared_cache`): another viewer's kernel computed it already."""
        from .. import shared_cache

        items = self._items
        if key in items:
            value = items.pop(key)
            items[key] = value  # most recently used last
            return value
        value = shared_cache.load(self.shared, key) if self.shared else shared_cache.MISS
        if value is shared_cache.MISS:
            value = compute()
            if self.shared:
                shared_cache.store(self.shared, key, value)
        items[key] = value
        while len(items) > self.size:
            items.pop(next(iter(items)))
        return value

    def __len__(self) -> int:
        return len(self._items)


def mime_renderer() -> Any:
    """plotly's ``plotly_mimetype`` renderer (the bundle JupyterLab's plotly renderer draws), taken from the
    module that defines it. ``plotly.io.renderers`` gives the same renderer, but its module imports nbformat,
    hence jsonschema, whose format checkers build about 40 grammars at import when ``rfc3987-syntax`` is
    installed (Jupyter's server installs it): 4 s of every dashboard kernel's start, measured here."""
    from plotly.io._base_renderers import PlotlyRenderer

    return PlotlyRenderer()


def mark_title(data: dict, mark: str) -> dict:
    """A figure dict whose title ends with ``mark`` (「（合成データ）」); a chart without a title gets one that
    says it. Changed in place and returned."""
    layout = data.setdefault("layout", {})
    title = layout.get("title")
    if isinstance(title, str):
        title = {"text": title}
    title = dict(title or {})
    text = str(title.get("text") or "")
    if not text:
        title["text"] = "合成データ（実在しない基盤）"
        margin = dict(layout.get("margin") or {})
        margin["t"] = max(int(margin.get("t") or 0), 50)
        layout["margin"] = margin
    elif not text.endswith(mark):
        title["text"] = text + mark
    layout["title"] = title
    return data


def synthetic_note_html(pref: Any) -> str:
    """The line said at the top of a synthetic prefecture's card (「合成データです: …」), "" otherwise."""
    from ..text import SYNTHETIC_NOTE, is_synthetic

    if not is_synthetic(pref):
        return ""
    return (
        "<p class='wb-synthetic' style='margin:2px 0 6px;padding:2px 8px;background:#fff4d6;"
        f"border-left:4px solid #e0a800;color:#5c4700;font-size:90%'>{html.escape(SYNTHETIC_NOTE)}</p>"
    )


def marked_card(res: Any, pref: Any) -> str:
    """A result's own card (``_repr_html_``) whose title ends with 「（合成データ）」 and says so below it for
    a synthetic prefecture."""
    from ..text import with_synthetic_mark

    card = res._repr_html_()
    title = html.escape(res.card_title())
    marked = html.escape(with_synthetic_mark(res.card_title(), pref))
    if marked == title:
        return card
    return card.replace(f">{title}</h4>", f">{marked}</h4>{synthetic_note_html(pref)}", 1)


class Message(w.HTML):
    """An inline message line (error, warning, success or plain), CSS hook ``wb-msg`` plus
    ``wb-msg-error`` / ``wb-msg-ok`` for the current kind. Empty when cleared."""

    COLOURS = {"error": "#b00020", "warn": "#8a6d00", "ok": "#1b7f3b", "info": "#333"}

    def __init__(self, css: str | None = None, **kwargs: Any) -> None:
        super().__init__(value="", **kwargs)
        self.add_class(MSG_CLASS)
        if css:
            self.add_class(css)
        self.kind = ""
        self.text = ""

    def set(self, text: str, kind: str = "info") -> None:
        """Show ``text`` (escaped) in the colour of ``kind``: error | warn | ok | info."""
        for k in self.COLOURS:
            self.remove_class(f"wb-msg-{k}")
        self.kind, self.text = (kind, text) if text else ("", "")
        if not text:
            self.value = ""
            return
        self.add_class(f"wb-msg-{kind}")
        body = "<br>".join(html.escape(line) for line in text.splitlines())
        self.value = f"<span style='color:{self.COLOURS.get(kind, '#333')};font-size:90%'>{body}</span>"

    def clear(self) -> None:
        self.set("")


def error_text(err: BaseException) -> str:
    """A Japanese one-line-per-problem text for an error raised by the library.

    An error whose text is not Japanese (a library's own English message, such as lxml's "All strings must
    be XML compatible") is never shown to staff: they read a Japanese sentence instead, and the error goes
    to the log (the kernel's stderr: the server log under Voila) for whoever runs the server.

    >>> error_text(ValueError("All strings must be XML compatible"))
    '予期しない問題が起きたため、できませんでした（詳しい内容はサーバーのログにあります）'
    """
    if isinstance(err, InputError):
        return "\n".join(
            p.message + (f"（使える値: {p.allowed}）" if p.allowed else "") for p in err.problems
        )
    text = str(err)
    if text and not text.isascii():
        return text  # the library's own messages are Japanese
    import logging

    logging.getLogger("workbench").error("画面に出さなかったエラー: %s: %s", type(err).__name__, text)
    if isinstance(err, OSError):
        return "ファイルを読み書きできませんでした。ディスクの空きと書き込みの権限を確かめてください"
    return "予期しない問題が起きたため、できませんでした（詳しい内容はサーバーのログにあります）"


def html_table(df, max_rows: int = 200, **kwargs: Any) -> str:
    """A pandas frame as a table staff can read, inside ``ipywidgets.HTML``: no index, headers on one line,
    long text wrapped in full, numbers with separators, ○/— and 「—」 for nothing, sources in Japanese
    (:func:`workbench.staff.table_html`)."""
    from ..staff import table_html

    return table_html(df, max_rows=max_rows, **kwargs)


def section(title: str, *children: w.Widget, css: str | None = None) -> w.VBox:
    """A titled block of widgets."""
    box = w.VBox([w.HTML(f"<h3 style='margin:12px 0 4px'>{html.escape(title)}</h3>"), *children])
    if css:
        box.add_class(css)
    return box


# --- the shared session -------------------------------------------------------------------------------


class Session(traitlets.HasTraits):
    """The prefecture being looked at, shared by the panels of a notebook or dashboard.

    Attributes
    ----------
    pref : workbench.inventory.Prefecture or None
        The current prefecture (edits in the editors replace it with a new object).
    path : pathlib.Path or None
        The file it was loaded from and is saved to.
    revision : int
        Incremented at every change of ``pref``; panels observe it to redraw.
    unsaved : bool
        An applied edit is not yet in the file (whichever editor applied it).
    saves, saved_text : int, str
        The number of saves so far and what the last one said; editors observe ``saves``.
    """

    pref = traitlets.Any(None)
    path = traitlets.Any(None)
    revision = traitlets.Int(0)
    #: True after an edit was applied and before the file was saved (shared by every editor on the session:
    #: a save from one editor is a save of all of them)
    unsaved = traitlets.Bool(False)
    #: what the last save said (「保存しました: 09_tochigi.yaml」), and how many saves there were: every editor
    #: of the session observes ``saves`` and puts the line in place of its own 「まだ…保存していません」
    saved_text = traitlets.Unicode("")
    saves = traitlets.Int(0)

    def set(self, pref: Any, path: Path | None = None, *, source: Any = None) -> None:
        """Make ``pref`` current (and ``path`` when given); observers are called once.

        ``source``: what ``pref`` was read from, unchanged (the file's path, modification time and size, as the
        picker gives it); panels then keep results per source (:meth:`key`), so switching back to a
        prefecture shown before does not compute them again. An edit (no ``source``) is new content."""
        with self.hold_trait_notifications():
            self.pref = pref
            if path is not None:
                self.path = Path(path)
        self.source = source
        self.revision += 1

    #: see :meth:`set`
    source: Any = None

    def key(self) -> Any:
        """What the current prefecture's content is known by: its unchanged file (:meth:`set`'s ``source``),
        else this revision of the session (an edited prefecture is new content). Panels key their cached
        results with it (:class:`Memo`, :meth:`FigureSlot.show_for`)."""
        if self.source is not None:
            return ("file", self.source)
        return ("revision", id(self), self.revision)

    def on_change(self, callback: Callable[[Any], None], *, secondary: bool = False) -> None:
        """Call ``callback(pref)`` after every change; ``secondary`` callbacks go through :meth:`later`."""
        if secondary:
            self.observe(
                lambda _change: self.later(lambda: callback(self.pref), key=callback), names="revision"
            )
        else:
            self.observe(lambda _change: callback(self.pref), names="revision")

    #: seconds a secondary redraw waits under Voila. 0 still defers it to the kernel's event loop: the chart
    #: the user looks at first is sent (flushed) before the others are computed, and the others follow at once
    #: (0.12 s was measured to add ~120 ms to the time every chart has settled, for no gain in the first one)
    PROGRESSIVE_DELAY = 0.0
    #: seconds the ``last`` redraws (the tables below the charts) wait under Voila. Once the charts of a state
    #: seen before come from the cache, every message of a change reaches the browser within a few ms, and
    #: replacing the long tables (10–15 KB of HTML each, a layout of the whole page) fell in the same frames as
    #: drawing the charts; the charts are what the viewer looks at first
    LAST_DELAY = 0.3

    def later(self, fn: Callable[[], None], key: Any = None, *, last: bool = False) -> None:
        """Run ``fn`` now; under Voila (a kernel started for a page), a little later on the kernel's event loop,
        so that the chart the user looks at first reaches the browser alone. A newer request with the same
        ``key`` replaces a pending one. ``last``: after everything queued by the same change (tables below the
        charts wait for the charts). Notebooks, nbval and tests run everything at once, as before."""
        import asyncio

        if "VOILA_KERNEL_ID" not in os.environ:
            fn()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            fn()
            return
        pending = self.__dict__.setdefault("_wb_pending", {})
        slot = key if key is not None else fn
        old = pending.pop(slot, None)
        if old is not None:
            old.cancel()

        def run() -> None:
            pending.pop(slot, None)
            fn()

        def hop() -> None:  # one more turn of the loop: the callbacks queued meanwhile run first
            pending[slot] = loop.call_soon(run)

        pending[slot] = loop.call_later(
            self.LAST_DELAY if last else self.PROGRESSIVE_DELAY, hop if last else run
        )

    def classification(self, pref: Any = None) -> Any:
        """``classify(pref)`` (default: the current prefecture), computed once per revision and shared by the
        panels that show it (card, flowchart, platform view)."""
        from ..classify import classify

        pref = self.pref if pref is None else pref
        hit = getattr(self, "_wb_classified", None)
        if hit is not None and hit[0] is pref and hit[1] == self.revision:
            return hit[2]
        res = classify(pref)
        self._wb_classified = (pref, self.revision, res)
        return res

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Session:
        from ..inventory import load

        s = cls()
        s.set(load(path), Path(path))
        return s

    @classmethod
    def from_sample(cls, pref: str) -> Session:
        from ..samples import load_sample, sample_path

        s = cls()
        s.set(load_sample(pref), sample_path(pref))
        return s


def preheated() -> bool:
    """Whether this is a preheated Voila kernel (the notebook runs before any viewer has asked for the page)."""
    return os.environ.get("VOILA_PREHEAT", "False") != "False"


def initial_prefecture(default: str | None = None) -> str:
    """The prefecture code a notebook or dashboard starts with: the URL's ``?pref=`` (under Voila, after
    waiting for the request when the kernel was preheated), else ``WORKBENCH_PREFECTURE``, else
    ``default``, else the built-in sample."""
    from ..samples import resolve_from_env_or_query

    if preheated():
        try:
            from voila.utils import wait_for_request

            wait_for_request()
        except Exception:  # pragma: no cover - outside Voila
            pass
    return resolve_from_env_or_query(default)


#: the value of a dropdown option that stands for "nothing" (未設定, 未確認, —（なし）, —（選んでください）):
#: ipywidgets reads a value of None as "no option selected" and shows a blank box (choosing an option whose
#: value is None selects nothing), so such an option carries this value; :func:`chosen` gives None back
NOTHING = "__nothing__"


def none_safe(options: list) -> list[tuple[str, Any]]:
    """Dropdown options with :data:`NOTHING` in place of a None value."""
    return [(label, NOTHING if value is None else value) for label, value in options]


def name_options(pairs: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Chooser options labelled by name alone (the file's id is the value behind the label, never shown): a
    name that two items share is told apart by 「（2件目）」."""
    seen: dict[str, int] = {}
    out = []
    for name, value in pairs:
        label = str(name or "（名称なし）")
        seen[label] = seen.get(label, 0) + 1
        out.append((label if seen[label] == 1 else f"{label}（{seen[label]}件目）", value))
    return out


def chosen(dropdown: w.Dropdown) -> Any:
    """A dropdown's value, None for the option that stands for nothing (:data:`NOTHING`)."""
    value = dropdown.value
    return None if value is None or (isinstance(value, str) and value == NOTHING) else value


def select(dropdown: w.Dropdown, value: Any) -> None:
    """Choose the option whose value is ``value`` (None: the option that stands for nothing), else the first."""
    values = [v for _, v in dropdown.options]
    if not values:
        return
    target = NOTHING if value is None else value
    index = next((i for i, v in enumerate(values) if v == target and type(v) is type(target)), None)
    if index is None:
        index = next((i for i, v in enumerate(values) if v == target), 0)
    if dropdown.index != index:
        dropdown.index = index


def set_options(dropdown: w.Dropdown, options: list[tuple[str, Any]], keep: bool = True) -> None:
    """Replace a dropdown's options, keeping its value when still offered (else the first option).

    Observers see at most one change of ``value``; ipywidgets' ``hold_trait_notifications`` cannot be used
    here (it cross-validates the old value against the new options).
    """
    values = [v for _, v in options]
    old = dropdown.value
    target = old if keep and old in values else (values[0] if values else None)
    if list(dropdown.options) == list(options) and old == target:
        return
    dropdown.options = options  # ipywidgets selects the first option (or None)
    if dropdown.value != target or dropdown.index is None:
        select(dropdown, target)
