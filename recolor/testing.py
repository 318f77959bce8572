"""Helpers for testing techniques: a plain reference, a telling comparison, a skip."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from recolor.core.registry import Technique

__all__ = ["assert_image_equal", "reference_recolor", "require_available"]


def reference_recolor(
    image: npt.NDArray[np.uint8], old: Any, new: Any, *, tolerance: Any = 0
) -> npt.NDArray[np.uint8]:
    """The plainest correct answer, to check the techniques against.

    It reads its arguments on its own, not through the techniques' validation,
    so a mistake there (a bare int, a tolerance broadcast, 2-D as 3-D) shows
    up as a difference. It says "within tolerance" as
    ``|pixel - old| <= tolerance`` in signed integers, a different formulation
    from the techniques' clipped bounds. It assumes valid arguments: the
    refusal of bad ones is tested on its own.
    """
    pixels = np.asarray(image)
    # int16 holds every difference of two uint8 values, at a quarter of int64's memory.
    by_channel = pixels.reshape(pixels.shape[0], pixels.shape[1], -1).astype(np.int16)
    channels = by_channel.shape[2]
    old_values = np.array(old, dtype=np.int16).reshape(-1)
    new_values = np.array(new, dtype=np.int16).reshape(-1)
    tolerances = np.broadcast_to(np.array(tolerance, dtype=np.int16).reshape(-1), (channels,))
    match = np.all(np.abs(by_channel - old_values) <= tolerances, axis=-1)
    out = np.where(match[..., np.newaxis], new_values, by_channel).astype(np.uint8)
    return np.ascontiguousarray(out.reshape(pixels.shape))


def require_available(technique: Technique) -> Technique:
    """``technique``, or skip the running test, saying what to install for it."""
    if not technique.available:
        import pytest  # only tests call this

        pytest.skip(
            f"{technique.name} needs {technique.requires}: "
            f"pip install 'recolor[{technique.requires}]'"
        )
    return technique


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
