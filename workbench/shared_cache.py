"""Results shared by the kernels of one dashboard server (issue 28, point 3): a small on-disk cache.

Every viewer of a dashboard gets a kernel of their own, and 20 kernels showing the same prefecture would each
compute the same allocations, maps and tables (seconds of CPU each on a 2-core machine). What a panel computes
from a prefecture *file* -- the key names the file by path, modification time and size
(:meth:`workbench.widgets.Session.key`) -- is written here once and read by the other kernels.

- **where**: ``$WORKBENCH_CACHE/results`` when that variable is set, else ``~/.cache/workbench/results``
  (the same folder as the synthetic prefecture files, :func:`workbench.samples.synth_dir`); created private
  to the user (mode 700): the entries are pickles, read only from there.
- **when**: in a Voila kernel (``VOILA_KERNEL_ID`` set), or wherever ``WORKBENCH_SHARED_CACHE=1``;
  ``WORKBENCH_SHARED_CACHE=0`` turns it off. Notebooks and tests compute as before.
- **what is stale**: an entry's name is a hash of the key (which holds the file's path, modification time
  and size: an edited file is a new key), the namespace and :func:`code_fingerprint` (every file of the
  installed package, by name, size and modification time: another version computes anew). Old entries are
  never read again; entries older than :data:`MAX_AGE_S` are removed when the cache is written.
- **failure is silent**: a cache that cannot be read or written is a cache miss, never an error shown.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import pickle
import tempfile
import time
from pathlib import Path
from typing import Any

ENV = "WORKBENCH_SHARED_CACHE"
MAX_AGE_S = 7 * 24 * 3600  # a week
_log = logging.getLogger("workbench")


def enabled() -> bool:
    """Whether results are shared on disk here (see the module)."""
    value = os.environ.get(ENV)
    if value is not None and value.strip() != "":
        return value.strip().lower() not in ("0", "false", "no", "off")
    return "VOILA_KERNEL_ID" in os.environ


def cache_dir() -> Path:
    """``$WORKBENCH_CACHE/results``, else ``~/.cache/workbench/results``."""
    base = os.environ.get("WORKBENCH_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "workbench")
    return Path(base) / "results"


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of every file of the installed ``workbench`` package (relative name, size, modification time):
    results computed by other code are not reused."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        st = path.stat()
        h.update(f"{path.relative_to(root)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def from_file(key: Any) -> bool:
    """Whether ``key`` names a prefecture file's content (a ``("file", …)`` tuple anywhere in it): only such
    keys mean the same thing in another kernel."""
    if isinstance(key, tuple):
        if len(key) == 2 and key[0] == "file":
            return True
        return any(from_file(k) for k in key)
    return False


def entry(namespace: str, key: Any) -> Path:
    """The file of an entry."""
    digest = hashlib.sha256(f"{code_fingerprint()}\0{namespace}\0{key!r}".encode()).hexdigest()
    return cache_dir() / f"{digest[:40]}.pickle"


def load(namespace: str, key: Any) -> Any:
    """The value stored for ``key``, else the sentinel :data:`MISS` (also when the cache is off or unreadable)."""
    if not enabled() or not from_file(key):
        return MISS
    path = entry(namespace, key)
    try:
        with open(path, "rb") as f:
            return pickle.load(f)
    except FileNotFoundError:
        return MISS
    except Exception as err:  # a damaged or foreign entry: a miss
        _log.warning("共有キャッシュを読めませんでした（%s）: %s", path.name, err)
        return MISS


def store(namespace: str, key: Any, value: Any) -> bool:
    """Store ``value`` for ``key`` (written whole or not at all); False when the cache is off or the write
    failed."""
    if not enabled() or not from_file(key):
        return False
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, entry(namespace, key))
        except BaseException:
            with _suppress():
                os.unlink(tmp)
            raise
    except Exception as err:
        _log.warning("共有キャッシュに書けませんでした: %s", err)
        return False
    _prune(folder)
    return True


def _prune(folder: Path) -> None:
    """Remove entries older than :data:`MAX_AGE_S` (at most once an hour per process)."""
    global _PRUNED
    now = time.time()
    if now - _PRUNED < 3600:
        return
    _PRUNED = now
    for path in folder.glob("*.pickle"):
        with _suppress():
            if now - path.stat().st_mtime > MAX_AGE_S:
                path.unlink()


_PRUNED = 0.0


class _Miss:
    def __repr__(self) -> str:
        return "MISS"


MISS: Any = _Miss()


def _suppress():
    import contextlib

    return contextlib.suppress(OSError)
