"""Capping the threads that OpenCV and numba start on their own.

The original experiment found OpenCV spreading over several cores unasked:
a noisy neighbour on a shared machine. :func:`thread_limit` caps every
thread pool a technique may use.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

__all__ = [
    "THREADS_ENV_VAR",
    "apply_env_thread_limit",
    "available_cores",
    "cap_numba",
    "cap_opencv",
    "opencv",
    "parallel_threads",
    "set_thread_limit",
    "thread_cap",
    "thread_limit",
]

#: Environment variable with a default cap, applied when the techniques load
#: and again when numba is loaded.
THREADS_ENV_VAR = "RECOLOR_THREADS"


def available_cores() -> int:
    """The cores this process may run on (its affinity), at least 1."""
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return os.cpu_count() or 1


def apply_env_thread_limit() -> None:
    """Apply the cap in ``RECOLOR_THREADS``, if it is set."""
    value = os.environ.get(THREADS_ENV_VAR, "").strip()
    if not value:
        return
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{THREADS_ENV_VAR} must be a positive integer, got {value!r}")
    set_thread_limit(int(value))


# The cap last asked for, applied to numba when recolor's numba kernels load.
_requested: int | None = None


def set_thread_limit(threads: int | None) -> None:
    """Let OpenCV and numba use at most ``threads`` threads; None for all cores.

    A cap set before numba is imported applies when a numba technique first
    loads it, so the cap never costs numba's import time.
    """
    global _requested
    if threads is None:
        threads = available_cores()
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive int or None, got {threads!r}")
    _requested = threads
    cap_opencv()
    cap_numba()


def thread_cap() -> int:
    """The threads a technique may use: the cap asked for, else the cores at import."""
    return _requested if _requested is not None else _CORES_AT_IMPORT


def parallel_threads() -> int:
    """The threads numba's parallel kernel would run on: :func:`thread_cap`, and no more
    than numba's own pool, which ``NUMBA_NUM_THREADS`` sizes when numba is imported."""
    numba = sys.modules.get("numba")
    pool = numba.config.NUMBA_NUM_THREADS if numba is not None else _numba_threads_from_env()
    return min(thread_cap(), pool)


def _numba_threads_from_env() -> int:
    # What numba will read at its import; a value it would refuse is left to it to refuse.
    value = os.environ.get("NUMBA_NUM_THREADS", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else _CORES_AT_IMPORT


# Read once: the default choice asks on every call, and the affinity's system call
# costs a microsecond, a tenth of a small image's recolouring.
_CORES_AT_IMPORT = available_cores()


def opencv() -> ModuleType:
    """cv2, imported on first use, with the requested cap applied to its threads."""
    first_import = "cv2" not in sys.modules
    import cv2

    if first_import:
        cap_opencv()
    return cv2


def cap_opencv() -> None:
    """Apply the requested cap to OpenCV, if it is imported."""
    cv2 = sys.modules.get("cv2")
    if cv2 is not None and _requested is not None:
        cv2.setNumThreads(_requested)


def cap_numba() -> None:
    """Apply the requested cap to numba, if both are there."""
    numba = sys.modules.get("numba")
    if numba is not None and _requested is not None:
        numba.set_num_threads(min(_requested, numba.config.NUMBA_NUM_THREADS))


@contextmanager
def thread_limit(threads: int | None) -> Iterator[None]:
    """Cap OpenCV's and numba's threads inside a ``with`` block.

    Examples
    --------
    >>> import recolor
    >>> with recolor.thread_limit(1):
    ...     out = recolor.recolor(recolor.sample_image(8, 8), (0, 0, 0, 0), (5, 3, 192, 255))
    """
    global _requested
    cv2 = sys.modules.get("cv2")
    saved_requested = _requested
    saved_cv2 = cv2.getNumThreads() if cv2 is not None else None
    numba = sys.modules.get("numba")
    saved_numba = numba.get_num_threads() if numba is not None else None
    set_thread_limit(threads)
    try:
        yield
    finally:
        _requested = saved_requested
        cv2 = sys.modules.get("cv2")
        if cv2 is not None:
            # OpenCV may have been loaded inside the block: back to its default (-1).
            cv2.setNumThreads(saved_cv2 if saved_cv2 is not None else -1)
            cap_opencv()
        numba = sys.modules.get("numba")
        if numba is not None:
            # numba may have been loaded inside the block: back to all its threads.
            numba.set_num_threads(saved_numba or numba.config.NUMBA_NUM_THREADS)
            cap_numba()
