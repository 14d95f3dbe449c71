"""Editors for the platforms and services of a prefecture file (hearing results, guide 3.5 Step 1).

Dropdowns are fed by the reference tables (labels shown, codes stored). A value the model refuses shows the
Japanese message next to its field and changes nothing; 保存 writes the file atomically through
:func:`workbench.inventory.save` (which validates again and refuses a file changed on disk since it was read).
Each applied edit is also autosaved when :mod:`workbench.autosave` is installed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import ipywidgets as w
from pydantic import ValidationError

from .. import reference
from ..errors import InputError
from ..inventory import Platform, Service, Terms, cross_check
from ..inventory.yamlio import problems_from_validation
from ._common import (
    Message,
    Session,
    StaticFallback,
    chosen,
    error_text,
    name_options,
    none_safe,
    select,
    set_options,
)
from .choice import MultiChoice
from .saving import SaveControls

NEW = "__new__"
#: how an id is written (ID_PATTERN), said beside an empty or refused ID field
ID_HINT = "（空白・カンマのない短い名前で、ファイルの中で行を見分けるのに使います。例 tochigi-2）"
#: the first option of a required dropdown: a new row starts there, 適用 refuses it beside the field
CHOOSE = ("—（選んでください）", None)
TERMS_FACETS = ("exists", "component_responsibility", "platform_service_split", "certification_audit")
LEVELS = [("—（なし）", None), ("1", 1), ("2", 2), ("3", 3)]
BOOL3 = [("不明", None), ("公開", True), ("非公開", False)]
#: whether a private provider works under a municipal contract (guide 3.4: then it counts as the municipality)
CONTRACTED = [("未確認", None), ("自治体からの業務委託", True), ("民間の自主的な提供", False)]


def _enum_options(enum: str, none: bool = False) -> list[tuple[str, Any]]:
    """The labels of an enumeration (data/enums.csv) for a dropdown, codes stored; staff see only labels."""
    opts = [(str(r.label_ja), r.code) for r in reference.enum_table(enum).itertuples()]
    return ([("—（なし）", None)] if none else []) + opts


def _means_options() -> list[tuple[str, str]]:
    df = reference.table("id_means.csv")
    return [(str(r.label_ja), r.code) for r in df.itertuples()]


SECTIONS_JA = {"platforms": "基盤", "services": "サービス", "vision": "ビジョン", "plan": "実行計画"}


def where(pref: Any, loc: tuple) -> str:
    """A problem's place as staff name it: 「サービス「電子申請」」 for ``("services", 1, "platform")``."""
    if len(loc) >= 2 and loc[0] in ("platforms", "services") and isinstance(loc[1], int):
        rows = getattr(pref, loc[0])
        name = rows[loc[1]].name if loc[1] < len(rows) else str(loc[1] + 1)
        return f"{SECTIONS_JA[loc[0]]}「{name}」"
    return SECTIONS_JA.get(str(loc[0]), "ファイル") if loc else "ファイル"


class _Field:
    """One form field: the control and its inline message."""

    def __init__(self, name: str, control: w.ValueWidget) -> None:
        self.name = name
        self.control = control
        if isinstance(control, w.Dropdown):
            control.options = none_safe(control.options)
        self.message = Message(f"wb-msg-{name}")
        control.add_class(f"wb-field-{name}")
        self.box = w.VBox([control, self.message])


