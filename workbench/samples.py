"""Built-in sample prefecture files, and synthetic ones for every other prefecture.

Notebooks and dashboards pick a prefecture by code or name (the ``WORKBENCH_PREFECTURE`` environment
variable, or ``?pref=07`` in a dashboard's URL); this module turns that into a file to load.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs

from . import reference

DEFAULT_PREFECTURE = "07"  # 福島県: the built-in default sample
ENV_VAR = "WORKBENCH_PREFECTURE"


def samples_dir() -> Path:
    return reference.data_dir() / "prefectures"


def sample_files() -> dict[str, Path]:
    """Prefecture code → sample file shipped in data/prefectures/ (NN_name.yaml)."""
    return {p.name[:2]: p for p in sorted(samples_dir().glob("[0-4][0-9]_*.yaml"))}


def has_sample(pref: str | int) -> bool:
    return reference.resolve_prefecture(str(pref))[0] in sample_files()


def sample_code(pref: str | int) -> str:
    """The JIS code of a prefecture given by code or name; an unknown one is an :class:`~workbench.InputError`
    that names the bundled samples and says every other prefecture gets a synthetic file.

    >>> import workbench as wb
    >>> try:
    ...     wb.load_sample("99")
    ... except wb.InputError as err:
    ...     print(str(err)[:60])
    <input>: pref（都道府県）: 都道府県が分かりません。同梱のサンプルは 07 福島県、09 栃木県、10 群馬県、24 三重
    """
    from .errors import InputError

    try:
        return reference.resolve_prefecture(str(pref))[0]
    except (KeyError, ValueError):
        samples = "、".join(f"{c} {reference.resolve_prefecture(c)[1]}" for c in sample_files())
        raise InputError.single(
            f"都道府県が分かりません。同梱のサンプルは {samples} です。ほかの都道府県（コード 01〜47 か県名）は"
            "合成データ（市区町村と人口は実データ、基盤は架空）を作って読みます",
            field="pref",
            value=pref,
            label="都道府県",
        ) from None


def synth_dir() -> Path:
    """Where synthetic files are written: ``$WORKBENCH_CACHE/synthetic`` when the environment variable
    ``WORKBENCH_CACHE`` is set, else ``~/.cache/workbench/synthetic``. Each file is written once, the first time
    a prefecture without a bundled sample is asked for (:func:`sample_path`), and rewritten only when the
    generator's output changes; delete the folder to clear it.

    >>> import workbench as wb
    >>> wb.synth_dir().name
    'synthetic'
    """
    base = os.environ.get("WORKBENCH_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "workbench")
    return Path(base) / "synthetic"


def sample_path(pref: str | int = DEFAULT_PREFECTURE) -> Path:
    """The sample file of a prefecture; for one without a sample, a deterministic synthetic file
    (generated once into :func:`synth_dir`).

    Parameters
    ----------
    pref : str or int
        A prefecture's JIS code (``"07"``, 7) or name (``"福島県"``, ``"福島"``).

    Returns
    -------
    pathlib.Path
        The bundled sample in the package's data, or the synthetic file in :func:`synth_dir`.

    Raises
    ------
    InputError
        For a code or name that is no prefecture (naming the bundled samples).

    Examples
    --------
    >>> import workbench as wb
    >>> wb.sample_path("福島県").name
    '07_fukushima.yaml'
    >>> wb.sample_path("13").name  # no bundled sample: a synthetic file, made once
    '13_synthetic.yaml'
    """
    code = sample_code(pref)
    files = sample_files()
    if code in files:
        return files[code]
    path = synth_dir() / f"{code}_synthetic.yaml"
    _ensure_synthetic(path, code)
    return path


#: synthetic files checked (or written) by this process: path → (modification time, size) then
_SYNTH_CHECKED: dict[Path, tuple[int, int]] = {}


def _stat_key(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _ensure_synthetic(path: Path, code: str) -> None:
    """Write the synthetic file of ``code`` unless the one there is what the generator makes today: checked by
    its check line (:func:`workbench.synth.is_current`, ~1 ms) instead of making the text again (~25 ms), and
    not at all when this process already checked it and its modification time and size are unchanged."""
    from .files import atomic_write
    from .synth import is_current, synth_yaml

    key = _stat_key(path)
    if key is not None and _SYNTH_CHECKED.get(path) == key:
        return
    try:
        current = key is not None and is_current(path.read_text(encoding="utf-8"), code)
    except (OSError, UnicodeDecodeError):
        current = False
    if not current:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, synth_yaml(code).encode("utf-8"), backup=False)
    key = _stat_key(path)
    if key is not None:
        _SYNTH_CHECKED[path] = key


_LOADED: dict[Path, tuple[tuple[int, int], object]] = {}


def load_sample(pref: str | int = DEFAULT_PREFECTURE):  # -> Prefecture
    """Load the sample (or synthetic) file of a prefecture.

    Parsed files are kept (keyed by path, modification time and size) and each call returns a deep copy, so a
    dashboard switching between prefectures does not parse a file again (~30 ms) and no caller sees another's
    edits; a file changed on disk is read again. The copies share the loaded YAML document (comments and
    order, read when saving), which nothing changes in place: copying it took ~10 ms of every switch.

    Parameters
    ----------
    pref : str or int
        A prefecture's JIS code or name; default ``"07"`` (福島県).

    Returns
    -------
    Prefecture
        A copy of its own (changing it changes no other caller's).

    Raises
    ------
    InputError
        For a code or name that is no prefecture: the message names the bundled samples (07 福島県, 09 栃木県,
        10 群馬県, 24 三重県).

    Examples
    --------
    >>> import workbench as wb
    >>> wb.load_sample("群馬県").code
    '10'
    """
    return _copy_sharing_document(_parsed(sample_path(pref))[0])


def _parsed(path: Path):  # -> tuple[Prefecture, bool]
    """The parsed file from the cache (read again when its modification time or size changed); the bool
    says whether it was parsed now."""
    from .inventory import load

    st = path.stat()
    key = (st.st_mtime_ns, st.st_size)
    hit = _LOADED.get(path)
    if hit is not None and hit[0] == key:
        return hit[1], False
    _LOADED[path] = (key, load(path))
    return _LOADED[path][1], True


def _copy_sharing_document(pref):  # -> Prefecture
    """A deep copy of ``pref`` whose loaded YAML document is the original's (never changed in place:
    :func:`workbench.inventory.yamlio.to_yaml` merges into a copy of it)."""
    import copy

    doc = pref._wb_doc  # parsed once here when the file was read the fast way, then shared by every copy
    return copy.deepcopy(pref, {id(doc): doc} if doc is not None else {})


def warm_samples() -> list[str]:
    """Parse every built-in sample file into the cache of :func:`load_sample` (about 30–50 ms each), so that
    the first switch to another sample prefecture does not parse its file. Dashboards call it in a preheated
    Voila kernel, before any viewer has arrived. Returns the codes parsed."""
    return [code for code, path in sample_files().items() if _parsed(path)[1]]


def query_pref(query: str | None) -> str | None:
    """The raw ``pref`` parameter of a URL query string (None when there is none)."""
    if not query:
        return None
    values = parse_qs(query.lstrip("?")).get("pref")
    return values[0] if values else None


def pref_from_query(query: str | None) -> str | None:
    """The ``pref`` parameter of a URL query string (``pref=07`` or ``pref=福島県``), validated: None when
    absent or when it names no prefecture (``pref=99``, ``pref=፩``, 5,000 digits)."""
    raw = query_pref(query)
    if raw is None:
        return None
    try:
        return reference.resolve_prefecture(raw)[0]
    except (KeyError, ValueError):
        return None


def unknown_pref(query: str | None = None) -> str | None:
    """The URL's ``pref`` value when it names no prefecture (to tell the viewer), else None."""
    q = query if query is not None else os.environ.get("QUERY_STRING")
    raw = query_pref(q)
    if raw is None or pref_from_query(q) is not None:
        return None
    return raw


def resolve_from_env_or_query(default: str | None = None, query: str | None = None) -> str:
    """The prefecture code to show: the URL's ``?pref=`` (Voila passes it as QUERY_STRING), else
    ``WORKBENCH_PREFECTURE``, else ``default``, else the built-in sample (福島県)."""
    q = query if query is not None else os.environ.get("QUERY_STRING")
    for candidate in (pref_from_query(q), os.environ.get(ENV_VAR), default):
        if candidate:
            try:
                return reference.resolve_prefecture(str(candidate))[0]
            except (KeyError, ValueError):
                continue
    return DEFAULT_PREFECTURE
