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

from ..charts import plan as plan_charts
from ..errors import InputError
from ..staff import answer_ja, prose_ja
from ._common import FigureSlot, Message, Session, StaticFallback, error_text, html_table, set_options


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
        super().__init__([self.message, self.figure.widget, self.steps])
        self.add_class("wb-flowchart")
        session.on_change(self.update, secondary=True)
        if session.pref is not None:
            self.update(session.pref)

    def update(self, pref: Any) -> None:

        try:
            res = self.session.classification(pref)
            self.figure.show(plan_charts.type_flowchart(res))
        except Exception as err:
            self.message.set(error_text(err), "error")
            return
        self.message.clear()
        self.result = res
        rows = "".join(
            f"<li>{html.escape(s.question)} → <b>{html.escape(answer_ja(s.answer))}</b>"
            f"<span style='color:#666'>（{html.escape(s.why)}）</span></li>"
            for s in res.flow
        )
        note = (
            "<p style='color:#8a6d00'>目指す型が未設定のため、ガイドの目指す姿（型2.4）を仮定しています</p>"
            if res.pattern_target_assumed
            else ""
        )
        if res.pattern_reading:  # which guidebook text (and which of its readings) the pattern follows
            note += f"<p style='color:#666;font-size:90%'>{html.escape(prose_ja(res.pattern_reading))}</p>"
        self.steps.value = (
            f"<h4 style='margin:8px 0 2px'>パターンの判定: {html.escape(res.pattern_text())}</h4>"
            f"<ol>{rows}</ol>{note}"
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


FIELD_LABELS = {"owner": "担当", "start": "開始", "duration": "期間", "depends_on": "依存", "done": "完了"}


class PlanEditor(StaticFallback, w.VBox):
    """Edit the action items of the Step 3 plan; the schedule and the Gantt chart follow every edit, and the
    edits are saved like every other edit (適用 → autosave, ファイルに保存, 自動保存 → この版に戻す).

    Attributes
    ----------
    chooser : ipywidgets.Dropdown
        The item being edited (``wb-plan-item``).
    owner : ipywidgets.Dropdown
        担当 (data/owner_roles.csv labels, codes stored) (``wb-plan-owner``).
    start : ipywidgets.BoundedIntText
        Earliest start, months from the plan start (``wb-plan-start``); the date it stands for is shown
        beside it once the plan has a start date.
    duration : ipywidgets.BoundedIntText
        Duration in months, 0 = milestone (``wb-plan-duration``).
    depends_on : MultiChoice
        Predecessors, one click adds or removes one (``wb-plan-deps``).
    done : ipywidgets.Checkbox
        完了 (``wb-plan-done``).
    plan_start : ipywidgets.DatePicker
        The plan's start date (``wb-plan-start-date``): with it the schedule, the Gantt chart and the Excel
        export show real dates and 年度.
    apply_button : ipywidgets.Button
        Writes the edit into the session's prefecture (``plan:`` section) and autosaves (``wb-plan-apply``).
    saving : SaveControls
        ``save_button`` (``wb-save``, ``wb-plan-editor-save``), ``status``, autosaved versions and restore.
    gantt : FigureSlot
        ``workbench.charts.plan.gantt(plan)`` (``wb-fig-gantt``).
    table : ipywidgets.HTML
        The schedule (``wb-plan-table``).
    message : Message
        Inline errors (a dependency cycle, an unknown id …) — nothing changes then (``wb-plan-msg``).
    plan : workbench.plan.ActionPlan or None
        The schedule shown.
    """

    css = "wb-plan-editor"

    def __init__(self, session: Session) -> None:
        from ..plan import owner_roles
        from .choice import MultiChoice
        from .saving import SaveControls

        self.session = session
        self.plan = None
        self.chooser = w.Dropdown(description="取組事項", layout=w.Layout(width="640px"))
        self.chooser.add_class("wb-plan-item")
        self.owner = w.Dropdown(
            options=[(r.label_ja, r.code) for r in owner_roles().itertuples()], description="担当"
        )
        self.owner.add_class("wb-plan-owner")
        style = {"description_width": "initial"}
        self.start = w.BoundedIntText(min=0, max=240, description="開始（計画開始から何か月後）", style=style)
        self.start.add_class("wb-plan-start")
        self.start_note = w.HTML()
        self.duration = w.BoundedIntText(min=0, max=120, description="期間（か月、0は節目）", style=style)
        self.duration.add_class("wb-plan-duration")
        self.depends_on = MultiChoice(
            "依存（先に終える取組事項）", empty_text="なし（計画の開始からすぐ始められる）"
        )
        self.depends_on.add_class("wb-plan-deps")
        self.done = w.Checkbox(description="完了", indent=False)
        self.done.add_class("wb-plan-done")
        self.plan_start = w.DatePicker(description="計画の開始日", style=style)
        self.plan_start.add_class("wb-plan-start-date")
        self.plan_start_note = w.HTML()
        self.plan_start.observe(lambda _c: self._plan_start_note(), names="value")
        self.apply_button = w.Button(description="適用", button_style="primary", icon="check")
        self.apply_button.add_class("wb-plan-apply")
        self.saving = SaveControls(session, self.css)
        self.message = Message("wb-plan-msg")
        self.gantt = FigureSlot("wb-fig-gantt")
        self.table = w.HTML()
        self.table.add_class("wb-plan-table")
        form = w.VBox(
            [
                self.chooser,
                w.HBox([self.owner, self.done]),
                w.HBox([self.start, self.start_note]),
                self.duration,
                self.depends_on,
                w.HBox([self.plan_start, self.plan_start_note]),
                w.HBox([self.apply_button, self.saving.save_button]),
                self.message,
                self.saving,
            ]
        )
        form.add_class("wb-plan-form")
        super().__init__([form, self.gantt.widget, self.table])
        self.add_class("wb-plan-editor")
        self._quiet = False
        self.chooser.observe(lambda _c: None if self._quiet else self._fill(), names="value")
        self.start.observe(lambda _c: self._start_note(), names="value")
        self.apply_button.on_click(lambda _b: self.apply())
        session.on_change(self.update)
        if session.pref is not None:
            self.update(session.pref)

    # --- saving, as in every editor ---------------------------------------------------------------
    @property
    def status(self) -> Message:
        return self.saving.status

    @property
    def dirty(self) -> bool:
        return self.saving.dirty

    def save(self, path: Any = None) -> Any:
        """Write the prefecture (with the plan's edits) to its file atomically; errors are shown."""
        return self.saving.save(path)

    def restore(self) -> bool:
        """Put the chosen autosaved version back (see :class:`~workbench.widgets.saving.SaveControls`)."""
        return self.saving.restore()

    # --- drawing ----------------------------------------------------------------------------------
    def update(self, pref: Any) -> None:
        """Recompute the schedule of ``pref`` and redraw."""
        from ..plan import action_plan, schedule_frame

        try:
            plan = action_plan(pref)
        except Exception as err:
            self.message.set(error_text(err), "error")
            return
        self.plan = plan
        opts = [(f"{i.title}（{i.id}）", i.id) for i in plan.items]
        self._quiet = True
        try:
            set_options(self.chooser, opts)
            self.plan_start.value = plan.start
        finally:
            self._quiet = False
        self._fill()
        self.gantt.show(plan_charts.gantt(plan))
        self.table.value = html_table(schedule_frame(plan))

    def _plan_start_note(self) -> None:
        from ..text import date_ja, fiscal_year, fiscal_year_ja

        d = self.plan_start.value
        self.plan_start_note.value = (
            f"<span style='color:#555'>＝ {html.escape(date_ja(d))}（{html.escape(fiscal_year_ja(fiscal_year(d), western=False))}）</span>"
            if d
            else "<span style='color:#555'>未設定（計画開始からの月数で表示します）</span>"
        )

    def _start_note(self) -> None:
        from ..plan_sheet import month_of
        from ..text import date_ja

        if self.plan is None or self.plan.start is None:
            self.start_note.value = ""
            return
        when = month_of(self.plan.start, int(self.start.value or 0))
        self.start_note.value = f"<span style='color:#555'>＝ {html.escape(date_ja(when))} 以降</span>"

    def _fill(self) -> None:
        if self.plan is None or self.chooser.value is None:
            return
        item = self.plan.item(self.chooser.value)
        self.owner.value = (
            item.owner if item.owner in [v for _, v in self.owner.options] else self.owner.options[0][1]
        )
        self.start.value = item.start_floor
        self.duration.value = item.duration
        self.depends_on.options = [(f"{i.title}（{i.id}）", i.id) for i in self.plan.items if i.id != item.id]
        self.depends_on.value = tuple(d for d in item.depends_on if d != item.id)
        self.done.value = item.done
        self._start_note()

    def _changes(self, item: Any) -> dict[str, Any]:
        """The form's fields that differ from the item's current values, as ``set_item`` takes them."""
        form = {
            "owner": (self.owner.value, item.owner),
            "start": (int(self.start.value), item.start_floor),
            "duration": (int(self.duration.value), item.duration),
            "depends_on": (list(self.depends_on.value), list(item.depends_on)),
            "done": (bool(self.done.value), item.done),
        }
        return {k: new for k, (new, old) in form.items() if new != old}

    def apply(self) -> bool:
        """Write the form into the prefecture's ``plan:`` (only what changed), reschedule and autosave.

        A refused edit (cycle, bad value) shows the message and changes nothing.
        """
        from ..inventory.plan import Plan
        from ..plan import action_plan, set_item

        pref = self.session.pref
        if pref is None or self.plan is None or self.chooser.value is None:
            return False
        item = self.plan.item(self.chooser.value)
        changes = self._changes(item)
        new_start = self.plan_start.value
        start_changed = new_start != self.plan.start
        if not changes and not start_changed:
            self.message.set("変更はありません", "info")
            return False
        candidate = pref.model_copy()
        candidate.plan = pref.plan.model_copy(deep=True) if pref.plan is not None else None
        try:
            if changes:
                set_item(candidate, item.id, **changes)
            if start_changed:
                section = candidate.plan or Plan()
                section.start = new_start
                candidate.plan = section
            action_plan(candidate)
        except (InputError, ValidationError, ValueError) as err:
            text = error_text(err) if isinstance(err, InputError) else str(err)
            self.message.set("適用しませんでした: " + text, "error")
            return False
        self.message.clear()
        self.session.set(candidate)
        what = "、".join(FIELD_LABELS[k] for k in changes) + ("、計画の開始日" if start_changed else "")
        self.saving.applied(f"「{item.title}」の{what.lstrip('、')}を変更しました")
        return True


def plan_table(plan) -> str:  # pragma: no cover - convenience for notebooks
    return html_table(plan.to_staff_frame())
