"""How the gate measures a case: ratios to its yardstick, each process a fresh one.

:func:`measure_ratios` times the case and its yardstick (benchmarks/yardsticks.py)
in alternating rounds, one ratio per round. :func:`run_worker` does it in a
fresh ``python -m benchmarks.worker``, as pyperf does: what ran before in a
process skews what runs after, and each process has its own luck of memory
layout and core. This module imports no statistics library, so a worker
starts in a fraction of a second.

The worker receives its input image from this process, on stdin after the
request: building the 4096x4096 sample takes longer than measuring it, and
both trees of an A/B comparison then measure the very same pixels.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks.cases import (
    SLOWDOWN_ENV_VAR,
    Case,
    call_for,
    case_threads,
    copy_call,
    image_for,
    yardstick_for,
)
from recolor.timing import time_interleaved

#: Alternating rounds each measurement times, and for interpreted loops.
ROUNDS = 7
LOOP_ROUNDS = 3
#: Each round runs a call often enough to last at least this long;
#: ROUND_SECONDS_ENV_VAR (``--recolor-round-seconds``) changes it, for the
#: gate's own tests, which need speed more than precision.
MIN_ROUND_SECONDS = 0.02
ROUND_SECONDS_ENV_VAR = "RECOLOR_BENCH_ROUND_SECONDS"


def min_round_seconds() -> float:
    value = os.environ.get(ROUND_SECONDS_ENV_VAR, "").strip()
    return float(value) if value else MIN_ROUND_SECONDS


def rounds_for(case: Case) -> int:
    return LOOP_ROUNDS if case.per_pixel_loop else ROUNDS


def measure_ratios(case: Case, *, against_copy: bool = False) -> list[float]:
    """Time ``case`` and its yardstick in alternating rounds; their ratio in each round.

    With ``against_copy``, the yardstick is numpy.copy of the same image, whatever
    the case's own: the "x copy" the tables and the Actions history show.
    """
    yardstick = copy_call(case) if against_copy else yardstick_for(case)
    calls = {"yardstick": yardstick, "case": call_for(case)}
    with case_threads(case):
        timings = time_interleaved(
            calls, rounds=rounds_for(case), min_round_time=min_round_seconds()
        )
    return [
        case_seconds / yardstick_seconds
        for case_seconds, yardstick_seconds in zip(
            timings["case"].samples, timings["yardstick"].samples, strict=True
        )
    ]


def measure_in_workers(cases: Sequence[Case], workers: int) -> dict[str, list[list[float]]]:
    """:func:`measure_ratios` of each case in ``workers`` fresh processes, one list each.

    The processes go case by case (every case's first process, then every
    case's second...), so a passing disturbance spreads over all cases.
    """
    processes: dict[str, list[list[float]]] = {case.key: [] for case in cases}
    for _ in range(workers):
        for case in cases:
            processes[case.key].append(run_worker(case))
    return processes


def run_worker(
    case: Case, *, against_copy: bool = False, recolor_root: Path | None = None
) -> list[float]:
    """:func:`measure_ratios` of ``case`` in a fresh ``python -m benchmarks.worker``.

    ``recolor_root`` is another tree (a git worktree) whose ``recolor`` is
    measured, with this tree's measuring code and this process's image.
    """
    request = {
        "case": case.__dict__,
        "against_copy": against_copy,
        "recolor_root": None if recolor_root is None else str(recolor_root),
    }
    environment = dict(os.environ)
    if recolor_root is not None:
        # RECOLOR_BENCH_SLOWDOWN slows this tree down, never the one it is compared with.
        environment.pop(SLOWDOWN_ENV_VAR, None)
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.worker"],
        input=json.dumps(request).encode() + b"\n" + image_for(case.size).tobytes(),
        capture_output=True,
        check=False,
        cwd=Path(__file__).parent.parent,
        env=environment,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"benchmark worker failed on {case.key}:\n{completed.stderr.decode(errors='replace')}"
        )
    samples: list[float] = json.loads(completed.stdout)
    return samples
