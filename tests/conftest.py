"""Shared fixtures.

Every test runs with HOME (and the synthetic-file cache) in a temporary folder, so Jupyter, Voila, IPython,
Chromium and the workbench never write into the real home or the repository. Ask the widgets/notebooks owner
to add fixtures here.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "prefectures"

# a cost scenario for samples that have none yet (CONTRACT.md example, yen)
COSTS_YAML = """
costs:
  horizon_years: 5
  discount_rate: 0.04
  shared: {initial: 300000000, annual_fixed: 40000000, annual_per_member: 2000000}
  standalone: {initial: 50000000, annual: 10000000}
  members: ["072010", "072028", "072036", "072044", "072052", "072079"]
  scheme: fukushima
"""


@pytest.fixture(autouse=True, scope="session")
def _isolated_home(tmp_path_factory: pytest.TempPathFactory):
    """HOME, the workbench cache and the notebooks' output folder in a temporary folder for the session."""
    home = tmp_path_factory.mktemp("home")
    keep = {
        k: os.environ.get(k) for k in ("HOME", "WORKBENCH_CACHE", "WORKBENCH_OUTPUT", "WORKBENCH_PREFECTURE")
    }
    os.environ["HOME"] = str(home)
    os.environ["WORKBENCH_CACHE"] = str(home / ".cache" / "workbench")
    os.environ["WORKBENCH_OUTPUT"] = str(home / "output")
    os.environ.pop("WORKBENCH_PREFECTURE", None)
    yield home
    for k, v in keep.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture
def repo_root() -> Path:
    return ROOT


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    """A copy of the 福島県 sample in a temporary folder (safe to edit and save)."""
    dst = tmp_path / "07_fukushima.yaml"
    shutil.copyfile(SAMPLES / "07_fukushima.yaml", dst)
    return dst


@pytest.fixture
def costed_copy(tmp_path: Path) -> Path:
    """The 福島県 sample with a cost scenario (its own, or :data:`COSTS_YAML` appended when it has none)."""
    import workbench as wb

    dst = tmp_path / "07_costed.yaml"
    text = (SAMPLES / "07_fukushima.yaml").read_text(encoding="utf-8")
    if wb.load(SAMPLES / "07_fukushima.yaml").costs is None:
        text = text.rstrip("\n") + "\n" + COSTS_YAML
    dst.write_text(text, encoding="utf-8")
    return dst


def sample_text_without_plan(code: str = "07") -> str:
    """A sample file's text without its ``vision:``/``plan:`` sections (and their comment headers), for tests
    that write their own."""
    import workbench as wb

    lines = wb.sample_path(code).read_text(encoding="utf-8").splitlines(keepends=True)
    cut = next((i for i, line in enumerate(lines) if line.startswith(("vision:", "plan:"))), len(lines))
    while cut > 0 and lines[cut - 1].startswith("#"):
        cut -= 1
    return "".join(lines[:cut])
