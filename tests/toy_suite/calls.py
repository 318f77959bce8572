"""The toy suite's worker side: a case becomes calls on a list of numbers."""

from __future__ import annotations

import contextlib
import io
import os
import random
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

#: TOY_SLOWDOWN="sorted=3" makes a subject that many times slower, as the suite's own gate test.
SLOWDOWN_ENV_VAR = "TOY_SLOWDOWN"
THREADS_ENV_VAR = "TOY_THREADS"
SUBJECTS: dict[str, Callable[[list[int]], Any]] = {
    "copy": list,
    "sorted": sorted,
    "sorted_reversed": lambda numbers: sorted(numbers, reverse=True),
}


def numbers(size: int) -> list[int]:
    return random.Random(size).sample(range(size * 10), size)


def slowdowns() -> dict[str, float]:
    spec = os.environ.get(SLOWDOWN_ENV_VAR, "")
    pairs = (item.partition("=") for item in spec.split(",") if item.strip())
    return {name.strip(): float(factor) for name, _, factor in pairs}


def call_for(spec: Mapping[str, Any], values: list[int]) -> Callable[[], Any]:
    func = SUBJECTS[spec["subject"]]
    factor = slowdowns().get(spec["subject"])
    if factor is None:
        return lambda: func(values)

    def slow() -> Any:
        start = time.perf_counter()
        result = func(values)
        deadline = time.perf_counter() + (factor - 1) * (time.perf_counter() - start)
        while time.perf_counter() < deadline:
            pass
        return result

    return slow


def worker_calls(
    spec: Mapping[str, Any], payload: io.BufferedIOBase, *, against_reference: bool
) -> dict[str, Callable[[], Any]]:
    values = [int(word) for word in payload.read().split()]
    return {"yardstick": lambda: list(values), "case": call_for(spec, values)}


def worker_threads(spec: Mapping[str, Any]) -> contextlib.AbstractContextManager[None]:
    return contextlib.nullcontext()


def counted_call(spec: Mapping[str, Any]) -> Callable[[], Any]:
    return call_for(spec, numbers(spec["size"]))


def measured_file() -> str:
    return __file__


def versions() -> dict[str, str | None]:
    return {"toy": "1", "python": ".".join(map(str, sys.version_info[:3]))}
