"""The instrument is generic: a suite of nothing but sorted() runs under it, end to end.

tests/toy_suite is about 150 lines of suite and worker side, and imports
nothing of recolor (an import-linter contract says so). Here it goes through
everything recolor's suite goes through: a baseline recorded, judged, a
slowdown failed and confirmed against the commit it measured, an A/B with a
git ref, and the cost mode under callgrind.
"""

from __future__ import annotations

import json
import shutil

import pytest

from benchmarks.instrument.cost.callgrind import missing_tools
from tests.deterministic_source import SLOWDOWN_NAME_ENV_VAR, SOURCE, SOURCE_ENV_VAR
from tests.project import ScratchRepository

BENCH = """
import pytest
from tests.toy_suite.adapter import Case, cases, cost_cases

@pytest.mark.parametrize("case", cases(), ids=lambda case: case.key)
def test_toy(race, case):
    race.run(case)

@pytest.mark.parametrize("case", cost_cases(), ids=lambda case: case.key)
def test_toy_cost(cost, case):
    cost.run(case)
"""


@pytest.fixture
def toy(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> ScratchRepository:
    if shutil.which("git") is None:
        pytest.skip("needs git")
    repository = ScratchRepository(pytester.path)
    (repository.root / "benchmarks" / "bench_toy.py").write_text(BENCH)
    repository.commit("a toy suite")
    monkeypatch.setenv("PYTHONPATH", str(repository.root))
    monkeypatch.setenv(SOURCE_ENV_VAR, SOURCE)
    monkeypatch.setenv(SLOWDOWN_NAME_ENV_VAR, "TOY_SLOWDOWN")
    monkeypatch.delenv("TOY_SLOWDOWN", raising=False)
    return repository


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "benchmarks/bench_toy.py",
        "-o",
        "benchmark_adapter=tests.toy_suite.adapter",
        "-k",
        "1000",
        "--benchmark-max-time=0.02",
        "--recolor-round-seconds=0.005",
        *args,
    )


def test_a_suite_of_sorting_runs_under_the_instrument_from_record_to_ab(
    pytester: pytest.Pytester, toy: ScratchRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    baseline = toy.root / "toy-baseline.json"
    recorded = _run(pytester, "--benchmark-only", "--recolor-record-baseline",
                    f"--recolor-baseline={baseline}")  # fmt: skip
    recorded.assert_outcomes(passed=3, deselected=4)
    (machine,) = json.loads(baseline.read_text())["machines"].values()
    assert sorted(machine["cases"]) == ["1000-sorted", "1000-sorted_reversed"]
    assert machine["cases"]["1000-sorted"]["commit"] == toy.git("rev-parse", "HEAD")

    _run(pytester, "--benchmark-only", f"--recolor-baseline={baseline}").assert_outcomes(
        passed=3, deselected=4
    )
    monkeypatch.setenv("TOY_SLOWDOWN", "sorted=3")
    slowed = _run(pytester, "--benchmark-only", f"--recolor-baseline={baseline}")
    slowed.assert_outcomes(passed=2, failed=1, deselected=4)
    slowed.stdout.fnmatch_lines(
        [
            "toy benchmarks: gate against this machine's baseline in *toy-baseline.json",
            "sorted at 1000-sorted got slower: 6x its copy yardstick, against 2x in the baseline, "
            "3.00 times*",
            "confirmed against the code it measured: sorted at 1000-sorted got slower: *",
        ]
    )
    compared = _run(pytester, "--benchmark-only", "--recolor-compare=HEAD")
    compared.assert_outcomes(passed=2, failed=1, deselected=4)
    compared.stdout.fnmatch_lines(
        ["sorted at 1000-sorted got slower: 6x its copy yardstick, against 2x in HEAD, 3.00 times*"]
    )


@pytest.mark.skipif(missing_tools() is not None, reason=str(missing_tools()))
def test_the_toy_suite_is_counted_under_callgrind(
    pytester: pytest.Pytester, toy: ScratchRepository
) -> None:
    baseline = toy.root / "toy-cost.json"
    option = f"--recolor-cost-baseline={baseline}"
    _run(pytester, "--recolor-cost", "--recolor-record-cost-baseline", option).assert_outcomes(
        passed=1, deselected=6
    )
    judged = _run(pytester, "--recolor-cost", option)
    judged.assert_outcomes(passed=1, deselected=6)
    judged.stdout.fnmatch_lines(["toy cost mode: judged against *toy-cost.json*",
                                 "  1000-sorted * passed"])  # fmt: skip
