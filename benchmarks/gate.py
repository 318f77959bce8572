"""The regression gate: is a case slower than the committed baseline?

The decision, for each case (see README, "The regression gate"):

The figure compared is :func:`measure_ratios`: the case and its yardstick
(benchmarks/yardsticks.py) timed in alternating rounds, one ratio per round,
always in a fresh process of its own (``python -m benchmarks.worker``), as
pyperf does: what ran before in a process skews what runs after (numba's
OpenMP threads spin on after a parallel loop, the allocator keeps state),
and each process has its own luck of memory layout and core.
The baseline holds those ratios from ``RECORD_WORKERS`` processes.

1. Screen. One process: when its median ratio is at most ``SCREEN_FACTOR``
   times the luckiest of the baseline's processes, the case passes at once.
   Against the luckiest, so that a slower case measured in a lucky process
   is still caught; that is most cases on an unchanged tree.
2. Confirm. A suspect is measured again in ``WORKERS`` more processes.
   Their pooled ratios are compared with the baseline's by a one-sided
   Mann-Whitney U test on the raw samples (asv's test). The case fails only
   when the change is both significant (p < ``ALPHA``) and its median is
   more than ``FAIL_FACTOR`` times the baseline's.

Dividing by a yardstick that leans on the same resource as the case makes
the figures portable between machines and moods of one machine; the factor
absorbs what it does not; confirming in fresh processes keeps one unlucky
process from failing a run.
"""

from __future__ import annotations

import json
import math
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.cases import Case, call_for, case_threads, yardstick_for
from benchmarks.yardsticks import yardstick_name
from recolor._atomic import atomic_write
from recolor.timing import time_interleaved

#: Above this change against the baseline's luckiest process, a case is
#: measured again.
SCREEN_FACTOR = 1.25
#: A confirmed change must exceed this factor to fail. Measured noise on a
#: shared 2-core machine: README, "The regression gate".
FAIL_FACTOR = 1.25
#: A case whose baseline processes disagree by more than this (slowest
#: process median over fastest) is too noisy here to gate at FAIL_FACTOR:
#: it is reported, not judged.
NOISE_LIMIT = 1.5
#: Significance level of the one-sided Mann-Whitney U test.
ALPHA = 0.01
#: Fresh processes a confirmation uses, and a baseline recording.
WORKERS = 4
RECORD_WORKERS = 5
#: Alternating rounds each measurement times, and for interpreted loops.
ROUNDS = 7
LOOP_ROUNDS = 3

BASELINE_FORMAT = 1
DEFAULT_BASELINE = Path(__file__).with_name("baseline.json")
RECORD_COMMAND = "python -m pytest --benchmark-only --recolor-record-baseline"


class BaselineError(Exception):
    """The baseline file cannot be used; the message says what to do."""


class BaselineMissing(BaselineError):
    """There is no baseline file: the gate has nothing to compare with."""


@dataclass(frozen=True)
class Verdict:
    """What the gate decided about one case, in words a person can act on."""

    case: Case
    regressed: bool
    baseline: float  # median of the case's time over its yardstick's, per round
    current: float
    threshold: float
    p_value: float | None = None

    @property
    def change(self) -> float:
        return self.current / self.baseline

    def describe(self) -> str:
        how = "confirmed in fresh processes" if self.p_value is not None else "first measurement"
        p = f", p = {self.p_value:.2g}" if self.p_value is not None else ""
        yardstick = yardstick_name(self.case.technique)
        return (
            f"{self.case.technique} at {self.case.key} got slower: {self.current:.4g}x its "
            f"{yardstick} yardstick against the baseline's {self.baseline:.4g}x, "
            f"{self.change:.2f} times the baseline, above the threshold of "
            f"{self.threshold:.2f} ({how}{p})"
        )


# ----------------------------------------------------------------- baseline


