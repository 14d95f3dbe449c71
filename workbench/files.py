"""File helpers every floor uses (the bottom floor: no module of ours below it but the errors).

* Reading: :func:`read_bytes` (and :func:`existing_file` for readers that open it themselves) reads a file or
  raises :class:`~workbench.errors.InputError` naming it, in
  Japanese (missing, a folder, unreadable).
* Writing: :func:`atomic_write` (temporary file, fsync, rename; ``.bak``; symlinks followed; read-only files
  refused unless allowed; one-line Japanese :class:`~workbench.errors.WriteError`) under :func:`file_lock`, a
  lock across processes and threads.
* Cells: a spreadsheet runs a cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) as
  a formula (CSV injection, OWASP). :func:`safe_cell` prefixes such text with a single quote; :func:`unsafe_cell`
  undoes it on import so a round trip is lossless.

One copy of each: the YAML module (its saves), the tables, the hearing sheets and every export use these. The
analyses never import this module (they do no I/O); where a problem sits in a file is :mod:`workbench.errors`.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import glob
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import InputError, Problem, ReadOnlyFileError, WriteError
from .text import office_text

# --- reading ----------------------------------------------------------------------------------------------


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a file; a missing file, a folder or an unreadable file is an
    :class:`~workbench.errors.InputError` naming the file.

    >>> read_bytes("/nonexistent/福島県.yaml")
    Traceback (most recent call last):
    ...
    workbench.errors.InputError: /nonexistent/福島県.yaml: ファイルがありません
    """
    file = str(path)
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError.single("ファイルがありません", file=file) from None
    except IsADirectoryError:
        raise InputError.single("フォルダではなくファイルを指定してください", file=file) from None
    except OSError as err:
        raise InputError.single(f"ファイルを読めません: {err.strerror}", file=file) from None


def existing_file(path: str | os.PathLike[str]) -> Path:
    """``path`` when it is a file (for readers that open it themselves: workbooks); a missing file or a folder
    is an :class:`~workbench.errors.InputError` naming it, as :func:`read_bytes` says it."""
    p = Path(path)
    if not p.exists():
        raise InputError.single("ファイルがありません", file=str(path))
    if p.is_dir():
        raise InputError.single("フォルダではなくファイルを指定してください", file=str(path))
    return p


# --- cells ------------------------------------------------------------------------------------------------

#: first characters that make a spreadsheet treat a cell as a formula (plus tab and CR, OWASP)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` made safe for a spreadsheet cell: text starting with = + - @ (or tab/CR) gets a leading
    single quote so it is shown, never run; characters no Office file can hold (U+FFFF, control characters,
    lone surrogates: :func:`workbench.text.office_text`) become U+FFFD. Numbers, booleans, dates and None
    pass unchanged.

    >>> safe_cell("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> safe_cell(-5)
    -5
    """
    if isinstance(value, str):
        value = office_text(value)
        if value.startswith(FORMULA_START):
            return "'" + value
    return value


def unsafe_cell(value: Any) -> Any:
    """Undo :func:`safe_cell` (for reading back what the workbench wrote)."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


# --- writing: atomically, under a lock across processes, symlinks, read-only files, full disks ----------------

#: seconds a save waits for another save of the same file before giving up with a message
LOCK_TIMEOUT = 30.0
_OVERWRITE_READONLY: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "overwrite_readonly", default=False
)
_GUARD = threading.Lock()
_THREAD_LOCKS: dict[str, threading.RLock] = {}
_HELD: dict[str, int] = {}


@contextlib.contextmanager
def allow_readonly(allowed: bool = True) -> Iterator[None]:
    """Within this block, :func:`atomic_write` overwrites read-only files (the command line's
    ``--overwrite-readonly``); outside it they are refused with :class:`~workbench.errors.ReadOnlyFileError`."""
    token = _OVERWRITE_READONLY.set(allowed)
    try:
        yield
    finally:
        _OVERWRITE_READONLY.reset(token)


def real_target(path: str | os.PathLike[str]) -> Path:
    """The file a write to ``path`` must replace: the target of a symbolic link (replacing the link itself would
    leave the real file unchanged and turn the link into a copy), else ``path``."""
    p = Path(path)
    return Path(os.path.realpath(p)) if p.is_symlink() else p


