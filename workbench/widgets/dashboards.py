"""The Voila dashboards as widget classes, so each dashboard notebook is two lines and the same
objects can be driven from Python in tests.

Each has a prefecture selector and takes the prefecture from the URL (``?pref=07`` or ``?pref=福島県``),
so a link can be sent before a meeting. Under a preheated Voila kernel the URL is known only after the
request: call :meth:`Dashboard.follow_request` in the cell after the one that shows the dashboard.
"""

from __future__ import annotations

import html
import os

import ipywidgets as w

from ._common import Session, StaticFallback, preheated, section
from .picker import PrefecturePicker


class Dashboard(StaticFallback, w.VBox):
    """Base: a title, the prefecture picker and the panels.

    Attributes
    ----------
    session : Session
        The prefecture shown (loaded by the picker).
    picker : PrefecturePicker
        The selector (``wb-pref-picker`` on its dropdown).
    title : ipywidgets.HTML
        Heading and a shareable link hint (``wb-title``).
    export : DeckDownload
        The meeting deck (PowerPoint) as a download (``wb-deck``).
    panels : list[ipywidgets.Widget]
        The panels below the picker.
    """

    heading = ""
    css = ""
    slug = ""

    def __init__(self, pref: str | None = None) -> None:
        from ..samples import resolve_from_env_or_query

        self.session = Session()
        self.picker = PrefecturePicker(self.session, value=pref or resolve_from_env_or_query(), load=True)
        self.title = w.HTML()
        self.title.add_class("wb-title")
        self.panels = self.build()
        from .export import DeckDownload

        self.export = DeckDownload(self.session)
        super().__init__([self.title, self.picker, self.export, *self.panels])
        self.add_class("wb-dashboard")
        self.add_class(self.css)
        self.session.on_change(lambda _p: self._retitle())
        self._retitle()
        self._tell_unknown()
        freeze_baseline()

    def _tell_unknown(self) -> None:
        """An unknown ``?pref=`` in the link: a message with the picker, never a silent default."""
        from ..samples import unknown_pref

        raw = unknown_pref()
        if raw is not None:
            self.picker.unknown(raw)

    def build(self) -> list[w.Widget]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _retitle(self) -> None:
        pref = self.session.pref
        name = pref.name if pref is not None else ""
        self.title.value = (
            f"<h2 style='margin:4px 0'>{html.escape(self.heading)}：{html.escape(name)}</h2>"
            f"<p style='color:#666;margin:0 0 6px'>会議前に送るリンク: <code>{html.escape(self.slug)}"
            f"?pref={html.escape(self.picker.value)}</code></p>"
        )

    def follow_request(self) -> str:
        """Under a preheated Voila kernel, wait for the page request and switch to the URL's prefecture.
        Elsewhere it only re-reads the environment. Returns the prefecture code shown."""
        from ..samples import resolve_from_env_or_query
        from ._common import initial_prefecture

        code = (
            initial_prefecture(self.picker.value)
            if preheated()
            else resolve_from_env_or_query(self.picker.value)
        )
        if code != self.picker.value:
            self.picker.value = code
        self._tell_unknown()
        return code


def freeze_baseline() -> None:
    """Under Voila, once the page is built: one full garbage collection, then every object alive (modules,
    reference tables, the dashboard) out of the collector's sight (:func:`gc.freeze`). In a preheated kernel
    (built before any viewer arrives) the built-in samples are parsed first
    (:func:`workbench.samples.warm_samples`): the first switch to another sample prefecture took 68 ms
    instead of 37 ms for parsing its file.

    A dashboard kernel holds about 250,000 tracked objects; a full collection over them takes about 150 ms on
    this machine, and one that falls inside a control change delays every chart by as much (B3 showed single
    changes of 400 ms among 200 ms ones). Objects made afterwards are collected as usual; the few of the first
    view that become garbage inside reference cycles stay (a one-off, bounded). Elsewhere (notebooks, tests)
    nothing is done."""
    if "VOILA_KERNEL_ID" not in os.environ:
        return
    import gc

    if preheated():
        from ..samples import warm_samples

        warm_samples()
    gc.collect()
    gc.freeze()


class OverviewDashboard(Dashboard):
    """県の全体像: today's type, counts, municipalities by population and platform use, the issue list, the
    flowchart and the path to 型2.4.

    Attributes
    ----------
    card : ClassificationCard
    flowchart : TypeFlowchart
    """

    heading = "県の全体像"
    css = "wb-dash-overview"
    slug = "県の全体像.ipynb"

    def build(self) -> list[w.Widget]:
        from .plan import TypeFlowchart
        from .step1 import ClassificationCard

        self.card = ClassificationCard(self.session)
        self.flowchart = TypeFlowchart(self.session)
        return [section("現在の状況（Step 1）", self.card), section("型2.4への道筋", self.flowchart)]


class CostDashboard(Dashboard):
    """費用負担シミュレーター: rules side by side, sliders, the fairness audit, late joiners.

    Attributes
    ----------
    simulator : CostSimulator
    effect : CostEffectPanel
    late : LateJoinerPanel
    options : OptionsPanel
    """

    heading = "費用負担シミュレーター"
    css = "wb-dash-cost"
    slug = "費用負担シミュレーター.ipynb"

    def build(self) -> list[w.Widget]:
        from .cost import CostSimulator, LateJoinerPanel
        from .effect import CostEffectPanel
        from .options import OptionsPanel

        self.simulator = CostSimulator(self.session)
        self.effect = CostEffectPanel(self.session, self.simulator)
        self.late = LateJoinerPanel(self.session, rule=self.simulator.rule)
        self.options = OptionsPanel(self.session)
        return [
            section("配分ルールの比較と公平性", self.simulator),
            section("ガイドの調査結果との比較（2.5 共同利用の効果・2.6 推奨モジュールの効果）", self.effect),
            section("後から参加する団体", self.late),
            section("目指す型の選択肢と費用・推奨（Step 2、ガイド 3.2）", self.options),
        ]


class AuthDashboard(Dashboard):
    """認証レベル: services × means matrix, gaps, federation.

    Attributes
    ----------
    matrix : AuthMatrix
    """

    heading = "認証レベル"
    css = "wb-dash-auth"
    slug = "認証レベル.ipynb"

    def build(self) -> list[w.Widget]:
        from .auth import AuthMatrix

        self.matrix = AuthMatrix(self.session)
        return [section("サービスと本人確認手段", self.matrix)]


class DataFlowDashboard(Dashboard):
    """データの流れ: the データマップ — flow diagram, field × field matrix of realised and candidate links,
    standard-model coverage, interoperability layers and the 公開API一覧.

    Attributes
    ----------
    panel : DataFlowPanel
    """

    heading = "データの流れ"
    css = "wb-dash-datamap"
    slug = "データの流れ.ipynb"

    def build(self) -> list[w.Widget]:
        from .datamap import DataFlowPanel

        self.panel = DataFlowPanel(self.session)
        return [section("データマップ（サービス側・データアセット側）", self.panel)]
