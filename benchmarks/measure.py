"""How the gate measures a case: each measurement a fresh worker process, under a fixed protocol.

:func:`run_worker` starts ``python -m benchmarks.worker``, as pyperf does:
what ran before in a process skews what runs after, and each process has
its own luck of memory layout and core. The worker times the case, its
yardstick (benchmarks/yardsticks.py) and, for a yardstick that copies the
image, a bandwidth probe, in alternating rounds, under the environment of
benchmarks/instrument/environment.py. This module imports no statistics
library, so a worker starts in a fraction of a second.

The worker receives its input image from this process, on stdin after the
request: building the 4096x4096 sample takes longer than measuring it, and
both trees of an A/B comparison then measure the very same pixels.

:func:`wall_clock_protocol` names what a stored figure was measured by.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from benchmarks.calls import SLOWDOWN_ENV_VAR, THREADS_ENV_VAR, image_for
from benchmarks.cases import LOOP_CONFIRM_SIZE, Case
from benchmarks.instrument import environment, protocol
from benchmarks.instrument.timing import LOOP_ROUNDS, ROUNDS, min_round_seconds

ROOT = Path(__file__).resolve().parent.parent
#: The modules whose code decides what a wall-clock figure is: the worker,
#: this module, the timing loop, the environment, the calls and yardsticks.
WALL_CLOCK_MODULES = tuple(
    ROOT / "benchmarks" / name
    for name in (
        "worker.py",
        "measure.py",
        "calls.py",
        "yardsticks.py",
        "instrument/timing.py",
        "instrument/environment.py",
    )
)


@dataclass(frozen=True)
class Measurement:
    """What one worker process measured of one case."""

    ratios: tuple[float, ...]  # the case's time over its yardstick's, round by round
    yardstick_seconds: float  # median seconds per yardstick call
    probe_seconds: float | None  # median seconds per bandwidth probe call, if it copies
    copy_bytes: int  # bytes one copy of the image reads and writes
    recolor_file: str = ""  # the recolor package the worker measured

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    @property
    def yardstick_bytes_per_second(self) -> float:
        return self.copy_bytes / self.yardstick_seconds

    @property
    def probe_bytes_per_second(self) -> float | None:
        return None if self.probe_seconds is None else self.copy_bytes / self.probe_seconds

    @property
    def excess(self) -> float | None:
        """The yardstick's time over the bandwidth probe's: about 1 for a healthy copy."""
        return None if self.probe_seconds is None else self.yardstick_seconds / self.probe_seconds


def rounds_for(case: Case) -> int:
    return LOOP_ROUNDS if case.per_pixel_loop else ROUNDS


def wall_clock_protocol() -> dict[str, Any]:
    """This tree's wall-clock protocol: its measuring code and settings, in this environment."""
    return _protocol(min_round_seconds(), os.environ.get(THREADS_ENV_VAR) or "all cores")


@cache
def _protocol(round_seconds: float, threads: str) -> dict[str, Any]:
    settings = {
        "allocator": environment.allocator_control(),
        "rounds": ROUNDS,
        "loop_rounds": LOOP_ROUNDS,
        "loop_confirm_size": LOOP_CONFIRM_SIZE,
        "min_round_seconds": round_seconds,
        "threads": threads,
    }
    return protocol.protocol(ROOT, WALL_CLOCK_MODULES, settings)


def measure_in_workers(cases: Sequence[Case], workers: int) -> dict[str, list[Measurement]]:
    """:func:`run_worker` of each case in ``workers`` fresh processes, one measurement each.

    The processes go case by case (every case's first process, then every
    case's second...), so a passing disturbance spreads over all cases.
    """
    processes: dict[str, list[Measurement]] = {case.key: [] for case in cases}
    for _ in range(workers):
        for case in cases:
            processes[case.key].append(run_worker(case))
    return processes


def run_worker(
    case: Case, *, against_copy: bool = False, recolor_root: Path | None = None
) -> Measurement:
    """Measure ``case`` in a fresh ``python -m benchmarks.worker``.

    ``recolor_root`` is another tree (a git worktree) whose ``recolor`` is
    measured, with this tree's measuring code and this process's image.
    """
    request = {
        "case": case.__dict__,
        "against_copy": against_copy,
        "rounds": rounds_for(case),
        "min_round_seconds": min_round_seconds(),
        "recolor_root": None if recolor_root is None else str(recolor_root),
    }
    worker_environment = environment.worker_environment(os.environ)
    if recolor_root is not None:
        # RECOLOR_BENCH_SLOWDOWN slows this tree down, never the one it is compared with.
        worker_environment.pop(SLOWDOWN_ENV_VAR, None)
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.worker"],
        input=json.dumps(request).encode() + b"\n" + image_for(case.size).tobytes(),
        capture_output=True,
        check=False,
        cwd=ROOT,
        env=worker_environment,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"benchmark worker failed on {case.key}:\n{completed.stderr.decode(errors='replace')}"
        )
    return measurement_of(json.loads(completed.stdout))


def measurement_of(output: dict[str, Any]) -> Measurement:
    """A :class:`Measurement` from a worker's JSON."""
    case, yardstick, probe = output["case"], output["yardstick"], output.get("probe")
    return Measurement(
        ratios=tuple(c / y for c, y in zip(case, yardstick, strict=True)),
        yardstick_seconds=statistics.median(yardstick),
        probe_seconds=statistics.median(probe) if probe else None,
        copy_bytes=output["copy_bytes"],
        recolor_file=output.get("recolor_file", ""),
    )
