"""The regression gate's decisions, from numbers: is a case slower than its reference?

The figure is the case's time over its yardstick's, in alternating rounds,
always in a fresh process of its own (:mod:`benchmarks.instrument.wallclock.measure`).
Processes differ in their luck of memory layout and core, so the process is
the unit: each gives one median, and the decisions compare process medians
with a one-sided Mann-Whitney U test (``scipy.stats.mannwhitneyu``), never
rounds pooled as if they were independent.

Against a stored baseline (:mod:`benchmarks.instrument.wallclock.storage`):

1. Screen. One process: at most ``SCREEN_FACTOR`` times the luckiest of the
   baseline's processes passes at once.
2. Confirm. A suspect is measured in ``WORKERS`` more processes; it fails when
   the median of their medians is more than ``FAIL_FACTOR`` times the
   baseline's and the test finds them larger (p < ``ALPHA``).

Against a git ref: ``AB_PROCESSES`` processes a side, taken in alternation
(ABBA), with this tree's measuring code on both sides. A case fails when the
change is above ``AB_FACTOR`` and significant; a suspect is measured once
more with as many processes, and judged on all of them, so that one unlucky
side is diluted rather than believed.

Before any of that, the yardstick is checked (:func:`yardstick_problem`,
:func:`floor_fault`): a ratio is only as good as its denominator. A
yardstick that ran far slower than this machine's copy bandwidth, or whose
time spread across the decision's processes by more than the gate can
resolve, or a reading that is physically impossible, leaves the case NOT
JUDGED, with the reason and the figures: never passed, never failed.

Nothing here starts a process: :mod:`benchmarks.instrument.wallclock.gate` measures,
and asks these functions what the measurements mean.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from benchmarks.instrument.adapter import Case, CaseFacts
from benchmarks.instrument.verdict import Status, Verdict
from benchmarks.instrument.wallclock.measure import Measurement
from benchmarks.instrument.wallclock.storage import RECORD_COMMAND, CaseBaseline

#: Above this change against the baseline's luckiest process, a case is
#: measured again.
SCREEN_FACTOR = 1.25
#: A confirmed change against the stored baseline must exceed this factor to
#: fail: above the process-to-process noise of a shared 2-core machine.
FAIL_FACTOR = 1.25
#: A change against a git ref must exceed this factor to fail: side by side,
#: in alternating processes, the noise is smaller.
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
#: A yardstick that copies the image may take at most this many times as long
#: as copying it into a ready buffer (the bandwidth probe). In the workers'
#: environment numpy.copy takes 0.9-1.1x the probe at every size; a heap that
#: gives its pages back and faults them in again on every call made it 11x at
#: 256x256, 4x at 998x998 and 1.7x at 2048x2048 (that one the spread check
#: below catches), and pages mapped afresh at 4096x4096, 2.3x.
YARDSTICK_EXCESS_LIMIT = 3.0
#: The yardstick's seconds per call across the processes of one decision may
#: differ by at most this (slowest over fastest): beyond it, the ratio divides
#: by a yardstick that ran in different modes, which the gate cannot tell from
#: a change of the code. (A yardstick under a microsecond, such as numpy.copy of
#: 64x64 pixels, is mostly call overhead and can spread this far on a busy machine.)
YARDSTICK_SPREAD_LIMIT = 1.5


@dataclass(frozen=True)
class Comparison:
    """One comparison of a case's process medians with a reference's, in numbers and words."""

    case: Case
    facts: CaseFacts
    regressed: bool
    baseline: float  # median of process medians of the case's time over its yardstick's
    current: float
    threshold: float
    p_value: float | None = None
    against: str = "the baseline"
    processes: int = 1
    across_machines: bool = False
    not_judged: str | None = None  # why no decision was made; then regressed is False
    measurements: tuple[Measurement, ...] = ()  # this tree's processes behind ``current``

    @property
    def change(self) -> float:
        return self.current / self.baseline

    def describe(self) -> str:
        if self.not_judged is not None:
            return f"{self.case.key}: not judged: {self.not_judged}"
        p = f", p = {self.p_value:.2g}" if self.p_value is not None else ""
        across = " [across machines]" if self.across_machines else ""
        return (
            f"{self.facts.subject} at {self.case.key} got slower: {self.current:.4g}x its "
            f"{self.facts.yardstick} yardstick, against {self.baseline:.4g}x in "
            f"{self.against}, {self.change:.2f} times, above the threshold of "
            f"{self.threshold:.2f} ({self.processes} fresh processes{p}){across}"
        )


def process_medians(processes: Sequence[Sequence[float]]) -> list[float]:
    return [statistics.median(process) for process in processes]


def _gigabytes(bytes_per_second: float) -> str:
    return f"{bytes_per_second / 1e9:.3g} GB/s"


def yardstick_problem(
    measurements: Sequence[Measurement], stored_seconds: Sequence[float] = ()
) -> str | None:
    """Why these measurements' yardstick cannot carry a verdict, or None when it can.

    ``stored_seconds`` are the yardstick's seconds in the processes the
    measurements are compared with (a baseline's), which must agree too.
    """
    for measurement in measurements:
        excess = measurement.excess
        if excess is not None and excess > YARDSTICK_EXCESS_LIMIT:
            probe = measurement.probe_bytes_per_second
            assert probe is not None
            return (
                f"its yardstick ran {excess:.1f}x as long as copying into a ready buffer "
                f"({_gigabytes(measurement.yardstick_bytes_per_second)} against "
                f"{_gigabytes(probe)}; the limit is {YARDSTICK_EXCESS_LIMIT}x): it paid for "
                "more than the copy, such as pages faulted in afresh on every call"
            )
    seconds = [m.yardstick_seconds for m in measurements] + list(stored_seconds)
    if seconds and max(seconds) / min(seconds) > YARDSTICK_SPREAD_LIMIT:
        return (
            f"its yardstick's time spread {max(seconds) / min(seconds):.2f}x across the "
            f"processes compared ({min(seconds) * 1e6:.4g} to {max(seconds) * 1e6:.4g} us a "
            f"call; the gate resolves {YARDSTICK_SPREAD_LIMIT}x)"
        )
    return None


def floor_fault(facts: CaseFacts, measurement: Measurement, reference_name: str) -> str | None:
    """The measuring fault a measurement against the reference shows, or None when it is possible.

    The case's floor holds against the bandwidth probe (copying the input
    into a ready buffer), the least a correct call must do; the reference
    itself may take longer where it maps fresh pages, and a call that reuses
    its pages may then legitimately read below 1x the reference.
    """
    floor = facts.floor
    over_probe = measurement.ratio * (measurement.excess or 1.0)
    if floor is None or over_probe >= floor:
        return None
    return (
        f"measuring fault: the call took {over_probe:.3g}x as long as copying the input into "
        f"a ready buffer ({measurement.ratio:.3g}x {reference_name}), below the "
        f"{floor:.3g}x that a correct call on {facts.threads} thread(s) can reach"
    )


def measurement_problem(
    facts: CaseFacts, measurement: Measurement, reference_name: str
) -> str | None:
    """Why one measurement against the reference is no result ("x copy"), or None."""
    return yardstick_problem([measurement]) or floor_fault(facts, measurement, reference_name)


def problem(
    facts: CaseFacts,
    measurements: Sequence[Measurement],
    stored_seconds: Sequence[float] = (),
    reference_name: str = "reference",
) -> str | None:
    """Why these measurements of a case cannot carry a verdict, or None when they can."""
    found = yardstick_problem(measurements, stored_seconds)
    if found is None and facts.on_reference:
        for measurement in measurements:
            found = found or floor_fault(facts, measurement, reference_name)
    return found


def baseline_spread(baseline: CaseBaseline) -> float:
    """How far the baseline's processes disagree: slowest median over fastest."""
    medians = process_medians(baseline.processes)
    return max(medians) / min(medians)


