"""Every technique's deterministic cost per call: ``python -m pytest --recolor-cost``.

Counted under callgrind at 256x256 and 998x998, interpreted loops at 64x64,
and the tolerance group at 998x998 (benchmarks/cases.py, ``cost_cases``).
Without ``--recolor-cost`` each case runs once, as a smoke test.
"""

from __future__ import annotations

import pytest

from benchmarks.cases import Case, cost_cases
from benchmarks.instrument.base import CaseRunner


@pytest.mark.parametrize("case", cost_cases(), ids=lambda case: case.key)
def test_cost(cost: CaseRunner, case: Case) -> None:
    cost.run(case)
