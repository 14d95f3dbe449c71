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
    wb.options(pref)                    # Step 2 目指す型の選択: options, costs, the recommendation

``import workbench`` loads the file models and the Step 1 analyses (classify, auth, the data map, options); the
cost rules, the plan, the national batch and the samples are imported the first time one of their names is asked
for (:data:`LAZY`, PEP 562: ``wb.allocate`` and ``from workbench import allocate`` work as before, and ``dir(wb)``
lists them); charts, widgets and the exports are imported by those who use them (``workbench.charts``,
``workbench.widgets``, ``workbench.report``).

``wb.classify``, ``wb.datamap`` and ``wb.options`` are the functions; their modules are imported by name
(``from workbench.classify import Classification``), since the functions take the package's attribute.
"""

from __future__ import annotations

import gc as _gc
from types import ModuleType
from typing import TYPE_CHECKING, Any

# no garbage collection while the package's modules load (about 200 collections, 0.1 s of CPU, found nothing to
# free: module objects and pydantic's schemas all stay alive); the collector is as it was afterwards
_collecting = _gc.isenabled()
_gc.disable()
try:
    # the functions named like their modules are bound here, after their modules: a lazy name would be replaced by the
    # module the first time anything imports ``workbench.classify`` (the import system sets the package's attribute)
    from . import reference
    from .auth import match_auth
    from .classify import classify
    from .datamap import datamap
    from .errors import InputError, Problem, WriteError
    from .inventory import Platform, Prefecture, Service, StaleFileError, load, loads, save, validate
    from .inventory.costs import CostScenario
    from .options import options
finally:
    if _collecting:
        _gc.enable()
    del _collecting

if TYPE_CHECKING:  # found on first use (module __getattr__ below); listed here for type checkers
    from .batch import NationalSummary, national_summary
    from .cost import allocate, audit_rules, cash_flow, late_joiner
    from .cost import compare as compare_rules
    from .plan import action_plan, vision
    from .samples import load_sample, sample_path, synth_dir

__version__ = "0.1.0"

__all__ = [
    "InputError",
    "Problem",
    "WriteError",
    "__version__",
    "load",
    "loads",
    "save",
    "validate",
    "Prefecture",
    "Platform",
    "Service",
    "CostScenario",
    "StaleFileError",
    "classify",
    "match_auth",
    "allocate",
    "compare_rules",
    "audit_rules",
    "late_joiner",
    "cash_flow",
    "vision",
    "action_plan",
    "datamap",
    "options",
    "national_summary",
    "NationalSummary",
    "sample_path",
    "load_sample",
    "synth_dir",
    "reference",
]

#: public names imported on first use (PEP 562): name -> (module, name there). ``import workbench`` then loads the
#: file models and the analyses, and a script that needs the cost rules or the plan pays for them when it asks
#: (the national batch, B1, imports neither the plan nor the cost's cash flows)
LAZY: dict[str, tuple[str, str]] = {
    "allocate": ("cost", "allocate"),
    "audit_rules": ("cost", "audit_rules"),
    "cash_flow": ("cost", "cash_flow"),
    "late_joiner": ("cost", "late_joiner"),
    "compare_rules": ("cost", "compare"),
    "vision": ("plan", "vision"),
    "action_plan": ("plan", "action_plan"),
    "national_summary": ("batch", "national_summary"),
    "NationalSummary": ("batch", "NationalSummary"),
    "sample_path": ("samples", "sample_path"),
    "load_sample": ("samples", "load_sample"),
    "synth_dir": ("samples", "synth_dir"),
}

#: submodules that ``import workbench`` made attributes of the package before its names were lazy
#: (``wb.cost.coalition_cost``): still found as attributes, imported on first use
SUBMODULES = ("batch", "cost", "data", "files", "plan", "results", "samples", "staff", "text")


def _module(name: str) -> ModuleType:
    """The submodule ``workbench.<name>`` of :data:`LAZY` and :data:`SUBMODULES`, imported (plain imports: the
    layers' checker, tools/layers.py, sees each as an edge; ``from . import cost`` would ask this module's
    ``__getattr__`` for ``cost`` first and come back here)."""
    if name == "batch":
        import workbench.batch as mod
    elif name == "cost":
        import workbench.cost as mod
    elif name == "data":
        import workbench.data as mod
    elif name == "files":
        import workbench.files as mod
    elif name == "plan":
        import workbench.plan as mod
    elif name == "results":
        import workbench.results as mod
    elif name == "samples":
        import workbench.samples as mod
    elif name == "staff":
        import workbench.staff as mod
    elif name == "text":
        import workbench.text as mod
    else:  # pragma: no cover - LAZY and SUBMODULES name only the modules above (tests/test_lazy_import.py)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return mod


def __getattr__(name: str) -> Any:
    """A public name of :data:`LAZY` or a submodule of :data:`SUBMODULES`, imported on first use and then kept
    (PEP 562)."""
    if name in LAZY:
        where, attr = LAZY[name]
        value = getattr(_module(where), attr)
    elif name in SUBMODULES:
        value = _module(name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, *SUBMODULES})
