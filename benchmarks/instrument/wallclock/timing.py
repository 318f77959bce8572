"""Alternating rounds of calibrated calls: the loop every wall-clock worker times with.

The instrument's own tests may put a deterministic source in its place
(:data:`SOURCE_ENV_VAR`), so that a test of what the gate decides does not
depend on how busy the machine is: "3x slower" is then 3x.
"""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

#: Alternating rounds a measurement times, and for interpreted loops, whose
#: calls take seconds.
ROUNDS = 7
LOOP_ROUNDS = 3
#: Each round runs a call often enough to last at least this long;
#: ROUND_SECONDS_ENV_VAR (``--recolor-round-seconds``) changes it, for the
#: gate's own tests, which need speed more than precision.
MIN_ROUND_SECONDS = 0.02
ROUND_SECONDS_ENV_VAR = "RECOLOR_BENCH_ROUND_SECONDS"
#: A round never repeats a call more often than this, however fast it is.
MAX_ITERATIONS = 1 << 20
#: "module:function" of a measurement source in the timing loop's place, for the
#: instrument's own tests; unset, the loop times. It is part of the protocol, so a
#: figure of one source never judges a figure of another.
SOURCE_ENV_VAR = "BENCHMARK_INSTRUMENT_SOURCE"
TIMING_LOOP = "the timing loop"


class Source(Protocol):
    """What a worker's measurements come from: seconds per call of each call, per round."""

    def __call__(
        self,
        calls: Mapping[str, Callable[[], Any]],
        *,
        rounds: int,
        min_round_time: float,
        case: Mapping[str, Any],
    ) -> dict[str, list[float]]: ...


def source_name() -> str:
    """The measurement source workers use here, as the protocol records it."""
    return os.environ.get(SOURCE_ENV_VAR, "").strip() or TIMING_LOOP


def measurement_source() -> Source:
    """The timing loop, or the source :data:`SOURCE_ENV_VAR` names."""
    name = source_name()
    if name == TIMING_LOOP:
        return _timed
    module, _, function = name.partition(":")
    source: Source = getattr(importlib.import_module(module), function)
    return source


def _timed(
    calls: Mapping[str, Callable[[], Any]],
    *,
    rounds: int,
    min_round_time: float,
    case: Mapping[str, Any],
) -> dict[str, list[float]]:
    return time_rounds(calls, rounds=rounds, min_round_time=min_round_time)


def min_round_seconds() -> float:
    value = os.environ.get(ROUND_SECONDS_ENV_VAR, "").strip()
    return float(value) if value else MIN_ROUND_SECONDS


def calibrate_iterations(func: Callable[[], Any], min_round_time: float) -> int:
    """How many calls make one round last at least ``min_round_time`` seconds."""
    iterations = 1
    while True:
        start = time.perf_counter()
        for _ in range(iterations):
            func()
        elapsed = time.perf_counter() - start
        if elapsed >= min_round_time or iterations >= MAX_ITERATIONS:
            return iterations
        # Aim a little past the target so one more doubling is rarely needed.
        iterations = max(
            iterations * 2, int(iterations * 1.2 * min_round_time / max(elapsed, 1e-9))
        )


def time_rounds(
    calls: Mapping[str, Callable[[], Any]], *, rounds: int, min_round_time: float
) -> dict[str, list[float]]:
    """Seconds per call of every function in each of ``rounds`` rounds, taking turns.

    Each function is called once to warm up, then calibrated once; a round
    of a function is that many back-to-back calls, and its sample is their
    mean. Taking turns round by round makes a machine that slows down
    mid-run slow every function alike, so their ratio in one round holds.
    """
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    iterations = {}
    for name, func in calls.items():
        func()
        iterations[name] = calibrate_iterations(func, min_round_time)
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, func in calls.items():
            count = iterations[name]
            start = time.perf_counter()
            for _ in range(count):
                func()
            samples[name].append((time.perf_counter() - start) / count)
    return samples
