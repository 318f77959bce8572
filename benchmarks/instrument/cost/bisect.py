"""The first commit that made a case costlier: ``python -m benchmarks.instrument.cost.bisect``.

``python -m benchmarks.instrument.cost.bisect GOOD CASE [--bad REF] [--threshold PERCENT]``
counts CASE at GOOD and at BAD (HEAD by default), then bisects the first-parent
commits between them: each probed commit is checked out in a temporary worktree
and counted under callgrind by this tree's instrument, as ``--recolor-compare``
does. It prints the first commit whose estimated cycles exceed GOOD's by more
than the threshold, its subject, the counts on both sides of it, and where the
instructions changed (:mod:`benchmarks.instrument.cost.attribution`).

A commit where the case cannot be counted (the package does not import there,
or lacks the case's subject) is skipped, as ``git bisect skip`` does, and never
blamed. A count is deterministic for one toolchain, so each step is a fact and
not a statistical guess: the search needs log2(commits) + 2 counts. Wall-clock
timings cannot promise that; their noise makes every step a test that can err.
Every count of a bisection is made with this process's toolchain, so the
environments (:func:`~benchmarks.instrument.cost.decision.environment_differences`)
never differ between its steps: only the code does.
"""

from __future__ import annotations

import argparse
import functools
import math
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.instrument import adapter, gitref
from benchmarks.instrument.adapter import Case, Suite
from benchmarks.instrument.cost import attribution, callgrind, memo
from benchmarks.instrument.cost.decision import DEFAULT_THRESHOLD

__all__ = ["Bisection", "bisect", "main"]


@dataclass(frozen=True)
class Bisection:
    """The result: the first costlier commit and the last good one before it."""

    first_bad: str
    last_good: str
    cycles_bad: int
    cycles_good: int
    counted: int  # commits counted, GOOD and BAD included
    skipped: tuple[str, ...]  # commits that could not be counted


