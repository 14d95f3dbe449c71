"""The library as a package: its distribution name and metadata, data/ inside the wheel (every file, new ones
included, without editing a list), data_dir() through importlib.resources, and the CLI's --sample so that a
bundled sample can be named without a repository path.

The full check — the wheel installed into a fresh environment and used from another folder — is
tools/check_wheel.py, run by ``make test`` (``make wheel-check`` alone).
"""

from __future__ import annotations

import json
import sys
import tomllib
import zipfile
from importlib import resources
from pathlib import Path

import pytest

from workbench import reference
from workbench.cli import main

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import check_wheel  # noqa: E402

DIST_NAME = "kyodo-riyo-workbench"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


# --- distribution name and metadata ---------------------------------------------------------------------


def test_distribution_has_its_own_name_and_spdx_licence() -> None:
    project = PYPROJECT["project"]
    assert project["name"] == DIST_NAME  # "workbench" on the public index is an unrelated project
    assert isinstance(project["license"], str), "the licence is an SPDX expression, not a table"
    assert project["license"] == "LicenseRef-Proprietary"
    for f in project["license-files"]:
        assert (ROOT / f).is_file(), f
    assert not any(c.startswith("License ::") for c in project["classifiers"]), (
        "licence classifiers and an SPDX expression exclude each other"
    )
    assert "Private :: Do Not Upload" in project["classifiers"]
    assert {"Programming Language :: Python :: 3.11", "Natural Language :: Japanese"} <= set(
        project["classifiers"]
    )
    assert project["urls"] and all(u.startswith("https://") for u in project["urls"].values())
    assert PYPROJECT["build-system"]["requires"] == ["setuptools>=77"]


def test_readme_installs_the_distribution_by_its_name() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"pip install {DIST_NAME}" in readme
    assert "pip install workbench" not in readme


# --- data/ through importlib.resources --------------------------------------------------------------------


def test_data_dir_is_the_package_workbench_data() -> None:
    folder = reference.data_dir()
    assert folder == Path(str(resources.files("workbench.data")))
    assert (folder / "municipal_population_2020.csv").is_file()
    assert (folder / "prefectures" / "07_fukushima.yaml").is_file()


def test_data_dir_does_not_depend_on_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    reference.data_dir.cache_clear()
    try:
        assert reference.data_dir() == ROOT / "data"  # the editable install maps the checkout's data/
    finally:
        reference.data_dir.cache_clear()


# --- the wheel's contents --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str], list[str]]:
    """A wheel built from a copy of the sources with new files added to data/ (a new table, a new subfolder
    two levels deep, another sample), as other branches will add them; nothing in pyproject.toml changed."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    check_wheel.copy_sources(src)
    added = [
        "new_table.csv",
        "maps/prefectures.geojson",
        "datamap/models/model.json",
        "prefectures/99_new.yaml",
    ]
    for rel in added:
        (src / "data" / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / "data" / rel).write_text("x\n", encoding="utf-8")
    wheel = check_wheel.build_wheel(src, tmp / "dist")
    return wheel, set(zipfile.ZipFile(wheel).namelist()), added


@pytest.mark.slow
def test_every_file_of_data_is_in_the_wheel(built: tuple[Path, set[str], list[str]]) -> None:
    wheel, names, _added = built
    files = check_wheel.data_files()
    assert "prefectures/07_fukushima.yaml" in files and "README.md" in files
    missing = [f for f in files if f"workbench/data/{f}" not in names]
    assert missing == []
    check_wheel.check_contents(wheel)  # also every module, the schema and the licence


@pytest.mark.slow
def test_new_files_and_subfolders_of_data_ship_without_editing_a_list(
    built: tuple[Path, set[str], list[str]],
) -> None:
    _wheel, names, added = built
    assert [f for f in added if f"workbench/data/{f}" not in names] == []


@pytest.mark.slow
def test_wheel_metadata(built: tuple[Path, set[str], list[str]]) -> None:
    wheel, names, _added = built
    meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
    meta = zipfile.ZipFile(wheel).read(meta_name).decode("utf-8")
    assert f"Name: {DIST_NAME}\n" in meta
    assert "License-Expression: LicenseRef-Proprietary\n" in meta
    assert "Project-URL: " in meta
    assert not any(n.startswith("data/") or n.startswith("tests/") for n in names)


def test_check_contents_fails_loudly_on_a_missing_data_file(tmp_path: Path) -> None:
    wheel = tmp_path / "x-0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        for f in check_wheel.module_files():
            z.writestr(f, "")
        for f in check_wheel.data_files():
            if f != "prefectures/09_tochigi.yaml":
                z.writestr(f"workbench/data/{f}", "")
        z.writestr("x-0.dist-info/licenses/LICENSE", "")
    with pytest.raises(check_wheel.CheckFailed, match="data/prefectures/09_tochigi.yaml"):
        check_wheel.check_contents(wheel)


def test_data_files_skips_caches(tmp_path: Path) -> None:
    (tmp_path / "data" / "__pycache__").mkdir(parents=True)
    (tmp_path / "data" / "__pycache__" / "x.pyc").write_bytes(b"")
    (tmp_path / "data" / ".hidden").write_text("", encoding="utf-8")
    (tmp_path / "data" / "t.csv").write_text("a\n", encoding="utf-8")
    assert check_wheel.data_files(tmp_path) == ["t.csv"]


# --- naming a bundled sample on the command line -------------------------------------------------------


def test_cli_classify_a_bundled_sample_by_code_or_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["classify", "--sample", "07", "--json"]) == 0
    by_code = json.loads(capsys.readouterr().out)
    assert by_code["prefecture"] == {"code": "07", "name": "福島県"}
    assert main(["classify", "--sample", "福島県", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == by_code


def test_cli_sample_without_a_bundled_file_uses_synthetic_data(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "--sample", "13", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["prefecture_code"] == "13"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["classify"], "都道府県ファイル（FILE）か --sample PREF を指定してください"),
        (["auth", "x.yaml", "--sample", "07"], "FILE と --sample は同時に指定できません"),
        (["classify", "--sample", "99"], "--sample: 都道府県ではありません: '99'"),
    ],
)
def test_cli_file_or_sample_errors(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_cli_file_still_works(sample_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["classify", str(sample_copy), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["prefecture"]["code"] == "07"
