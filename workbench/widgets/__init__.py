"""ipywidgets panels for notebooks and Voila dashboards, built on the analyses and the chart builders.

Every panel is an ``ipywidgets`` box subclass (its ``.widget`` is itself where provided) with stable CSS
hooks (``wb-…``) for browser tests, and observes a shared :class:`Session` holding the prefecture.
Figures are drawn by replacing an ``Output`` widget's outputs with the plotly mime bundle (never by
``Output`` capture).

==========================  ===========================================================================
:class:`PrefecturePicker`   the 47 prefectures; loads the sample (or synthetic) file into the session
:class:`ClassificationCard` Step 1: counts, 型, pattern, municipalities, path to 型2.4, 課題リスト
:class:`PlatformView`       Step 1 per platform: 俯瞰図, attributes, services, issues
:class:`PlatformEditor`     add / edit / delete platforms, inline messages, atomic save, autosave
:class:`ServiceEditor`      the same for services
:class:`TypeFlowchart`      the 型 flowchart with the path taken
:class:`AuthMatrix`         services × means, level gaps, federation
:class:`CostSimulator`      rules, weight and prefecture-share sliders, live charts, fairness flags
:class:`LateJoinerPanel`    a municipality joining later, per policy
:class:`CostEffectPanel`    guide 2.5 per municipality and for the prefecture, guide 2.6 module effect
:class:`VisionCard`         Step 2 共同利用ビジョン
:class:`VisionEditor`       Step 2 purposes, organisation, cost rule, KPIs (saved like every editor)
:class:`OptionsPanel`       Step 2 目指す型の選択: options, costs, recommendation, weights as sliders
:class:`PlanEditor`         Step 3 action items with the Gantt chart (saved like every editor)
:class:`MultiChoice`        a multi-selection as toggle buttons, the choice written out
:class:`SaveControls`       保存・自動保存・この版に戻す, shared by the editors
:class:`DataFlowPanel`      データマップ: flows, field × field links, model coverage, published APIs
:class:`OverviewDashboard`, :class:`CostDashboard`, :class:`AuthDashboard`, :class:`DataFlowDashboard`  dashboards
:class:`DeckDownload`       the meeting deck (PowerPoint) as a download link
==========================  ===========================================================================
"""

from __future__ import annotations

from ._common import FigureSlot, Message, Session, initial_prefecture
from .auth import AuthMatrix
from .choice import MultiChoice
from .cost import CostSimulator, LateJoinerPanel
from .dashboards import AuthDashboard, CostDashboard, Dashboard, DataFlowDashboard, OverviewDashboard
from .datamap import DataFlowPanel
from .editors import PlatformEditor, ServiceEditor
from .effect import CostEffectPanel
from .export import DeckDownload
from .options import OptionsPanel
from .picker import PrefecturePicker
from .plan import PlanEditor, TypeFlowchart, VisionCard
from .saving import SaveControls
from .step1 import ClassificationCard, PlatformView
from .vision import VisionEditor

__all__ = [
    "AuthDashboard",
    "AuthMatrix",
    "ClassificationCard",
    "CostDashboard",
    "CostEffectPanel",
    "CostSimulator",
    "Dashboard",
    "DataFlowDashboard",
    "DataFlowPanel",
    "DeckDownload",
    "FigureSlot",
    "LateJoinerPanel",
    "Message",
    "OptionsPanel",
    "MultiChoice",
    "OverviewDashboard",
    "PlanEditor",
    "PlatformEditor",
    "PlatformView",
    "PrefecturePicker",
    "SaveControls",
    "ServiceEditor",
    "Session",
    "TypeFlowchart",
    "VisionCard",
    "VisionEditor",
    "initial_prefecture",
]
