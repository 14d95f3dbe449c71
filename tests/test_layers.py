"""The house's rules kept true (ARCHITECTURE.md): the public names are plain functions, no module swaps its
class, and (below) the layers' imports point one way with no cycles."""

from __future__ import annotations

import subprocess
import sys
import types

import workbench as wb


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
