"""Every branch of ``recolor.recolor``'s default choice, taken for real, on padded rows.

Each process starts in one state (nothing loaded, OpenCV imported, numba's
kernels loaded, or both), then calls ``recolor.recolor`` at sizes where the
choice, by this CPU's figures (:mod:`recolor.core.choice_figures`), picks
each technique it can pick. A spy on the registry records the technique
that really ran, and its result is checked against the reference. Every
image is a view whose rows are one byte longer than its pixels, as in a
padded video frame, the layout where a technique once went wrong.
"""

from __future__ import annotations

import json
import math

import pytest

from recolor import TECHNIQUES
from recolor.core import choice
from recolor.core.choice import FIGURES
from tests.processes import fresh_python

#: Run in a fresh interpreter, after the state's set-up (argv[1]); argv[2] is the
#: cases as JSON: [shape, tolerance], in order. Prints what ran, and whether it was right.
SCRIPT = """
import dataclasses, json, sys
import numpy as np
import recolor
import recolor.techniques  # every technique registered, before the spies replace them
from recolor.core import registry
from recolor.testing import reference_recolor

state, cases = sys.argv[1], json.loads(sys.argv[2])
if state in ("opencv", "both"):
    import cv2
if state in ("numba", "both"):
    recolor.numba_serial(np.zeros((1, 1, 4), np.uint8), (0,) * 4, (1,) * 4)
ran = []
for name, technique in list(registry._techniques.items()):
    def spy(*args, _func=technique.func, _name=name, **kwargs):
        ran.append(_name)
        return _func(*args, **kwargs)
    registry._techniques[name] = dataclasses.replace(technique, func=spy)

rng = np.random.default_rng(0)
results = []
for shape, tolerance in cases:
    shape, tolerance = tuple(shape), tuple(tolerance) if isinstance(tolerance, list) else tolerance
    channels = shape[2] if len(shape) == 3 else 1
    row_bytes = shape[1] * channels + 1
    buffer = rng.choice(np.array([0, 3], np.uint8), shape[0] * row_bytes)
    strides = (row_bytes, channels, 1)[: len(shape)]
    image = np.ndarray(shape, np.uint8, buffer, 0, strides)
    old = (0,) * channels if len(shape) == 3 else 0
    new = (5, 3, 192, 255)[:channels] if len(shape) == 3 else 7
    ran.clear()
    result = recolor.recolor(image, old, new, tolerance=tolerance)
    right = np.array_equal(result, reference_recolor(image, old, new, tolerance=tolerance))
    results.append([ran[:], bool(right)])
print(json.dumps(results))
"""


def _side(pixels: float) -> int:
    """The side of the smallest square of at least ``pixels`` pixels."""
    return max(1, math.ceil(math.sqrt(pixels)))


#: Sides where the figures of this CPU change the choice.
TINY = max(1, _side(FIGURES.compiled_min_pixels) - 1)  # below numba's worth
SERIAL = _side(FIGURES.compiled_min_pixels)
PARALLEL = _side(FIGURES.parallel_min_pixels)
LARGE = _side(FIGURES.large_pixels)
assert TINY * TINY < FIGURES.compiled_min_pixels <= SERIAL * SERIAL < FIGURES.parallel_min_pixels

#: OpenCV for an exact match on a large image before it is imported: at once if its
#: import is free by this CPU's figures, else not on a first call.
LARGE_COLD = "opencv_native" if FIGURES.opencv_price_seconds == 0 else "numpy_packed"
LARGE_WITH_NUMBA = (
    "numba_parallel" if FIGURES.parallel_min_pixels <= LARGE * LARGE else "numba_serial"
)

#: (state, shape, tolerance, the technique the choice must run), every branch, in the
#: order a state's process runs them.
BRANCHES = [
    ("cold", (TINY, TINY, 4), 0, "numpy_packed"),
    ("cold", (TINY, TINY), 0, "numpy_packed"),
    ("cold", (LARGE, LARGE, 4), 0, LARGE_COLD),
    ("opencv", (TINY, TINY, 4), 0, "numpy_packed"),
    ("opencv", (LARGE, LARGE, 4), 0, "opencv_native"),
    ("numba", (TINY, TINY, 4), 0, "numpy_packed"),
    ("numba", (SERIAL, SERIAL, 4), 0, "numba_serial"),
    ("numba", (SERIAL, SERIAL), 0, "numba_serial"),
    ("numba", (PARALLEL, PARALLEL, 4), 0, "numba_parallel"),
    ("both", (TINY, TINY, 4), 0, "numpy_packed"),
    ("both", (SERIAL, SERIAL, 4), 0, "numba_serial"),
    ("both", (LARGE, LARGE, 4), 0, LARGE_WITH_NUMBA),
    # Last: OpenCV, once used for a range, is imported, which changes the exact branches.
    # A tolerance or 3 channels: numba's range kernels where they are loaded, else OpenCV.
    *(
        (state, shape, tolerance, "opencv_native" if state in ("cold", "opencv") else technique)
        for state in ("cold", "opencv", "numba", "both")
        for shape, tolerance, technique in [
            ((LARGE, LARGE, 4), (0, 1, 0, 2), LARGE_WITH_NUMBA),
            ((SERIAL, SERIAL, 3), 0, "numba_serial"),
            ((SERIAL, SERIAL), 2, "numba_serial"),
            ((TINY, TINY, 4), 3, "opencv_native"),
        ]
    ),
]
STATES = ["cold", "opencv", "numba", "both"]


def test_every_technique_the_choice_can_pick_has_a_branch_here() -> None:
    # The choice names its techniques in module constants: every one is tested here.
    can_pick = {
        value for value in vars(choice).values() if isinstance(value, str) and value in TECHNIQUES
    }
    assert {technique for *_, technique in BRANCHES} == can_pick


@pytest.mark.parametrize("state", STATES)
def test_each_branch_runs_its_technique_and_is_right_on_padded_rows(state: str) -> None:
    if state in ("numba", "both"):
        pytest.importorskip("numba")
    branches = [branch for branch in BRANCHES if branch[0] == state]
    cases = [[shape, tolerance] for _, shape, tolerance, _ in branches]
    results = json.loads(fresh_python(SCRIPT, state, json.dumps(cases)))
    for (_, shape, tolerance, expected), (ran, right) in zip(branches, results, strict=True):
        assert ran == [expected], f"{state}, {shape}, tolerance {tolerance}: ran {ran}"
        assert right, f"{state}, {shape}, tolerance {tolerance}: {expected} gave wrong pixels"
