"""Pixels as rows of bytes and the match's bounds as rows of the same length, for the range paths.

A tolerance, or three channels, leave no word per pixel to compare whole
(:mod:`recolor.core.packing`). What streams instead is a row of bytes: each
byte is compared with the bound of its channel, held in a row of bounds as
long as the pixels' row, so that every step reads consecutive bytes and a
compiler, or numpy, runs it as SIMD code. A byte ``v`` is in its channel's
range when ``uint8(v - lower) <= span`` (``span = upper - lower``): one
subtraction that wraps and one unsigned compare, where ``lower <= v <= upper``
takes two compares.

A pixel matches when all its bytes are in range. With one or four channels,
the bytes' verdicts viewed as one word per pixel say it at once; with three,
each byte looks at its pixel's three verdicts through :attr:`RangeRows.phases`.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from recolor.core.validation import Request

__all__ = ["RangeRows", "range_rows", "word_dtype"]

Bytes = npt.NDArray[np.uint8]

#: One unsigned word per pixel, by channel count; three channels have none.
_WORDS: dict[int, np.dtype[Any]] = {1: np.dtype(np.uint8), 4: np.dtype(np.uint32)}


class RangeRows(NamedTuple):
    """Pixels and the match as rows of bytes, each bound repeated for every pixel of a row."""

    #: (H, W*C): a view of the pixels (rows may be apart), or a copy where channels are not.
    rows: Bytes
    #: The same bytes as one contiguous 1-D view from the first row's start, and the distance
    #: between rows: a compiled kernel indexes it with a stride it knows to be 1, and
    #: vectorises, where the 2-D view's stride is unknown to it.
    flat: Bytes
    row_stride: int
    #: (W*C,): the lower bound, the span (``upper - lower``) and the new colour, per byte.
    lower: Bytes
    span: Bytes
    new: Bytes
    #: (C, W*C): 255 on the bytes that are channel ``k`` of their pixel, else 0.
    phases: Bytes
    channels: int


def word_dtype(channels: int) -> np.dtype[Any] | None:
    """The unsigned word of one pixel of ``channels`` bytes, or None (three channels)."""
    return _WORDS.get(channels)


def range_rows(request: Request) -> RangeRows:
    """The request's pixels and bounds as rows of bytes (see the module's notes)."""
    pixels = request.pixels
    height, width, channels = pixels.shape
    strides = pixels.strides
    row_bytes = width * channels
    if strides[2] != 1 or strides[1] != channels or strides[0] < row_bytes:
        # A pixel's channels apart, or rows reversed or overlapping: copy once.
        pixels = np.ascontiguousarray(pixels)
        strides = pixels.strides
    if strides[0] == row_bytes:
        # Rows one after another: two reshapes, which take 1 us where as_strided's
        # two views take 6, at any size (3% of a 998x998 RGB recolouring).
        rows = pixels.reshape(height, row_bytes)
        flat = rows.reshape(-1)
        rows.flags.writeable = flat.flags.writeable = False
    else:
        as_strided = np.lib.stride_tricks.as_strided
        rows = as_strided(pixels, (height, row_bytes), (strides[0], 1), writeable=False)
        flat = as_strided(pixels, ((height - 1) * strides[0] + row_bytes,), (1,), writeable=False)
    lower, span, new, phases = _patterns(request.lower, request.upper, request.new, width)
    return RangeRows(rows, flat, int(strides[0]), lower, span, new, phases, channels)


@functools.lru_cache(maxsize=64)
def _patterns(
    lower: tuple[int, ...], upper: tuple[int, ...], new: tuple[int, ...], width: int
) -> tuple[Bytes, Bytes, Bytes, Bytes]:
    """The bounds, the new colour and the phases repeated over a row of ``width`` pixels.

    Cached: a loop over images of one size asks for the same rows each call.
    They are read-only, as every caller shares them.
    """
    channels = len(lower)
    low = np.array(lower, dtype=np.uint8)
    span = np.array(upper, dtype=np.uint8) - low
    made = [np.tile(low, width), np.tile(span, width), np.tile(np.array(new, np.uint8), width)]
    phases = np.zeros((channels, width * channels), dtype=np.uint8)
    for channel in range(channels):
        phases[channel, channel::channels] = 255
    for pattern in (*made, phases):
        pattern.flags.writeable = False
    return made[0], made[1], made[2], phases
