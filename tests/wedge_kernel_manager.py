"""A kernel manager whose graceful stop never finishes, for tests/test_dashboard_server.py only: it blocks the
server's main thread in a call that does not return (as the wedged server did), so that the test can check
that SIGTERM still stops the server and its kernels (the watchdog of workbench.dashboard_server)."""

from __future__ import annotations

import time
from typing import Any

from workbench.dashboard_server import BoundedKernelManager


class StuckOnStop(BoundedKernelManager):
    async def shutdown_all(self, *args: Any, **kwargs: Any) -> None:
        time.sleep(3600)  # the main thread, stuck: no event loop, no Python signal handler can help
