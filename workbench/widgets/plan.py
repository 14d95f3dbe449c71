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

from .. import reference
from ..charts import plan as plan_charts
from ..errors import InputError
from ..staff import answer_ja, prose_ja
from ._common import (
    FigureSlot,
    Message,
    Session,
    StaticFallback,
    chosen,
    error_text,
    html_table,
    marked_card,
    none_safe,
    select,
    set_options,
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

    placeholder_ja = "型と道筋の図"

    def __init__(self, session: Session) -> None:
        self.session = session
        self.result = None
        self.figure = FigureSlot("wb-fig-flowchart", session=session)
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

    placeholder_ja = "ビジョンのカード"

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
        self.card.value = marked_card(res, pref)


FIELD_LABELS = {
    "title": "名前",
    "consideration": "検討事項",
    "owner": "担当",
    "start": "開始",
    "duration": "期間",
    "depends_on": "依存",
    "done": "完了",
}
NEW_ITEM = "__new__"
START_MAX, DURATION_MAX = 240, 120  # months (the model's bounds: ActionItemEdit)


def _int_problem(value: Any, label: str, low: int, high: int) -> str | None:
    """Why ``value`` is not a whole number of months in [low, high] (None when it is)."""
    if value is None or isinstance(value, bool) or int(value) != value or not low <= value <= high:
        return f"{label}は {low}〜{high} の整数（か月）で入力してください（入力: {value}）"
    return None


class PlanEditor(StaticFallback, w.VBox):
    """Edit, add and remove the action items of the Step 3 plan; the schedule and the Gantt chart follow every
    edit, and the edits are saved like every other edit (適用 → autosave, ファイルに保存, 自動保存 → この版に戻す).

    A refused value (a negative month, an impossible date, a dependency cycle) is named beside its field and
    nothing changes; the status line then says so in place of an earlier 「保存しました」.

    Attributes
    ----------
    chooser : ipywidgets.Dropdown
        The item being edited, or ＋ 新しい取組事項を追加 (``wb-plan-item``).
    title : ipywidgets.Text
        The item's name (``wb-plan-title``); required for a new item.
    consideration : ipywidgets.Dropdown
        Which of the five considerations of guide 3.3 it serves, or none (``wb-plan-consideration``).
    owner : ipywidgets.Combobox
        担当: the office as staff name it (「デジタル推進課」), with the five roles of data/owner_roles.csv
        offered as suggestions (a role is stored as its code) (``wb-plan-owner``).
    start : ipywidgets.IntText
        Earliest start, months from the plan start (``wb-plan-start``); the date it stands for is shown
        beside it once the plan has a start date.
    duration : ipywidgets.IntText
        Duration in months, 0 = milestone (``wb-plan-duration``).
    depends_on : MultiChoice
        Predecessors, one click adds or removes one (``wb-plan-deps``).
    done : ipywidgets.Checkbox
        完了 (``wb-plan-done``).
    plan_start : ipywidgets.Text
        The plan's start date as staff type it (2026-04-01, 令和8年4月1日) (``wb-plan-start-date``): with it the
        schedule, the Gantt chart, the Excel export and Step 2's yearly costs show real dates and 年度.
    messages : dict[str, Message]
        The message beside each field (``wb-plan-msg-<field>``: title, consideration, owner, start, duration,
        depends_on, plan_start).
    apply_button, delete_button : ipywidgets.Button
        ``wb-plan-apply`` writes the edit into the session's prefecture (``plan:`` section) and autosaves;
        ``wb-plan-delete`` removes the chosen item (a generated one is listed under ``removed:``).
    saving : SaveControls
        ``save_button`` (``wb-save``, ``wb-plan-editor-save``), ``status``, autosaved versions and restore.
    gantt : FigureSlot
        ``workbench.charts.plan.gantt(plan)`` (``wb-fig-gantt``).
    table : ipywidgets.HTML
        The schedule (``wb-plan-table``).
    message : Message
        What the last refusal was about when it concerns no single field (``wb-plan-msg``).
    plan : workbench.plan.ActionPlan or None
        The schedule shown.
    """

    placeholder_ja = "取組事項の編集画面とガントチャート"

    css = "wb-plan-editor"

    def __init__(self, session: Session) -> None:
        from ..plan import owner_roles
        from .choice import MultiChoice
        from .saving import SaveControls

        self.session = session
        self.plan = None
        style = {"description_width": "initial"}
        self.chooser = w.Dropdown(description="取組事項", layout=w.Layout(width="640px"))
        self.chooser.add_class("wb-plan-item")
        self.title = w.Text(description="名前", layout=w.Layout(width="640px"), style=style)
        self.title.add_class("wb-plan-title")
        considerations = reference.table("considerations.csv").drop_duplicates("number")
        self.consideration = w.Dropdown(
            options=none_safe(
                [("—（なし）", None)]
                + [(f"{r.number}. {r.label_ja}", int(r.number)) for r in considerations.itertuples()]
            ),
            description="検討事項（ガイド 3.3）",
            style=style,
            layout=w.Layout(width="640px"),
        )
        self.consideration.add_class("wb-plan-consideration")
        self._roles = {str(r.code): str(r.label_ja) for r in owner_roles().itertuples()}
        self.owner = w.Combobox(
            options=list(self._roles.values()),
            ensure_option=False,
            placeholder="課の名前（例 デジタル推進課）か、都道府県・市区町村などの区分",
            description="担当",
            style=style,
            layout=w.Layout(width="460px"),
        )
        self.owner.add_class("wb-plan-owner")
        self.start = w.IntText(description="開始（計画開始から何か月後）", style=style)
        self.start.add_class("wb-plan-start")
        self.start_note = w.HTML()
        self.duration = w.IntText(description="期間（か月、0は節目）", style=style)
        self.duration.add_class("wb-plan-duration")
        self.depends_on = MultiChoice(
            "依存（先に終える取組事項）", empty_text="なし（計画の開始からすぐ始められる）"
        )
        self.depends_on.add_class("wb-plan-deps")
        self.done = w.Checkbox(description="完了", indent=False)
        self.done.add_class("wb-plan-done")
        self.plan_start = w.Text(
            description="計画の開始日", placeholder="例 2026-04-01、令和8年4月1日", style=style
        )
        self.plan_start.add_class("wb-plan-start-date")
        self.plan_start_note = w.HTML()
        self.plan_start.observe(lambda _c: self._plan_start_note(), names="value")
        self.apply_button = w.Button(description="適用", button_style="primary", icon="check")
        self.apply_button.add_class("wb-plan-apply")
        self.delete_button = w.Button(
            description="この取組事項を削除",
            button_style="danger",
            icon="trash",
            layout=w.Layout(width="auto"),
        )
        self.delete_button.add_class("wb-plan-delete")
        self.saving = SaveControls(session, self.css)
        self.message = Message("wb-plan-msg")
        self.messages = {
            name: Message(f"wb-plan-msg-{name}")
            for name in ("title", "consideration", "owner", "start", "duration", "depends_on", "plan_start")
        }
        self.gantt = FigureSlot("wb-fig-gantt", session=session)
        self.table = w.HTML()
        self.table.add_class("wb-plan-table")
        m = self.messages
        form = w.VBox(
            [
                self.chooser,
                self.title,
                m["title"],
                self.consideration,
                m["consideration"],
                w.HBox([self.owner, self.done]),
                m["owner"],
                w.HBox([self.start, self.start_note]),
                m["start"],
                self.duration,
                m["duration"],
                self.depends_on,
                m["depends_on"],
                w.HBox([self.plan_start, self.plan_start_note]),
                m["plan_start"],
                w.HBox([self.apply_button, self.delete_button, self.saving.save_button]),
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
        self.delete_button.on_click(lambda _b: self.delete())
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
        labels = plan.labels()  # 「2-3 運営組織の検討」: the number and the name, the id only behind it
        opts = [(labels[i.id], i.id) for i in plan.items] + [("＋ 新しい取組事項を追加", NEW_ITEM)]
        self._quiet = True
        try:
            set_options(self.chooser, opts)
            self.plan_start.value = plan.start.isoformat() if plan.start else ""
        finally:
            self._quiet = False
        self._fill()
        self.gantt.show(plan_charts.gantt(plan))
        self.table.value = html_table(schedule_frame(plan))

    def _plan_start_note(self) -> None:
        from ..text import date_ja, fiscal_year, fiscal_year_ja, parse_date_ja

        text = self.plan_start.value.strip()
        if not text:
            note = "未設定（計画開始からの月数で表示します）"
        else:
            try:
                d = parse_date_ja(text)
            except ValueError:
                note = "日付として読めません（適用すると理由を表示します）"
            else:
                note = f"＝ {date_ja(d)}（{fiscal_year_ja(fiscal_year(d), western=False)}）"
        self.plan_start_note.value = f"<span style='color:#555'>{html.escape(note)}</span>"

    def _start_note(self) -> None:
        from ..plan_sheet import month_of
        from ..text import date_ja

        value = self.start.value
        if self.plan is None or self.plan.start is None or not isinstance(value, int) or value < 0:
            self.start_note.value = ""
            return
        when = month_of(self.plan.start, min(value, START_MAX))
        self.start_note.value = f"<span style='color:#555'>＝ {html.escape(date_ja(when))} 以降</span>"

    def _clear_messages(self) -> None:
        for m in self.messages.values():
            m.clear()
        self.message.clear()

    def _owner_text(self, code: str | None) -> str:
        return self._roles.get(code or "", code or "")

    def _fill(self) -> None:
        if self.plan is None or self.chooser.value is None:
            return
        self._clear_messages()
        new = self.chooser.value == NEW_ITEM
        item = None if new else self.plan.item(self.chooser.value)
        self.title.value = "" if item is None else item.title
        select(self.consideration, None if item is None else item.consideration)
        self.owner.value = self._owner_text("prefecture" if item is None else item.owner)
        self.start.value = 0 if item is None else item.start_floor
        self.duration.value = 1 if item is None else item.duration
        others = [i for i in self.plan.items if item is None or i.id != item.id]
        labels = self.plan.labels()
        self.depends_on.options = [(labels[i.id], i.id) for i in others]
        self.depends_on.value = () if item is None else tuple(d for d in item.depends_on if d != item.id)
        self.done.value = False if item is None else item.done
        self.delete_button.disabled = item is None
        self._start_note()

    # --- reading the form ---------------------------------------------------------------------------
    def _owner_value(self) -> str:
        """The owner as stored: a role's code for one of the five labels, else the office as typed."""
        text = self.owner.value.strip()
        for code, label in self._roles.items():
            if text in (label, code):
                return code
        return text

    def _form(self, item: Any) -> tuple[dict[str, Any], dict[str, str]]:
        """The form as ``set_item`` takes it (for an existing item only what differs from it) and the
        problems found field by field (nothing is applied while there is one)."""
        problems: dict[str, str] = {}
        title = self.title.value.strip()
        if not title:
            problems["title"] = "取組事項の名前を入力してください"
        owner = self._owner_value()
        if not owner:
            problems["owner"] = "担当を入力してください（課の名前か、候補の区分）"
        for name, control, low, high, label in (
            ("start", self.start, 0, START_MAX, "開始"),
            ("duration", self.duration, 0, DURATION_MAX, "期間"),
        ):
            why = _int_problem(control.value, label, low, high)
            if why:
                problems[name] = why
        form = {
            "title": title,
            "consideration": chosen(self.consideration),
            "owner": owner,
            "start": self.start.value,
            "duration": self.duration.value,
            "depends_on": list(self.depends_on.value),
            "done": bool(self.done.value),
        }
        if item is None:
            return {k: v for k, v in form.items() if v is not None}, problems
        current = {
            "title": item.title,
            "consideration": item.consideration,
            "owner": item.owner,
            "start": item.start_floor,
            "duration": item.duration,
            "depends_on": list(item.depends_on),
            "done": item.done,
        }
        return {k: v for k, v in form.items() if v != current[k]}, problems

    def _plan_start_value(self, problems: dict[str, str]) -> Any:
        from ..text import parse_date_ja

        text = self.plan_start.value.strip()
        if not text:
            return None
        try:
            return parse_date_ja(text)
        except ValueError as err:
            problems["plan_start"] = f"計画の開始日: {err}"
            return self.plan.start if self.plan is not None else None

    def _refuse(self, problems: dict[str, str], other: list[str] | None = None) -> bool:
        """Show each problem beside its field (the rest under the buttons); nothing was changed."""
        for name, text in problems.items():
            self.messages[name].set(text, "error")
        if other:
            self.message.set("\n".join(other), "error")
        self.saving.status.set(
            "適用しませんでした: 赤字の項目を直してください（計画は変わっていません）", "error"
        )
        return False

    def _new_id(self) -> str:
        taken = {i.id for i in self.plan.items} if self.plan is not None else set()
        pref = self.session.pref
        if pref is not None and pref.plan is not None:
            taken |= {e.id for e in pref.plan.items} | set(pref.plan.removed)
        n = 1
        while f"added-{n}" in taken:
            n += 1
        return f"added-{n}"

    # --- actions ------------------------------------------------------------------------------------
    def apply(self) -> bool:
        """Write the form into the prefecture's ``plan:`` (only what changed; a new item with its own id),
        reschedule and autosave.

        A refused edit (a negative month, an impossible date, a cycle) is named beside its field and
        changes nothing.
        """
        from ..inventory.plan import Plan
        from ..plan import action_plan, set_item

        self._clear_messages()
        pref = self.session.pref
        if pref is None or self.plan is None or self.chooser.value is None:
            return False
        new = self.chooser.value == NEW_ITEM
        item = None if new else self.plan.item(self.chooser.value)
        changes, problems = self._form(item)
        new_start = self._plan_start_value(problems)
        if problems:
            return self._refuse(problems)
        start_changed = new_start != self.plan.start
        if not changes and not start_changed:
            self.message.set("変更はありません", "info")
            return False
        item_id = self._new_id() if item is None else item.id
        candidate = pref.model_copy()
        candidate.plan = pref.plan.model_copy(deep=True) if pref.plan is not None else None
        try:
            if start_changed:
                section = candidate.plan or Plan()
                section.start = new_start
                candidate.plan = section
            if changes:
                set_item(candidate, item_id, **changes)
            action_plan(candidate)
        except (InputError, ValidationError, ValueError) as err:
            return self._refuse(*self._placed(err))
        self.session.set(candidate)
        self.chooser.value = item_id
        title = changes.get("title") or (item.title if item is not None else item_id)
        if item is None:
            self.saving.applied(f"取組事項「{title}」を追加しました")
            return True
        what = "、".join(FIELD_LABELS[k] for k in changes) + ("、計画の開始日" if start_changed else "")
        self.saving.applied(f"「{title}」の{what.lstrip('、')}を変更しました")
        return True

    def _placed(self, err: Exception) -> tuple[dict[str, str], list[str]]:
        """A library error split into the fields it is about and the rest."""
        from ..staff import problem_text

        if isinstance(err, ValidationError):
            from ..inventory.yamlio import problems_from_validation

            err = InputError(problems_from_validation(err, None, None))
        placed: dict[str, str] = {}
        other: list[str] = []
        for p in getattr(err, "problems", None) or []:
            parts = [x for x in str(p.field or "").replace("[", ".").replace("]", "").split(".") if x]
            name = next((x for x in reversed(parts) if x in self.messages), None)
            if "start" in parts and "plan" in parts and "items" not in parts:
                name = "plan_start"
            text = problem_text(InputError([p]))
            if name:
                placed[name] = f"{FIELD_LABELS.get(name, '計画の開始日')}: {text}"
            else:
                other.append(text)
        if not placed and not other:
            other.append(error_text(err) if isinstance(err, InputError) else str(err))
        named = self._names
        return {k: named(v) for k, v in placed.items()}, [named(v) for v in other]

    def _names(self, text: str) -> str:
        """``text`` with the plan's item ids (c1-1) replaced by the items' numbers and names, as staff know them
        (「1-1 …」)."""
        import re

        if self.plan is None:
            return text
        titles = self.plan.labels()
        if not titles:
            return text
        pattern = re.compile(
            r"(?<![\w-])("
            + "|".join(re.escape(k) for k in sorted(titles, key=len, reverse=True))
            + r")(?![\w-])"
        )
        return pattern.sub(lambda m: f"「{titles[m.group(1)]}」", text)

    def delete(self) -> bool:
        """Remove the chosen item: one the plan added is deleted, a generated one is listed under
        ``removed:`` (its dependants are scheduled without it)."""
        from ..plan import action_plan, remove_item

        self._clear_messages()
        pref = self.session.pref
        if pref is None or self.plan is None or self.chooser.value in (None, NEW_ITEM):
            return False
        item = self.plan.item(self.chooser.value)
        candidate = pref.model_copy()
        candidate.plan = pref.plan.model_copy(deep=True) if pref.plan is not None else None
        try:
            remove_item(candidate, item.id)
            action_plan(candidate)
        except (InputError, ValidationError, ValueError) as err:
            return self._refuse(*self._placed(err))
        self.session.set(candidate)
        self.saving.applied(f"取組事項「{item.title}」を削除しました")
        return True


def plan_table(plan) -> str:  # pragma: no cover - convenience for notebooks
    return html_table(plan.to_staff_frame())
