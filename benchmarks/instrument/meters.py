"""What the instrument measures of a call besides its time: CPU use and memory peaks.

- :class:`CpuMeter` measures process CPU seconds per wall second over a block:
  how many cores the code in it really occupied.
- :func:`peak_bytes` is the peak memory allocated by one call, as tracemalloc
  sees it (numpy reports its buffers to tracemalloc; many C libraries do not).
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from types import TracebackType
from typing import Any

import psutil

__all__ = ["CpuMeter", "cpu_seconds", "format_seconds", "peak_bytes"]

_PROCESS = psutil.Process()


def format_seconds(seconds: float) -> str:
    """A duration with three significant digits in s, ms or us.

    Examples
    --------
    >>> format_seconds(0.000123456), format_seconds(2.5)
    ('123 us', '2.5 s')
    """
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def cpu_seconds() -> float:
    """User plus system CPU seconds of this process, all threads included."""
    times = _PROCESS.cpu_times()
    return float(times.user + times.system)


class CpuMeter:
    """Process CPU seconds per wall second over a ``with`` block.

    1.0 means one core busy the whole time; 2.0, two cores.

    Examples
    --------
    >>> with CpuMeter() as meter:
    ...     _ = sum(range(100_000))
    >>> meter.wall > 0 and meter.utilization >= 0
    True

    What it reads depends on the machine; what it computes does not:

    >>> meter.cpu, meter.wall = 3.0, 2.0  # 3 CPU seconds in 2 wall seconds
    >>> meter.utilization
    1.5
    """

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0

    def __enter__(self) -> CpuMeter:
        self._cpu_start = cpu_seconds()
        self._wall_start = time.perf_counter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.wall += time.perf_counter() - self._wall_start
        self.cpu += cpu_seconds() - self._cpu_start

    @property
    def utilization(self) -> float:
        return self.cpu / self.wall if self.wall > 0 else 0.0


def peak_bytes(func: Callable[[], Any]) -> int:
    """Peak memory allocated during one call of ``func``, in bytes, by tracemalloc."""
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        baseline, _ = tracemalloc.get_traced_memory()
        func()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return max(peak - baseline, 0)
