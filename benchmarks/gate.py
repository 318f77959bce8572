"""The regression gate's decision: is a case slower than its reference?

The figure is the case's time over its yardstick's, in alternating rounds,
always in a fresh process of its own (benchmarks/measure.py). Processes
differ in their luck of memory layout and core, so the process is the unit:
each gives one median, and the decisions compare process medians with a
one-sided Mann-Whitney U test (``scipy.stats.mannwhitneyu``), never rounds
pooled as if they were independent.

Against this machine's stored baseline (benchmarks/baselines.py):

1. Screen. One process: at most ``SCREEN_FACTOR`` times the luckiest of the
   baseline's processes passes at once.
2. Confirm. A suspect is measured in ``WORKERS`` more processes; it fails when
   the median of their medians is more than ``FAIL_FACTOR`` times the
   baseline's and the test finds them larger (p < ``ALPHA``).

Against a git ref (``--recolor-compare REF``): ``AB_PROCESSES`` processes a
side, taken in alternation (ABBA), with this tree's measuring code on both
sides. A case fails when the change is above ``AB_FACTOR`` and significant;
a suspect is measured once more with as many processes, and judged on all
of them, so that one unlucky side is diluted rather than believed.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scipy import stats

from benchmarks.baselines import RECORD_COMMAND, CaseBaseline
from benchmarks.cases import Case
from benchmarks.measure import measure_in_workers, run_worker
from benchmarks.yardsticks import yardstick_name

#: Above this change against the baseline's luckiest process, a case is
#: measured again.
SCREEN_FACTOR = 1.25
#: A confirmed change against the stored baseline must exceed this factor to
#: fail. Measured noise on a shared 2-core machine: README, "The regression gate".
FAIL_FACTOR = 1.25
#: A change against a git ref, measured side by side, must exceed this factor
#: to fail: README, "Against a git ref".
AB_FACTOR = 1.10
#: A case whose baseline processes disagree by more than this (slowest
#: process median over fastest) is too noisy here to gate at FAIL_FACTOR:
#: it is reported, not judged.
NOISE_LIMIT = 1.5
#: Significance level of the one-sided Mann-Whitney U test on process medians.
ALPHA = 0.01
#: Fresh processes a confirmation uses, a baseline recording, and each side of
#: a comparison with a git ref (5 against 5 can reach p = 1/252).
WORKERS = 4
RECORD_WORKERS = 5
AB_PROCESSES = 5


@dataclass(frozen=True)
class Verdict:
    """What the gate decided about one case, in words a person can act on."""

    case: Case
    regressed: bool
    baseline: float  # median of process medians of the case's time over its yardstick's
    current: float
    threshold: float
    p_value: float | None = None
    against: str = "the baseline"
    processes: int = 1
    across_machines: bool = False

    @property
    def change(self) -> float:
        return self.current / self.baseline

    def describe(self) -> str:
        p = f", p = {self.p_value:.2g}" if self.p_value is not None else ""
        across = " [across machines]" if self.across_machines else ""
        return (
            f"{self.case.technique} at {self.case.key} got slower: {self.current:.4g}x its "
            f"{yardstick_name(self.case.technique)} yardstick, against {self.baseline:.4g}x in "
            f"{self.against}, {self.change:.2f} times, above the threshold of "
            f"{self.threshold:.2f} ({self.processes} fresh processes{p}){across}"
        )


def process_medians(processes: Sequence[Sequence[float]]) -> list[float]:
    return [statistics.median(process) for process in processes]


def baseline_spread(baseline: CaseBaseline) -> float:
    """How far the baseline's processes disagree: slowest median over fastest."""
    medians = process_medians(baseline.processes)
    return max(medians) / min(medians)


def larger_p_value(sample: Sequence[float], reference: Sequence[float]) -> float:
    """One-sided p-value that ``sample`` tends to be larger than ``reference``."""
    if not sample or not reference:
        return 1.0
    return float(stats.mannwhitneyu(sample, reference, alternative="greater").pvalue)


