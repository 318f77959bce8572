"""Hypothesis strategies for recolor's inputs: shapes, memory layouts, colours."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

CHANNEL_SHAPES = [(), (1,), (3,), (4,)]


class Example(NamedTuple):
    image: npt.NDArray[np.uint8]
    old: Any
    new: Any
    tolerance: Any


def _layout(draw: st.DrawFn, base: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    layout = draw(st.sampled_from(["c", "fortran", "strided", "flipped", "planar", "read-only"]))
    if layout == "fortran":
        return np.asfortranarray(base)
    if layout == "strided":
        return np.repeat(np.repeat(base, 2, axis=0), 3, axis=1)[::2, ::3]
    if layout == "flipped":
        return base[::-1, ::-1]
    if layout == "planar" and base.ndim == 3:
        return np.moveaxis(np.ascontiguousarray(np.moveaxis(base, -1, 0)), 0, -1)
    if layout == "read-only":
        base = base.copy()
        base.flags.writeable = False
    return base


def _colour(draw: st.DrawFn, channels: int, bare: bool) -> Any:
    values = draw(st.lists(st.integers(0, 255), min_size=channels, max_size=channels))
    return values[0] if bare else tuple(values)


@st.composite
def examples(draw: st.DrawFn, max_side: int = 12) -> Example:
    """An image with a colour drawn from its own pixels, so that matches happen."""
    channel_shape = draw(st.sampled_from(CHANNEL_SHAPES))
    channels = channel_shape[0] if channel_shape else 1
    shape = (draw(st.integers(1, max_side)), draw(st.integers(1, max_side)), *channel_shape)
    # A small palette makes exact matches and near misses common.
    palette = draw(st.lists(st.integers(0, 255), min_size=1, max_size=4))
    base = draw(hnp.arrays(np.uint8, shape, elements=st.sampled_from(palette)))
    pixels = base.reshape(shape[0], shape[1], channels)
    row, column = draw(st.integers(0, shape[0] - 1)), draw(st.integers(0, shape[1] - 1))
    old = tuple(int(v) for v in pixels[row, column])
    bare = channels == 1 and draw(st.booleans())
    if bare:
        old_value: Any = old[0]
    else:
        old_value = old
    new = _colour(draw, channels, bare)
    if draw(st.booleans()):
        tolerance: Any = draw(st.integers(0, 255) | st.sampled_from([0, 1, 254, 255]))
    else:
        tolerance = tuple(draw(st.lists(st.integers(0, 255), min_size=channels, max_size=channels)))
    return Example(_layout(draw, base), old_value, new, tolerance)
