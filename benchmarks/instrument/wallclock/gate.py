"""The regression gate's steps: measure in fresh processes, then ask the decisions.

The rules are :mod:`benchmarks.instrument.wallclock.decision`'s, which takes
numbers and returns comparisons; this module only starts the worker
processes each step needs (:mod:`benchmarks.instrument.wallclock.measure`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from benchmarks.instrument import gitref
from benchmarks.instrument.adapter import Case, Suite
from benchmarks.instrument.wallclock import decision
from benchmarks.instrument.wallclock.decision import Comparison, Judgement
from benchmarks.instrument.wallclock.measure import Measurement, measure_in_workers, run_worker
from benchmarks.instrument.wallclock.storage import CaseBaseline

__all__ = ["compare_side_by_side", "judge"]


def judge(
    suite: Suite,
    case: Case,
    baseline: CaseBaseline,
    *,
    against: str = "the baseline",
    across: bool = False,
    commit_tree: Callable[[str], Path] | None = None,
) -> Judgement:
    """Screen ``case`` against its baseline in one process, confirm a suspect in more, and
    confirm a confirmed one against the code the baseline measured.

    A stored figure may not reproduce on this host or with these versions, for
    the same code: so a case that the stored figure says got slower is measured
    side by side with the baseline's own commit (``commit_tree`` checks it out),
    and fails only if this tree is slower than that commit measured here.
    Without ``commit_tree``, a confirmed change against the stored figure decides.
    """
    facts = suite.facts(case)
    decided = decision.check_baseline(case, facts, baseline)
    if decided is not None:
        return decided
    stored = baseline.yardstick_seconds or ()
    reference_name = suite.about.reference_name
    measurement = run_worker(suite, facts.measured_as)
    screened = decision.screen(case, facts, baseline, measurement, against=against)
    problem = decision.problem(facts, [measurement], stored, reference_name)
    if problem is not None:
        return Judgement(case, screened, not_judged=problem)
    if not screened.regressed:
        return Judgement(case, screened)
    measured = facts.measured_as
    measurements = measure_in_workers(suite, [measured], decision.WORKERS)[measured.key]
    confirmed = decision.confirm(
        case, facts, baseline, measurements, against=against, across=across
    )
    problem = decision.problem(facts, measurements, stored, reference_name)
    if problem is not None:
        return Judgement(case, screened, not_judged=problem)
    if not confirmed.regressed or commit_tree is None:
        return Judgement(case, screened, confirmed)
    unconfirmable = decision.unconfirmable(baseline.commit, gitref.has_commit)
    if unconfirmable is not None:
        return Judgement(case, screened, confirmed, not_judged=unconfirmable)
    assert baseline.commit is not None
    try:
        root = commit_tree(baseline.commit)
    except gitref.GitRefError as error:
        return Judgement(case, screened, confirmed, not_judged=f"{decision.UNCONFIRMED}: {error}")
    beside = compare_side_by_side(
        suite, case, root=root, against=f"its baseline's commit {baseline.commit[:9]}"
    )
    return Judgement(case, screened, confirmed, against_commit=beside)


def compare_side_by_side(
    suite: Suite,
    case: Case,
    *,
    against: str,
    root: Path | None = None,
    interpreter: str | None = None,
) -> Comparison:
    """This tree, here, against another side measured beside it in alternating fresh processes.

    The other side is another tree (``root``, a git worktree of REF) or this
    tree under another interpreter (``interpreter``, another environment).
    A suspect is measured once more with as many processes a side, and
    judged on all of them.
    """
    facts = suite.facts(case)
    measured = facts.measured_as
    current: list[Measurement] = []
    reference: list[Measurement] = []
    verdict: Comparison | None = None
    here = functools.partial(run_worker, suite, measured)
    there = functools.partial(run_worker, suite, measured, root=root, interpreter=interpreter)
    for _ in range(2):  # the second time only for a suspect
        for index in range(decision.AB_PROCESSES):
            # ABBA: neither side always goes first into a drifting machine.
            sides = [(current, here), (reference, there)]
            for measurements, run in sides if index % 2 == 0 else reversed(sides):
                measurements.append(run())
        verdict = decision.compare(
            case,
            facts,
            current,
            reference,
            against=against,
            reference_name=suite.about.reference_name,
        )
        if verdict.not_judged is not None or not verdict.regressed:
            return verdict
    assert verdict is not None
    return verdict
