"""Cost model, allocation rules, fairness audit, late joiners, the multi-year view and the scenario beside the
guide's surveyed effects (guide 2.5 per municipality and for the prefecture, guide 2.6) (DOMAIN §2, §6b).

Pure functions on a prefecture's ``costs:`` scenario; results are pydantic objects with ``.to_frame()``.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Any

from .audit import FairnessAudit, FairnessReport, audit, audit_rules
from .games import (
    LeastCore,
    MonteCarloShapley,
    StructuredGame,
    core_check_structured,
    core_check_vector,
    least_core,
    nucleolus,
    scrb,
    shapley_exact,
    shapley_model,
    shapley_monte_carlo,
)
from .model import (
    CostModel,
    build_model,
    coalition_cost,
    guide_ranges,
    module_effect,
    rules_table,
    schemes_table,
)
from .rules import (
    Allocation,
    Comparison,
    allocate,
    compare,
    degressive_shares,
    equal_shares,
    hybrid_shares,
    proportional_shares,
)

if TYPE_CHECKING:  # found on first use (module __getattr__ below)
    from .cashflow import CashFlow, Sensitivity, cash_flow, sensitivity
    from .effect import CostEffect, ModuleEffectView, cost_effect, module_effect_view
    from .latejoin import LateJoin, late_joiner

RULES = rules_table

#: names of the multi-year view, late joiners and the cost effect, imported on first use (PEP 562): an allocation
#: or an audit (the national batch) needs none of them. name -> its module
LAZY: dict[str, str] = {
    "CashFlow": "cashflow",
    "Sensitivity": "cashflow",
    "cash_flow": "cashflow",
    "sensitivity": "cashflow",
    "CostEffect": "effect",
    "ModuleEffectView": "effect",
    "cost_effect": "effect",
    "module_effect_view": "effect",
    "LateJoin": "latejoin",
    "late_joiner": "latejoin",
}


def _module(name: str) -> ModuleType:
    """``workbench.cost.<name>`` imported (plain imports, edges for tools/layers.py)."""
    if name == "cashflow":
        import workbench.cost.cashflow as mod
    elif name == "effect":
        import workbench.cost.effect as mod
    elif name == "latejoin":
        import workbench.cost.latejoin as mod
    else:  # pragma: no cover - LAZY names only these
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return mod


def __getattr__(name: str) -> Any:
    """A name of :data:`LAZY` (or the module ``cashflow``, ``effect``, ``latejoin`` itself, an attribute of the
    package when it imported them at once), imported on first use and then kept."""
    if name in LAZY:
        value = getattr(_module(LAZY[name]), name)
    elif name in set(LAZY.values()):
        value = _module(name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, *LAZY.values()})


__all__ = [
    "Allocation",
    "CashFlow",
    "Comparison",
    "CostEffect",
    "CostModel",
    "FairnessAudit",
    "FairnessReport",
    "LateJoin",
    "LeastCore",
    "ModuleEffectView",
    "MonteCarloShapley",
    "RULES",
    "Sensitivity",
    "StructuredGame",
    "allocate",
    "audit",
    "audit_rules",
    "build_model",
    "cash_flow",
    "coalition_cost",
    "compare",
    "core_check_structured",
    "cost_effect",
    "core_check_vector",
    "degressive_shares",
    "equal_shares",
    "guide_ranges",
    "hybrid_shares",
    "late_joiner",
    "least_core",
    "module_effect",
    "module_effect_view",
    "nucleolus",
    "proportional_shares",
    "rules_table",
    "schemes_table",
    "scrb",
    "sensitivity",
    "shapley_exact",
    "shapley_model",
    "shapley_monte_carlo",
]
