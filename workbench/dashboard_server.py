"""Bounds for the Voila server of the dashboards: a cap on kernels, kernels freed when no browser has them,
and a stop that always happens (issue 12, points 11-14).

Every page a browser -- or a script -- requests starts a kernel (about 180 MB) that Voila keeps until its
culler sees it idle (15 minutes here). :class:`BoundedKernelManager` is the kernel manager Voila uses
(``VoilaConfiguration.multi_kernel_manager_class`` in etc/voila/voila.json; Voila adds its pool of preheated
kernels on top of it):

- **a cap**: at most :attr:`~BoundedKernelManager.max_kernels` kernels (pooled ones included); a page
  requested beyond it gets HTTP 503 and the 「混み合っています」 page of the wb template
  (share/jupyter/voila/templates/wb/503.html), which retries by itself; pool refills wait for room, and a
  pool whose refill failed (its start came when pages had filled the cap) is refilled once there is room;
- **kernels no browser connected to**: a kernel whose page was delivered but whose browser never opened its
  connection (a plain GET, a crawler, a script in a loop) is shut down after
  :attr:`~BoundedKernelManager.unconnected_timeout` seconds of idleness, and sooner (after
  :attr:`~BoundedKernelManager.evict_after` seconds) when its place is needed at the cap. The timeout is not
  shorter because on a loaded machine a real browser may take minutes to run the page's scripts and connect
  (measured: 60 s cut off viewers of a 20-viewer load);
- **kernels whose browser left**: when the last connection of a kernel closes and none comes back within
  :attr:`~BoundedKernelManager.disconnected_timeout` seconds, the kernel is shut down (closing a tab also
  sends Voila's own shutdown request; the wb template makes that request pass its XSRF check, which it
  failed on every direct link because no page had set the ``_xsrf`` cookie);
- **a stop that happens**: SIGTERM or Ctrl+C stop the server gracefully (Voila shuts its kernels down); a
  watchdog thread, woken by the signal itself (``signal.set_wakeup_fd``, so even when the main thread is
  stuck), kills the kernels and exits after :attr:`~BoundedKernelManager.stop_timeout` seconds if the
  graceful stop has not finished. Voila's own stop awaits every pooled kernel's start, with no time limit;
  a start that never finishes kept the server alive after SIGTERM, its kernels with it;
- **a stall is visible**: when the event loop has not ticked for :attr:`~BoundedKernelManager.stall_warning`
  seconds, the log gets a warning and the stack of every thread (the evidence a wedge needs);
- **a share per client** (issue 24, point 3): one client -- a viewer's address, or behind a reverse proxy
  listed in :attr:`~BoundedKernelManager.trusted_proxies` the address the proxy forwards (and the signed-in
  user it names in :attr:`~BoundedKernelManager.client_header`) -- holds at most
  :attr:`~BoundedKernelManager.max_kernels_per_client` kernels: beyond it, that client's kernels no browser
  holds are freed first, then the page gets HTTP 429 and the 「開いているページが多すぎます」 page. At the cap,
  after the kernels no browser ever connected to, the idle kernels of clients holding more than their share
  (the cap divided among the clients holding kernels) make room for a client under its share, the largest
  holder's longest idle first. Forwarded headers from any other peer are ignored: anyone can write them.

The ``?pref=`` part (unknown values shown as a message with the picker) is in
:mod:`workbench.widgets.dashboards` and :mod:`workbench.samples`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import shutil
import signal
import threading
import time
from typing import Any

from jupyter_server.base.call_context import CallContext
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from tornado.ioloop import IOLoop, PeriodicCallback
from traitlets import Bool, Float, Integer, List, Unicode

BUSY_REASON = "混み合っています"
TOO_MANY_REASON = "開いているページが多すぎます"


class BoundedKernelManager(AsyncMappingKernelManager):
    """The kernel manager of the dashboards' Voila: capped, freeing kernels no browser holds (see the module).

    Configured in etc/voila/voila.json (``"BoundedKernelManager": {...}``); every trait below can be set
    there or on the command line (``--BoundedKernelManager.max_kernels=30``).
    """

    max_kernels = Integer(
        24,
        config=True,
        help="At most this many kernels, preheated ones included (each takes about 180 MB); pages beyond "
        "it get the busy page (HTTP 503).",
    )
    unconnected_timeout = Float(
        300.0,
        config=True,
        help="Seconds a kernel whose page was delivered may stay idle without any browser connecting to it. "
        "Not shorter: on a loaded machine a browser can take minutes to run the page's scripts and connect.",
    )
    evict_after = Float(
        30.0,
        config=True,
        help="At the cap, a new page may take the place of a kernel no browser ever connected to that has been "
        "idle this many seconds (the oldest first), before the busy page is shown.",
    )
    disconnected_timeout = Float(
        30.0,
        config=True,
        help="Seconds a kernel is kept after its last browser connection closed (a reload or a network "
        "blip reconnects within this time).",
    )
    reap_interval = Float(5.0, config=True, help="Seconds between two checks for kernels to free.")
    max_kernels_per_client = Integer(
        6,
        config=True,
        help="At most this many kernels for one client (one address, see trusted_proxies); 0 = no limit. "
        "Beyond it the client's kernels no browser holds are freed first, else the page gets HTTP 429. "
        "Four dashboards open in tabs, and a reload or two, fit in the default.",
    )
    trusted_proxies = List(
        Unicode(),
        default_value=[],
        config=True,
        help="Addresses or networks (10.0.0.0/8) of reverse proxies in front of the server: from these peers "
        "the viewer's address is read from X-Forwarded-For (the last address that is no trusted proxy) or "
        "X-Real-IP. From any other peer those headers are ignored (anyone can write them). Behind a proxy "
        "that is not listed, every viewer counts as one client.",
    )
    client_header = Unicode(
        "",
        config=True,
        help="A header a trusted proxy sets to the signed-in user (e.g. X-Forwarded-User): the client is "
        "then the address and that user, so that colleagues behind one address are counted apart. Read "
        "only from trusted_proxies.",
    )
    stop_watchdog = Bool(
        True, config=True, help="Install the SIGTERM/Ctrl+C watchdog (the server process only)."
    )
    stop_timeout = Float(
        20.0,
        config=True,
        help="Seconds SIGTERM/Ctrl+C wait for the graceful stop before the kernels are killed and the "
        "server exits.",
    )
    pool = Unicode(
        "",
        config=True,
        help='Preheated kernels per dashboard (issue 28): a number for every dashboard ("8"), or sizes per '
        'dashboard with a default ("費用負担シミュレーター=12,県の全体像=4,2"; names with or without .ipynb). Empty: '
        "VoilaConfiguration.default_pool_size. Pooled kernels count toward max_kernels. `make dashboards POOL=…`.",
    )
    stall_warning = Float(
        30.0,
        config=True,
        help="Seconds the event loop may go without a tick before the log gets a warning and the stack of "
        "every thread (to find what blocks it).",
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._ever_connected: set[str] = set()
        self._last_disconnect: dict[str, float] = {}
        self._freed: list[tuple[str, str]] = []  # (kernel id, reason), for tests and the log
        self._reaper: PeriodicCallback | None = None
        self._want_refill: set[str] = set()
        self._stopping = False
        self._client: dict[str, str] = {}  # kernel id -> the client whose page it serves
        self._warned_untrusted = False
        self._apply_pool()
        self._wrap_pool()
        if self.stop_watchdog:
            _install_stop_watchdog(self)

    # --- counting and the cap ------------------------------------------------------------------------

    def kernel_count(self) -> int:
        """Kernels running or starting."""
        return len(set(self._kernels) | set(getattr(self, "_pending_kernels", {})))

    def _pool_tasks(self) -> list[asyncio.Future]:
        return [t for pool in getattr(self, "_pools", {}).values() for t in pool]

    def _pooled_ids(self) -> set[str]:
        ids = set()
        for t in self._pool_tasks():
            if t.done() and not t.cancelled() and t.exception() is None:
                ids.add(t.result().get("kernel_id"))
        return ids

    async def start_kernel(self, **kwargs: Any) -> str:  # type: ignore[override]
        """Start a kernel unless its client holds :attr:`max_kernels_per_client` (HTTP 429) or
        :attr:`max_kernels` are running or starting (HTTP 503, the busy page). A pool's kernel (Voila's
        preheating) belongs to no client until a page takes it."""
        pooled = str((kwargs.get("env") or {}).get("VOILA_PREHEAT", "")) == "True"
        client = None if pooled else self.current_client()
        await self._admit(client)
        if self.kernel_count() >= self.max_kernels and not await self._evict_one(client):
            self.log.warning("カーネル数が上限（%d）に達したため、新しいページを断りました", self.max_kernels)
            raise web.HTTPError(503, reason=BUSY_REASON)
        if not self._reaper:
            self._start_reaper()
        kernel_id = await super().start_kernel(**kwargs)
        if client is not None:
            self._client[kernel_id] = client
        return kernel_id

    # --- clients ----------------------------------------------------------------------------------------

    def _trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.strip().strip("[]"))
        except ValueError:
            return False
        for entry in self.trusted_proxies:
            for part in entry.split(","):  # "['127.0.0.1']" from a command line is read like 127.0.0.1
                with contextlib.suppress(ValueError):
                    if ip in ipaddress.ip_network(part.strip(" []'\""), strict=False):
                        return True
        return False

    def client_of(self, request: Any) -> str:
        """The client a request comes from: its peer address; from a trusted proxy the viewer's address it
        forwards (X-Forwarded-For read from the right, skipping trusted proxies; else X-Real-IP), with the user
        of :attr:`client_header` when the proxy sets one."""
        peer = str(getattr(request, "remote_ip", "") or "?")
        headers = getattr(request, "headers", {}) or {}
        if not self._trusted(peer):
            if headers.get("X-Forwarded-For") and not self._warned_untrusted:
                self._warned_untrusted = True
                self.log.warning(
                    "%s から X-Forwarded-For 付きの要求が来ましたが、信頼するプロキシに登録されていないため無視します"
                    "（リバースプロキシの後ろでは BoundedKernelManager.trusted_proxies に登録してください。"
                    "登録しないと、閲覧者全員が1つのクライアントとして数えられます）",
                    peer,
                )
            return peer
        viewer = None
        hops = [h.strip() for h in str(headers.get("X-Forwarded-For", "")).split(",") if h.strip()]
        for hop in reversed(hops):
            if not _is_address(hop):
                break  # garbage from the viewer's side: stop at the last address the proxies vouch for
            viewer = hop
            if not self._trusted(hop):
                break
        if viewer is None and _is_address(str(headers.get("X-Real-IP", "")).strip()):
            viewer = str(headers.get("X-Real-IP")).strip()
        client = viewer or peer
        user = str(headers.get(self.client_header, "")).strip() if self.client_header else ""
        return f"{client} {user[:200]}" if user else client

    def current_client(self) -> str | None:
        """The client of the request being handled (jupyter_server's call context), None outside one."""
        handler = CallContext.get(CallContext.JUPYTER_HANDLER)
        request = getattr(handler, "request", None)
        return self.client_of(request) if request is not None else None

    def held_by(self, client: str) -> list[str]:
        """The kernels serving pages of ``client``."""
        return [kid for kid in list(self._kernels) if self._client.get(kid) == client]

    def _quiet(self, kid: str) -> float | None:
        """Seconds the kernel has been idle; None while it works (renders a page, runs a callback)."""
        kernel = self._kernels.get(kid)
        if kernel is None or getattr(kernel, "execution_state", "") != "idle":
            return None
        last = getattr(kernel, "last_activity", None)
        return time.time() - last.timestamp() if last is not None and hasattr(last, "timestamp") else 0.0

    async def _free(self, kid: str, reason: str, why: str) -> None:
        self.log.info("カーネル %s を終了します（%s）", kid, why)
        self._freed.append((kid, reason))
        with contextlib.suppress(Exception):
            await self.shutdown_kernel(kid)

    async def _admit(self, client: str | None) -> None:
        """A page for ``client``: when it holds :attr:`max_kernels_per_client` kernels, free those of its
        kernels no browser holds (a browser left them, or never came for :attr:`evict_after` seconds); still
        at its limit: HTTP 429 (the 「開いているページが多すぎます」 page)."""
        limit = self.max_kernels_per_client
        if client is None or limit <= 0 or len(self.held_by(client)) < limit:
            return
        pooled = self._pooled_ids()
        spare = []
        for kid in self.held_by(client):
            if kid in pooled or self._kernel_connections.get(kid, 0) > 0:
                continue
            quiet = self._quiet(kid)
            if quiet is None or (kid not in self._ever_connected and quiet < self.evict_after):
                continue
            spare.append((quiet, kid))
        for _quiet, kid in sorted(spare, reverse=True):
            await self._free(
                kid,
                "同じクライアント",
                "同じクライアントのページ数が上限に達したため、ブラウザが接続していないものから",
            )
            if len(self.held_by(client)) < limit:
                return
        self.log.warning(
            "クライアント %s のカーネル数が上限（%d）に達したため、新しいページを断りました", client, limit
        )
        raise web.HTTPError(429, reason=TOO_MANY_REASON)

    def _unconnected_idle(self) -> list[tuple[float, str]]:
        """(seconds idle, kernel id) of kernels handed to a page that no browser ever connected to, that are
        idle now, longest idle first; pooled kernels excluded."""
        pooled = self._pooled_ids()
        out = []
        for kid, kernel in list(self._kernels.items()):
            if kid in pooled or kid in self._ever_connected or self._kernel_connections.get(kid, 0) > 0:
                continue
            if getattr(kernel, "execution_state", "") != "idle":
                continue
            last = getattr(kernel, "last_activity", None)
            quiet = time.time() - last.timestamp() if last is not None and hasattr(last, "timestamp") else 0.0
            out.append((quiet, kid))
        return sorted(out, reverse=True)

    async def _evict_one(self, client: str | None = None) -> bool:
        """At the cap: make room by shutting down the kernel no browser connected to that has been idle
        longest (at least :attr:`evict_after` seconds); else, for a ``client`` under its share, the longest
        idle kernel (idle at least :attr:`evict_after` seconds, watched or not) of the client holding the
        most kernels beyond its share. False when there is none."""
        for quiet, kid in self._unconnected_idle():
            if quiet < self.evict_after:
                break
            await self._free(kid, "上限", "上限に達したため、ブラウザが接続していないものから")
            return self.kernel_count() < self.max_kernels
        kid = self._over_share_victim(client)
        if kid is None:
            return False
        await self._free(
            kid,
            "取り分超過",
            f"上限に達したため、取り分を超えて開いているクライアント {self._client.get(kid)} の、使われていないものから",
        )
        return self.kernel_count() < self.max_kernels

    def share(self, client: str | None = None) -> int:
        """A client's share of the cap: the cap divided among the clients holding kernels (and ``client``)."""
        clients = {c for kid, c in self._client.items() if kid in self._kernels}
        if client is not None:
            clients.add(client)
        return max(1, self.max_kernels // max(1, len(clients)))

    def _over_share_victim(self, client: str | None) -> str | None:
        """The kernel to free for ``client`` at the cap: of the clients holding more than their share (never
        ``client`` itself, which must be under its share), the largest holder's longest idle kernel, idle at
        least :attr:`evict_after` seconds; None when there is none."""
        if client is None:
            return None
        share = self.share(client)
        if len(self.held_by(client)) >= share:
            return None
        pooled = self._pooled_ids()
        holders: dict[str, list[str]] = {}
        for kid, c in self._client.items():
            if kid in self._kernels and c != client and kid not in pooled:
                holders.setdefault(c, []).append(kid)
        for _held, c in sorted(((len(k), c) for c, k in holders.items()), reverse=True):
            if _held <= share:
                break
            idle = [
                (q, kid)
                for kid in holders[c]
                if (q := self._quiet(kid)) is not None and q >= self.evict_after
            ]
            if idle:
                return max(idle)[1]
        return None

    def _apply_pool(self) -> None:
        """:attr:`pool` into Voila's ``kernel_pools_config`` (present when kernels are preheated)."""
        if not self.pool.strip() or not self.has_trait("kernel_pools_config"):
            return
        sizes = parse_pool(self.pool)
        config = {k: dict(v) for k, v in (self.kernel_pools_config or {}).items()}
        default = config.setdefault("default", {})
        for name, size in sizes.items():
            config.setdefault(name, dict(default))["pool_size"] = size
        self.kernel_pools_config = config
        self.log.info("事前起動のカーネル: %s（上限 %d）", pool_text(sizes), self.max_kernels)

    def _wrap_pool(self) -> None:
        """Voila's pool of preheated kernels (present when ``preheat_kernel``): refills wait for room under the
        cap instead of failing, and a refill that failed is never handed to a page."""
        fill = getattr(self, "fill_if_needed", None)
        if fill is None:
            return

        def fill_if_needed(
            delay: float | None = None, notebook_name: str | None = None, **kwargs: Any
        ) -> None:
            if notebook_name is not None and self._room() <= 0:
                self._want_refill.add(notebook_name)
                return
            self._want_refill.discard(notebook_name or "")
            fill(delay=delay, notebook_name=notebook_name, **kwargs)

        size = self.get_pool_size

        def get_pool_size(notebook_name: str) -> int:
            self._drop_failed(notebook_name)
            return size(notebook_name)

        rendered = self.get_rendered_notebook

        async def get_rendered_notebook(notebook_name: str, **kwargs: Any) -> Any:
            self._drop_failed(notebook_name)
            client = self.current_client()
            await self._admit(client)
            if not getattr(self, "_pools", {}).get(notebook_name):
                raise web.HTTPError(503, reason=BUSY_REASON)
            try:
                out = await rendered(notebook_name=notebook_name, **kwargs)
            except web.HTTPError:
                raise
            except Exception as err:  # a preheated start that failed: the busy page, not a 500
                self.log.warning("事前起動のカーネルが使えませんでした: %s", err)
                raise web.HTTPError(503, reason=BUSY_REASON) from None
            if client is not None:
                self._client[out[-1]] = client  # (render task, rendered cells, kernel id)
            return out

        self.fill_if_needed = fill_if_needed  # type: ignore[method-assign]
        self.get_pool_size = get_pool_size  # type: ignore[method-assign]
        self.get_rendered_notebook = get_rendered_notebook  # type: ignore[method-assign]

    def _room(self) -> int:
        """Kernels that can still be started: the cap less the running or starting ones and the pool
        entries that have not started theirs yet."""
        waiting = sum(1 for t in self._pool_tasks() if not t.done())
        return self.max_kernels - self.kernel_count() - waiting

    def _drop_failed(self, notebook_name: str) -> None:
        pool = getattr(self, "_pools", {}).get(notebook_name)
        if pool:
            pool[:] = [t for t in pool if not (t.done() and (t.cancelled() or t.exception() is not None))]

    def _pool_target(self, notebook_name: str) -> int:
        """The pool size Voila keeps for this notebook (``kernel_pools_config``, default 1)."""
        config = getattr(self, "kernel_pools_config", {}) or {}
        default = config.get("default", {})
        return int(config.get(notebook_name, default).get("pool_size", default.get("pool_size", 1)))

    def _refill(self) -> None:
        """Bring every pool back to its size when there is room: the refills put off at the cap, and pools
        whose refill failed. Voila refills a pool only when a page takes a kernel from it; a refill that
        started while pages filled the cap failed (HTTP 503) and left its notebook without a preheated kernel
        for good."""
        if self._stopping:
            return
        pools = getattr(self, "_pools", {})
        for name in sorted(self._want_refill | set(pools)):
            self._drop_failed(name)
            if name in pools and len(pools[name]) >= self._pool_target(name):
                self._want_refill.discard(name)
                continue
            if self._room() <= 0:
                return
            self.fill_if_needed(delay=0, notebook_name=name)

    async def shutdown_all(self, *args: Any, **kwargs: Any) -> None:
        """The server stops: no refill any more (a pooled kernel shut down here must not start another)."""
        self._stopping = True
        if self._reaper:
            self._reaper.stop()
        await super().shutdown_all(*args, **kwargs)

    # --- freeing kernels no browser holds --------------------------------------------------------------

    def notify_connect(self, kernel_id: str) -> None:
        super().notify_connect(kernel_id)
        self._ever_connected.add(kernel_id)
        self._last_disconnect.pop(kernel_id, None)

    def notify_disconnect(self, kernel_id: str) -> None:
        super().notify_disconnect(kernel_id)
        if self._kernel_connections.get(kernel_id, 0) <= 0:
            self._last_disconnect[kernel_id] = time.monotonic()

    def _start_reaper(self) -> None:
        self._reaper = PeriodicCallback(self._reap, 1000 * self.reap_interval)
        self._reaper.start()

    async def _reap(self) -> None:
        """Shut down kernels no browser holds (see the module); refill the pools when there is room."""
        now = time.monotonic()
        pooled = self._pooled_ids()
        idle = {kid: quiet for quiet, kid in self._unconnected_idle()}
        for kid in list(self._kernels):
            if kid in pooled or self._kernel_connections.get(kid, 0) > 0:
                continue
            if kid in self._ever_connected:
                left = self._last_disconnect.setdefault(kid, now)
                reason = "ブラウザが離れたため" if now - left > self.disconnected_timeout else None
            else:
                quiet = idle.get(kid)
                reason = (
                    "ページを届けた後、ブラウザが接続しなかったため"
                    if quiet is not None and quiet > self.unconnected_timeout
                    else None
                )
            if reason is None:
                continue
            self.log.info("カーネル %s を終了します（%s）", kid, reason)
            self._freed.append((kid, reason))
            with contextlib.suppress(Exception):
                await self.shutdown_kernel(kid)
        for kid in list(self._last_disconnect):
            if kid not in self._kernels:
                self._last_disconnect.pop(kid, None)
                self._ever_connected.discard(kid)
        self._refill()

    def remove_kernel(self, kernel_id: str) -> Any:
        out = super().remove_kernel(kernel_id)
        self._client.pop(kernel_id, None)
        self._ever_connected.discard(kernel_id)
        self._last_disconnect.pop(kernel_id, None)
        with contextlib.suppress(RuntimeError):
            asyncio.get_running_loop().call_soon(self._refill)
        return out

    # --- the stop ---------------------------------------------------------------------------------------

    def kernel_pids(self) -> list[int]:
        """The process ids of the running kernels (for the watchdog)."""
        pids = []
        for km in list(self._kernels.values()):
            proc = getattr(getattr(km, "provisioner", None), "process", None)
            pid = getattr(proc, "pid", None)
            if pid:
                pids.append(pid)
        return pids


def parse_pool(text: str) -> dict[str, int]:
    """The pool setting (``make dashboards POOL=…``, :attr:`BoundedKernelManager.pool`) as pool sizes by
    notebook, ``"default"`` for the dashboards not named.

    >>> parse_pool("8")
    {'default': 8}
    >>> parse_pool("費用負担シミュレーター=12, 県の全体像.ipynb=4, 2")
    {'費用負担シミュレーター.ipynb': 12, '県の全体像.ipynb': 4, 'default': 2}

    Raises
    ------
    ValueError
        In Japanese, naming the part that is not a size (a whole number 0–200) or a name=size pair.
    """
    sizes: dict[str, int] = {}
    parts = [p.strip() for p in str(text).replace("、", ",").split(",") if p.strip()]
    if not parts:
        raise ValueError(
            "事前起動のカーネル数（POOL）が空です。例: POOL=8 または POOL=費用負担シミュレーター=12,2"
        )
    for part in parts:
        name, _, raw = part.rpartition("=")
        name = name.strip()
        raw = raw.strip()
        if not raw.isdigit() or not raw.isascii() or not 0 <= int(raw) <= 200:
            raise ValueError(
                f"事前起動のカーネル数（POOL）の「{part}」が読めません。0〜200 の整数か、"
                "「ダッシュボード名=数」で書いてください（例: POOL=8 または POOL=費用負担シミュレーター=12,2）"
            )
        if not name:
            if "default" in sizes:
                raise ValueError(f"事前起動のカーネル数（POOL）に名前のない数が2つあります: {text}")
            sizes["default"] = int(raw)
            continue
        sizes[name if name.endswith(".ipynb") else f"{name}.ipynb"] = int(raw)
    default = sizes.pop("default", None)
    if default is not None:
        sizes["default"] = default
    return sizes


def pool_text(sizes: dict[str, int]) -> str:
    """The pool sizes in a line for the log (「費用負担シミュレーター 12、ほか 2」)."""
    named = [f"{k.removesuffix('.ipynb')} {v}" for k, v in sizes.items() if k != "default"]
    if "default" in sizes:
        named.append(f"{'ほか' if named else 'ダッシュボードごとに'} {sizes['default']}")
    return "、".join(named)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


_INSTALLED = False


def _install_stop_watchdog(manager: BoundedKernelManager) -> None:
    """SIGTERM and SIGINT: a graceful stop through the event loop, and after ``stop_timeout`` seconds a
    forced one (kernels killed, process exited), done by a thread that the signal wakes through
    ``signal.set_wakeup_fd`` even when the main thread is stuck in a call that never returns."""
    global _INSTALLED
    if _INSTALLED or threading.current_thread() is not threading.main_thread() or os.name != "posix":
        return
    _INSTALLED = True
    loop = IOLoop.current()
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    previous = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    stopping = threading.Event()

    def graceful(signum: int, _frame: Any) -> None:  # runs in the main thread when it can
        stopping.set()
        with contextlib.suppress(Exception):
            manager.log.info("シグナル %s を受け取りました。カーネルを終了してから止まります", signum)
        loop.add_callback(loop.stop)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, graceful)

    beat = [time.monotonic()]

    def tick() -> None:
        beat[0] = time.monotonic()

    PeriodicCallback(tick, 1000).start()

    threading.Thread(
        target=_stall_watch, args=(manager, beat, stopping), name="wb-stall-watch", daemon=True
    ).start()
    threading.Thread(
        target=_watchdog, args=(manager, loop, read_fd, previous), name="wb-stop-watchdog", daemon=True
    ).start()


def _stall_watch(manager: BoundedKernelManager, beat: list[float], stopping: threading.Event) -> None:
    """A blocked event loop answers nothing: say so in the log, with every thread's stack, once per stall (the
    loop ticks every second)."""
    import faulthandler
    import sys

    reported = False
    while not stopping.is_set():
        time.sleep(5)
        late = time.monotonic() - beat[0]
        if late > manager.stall_warning and not reported:
            reported = True
            with contextlib.suppress(Exception):
                manager.log.error("イベントループが %.0f 秒止まっています。全スレッドの状態:", late)
                faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        elif late <= manager.stall_warning:
            reported = False


def _watchdog(manager: BoundedKernelManager, loop: Any, read_fd: int, previous: int | None) -> None:
    """Woken through the signal wakeup fd: asks the loop to stop, and forces the stop when it has not
    happened after ``stop_timeout`` seconds."""
    while True:
        try:
            data = os.read(read_fd, 64)
        except OSError:
            return
        if previous not in (-1, None):
            with contextlib.suppress(OSError):
                os.write(previous, data)  # whoever watched the wakeup fd before us still hears it
        if any(b in (signal.SIGTERM, signal.SIGINT) for b in data):
            break
    with contextlib.suppress(Exception):
        loop.add_callback(loop.stop)  # thread-safe: the graceful path, if the loop still runs
    deadline = time.monotonic() + manager.stop_timeout
    while time.monotonic() < deadline:
        time.sleep(0.2)
    _force_stop(manager)


def _force_stop(manager: BoundedKernelManager) -> None:
    """The graceful stop is stuck: kill the kernels (each in its own process group) and go."""
    for pid in manager.kernel_pids():
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        shutil.rmtree(getattr(manager.parent, "connection_dir", ""), ignore_errors=True)
    os._exit(1)
