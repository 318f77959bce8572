"""The cost bisection: the first costlier commit, found in log2(n) + 2 counts, skips never blamed."""

from __future__ import annotations

import math
import shutil
import subprocess
import sys

import pytest

from benchmarks.cases import Case
from benchmarks.instrument.cost import bisect, callgrind
from tests.project import ScratchRepository

CASE = Case("numpy_packed", 256)


def _fake_history(monkeypatch: pytest.MonkeyPatch, costs: list[int | None]) -> list[str]:
    """Commits c0 (good) .. c{n}, whose counts are ``costs``; None cannot be counted."""
    commits = [f"c{index}" for index in range(len(costs))]
    monkeypatch.setattr(bisect.gitref, "first_parent_commits", lambda good, bad: commits[1:])
    return commits


@pytest.mark.parametrize("first_bad", [1, 5, 11, 15])
def test_the_first_costlier_commit_is_found_in_log2_plus_two_counts(
    monkeypatch: pytest.MonkeyPatch, first_bad: int
) -> None:
    costs = [1000] * first_bad + [1060] * (16 - first_bad)
    commits = _fake_history(monkeypatch, costs)
    counted: list[str] = []

    def count(case: Case, commit: str) -> int | None:
        counted.append(commit)
        return costs[commits.index(commit)]

    found = bisect.bisect(CASE, "c0", "c15", count=count)
    assert isinstance(found, bisect.Bisection)
    assert found.first_bad == f"c{first_bad}"
    assert found.last_good == f"c{first_bad - 1}"
    assert (found.cycles_good, found.cycles_bad) == (1000, 1060)
    assert found.counted == len(counted) <= math.log2(16) + 2


def test_a_commit_that_cannot_be_counted_is_skipped_not_blamed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    costs: list[int | None] = [1000] * 7 + [None, None] + [1060] * 7
    commits = _fake_history(monkeypatch, costs)
    found = bisect.bisect(CASE, "c0", "c15", count=lambda case, c: costs[commits.index(c)])
    assert isinstance(found, bisect.Bisection)
    assert found.first_bad == "c9"
    assert found.last_good == "c6"  # the skipped c7 and c8 lie between: never blamed
    assert set(found.skipped) <= {"c7", "c8"}


def test_a_range_without_a_rise_names_no_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    costs = [1000] * 16
    commits = _fake_history(monkeypatch, costs)
    found = bisect.bisect(CASE, "c0", "c15", count=lambda case, c: costs[commits.index(c)])
    assert isinstance(found, str)
    assert "no commit to blame" in found


@pytest.mark.skipif(callgrind.missing_tools() is not None, reason=str(callgrind.missing_tools()))
def test_bisection_names_the_commit_of_an_extra_pass_among_sixteen(
    pytester: pytest.Pytester,
) -> None:
    if shutil.which("git") is None:
        pytest.skip("needs git")
    repository = ScratchRepository(pytester.path)
    root, commit = repository.root, repository.commit
    good = commit("base")
    notes = root / "NOTES.txt"
    colors = root / "recolor" / "core" / "colors.py"
    for index in range(1, 16):
        notes.write_text(f"step {index}\n")
        if index == 6:  # a commit that does not build
            colors.write_text(colors.read_text() + "\nthis is not python\n")
        if index == 7:
            colors.write_text(colors.read_text().replace("\nthis is not python\n", ""))
        if index == 11:
            repository.add_a_pass()
        commit(f"step {index}" + (" adds a pass" if index == 11 else ""))
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.instrument.cost.bisect", good, CASE.key],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        env={**_environment(), "PYTHONPATH": str(root)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "first costlier commit:" in done.stdout
    assert "step 11 adds a pass" in done.stdout.splitlines()[0]
    counted = int(done.stdout.split(" commits counted")[0].rsplit(None, 1)[-1])
    assert counted <= math.log2(16) + 2
    assert "equal" in done.stdout.split("where the instructions changed", 1)[1].splitlines()[1]


def _environment() -> dict[str, str]:
    import os

    return {name: value for name, value in os.environ.items() if name != "RECOLOR_BENCH_SLOWDOWN"}


def test_a_case_key_that_names_no_case_is_refused() -> None:
    with pytest.raises(ValueError, match="a case key is SIZExSIZE-technique"):
        Case.from_key("256-numpy_packed")