def subject_of(commit: str) -> str:
    shown = subprocess.run(
        ["git", "show", "-s", "--format=%h %s", commit],
        cwd=gitref.ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return shown.stdout.strip()


def count_at(
    suite: Suite, case: Case, commit: str, *, medians: dict[str, Path] | None = None
) -> int | None:
    """The case's estimated cycles at ``commit``, or None where it cannot be counted there.

    With ``medians``, the count's dumps are kept and its median call's dump goes there:
    the attribution of the first costlier commit reads those rather than counting both
    commits again.
    """
    with gitref.worktree(commit) as root:
        try:
            if suite.not_comparable(case, root, commit) is not None:
                return None
            callgrind.warm_up(suite, [case], root)
            cost, _, median = attribution.count_kept(suite, case, root)
        except (RuntimeError, callgrind.CostError):
            return None
    if medians is None:
        attribution.discard([median])
    else:
        medians[commit] = median
    return cost.estimated_cycles


def bisect(
    case: Case,
    good: str,
    bad: str,
    *,
    count: Callable[[Case, str], int | None],
    threshold: float = DEFAULT_THRESHOLD,
) -> Bisection | str:
    """The first commit in ``good..bad`` above ``threshold`` percent of GOOD's cost, or why none.

    Commits are assumed to stay costlier once one is (a single step in the range).
    """
    cycles_good = count(case, good)
    if cycles_good is None:
        return f"{case.key} cannot be counted at {good}, the good commit"
    commits = gitref.first_parent_commits(good, bad)
    if not commits:
        return f"no commit between {good} and {bad}"
    limit = cycles_good * (1 + threshold / 100)
    known: dict[int, int | None] = {}
    counted = 1

    def cycles(index: int) -> int | None:
        nonlocal counted
        if index not in known:
            known[index] = count(case, commits[index])
            counted += 1
        return known[index]

    last = len(commits) - 1
    cycles_bad = cycles(last)
    if cycles_bad is None:
        return f"{case.key} cannot be counted at {bad}, the bad commit"
    if cycles_bad <= limit:
        return (
            f"{case.key} costs {cycles_bad:,} estimated cycles at {bad}, within {threshold:g}% "
            f"of {good}'s {cycles_good:,}: no commit to blame"
        )
    low, high = -1, last  # low: good (or GOOD itself), high: costlier
    while high - low > 1:
        middle = (low + high) // 2
        probe, value = _countable_near(middle, low, high, cycles)
        if probe is None:
            break  # every commit between low and high is skipped
        if value is not None and value > limit:
            high = probe
        else:
            low = probe
    skipped = tuple(commits[i] for i, value in sorted(known.items()) if value is None)
    good_cycles = cycles_good if low < 0 else known[low]
    assert good_cycles is not None
    return Bisection(
        first_bad=commits[high],
        last_good=good if low < 0 else commits[low],
        cycles_bad=known[high] or cycles_bad,
        cycles_good=good_cycles,
        counted=counted,
        skipped=skipped,
    )


def _countable_near(
    middle: int, low: int, high: int, cycles: Callable[[int], int | None]
) -> tuple[int | None, int | None]:
    """The commit nearest ``middle`` strictly between ``low`` and ``high`` that can be counted."""
    for offset in range(high - low):
        for index in (middle + offset, middle - offset):
            if low < index < high:
                value = cycles(index)
                if value is not None:
                    return index, value
    return None, None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.instrument.cost.bisect",
        description="Find the first commit that made a case costlier, under callgrind.",
    )
    parser.add_argument("good", help="a commit where the case's cost was right")
    parser.add_argument("case", help="the case's key, such as 998x998-numpy_packed")
    parser.add_argument("--bad", default="HEAD", help="a costlier commit (default HEAD)")
    parser.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        help=f"percent over GOOD's estimated cycles (default {DEFAULT_THRESHOLD:g})",
    )
    parser.add_argument(
        "--adapter", default="benchmarks.adapter", help="the suite's adapter module"
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="check the arguments and say how many counts the search takes; count nothing",
    )
    args = parser.parse_args(argv)
    suite = adapter.load(args.adapter)
    problem = callgrind.missing_tools()
    if problem and not args.dry_run:
        parser.error(problem)
    try:
        case = suite.case_for(args.case)
        good = gitref.resolve(args.good, asked_by="GOOD")
        bad = gitref.resolve(args.bad, asked_by="--bad")
    except (ValueError, gitref.GitRefError) as error:
        parser.error(str(error))
    if args.dry_run:
        commits = len(gitref.first_parent_commits(good, bad))
        print(
            f"would search {commits} first-parent commit(s) after {good[:9]} for {case.key}, "
            f"in at most {math.ceil(math.log2(max(commits, 1))) + 2} counts"
            + (f"; but first: {problem}" if problem else "")
        )
        return 0
    medians: dict[str, Path] = {}
    try:
        with memo.once_per_code() as reused:  # a commit that changed no package: no count
            return _bisect_and_explain(suite, case, good, bad, args.threshold, medians, reused)
    finally:
        attribution.discard(medians.values())


def _bisect_and_explain(
    suite: Suite,
    case: Case,
    good: str,
    bad: str,
    threshold: float,
    medians: dict[str, Path],
    reused: memo.Reused,
) -> int:
    count = functools.partial(count_at, suite, medians=medians)
    found = bisect(case, good, bad, count=count, threshold=threshold)
    if isinstance(found, str):
        print(f"bisect: {found}")
        return 1
    change = found.cycles_bad / found.cycles_good
    skipped = ", ".join(commit[:9] for commit in found.skipped)
    same_code = f" ({reused.counts} with the code of one counted before, not counted again)"
    print(
        f"first costlier commit: {subject_of(found.first_bad)}\n"
        f"  {case.key}: {found.cycles_good:,} -> {found.cycles_bad:,} estimated cycles "
        f"({change:.4f}x) against {subject_of(found.last_good)}\n"
        f"  {found.counted} commits counted"
        + (same_code if reused.counts else "")
        + (f", {len(found.skipped)} skipped: {skipped}" if skipped else "")
    )
    explained = attribution.attribute(
        attribution.keep(case, "last-good", medians.pop(found.last_good)),
        attribution.keep(case, "first-bad", medians.pop(found.first_bad)),
    )
    print(
        explained.describe()
        .replace("(this tree)", "(first bad)")
        .replace("(the reference)", "(last good)")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
