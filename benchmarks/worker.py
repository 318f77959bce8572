"""A fresh process that times cases against their yardsticks: ``python -m benchmarks.worker``.

It reads a JSON list of cases on stdin and writes, for each case key, the
per-round ratios "case time / yardstick time", the two timed in alternating
rounds so that a machine slowing down mid-run slows both alike.
"""

from __future__ import annotations

import contextlib
import json
import sys

import recolor
from benchmarks.cases import Case, call_for, yardstick_for
from benchmarks.gate import LOOP_ROUNDS, ROUNDS
from recolor.timing import time_interleaved


def ratios(case: Case) -> list[float]:
    # Without a thread count of its own, a case runs with the session's:
    # RECOLOR_THREADS, inherited from the pytest process.
    with recolor.thread_limit(case.threads) if case.threads else contextlib.nullcontext():
        timings = time_interleaved(
            {"yardstick": yardstick_for(case), "case": call_for(case)},
            rounds=LOOP_ROUNDS if case.per_pixel_loop else ROUNDS,
            min_round_time=0.02,
        )
    return [
        case_seconds / yardstick_seconds
        for case_seconds, yardstick_seconds in zip(
            timings["case"].samples, timings["yardstick"].samples, strict=True
        )
    ]


def main() -> None:
    cases = [Case(**fields) for fields in json.load(sys.stdin)]
    json.dump({case.key: ratios(case) for case in cases}, sys.stdout)


if __name__ == "__main__":
    main()
