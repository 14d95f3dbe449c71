"""Shared building blocks of the prefecture-file models.

``Model`` forbids unknown keys (CONTRACT.md: an unknown key is an error naming the key and line).
``Code("enum")`` is a string field that accepts the code, the Japanese label or an alias from
data/enums.csv and stores the code; its JSON Schema lists the codes.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from .. import reference
from ..errors import InputError, Problem, field_loc, field_path
from ..text import text_problem

if TYPE_CHECKING:  # the model that holds every section (models.py imports this module)
    from .models import Prefecture

Loc = tuple[str | int, ...]


class Model(BaseModel):
    """Base of every prefecture-file model: unknown keys are errors, assignment is validated.

    Every way in raises :class:`ModelInputError` (a :class:`~workbench.InputError` and a ``ValueError``) with the
    field named in Japanese: construction in code (``Platform(...)``), ``Model.model_validate(data)`` and an
    assignment (``platform.user_scope = "nationwide"``). It is also pydantic's ``ValidationError``, so code that
    reads pydantic's errors keeps working.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _texts_first(cls, v: Any) -> Any:
        """Texts given directly (a string, or a list of strings) are checked before the field's own
        validation, which would refuse a lone surrogate in English; see :meth:`_texts`."""
        if isinstance(v, str) or (isinstance(v, list | tuple) and all(isinstance(x, str) for x in v)):
            problem = texts_problem(v)
            if problem:
                raise ValueError(problem)
        return v

    @field_validator("*", mode="after")
    @classmethod
    def _texts(cls, v: Any) -> Any:
        """Every text of every field, however it arrives (a file, a hearing sheet, a CSV, a data map, an
        assignment in code): no control character, lone surrogate or U+FFFE/U+FFFF (Office files cannot hold
        them), at most :data:`~workbench.text.MAX_TEXT` characters (:func:`~workbench.text.text_problem`).
        Models inside a field are checked by their own fields (the problem is then located there)."""
        problem = texts_problem(v)
        if problem:
            raise ValueError(problem)
        return v

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as err:
            raise input_error(err, type(self)) from None

    # pydantic validates nested models without calling __init__ (and keeps the validation context)
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    def __setattr__(self, name: str, value: Any) -> None:
        try:
            super().__setattr__(name, value)
        except ValidationError as err:
            raise input_error(err, type(self), self) from None

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        try:
            return super().model_validate(obj, **kwargs)
        except ValidationError as err:
            raise input_error(err, cls) from None

    def cross_check(self, pref: Prefecture) -> Iterator[tuple[Loc, str, object]]:
        """Checks that need the whole prefecture: yield (location relative to this object, message, value).

        The loader calls it on each section after field validation and turns every finding into a located
        :class:`~workbench.errors.Problem`. Subclasses override it.
        """
        return iter(())


def texts_problem(value: Any) -> str | None:
    """:func:`~workbench.text.text_problem` of the first refused text in a value (a string, or the strings in
    a list, set or mapping, keys too); models inside are checked by their own fields."""
    if isinstance(value, str):
        return text_problem(value)
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, list | tuple | set | frozenset):
        for item in value:
            problem = (
                texts_problem(item) if isinstance(item, str | dict | list | tuple | set | frozenset) else None
            )
            if problem:
                return problem
    return None


# --- errors from code: the field named in Japanese -----------------------------------------------------------


class ModelInputError(ValidationError, InputError):  # type: ignore[misc]
    """An invalid value given in code (construction, ``model_validate``, assignment).

    Both a :class:`~workbench.InputError` (``problems``: Japanese messages, the field's path and its Japanese
    name) and pydantic's ``ValidationError`` (``errors()``), hence a ``ValueError``. ``str(err)`` is Japanese.
    """

    problems: list[Problem]

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # built by ValidationError.from_exception_data
        pass

    __str__ = InputError.__str__
    __hash__ = InputError.__hash__

    def __repr__(self) -> str:
        return f"ModelInputError({InputError.__str__(self)!r})"


#: turns pydantic's errors into located Japanese problems: ``(err, doc, file) -> list[Problem]``. Set by
#: :mod:`workbench.inventory.yamlio` (which this module does not import: it imports the models).
validation_problems: Callable[[ValidationError, Any, str | None], list[Problem]] | None = None


def input_error(err: ValidationError, model: type[BaseModel], owner: Any = None) -> ModelInputError:
    """pydantic's error as a :class:`ModelInputError`: Japanese messages, each field named in Japanese."""
    if validation_problems is not None:
        problems = validation_problems(err, None, None)
    else:  # pragma: no cover - yamlio is imported with the package
        problems = [Problem(str(e["msg"]), field=field_path(e["loc"])) for e in err.errors()]
    for p in problems:
        p.label = field_label(model, loc_of(p.field), owner)
    try:
        new = ModelInputError.from_exception_data(err.title, err.errors())  # type: ignore[arg-type]
    except (TypeError, ValueError):  # pragma: no cover - an error type pydantic cannot rebuild
        new = ModelInputError.from_exception_data(err.title, [])
    new.problems = problems
    return new


