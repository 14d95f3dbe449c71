"""The Step 2 editor: what the 共同利用ビジョン says (guide 3.1 Step 2 目的の設定とビジョンの策定) — purposes,
the vision's sentence, whether an external body can be set up, the operating organisation, the cost-sharing
rule and prefecture scheme, and the KPIs with their targets (guidebook 8.3). Saved like every editor
(:class:`~workbench.widgets.saving.SaveControls`); the vision card and charts of the notebook follow every
applied edit through the shared session.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w
from pydantic import ValidationError

from .. import reference
from ..inventory.yamlio import problems_from_validation
from ._common import Message, Session, StaticFallback, chosen, none_safe, select, set_options
from .choice import MultiChoice
from .saving import SaveControls

NEW_KPI = "__new__"
#: the fields of the form (the vision's keys, then the KPI row's) with the names staff read beside them
FIELDS = {
    "purposes": "共同利用の目的",
    "statement": "ビジョン（目指す姿）",
    "external_body_possible": "外部組織を立ち上げられるか",
    "organisation": "運営組織の型",
    "cost_rule": "費用按分ルール",
    "scheme": "県負担の方式",
    "code": "指標",
    "service": "対象サービス",
    "target": "目標値",
    "year": "目標年度",
    "baseline": "現状値",
    "baseline_year": "現状値の年度",
    "notes": "備考",
}
KPI_FIELDS = ("code", "service", "target", "year", "baseline", "baseline_year", "notes")
EXTERNAL = [("未確認", None), ("立ち上げられる", True), ("立ち上げられない", False)]


def _options(table: str, where: tuple[str, str] | None = None, none: str | None = "未設定") -> list:
    df = reference.table(table)
    if where:
        df = df[df[where[0]] == where[1]]
    opts = [(str(r.label_ja), str(r.code)) for r in df.itertuples()]
    return none_safe(([(none, None)] if none else []) + opts)


class FieldError(ValueError):
    """A value of the form that cannot be read, with the field it belongs beside."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _optional_number(text: str) -> float | None:
    t = text.strip().replace(",", "")
    return float(t) if t else None


