"""The optional ``auth:`` section of a prefecture file: the prefecture's own additions to the ID-means
catalogue and changes to service-category levels (DOMAIN.md §6)."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from .base import Model

Level = int


class MeansEntry(Model):
    """An ID means the prefecture adds or redefines (same columns as data/id_means.csv)."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    proofing: int | None = Field(None, ge=1, le=3)
    authenticator: int | None = Field(None, ge=1, le=3)
    valid_from: date | None = None
    valid_until: date | None = None
    reason: str = "都道府県ファイルでの指定"
    source: str = "your input"


class CategoryLevels(Model):
    """A change to a service category's required levels."""

    proofing: int = Field(ge=1, le=3)
    authenticator: int = Field(ge=1, le=3)
    means_required: list[str] | None = None


class AuthSection(Model):
    """``auth:``: extra means and category overrides."""

    means: list[MeansEntry] = Field(default_factory=list)
    categories: dict[str, CategoryLevels] = Field(default_factory=dict)
