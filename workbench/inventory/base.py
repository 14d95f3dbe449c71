"""Shared building blocks of the prefecture-file models.

``Model`` forbids unknown keys (CONTRACT.md: an unknown key is an error naming the key and line).
``Code("enum")`` is a string field that accepts the code, the Japanese label or an alias from
data/enums.csv and stores the code; its JSON Schema lists the codes.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationInfo, WithJsonSchema, field_validator

from .. import reference
from ..text import text_problem

if TYPE_CHECKING:  # the model that holds every section (models.py imports this module)
    from .models import Prefecture

Loc = tuple[str | int, ...]


class Model(BaseModel):
    """Base of every prefecture-file model: unknown keys are errors, assignment is validated."""

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