class VisionEditor(StaticFallback, w.VBox):
    """Edit the ``vision:`` section of the session's prefecture.

    Attributes
    ----------
    purposes : MultiChoice
        The purposes of shared use (guide 2.4, the survey's three) (``wb-vision-purposes``).
    statement : ipywidgets.Textarea
        The vision's sentence (``wb-vision-statement``).
    external : ipywidgets.Dropdown
        Whether an external body can be set up (guide 2.7: then 外部組織型 is recommended).
    organisation, cost_rule, scheme : ipywidgets.Dropdown
        Labels shown, codes stored (data/enums.csv, data/cost_rules.csv, data/prefecture_schemes.csv).
    kpi_chooser : ipywidgets.Dropdown
        The KPI row edited, or ＋ 新しいKPI (``wb-vision-kpi``); ``kpi_code``, ``kpi_service``,
        ``kpi_target``, ``kpi_year``, ``kpi_baseline``, ``kpi_baseline_year``, ``kpi_notes`` its fields.
    apply_button, delete_kpi_button : ipywidgets.Button
        ``wb-vision-apply``; ``wb-vision-kpi-delete``.
    saving : SaveControls
        ファイルに保存, autosaved versions, restore.
    message : Message
        Why an edit was refused (nothing changes then).
    """

    placeholder_ja = "ビジョンの編集画面"

    css = "wb-vision-editor"

    def __init__(self, session: Session) -> None:
        self.session = session
        style = {"description_width": "initial"}
        self.purposes = MultiChoice(
            "共同利用の目的（ガイド 2.4）",
            _options("survey_counts.csv", ("question", "purpose"), none=None),
            empty_text="未設定",
            short=lambda label: label,
        )
        self.purposes.add_class("wb-vision-purposes")
        self.statement = w.Textarea(
            description="ビジョン（目指す姿）", layout=w.Layout(width="720px", height="64px"), style=style
        )
        self.statement.add_class("wb-vision-statement")
        self.external = w.Dropdown(
            options=none_safe(EXTERNAL), description="外部組織を立ち上げられるか", style=style
        )
        self.organisation = w.Dropdown(
            options=none_safe(
                [("未設定", None)]
                + [(str(r.label_ja), r.code) for r in reference.enum_table("organisation").itertuples()]
            ),
            description="運営組織の型",
            style=style,
        )
        self.cost_rule = w.Dropdown(
            options=_options("cost_rules.csv"), description="費用按分ルール", style=style
        )
        self.scheme = w.Dropdown(
            options=_options("prefecture_schemes.csv"), description="県負担の方式", style=style
        )
        self.kpi_chooser = w.Dropdown(description="KPI", layout=w.Layout(width="560px"), style=style)
        self.kpi_chooser.add_class("wb-vision-kpi")
        self.kpi_code = w.Dropdown(options=_options("kpis.csv", none=None), description="指標", style=style)
        self.kpi_service = w.Dropdown(description="対象サービス", style=style)
        self.kpi_target = w.FloatText(description="目標値", style=style, layout=w.Layout(width="220px"))
        self.kpi_target.add_class("wb-vision-kpi-target")
        self.kpi_year = w.IntText(
            value=2028, description="目標年度（西暦）", style=style, layout=w.Layout(width="220px")
        )
        self.kpi_year.add_class("wb-vision-kpi-year")
        self.kpi_baseline = w.Text(description="現状値", style=style, layout=w.Layout(width="220px"))
        self.kpi_baseline_year = w.Text(
            description="現状値の年度（西暦）", style=style, layout=w.Layout(width="220px")
        )
        self.kpi_notes = w.Text(
            description="備考（事実か仮定か）", style=style, layout=w.Layout(width="720px")
        )
        self.apply_button = w.Button(description="適用", button_style="primary", icon="check")
        self.apply_button.add_class("wb-vision-apply")
        self.delete_kpi_button = w.Button(description="このKPIを削除", button_style="danger", icon="trash")
        self.delete_kpi_button.add_class("wb-vision-kpi-delete")
        self.saving = SaveControls(session, self.css)
        self.message = Message("wb-vision-msg")
        self.messages = {name: Message(f"wb-vision-msg-{name}") for name in FIELDS}
        m = self.messages
        kpi_box = w.VBox(
            [
                self.kpi_chooser,
                w.HBox([self.kpi_code, self.kpi_service]),
                m["code"],
                m["service"],
                w.HBox([self.kpi_target, self.kpi_year]),
                m["target"],
                m["year"],
                w.HBox([self.kpi_baseline, self.kpi_baseline_year]),
                m["baseline"],
                m["baseline_year"],
                self.kpi_notes,
                m["notes"],
            ],
            layout=w.Layout(border="1px solid #dde", padding="4px 8px", margin="6px 0"),
        )
        super().__init__(
            [
                self.purposes,
                m["purposes"],
                self.statement,
                m["statement"],
                w.HBox([self.external, self.organisation]),
                m["external_body_possible"],
                m["organisation"],
                w.HBox([self.cost_rule, self.scheme]),
                m["cost_rule"],
                m["scheme"],
                kpi_box,
                w.HBox([self.apply_button, self.delete_kpi_button, self.saving.save_button]),
                self.message,
                self.saving,
            ]
        )
        self.add_class(self.css)
        self._quiet = False
        self.kpi_chooser.observe(lambda _c: None if self._quiet else self._fill_kpi(), names="value")
        self.apply_button.on_click(lambda _b: self.apply())
        self.delete_kpi_button.on_click(lambda _b: self.delete_kpi())
        session.on_change(lambda _p: self._fill())
        self._fill()

    # --- saving, as in every editor ---------------------------------------------------------------
    @property
    def status(self) -> Message:
        return self.saving.status

    @property
    def dirty(self) -> bool:
        return self.saving.dirty

    def save(self, path: Any = None) -> Any:
        return self.saving.save(path)

    # --- form ---------------------------------------------------------------------------------------
    def _kpi_label(self, k: Any) -> str:
        from ..text import fiscal_year_ja

        row = reference.table("kpis.csv").set_index("code").loc[k.code]
        names = {s.id: s.name for s in self.session.pref.services} if self.session.pref else {}
        svc = f"（{names.get(k.service, k.service)}）" if k.service else ""
        return f"{row['label_ja']}{svc}: {fiscal_year_ja(k.year)}に {k.target:,g}{row['unit_ja']}"

    def _fill(self) -> None:
        pref = self.session.pref
        if pref is None:
            return
        v = pref.vision
        self._quiet = True
        try:
            self.purposes.value = tuple(v.purposes) if v else ()
            self.statement.value = (v.statement or "") if v else ""
            select(self.external, v.external_body_possible if v else None)
            select(self.organisation, v.organisation if v else None)
            select(self.cost_rule, v.cost_rule if v else None)
            select(self.scheme, v.scheme if v else None)
            services = [("—（県全体）", None)] + [(s.name, s.id) for s in pref.services]
            self.kpi_service.options = none_safe(services)
            kpis = list(v.kpis) if v else []
            opts = [(self._kpi_label(k), i) for i, k in enumerate(kpis)] + [("＋ 新しいKPIを追加", NEW_KPI)]
            set_options(self.kpi_chooser, opts)
        finally:
            self._quiet = False
        self._fill_kpi()

    def _fill_kpi(self) -> None:
        pref = self.session.pref
        kpis = list(pref.vision.kpis) if pref is not None and pref.vision else []
        k = kpis[self.kpi_chooser.value] if isinstance(self.kpi_chooser.value, int) else None
        select(self.kpi_code, k.code if k else None)
        select(self.kpi_service, k.service if k else None)
        self.kpi_target.value = k.target if k else 0.0
        self.kpi_year.value = k.year if k else 2028
        self.kpi_baseline.value = "" if not k or k.baseline is None else f"{k.baseline:g}"
        self.kpi_baseline_year.value = "" if not k or k.baseline_year is None else str(k.baseline_year)
        self.kpi_notes.value = (k.notes or "") if k else ""
        self.delete_kpi_button.disabled = k is None

    def _kpi_data(self) -> dict[str, Any] | None:
        """The KPI row of the form (None for a new row left at its defaults)."""
        if self.kpi_chooser.value == NEW_KPI and not self.kpi_target.value:
            return None
        try:
            baseline = _optional_number(self.kpi_baseline.value)
        except ValueError:
            raise FieldError("baseline", "現状値は数で入力してください") from None
        by = self.kpi_baseline_year.value.strip()
        if by and not by.isdigit():
            raise FieldError("baseline_year", "現状値の年度は西暦の数字で入力してください（例 2025）")
        data = {
            "code": self.kpi_code.value,
            "target": self.kpi_target.value,
            "year": int(self.kpi_year.value),
        }
        for key, value in (
            ("service", chosen(self.kpi_service)),
            ("baseline", baseline),
            ("baseline_year", int(by) if by else None),
            ("notes", self.kpi_notes.value.strip() or None),
        ):
            if value is not None:
                data[key] = value
        return data

    def form_data(self) -> dict[str, Any]:
        """The vision as the form describes it (fields left empty are left out)."""
        pref = self.session.pref
        old = pref.vision.model_dump(exclude_unset=True, exclude_none=True) if pref and pref.vision else {}
        kpis = [
            k.model_dump(exclude_unset=True, exclude_none=True)
            for k in (pref.vision.kpis if pref and pref.vision else [])
        ]
        row = self._kpi_data()
        if row is not None:
            if isinstance(self.kpi_chooser.value, int):
                kpis[self.kpi_chooser.value] = row
            else:
                kpis.append(row)
        data = dict(old)
        for key, value in (
            ("purposes", list(self.purposes.value)),
            ("statement", self.statement.value.strip() or None),
            ("external_body_possible", chosen(self.external)),
            ("organisation", chosen(self.organisation)),
            ("cost_rule", chosen(self.cost_rule)),
            ("scheme", chosen(self.scheme)),
            ("kpis", kpis),
        ):
            if value is None or value == []:
                data.pop(key, None)
            else:
                data[key] = value
        return data

    # --- actions ------------------------------------------------------------------------------------
    def _clear_messages(self) -> None:
        for m in self.messages.values():
            m.clear()
        self.message.clear()

    def _field_of(self, loc: tuple) -> str | None:
        """The form field a problem's location is about: a vision key, or a key of the KPI row shown."""
        parts = [p for p in loc if p != "vision"]
        if not parts:
            return None
        if parts[0] == "kpis":
            row = parts[1] if len(parts) > 1 and isinstance(parts[1], int) else None
            key = next((p for p in parts[2:] if isinstance(p, str) and p in KPI_FIELDS), None)
            shown = self.kpi_chooser.value
            kpis = (
                list(self.session.pref.vision.kpis) if self.session.pref and self.session.pref.vision else []
            )
            row_shown = shown if isinstance(shown, int) else len(kpis)  # a new row is appended
            return key if key is not None and row == row_shown else None
        return parts[0] if isinstance(parts[0], str) and parts[0] in FIELDS else None

    def _refuse(self, problems: list[tuple[tuple, str]]) -> bool:
        """Each problem beside its field (the rest under the buttons); nothing was changed."""
        import re

        labels = dict((v, k) for k, v in self.kpi_chooser.options)
        other = []
        for loc, msg in problems:
            msg = re.sub(r"(\d)\.0 以上", r"\1 以上", msg)
            msg = re.sub(r"kpis\[(\d+)\]", lambda m: f"「{labels.get(int(m.group(1)), m.group(0))}」", msg)
            name = self._field_of(loc)
            if name is not None:
                self.messages[name].set(f"{FIELDS[name]}: {msg}", "error")
            else:
                other.append(msg)
        if other:
            self.message.set("\n".join(other), "error")
        self.saving.status.set(
            "適用しませんでした: 赤字の項目を直してください（ビジョンは変わっていません）", "error"
        )
        return False

    def _put(self, data: dict[str, Any], what: str) -> bool:
        from ..inventory import cross_check
        from ..inventory.plan import Vision
        from ..staff import problem_text

        pref = self.session.pref
        try:
            vision = Vision.model_validate(data)
        except ValidationError as err:
            probs = _input_error(err).problems
            return self._refuse(
                [(_loc(p.field), problem_text(_input_error_of(p)) + _given(p.value)) for p in probs]
            )
        candidate = pref.model_copy()
        candidate.vision = vision
        problems = [(loc, msg) for loc, msg, _v in cross_check(candidate) if loc[:1] == ("vision",)]
        if problems:
            return self._refuse(problems)
        self.session.set(candidate)
        self.saving.applied(what)
        return True

    def apply(self) -> bool:
        """Validate the form and put it into the session's prefecture (then autosave). A refused value is
        named beside its field and nothing changes."""
        self._clear_messages()
        if self.session.pref is None:
            return False
        try:
            data = self.form_data()
        except FieldError as err:
            self.messages[err.field].set(f"{FIELDS[err.field]}: {err}", "error")
            return self._refuse([])
        return self._put(data, "ビジョンを更新しました")

    def delete_kpi(self) -> bool:
        """Remove the chosen KPI row."""
        self._clear_messages()
        pref = self.session.pref
        if pref is None or pref.vision is None or not isinstance(self.kpi_chooser.value, int):
            return False
        data = pref.vision.model_dump(exclude_unset=True, exclude_none=True)
        data["kpis"] = [k for i, k in enumerate(data.get("kpis", [])) if i != self.kpi_chooser.value]
        return self._put(data, "KPIを削除しました")


def _input_error(err: ValidationError) -> Any:
    from ..errors import InputError

    return InputError(problems_from_validation(err, None, None))


def _input_error_of(problem: Any) -> Any:
    from ..errors import InputError

    return InputError([problem])


def _loc(field: str | None) -> tuple:
    """``kpis[0].target`` -> ``("kpis", 0, "target")``."""
    import re

    out: list[Any] = []
    for part in re.findall(r"[^.\[\]]+", field or ""):
        out.append(int(part) if part.isdigit() else part)
    return tuple(out)


def _given(value: Any) -> str:
    """「（入力: -5）」 for a refused value shown beside its field."""
    if value is None or isinstance(value, dict | list):
        return ""
    return f"（入力: {value:g}）" if isinstance(value, float) else f"（入力: {value}）"