def load_baseline(path: Path) -> dict[str, Any]:
    """The baseline's cases by key; BaselineError with advice when it is unusable."""
    if not path.exists():
        raise BaselineMissing(
            f"no benchmark baseline at {path}, so nothing was compared. Record one on this "
            f"machine with: {RECORD_COMMAND}"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if (
            not isinstance(data, dict)
            or data.get("format") != BASELINE_FORMAT
            or not isinstance(data.get("cases"), dict)
        ):
            raise ValueError(f"expected format {BASELINE_FORMAT} with a 'cases' table")
    except (OSError, ValueError) as error:
        raise BaselineError(
            f"the benchmark baseline {path} is unreadable ({error}). Restore it with "
            f"'git checkout -- {path.name}' or re-record it with: {RECORD_COMMAND}"
        ) from error
    cases: dict[str, Any] = data["cases"]
    return cases


def write_baseline(path: Path, cases: dict[str, Any], machine: dict[str, Any]) -> None:
    """Write the baseline atomically, merging into the cases already there."""
    try:
        existing = load_baseline(path)
    except BaselineError:
        existing = {}
    data = {
        "format": BASELINE_FORMAT,
        "recorded_with": RECORD_COMMAND,
        "machine": machine,
        "cases": dict(sorted({**existing, **cases}.items())),
    }
    text = json.dumps(data, indent=1) + "\n"
    atomic_write(path, lambda file: file.write(text.encode("utf-8")))


# ----------------------------------------------------------------- decision


def screen(case: Case, baseline_case: dict[str, Any]) -> Verdict:
    """The first look, in this process: is the case suspiciously slower than its baseline?"""
    confirm_case = case.confirm_case()
    baseline = min(process_medians(baseline_case["samples"], rounds_for(confirm_case)))
    current = statistics.median(measure_in_workers([confirm_case], workers=1)[confirm_case.key])
    return Verdict(case, current / baseline > SCREEN_FACTOR, baseline, current, SCREEN_FACTOR)


def baseline_spread(case: Case, baseline_case: dict[str, Any]) -> float:
    """How far the baseline's processes disagree: slowest median over fastest."""
    medians = process_medians(baseline_case["samples"], rounds_for(case.confirm_case()))
    return max(medians) / min(medians)


def rounds_for(case: Case) -> int:
    return LOOP_ROUNDS if case.per_pixel_loop else ROUNDS


def process_medians(samples: Sequence[float], rounds: int) -> list[float]:
    """The median of each process's rounds: the samples come ``rounds`` at a time."""
    return [
        statistics.median(samples[start : start + rounds])
        for start in range(0, len(samples), rounds)
    ]


def confirm(case: Case, baseline_case: dict[str, Any]) -> Verdict:
    """Measure a suspect again in fresh processes and decide."""
    baseline_samples = [float(s) for s in baseline_case["samples"]]
    confirm_case = case.confirm_case()
    samples = measure_in_workers([confirm_case])[confirm_case.key]
    baseline = statistics.median(baseline_samples)
    current = statistics.median(samples)
    p_value = mann_whitney_greater(samples, baseline_samples)
    regressed = current / baseline > FAIL_FACTOR and p_value < ALPHA
    return Verdict(case, regressed, baseline, current, FAIL_FACTOR, p_value)


def measure_ratios(case: Case) -> list[float]:
    """Time ``case`` and its yardstick in alternating rounds; their ratio in each round."""
    calls = {"yardstick": yardstick_for(case), "case": call_for(case)}
    with case_threads(case):
        timings = time_interleaved(calls, rounds=rounds_for(case), min_round_time=0.02)
    return [
        case_seconds / yardstick_seconds
        for case_seconds, yardstick_seconds in zip(
            timings["case"].samples, timings["yardstick"].samples, strict=True
        )
    ]


def mann_whitney_greater(sample: Sequence[float], reference: Sequence[float]) -> float:
    """One-sided p-value that ``sample`` tends to be larger than ``reference``.

    The Mann-Whitney U test with the normal approximation, corrected for
    ties and continuity, as asv applies it to raw benchmark samples.
    """
    n1, n2 = len(sample), len(reference)
    if n1 == 0 or n2 == 0:
        return 1.0
    pooled = sorted([(value, 0) for value in sample] + [(value, 1) for value in reference])
    ranks = [0.0] * len(pooled)
    tie_term = 0.0
    start = 0
    while start < len(pooled):
        end = start
        while end + 1 < len(pooled) and pooled[end + 1][0] == pooled[start][0]:
            end += 1
        for index in range(start, end + 1):
            ranks[index] = (start + end) / 2 + 1
        tied = end - start + 1
        tie_term += tied**3 - tied
        start = end + 1
    rank_sum = sum(rank for rank, (_, group) in zip(ranks, pooled, strict=True) if group == 0)
    u = rank_sum - n1 * (n1 + 1) / 2
    n = n1 + n2
    variance = n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1)))
    if variance <= 0:
        return 1.0
    z = (u - n1 * n2 / 2 - 0.5) / math.sqrt(variance)
    return 0.5 * math.erfc(z / math.sqrt(2))


# ----------------------------------------------------------------- workers


def measure_in_workers(cases: Sequence[Case], workers: int = WORKERS) -> dict[str, list[float]]:
    """:func:`measure_ratios` of each case in ``workers`` fresh processes, pooled by case key.

    The rounds go case by case (every case's first process, then every
    case's second...), so a passing disturbance spreads over all cases.
    """
    pooled: dict[str, list[float]] = {case.key: [] for case in cases}
    for _ in range(workers):
        for case in cases:
            pooled[case.key] += run_worker(case)
    return pooled


def run_worker(case: Case) -> list[float]:
    """:func:`measure_ratios` of ``case`` in a fresh ``python -m benchmarks.worker``."""
    request = json.dumps(case.__dict__)
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.worker"],
        input=request,
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).parent.parent,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"benchmark worker failed on {case.key}:\n{completed.stderr}")
    samples: list[float] = json.loads(completed.stdout)
    return samples