def larger_p_value(sample: Sequence[float], reference: Sequence[float]) -> float:
    """One-sided p-value that ``sample`` tends to be larger than ``reference``."""
    if not sample or not reference:
        return 1.0
    # Imported here: scipy.stats takes most of a second, which a run that never compares
    # (a smoke run, the cost mode, every pytest of the tests) need not pay.
    from scipy import stats

    return float(stats.mannwhitneyu(sample, reference, alternative="greater").pvalue)


@dataclass(frozen=True)
class Judgement:
    """The gate's decision against a stored baseline, and the steps that led to it."""

    case: Case
    screen: Comparison | None = None  # the first look, one process
    confirmed: Comparison | None = None  # a suspect measured again
    noisy_baseline: float | None = None  # not judged: the baseline processes' spread
    not_judged: str | None = None  # not judged: the yardstick's problem, in words
    #: A confirmed suspect measured side by side with the baseline's own commit.
    against_commit: Comparison | None = None

    @property
    def verdict(self) -> Comparison | None:
        return self.against_commit or self.confirmed or self.screen

    @property
    def regressed(self) -> bool:
        return self.not_judged is None and self.verdict is not None and self.verdict.regressed

    @property
    def does_not_reproduce(self) -> bool:
        """The stored figure says slower, but the code measured beside its commit is not."""
        return (
            self.confirmed is not None
            and self.confirmed.regressed
            and self.against_commit is not None
            and self.against_commit.not_judged is None
            and not self.against_commit.regressed
        )


