"""A technique's first call in a fresh process: what loading its kernels costs a user."""

from __future__ import annotations

import json
import subprocess
import sys

__all__ = ["first_call_seconds"]

_SCRIPT = """
import importlib, json, sys, time
import recolor
image = recolor.sample_image({width}, {height})
record = recolor.TECHNIQUES[{name!r}]
old, new = (0, 0, 0, 0), (5, 3, 192, 255)
parts = {{}}
start = time.perf_counter()
if record.requires == "numba":
    importlib.import_module("numba")
    numba_loaded = time.perf_counter()
    importlib.import_module("recolor.techniques._numba_kernels")
    kernels_imported = time.perf_counter()
record.func(image, old, new)
end = time.perf_counter()
first = end - start
if record.requires == "numba":
    # From the same clock readings, so that the parts add up to the first call exactly.
    parts["import numba"] = numba_loaded - start
    parts["import the kernels' module"] = kernels_imported - numba_loaded
    parts["load the kernels and run once"] = end - kernels_imported
start = time.perf_counter()
record.func(image, old, new)
second = time.perf_counter() - start
json.dump({{"first": first, "second": second, **parts}}, sys.stdout)
"""


def first_call_seconds(name: str, width: int = 998, height: int = 998) -> dict[str, float]:
    """A technique's first call in a fresh process, and its second, in seconds.

    For numba techniques the first call compiles the kernels, or loads them
    from numba's on-disk cache; the second is the steady state. Their first
    call is also given in parts: "import numba", "import the kernels' module"
    (numba's decorators) and "load the kernels and run once" (numba's cache
    index, the compiled code, and the call itself).
    """
    script = _SCRIPT.format(name=name, width=width, height=height)
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    timings: dict[str, float] = json.loads(completed.stdout)
    return timings
