"""Cost model, allocation rules, fairness audit, late joiners, the multi-year view and the scenario beside the
guide's surveyed effects (guide 2.5 per municipality and for the prefecture, guide 2.6) (DOMAIN §2, §6b).

Pure functions on a prefecture's ``costs:`` scenario; results are pydantic objects with ``.to_frame()``.
"""

from __future__ import annotations

from .audit import FairnessAudit, FairnessReport, audit, audit_rules
from .cashflow import CashFlow, Sensitivity, cash_flow, sensitivity
from .effect import CostEffect, ModuleEffectView, cost_effect, module_effect_view
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
from .latejoin import LateJoin, late_joiner
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

RULES = rules_table

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
