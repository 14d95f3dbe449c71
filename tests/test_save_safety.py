"""Nothing lost (issue 12, points 1-4): concurrent saves with real processes, symlinks, read-only files, a full
disk, and the temporary files a kill leaves.

The concurrency tests fork real processes (``multiprocessing`` with the fork start method): each worker loads
the prefecture file, edits it and saves it, as two people in two notebooks or a notebook and an
``import-sheet`` would. ``save()`` holds a lock across its stale check and the rename, so every save lands on
the version it read or is refused with :class:`StaleFileError`; the tests count the edits that survive.
"""

from __future__ import annotations

import errno
import multiprocessing as mp
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

import workbench as wb
from workbench.errors import ReadOnlyFileError, WriteError
from workbench.inventory import StaleFileError, yamlio

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="fork, flock, SIGKILL, RLIMIT_FSIZE")

ROOT = Path(__file__).resolve().parent.parent
SMALL = """\
# 小さな都道府県ファイル（保存のテスト用）
prefecture: 福島県
facts: []
platforms:
  - id: pref-platform
    name: 県の基盤
    operated_by: prefecture
    components: [non_personal]
"""
FORK = mp.get_context("fork")


def _small(tmp_path: Path, name: str = "pref.yaml") -> Path:
    path = tmp_path / name
    path.write_text(SMALL, encoding="utf-8")
    return path


def _temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".tmp", ".lock")))


# --- 1. concurrent saves ----------------------------------------------------------------------------


def _appender(path: str, tag: str, n: int, out: mp.Queue) -> None:
    """Load, append one fact, save; on a refusal (someone saved meanwhile) load again and retry."""
    done = refused = 0
    while done < n:
        pref = wb.load(path)
        pref.facts = [*pref.facts, f"{tag}-{done}"]
        try:
            wb.save(pref)
        except StaleFileError:
            refused += 1
            continue
        done += 1
    out.put((tag, done, refused))


def test_two_processes_saving_in_a_loop_lose_no_edit(tmp_path: Path) -> None:
    """The issue's first case: two processes, load → edit → save, retrying when refused; before the lock,
    41 of 200 successful saves were lost."""
    path = _small(tmp_path)
    out = FORK.Queue()
    workers = [FORK.Process(target=_appender, args=(str(path), tag, 100, out)) for tag in ("A", "B")]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=240)
        assert w.exitcode == 0, "a worker failed"
    results = {tag: (done, refused) for tag, done, refused in (out.get(timeout=5) for _ in workers)}
    facts = wb.load(path).facts
    expected = [f"{t}-{i}" for t in ("A", "B") for i in range(100)]
    assert sorted(facts) == sorted(expected), f"lost: {sorted(set(expected) - set(facts))[:10]}"
    assert len(facts) == 200  # every successful save is in the file, none twice
    assert results["A"][0] == results["B"][0] == 100
    assert _temps(tmp_path) == []


def _racer(path: str, tag: str, barrier, trials: int, out: mp.Queue) -> None:
    for t in range(trials):
        barrier.wait()  # the parent has reset the file
        pref = wb.load(path)
        pref.facts = [f"{tag}-{t}"]
        barrier.wait()  # both have loaded the same version: save at the same moment
        try:
            wb.save(pref)
            out.put((t, tag, "saved"))
        except StaleFileError:
            out.put((t, tag, "refused"))
        barrier.wait()


def test_two_saves_started_together_one_lands_one_is_refused(tmp_path: Path) -> None:
    """The issue's second case: both saves started together returned normally in 23 of 40 trials while one edit
    vanished. Now, in every trial, exactly one lands and the other is refused."""
    path = _small(tmp_path)
    trials = 40
    barrier = FORK.Barrier(3)
    out = FORK.Queue()
    workers = [FORK.Process(target=_racer, args=(str(path), tag, barrier, trials, out)) for tag in ("A", "B")]
    for w in workers:
        w.start()
    try:
        for t in range(trials):
            path.write_text(SMALL, encoding="utf-8")
            barrier.wait(timeout=60)
            barrier.wait(timeout=60)
            barrier.wait(timeout=60)
            got = sorted((out.get(timeout=10), out.get(timeout=10)), key=lambda r: r[1])
            assert {r[0] for r in got} == {t}
            outcomes = {tag: what for _, tag, what in got}
            assert sorted(outcomes.values()) == ["refused", "saved"], f"trial {t}: {outcomes}"
            winner = next(tag for tag, what in outcomes.items() if what == "saved")
            assert wb.load(path).facts == [f"{winner}-{t}"]
    finally:
        for w in workers:
            w.join(timeout=30)
            if w.is_alive():
                w.kill()
    assert _temps(tmp_path) == []


