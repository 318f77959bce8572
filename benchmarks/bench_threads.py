"""Each multithreaded technique on one thread and on every core, side by side.

The CPU column of the summary shows how many cores each really occupies:
the original experiment's noisy-neighbour point.
"""

from __future__ import annotations

import pytest

from benchmarks.cases import Case, thread_cases
from benchmarks.instrument.base import CaseRunner

pytestmark = pytest.mark.benchmark(max_time=0.25)


@pytest.mark.parametrize("case", thread_cases(), ids=lambda case: case.key)
def test_threads(race: CaseRunner, case: Case) -> None:
    race.run(case)