def loc_of(path: str | None) -> list[str | int]:
    """A problem's field path as a location (empty when a key of the file holds brackets or dots itself)."""
    try:
        return field_loc(path) if path else []
    except ValueError:
        return []


@functools.cache
def _field_labels() -> dict[tuple[str, str], str]:
    df = reference.table("field_labels.csv")
    return {(m, f): str(label) for m, f, label in df[["model", "field", "label_ja"]].itertuples(index=False)}


#: what an object is called in a message, by its model (the file's own name follows in 「」)
KINDS_JA = {"Platform": "基盤", "Service": "サービス"}


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model class inside a field's annotation (``list[Platform] | None`` → Platform)."""
    stack = [annotation]
    while stack:
        a = stack.pop()
        if isinstance(a, type) and issubclass(a, BaseModel):
            return a
        if isinstance(a, types.UnionType) or typing.get_origin(a) is not None:
            stack.extend(typing.get_args(a))
    return None


def field_label(model: type[BaseModel], loc: Iterable[str | int], obj: Any = None) -> str | None:
    """The Japanese name of the field at ``loc`` below ``model`` (data/field_labels.csv): 「サービス利用者の範囲」
    for ``Platform`` and ``("user_scope",)``. With the object itself, the platform or service it belongs to is
    named too: 「基盤「ふくしまデータ連携基盤」のサービス利用者の範囲」. A field without a name of its own takes
    its section's (「データマップ」); None when nothing along ``loc`` has one.

    >>> from workbench.inventory import Prefecture
    >>> field_label(Prefecture, ["platforms", 0, "user_scope"])
    'サービス利用者の範囲'
    """
    labels = _field_labels()
    cls: type[BaseModel] | None = model
    label: str | None = None
    owner: str | None = None
    if obj is not None and type(obj).__name__ in KINDS_JA and getattr(obj, "name", None):
        owner = f"{KINDS_JA[type(obj).__name__]}「{obj.name}」"
    for part in loc:
        if isinstance(part, int):
            if isinstance(obj, list) and 0 <= part < len(obj):
                obj = obj[part]
                if type(obj).__name__ in KINDS_JA and getattr(obj, "name", None):
                    owner = f"{KINDS_JA[type(obj).__name__]}「{obj.name}」"
            continue
        if cls is None or part not in cls.model_fields:
            cls, obj = None, None
            continue
        label = labels.get((cls.__name__, part), label)
        obj = getattr(obj, part, None) if obj is not None else None
        cls = _model_in(cls.model_fields[part].annotation)
    if label and owner:
        return f"{owner}の{label}"
    return label or owner


def _to_code(enum: str, value: object) -> str:
    return reference.enum_code(enum, value)


@functools.cache
def Code(enum: str) -> Any:  # noqa: N802 - reads like a type
    """A string field holding a code of ``enum`` (data/enums.csv); labels and aliases are accepted."""
    codes = list(reference.enum_codes(enum))
    labels = {c: reference.label(enum, c) for c in codes}
    return Annotated[
        str,
        BeforeValidator(functools.partial(_to_code, enum)),
        WithJsonSchema(
            {
                "type": "string",
                "enum": codes,
                "description": "コードまたは日本語ラベル: " + ", ".join(f"{c}={labels[c]}" for c in codes),
            }
        ),
    ]


def muni_code(x: Any, pref_code: str | None) -> str:
    """A municipality given by code (5/6 digits, check digit verified) or by name: within a known prefecture
    by its name alone (spelling variants and the 郡 prefix tolerated), and anywhere in Japan with the
    prefecture in front (「北海道江別市」) — members outside the prefecture are allowed (guide 1.2 (3)).
    Whether a code lies outside the file's prefecture is for the caller to show (:func:`is_outside`)."""
    if isinstance(x, str) and not reference.nfkc(x).replace("-", "").isdigit():
        if pref_code:
            try:
                return reference.find_municipality(pref_code, x)
            except KeyError:
                pass
        try:
            return reference.find_municipality_anywhere(x)
        except KeyError:
            where = f"{reference.resolve_prefecture(pref_code)[1]}に" if pref_code else ""
            raise ValueError(
                f"{where}「{x}」という市区町村はありません（他の都道府県の団体は「北海道江別市」のように"
                "都道府県名を付けるか、市区町村コードで書いてください）"
            ) from None
    return reference.normalize_municipality_code(x)


def is_outside(code: str, pref_code: str) -> bool:
    """True for a municipality code of another prefecture (外部の団体)."""
    return code[:2] != pref_code


def muni_codes(v: Any, info: ValidationInfo | None = None) -> Any:
    """A validator of municipality-code lists: one code or a list, each read by :func:`muni_code`."""
    if v is None:
        return v
    if not isinstance(v, list):
        v = [v]
    pref_code = (info.context or {}).get("pref_code") if info is not None else None
    return [muni_code(x, pref_code) for x in v]
