"""Timing and CPU accounting for ``recolor bench``.

The benchmark suite (benchmarks/) has an instrument of its own: recolor is
installed without it, and it must not import recolor.

- :func:`time_interleaved` runs several functions round-robin, so that a
  machine that slows down mid-run slows all of them alike, and returns the
  seconds per call of every round plus the CPU utilization.
- :class:`CpuMeter` measures process CPU seconds per wall second over a block:
  how many cores the code in it really occupied.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import psutil

__all__ = [
    "CpuMeter",
    "Timing",
    "calibrate_iterations",
    "cpu_seconds",
    "format_seconds",
    "time_interleaved",
]

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


@dataclass
class Timing:
    """Seconds per call, one sample per round, and the CPU used meanwhile."""

    samples: list[float] = field(default_factory=list)
    cpu: CpuMeter = field(default_factory=CpuMeter)
    iterations: int = 1

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def cpu_utilization(self) -> float:
        return self.cpu.utilization


def calibrate_iterations(func: Callable[[], Any], min_round_time: float) -> int:
    """How many calls make one round last at least ``min_round_time`` seconds."""
    iterations = 1
    while True:
        start = time.perf_counter()
        for _ in range(iterations):
            func()
        elapsed = time.perf_counter() - start
        if elapsed >= min_round_time or iterations >= 1 << 20:
            return iterations
        # Aim a little past the target so one more doubling is rarely needed.
        iterations = max(
            iterations * 2, int(iterations * 1.2 * min_round_time / max(elapsed, 1e-9))
        )


def time_interleaved(
    funcs: Mapping[str, Callable[[], Any]],
    *,
    rounds: int,
    min_round_time: float = 0.01,
    warmup: bool = True,
    settle: bool = False,
    on_round: Callable[[], object] | None = None,
) -> dict[str, Timing]:
    """Time every function for ``rounds`` rounds, taking turns within each round.

    Each round of a function is as many back-to-back calls as make it last
    ``min_round_time`` (calibrated once, after one warm-up call); its sample
    is the mean seconds per call in that round. With ``settle``, each round of
    several calls starts with one untimed call, so that a function does not
    pay for the state the previous one left: a heap its frees trimmed (the
    next call faults every page of its buffers back in), OpenMP threads
    still spinning. A round of one long call needs no such call, and would
    take twice as long with it. ``on_round`` is called after each round, for
    a progress bar.
    """
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    timings: dict[str, Timing] = {}
    for name, func in funcs.items():
        if warmup:
            func()
        timings[name] = Timing(iterations=calibrate_iterations(func, min_round_time))
    for _ in range(rounds):
        for name, func in funcs.items():
            timing = timings[name]
            if settle and timing.iterations > 1:
                func()
            with timing.cpu:
                start = time.perf_counter()
                for _ in range(timing.iterations):
                    func()
                elapsed = time.perf_counter() - start
            timing.samples.append(elapsed / timing.iterations)
        if on_round is not None:
            on_round()
    return timings