#: How a case that the stored figure says is slower, but that cannot be measured
#: beside the code the figure measured, is reported: never failed on that evidence.
UNCONFIRMED = (
    "slower than its stored figure, but not confirmed against the code that figure measured"
)


def unconfirmable(commit: str | None, has_commit: Callable[[str], bool]) -> str | None:
    """Why a stored figure's commit cannot be measured beside this tree, or None when it can."""
    if commit is None:
        return (
            f"{UNCONFIRMED}: the figure names no commit (recorded from a tree with changes, or "
            f"before baselines named one), so it is not failed; re-record it from a clean "
            f"checkout: {RECORD_COMMAND} -k ..."
        )
    if not has_commit(commit):
        return (
            f"{UNCONFIRMED}: its commit {commit[:9]} is not in this clone (a shallow clone?), "
            f"so it is not failed; fetch it with 'git fetch --unshallow' or "
            f"'git fetch origin {commit}', and run again"
        )
    return None


def not_reproduced(judgement: Judgement, differences: Sequence[str], record_command: str) -> str:
    """The note of a case whose stored figure does not reproduce here, though the code holds."""
    assert judgement.confirmed is not None
    assert judgement.against_commit is not None
    causes = "; ".join(differences) if differences else "nothing recorded differs"
    return (
        f"the stored figure does not reproduce here ({judgement.confirmed.change:.2f}x against "
        f"the baseline, {judgement.against_commit.change:.2f}x against its commit measured "
        f"beside it): the host or the versions differ ({causes}); re-record with: "
        f"{record_command} -k {judgement.case.key}"
    )


class BaselineMismatch(Exception):
    """The baseline measured the case another way than the gate does now."""


def check_baseline(case: Case, facts: CaseFacts, baseline: CaseBaseline) -> Judgement | None:
    """What the baseline alone decides: a noisy or faulty one leaves the case unjudged.

    A baseline measured against another yardstick raises BaselineMismatch, with
    the command that re-records it. None when the case is to be measured.
    """
    yardstick = facts.yardstick
    if baseline.yardstick != yardstick:
        raise BaselineMismatch(
            f"{case.key}: the baseline measured it against the {baseline.yardstick} "
            f"yardstick, which is now {yardstick}; re-record it: {RECORD_COMMAND} -k {case.key}"
        )
    spread = baseline_spread(baseline)
    if spread > NOISE_LIMIT:
        return Judgement(case, noisy_baseline=spread)
    stored_problem = yardstick_problem([], baseline.yardstick_seconds or ())
    if stored_problem is not None:
        return Judgement(case, not_judged=f"in the baseline, {stored_problem}")
    return None


def screen(
    case: Case,
    facts: CaseFacts,
    baseline: CaseBaseline,
    measurement: Measurement,
    *,
    against: str = "the baseline",
) -> Comparison:
    """The first look, one process: is the case suspiciously slower than its baseline?"""
    luckiest = min(process_medians(baseline.processes))
    current = measurement.ratio
    return Comparison(
        case,
        facts,
        current / luckiest > SCREEN_FACTOR,
        luckiest,
        current,
        SCREEN_FACTOR,
        None,
        against,
        measurements=(measurement,),
    )


