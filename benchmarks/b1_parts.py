"""Where B1's CPU time goes, part by part, without a profiler (a profiler's own cost distorts the many small calls of
the audit): each function the national batch calls is wrapped and its CPU time (``time.process_time``) summed.

    .venv/bin/python benchmarks/b1_parts.py      # one JSON line: seconds of CPU by part

Run it in a fresh process, after a first run of B1 has written the synthetic files (``benchmarks/run.py --only B1``
does; or ``WORKBENCH_CACHE`` pointing at a cache already filled). Parts overlap nothing: the import, the file
loading (YAML, validation), the synthetic files' check, classify, match_auth, the cost audit (with the allocations
it audits; the first call imports the cost rules), allocations after the audit (none since issue 28), coverage.
"""

from __future__ import annotations

import collections
import json
import sys
import time
from collections.abc import Callable
from typing import Any


def main() -> dict[str, float]:
    spent: collections.Counter[str] = collections.Counter()
    c0 = time.process_time()
    import workbench.batch as batch

    spent["import"] = time.process_time() - c0
    import workbench.cost.audit
    import workbench.inventory
    import workbench.samples  # noqa: F401

    def wrap(module: str, name: str, part: str) -> None:
        mod = sys.modules[module]
        fn: Callable[..., Any] | None = getattr(mod, name, None)
        if fn is None:  # a name of another version of the batch
            return

        def timed(*args: Any, **kwargs: Any) -> Any:
            t = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[part] += time.process_time() - t

        setattr(mod, name, timed)

    wrap("workbench.classify", "classify", "classify")
    wrap("workbench.auth", "match_auth", "match_auth")
    wrap("workbench.cost", "audit_rules", "cost audit")  # the batch before issue 28
    wrap("workbench.cost.audit", "audited_allocations", "cost audit")
    wrap("workbench.cost", "allocate", "allocations after the audit")
    wrap("workbench.inventory", "load", "load (YAML, validation)")
    wrap("workbench.samples", "_ensure_synthetic", "synthetic files' check")
    wrap("workbench.batch", "coverage", "coverage")
    c1 = time.process_time()
    _, errors = batch.run_batch()
    spent["run_batch"] = time.process_time() - c1
    spent["total"] = time.process_time() - c0
    spent["run_batch, other"] = spent["run_batch"] - sum(
        v for k, v in spent.items() if k not in ("import", "run_batch", "total")
    )
    out = {k: round(v, 3) for k, v in spent.items()}
    print(json.dumps({**out, "errors": len(errors)}, ensure_ascii=False))
    return out


if __name__ == "__main__":
    main()