def _lock_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.lock")


def _busy(target: Path) -> WriteError:
    return WriteError(
        [
            Problem(
                f"ほかの人（または別の画面）がこのファイルを保存中のため、{LOCK_TIMEOUT:.0f} 秒待っても保存できませんでした。"
                "少し待ってからもう一度保存してください",
                str(target),
            )
        ]
    )


def _flock(fd: int) -> bool:
    """Try to take an exclusive lock on ``fd`` without waiting (fcntl.flock; msvcrt on Windows)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _acquire(lock: Path, target: Path, deadline: float) -> int:
    """An open descriptor of ``lock`` holding its exclusive lock. The lock file is removed when released; a
    waiter that got the lock of a file removed meanwhile notices (the path names another file or none)
    and tries again, so two holders never coexist."""
    delay = 0.002
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise _write_error(err, target) from None
        if _flock(fd):
            try:
                same = os.stat(lock).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                return fd
        os.close(fd)
        if time.monotonic() > deadline:
            raise _busy(target)
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


@contextlib.contextmanager
def file_lock(path: str | os.PathLike[str], timeout: float | None = None) -> Iterator[Path]:
    """Hold the write lock of ``path`` (its symlink target) across processes and threads; yields the real target.

    The lock is an exclusive ``flock`` on ``.NAME.lock`` beside the file, created for the save and removed
    after it. :func:`workbench.inventory.save` holds it across its stale check and the rename, so two saves of one file never
    interleave: each lands on the version it read or is refused. Re-entrant within a thread. Waits at most
    ``timeout`` seconds (default :data:`LOCK_TIMEOUT`), then raises :class:`~workbench.errors.WriteError`.
    """
    target = real_target(path)
    key = os.path.abspath(target)
    deadline = time.monotonic() + (LOCK_TIMEOUT if timeout is None else timeout)
    with _GUARD:
        rlock = _THREAD_LOCKS.setdefault(key, threading.RLock())
    if not rlock.acquire(timeout=max(deadline - time.monotonic(), 0)):
        raise _busy(target)
    try:
        if _HELD.get(key):
            _HELD[key] += 1
            try:
                yield target
            finally:
                _HELD[key] -= 1
            return
        lock = _lock_path(target)
        fd = _acquire(lock, target, deadline)
        _HELD[key] = 1
        try:
            yield target
        finally:
            _HELD[key] = 0
            with contextlib.suppress(OSError):
                os.unlink(lock)
            os.close(fd)
    finally:
        rlock.release()


def _write_error(err: OSError, target: Path) -> WriteError:
    """A one-line Japanese :class:`WriteError` for an OSError raised while writing ``target``."""
    reasons = {
        errno.ENOSPC: "ディスクの空き容量が足りません",
        errno.EDQUOT: "ディスクの使用量の上限（クォータ）を超えます",
        errno.EFBIG: "ファイルの大きさの上限を超えます",
        errno.EACCES: "書き込む権限がありません",
        errno.EPERM: "書き込む権限がありません",
        errno.EROFS: "読み取り専用のディスクです",
        errno.ENOENT: "保存先のフォルダがありません",
        errno.ENOTDIR: "保存先のフォルダがありません",
        errno.EISDIR: "保存先がフォルダです",
        errno.EIO: "ディスクの読み書きに失敗しました",
    }
    reason = reasons.get(err.errno or 0, err.strerror or type(err).__name__)
    return WriteError(
        [Problem(f"保存できませんでした（{reason}）。元のファイルは変わっていません", str(target))]
    )


def _refuse_readonly(target: Path, allowed: bool) -> None:
    try:
        st = target.stat()
    except FileNotFoundError:
        return
    readonly = not (st.st_mode & 0o222) or not os.access(target, os.W_OK)
    if readonly and not allowed:
        raise ReadOnlyFileError(
            [
                Problem(
                    "読み取り専用のファイルなので上書きしませんでした。上書きしてよい場合は、ファイルの読み取り専用を"
                    "解除するか、上書きを指定してください（コマンドでは --overwrite-readonly）",
                    str(target),
                )
            ]
        )


def _clean_leftovers(target: Path) -> None:
    """Remove temporary files of ``target`` left by writers that were killed (only called under the lock:
    every temporary file of a target is made while its lock is held, so any found then is an orphan)."""
    folder = target.parent if str(target.parent) else Path(".")
    with contextlib.suppress(OSError):
        for p in folder.glob(f".{glob.escape(target.name)}.*.tmp"):
            with contextlib.suppress(OSError):
                p.unlink()


def _file_mode(path: Path) -> int:
    """Permission bits for a rewritten file: its current ones, or 0666 less the umask for a new one."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


