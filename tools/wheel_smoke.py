"""What an analyst does first with the installed wheel. Run by tools/check_wheel.py with the fresh virtual
environment's python, from a folder outside the checkout; every check raises (non-zero exit) when it fails.

Not a pytest module: it must import only the installed package, never the checkout.
"""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

import workbench as wb
from workbench import reference

site = Path(sysconfig.get_paths()["purelib"]).resolve()
here = Path(wb.__file__).resolve()
assert here.is_relative_to(site), (
    f"workbench was imported from {here}, not from the installed wheel in {site}"
)
data = reference.data_dir().resolve()
assert data == site / "workbench" / "data", f"data_dir() is {data}, not inside the installed package"
print(f"import workbench: {here.parent}")
print(f"data_dir(): {data}")

# load: a bundled sample by code, and a bundled sample by its path (as an analyst's own file would be)
pref = wb.load_sample("07")
assert pref.code == "07" and pref.platforms, pref
other = wb.load(wb.sample_path("栃木県"))
assert other.code == "09", other.code
print(f"load: {pref.name} ({len(pref.platforms)} 基盤), {other.name} ({len(other.platforms)} 基盤)")

# Step 1, authentication, cost
cls = wb.classify(pref)
assert cls.current_type and cls.pattern in {"A", "B", "C", "D", "link", "none"}, cls
assert len(cls.to_frame()) > 0
print(f"classify: 型{cls.current_type} パターン{cls.pattern} 課題{len(cls.issues)}件")
auth = wb.match_auth(pref)
assert auth.services, auth
print(f"match_auth: {len(auth.services)} サービス, 満たす {sum(s.satisfied for s in auth.services)}")
alloc = wb.allocate(pref, rule="shapley")
total = sum(m.share for m in alloc.members) + alloc.prefecture
assert abs(total - alloc.total) <= 1, (total, alloc.total)
print(f"allocate(shapley): 合計 {alloc.total:,.0f} 円, {len(alloc.members)} 団体")
opts = wb.options(pref)  # the options appraisal reads its criteria from the installed data
assert sum(o.recommended for o in opts.options) == 1, opts
print(f"options: {len(opts.options)} 案, 推奨 {opts.best.label}")

# the widgets construct (no kernel needed) on the installed package's samples
from workbench import widgets as W  # noqa: E402

session = W.Session.from_sample("07")
built = [
    W.ClassificationCard(session),
    W.AuthMatrix(session),
    W.CostSimulator(session),
    W.OverviewDashboard("07"),
    W.CostDashboard("09"),
    W.AuthDashboard("07"),
    W.OptionsPanel(session),
]
print("widgets: " + ", ".join(type(b).__name__ for b in built))
print(f"wheel smoke OK (Python {sys.version.split()[0]})")
