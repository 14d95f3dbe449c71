"""The caches of issue 28 (speed, round 3): what they keep, when they let go, and that no caller can change what
another one gets.

- :func:`workbench.load` keeps parsed files by real path, size, modification time and SHA-256 of the bytes, and
  gives every caller a deep copy;
- a prefecture that passed the checks is not checked again while it is unchanged (its fingerprint);
- synthetic files are checked by their check line instead of being made again on every call;
- the cost audit builds each model's players and 2^n costs once;
- SciPy's HiGHS binding is loaded without ``scipy.optimize``, and the answers it is checked against are
  ``linprog``'s.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import workbench as wb
from workbench.inventory import checks, yamlio

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "prefectures" / "07_fukushima.yaml"


@pytest.fixture
def copy07(tmp_path: Path) -> Path:
    dst = tmp_path / "07_fukushima.yaml"
    shutil.copyfile(SAMPLE, dst)
    return dst


def _parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count the parses of :func:`load` (its fast reading of the text)."""
    seen: list[str] = []
    real = yamlio._fast_load

    def counting(text: str, file: str | None):
        seen.append(str(file))
        return real(text, file)

    monkeypatch.setattr(yamlio, "_fast_load", counting)
    return seen


# --- load(): kept by path, size, mtime and digest; deep copies ------------------------------------------------


def test_a_file_read_twice_is_parsed_once_and_each_caller_gets_its_own_copy(copy07, monkeypatch) -> None:
    seen = _parses(monkeypatch)
    a = wb.load(copy07)
    b = wb.load(copy07)
    assert len(seen) == 1
    assert a is not b and a == b
    assert a.platforms[0] is not b.platforms[0]
    assert a._wb_digest == b._wb_digest and a._wb_path == b._wb_path == copy07


def test_a_change_to_a_returned_prefecture_does_not_reach_the_next_caller(copy07) -> None:
    first = wb.load(copy07)
    name = first.platforms[0].name
    first.platforms[0].name = "書き換えた名前"
    first.platforms.pop()
    first.services.clear()
    again = wb.load(copy07)
    assert again.platforms[0].name == name
    assert len(again.platforms) == len(first.platforms) + 1
    assert again.services


def test_a_modified_file_is_parsed_again(copy07, monkeypatch) -> None:
    seen = _parses(monkeypatch)
    before = wb.load(copy07)
    text = copy07.read_text(encoding="utf-8")
    name = before.platforms[0].name
    copy07.write_text(text.replace(name, name + "（改）", 1), encoding="utf-8")
    after = wb.load(copy07)
    assert len(seen) == 2
    assert after.platforms[0].name == name + "（改）"
    assert after._wb_digest != before._wb_digest


