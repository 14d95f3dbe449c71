"""Step 2 and Step 3 panels: the type flowchart with the path taken, the vision card and the plan editor
(action items: owner, start, duration, dependencies; the Gantt chart follows every edit).

Numbers and schedules come from :mod:`workbench.plan` and :mod:`workbench.classify`; figures from
``workbench.charts.plan``.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w
from pydantic import ValidationError

from ..errors import InputError
from ._common import FigureSlot, Message, Session, StaticFallback, error_text, html_table, set_options
from .step1 import optional


def _chart(name: str):
    """A builder of ``workbench.charts.plan`` (None while that module is not installed)."""
    mod = optional("workbench.charts.plan")
    return getattr(mod, name, None) if mod is not None else None


def _missing_note(what: str) -> w.HTML:
    return w.HTML(
        f"<p style='color:#666'>{html.escape(what)}: workbench.charts.plan が未導入のため表示できません</p>"
    )


class TypeFlowchart(StaticFallback, w.VBox):
    """The 型 flowchart (1.x → pattern → 2.x → 2.4) with the prefecture's path highlighted.

    Attributes
    ----------
    figure : FigureSlot
        ``workbench.charts.plan.type_flowchart(classification)`` (``wb-fig-flowchart``).
    steps : ipywidgets.HTML
        The questions of the pattern flow with the answers taken (``wb-flow-steps``).
    result : workbench.classify.Classification or None
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.result = None
        self.figure = FigureSlot("wb-fig-flowchart")
        self.steps = w.HTML()
        self.steps.add_class("wb-flow-steps")
        self.message = Message()
        self._builder = _chart("type_flowchart")
        body = self.figure.widget if self._builder else _missing_note("型のフローチャート")
        super().__init__([self.message, body, self.steps])
        self.add_class("wb-flowchart")
        session.on_change(self.update, secondary=True)
        if session.pref is not None:
            self.update(session.pref)

    def update(self, pref: Any) -> None:

        try:
            res = self.session.classification(pref)
            if self._builder:
                self.figure.show(self._builder(res))
        except Exception as err:
            self.message.set(error_text(err), "error")
            return
        self.message.clear()
        self.result = res
        rows = "".join(
            f"<li>{html.escape(s.question)} → <b>{html.escape(s.answer)}</b>"
            f"<span style='color:#666'>（{html.escape(s.why)}）</span></li>"
            for s in res.flow
        )
        note = (
            "<p style='color:#8a6d00'>目指す型が未設定のため、ガイドの目指す姿（型2.4）を仮定しています</p>"
            if res.pattern_target_assumed
            else ""
        )
        if res.pattern_reading:  # which guidebook text (and which of its readings) the pattern follows
            note += f"<p style='color:#666;font-size:90%'>{html.escape(res.pattern_reading)}</p>"
        self.steps.value = (
            f"<h4 style='margin:8px 0 2px'>パターンの判定: {html.escape(res.pattern)}（"
            f"{html.escape(res.pattern_label)}）</h4><ol>{rows}</ol>{note}"
        )


