"""What the parent process checks of a case: that it can run here, and what it must return.

Kept apart from benchmarks/calls.py, whose code is part of the measuring
protocol: these checks never run in a worker and never change a figure.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import numpy.typing as npt

import recolor
from benchmarks.calls import image_for
from benchmarks.cases import COPY, NEW, OLD, Case
from recolor.testing import reference_recolor, require_available


@cache
def expected_for(size: int, tolerance: int, channels: int = 4) -> npt.NDArray[np.uint8]:
    """The reference result of the case's input, for the parent's check of every result."""
    old, new = OLD[:channels], NEW[:channels]
    return reference_recolor(image_for(size, channels), old, new, tolerance=tolerance)


def skip_unless_available(case: Case) -> None:
    """Skip the running test, saying what to install, when the case's technique cannot run."""
    if case.technique != COPY:
        require_available(recolor.TECHNIQUES[case.technique])