def test_same_size_and_same_mtime_still_seen_by_the_digest(copy07, monkeypatch) -> None:
    """A change that keeps the size and the modification time (an editor restoring it, a coarse clock) is
    caught by the digest of the bytes."""
    seen = _parses(monkeypatch)
    before = wb.load(copy07)
    st = copy07.stat()
    data = copy07.read_bytes()
    old, new = before.platforms[0].name.encode(), before.platforms[0].name[::-1].encode()  # same length
    copy07.write_bytes(data.replace(old, new, 1))
    os.utime(copy07, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert copy07.stat().st_size == st.st_size and copy07.stat().st_mtime_ns == st.st_mtime_ns
    changed = wb.load(copy07)
    assert len(seen) == 2
    assert changed.platforms[0].name == before.platforms[0].name[::-1] != before.platforms[0].name


def test_a_touched_file_is_parsed_again(copy07, monkeypatch) -> None:
    seen = _parses(monkeypatch)
    wb.load(copy07)
    st = copy07.stat()
    os.utime(copy07, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    wb.load(copy07)
    assert len(seen) == 2


def test_two_names_of_one_file_share_the_entry_and_keep_their_own_path(copy07, tmp_path, monkeypatch) -> None:
    link = tmp_path / "link.yaml"
    link.symlink_to(copy07)
    seen = _parses(monkeypatch)
    a = wb.load(copy07)
    b = wb.load(link)
    assert len(seen) == 1
    assert a._wb_path == copy07 and b._wb_path == link


def test_a_bad_file_is_not_kept_and_fails_every_time(tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("prefecture: 福島県\nplatforms: [\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(wb.InputError) as err:
            wb.load(bad)
        assert "bad.yaml" in str(err.value)


def test_a_save_after_a_cached_load_keeps_the_stale_check(copy07) -> None:
    """Two callers load the file (the second from the cache); the first saves; the second's save is refused (the
    file changed on disk since it was loaded), as without the cache."""
    a = wb.load(copy07)
    b = wb.load(copy07)
    a.notes = "一人目の変更"
    wb.save(a)
    b.notes = "二人目の変更"
    with pytest.raises(wb.InputError):
        wb.save(b)
    assert wb.load(copy07).notes == "一人目の変更"


def test_saving_a_copy_does_not_change_the_kept_document(copy07) -> None:
    """The comments' document is shared by the copies; a save merges into a copy of it."""
    a = wb.load(copy07)
    text_before = yamlio.to_yaml(wb.load(copy07))
    a.notes = "変更"
    assert "変更" in yamlio.to_yaml(a)
    assert yamlio.to_yaml(wb.load(copy07)) == text_before


def test_the_cache_is_bounded(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(yamlio, "LOAD_CACHE_SIZE", 2)
    yamlio.clear_load_cache()
    files = []
    for k in range(3):
        f = tmp_path / f"{k}.yaml"
        shutil.copyfile(SAMPLE, f)
        files.append(f)
        wb.load(f)
    assert len(yamlio._LOADED) == 2
    assert os.path.realpath(files[0]) not in yamlio._LOADED


# --- the checks of an unchanged prefecture -------------------------------------------------------------------


def test_an_unchanged_prefecture_is_not_checked_again_a_changed_one_is(copy07, monkeypatch) -> None:
    pref = wb.load(copy07)
    validations: list[int] = []
    real = wb.Prefecture.model_validate

    def counting(*args, **kwargs):
        validations.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(checks.Prefecture, "model_validate", counting)
    wb.classify(pref)
    wb.validate(pref)
    assert validations == []
    removed = pref.platforms.pop(1)  # services still point at it: the checks run and refuse it
    with pytest.raises(wb.InputError):
        wb.classify(pref)
    assert validations
    pref.platforms.insert(1, removed)
    wb.classify(pref)


def test_every_sample_read_passes_the_full_checks() -> None:
    """What lets a freshly read file skip the guard: reading it ran the same checks (fields, then across the
    file), so the full checks on its model find nothing."""
    for path in sorted((ROOT / "data" / "prefectures").glob("*.yaml")):
        pref = wb.load(path)
        pref.__dict__.pop("_wb_checked", None)
        assert checks.problems(pref) == [], path.name


# --- synthetic files ---------------------------------------------------------------------------------------


def test_a_synthetic_file_is_made_once_and_remade_when_changed_by_hand(tmp_path, monkeypatch) -> None:
    from workbench import samples, synth

    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path))
    monkeypatch.setattr(samples, "_SYNTH_CHECKED", {})
    made: list[str] = []
    real = synth.synth_yaml

    def counting(code, seed=0):
        made.append(code)
        return real(code, seed)

    monkeypatch.setattr(synth, "synth_yaml", counting)
    path = wb.sample_path("13")
    assert made == ["13"] and path.read_text(encoding="utf-8") == real("13")
    wb.sample_path("13")
    samples._SYNTH_CHECKED.clear()  # another process: the check line is read, the file is not made again
    wb.sample_path("13")
    assert made == ["13"]
    path.write_text(path.read_text(encoding="utf-8").replace("【合成】", "【手で変更】", 1), encoding="utf-8")
    wb.sample_path("13")
    assert made == ["13", "13"] and path.read_text(encoding="utf-8") == real("13")
    path.write_text("# 古い形式（照合行なし）\n" + real("13").split("\n", 3)[3], encoding="utf-8")
    samples._SYNTH_CHECKED.clear()
    wb.sample_path("13")
    assert made == ["13", "13", "13"] and path.read_text(encoding="utf-8") == real("13")


def test_the_check_line_names_the_generator_and_the_body() -> None:
    from workbench.synth import CHECK_PREFIX, is_current, synth_yaml

    text = synth_yaml("13")
    assert CHECK_PREFIX in text and is_current(text, "13")
    assert not is_current(text, "14")  # another prefecture's data
    assert not is_current(text + "extra: 1\n", "13")


# --- the cost audit's players and 2^n costs --------------------------------------------------------------------


def test_players_and_costs_are_built_once_per_model_and_a_vector_is_the_callers_own() -> None:
    from workbench.cost.model import build_model
    from workbench.cost.rules import players_of

    m = build_model(_costed())
    assert players_of(m) is players_of(m)
    assert players_of(m, "users") is not players_of(m)
    g = players_of(m).game
    if g.n <= 20:
        v = g.vector()
        v[1] = -1.0
        assert g.vector()[1] != -1.0
        assert not g.shared_vector().flags.writeable


def _costed():
    from conftest import COSTS_YAML

    pref = wb.load(SAMPLE)
    if pref.costs is not None:
        return pref
    return wb.loads(SAMPLE.read_text(encoding="utf-8").rstrip("\n") + "\n" + COSTS_YAML)


def test_subset_sums_and_popcounts_as_before() -> None:
    from workbench.cost.coalitions import popcounts, subset_sums

    x = np.array([1.5, 10.0, 100.25, -3.0])
    want = np.array([sum(x[i] for i in range(4) if m >> i & 1) for m in range(16)])
    assert np.array_equal(subset_sums(x), want)
    assert popcounts(4).tolist() == [bin(m).count("1") for m in range(16)]
    assert subset_sums([]).tolist() == [0.0] and popcounts(0).tolist() == [0]


# --- HiGHS without scipy.optimize ---------------------------------------------------------------------------


def test_the_probe_answers_are_linprogs() -> None:
    from workbench.cost import _highs

    got = _highs._probe("linprog")
    assert len(got) == len(_highs.PROBE_ANSWERS)
    for a, b in zip(got, _highs.PROBE_ANSWERS, strict=True):
        assert np.allclose(a, b, atol=1e-7)


def test_the_binding_is_loaded_without_scipy_optimize_and_shared_with_it() -> None:
    code = (
        "import sys\n"
        "from workbench.cost import _highs\n"
        "core = _highs._core()\n"
        "assert core is not None and 'scipy.optimize' not in sys.modules, sorted(sys.modules)\n"
        "from scipy.optimize._highspy import _core\n"
        "assert _core is core\n"
        "from scipy.optimize import linprog\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "ok"
