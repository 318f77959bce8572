"""A measurement source for the gate's own tests: what the gate is fed is exact, not timed.

A worker started with ``BENCHMARK_INSTRUMENT_SOURCE=tests.deterministic_source:samples``
(:data:`SOURCE`) runs each call once, as the timing loop would (so a broken
call still fails), then reports seconds from a model instead of a clock:

- the yardstick (and the bandwidth probe) take :data:`YARDSTICK_SECONDS` a call;
- the case takes :data:`RATIO` times that, times the factor the suite's
  slowdown variable gives its subject (``RECOLOR_BENCH_SLOWDOWN``, or the one
  :data:`SLOWDOWN_NAME_ENV_VAR` names): the suite's own way of slowing a
  subject down, which the instrument passes to this tree's workers only,
  never to the side it compares with;
- the case takes :data:`HOST_ENV_VAR` times longer on "another host", on
  both sides of a comparison alike: a host whose compute is slower against
  its memory than the one that recorded, which no yardstick cancels.

So "3x slower" is exactly 3x on a busy machine too, and every process of a
decision reads the same: what the tests assert is the gate's decision, not
the machine's mood.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from benchmarks.instrument.wallclock.timing import SOURCE_ENV_VAR

#: The value of ``BENCHMARK_INSTRUMENT_SOURCE`` that selects this source.
SOURCE = f"{__name__}:samples"
YARDSTICK_SECONDS = 1e-4
#: Every case's time over its yardstick's, before any slowdown.
RATIO = 2.0
#: A factor on the case's time, both sides alike: another host, for the same code.
HOST_ENV_VAR = "RECOLOR_TEST_HOST_FACTOR"
#: Names the suite's slowdown variable, "name=factor[,...]" (recolor's by default).
SLOWDOWN_NAME_ENV_VAR = "DETERMINISTIC_SOURCE_SLOWDOWN"

__all__ = ["HOST_ENV_VAR", "RATIO", "SOURCE", "SOURCE_ENV_VAR", "YARDSTICK_SECONDS", "samples"]


def _slowdowns() -> dict[str, float]:
    variable = os.environ.get(SLOWDOWN_NAME_ENV_VAR) or "RECOLOR_BENCH_SLOWDOWN"
    pairs = (item.partition("=") for item in os.environ.get(variable, "").split(","))
    return {name.strip(): float(factor) for name, _, factor in pairs if name.strip()}


def samples(
    calls: Mapping[str, Callable[[], Any]],
    *,
    rounds: int,
    min_round_time: float,
    case: Mapping[str, Any],
) -> dict[str, list[float]]:
    """Seconds per call of each call in each round, from the model above."""
    for call in calls.values():
        call()
    host = float(os.environ.get(HOST_ENV_VAR) or 1.0)
    factor = _slowdowns().get(case.get("technique") or case.get("subject"), 1.0)
    seconds = dict.fromkeys(calls, YARDSTICK_SECONDS)
    seconds["case"] = YARDSTICK_SECONDS * RATIO * host * factor
    return {name: [value] * rounds for name, value in seconds.items()}
