"""The house's rules kept true (ARCHITECTURE.md): the public names are plain functions, no module swaps its
class, and (below) the layers' imports point one way with no cycles."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import workbench as wb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import layers  # noqa: E402


def test_classify_and_datamap_are_functions_whatever_was_imported_first():
    """``wb.classify(pref)`` / ``wb.datamap(pref)`` (CONTRACT) work even when a module imports
    ``workbench.classify`` or ``workbench.datamap`` before anyone touches the package's attributes."""
    code = (
        "import workbench.plan, workbench.datamap, workbench.classify\n"
        "import types, workbench as wb\n"
        "assert isinstance(wb.classify, types.FunctionType) and isinstance(wb.datamap, types.FunctionType)\n"
        "pref = wb.load_sample('07')\n"
        "print(wb.classify(pref).current_type, wb.datamap(pref).has_data_map)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == [wb.classify(wb.load_sample("07")).current_type, "True"]


def test_no_module_of_ours_swaps_its_class():
    import workbench.charts  # noqa: F401
    import workbench.cli  # noqa: F401
    import workbench.report  # noqa: F401
    import workbench.widgets  # noqa: F401

    ours = {n: m for n, m in sys.modules.items() if n == "workbench" or n.startswith("workbench.")}
    assert len(ours) > 30
    assert [n for n, m in ours.items() if type(m) is not types.ModuleType] == []


# --- the layers (tools/layers.py reads the imports from the source) ----------------------------------------


def test_every_module_is_on_a_floor():
    for name in layers.modules():
        layers.floor(name)  # raises KeyError naming the module


def test_imports_point_down_only():
    """A module imports its own floor or lower ones (base → inventory → analyses → charts → exports → widgets
    → front ends), an analysis never imports file I/O, and no import is hidden in importlib."""
    assert [str(e) for e in layers.upward(layers.edges())] == []


def test_no_import_of_ours_is_guarded_as_if_it_could_be_missing():
    assert [str(e) for e in layers.guarded()] == []


def test_no_import_cycles():
    assert layers.cycles(layers.edges()) == []


def test_moved_names_are_found_at_their_old_place_but_not_used_there():
    """``workbench.plan.plan_xlsx`` moved to the exports (``workbench.plan_sheet``); a module ``__getattr__`` still
    finds it for code written before. That import is listed apart (not an edge) and nothing of ours uses it."""
    import ast

    assert {(e.source, e.target) for e in layers.moved()} == {("workbench.plan", "workbench.plan_sheet")}
    users = []
    for name, path in layers.modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module in ("plan", "workbench.plan"):
                users += [f"{name}: line {node.lineno}" for a in node.names if a.name == "plan_xlsx"]
            if isinstance(node, ast.Attribute) and node.attr == "plan_xlsx":
                users.append(f"{name}: line {node.lineno}")
    assert users == []


def test_no_module_imports_another_modules_private_names():
    """A name with a leading underscore is its module's own: another module that needs it gets a public name
    (ARCHITECTURE.md: small documented surfaces; issue 14: cost.effect imported model's privates)."""
    import ast

    bad = []
    for name, path in layers.modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            ours = isinstance(node, ast.ImportFrom) and (
                node.level or (node.module or "").startswith("workbench")
            )
            if ours:
                bad += [
                    f"{name}: {a.name}" for a in node.names if a.name.startswith("_") and a.name[1] != "_"
                ]
    assert bad == []


def test_the_checker_sees_what_it_must(tmp_path):
    """tools/layers.py on a small package: an upward import, an analysis reading a file, a cycle, an import
    by importlib and one guarded by except ImportError are all found; TYPE_CHECKING imports are not edges."""
    pkg = tmp_path / "workbench"
    (pkg / "cost").mkdir(parents=True)
    files = {
        "__init__.py": "",
        "text.py": "from .charts import x\n",
        "charts.py": "from . import text\n",
        "cost/__init__.py": "def f():\n    from ..inventory import yamlio\n",
        "inventory/__init__.py": "",
        "inventory/yamlio.py": (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..widgets import w\n"
            "import importlib\nimportlib.import_module('workbench.text')\n"
            "try:\n    from .. import reference\nexcept ImportError:\n    pass\n"
        ),
        "reference.py": "",
        "widgets.py": "def __getattr__(name):\n    import importlib\n    return importlib.import_module(name)\n",
        "plan.py": "def __getattr__(name):\n    from .report import old_name\n    return old_name\n",
        "report.py": "",
    }
    for name, text in files.items():
        (pkg / name).parent.mkdir(parents=True, exist_ok=True)
        (pkg / name).write_text(text, encoding="utf-8")
    found = {(e.source, e.target) for e in layers.upward(layers.edges(pkg))}
    assert found == {
        ("workbench.text", "workbench.charts"),
        ("workbench.cost", "workbench.inventory.yamlio"),
        ("workbench.inventory.yamlio", "?dynamic"),
        ("workbench.widgets", "?dynamic"),  # importlib in a module __getattr__ is still hidden
    }
    assert {(e.source, e.target) for e in layers.moved(pkg)} == {("workbench.plan", "workbench.report")}
    assert layers.cycles(layers.edges(pkg)) == [["workbench.charts", "workbench.text"]]
    assert {(e.source, e.target) for e in layers.guarded(pkg)} == {
        ("workbench.inventory.yamlio", "workbench.reference")
    }


def test_no_module_imports_a_name_the_package_binds_to_a_function():
    """``workbench.classify`` and ``workbench.datamap`` are functions on the package; ``from . import
    classify`` (or ``from workbench import datamap``) would get the function, not the module."""
    import ast

    functions = {n for n in ("classify", "datamap") if callable(getattr(wb, n))}
    bad = []
    for name, path in layers.modules().items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)] if node.level else []
                mod = ".".join(base + ([node.module] if node.module else [])) if node.level else node.module
                if mod == "workbench" and {a.name for a in node.names} & functions:
                    bad.append(f"{name}: line {node.lineno}")
    assert bad == []


def test_the_names_imported_on_first_use_are_edges_of_the_graph():
    """``workbench`` and ``workbench.cost`` import some public names on first use (PEP 562, issue 28): those imports
    sit in a plain function the module ``__getattr__`` calls, so they are edges that the rules above check (lazy,
    marked *), never hidden as "moved" names nor made by importlib."""
    lazy = {(e.source, e.target) for e in layers.edges() if e.lazy}
    for target in ("workbench.batch", "workbench.cost", "workbench.plan", "workbench.samples"):
        assert ("workbench", target) in lazy
    for target in ("workbench.cost.cashflow", "workbench.cost.effect", "workbench.cost.latejoin"):
        assert ("workbench.cost", target) in lazy
    assert not [e for e in layers.moved() if e.source in ("workbench", "workbench.cost")]
