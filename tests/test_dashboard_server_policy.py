"""The policy of workbench.dashboard_server.BoundedKernelManager without a server: which kernels are freed and
when (the end-to-end behaviour, with a real Voila and browser, is in tests/test_dashboard_server.py)."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from tornado import web

from workbench.dashboard_server import BoundedKernelManager


class FakeKernel:
    def __init__(self, state: str, quiet: float) -> None:
        self.execution_state = state
        self.last_activity = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=quiet)


@pytest.fixture
def manager(monkeypatch):
    m = BoundedKernelManager(
        stop_watchdog=False, max_kernels=3, evict_after=30, unconnected_timeout=300, disconnected_timeout=30
    )
    stopped: list[str] = []

    async def shutdown_kernel(kid, *args, **kwargs):
        stopped.append(kid)
        m._kernels.pop(kid, None)
        m._kernel_connections.pop(kid, None)

    monkeypatch.setattr(m, "shutdown_kernel", shutdown_kernel)
    m.stopped = stopped
    return m


def add(m, kid: str, state: str = "idle", quiet: float = 0.0, connections: int = 0) -> None:
    m._kernels[kid] = FakeKernel(state, quiet)
    m._kernel_connections[kid] = connections
    if connections:
        m._ever_connected.add(kid)


def test_a_kernel_no_browser_connected_to_is_freed_after_the_timeout(manager) -> None:
    add(manager, "fresh", quiet=200)  # a slow browser may still come
    add(manager, "stale", quiet=301)
    add(manager, "busy", state="busy", quiet=900)  # still rendering its page
    asyncio.run(manager._reap())
    assert manager.stopped == ["stale"]


def test_a_kernel_whose_browser_left_is_freed_after_the_grace(manager) -> None:
    add(manager, "watched", connections=1)
    manager.notify_disconnect("watched")
    asyncio.run(manager._reap())
    assert manager.stopped == []  # a reload or a network blip gets its grace
    manager._last_disconnect["watched"] -= 31
    asyncio.run(manager._reap())
    assert manager.stopped == ["watched"]


def test_at_the_cap_the_longest_idle_unconnected_kernel_makes_room(manager) -> None:
    add(manager, "viewer", connections=1)
    add(manager, "junk-old", quiet=120)
    add(manager, "junk-new", quiet=40)
    assert asyncio.run(manager._evict_one()) is True
    assert manager.stopped == ["junk-old"]


def test_at_the_cap_without_junk_a_page_is_refused(manager) -> None:
    add(manager, "a", connections=1)
    add(manager, "b", connections=1)
    add(manager, "c", quiet=5)  # delivered a moment ago: its browser is on the way
    with pytest.raises(web.HTTPError) as info:
        asyncio.run(manager.start_kernel(kernel_name="python3"))
    assert info.value.status_code == 503 and manager.stopped == []


def test_a_pool_whose_refill_failed_at_the_cap_is_refilled_when_room_comes_back(manager) -> None:
    """Seen in the burst test: Voila refilled the pool of 認証レベル after a page took its kernel, the refill's
    kernel start came when the burst's pages had filled the cap, failed with HTTP 503, and the notebook had
    no preheated kernel again (Voila refills only when a page takes one). The reaper now refills it once
    there is room, and never while the server stops."""
    filled: list[str] = []

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        failed = loop.create_future()
        failed.set_exception(web.HTTPError(503))
        healthy = loop.create_future()
        healthy.set_result({"kernel_id": "pooled"})
        manager._pools = {"認証レベル.ipynb": [failed], "県の全体像.ipynb": [healthy]}
        manager.fill_if_needed = lambda delay=None, notebook_name=None, **_: filled.append(notebook_name)
        add(manager, "pooled")
        add(manager, "page-1", connections=1)
        add(manager, "page-2", connections=1)  # the cap (3) is reached
        manager._refill()
        assert filled == []
        assert manager._pools["認証レベル.ipynb"] == []  # the failed refill is dropped, never handed out
        manager._kernels.pop("page-2")
        manager._refill()
        assert filled == ["認証レベル.ipynb"]  # the healthy pool is left alone

        filled.clear()
        manager._kernels.pop("page-1")
        manager._stopping = True  # what shutdown_all sets first
        manager._refill()
        assert filled == []

    asyncio.run(scenario())
