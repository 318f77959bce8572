"""Hypothesis strategies for recolor's inputs: shapes, memory layouts, colours."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from hypothesis import strategies as st


def _colour(draw: st.DrawFn, channels: int, bare: bool) -> Any:
    values = draw(st.lists(st.integers(0, 255), min_size=channels, max_size=channels))
    return values[0] if bare else tuple(values)


class View(NamedTuple):
    """A view numpy can make of a flat buffer, and how it was made (for a failing example)."""

    array: npt.NDArray[np.uint8]
    recipe: str

    def __repr__(self) -> str:  # what a falsifying example shows: the recipe, not the pixels
        return f"View({self.recipe})"


@st.composite
def strided_views(
    draw: st.DrawFn,
    shape: tuple[int, ...],
    *,
    values: list[int] | None = None,
    writable: bool | None = None,
) -> View:
    """An array of ``shape`` that is a view of a larger flat buffer, in any layout.

    The buffer holds a block of the view's pixels spaced by a step of -3..3
    (not 0) along rows and along columns, in C or Fortran order, with each
    row (or column, in Fortran order) padded by 0 to 7 bytes, at an offset
    of 0 to 7 bytes from the buffer's start (so words are unaligned), and
    read-only or writable. The pixels are drawn from ``values`` (a small
    palette makes matches common) or from 0..255.
    """
    row_step = draw(st.integers(1, 3)) * draw(st.sampled_from([1, -1]))
    column_step = draw(st.integers(1, 3)) * draw(st.sampled_from([1, -1]))
    order = draw(st.sampled_from("CF"))
    padding = draw(st.integers(0, 7))
    offset = draw(st.integers(0, 7))
    if writable is None:
        writable = draw(st.booleans())
    block = (shape[0] * abs(row_step), shape[1] * abs(column_step), *shape[2:])
    channels = shape[2] if len(shape) == 3 else 1
    if order == "C":  # pixels along a row, rows one after the other, each padded
        row_bytes = block[1] * channels + padding
        strides: tuple[int, ...] = (row_bytes, channels, 1)
        size = block[0] * row_bytes
    else:  # down a column, columns padded, the channel axis slowest
        column_bytes = block[0] + padding
        strides = (1, column_bytes, column_bytes * block[1])
        size = column_bytes * block[1] * channels
    seed = draw(st.integers(0, 2**32 - 1))
    palette = np.array(values if values is not None else range(256), dtype=np.uint8)
    buffer = np.random.default_rng(seed).choice(palette, size=offset + size)
    base = np.ndarray(block, np.uint8, buffer, offset, strides[: len(block)])
    view = base[:: 1 if row_step > 0 else -1, :: 1 if column_step > 0 else -1]
    view = view[:: abs(row_step), :: abs(column_step)]
    assert view.shape == shape, (view.shape, shape)
    if not writable:
        view.flags.writeable = False
    recipe = (
        f"shape {shape}, order {order}, steps ({row_step}, {column_step}), rows padded by "
        f"{padding} bytes, offset {offset}, {'writable' if writable else 'read-only'}: "
        f"strides {view.strides}"
    )
    return View(view, recipe)


@st.composite
def contiguous_views(draw: st.DrawFn, shape: tuple[int, ...]) -> View:
    """A writable C-contiguous array of ``shape`` at an offset of 0 to 7 bytes in its buffer."""
    offset = draw(st.integers(0, 7))
    size = int(np.prod(shape))
    array = np.frombuffer(bytearray(offset + size), np.uint8, size, offset).reshape(shape)
    return View(array, f"shape {shape}, C-contiguous, offset {offset}, writable")


def outs(shape: tuple[int, ...]) -> st.SearchStrategy[View]:
    """An ``out`` argument: as often one recolor takes (C-contiguous) as any view at all."""
    return contiguous_views(shape) | strided_views(shape)


class Example(NamedTuple):
    image: View
    old: Any
    new: Any
    tolerance: Any


@st.composite
def examples(draw: st.DrawFn, max_side: int = 48) -> Example:
    """An image in any layout, 2-D or with 1 to 4 channels, and a colour found in it.

    Two channels are not an image recolor takes: such examples test the refusal.
    """
    channel_shape = draw(st.sampled_from([(4,), (3,), (), (1,), (2,)]))
    channels = channel_shape[0] if channel_shape else 1
    # Small sides and large ones equally often: a strategy of one range would
    # favour its small end, and rarely reach the paths of images over 4 KiB.
    side = st.integers(1, 8) | st.integers(max_side // 2, max_side)
    shape = (draw(side), draw(side), *channel_shape)
    # A palette of two or three values makes matches common, and wrong reads visible.
    palette = draw(st.lists(st.integers(0, 255), min_size=2, max_size=3, unique=True))
    image = draw(strided_views(shape, values=palette))
    pixels = image.array.reshape(shape[0], shape[1], channels)
    row, column = draw(st.integers(0, shape[0] - 1)), draw(st.integers(0, shape[1] - 1))
    old = tuple(int(v) for v in pixels[row, column])
    bare = channels == 1 and draw(st.booleans())  # a bare int, for one channel only
    new = _colour(draw, channels, bare)
    tolerance: Any = 0
    if draw(st.booleans()):
        one = st.integers(0, 3) | st.integers(0, 255)
        per_channel = st.lists(one, min_size=channels, max_size=channels).map(tuple)
        tolerance = draw(one | per_channel)
    return Example(image, old[0] if bare else old, new, tolerance)
