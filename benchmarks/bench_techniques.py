"""Every technique on the sample portrait at every size, grouped by size.

Each group holds the numpy.copy reference, so every time also reads "x copy".
Interpreted per-pixel loops run only at sizes where a call takes seconds at
most, but always at 998x998, the original experiment's size.
"""

from __future__ import annotations

import pytest

from benchmarks.cases import Case, reference_cases, size_cases
from benchmarks.instrument.base import CaseRunner

# A quarter second of rounds a case for the tables (the gate measures on its
# own, in fresh processes) keeps the whole suite within its 4 minutes.
pytestmark = pytest.mark.benchmark(max_time=0.25)


@pytest.mark.parametrize("case", reference_cases(), ids=lambda case: case.key)
def test_copy_reference(race: CaseRunner, case: Case) -> None:
    race.run(case)


@pytest.mark.parametrize("case", size_cases(), ids=lambda case: case.key)
def test_technique(race: CaseRunner, case: Case) -> None:
    race.run(case)
