"""The scheduling graph of the Step 3 action plan (guide 3.1 Step 3): items with durations (months) and
dependencies, scheduled at their earliest start with the slack of each (critical path method), and whole-month
date arithmetic. Pure functions on plain dicts; :mod:`workbench.plan.step3` builds the items.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any


def month_offset(start: date, d: date) -> int:
    """Whole months from ``start`` to ``d`` (a later day of the month counts as the next month)."""
    months = (d.year - start.year) * 12 + (d.month - start.month)
    return months + (1 if d.day > start.day else 0)


def add_months(d: date, months: int) -> date:
    """``d`` moved by whole months (the day clipped to the month's length)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """A dependency cycle as a list of ids (first id repeated at the end), or None (depth-first search)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for d in graph.get(n, []):
            if state.get(d) == 1:
                return stack[stack.index(d) :] + [d]
            if state.get(d) is None and d in graph:
                found = visit(d)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in graph:
        if state.get(n) is None:
            found = visit(n)
            if found:
                return found
    return None


def schedule(items: list[dict[str, Any]]) -> tuple[dict[str, tuple[int, int]], dict[str, int]]:
    """Earliest start/end (months) honouring dependencies and each item's earliest start, and each item's
    slack (latest start − earliest start). Raises ``ValueError`` on a cycle."""
    graph = {it["id"]: it["depends_on"] for it in items}
    cyc = find_cycle(graph)
    if cyc:
        raise ValueError("依存関係が循環しています: " + " → ".join(reversed(cyc)))
    dur = {it["id"]: int(it["duration"]) for it in items}
    floor = {it["id"]: int(it.get("start_floor") or 0) for it in items}
    es: dict[str, tuple[int, int]] = {}

    def earliest(n: str) -> tuple[int, int]:
        if n not in es:
            s = max([floor[n], *[earliest(d)[1] for d in graph[n]]])
            es[n] = (s, s + dur[n])
        return es[n]

    for n in graph:
        earliest(n)
    end = max((e for _, e in es.values()), default=0)
    succ: dict[str, list[str]] = {n: [] for n in graph}
    for n, deps in graph.items():
        for d in deps:
            succ[d].append(n)
    lf: dict[str, int] = {}

    def latest_finish(n: str) -> int:
        if n not in lf:
            lf[n] = min([end, *[latest_finish(s) - dur[s] for s in succ[n]]])
        return lf[n]

    slack = {n: latest_finish(n) - es[n][1] for n in graph}
    return es, slack