def confirm(
    case: Case,
    facts: CaseFacts,
    baseline: CaseBaseline,
    measurements: Sequence[Measurement],
    *,
    against: str = "the baseline",
    across: bool = False,
) -> Comparison:
    """A suspect's verdict on more processes' medians, against the baseline's."""
    verdict = decide(
        case,
        facts,
        [measurement.ratio for measurement in measurements],
        process_medians(baseline.processes),
        FAIL_FACTOR,
        against,
        across,
    )
    return dataclasses.replace(verdict, measurements=tuple(measurements))


def compare(
    case: Case,
    facts: CaseFacts,
    current: Sequence[Measurement],
    reference: Sequence[Measurement],
    *,
    against: str,
    reference_name: str = "reference",
) -> Comparison:
    """This tree's processes against another side's (REF's tree, another interpreter)."""
    verdict = decide(
        case,
        facts,
        [m.ratio for m in current],
        [m.ratio for m in reference],
        AB_FACTOR,
        against,
        False,
    )
    verdict = dataclasses.replace(verdict, measurements=tuple(current))
    found = problem(facts, [*current, *reference], reference_name=reference_name)
    if found is not None:
        return dataclasses.replace(verdict, regressed=False, not_judged=found)
    return verdict


def decide(
    case: Case,
    facts: CaseFacts,
    medians: Sequence[float],
    reference: Sequence[float],
    factor: float,
    against: str,
    across: bool,
) -> Comparison:
    """Regressed when the median of ``medians`` is above ``factor`` times the reference's, and
    the one-sided test finds them larger."""
    current, baseline = statistics.median(medians), statistics.median(reference)
    p_value = larger_p_value(medians, reference)
    regressed = current / baseline > factor and p_value < ALPHA
    return Comparison(
        case, facts, regressed, baseline, current, factor, p_value, against, len(medians), across
    )


def comparison_verdict(comparison: Comparison) -> Verdict:
    """The verdict of a comparison side by side (with a git ref, with another interpreter)."""
    key = comparison.case.key
    figures = {"change": comparison.change, "p_value": comparison.p_value}
    if comparison.not_judged is not None:
        return Verdict(key, Status.NOT_JUDGED, comparison.not_judged, figures=figures)
    status = Status.FAILED if comparison.regressed else Status.PASSED
    return Verdict(key, status, comparison.describe(), comparison.change, figures)


def judgement_verdict(
    judgement: Judgement, differences: Sequence[str], record_command: str
) -> Verdict:
    """The verdict of a judgement against a stored baseline, its steps' figures kept.

    ``differences`` are what the host and the versions differ in from the
    stored figure's, named in a note when the figure does not reproduce here.
    """
    key = judgement.case.key
    steps = {
        "screen": judgement.screen,
        "confirmed": judgement.confirmed,
        "commit": judgement.against_commit,
    }
    figures: dict[str, float | None] = {}
    for step, comparison in steps.items():
        if comparison is not None:
            figures[f"{step}_change"] = comparison.change
            figures[f"{step}_p_value"] = comparison.p_value
    if judgement.noisy_baseline is not None:
        reason = (
            f"not gated: the baseline's processes disagree by {judgement.noisy_baseline:.2f}x "
            f"(more than {NOISE_LIMIT}); re-record it on a quieter machine: {record_command} -k "
            f"{key}"
        )
        return Verdict(key, Status.NOT_JUDGED, reason, figures=figures)
    if judgement.not_judged is not None:
        return Verdict(key, Status.NOT_JUDGED, judgement.not_judged, figures=figures)
    beside = judgement.against_commit
    if beside is not None and beside.not_judged is not None:
        reason = f"{UNCONFIRMED}: {beside.not_judged}"
        return Verdict(key, Status.NOT_JUDGED, reason, figures=figures)
    last = judgement.verdict
    change = None if last is None else last.change
    if judgement.does_not_reproduce:
        note = not_reproduced(judgement, differences, record_command)
        return Verdict(key, Status.PASSED, change=change, figures=figures, note=note)
    if judgement.regressed:
        assert judgement.confirmed is not None
        reason = judgement.confirmed.describe()
        if beside is not None:
            reason += f"\nconfirmed against the code it measured: {beside.describe()}"
        return Verdict(key, Status.FAILED, reason, change, figures)
    return Verdict(key, Status.PASSED, change=change, figures=figures)