@dataclass(frozen=True)
class Judgement:
    """The gate's decision against a stored baseline, and the steps that led to it."""

    case: Case
    screen: Verdict | None = None  # the first look, one process
    confirmed: Verdict | None = None  # a suspect measured again
    noisy_baseline: float | None = None  # not judged: the baseline processes' spread

    @property
    def verdict(self) -> Verdict | None:
        return self.confirmed or self.screen

    @property
    def regressed(self) -> bool:
        return self.verdict is not None and self.verdict.regressed


class BaselineMismatch(Exception):
    """The baseline measured the case another way than the gate does now."""


def judge(
    case: Case, baseline: CaseBaseline, *, against: str = "the baseline", across: bool = False
) -> Judgement:
    """Screen ``case`` against its baseline, and confirm a suspect; see the module's docstring.

    A case whose baseline processes disagree by more than ``NOISE_LIMIT`` is not
    judged (gating it would fail on noise). A baseline measured against another
    yardstick raises BaselineMismatch, with the command that re-records it.
    """
    yardstick = yardstick_name(case.technique)
    if baseline.yardstick != yardstick:
        raise BaselineMismatch(
            f"{case.key}: the baseline measured it against the {baseline.yardstick} "
            f"yardstick, which is now {yardstick}; re-record it: {RECORD_COMMAND} -k {case.key}"
        )
    spread = baseline_spread(baseline)
    if spread > NOISE_LIMIT:
        return Judgement(case, noisy_baseline=spread)
    screened = screen(case, baseline, against=against)
    if not screened.regressed:
        return Judgement(case, screened)
    return Judgement(case, screened, confirm(case, baseline, against=against, across=across))


def screen(case: Case, baseline: CaseBaseline, *, against: str = "the baseline") -> Verdict:
    """The first look, one fresh process: is the case suspiciously slower than its baseline?"""
    luckiest = min(process_medians(baseline.processes))
    current = statistics.median(run_worker(case.confirm_case()))
    return Verdict(
        case, current / luckiest > SCREEN_FACTOR, luckiest, current, SCREEN_FACTOR, None, against
    )


def confirm(
    case: Case, baseline: CaseBaseline, *, against: str = "the baseline", across: bool = False
) -> Verdict:
    """Measure a suspect again in fresh processes and decide on their medians."""
    reference = process_medians(baseline.processes)
    measured = case.confirm_case()
    medians = process_medians(measure_in_workers([measured], WORKERS)[measured.key])
    return _decide(case, medians, reference, FAIL_FACTOR, against, across)


def compare_with_ref(case: Case, ref_root: Path, *, against: str) -> Verdict:
    """This tree against REF's, side by side in alternating fresh processes."""
    measured = case.confirm_case()
    current: list[float] = []
    reference: list[float] = []
    verdict: Verdict | None = None
    for _ in range(2):  # the second time only for a suspect
        for index in range(AB_PROCESSES):
            # ABBA: neither side always goes first into a drifting machine.
            sides = [(current, None), (reference, ref_root)]
            for medians, root in sides if index % 2 == 0 else reversed(sides):
                medians.append(statistics.median(run_worker(measured, recolor_root=root)))
        verdict = _decide(case, current, reference, AB_FACTOR, against, False)
        if not verdict.regressed:
            return verdict
    assert verdict is not None
    return verdict


def _decide(
    case: Case,
    medians: Sequence[float],
    reference: Sequence[float],
    factor: float,
    against: str,
    across: bool,
) -> Verdict:
    current, baseline = statistics.median(medians), statistics.median(reference)
    p_value = larger_p_value(medians, reference)
    regressed = current / baseline > factor and p_value < ALPHA
    return Verdict(
        case, regressed, baseline, current, factor, p_value, against, len(medians), across
    )
