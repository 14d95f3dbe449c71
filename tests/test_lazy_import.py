"""``import workbench`` is lazy where it can be (issue 28, point 1; PEP 562) and every public name is found exactly as
before: ``wb.X``, ``from workbench import X``, ``dir(wb)``, ``from workbench.cost import X``.

Each check runs in a fresh interpreter: what one test imported would hide what ``import workbench`` imports."""

from __future__ import annotations

import json
import subprocess
import sys

import workbench as wb


def _run(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


#: what the national batch (B1) and ``import workbench`` do not need: imported only by those who use them
NOT_AT_IMPORT = [
    "workbench.plan",
    "workbench.batch",
    "workbench.cost",
    "workbench.cost.cashflow",
    "workbench.cost.effect",
    "workbench.cost.latejoin",
    "workbench.charts",
    "workbench.widgets",
    "workbench.report",
    "workbench.deck",
    "workbench.vision_docx",
    "workbench.exports",
    "plotly",
    "ipywidgets",
    "openpyxl",
    "pptx",
    "docx",
    "scipy",
]


def test_import_workbench_leaves_out_what_it_does_not_need():
    found = _run(
        f"import sys, json, workbench\nprint(json.dumps([m for m in {NOT_AT_IMPORT!r} if m in sys.modules]))"
    )
    assert found == []


def test_the_batch_imports_neither_the_plan_nor_the_cash_flows_nor_a_chart_library():
    code = (
        "import sys, json\nfrom workbench.batch import run_batch\nrun_batch(['07', '09'])\n"
        "print(json.dumps([m for m in ['workbench.plan', 'workbench.cost.cashflow', 'workbench.cost.effect', "
        "'workbench.cost.latejoin', 'plotly', 'openpyxl', 'scipy', 'ipywidgets'] if m in sys.modules]))"
    )
    assert _run(code) == []


def test_every_public_name_is_found_as_before_in_a_fresh_process():
    """``wb.X`` and ``from workbench import X`` give the object its module defines, for every name of ``__all__``;
    ``dir(wb)`` lists them and the submodules that ``import workbench`` used to make attributes."""
    code = """
import json, types, importlib
import workbench as wb
out = {}
for name in wb.__all__:
    ns = {}
    exec(f"from workbench import {name} as x", ns)
    v = getattr(wb, name)
    where = v.__name__ if isinstance(v, types.ModuleType) else getattr(v, "__module__", None)
    out[name] = [ns["x"] is v, where if isinstance(where, str) else None]
out["__dir__"] = sorted(set(wb.__all__) - set(dir(wb)))
out["__submodules__"] = sorted(n for n in wb.SUBMODULES if not isinstance(getattr(wb, n), types.ModuleType))
out["__functions__"] = [n for n in ("classify", "datamap", "options") if not isinstance(getattr(wb, n), types.FunctionType)]
print(json.dumps(out))
"""
    out = _run(code)
    assert out.pop("__dir__") == [] and out.pop("__submodules__") == [] and out.pop("__functions__") == []
    assert sorted(out) == sorted(wb.__all__)
    assert all(same for same, _ in out.values()), out
    expected = {  # where each name lives (as the eager imports had it)
        "allocate": "workbench.cost.rules",
        "audit_rules": "workbench.cost.audit",
        "cash_flow": "workbench.cost.cashflow",
        "late_joiner": "workbench.cost.latejoin",
        "compare_rules": "workbench.cost.rules",
        "vision": "workbench.plan.step2",
        "action_plan": "workbench.plan.step3",
        "national_summary": "workbench.batch",
        "NationalSummary": "workbench.batch",
        "load_sample": "workbench.samples",
        "reference": "workbench.reference",
        "classify": "workbench.classify",
        "options": "workbench.options",
    }
    assert {k: out[k][1] for k in expected} == expected


def test_the_lazy_names_are_the_package_s_and_unknown_names_still_raise():
    import pytest

    assert set(wb.LAZY) <= set(wb.__all__)
    assert wb.compare_rules is wb.cost.compare and wb.allocate is wb.cost.allocate
    assert wb.vision is wb.plan.vision and wb.national_summary is wb.batch.national_summary
    with pytest.raises(AttributeError, match="no_such_name"):
        wb.no_such_name  # noqa: B018
    with pytest.raises(ImportError):
        exec("from workbench import no_such_name", {})


def test_cost_names_are_found_as_before():
    code = """
import json, types
import workbench.cost as cost
ns = {}
exec("from workbench.cost import *", ns)
missing = [n for n in cost.__all__ if n not in ns]
mods = [n for n in ("cashflow", "effect", "latejoin") if not isinstance(getattr(cost, n), types.ModuleType)]
print(json.dumps({"missing": missing, "mods": mods, "dir": sorted(set(cost.__all__) - set(dir(cost))),
                  "same": cost.cash_flow is cost.cashflow.cash_flow and cost.LateJoin is cost.latejoin.LateJoin}))
"""
    assert _run(code) == {"missing": [], "mods": [], "dir": [], "same": True}


def test_options_is_the_function_whatever_was_imported_first():
    code = (
        "import workbench.options, workbench.cost.effect, workbench.plan\nimport types, json, workbench as wb\n"
        "print(json.dumps([isinstance(wb.options, types.FunctionType), isinstance(wb.cost, types.ModuleType), "
        "isinstance(wb.vision, types.FunctionType)]))"
    )
    assert _run(code) == [True, True, True]


def test_the_collector_is_as_it_was_after_import():
    """``import workbench`` loads its modules with the garbage collector paused and leaves it as it found it."""
    code = (
        "import gc, json\nbefore = gc.isenabled()\nimport workbench\nafter = gc.isenabled()\n"
        "import sys\ndel sys.modules['workbench']\ngc.disable()\nimport workbench\n"
        "print(json.dumps([before, after, gc.isenabled(), hasattr(workbench, '_collecting')]))"
    )
    assert _run(code) == [True, True, False, False]
