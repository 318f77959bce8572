"""A fresh process that counts one case under callgrind.

Run as ``python -m benchmarks.instrument.cost.worker``.

Started by :mod:`benchmarks.instrument.cost.callgrind` under valgrind, with a
request as JSON on stdin. It imports, warms up, and then counts ``counted_calls`` calls, each
alone between callgrind's start and stop of instrumentation, each written to
a dump of its own. It prints the CPU that numpy sees, as JSON.

``root`` names another tree (a git worktree of another commit) whose
package is counted; this tree's instrument, imported first, measures both
sides alike, and the suite's worker module (``About.worker_module``)
builds the call. ``warm_only`` runs the calls natively,
without counting, to fill numba's cache.
"""

from __future__ import annotations

import gc
import importlib.machinery
import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.instrument.cost.slowdown import filler  # this tree's, before root

#: pytest-codspeed's compiled callgrind hooks (no type information), by module name.
_HOOKS = "dist_instrument_hooks"


def main() -> None:
    # Every thread pool of the measured code has one thread (a pool that allocates in a
    # racy order moves every later address, and with them CPython's hashing of objects):
    # the environment says so (callgrind.worker_environment), to the suite's thread cap too.
    request = json.load(sys.stdin)
    if request["root"]:
        sys.path.insert(0, request["root"])
    units = int(request.get("filler_units") or 0)
    call: Callable[[], Any] = lambda: None  # noqa: E731  # the filler alone
    if request["case"] is not None:
        suite: Any = importlib.import_module(request["worker_module"])
        call = suite.counted_call(request["case"])

    def once() -> None:
        call()
        filler(units)

    for _ in range(request["warmup_calls"]):
        once()
    if request.get("warm_only"):
        return

    hooks = _callgrind_hooks()
    instance = hooks.instrument_hooks_init()
    if not hooks.instrument_hooks_is_instrumented(instance):
        raise SystemExit("the cost worker counts only under valgrind --tool=callgrind")
    # A full collection walks every object alive, so its cost would grow with
    # whatever this process imported: frozen, they are left out, and the
    # collector still runs on what the calls themselves allocate.
    gc.collect()
    gc.freeze()
    for index in range(request["counted_calls"]):
        gc.collect()  # every counted call starts with the collector's counts at zero
        hooks.instrument_hooks_start_benchmark(instance)  # zero the counts, then count
        once()
        hooks.instrument_hooks_stop_benchmark(instance)
        hooks.instrument_hooks_set_executed_benchmark(instance, 0, f"call#{index}".encode())
    json.dump({"simulated_cpu": simulated_cpu()}, sys.stdout)


def _callgrind_hooks() -> Any:
    """pytest-codspeed's compiled callgrind hooks, loaded from their folder alone.

    Imported by name, the module's packages import pytest-codspeed's plugin and
    pytest with it: 0.7 s of every count's 4 under valgrind, for two functions.
    """
    package = importlib.util.find_spec("pytest_codspeed")  # found, not imported
    if package is None or not package.submodule_search_locations:
        raise SystemExit("the cost worker needs pytest-codspeed (the cost extra)")
    folder = Path(package.submodule_search_locations[0], "instruments", "hooks")
    spec = importlib.machinery.PathFinder.find_spec(_HOOKS, [str(folder)])
    if spec is None or spec.loader is None:
        raise SystemExit(f"the cost worker found no {_HOOKS} extension in {folder}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def simulated_cpu() -> str:
    """The highest x86-64 level numpy's dispatch sees here: X86_V3 under valgrind 3.19."""
    import numpy as np

    core: Any = getattr(np, "_core", None) or np.core  # numpy 2, numpy 1
    features: dict[str, bool] = core._multiarray_umath.__cpu_features__
    levels = [level for level in ("X86_V2", "X86_V3", "X86_V4") if features.get(level)]
    return levels[-1] if levels else "below X86_V2"


if __name__ == "__main__":
    main()