class _Editor(StaticFallback, w.VBox):
    """Shared machinery: a row chooser, a form, 追加/適用/削除/保存 buttons, inline messages."""

    section = ""  # "platforms" | "services"
    model: type = Platform
    css = ""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.fields: dict[str, _Field] = {}
        self.chooser = w.Dropdown(description="編集する行", layout=w.Layout(width="420px"))
        self.chooser.add_class(f"{self.css}-chooser")
        self.apply_button = w.Button(description="適用", button_style="primary", icon="check")
        self.delete_button = w.Button(description="削除", button_style="danger", icon="trash")
        for b, c in ((self.apply_button, "wb-apply"), (self.delete_button, "wb-delete")):
            b.add_class(c)
        self.saving = SaveControls(session, self.css)
        self._build_fields()
        single = [f.box for f in self.fields.values() if not isinstance(f.control, MultiChoice)]
        multi = [f.box for f in self.fields.values() if isinstance(f.control, MultiChoice)]
        form = w.GridBox(
            single,
            layout=w.Layout(grid_template_columns="repeat(2, minmax(320px, 1fr))", grid_gap="4px 16px"),
        )
        super().__init__(
            [
                self.chooser,
                form,
                *multi,
                w.HBox([self.apply_button, self.delete_button, self.saving.save_button]),
                self.saving,
            ]
        )
        self.add_class(self.css)
        self._quiet = False
        self.chooser.observe(lambda _c: None if self._quiet else self._fill(), names="value")
        self.apply_button.on_click(lambda _b: self.apply())
        self.delete_button.on_click(lambda _b: self.delete())
        session.on_change(lambda _p: self._refresh())
        self._refresh()

    # --- saving (shared with every editor: workbench.widgets.saving) ----------------------------------
    @property
    def status(self) -> Message:
        return self.saving.status

    @property
    def save_button(self) -> w.Button:
        return self.saving.save_button

    @property
    def restore_choice(self) -> w.Dropdown:
        return self.saving.restore_choice

    @property
    def restore_button(self) -> w.Button:
        return self.saving.restore_button

    @property
    def dirty(self) -> bool:
        return self.saving.dirty

    def save(self, path: str | Path | None = None) -> Path | None:
        """Write the prefecture to its file (or ``path``) atomically; errors are shown, not raised."""
        return self.saving.save(path)

    def restore(self) -> bool:
        """Put the chosen autosaved version back over the file and load it (see :class:`SaveControls`)."""
        return self.saving.restore()

    # --- to override --------------------------------------------------------------------------------
    def _build_fields(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _items(self) -> list[Any]:
        return list(getattr(self.session.pref, self.section)) if self.session.pref else []

    def _refresh_choices(self) -> None:
        """Options that depend on the prefecture (municipalities, platform ids)."""

    # --- helpers ------------------------------------------------------------------------------------
    def _add(self, name: str, control: w.ValueWidget) -> None:
        self.fields[name] = _Field(name, control)

    def _refresh(self) -> None:
        self._refresh_choices()
        items = self._items()
        opts = name_options([(x.name, x.id) for x in items]) + [("＋ 新しい行を追加", NEW)]
        self._quiet = True
        try:
            set_options(self.chooser, opts)
        finally:
            self._quiet = False
        self._fill()

    def _current(self) -> Any | None:
        return next((x for x in self._items() if x.id == self.chooser.value), None)

    def _required(self, name: str) -> bool:
        return self.model.model_fields[name].is_required()

    def _default(self, name: str) -> Any:
        """The value a new row starts with: the model's default, nothing (empty) for a required field."""
        info = self.model.model_fields[name]
        return None if info.is_required() else info.get_default(call_default_factory=True)

    def _fill(self) -> None:
        """Put the chosen row's values into the form (defaults for a new row: required fields empty)."""
        item = self._current()
        for f in self.fields.values():
            f.message.clear()
        for name, f in self.fields.items():
            value = getattr(item, name) if item is not None else self._default(name)
            self._set_control(f.control, value)
        self.delete_button.disabled = item is None

    def _set_control(self, control: w.ValueWidget, value: Any) -> None:
        if isinstance(value, Terms):
            value = [k for k in TERMS_FACETS if getattr(value, k)]
        if isinstance(control, MultiChoice):
            control.value = tuple(value or [])
        elif isinstance(control, w.Dropdown):
            select(control, value)  # an unknown value: the first option
        elif isinstance(control, w.Checkbox):
            control.value = bool(value)
        else:
            control.value = "" if value is None else str(value)

    def form_data(self) -> dict[str, Any]:
        """The form as plain data: fields that were set in the row or differ from the model default."""
        item = self._current()
        set_fields = item.model_fields_set if item is not None else set()
        data: dict[str, Any] = {}
        for name, f in self.fields.items():
            v = chosen(f.control) if isinstance(f.control, w.Dropdown) else f.control.value
            if name == "terms":
                v = Terms(**{k: k in v for k in TERMS_FACETS})
            elif isinstance(f.control, MultiChoice):
                v = list(v)
            elif isinstance(f.control, w.Text):
                v = v.strip() if (v.strip() or name in ("id", "name")) else None
            default = self._default(name)
            if self._required(name) or name in set_fields or v != default:
                data[name] = v
        if item is not None:  # keep the fields this form does not show
            shown = set(self.fields)
            for name in item.model_fields_set - shown:
                data[name] = getattr(item, name)
        return data

    def _show_problems(self, problems: list[tuple[tuple, str, Any]]) -> None:
        unplaced = []
        for loc, msg, _value in problems:
            name = next((str(p) for p in loc if isinstance(p, str) and p in self.fields), None)
            if name:
                self.fields[name].message.set(msg, "error")
            else:
                unplaced.append(msg)
        self.status.set(
            "入力に誤りがあります。赤字の項目を直してください。"
            + ("\n" + "\n".join(unplaced) if unplaced else ""),
            "error",
        )

    def _missing(self) -> list[tuple[tuple, str, Any]]:
        """Required fields left empty, each with its message (「名称を入力してください」)."""
        out = []
        for name, f in self.fields.items():
            if not self._required(name):
                continue
            value = chosen(f.control) if isinstance(f.control, w.Dropdown) else f.control.value
            if isinstance(value, str):
                value = value.strip()
            if value in (None, ""):
                verb = "選んでください" if isinstance(f.control, w.Dropdown) else "入力してください"
                hint = ID_HINT if name == "id" else ""
                out.append(((name,), f"{f.control.description}を{verb}{hint}", None))
        return out

    # --- actions ------------------------------------------------------------------------------------
    def apply(self) -> bool:
        """Validate the form and, when valid, replace (or add) the row in the session's prefecture.

        Returns False and shows inline messages when a value is refused (a required field left empty
        included); nothing changes then.
        """
        for f in self.fields.values():
            f.message.clear()
        pref = self.session.pref
        if pref is None:
            return False
        missing = self._missing()
        if missing:
            self._show_problems(missing)
            return False
        try:
            item = self.model.model_validate(self.form_data())
        except ValidationError as err:
            probs = problems_from_validation(err, None, None)
            self._show_problems(
                [
                    (
                        (re.split(r"[.\[]", p.field or "")[0],),
                        p.message + (f"（使える値: {p.allowed}）" if p.allowed else ""),
                        p.value,
                    )
                    for p in probs
                ]
            )
            return False
        items = self._items()
        old = self.chooser.value
        if old == NEW:
            items.append(item)
        else:
            items = [item if x.id == old else x for x in items]
        candidate = pref.model_copy()
        try:
            setattr(candidate, self.section, items)
        except ValidationError as err:  # pragma: no cover - the row validated alone
            self.status.set(error_text(InputError(problems_from_validation(err, None, None))), "error")
            return False
        problems = list(cross_check(candidate))
        index = next(i for i, x in enumerate(items) if x is item)

        def is_mine(loc: tuple, v: Any) -> bool:  # a duplicate id is reported on the other row
            return loc[:2] == (self.section, index) or (loc[-1:] == ("id",) and v == item.id)

        mine = [
            (("id",) if loc[-1:] == ("id",) else loc[2:], msg, v)
            for loc, msg, v in problems
            if is_mine(loc, v)
        ]
        others = [(loc, msg, v) for loc, msg, v in problems if not is_mine(loc, v)]
        if mine or others:
            self._show_problems(mine + [((), f"{where(candidate, loc)}: {msg}", v) for loc, msg, v in others])
            return False
        self.session.set(candidate)
        self.chooser.value = item.id
        self.saving.applied(f"{item.name} を適用しました")
        return True

    def delete(self) -> bool:
        """Remove the chosen row (refused, with a message, when other rows still refer to it)."""
        pref = self.session.pref
        item = self._current()
        if pref is None or item is None:
            return False
        candidate = pref.model_copy()
        setattr(candidate, self.section, [x for x in self._items() if x.id != item.id])
        problems = list(cross_check(candidate))
        if problems:
            self.status.set(
                f"{item.id} を削除すると参照が切れます: " + "; ".join(msg for _loc, msg, _v in problems[:3]),
                "error",
            )
            return False
        self.session.set(candidate)
        self.saving.applied(f"{item.name} を削除しました")
        return True


class PlatformEditor(_Editor):
    """Add, edit and delete the platforms (データ連携基盤) of the session's prefecture.

    Attributes
    ----------
    chooser : ipywidgets.Dropdown
        The platform being edited, or ``＋ 新しい行を追加`` (CSS ``wb-platform-editor-chooser``).
    fields : dict[str, _Field]
        One entry per platform attribute shown: ``.control`` (CSS ``wb-field-<name>``) and ``.message``
        (the inline Japanese message, CSS ``wb-msg-<name>``). Enumerations are dropdowns of the labels of
        data/enums.csv storing the codes; ``operated_by`` lists 都道府県/運営組織/民間 and the municipalities.
    apply_button, delete_button, save_button : ipywidgets.Button
        ``wb-apply``, ``wb-delete``, ``wb-save``.
    status : Message
        The outcome of the last action (``wb-platform-editor-status``).
    restore_choice, restore_button : ipywidgets.Dropdown, ipywidgets.Button
        The autosaved versions of the file (newest first; every applied edit is autosaved through
        :mod:`workbench.autosave`) and the button that puts the chosen one back (``wb-restore-choice``,
        ``wb-restore``); the replaced file is kept as ``.bak``.
    dirty : bool
        True after an applied change that is not yet saved to the file.
    """

    placeholder_ja = "基盤の編集画面"

    section = "platforms"
    model = Platform
    css = "wb-platform-editor"

    def _build_fields(self) -> None:
        lay = w.Layout(width="360px")
        self._add("id", w.Text(description="ID", layout=lay))
        self._add("name", w.Text(description="名称", layout=lay))
        self._add("operated_by", w.Dropdown(description="運営", layout=lay))
        self._add("status", w.Dropdown(options=_enum_options("status"), description="状態", layout=lay))
        self._add(
            "field", w.Dropdown(options=_enum_options("field", none=True), description="分野", layout=lay)
        )
        self._add(
            "organisation",
            w.Dropdown(options=_enum_options("organisation", none=True), description="運営体制", layout=lay),
        )
        self._add(
            "components",
            MultiChoice(
                "構成", _enum_options("component"), empty_text="未選択（基盤の構成を選んでください）"
            ),
        )
        self._add(
            "service_scheme",
            w.Dropdown(options=_enum_options("service_scheme"), description="サービス提供", layout=lay),
        )
        self._add(
            "platform_scheme",
            w.Dropdown(
                options=_enum_options("platform_scheme", none=True), description="基盤提供", layout=lay
            ),
        )
        self._add(
            "user_scope",
            w.Dropdown(options=_enum_options("user_scope"), description="利用者の範囲", layout=lay),
        )
        self._add("identity_proofing", w.Dropdown(options=LEVELS, description="身元確認Lv", layout=lay))
        self._add("authenticator", w.Dropdown(options=LEVELS, description="当人認証Lv", layout=lay))
        self._add(
            "means",
            MultiChoice("本人確認手段", _means_options(), empty_text="なし"),
        )
        self._add(
            "non_personal_broker",
            w.Dropdown(options=_enum_options("broker"), description="非パーソナル", layout=lay),
        )
        self._add(
            "personal_broker",
            w.Dropdown(options=_enum_options("broker"), description="パーソナル", layout=lay),
        )
        self._add(
            "modules",
            MultiChoice("推奨モジュール", _enum_options("module"), empty_text="なし"),
        )
        self._add("api_published", w.Dropdown(options=BOOL3, description="API公開", layout=lay))
        self._add(
            "terms",
            MultiChoice(
                "住民向け規約",
                [(Terms.model_fields[k].description, k) for k in TERMS_FACETS],
                empty_text="規約がない（または未確認）",
                short=lambda label: label,
            ),
        )
        self._add("auth_federation_with", MultiChoice("認証連携（相手の基盤）", empty_text="なし"))
        self._add("data_federation_with", MultiChoice("データ連携（相手の基盤）", empty_text="なし"))
        self._add(
            "municipalities",
            MultiChoice(
                "利用団体",
                empty_text=self._default_users_text,
                all_label="すべての市区町村（県内全域）",
                short=lambda label: label.split("（")[0],
            ),
        )
        for f in self.fields.values():
            if not isinstance(f.control, MultiChoice):
                f.control.style.description_width = "96px"

    def _refresh_choices(self) -> None:
        pref = self.session.pref
        if pref is None:
            return
        munis = [  # by name: the 6-digit code is the value behind the label
            (str(n), c)
            for c, n in reference.municipalities_of(pref.code)[["code", "name"]].itertuples(index=False)
        ]
        outside = dict.fromkeys(  # members of other prefectures already in the file (外部の団体)
            c
            for p in pref.platforms
            for c in [*(p.municipalities or []), p.operated_by]
            if c.isdigit() and pref.is_outside(c)
        )
        munis = name_options(munis + [(pref.municipality_label(c), c) for c in outside])
        self.fields["operated_by"].control.options = none_safe(
            [CHOOSE, *_enum_options("operated_by"), *munis]
        )
        self.fields["municipalities"].control.options = munis
        if not getattr(
            self, "_watching_operator", False
        ):  # the meaning of an empty 利用団体 follows the operator
            self.fields["operated_by"].control.observe(
                lambda _c: self.fields["municipalities"].control._sync(), names="value"
            )
            self._watching_operator = True
        ids = name_options([(p.name, p.id) for p in pref.platforms])
        self.fields["auth_federation_with"].control.options = ids
        self.fields["data_federation_with"].control.options = ids

    def _default_users_text(self) -> str:
        """What an empty 利用団体 means for the operator chosen in the form (CONTRACT.md: omitted = its
        operator only, all municipalities for the prefecture's platform)."""
        pref = self.session.pref
        op = chosen(self.fields["operated_by"].control) if "operated_by" in self.fields else None
        if op == "prefecture":
            return "県の基盤は、選ばなければ県内すべての市区町村が利用団体です"
        if isinstance(op, str) and op.isdigit() and pref is not None:
            return f"選ばなければ、運営する{pref.municipality_label(op)}だけが利用団体です"
        return "利用団体がありません（運営組織・民間の基盤は、利用する市区町村を選んでください）"

    def _fill(self) -> None:
        """The form of the chosen row; 利用団体 starts from what the file says: its list, else the
        municipality that runs the platform (CONTRACT.md: omitted = its operator only), and for the
        prefecture's platform without a list, すべての市区町村 ticked."""
        super()._fill()
        item = self._current()
        pref = self.session.pref
        users = self.fields["municipalities"].control
        users.all_chosen = False
        if item is None or pref is None:
            users.value = ()
        elif not item.municipalities and item.operated_by == "prefecture":
            users.value = ()
            users.all_chosen = True  # the prefecture's platform with no list: every municipality, said so
        else:
            users.value = tuple(pref.users_of(item))

    def form_data(self) -> dict[str, Any]:
        data = super().form_data()
        users = self.fields["municipalities"].control
        item = self._current()
        op = data.get("operated_by")
        if users.all_chosen and op == "prefecture":
            data["municipalities"] = None  # omitted = every municipality of the prefecture (CONTRACT.md)
        chosen = list(data.get("municipalities") or [])
        operator_only = [op] if isinstance(op, str) and op.isdigit() else []
        if not chosen or chosen == operator_only:
            # the operator's default (CONTRACT.md): a file that listed nobody keeps listing nobody
            if item is None or item.municipalities is None:
                data.pop("municipalities", None)
            elif not chosen:
                data["municipalities"] = None
        return data


class ServiceEditor(_Editor):
    """Add, edit and delete the services on the platforms (俯瞰図 of Step 1).

    Attributes
    ----------
    chooser, fields, apply_button, delete_button, save_button, status, dirty
        As in :class:`PlatformEditor` (CSS prefix ``wb-service-editor``). ``platform`` and
        ``uses_data_from`` list the file's platform ids; ``category`` the service categories of guide 4.1.
    """

    placeholder_ja = "サービスの編集画面"

    section = "services"
    model = Service
    css = "wb-service-editor"

    def _build_fields(self) -> None:
        lay = w.Layout(width="360px")
        self._add("id", w.Text(description="ID", layout=lay))
        self._add("name", w.Text(description="名称", layout=lay))
        self._add("platform", w.Dropdown(description="基盤", layout=lay))
        self._add("provider", w.Dropdown(options=_enum_options("provider"), description="提供者", layout=lay))
        self._add("contracted", w.Dropdown(options=CONTRACTED, description="業務委託", layout=lay))
        self._add(
            "category",
            w.Dropdown(
                options=_enum_options("service_category", none=True), description="カテゴリ", layout=lay
            ),
        )
        self._add("personal_data", w.Checkbox(description="パーソナルデータを扱う", indent=False))
        self._add("uses_data_from", MultiChoice("利用データ（データを使う基盤）", empty_text="なし"))
        self._add("data_model", w.Text(description="データモデル", layout=lay))
        for f in self.fields.values():
            if not isinstance(f.control, MultiChoice):
                f.control.style.description_width = "96px"

    def _refresh_choices(self) -> None:
        pref = self.session.pref
        if pref is None:
            return
        ids = name_options([(p.name, p.id) for p in pref.platforms])
        self.fields["platform"].control.options = none_safe(
            [CHOOSE, *ids] if ids else [("—（先に基盤を追加してください）", None)]
        )
        self.fields["uses_data_from"].control.options = ids
