"""The optional ``auth:`` section of a prefecture file: the prefecture's own additions to the ID-means
catalogue and changes to service-category levels (DOMAIN.md §6), and the catalogue look-ups the loader needs
to check means codes.

The default catalogues are data/id_means.csv and data/service_categories.csv (see data/AUTH_README.md). A
prefecture file can::

    auth:
      means:                      # add a means, or redefine a default one under the same code
        - {code: city_card, label: 市民カード（IC）, proofing: 3, authenticator: 3}
      categories:                 # change a category's required levels or the means the law names
        resident: {proofing: 2, authenticator: 1}
        financial: {means_required: [ekyc_ic, jpki_card]}
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator, model_validator

from .. import reference
from .base import Loc, Model

if TYPE_CHECKING:  # the model that holds every section (models.py imports this module)
    from .models import Prefecture

Level = int

MEANS_TABLE = "id_means.csv"
CATEGORY_TABLE = "service_categories.csv"


class MeansEntry(Model):
    """An ID means the prefecture adds or redefines (same columns as data/id_means.csv)."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    proofing: int | None = Field(
        None, ge=1, le=3, description="到達する身元確認レベル（ログイン専用なら省略）"
    )
    authenticator: int | None = Field(
        None, ge=1, le=3, description="到達する当人認証レベル（身元確認専用なら省略）"
    )
    valid_from: date | None = None
    valid_until: date | None = None
    reason: str = "都道府県ファイルでの指定"
    source: str = "your input"

    @model_validator(mode="after")
    def _check(self) -> MeansEntry:
        if self.proofing is None and self.authenticator is None:
            raise ValueError(
                "proofing（身元確認レベル）か authenticator（当人認証レベル）の少なくとも一方を指定してください"
            )
        if self.valid_from and self.valid_until and self.valid_from > self.valid_until:
            raise ValueError("valid_from が valid_until より後です")
        return self


class CategoryLevels(Model):
    """A change to a service category's required levels (omitted = the default) or the means the law names."""

    proofing: int | None = Field(None, ge=1, le=3)
    authenticator: int | None = Field(None, ge=1, le=3)
    means_required: list[str] | None = Field(
        None,
        description="法令・ガイドが名指しする手段（いずれか一つが必要）。[] で要件なし、省略で既定のまま",
    )


class AuthSection(Model):
    """``auth:``: extra means and category overrides."""

    means: list[MeansEntry] = Field(default_factory=list)
    categories: dict[str, CategoryLevels] = Field(default_factory=dict)

    @field_validator("categories", mode="before")
    @classmethod
    def _category_keys(cls, v: Any) -> Any:
        """Japanese labels and aliases of a category become its code; unknown keys are left for
        :meth:`cross_check`, which reports them at their line."""
        if not isinstance(v, dict):
            return v
        out: dict[Any, Any] = {}
        for key, value in v.items():
            try:
                out[reference.enum_code("service_category", key)] = value
            except ValueError:
                out[key] = value
        return out

    def cross_check(self, pref: Prefecture) -> Iterator[tuple[Loc, str, object]]:
        seen: dict[str, int] = {}
        for i, m in enumerate(self.means):
            if m.code in seen:
                yield (
                    ("means", i, "code"),
                    f"手段コードが重複しています（auth.means[{seen[m.code]}] と同じ）",
                    m.code,
                )
            seen.setdefault(m.code, i)
        cats = category_codes()
        known = known_means(pref)
        for key, entry in self.categories.items():
            if key not in cats:
                yield (
                    ("categories", key),
                    f"不明なサービス種別です（使える値: {reference.enum_allowed('service_category')}）",
                    key,
                )
                continue
            for j, code in enumerate(entry.means_required or []):
                if code not in known:
                    yield ("categories", key, "means_required", j), _unknown_means_message(known), code


# --- catalogue look-ups -------------------------------------------------------------------------------


@functools.cache
def default_means_codes() -> tuple[str, ...]:
    """Codes of the default ID-means catalogue (data/id_means.csv), in catalogue order."""
    return tuple(reference.table(MEANS_TABLE)["code"])


@functools.cache
def category_codes() -> tuple[str, ...]:
    """Codes of the service-category catalogue (data/service_categories.csv)."""
    return tuple(reference.table(CATEGORY_TABLE)["code"])


def known_means(pref: Prefecture) -> set[str]:
    """Means codes a prefecture file may use: the default catalogue plus its own ``auth.means``."""
    own = {m.code for m in pref.auth.means} if getattr(pref, "auth", None) is not None else set()
    return set(default_means_codes()) | own


def _unknown_means_message(known: Iterable[str]) -> str:
    return f"不明な本人確認手段のコードです（使える値: {', '.join(sorted(known))}。独自の手段は auth.means に追加）"


def means_problems(
    codes: Iterable[str], pref: Prefecture, field: str = "means"
) -> Iterator[tuple[Loc, str, object]]:
    """(("means", j), message, code) for each code that is neither a default means nor one of the file's."""
    known = known_means(pref)
    for j, code in enumerate(codes):
        if code not in known:
            yield (field, j), _unknown_means_message(known), code