class VisionCard(StaticFallback, w.VBox):
    """Step 2 共同利用ビジョン: purposes, target type, organisation, cost rule, KPIs (``workbench.plan.vision``).

    Attributes
    ----------
    card : ipywidgets.HTML
        The vision's own card (``wb-vision-card``).
    result : workbench.plan.VisionResult or None
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.result = None
        self.card = w.HTML()
        self.card.add_class("wb-vision-card")
        self.message = Message()
        super().__init__([self.message, self.card])
        self.add_class("wb-vision")
        session.on_change(self.update)
        if session.pref is not None:
            self.update(session.pref)

    def update(self, pref: Any) -> None:
        from ..plan import vision

        try:
            res = vision(pref)
        except Exception as err:
            self.message.set(error_text(err), "error")
            return
        self.message.clear()
        self.result = res
        self.card.value = res._repr_html_()


class PlanEditor(StaticFallback, w.VBox):
    """Edit the action items of the Step 3 plan; the schedule and the Gantt chart follow every edit.

    Attributes
    ----------
    chooser : ipywidgets.Dropdown
        The item being edited (``wb-plan-item``).
    owner : ipywidgets.Dropdown
        担当 (data/owner_roles.csv labels, codes stored) (``wb-plan-owner``).
    start : ipywidgets.BoundedIntText
        Earliest start, months from the plan start (``wb-plan-start``).
    duration : ipywidgets.BoundedIntText
        Duration in months, 0 = milestone (``wb-plan-duration``).
    depends_on : ipywidgets.SelectMultiple
        Predecessors (``wb-plan-deps``).
    done : ipywidgets.Checkbox
        完了 (``wb-plan-done``).
    apply_button : ipywidgets.Button
        Writes the edit into the session's prefecture (``plan:`` section) (``wb-plan-apply``).
    gantt : FigureSlot
        ``workbench.charts.plan.gantt(plan)`` (``wb-fig-gantt``).
    table : ipywidgets.HTML
        The schedule (``wb-plan-table``).
    message : Message
        Inline errors (a dependency cycle, an unknown id …) — nothing changes then (``wb-plan-msg``).
    plan : workbench.plan.ActionPlan or None
        The schedule shown.
    """

    def __init__(self, session: Session) -> None:
        from ..plan import owner_roles

        self.session = session
        self.plan = None
        self.chooser = w.Dropdown(description="取組事項", layout=w.Layout(width="560px"))
        self.chooser.add_class("wb-plan-item")
        self.owner = w.Dropdown(
            options=[(r.label_ja, r.code) for r in owner_roles().itertuples()], description="担当"
        )
        self.owner.add_class("wb-plan-owner")
        self.start = w.BoundedIntText(min=0, max=240, description="開始（月）")
        self.start.add_class("wb-plan-start")
        self.duration = w.BoundedIntText(min=0, max=120, description="期間（月）")
        self.duration.add_class("wb-plan-duration")
        self.depends_on = w.SelectMultiple(description="依存", rows=5, layout=w.Layout(width="560px"))
        self.depends_on.add_class("wb-plan-deps")
        self.done = w.Checkbox(description="完了", indent=False)
        self.done.add_class("wb-plan-done")
        self.apply_button = w.Button(description="適用", button_style="primary", icon="check")
        self.apply_button.add_class("wb-plan-apply")
        self.message = Message("wb-plan-msg")
        self.gantt = FigureSlot("wb-fig-gantt")
        self.table = w.HTML()
        self.table.add_class("wb-plan-table")
        self._gantt = _chart("gantt")
        form = w.VBox(
            [
                self.chooser,
                w.HBox([self.owner, self.start, self.duration, self.done]),
                self.depends_on,
                w.HBox([self.apply_button]),
                self.message,
            ]
        )
        form.add_class("wb-plan-form")
        super().__init__(
            [form, self.gantt.widget if self._gantt else _missing_note("ガントチャート"), self.table]
        )
        self.add_class("wb-plan-editor")
        self._quiet = False
        self.chooser.observe(lambda _c: None if self._quiet else self._fill(), names="value")
        self.apply_button.on_click(lambda _b: self.apply())
        session.on_change(self.update)
        if session.pref is not None:
            self.update(session.pref)

    def update(self, pref: Any) -> None:
        """Recompute the schedule of ``pref`` and redraw."""
        from ..plan import action_plan

        try:
            plan = action_plan(pref)
        except Exception as err:
            self.message.set(error_text(err), "error")
            return
        self.plan = plan
        opts = [(f"{i.id}：{i.title}", i.id) for i in plan.items]
        self._quiet = True
        try:
            set_options(self.chooser, opts)
        finally:
            self._quiet = False
        self._fill()
        if self._gantt:
            self.gantt.show(self._gantt(plan))
        df = plan.to_frame()[
            ["ID", "取組事項", "担当", "開始（月）", "期間（月）", "終了（月）", "依存", "クリティカル"]
        ]
        self.table.value = html_table(df)

    def _fill(self) -> None:
        if self.plan is None or self.chooser.value is None:
            return
        item = self.plan.item(self.chooser.value)
        self.owner.value = (
            item.owner if item.owner in [v for _, v in self.owner.options] else self.owner.options[0][1]
        )
        self.start.value = item.start_floor
        self.duration.value = item.duration
        self.depends_on.options = [(f"{i.id}：{i.title}", i.id) for i in self.plan.items if i.id != item.id]
        self.depends_on.value = tuple(d for d in item.depends_on if d != item.id)
        self.done.value = item.done

    def apply(self) -> bool:
        """Write the form into the prefecture's ``plan:`` (only what changed) and reschedule.

        A refused edit (cycle, bad value) shows the message and changes nothing.
        """
        from ..plan import action_plan, set_item

        pref = self.session.pref
        if pref is None or self.plan is None or self.chooser.value is None:
            return False
        item = self.plan.item(self.chooser.value)
        changes: dict[str, Any] = {}
        if self.owner.value != item.owner:
            changes["owner"] = self.owner.value
        if self.start.value != item.start_floor:
            changes["start"] = int(self.start.value)
        if self.duration.value != item.duration:
            changes["duration"] = int(self.duration.value)
        if list(self.depends_on.value) != list(item.depends_on):
            changes["depends_on"] = list(self.depends_on.value)
        if self.done.value != item.done:
            changes["done"] = bool(self.done.value)
        if not changes:
            self.message.set("変更はありません", "info")
            return False
        candidate = pref.model_copy()
        candidate.plan = pref.plan.model_copy(deep=True) if pref.plan is not None else None
        try:
            set_item(candidate, item.id, **changes)
            action_plan(candidate)
        except (InputError, ValidationError, ValueError) as err:
            text = error_text(err) if isinstance(err, InputError) else str(err)
            self.message.set("適用しませんでした: " + text, "error")
            return False
        self.session.set(candidate)
        self.message.set(f"{item.id} を更新しました（{', '.join(changes)}）", "ok")
        return True


def plan_table(plan) -> str:  # pragma: no cover - convenience for notebooks
    return html_table(plan.to_frame())
