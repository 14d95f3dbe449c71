"""The prefecture picker: the 47 prefectures, default the built-in sample (福島県)."""

from __future__ import annotations

import ipywidgets as w

from .. import reference
from ..errors import shorten
from ._common import Message, Session, StaticFallback, error_text


class PrefecturePicker(StaticFallback, w.HBox):
    """A dropdown of the 47 prefectures (labels ``07 福島県``, values the JIS code) that loads the chosen
    prefecture's sample file (or its synthetic file, marked as such) into a :class:`Session`.

    Attributes
    ----------
    dropdown : ipywidgets.Dropdown
        The list; ``dropdown.value`` is the JIS code. CSS hook ``wb-pref-picker``.
    message : Message
        Where the file loaded (and whether it is synthetic), or the error when it could not be read.
    session : Session
        The session the picker writes into; other panels observe it.
    value : str
        The selected JIS code (read/write, same as ``dropdown.value``).
    """

    def __init__(self, session: Session | None = None, value: str | None = None, load: bool = True) -> None:
        from ..samples import DEFAULT_PREFECTURE, sample_files

        self.session = session or Session()
        samples = sample_files()
        options = [
            (f"{code} {name}" + ("（サンプル）" if code in samples else "（合成データ）"), code)
            for code, name in reference.prefectures()[["code", "name"]].itertuples(index=False)
        ]
        self.dropdown = w.Dropdown(
            options=options,
            value=reference.resolve_prefecture(value or DEFAULT_PREFECTURE)[0],
            description="都道府県",
            layout=w.Layout(width="280px"),
        )
        self.dropdown.add_class("wb-pref-picker")
        self.message = Message("wb-pref-msg")
        super().__init__([self.dropdown, self.message])
        self.add_class("wb-picker")
        self.dropdown.observe(self._changed, names="value")
        if load and self.session.pref is None:
            self.load()

    @property
    def value(self) -> str:
        return self.dropdown.value

    @value.setter
    def value(self, code: str) -> None:
        self.dropdown.value = reference.resolve_prefecture(code)[0]

    @property
    def widget(self) -> w.Widget:
        return self

    def unknown(self, raw: str) -> None:
        """Tell the viewer that the link's ``?pref=`` named no prefecture (``raw``): the message says what is
        shown instead and points at the dropdown; it goes when another prefecture is chosen."""
        name = reference.resolve_prefecture(self.dropdown.value)[1]
        self.message.set(
            f"リンクの都道府県の指定（pref={shorten(raw, 40)}）に当てはまる都道府県がありません。"
            f"いまは {self.dropdown.value} {name} を表示しています。「都道府県」のプルダウンから選んでください",
            "error",
        )
        self.message.add_class("wb-pref-unknown")

    def _changed(self, change) -> None:
        self.load()

    def load(self) -> None:
        """Load the selected prefecture's file into the session (errors shown in :attr:`message`)."""
        from ..samples import has_sample, load_sample, sample_path

        self.message.remove_class("wb-pref-unknown")
        code = self.dropdown.value
        try:
            path = sample_path(code)
            pref = load_sample(code)
        except Exception as err:  # shown to the user, not raised
            self.message.set(f"読み込めませんでした: {error_text(err)}", "error")
            return
        try:
            st = path.stat()
            source = (str(path), st.st_mtime_ns, st.st_size)
        except OSError:
            source = None
        self.session.set(pref, path, source=source)
        kind = "サンプル" if has_sample(code) else "合成データ（実在しない基盤）"
        self.message.set(f"{kind}: {path.name}", "info")
