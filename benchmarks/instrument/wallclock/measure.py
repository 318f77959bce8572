"""How the gate measures a case: each measurement a fresh worker process, under a fixed protocol.

Each starts ``python -m benchmarks.instrument.wallclock.worker``, as
pyperf does: what ran before in a process skews what runs after, and each
process has its own luck of memory layout and core. The worker times the
case, its yardstick and, for a yardstick that copies the input, a bandwidth
probe, in alternating rounds, under the environment of
:mod:`benchmarks.instrument.wallclock.environment`. This module imports no statistics
library, so a worker starts in a fraction of a second.

The worker receives its input from this process, on stdin after the
request (the adapter's ``payload``): building a large input takes longer
than measuring it, and both trees of an A/B comparison then measure the
very same bytes.

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

from benchmarks.instrument import protocol
from benchmarks.instrument.adapter import Case, Suite
from benchmarks.instrument.wallclock import environment
from benchmarks.instrument.wallclock.timing import (
    LOOP_ROUNDS,
    ROUNDS,
    min_round_seconds,
    source_name,
)

#: The folder the instrument's package is imported from: workers start there.
ROOT = Path(__file__).resolve().parents[len(__name__.split(".")) - 1]
_WORKER = f"{__name__.rpartition('.')[0]}.worker"
#: The instrument's modules whose code decides what a wall-clock figure is: the
#: worker, this module, the timing loop and the environment. The suite's
#: calls and yardsticks join them (the suite's ``About.protocol_files``).
WALL_CLOCK_MODULES = tuple(
    Path(__file__).with_name(name)
    for name in ("worker.py", "measure.py", "timing.py", "environment.py")
)


@dataclass(frozen=True)
class Measurement:
    """What one worker process measured of one case."""

    ratios: tuple[float, ...]  # the case's time over its yardstick's, round by round
    yardstick_seconds: float  # median seconds per yardstick call
    probe_seconds: float | None  # median seconds per bandwidth probe call, if it copies
    copy_bytes: int  # bytes one copy of the image reads and writes
    measured_file: str = ""  # the package the worker measured

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


def wall_clock_protocol(suite: Suite) -> dict[str, Any]:
    """This tree's wall-clock protocol: its measuring code and settings, in this environment."""
    about = suite.about
    return _protocol(
        min_round_seconds(),
        source_name(),
        os.environ.get(about.threads_env_var) or "all cores",
        tuple(about.protocol_files),
        json.dumps(dict(about.protocol_settings), sort_keys=True),
    )


@cache
def _protocol(
    round_seconds: float,
    source: str,
    threads: str,
    suite_files: tuple[Path, ...],
    suite_settings: str,
) -> dict[str, Any]:
    settings = {
        **json.loads(suite_settings),
        "allocator": environment.allocator_control(),
        "rounds": ROUNDS,
        "loop_rounds": LOOP_ROUNDS,
        "min_round_seconds": round_seconds,
        "threads": threads,
        "source": source,
    }
    return protocol.protocol(ROOT, (*WALL_CLOCK_MODULES, *suite_files), settings)


def measure_in_workers(
    suite: Suite, cases: Sequence[Case], workers: int
) -> dict[str, list[Measurement]]:
    """:func:`run_worker` of each case in ``workers`` fresh processes, one measurement each.

    The processes go case by case (every case's first process, then every
    case's second...), so a passing disturbance spreads over all cases.
    """
    processes: dict[str, list[Measurement]] = {case.key: [] for case in cases}
    for _ in range(workers):
        for case in cases:
            processes[case.key].append(run_worker(suite, case))
    return processes


def run_worker(
    suite: Suite,
    case: Case,
    *,
    against_reference: bool = False,
    root: Path | None = None,
    interpreter: str | None = None,
) -> Measurement:
    """Measure ``case`` in a fresh ``python -m benchmarks.instrument.wallclock.worker``.

    ``root`` is another tree (a git worktree) whose package is measured,
    with this tree's measuring code and this process's input.
    ``interpreter`` is another Python (another virtual environment, with
    other versions of the libraries) that runs the worker on this tree.
    """
    facts = suite.facts(case)
    payload = suite.payload(case)
    request = {
        "worker_module": suite.about.worker_module,
        "case": dict(facts.spec),
        "against_reference": against_reference,
        "rounds": LOOP_ROUNDS if facts.slow else ROUNDS,
        "min_round_seconds": min_round_seconds(),
        "root": None if root is None else str(root),
        "copy_bytes": 2 * len(payload),
    }
    worker_environment = environment.worker_environment(os.environ)
    if root is not None or interpreter is not None:
        # The slowdown slows this side down, never the one it is compared with.
        worker_environment.pop(suite.about.slowdown_env_var, None)
    completed = subprocess.run(
        [interpreter or sys.executable, "-m", _WORKER],
        input=json.dumps(request).encode() + b"\n" + payload,
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
        measured_file=output.get("measured_file", ""),
    )
