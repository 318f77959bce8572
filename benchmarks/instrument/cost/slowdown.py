"""Making a technique slower in the cost mode, by work that a count sees.

``RECOLOR_BENCH_SLOWDOWN=name=1.05`` busy-waits in the wall-clock suite, but
a busy-wait is time, not work: under callgrind it would count as whatever
the wait loop happened to execute. In the cost mode the same variable adds
deterministic work after each call instead: ``factor - 1`` times the case's
reference cost (the baseline's, or the other side's in a comparison), as
units of a small filler whose own cost is counted once per session. The
reference cost is proportional to the image, so the extra work is too.
"""

from __future__ import annotations

import numpy as np

#: One unit of filler: a pass over a buffer that stays in the L1 cache, so
#: that its cost is instructions, the same wherever it runs.
FILLER_BYTES = 4096
#: Units the session counts to learn one unit's cost.
CALIBRATION_UNITS = 1000

_SCRATCH = np.zeros(FILLER_BYTES, dtype=np.uint8)


def filler(units: int) -> None:
    """``units`` passes of deterministic work."""
    for _ in range(units):
        np.bitwise_xor(_SCRATCH, 1, out=_SCRATCH)


def filler_units(factor: float, reference_cycles: int, unit_cycles: float) -> int:
    """The filler units that make a call of ``reference_cycles`` cost ``factor`` times as much."""
    return max(0, round((factor - 1) * reference_cycles / unit_cycles))
