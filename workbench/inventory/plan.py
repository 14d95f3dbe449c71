"""The ``vision:`` (Step 2) and ``plan:`` (Step 3) sections of a prefecture file, so that a meeting's work
is saved and resumed (guide 3.1 Step 2 and Step 3)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .base import Model


class Vision(Model):
    """Step 2 目的の設定とビジョンの策定."""

    purposes: list[str] = Field(default_factory=list)
    organisation: str | None = None
    cost_rule: str | None = None
    scheme: str | None = None
    kpis: list[dict[str, Any]] = Field(default_factory=list)
    statement: str | None = None


class Plan(Model):
    """Step 3 実行計画: action items."""

    start: str | None = None
    items: list[dict[str, Any]] = Field(default_factory=list)