def test_the_lock_waits_for_another_process_and_gives_up_with_a_message(tmp_path: Path) -> None:
    path = _small(tmp_path)
    held, release = FORK.Event(), FORK.Event()

    def hold() -> None:
        with yamlio.file_lock(path):
            held.set()
            release.wait(30)

    p = FORK.Process(target=hold)
    p.start()
    try:
        assert held.wait(30)
        pref = wb.load(path)
        pref.facts = ["x"]
        t0 = time.monotonic()
        with pytest.raises(WriteError) as info:
            with yamlio.file_lock(path, timeout=0.5):
                pass
        assert time.monotonic() - t0 < 10
        assert "保存中" in str(info.value) and len(str(info.value).splitlines()) == 1
        release.set()
        p.join(10)
        wb.save(pref)  # the lock is free again
        assert wb.load(path).facts == ["x"]
    finally:
        release.set()
        p.join(5)
        if p.is_alive():
            p.kill()


# --- 2. symlinks --------------------------------------------------------------------------------------


def test_saving_through_a_symlink_updates_the_target(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    real = _small(tmp_path / "data", "real.yaml")
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    pref = wb.load(link)
    pref.facts = ["リンク経由で保存"]
    assert wb.save(pref) == link
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert wb.load(real).facts == ["リンク経由で保存"]
    assert (
        real.with_name("real.yaml.bak").read_text(encoding="utf-8") == SMALL
    )  # the backup beside the target
    assert not (tmp_path / "link.yaml.bak").exists()
    # a second edit through the link is checked against the target (not refused as stale)
    pref.facts = ["2回目"]
    wb.save(pref)
    assert wb.load(real).facts == ["2回目"]


# --- 3. read-only files -------------------------------------------------------------------------------


def test_a_read_only_file_is_refused_unless_the_caller_says_so(tmp_path: Path) -> None:
    path = _small(tmp_path)
    path.chmod(0o444)
    pref = wb.load(path)
    pref.facts = ["上書き"]
    with pytest.raises(ReadOnlyFileError) as info:
        wb.save(pref)
    message = str(info.value)
    assert "読み取り専用" in message and str(path) in message and len(message.splitlines()) == 1
    assert path.read_text(encoding="utf-8") == SMALL
    assert _temps(tmp_path) == [] and not path.with_name("pref.yaml.bak").exists()
    wb.save(pref, overwrite_readonly=True)
    assert wb.load(path).facts == ["上書き"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o444  # still read-only, as the user left it


def test_import_sheet_refuses_a_read_only_file_and_obeys_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from test_bad_inputs import filled_workbook

    from workbench.cli import main

    path = _small(tmp_path)
    path.chmod(0o444)
    book = tmp_path / "filled.xlsx"
    filled_workbook().save(book)
    assert main(["import-sheet", str(book), "--into", str(path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("エラー: ") and "--overwrite-readonly" in err[0]
    assert path.read_text(encoding="utf-8") == SMALL
    assert main(["import-sheet", str(book), "--into", str(path), "--overwrite-readonly"]) == 0
    assert wb.load(path).platform("aizu") is not None


# --- 4. a full disk and the temporary files a kill leaves ------------------------------------------------


@pytest.mark.parametrize("failing_call", [1, 2], ids=["data", "backup"])
def test_disk_full_leaves_the_file_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing_call: int
) -> None:
    """ENOSPC on the new data (1st fsync) or on the backup copy (2nd fsync): before the fix the backup's 0-byte
    temporary file stayed behind."""
    path = _small(tmp_path)
    real = os.fsync
    calls = []

    def fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == failing_call:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    pref = wb.load(path)
    pref.facts = ["新しい事実"]
    with pytest.raises(WriteError) as info:
        wb.save(pref)
    message = str(info.value)
    assert message.splitlines() == [message] and "ディスクの空き容量が足りません" in message
    assert str(path) in message
    assert path.read_text(encoding="utf-8") == SMALL
    assert _temps(tmp_path) == []


def _run_limited(argv: list[str], limit: int, cwd: Path) -> subprocess.CompletedProcess:
    """The command line in a child whose files may not grow beyond ``limit`` bytes (RLIMIT_FSIZE): the kernel
    refuses the write with EFBIG, a real write failure (SIGXFSZ ignored, as a shell would report it)."""

    def limit_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run(
        [str(Path(sys.executable).with_name("workbench")), *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=limit_files,
        timeout=120,
    )


def test_a_write_refused_by_the_kernel_is_one_line_and_changes_nothing(tmp_path: Path) -> None:
    from test_bad_inputs import filled_workbook

    path = _small(tmp_path)
    book = tmp_path / "filled.xlsx"
    filled_workbook().save(book)
    res = _run_limited(["import-sheet", str(book), "--into", str(path)], len(SMALL) + 40, tmp_path)
    assert res.returncode == 1, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("エラー: "), res.stderr
    assert "Traceback" not in res.stderr and "保存できませんでした" in lines[0] and str(path) in lines[0]
    assert path.read_text(encoding="utf-8") == SMALL
    assert _temps(tmp_path) == []


def _hang_in_fsync(path: str, marker: str) -> None:
    def fsync(fd: int) -> None:
        Path(marker).touch()
        time.sleep(60)

    os.fsync = fsync
    pref = wb.load(path)
    pref.facts = ["途中で止められる保存"]
    wb.save(pref)


def test_temporary_files_of_killed_saves_are_cleaned_up(tmp_path: Path) -> None:
    """30 saves killed in the middle of the write (the issue found four temporary files after 30 kills): at most
    the last one's is left, and the next save removes it."""
    path = _small(tmp_path)
    marker = tmp_path / "marker"
    for _ in range(30):
        marker.unlink(missing_ok=True)
        p = FORK.Process(target=_hang_in_fsync, args=(str(path), str(marker)))
        p.start()
        deadline = time.monotonic() + 30
        while not marker.exists():
            assert p.is_alive() and time.monotonic() < deadline
            time.sleep(0.005)
        os.kill(p.pid, signal.SIGKILL)
        p.join(10)
    assert path.read_text(encoding="utf-8") == SMALL
    assert len([n for n in _temps(tmp_path) if n.endswith(".tmp")]) <= 1
    pref = wb.load(path)
    pref.facts = ["最後の保存"]
    wb.save(pref)
    assert _temps(tmp_path) == []
    assert wb.load(path).facts == ["最後の保存"]


def test_the_editor_shows_a_failed_save(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The notebook editor kept showing 保存しました when the disk was full."""
    from workbench import widgets as W

    path = tmp_path / "07.yaml"
    shutil.copyfile(ROOT / "data" / "prefectures" / "07_fukushima.yaml", path)
    session = W.Session.from_file(path)
    editor = W.PlatformEditor(session)
    editor.fields["name"].control.value = "名前を変更"
    assert editor.apply()
    assert editor.save() == path and editor.status.kind == "ok"
    before = path.read_bytes()
    editor.fields["name"].control.value = "もう一度変更"
    assert editor.apply()

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    assert editor.save() is None
    assert editor.status.kind == "error"
    assert "保存しませんでした" in editor.status.text and "空き容量" in editor.status.text
    assert "保存しました" not in editor.status.text
    assert editor.dirty and path.read_bytes() == before
    assert _temps(tmp_path) == []


# --- 4. every editor shows a failed save (the buttons are workbench.widgets.saving.SaveControls) -----------


def _edit(kind: str, editor, n: int) -> None:
    """One real edit through the editor's form and its 適用 button."""
    if kind == "platform":
        editor.fields["name"].control.value = f"名前を変更 {n}"
    elif kind == "plan":
        editor.duration.value = int(editor.duration.value) + 1
    else:
        editor.statement.value = f"共同利用で住民サービスを高める（{n}）"
    editor.apply_button.click()


@pytest.mark.parametrize(
    ("kind", "failure"),
    [  # every failure on one editor, every editor with one failure (the controls are the same object)
        ("platform", "disk_full"),
        ("platform", "read_only"),
        ("platform", "stale"),
        ("platform", "unexpected"),
        ("plan", "read_only"),
        ("plan", "unexpected"),
        ("vision", "disk_full"),
        ("vision", "stale"),
    ],
)
def test_every_editor_shows_a_failed_save_never_hozon_shimashita(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, failure: str
) -> None:
    """Point 4 in SaveControls, which now saves for every editor: after a save that worked (保存しました on
    screen), an edit whose save is refused (disk full, read-only file, file changed by someone else, or an
    error nobody planned for) shows 保存しませんでした with the reason, keeps the edit unsaved, leaves the file
    and no temporary file; the earlier 保存しました never stays on screen."""
    from workbench import widgets as W
    from workbench.widgets.plan import PlanEditor
    from workbench.widgets.vision import VisionEditor

    path = tmp_path / "07.yaml"
    shutil.copyfile(ROOT / "data" / "prefectures" / "07_fukushima.yaml", path)
    session = W.Session.from_file(path)
    editor = {"platform": W.PlatformEditor, "plan": PlanEditor, "vision": VisionEditor}[kind](session)
    _edit(kind, editor, 1)
    assert editor.dirty, editor.status.text
    editor.saving.save_button.click()
    assert editor.status.kind == "ok" and "保存しました" in editor.status.text
    _edit(kind, editor, 2)
    assert editor.dirty
    if failure == "disk_full":

        def full(fd: int) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(os, "fsync", full)
        reason = "空き容量"
    elif failure == "read_only":
        path.chmod(0o444)
        reason = "読み取り専用"
    elif failure == "stale":
        with open(path, "a", encoding="utf-8") as fh:
            fh.write("# 別の担当者の追記\n")
        reason = "別の人"
    else:

        def broken(*_a, **_k):
            raise RuntimeError("想定外の失敗")

        monkeypatch.setattr("workbench.inventory.save", broken)
        reason = "想定外の失敗"
    before = path.read_bytes()
    editor.saving.save_button.click()  # as staff do: the button, not the method
    assert editor.status.kind == "error", editor.status.text
    assert editor.status.text.startswith("保存しませんでした") and reason in editor.status.text
    assert "保存しました" not in editor.status.text
    assert editor.dirty
    assert path.read_bytes() == before
    assert [n for n in _temps(tmp_path) if n.endswith(".tmp")] == []
