"""The environment every wall-clock worker measures in, where the instrument can set it.

glibc's malloc decides per process whether a freed buffer goes back to the
kernel: with its defaults the mmap threshold and the trim threshold move
with the history of frees, so one process's ``numpy.copy`` of a 256x256
image reuses warm heap pages (6 us here) and another's faults fresh pages
in on every call (63 us, ten times as long), for the same code. The
settings below stop that give-back/fault-in cycle for every size: no
buffer is mapped on its own (``mmap_max=0``), so every one comes from the
heap, and the heap is never trimmed, so a page faulted in once stays. A
buffer larger than any before it still faults in its new pages once, in
the warm-up call or calibration, never in a timed round.

numpy asks the kernel for huge pages for its large buffers (``madvise``);
whether it gets them depends on how fragmented the machine's memory is,
not on the code. ``NUMPY_MADVISE_HUGEPAGE=0`` makes every process use
ordinary pages alike.

On macOS, Windows, or a Linux without glibc (musl), the instrument cannot
set the allocator; :func:`allocator_control` says so, the protocol records
it, and the gate's yardstick checks (wallclock/decision.py) are what keep a
verdict from resting on the allocator's luck there.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Mapping

#: Far above any heap the suite grows: the heap is never given back mid-run.
TRIM_THRESHOLD = 4 * 1024**3
MALLOC_TUNABLES = {
    "glibc.malloc.mmap_max": 0,
    "glibc.malloc.trim_threshold": TRIM_THRESHOLD,
}


#: Set for every worker: numpy's large buffers in ordinary pages.
NUMPY_SETTINGS = {"NUMPY_MADVISE_HUGEPAGE": "0"}


def uses_glibc() -> bool:
    return sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"


def allocator_control() -> str:
    """What the instrument fixes of the allocator here, in words the protocol records."""
    numpy = " ".join(f"{name}={value}" for name, value in NUMPY_SETTINGS.items())
    if not uses_glibc():
        system = f"{platform.system()}, {platform.libc_ver()[0] or 'no glibc'}"
        return f"not controlled ({system}), {numpy}"
    malloc = ":".join(f"{name}={value}" for name, value in MALLOC_TUNABLES.items())
    return f"glibc {malloc}, {numpy}"


def worker_environment(base: Mapping[str, str]) -> dict[str, str]:
    """``base`` with the allocator and numpy settings a worker measures under.

    Tunables of the caller's that are not malloc's (GLIBC_TUNABLES holds
    several, colon-separated) are kept; malloc's are replaced.
    """
    environment = {**base, **NUMPY_SETTINGS}
    if not uses_glibc():
        return environment
    kept = [
        item
        for item in environment.get("GLIBC_TUNABLES", "").split(":")
        if item and item.partition("=")[0] not in MALLOC_TUNABLES
    ]
    ours = [f"{name}={value}" for name, value in MALLOC_TUNABLES.items()]
    environment["GLIBC_TUNABLES"] = ":".join([*kept, *ours])
    return environment
