"""The authentication-level panel (住民の理解: 認証レベル, guide 3.4 and 4.1): services × means matrix, level
gaps, federation between platforms. Every number comes from :func:`workbench.auth.match_auth`."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import ipywidgets as w

from ..text import with_synthetic_mark
from ._common import FigureSlot, Message, Session, StaticFallback, error_text, html_table

# the day the image-based eKYC methods end (DOMAIN §6): a plan for 2027 sees the change
EKYC_CHANGE = dt.date(2027, 4, 1)


class AuthMatrix(StaticFallback, w.VBox):
    """Services × ID means, the level gaps and the federation pairs on a chosen date.

    Attributes
    ----------
    session : Session
        Observed; redraws on change.
    on : ipywidgets.DatePicker
        The reference date (default today). ``wb-auth-date``.
    when : ipywidgets.ToggleButtons
        Quick dates: 今日 / 2027-04-01以降 (image-based eKYC abolished). ``wb-auth-when``.
    include_open : ipywidgets.Checkbox
        Also list services that need no sign-in. ``wb-auth-open``.
    matrix : FigureSlot
        The services × means heatmap (``wb-fig-auth-matrix``).
    gaps : FigureSlot
        Offered minus required per service (``wb-fig-auth-gaps``).
    map : FigureSlot
        The municipalities coloured by the largest level gap of the services they use (``wb-fig-auth-map``;
        :func:`workbench.charts.map.auth_map`).
    card : ipywidgets.HTML
        Counts and recommendations (``wb-auth-card``).
    services, federation, denied : ipywidgets.HTML
        Tables: per service, federation pairs (aligned or not, what to raise), denied data flows.
    result : workbench.auth.AuthMatch or None
    """

    placeholder_ja = "認証レベルの照合"

    def __init__(self, session: Session, on: dt.date | None = None) -> None:
        self.session = session
        self.result = None
        self.on = w.DatePicker(value=on or dt.date.today(), description="基準日")
        self.on.add_class("wb-auth-date")
        self.when = w.ToggleButtons(options=[("今日", "today"), ("2027-04-01以降", "2027")], value=None)
        self.when.add_class("wb-auth-when")
        self.include_open = w.Checkbox(
            value=False, description="サインイン不要のサービスも表示", indent=False
        )
        self.include_open.add_class("wb-auth-open")
        self.matrix = FigureSlot("wb-fig-auth-matrix", session=session)
        self.gaps = FigureSlot("wb-fig-auth-gaps", session=session)
        self.map = FigureSlot("wb-fig-auth-map", height=560, session=session)
        self.card = w.HTML()
        self.card.add_class("wb-auth-card")
        self.services = w.HTML()
        self.services.add_class("wb-auth-services")
        self.federation = w.HTML()
        self.federation.add_class("wb-auth-federation")
        self.denied = w.HTML()
        self.denied.add_class("wb-auth-denied")
        self.message = Message()
        super().__init__(
            [
                w.HBox([self.on, self.when, self.include_open]),
                self.message,
                self.card,
                self.matrix.widget,
                self.gaps.widget,
                self.map.widget,
                self.services,
                self.federation,
                self.denied,
            ]
        )
        self.add_class("wb-auth")
        self.when.observe(self._quick, names="value")
        self.on.observe(lambda _c: self.update(), names="value")
        self.include_open.observe(lambda _c: self.update(), names="value")
        session.on_change(lambda _p: self.update())
        if session.pref is not None:
            self.update()

    def _quick(self, change: Any) -> None:
        if change["new"] == "today":
            self.on.value = dt.date.today()
        elif change["new"] == "2027":
            self.on.value = EKYC_CHANGE

    def update(self, _pref: Any = None) -> None:
        """Match the prefecture's services against its platforms' means on the chosen date and redraw."""
        from ..auth import match_auth
        from ..charts import JA_FONT, apply_template
        from ..charts import auth as charts

        pref = self.session.pref
        if pref is None:
            return
        try:
            res = match_auth(pref, on=self.on.value or dt.date.today())
            matrix = charts.means_heatmap(res, include_open=self.include_open.value)
        except Exception as err:
            self.message.set(error_text(err), "error")
            return
        self.message.clear()
        self.result = res
        # each chart goes to the browser as soon as it is built, the main one first
        n = len(matrix.data[0].y or []) if matrix.data else 0
        apply_template(matrix).update_layout(font={"family": JA_FONT}, height=420 + 40 * n if n else 220)
        self.matrix.show(matrix)

        def draw_gaps() -> None:
            gaps = charts.level_gap_heatmap(res)
            m = len(gaps.data[0].y or []) if gaps.data else 0
            apply_template(gaps).update_layout(font={"family": JA_FONT}, height=200 + 36 * m if m else 160)
            self.gaps.show(gaps)

        self.session.later(draw_gaps, key=(id(self), "gaps"))
        from ..charts.map import auth_map

        self.session.later(lambda: self.map.show(auth_map(pref, res)), key=(id(self), "map"))
        self.session.later(lambda: self._draw_tables(res), key=(id(self), "tables"), last=True)

    def _draw_tables(self, res: Any) -> None:
        """The card and the tables below the charts (drawn after them)."""
        rows = "".join(
            f"<tr><th style='text-align:left;padding-right:1em'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
            for k, v in res.card_rows()
        )
        recs = "".join(f"<li>{html.escape(r)}</li>" for r in res.recommendations)
        self.card.value = (
            f"<div style='border:1px solid #ccd;border-radius:6px;padding:8px 12px'><h3 style='margin:4px 0'>"
            f"{html.escape(with_synthetic_mark(res.card_title(), self.session.pref))}</h3><table>{rows}</table>"
            + (f"<h4 style='margin:6px 0 2px'>推奨</h4><ul>{recs}</ul>" if recs else "")
            + "<p style='font-size:85%;color:#666'>手段ごとのレベルはプロジェクトの既定の仮定です"
            "（都道府県ファイルの認証の設定で変更できます）。</p></div>"
        )
        cols = ["サービス", "基盤", "必要", "提供", "充足", "不足"]
        df = res.to_staff_frame()[cols]  # names as the file gives them; ids stay in the JSON
        self.services.value = "<h4 style='margin:8px 0 2px'>サービス別の充足</h4>" + html_table(df)
        fed = res.federation_frame().copy()
        fed["整合"] = fed["整合"].map(lambda x: "○" if x else "×")
        self.federation.value = "<h4 style='margin:8px 0 2px'>基盤間の認証連携</h4>" + html_table(fed)
        self.denied.value = "<h4 style='margin:8px 0 2px'>レベル不足で拒否されるデータ連携</h4>" + html_table(
            res.denied_flows_frame()
        )
