"""What an instrument decided about one case: one :class:`Verdict`, whichever instrument.

The wall clock and the cost mode both end in a Verdict: a :class:`Status`,
the reason in words a person can act on, and the figures behind it, as
numbers. The plugin fails a test for a FAILED verdict and nothing else.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["Status", "Verdict"]


class Status(enum.Enum):
    PASSED = "passed"
    FAILED = "failed"
    #: Faster or cheaper than its reference by more than the threshold: passed, and worth
    #: re-recording the reference.
    IMPROVED = "improved"
    #: No decision was made; the reason says why (never a pass on unconfirmed evidence).
    NOT_JUDGED = "not judged"
    RECORDED = "recorded"


@dataclass(frozen=True)
class Verdict:
    """One case's verdict: its status, why, and the figures (ratios, counts, p-values)."""

    key: str
    status: Status
    reason: str = ""
    #: The change against the reference (current over reference), when one was measured.
    change: float | None = None
    figures: Mapping[str, float | None] = field(default_factory=dict)
    #: A line worth saying of a case that passed (a stored figure that does not reproduce).
    note: str = ""

    @property
    def failed(self) -> bool:
        return self.status is Status.FAILED
