"""Helpers for testing techniques: a plain reference and a telling comparison."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from recolor._validation import validate_request

__all__ = ["assert_image_equal", "reference_recolor"]


def reference_recolor(
    image: npt.NDArray[np.uint8], old: Any, new: Any, *, tolerance: Any = 0
) -> npt.NDArray[np.uint8]:
    """The plainest correct answer, to check the techniques against.

    It says "within tolerance" as ``|pixel - old| <= tolerance`` in wide
    integers, a different formulation from the techniques' clipped bounds,
    so a mistake in either shows up as a difference.
    """
    request = validate_request(image, old, new, tolerance)
    distance = np.abs(request.pixels.astype(np.int32) - np.array(request.old, dtype=np.int32))
    match = np.all(distance <= np.array(request.tolerance, dtype=np.int32), axis=-1)
    out = np.where(match[..., np.newaxis], np.array(request.new, dtype=np.uint8), request.pixels)
    return np.ascontiguousarray(out.reshape(request.shape))


def assert_image_equal(actual: npt.NDArray[Any], expected: npt.NDArray[Any]) -> None:
    """Fail, saying how many pixels differ and where, unless the images are equal.

    Shapes and dtypes are compared first, then the pixels.
    """
    __tracebackhide__ = True
    if actual.shape != expected.shape:
        raise AssertionError(f"shapes differ: got {actual.shape}, expected {expected.shape}")
    if actual.dtype != expected.dtype:
        raise AssertionError(f"dtypes differ: got {actual.dtype}, expected {expected.dtype}")
    differs = actual != expected
    if actual.ndim == 3:
        differs = differs.any(axis=-1)
    count = int(np.count_nonzero(differs))
    if count:
        rows, columns = np.nonzero(differs)
        first = (int(rows[0]), int(columns[0]))
        raise AssertionError(
            f"{count} of {differs.size} pixels differ; the first at (row, column) {first}: "
            f"got {actual[first].tolist()}, expected {expected[first].tolist()}; "
            f"differing rows {rows.min()}..{rows.max()}, columns {columns.min()}..{columns.max()}"
        )
