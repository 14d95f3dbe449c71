"""Step 2 (目的の設定とビジョンの策定) and Step 3 (実行計画の策定及び実行) of the guide (3.1).

* :mod:`workbench.plan.step2` — :func:`vision`: the purposes (guide 2.4, with the survey's counts), the target
  型 with a recommended path to 型2.4 (guide 3.2; guidebook 型2.x), the pattern (classify), the operating
  organisation (guide 2.7), the cost-sharing rule and scheme and KPI targets (guidebook 8.3).
* :mod:`workbench.plan.step3` — :func:`action_plan`: action items generated from the pattern's work items, the
  five considerations (guide 3.3) and Step 1's high-severity issues, with the user's edits from the file's
  ``plan:`` section, scheduled.
* :mod:`workbench.plan.graph` — the scheduling graph: earliest start honouring dependencies, slack, cycles.
* :mod:`workbench.plan.editing` — :func:`set_item`, :func:`remove_item` (notebooks, widgets).

Pure functions: no charts, no widgets, no files. The plan as an Excel workbook is an export
(:func:`workbench.plan_sheet.plan_xlsx`); ``workbench.plan.plan_xlsx`` still finds it for code written before.
"""

from __future__ import annotations

from typing import Any

from .editing import remove_item, set_item
from .graph import add_months, find_cycle, schedule
from .step2 import (
    KIND_JA,
    CostAdvice,
    KpiView,
    OrgAdvice,
    OrgOption,
    PrefectureRef,
    ShareRow,
    SurveyCount,
    TargetAdvice,
    VisionResult,
    chosen_organisation,
    cost_advice,
    harm_factors,
    kpi_catalogue,
    recommend_organisation,
    recommend_target,
    survey_counts,
    surveyed_bodies,
    vision,
)
from .step3 import (
    DEFAULT_SOURCE,
    LAUNCH_ID,
    ORG_SETUP_ID,
    ActionItem,
    ActionPlan,
    Loc,
    Origin,
    action_plan,
    consideration_label,
    generated_items,
    issue_items,
    owner_label,
    owner_roles,
    pattern_items,
    plan_problems,
    schedule_frame,
)

__all__ = [
    "DEFAULT_SOURCE",
    "KIND_JA",
    "LAUNCH_ID",
    "ORG_SETUP_ID",
    "ActionItem",
    "ActionPlan",
    "CostAdvice",
    "KpiView",
    "Loc",
    "OrgAdvice",
    "OrgOption",
    "Origin",
    "PrefectureRef",
    "ShareRow",
    "SurveyCount",
    "TargetAdvice",
    "VisionResult",
    "action_plan",
    "add_months",
    "chosen_organisation",
    "consideration_label",
    "cost_advice",
    "find_cycle",
    "generated_items",
    "harm_factors",
    "issue_items",
    "kpi_catalogue",
    "owner_label",
    "owner_roles",
    "pattern_items",
    "plan_problems",
    "recommend_organisation",
    "recommend_target",
    "remove_item",
    "schedule",
    "schedule_frame",
    "set_item",
    "survey_counts",
    "surveyed_bodies",
    "vision",
]


def __getattr__(name: str) -> Any:
    """``workbench.plan.plan_xlsx``, the workbook writer now in the exports (:func:`workbench.plan_sheet.plan_xlsx`),
    is still found here for code written before the move. The library itself imports it from the exports:
    tools/layers.py lists this import apart (a moved name) and tests/test_layers.py checks nothing of ours uses it.
    """
    if name == "plan_xlsx":
        from ..plan_sheet import plan_xlsx

        return plan_xlsx
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
