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

``import workbench`` loads the file models and the analyses (what these names need); charts, widgets and the
exports are imported by those who use them (``workbench.charts``, ``workbench.widgets``, ``workbench.report``).

``wb.classify``, ``wb.datamap`` and ``wb.options`` are the functions; their modules are imported by name
(``from workbench.classify import Classification``), since the functions take the package's attribute.
"""

from __future__ import annotations

from . import reference
from .auth import match_auth
from .batch import NationalSummary, national_summary
from .classify import classify
from .cost import allocate, audit_rules, cash_flow, late_joiner
from .cost import compare as compare_rules
from .datamap import datamap
from .errors import InputError, Problem, WriteError
from .inventory import Platform, Prefecture, Service, StaleFileError, load, loads, save, validate
from .inventory.costs import CostScenario
from .options import options
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
