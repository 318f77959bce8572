"""The regression gate's steps: measure in fresh processes, then ask the decisions.

The rules are :mod:`benchmarks.instrument.decision`'s, which takes numbers
and returns verdicts; this module only starts the worker processes each
step needs (:mod:`benchmarks.instrument.measure`).
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.instrument import adapter, decision
from benchmarks.instrument.adapter import Case
from benchmarks.instrument.decision import Judgement, Verdict
from benchmarks.instrument.measure import Measurement, measure_in_workers, run_worker
from benchmarks.instrument.storage import CaseBaseline

__all__ = ["compare_with_ref", "judge"]


def judge(
    case: Case, baseline: CaseBaseline, *, against: str = "the baseline", across: bool = False
) -> Judgement:
    """Screen ``case`` against its baseline in one process, and confirm a suspect in more."""
    decided = decision.check_baseline(case, baseline)
    if decided is not None:
        return decided
    stored = baseline.yardstick_seconds or ()
    measured = adapter.current().measured_as(case)
    measurement = run_worker(measured)
    screened = decision.screen(case, baseline, measurement, against=against)
    problem = decision.problem(case, [measurement], stored)
    if problem is not None:
        return Judgement(case, screened, not_judged=problem)
    if not screened.regressed:
        return Judgement(case, screened)
    measurements = measure_in_workers([measured], decision.WORKERS)[measured.key]
    confirmed = decision.confirm(case, baseline, measurements, against=against, across=across)
    problem = decision.problem(case, measurements, stored)
    if problem is not None:
        return Judgement(case, screened, not_judged=problem)
    return Judgement(case, screened, confirmed)


def compare_with_ref(case: Case, ref_root: Path, *, against: str) -> Verdict:
    """This tree against REF's, side by side in alternating fresh processes.

    A suspect is measured once more with as many processes a side, and
    judged on all of them.
    """
    measured = adapter.current().measured_as(case)
    current: list[Measurement] = []
    reference: list[Measurement] = []
    verdict: Verdict | None = None
    for _ in range(2):  # the second time only for a suspect
        for index in range(decision.AB_PROCESSES):
            # ABBA: neither side always goes first into a drifting machine.
            sides: list[tuple[list[Measurement], Path | None]] = [
                (current, None),
                (reference, ref_root),
            ]
            for measurements, root in sides if index % 2 == 0 else reversed(sides):
                measurements.append(run_worker(measured, root=root))
        verdict = decision.compare(case, current, reference, against=against)
        if verdict.not_judged is not None or not verdict.regressed:
            return verdict
    assert verdict is not None
    return verdict