def _write_temp(folder: Path, name: str, data: bytes, mode: int, temps: list[str]) -> str:
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    temps.append(tmp)
    with os.fdopen(fd, "wb") as fh:
        os.fchmod(
            fh.fileno(), mode
        )  # mkstemp makes 0600: keep the file's mode, or the usual one for a new file
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return tmp


def atomic_write(
    path: str | os.PathLike[str],
    data: bytes,
    *,
    backup: bool = True,
    overwrite_readonly: bool | None = None,
) -> Path:
    """Write ``data`` to ``path`` atomically: temporary file in the same folder, fsync, rename.

    - With ``backup`` the previous version is kept as ``path.bak`` (also by rename, so it is always whole).
    - A symbolic link is followed: its target is replaced, the link stays a link.
    - A read-only file is refused with :class:`~workbench.errors.ReadOnlyFileError` unless
      ``overwrite_readonly`` (default: inside :func:`allow_readonly` only).
    - The write holds the file's lock (:func:`file_lock`) and first removes temporary files a killed writer
      left behind.
    - Any failure (disk full, no permission, …) raises a one-line :class:`~workbench.errors.WriteError`;
      the file keeps its previous content and no temporary file is left.

    Returns the file written (the link's target for a link).
    """
    return atomic_write_all([(path, data)], backup=backup, overwrite_readonly=overwrite_readonly)[0]


def atomic_write_all(
    items: list[tuple[str | os.PathLike[str], bytes]],
    *,
    backup: bool = False,
    overwrite_readonly: bool | None = None,
) -> list[Path]:
    """Write several files as one step: every file's bytes go to a temporary file beside it first (under each
    file's lock), and only when all of them are written are they renamed into place. A failure before that
    (disk full, no permission, a read-only file) leaves every file as it was and no temporary file behind:
    a command that writes HTML, Markdown and Word never leaves the first two without the third.

    Build the bytes before calling (the usual failure is in building them). Returns the files written.
    """
    allowed = _OVERWRITE_READONLY.get() if overwrite_readonly is None else overwrite_readonly
    with contextlib.ExitStack() as stack:
        locked = {}  # one order for every writer (no two writers wait for each other's second lock)
        for key in sorted({os.path.abspath(real_target(path)) for path, _ in items}):
            locked[key] = stack.enter_context(file_lock(key))
        targets = [locked[os.path.abspath(real_target(path))] for path, _ in items]
        temps: list[str] = []
        target = targets[0] if targets else Path(".")
        try:
            staged = []
            for target, (_, data) in zip(targets, items, strict=True):
                _refuse_readonly(target, allowed)
                _clean_leftovers(target)
                folder = target.parent if str(target.parent) else Path(".")
                mode = _file_mode(target)
                tmp = _write_temp(folder, target.name, data, mode, temps)
                bak = None
                if backup and target.exists():
                    bak = _write_temp(folder, target.name + ".bak", target.read_bytes(), mode, temps)
                staged.append((target, tmp, bak))
            for target, tmp, bak in staged:
                if bak is not None:
                    os.replace(bak, target.with_name(target.name + ".bak"))
                    temps.remove(bak)
                os.replace(tmp, target)
                temps.remove(tmp)
            for folder in {t.parent if str(t.parent) else Path(".") for t in targets}:
                _fsync_folder(folder)
        except OSError as err:
            raise _write_error(err, target) from None
        finally:
            for t in temps:
                with contextlib.suppress(OSError):
                    os.unlink(t)
    return targets


def _fsync_folder(folder: Path) -> None:
    """The folder's entry of a renamed file made durable (where the system allows it)."""
    with contextlib.suppress(OSError):
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
