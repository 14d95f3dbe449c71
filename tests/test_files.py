"""The file helpers of the bottom floor (workbench/files.py): one copy each, used by every floor above."""

from __future__ import annotations

import doctest

import pytest
from hypothesis import given
from hypothesis import strategies as st

import workbench as wb
from workbench import errors, files, text


def test_doctests_of_the_helpers_run_as_written():
    for module in (files, errors, text):
        assert doctest.testmod(module, optionflags=doctest.ELLIPSIS).failed == 0


def test_read_bytes_names_the_file(tmp_path):
    with pytest.raises(wb.InputError, match="ファイルがありません") as err:
        files.read_bytes(tmp_path / "ない.yaml")
    assert err.value.file == str(tmp_path / "ない.yaml")
    with pytest.raises(wb.InputError, match="フォルダではなくファイル"):
        files.read_bytes(tmp_path)
    (tmp_path / "a.csv").write_bytes(b"x,y\r\n")
    assert files.read_bytes(tmp_path / "a.csv") == b"x,y\r\n"


def test_loading_and_tables_read_through_the_one_helper(tmp_path):
    """The YAML loader and the CSV reader give the same located message for a folder."""
    from workbench.tabular import read_text

    messages = []
    for read in (wb.load, read_text):
        with pytest.raises(wb.InputError) as err:
            read(tmp_path)
        messages.append(str(err.value))
    assert messages[0] == messages[1] and "フォルダではなくファイル" in messages[0]


keys = st.one_of(st.integers(0, 999), st.from_regex(r"[a-z_]{1,8}|0[0-9]{5}|[1-9][0-9]{0,3}", fullmatch=True))


@given(st.lists(keys, min_size=1).filter(lambda loc: isinstance(loc[0], str)))
def test_field_loc_reads_back_what_field_path_writes(loc):
    """``platforms[0].name`` and back: list indexes stay numbers, keys (municipality codes too) stay text."""
    assert errors.field_loc(errors.field_path(loc)) == loc


def test_a_bracketed_code_is_a_key():
    assert errors.field_loc("costs.standalone[072028].initial") == [
        "costs",
        "standalone",
        "072028",
        "initial",
    ]
    assert errors.field_loc("costs.members[3]") == ["costs", "members", 3]


def test_a_problem_in_the_cost_section_is_located_at_its_line(tmp_path):
    """A cost problem found after loading (a member without the usage the formula weighs: 江別市, a member of
    another prefecture, has no drivers) points at the line of the file that holds it (cost.model.locate_problems
    through files.locate / field_loc)."""
    path = wb.sample_path("07")
    doc = path.read_text(encoding="utf-8")
    bad = doc.replace("members: [", 'members: ["012173", ', 1)
    assert bad != doc
    f = tmp_path / "p.yaml"
    f.write_text(bad, encoding="utf-8")
    with pytest.raises(wb.InputError) as err:
        wb.allocate(wb.load(f), rule="hybrid")
    problem = err.value.problems[0]
    line = bad.splitlines()[problem.line - 1]
    assert problem.file == str(f) and "drivers" in line and problem.field.startswith("costs.drivers")
