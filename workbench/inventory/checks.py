"""The file's checks on a prefecture built or changed in code: :func:`validate`, and the guard of the analyses.

A prefecture read from a file has passed every check. One changed in code has passed the checks of each value
assigned (``platform.user_scope = …`` raises at once), but not those that need the whole file: a service still
pointing at a platform removed from ``pref.platforms``, a list changed in place (``.append``). :func:`validate`
runs them all, as :func:`workbench.save` does before writing; the analyses (``classify``, ``match_auth``,
``allocate``, ``datamap``, ``vision`` …) run them on entry (:func:`checked`) and refuse an inconsistent
prefecture with the same message.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

from ..errors import InputError, Problem, source_name
from .base import ModelInputError, field_label, loc_of
from .models import Prefecture, reference_problems

F = TypeVar("F", bound=Callable[..., Any])


def fingerprint(pref: Prefecture) -> str | None:
    """A digest of everything ``pref`` holds (its JSON form), or None when it cannot be written as JSON. Two
    states with one fingerprint give the same checks' outcome: they are the same data."""
    try:
        data = pref.model_dump_json(warnings=False)
    except Exception:  # noqa: BLE001 - a value no JSON can hold: no fingerprint, the checks run in full
        return None
    return hashlib.blake2b(data.encode("utf-8"), digest_size=20).hexdigest()


def mark_checked(pref: Prefecture) -> None:
    """Remember that ``pref`` as it is now passed every check (read from a file, or checked in code): the
    checks of :func:`problems` then run again only once it changed. Checking a prefecture with a data map of
    500 assets took 0.15 s on every analysis; telling whether it changed takes ~8 ms."""
    object.__setattr__(pref, "_wb_checked", fingerprint(pref))


def problems(pref: Prefecture) -> list[Problem]:
    """Every problem of ``pref`` as a file would have it: each field again (a list changed in place is not an
    assignment), then the checks across the file. Not located by line (the object is no longer the file).

    A prefecture unchanged since it last passed them (:func:`mark_checked`: same :func:`fingerprint`) has
    none and is not checked again."""
    known = pref.__dict__.get("_wb_checked")
    now = fingerprint(pref)
    if known is not None and known == now:
        return []
    file = source_name(pref)
    try:
        Prefecture.model_validate(pref.model_dump(), context={"pref_code": pref.code})
    except ModelInputError as err:
        for p in err.problems:
            p.file = file
            p.label = field_label(Prefecture, loc_of(p.field), pref)
        return list(err.problems)
    found = reference_problems(pref, file)
    if not found and now is not None:
        object.__setattr__(pref, "_wb_checked", now)
    return found


def validate(pref: Prefecture) -> Prefecture:
    """Run the prefecture file's checks on a prefecture changed in code: the same checks as :func:`workbench.load`
    and :func:`workbench.save` (values, unknown platform ids, duplicate ids, federation with itself, members of
    other prefectures a platform does not list, the costs', vision's, plan's and data map's own checks).

    Parameters
    ----------
    pref : Prefecture
        A prefecture from :func:`workbench.load`, :func:`workbench.load_sample` or built in code.

    Returns
    -------
    Prefecture
        ``pref`` itself, when every check passes.

    Raises
    ------
    InputError
        One problem per finding, each with the field's path (``services[3].platform``), its Japanese name
        (サービス「市民ポータル」の基盤ID) and the file the prefecture came from; no line (the object no longer
        is the file).

    Examples
    --------
    >>> import workbench as wb
    >>> pref = wb.load_sample("07")
    >>> removed = pref.platforms.pop(1)           # a platform removed in code, services still point at it
    >>> try:
    ...     wb.validate(pref)
    ... except wb.InputError as err:
    ...     print(len(err.problems), err.problems[2].field, err.problems[2].label, err.problems[2].message[:9])
    7 services[3].platform サービス「会津ポイント」の基盤ID 不明な基盤IDです
    """
    if not isinstance(pref, Prefecture):
        raise InputError.single(
            "都道府県のデータ（wb.load や wb.load_sample の結果）を渡してください", value=type(pref).__name__
        )
    found = problems(pref)
    if found:
        raise InputError(found)
    return pref


#: the prefecture an analysis is working on (its inner analyses do not check it again)
_checking: ContextVar[int | None] = ContextVar("wb_checking", default=None)


@contextlib.contextmanager
def trusted(pref: Prefecture) -> Iterator[None]:
    """Within the block, the analyses do not check ``pref`` (its caller has just read it from its file, which ran
    every check): the national batch runs classify, auth and every cost rule on each file it reads."""
    token = _checking.set(id(pref))
    try:
        yield
    finally:
        _checking.reset(token)


def checked(fn: F) -> F:
    """Decorator of an analysis whose first argument is a prefecture: :func:`validate` on entry (once: analyses
    it calls for the same prefecture do not check again), so an inconsistent prefecture is refused with the
    message :func:`validate` gives instead of being analysed."""

    @functools.wraps(fn)
    def wrapper(pref: Any, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(pref, Prefecture) or _checking.get() == id(pref):
            return fn(pref, *args, **kwargs)
        validate(pref)
        token = _checking.set(id(pref))
        try:
            return fn(pref, *args, **kwargs)
        finally:
            _checking.reset(token)

    return wrapper  # type: ignore[return-value]
