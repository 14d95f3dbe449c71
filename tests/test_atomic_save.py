"""Nothing lost (issue 7, item 4): a save killed midway leaves the old file whole; autosave and restore.

The kill tests run the save in a child process and SIGKILL it at chosen points:

- *during the data write*: ``os.fsync`` of the temporary file is made to hang (the bytes are written but not
  yet renamed); the parent kills the child there;
- *between backup and rename*: ``os.replace`` onto the prefecture file itself hangs, after ``FILE.bak`` has
  been written;
- *at random moments*: a child saves two versions in a loop and is killed after a random delay, several
  times; the file is always exactly one of the versions, never a mixture or a truncation.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import workbench as wb
from workbench.autosave import autosave, autosave_folder, list_autosaves, restore_autosave

SAMPLE = Path(__file__).parent.parent / "data" / "prefectures" / "07_fukushima.yaml"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")

CHILD = """\
import os, sys, time
from pathlib import Path
import workbench as wb
path, marker, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
pref = wb.load(path)
pref.platforms[0].name = "新しい名前"
pref.facts = [f"大きな書き込み{i}" + "あ" * 2000 for i in range(100)]   # a big write (~600 KB)
real_fsync, real_replace = os.fsync, os.replace

def hang():
    marker.write_text("here")
    time.sleep(60)

def fsync(fd):
    if mode == "fsync":
        hang()
    real_fsync(fd)

def replace(src, dst):
    if mode == "replace" and Path(dst) == path:
        hang()
    real_replace(src, dst)

os.fsync, os.replace = fsync, replace
if mode == "loop":
    names = ["版A", "版B"]
    i = 0
    marker.write_text("looping")
    while True:
        pref.platforms[0].name = names[i % 2] + "あ" * (1000 * (i % 7))
        wb.save(pref)
        i += 1
else:
    wb.save(pref)
"""


def _child(tmp_path: Path, mode: str) -> tuple[subprocess.Popen, Path, Path]:
    path = tmp_path / "fukushima.yaml"
    path.write_bytes(SAMPLE.read_bytes())
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    marker = tmp_path / "marker"
    proc = subprocess.Popen([sys.executable, str(script), str(path), str(marker), mode])
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert proc.poll() is None, "child ended before reaching the save"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return proc, path, marker


def _kill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def test_kill_during_data_write_leaves_old_file_intact(tmp_path: Path) -> None:
    proc, path, _ = _child(tmp_path, "fsync")
    _kill(proc)
    assert path.read_bytes() == SAMPLE.read_bytes()
    assert wb.load(path).platforms[0].name == wb.load(SAMPLE).platforms[0].name
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert all(n.startswith(".fukushima.yaml.") for n in leftovers)  # hidden, never the file itself
    assert not (tmp_path / "fukushima.yaml.bak").exists()


def test_kill_between_backup_and_rename_leaves_old_file_and_backup(tmp_path: Path) -> None:
    proc, path, _ = _child(tmp_path, "replace")
    _kill(proc)
    assert path.read_bytes() == SAMPLE.read_bytes()
    assert (tmp_path / "fukushima.yaml.bak").read_bytes() == SAMPLE.read_bytes()


def test_kill_at_random_moments_never_leaves_a_torn_file(tmp_path: Path) -> None:
    rng = random.Random(7)
    for _ in range(3):
        proc, path, marker = _child(tmp_path, "loop")
        time.sleep(rng.uniform(0.05, 0.4))
        _kill(proc)
        marker.unlink()
        data = path.read_bytes()
        pref = wb.load(path)  # always whole and valid
        assert pref.platforms[0].name.startswith(("版A", "版B", "福島県"))
        assert data.endswith(b"\n")


# --- autosave --------------------------------------------------------------------------------------


def test_autosave_keeps_the_newest_copies_and_never_touches_the_file(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(SAMPLE.read_bytes())
    pref = wb.load(path)
    written = []
    for i in range(23):
        pref.platforms[0].name = f"版{i}"
        written.append(autosave(pref, keep=20))
    copies = list_autosaves(path)
    assert copies == written[3:]
    assert all(p.parent == autosave_folder(path) for p in copies)
    assert wb.load(copies[-1]).platforms[0].name == "版22"
    assert "# 日本語ラベルでも書ける" in copies[-1].read_text(encoding="utf-8")  # comments kept
    assert path.read_bytes() == SAMPLE.read_bytes()
    assert not [p for p in autosave_folder(path).iterdir() if p.name.endswith(".tmp")]


def test_restore_autosave_is_atomic_and_keeps_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(SAMPLE.read_bytes())
    pref = wb.load(path)
    pref.platforms[0].name = "自動保存した版"
    autosave(pref)
    pref.platforms[0].name = "もっと新しい版"
    autosave(pref)
    restored = restore_autosave(path, which=0)
    assert restored.platforms[0].name == "自動保存した版"
    assert (tmp_path / "f.yaml.bak").read_bytes() == SAMPLE.read_bytes()
    assert restore_autosave(path).platforms[0].name == "もっと新しい版"


def test_restore_refuses_a_damaged_copy_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(SAMPLE.read_bytes())
    copy = autosave(wb.load(path))
    copy.write_text("prefecture: [\n", encoding="utf-8")
    with pytest.raises(wb.InputError) as info:
        restore_autosave(path)
    assert info.value.file == str(copy) and info.value.line
    assert path.read_bytes() == SAMPLE.read_bytes()
    assert not (tmp_path / "f.yaml.bak").exists()
    with pytest.raises(wb.InputError):
        restore_autosave(path, which=5)


def test_autosave_of_a_prefecture_built_in_memory_needs_a_folder(tmp_path: Path) -> None:
    pref = wb.loads(textwrap.dedent(SAMPLE.read_text(encoding="utf-8")))
    with pytest.raises(wb.InputError):
        autosave(pref)
    out = autosave(pref, tmp_path / "auto")
    assert wb.load(out).code == "07"
    with pytest.raises(wb.InputError):
        restore_autosave(tmp_path / "nothing.yaml")
