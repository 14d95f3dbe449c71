"""共同利用ワークベンチ — plan the shared use of data collaboration platforms (データ連携基盤の共同利用).

The public API (CONTRACT.md)::

    import workbench as wb
    pref = wb.load("prefecture.yaml")   # raises wb.InputError naming file, line and field
    wb.classify(pref)                   # Step 1: counts, 型, pattern, 課題リスト
    wb.match_auth(pref)                 # authentication-level matching
    wb.allocate(pref, rule="shapley")   # cost allocation
    wb.compare_rules(pref)              # every rule side by side; wb.audit_rules: the fairness audit
    wb.vision(pref), wb.action_plan(pref)   # Step 2 and Step 3
    wb.datamap(pref)                    # データマップ: data flows across fields, models, published APIs

Heavy modules (cost maths, charts, widgets) are imported on first use, so ``import workbench`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from .errors import InputError, Problem, WriteError

__version__ = "0.1.0"

_LAZY = {
    "load": ("workbench.inventory", "load"),
    "loads": ("workbench.inventory", "loads"),
    "save": ("workbench.inventory", "save"),
    "Prefecture": ("workbench.inventory", "Prefecture"),
    "StaleFileError": ("workbench.inventory", "StaleFileError"),
    "classify": ("workbench.classify", None),  # a callable module: wb.classify(pref)
    "match_auth": ("workbench.auth", "match_auth"),
    "allocate": ("workbench.cost", "allocate"),
    "compare_rules": ("workbench.cost", "compare"),
    "audit_rules": ("workbench.cost", "audit_rules"),
    "late_joiner": ("workbench.cost", "late_joiner"),
    "cash_flow": ("workbench.cost", "cash_flow"),
    "vision": ("workbench.plan", "vision"),
    "action_plan": ("workbench.plan", "action_plan"),
    "datamap": ("workbench.datamap", None),  # a callable module: wb.datamap(pref)
    "sample_path": ("workbench.samples", "sample_path"),
    "load_sample": ("workbench.samples", "load_sample"),
    "reference": ("workbench.reference", None),
}

__all__ = ["InputError", "Problem", "WriteError", "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'workbench' has no attribute {name!r}") from None
    mod = importlib.import_module(module)
    value = mod if attr is None else getattr(mod, attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
