"""Pixels as one machine word each, for the exact-match fast paths and numba's 4-channel ranges."""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from recolor.core.validation import Request

__all__ = ["PackedPixels", "RangeWords", "packed_words", "range_words"]


class PackedPixels(NamedTuple):
    """Pixels and colours as one unsigned word per pixel."""

    #: (H, W, 1): the channel axis kept, so a byte view of words has the pixels' shape.
    words: npt.NDArray[np.unsignedinteger[Any]]
    #: 0-d arrays of the words' dtype: a ufunc takes them in 60% of a scalar's time.
    #: Where a scalar is needed (numba's kernels), ``old[()]`` is one.
    old: npt.NDArray[np.unsignedinteger[Any]]
    new: npt.NDArray[np.unsignedinteger[Any]]


def packed_words(request: Request) -> PackedPixels | None:
    """View the pixels as an (H, W, 1) array of one word each, for exact matches.

    Returns None when there is no such view: a tolerance (words cannot be
    compared channel by channel) or 3 channels. Pixels whose channels are
    not adjacent in memory are copied to a C-contiguous buffer first. The
    colours are the request's :attr:`~recolor.core.validation.Request.words`.
    """
    words = request.words
    if words is None:
        return None
    old, new = words
    return PackedPixels._make((_word_view(request.pixels, old.dtype), old, new))


class RangeWords(NamedTuple):
    """4-channel pixels as one uint32 word each, and the range's bounds as words."""

    #: (H, W, 1) uint32, as :attr:`PackedPixels.words`.
    words: npt.NDArray[np.uint32]
    #: Each channel's lower bound and span (``upper - lower``), and the new colour, as one word
    #: each through the pixels' view (so any byte order): numpy uint32 scalars.
    lower: np.uint32
    span: np.uint32
    new: np.uint32


def range_words(request: Request) -> RangeWords | None:
    """View 4-channel pixels as words for a range match (a tolerance); None otherwise.

    A compiled kernel compares the four bytes of a word at once, each with its
    channel's bounds, as byte lanes of one integer (SIMD within a register).
    """
    if request.exact or request.channels != 4:
        return None
    lower, span, new = _range_colour_words(request.lower, request.upper, request.new)
    return RangeWords(_word_view(request.pixels, np.dtype(np.uint32)), lower, span, new)


@functools.lru_cache(maxsize=256)
def _range_colour_words(
    lower: tuple[int, ...], upper: tuple[int, ...], new: tuple[int, ...]
) -> tuple[np.uint32, np.uint32, np.uint32]:
    span = tuple(high - low for low, high in zip(lower, upper, strict=True))
    values = np.frombuffer(bytes(lower + span + new), dtype=np.uint32)
    return values[0], values[1], values[2]


def _word_view(pixels: npt.NDArray[np.uint8], dtype: np.dtype[Any]) -> npt.NDArray[Any]:
    """The (H, W, 1) view of one word per pixel, through a copy if a pixel's channels are apart."""
    if not pixels.flags.c_contiguous:  # a crop's rows may be apart; its pixels may not
        strides = pixels.strides
        if strides[2] != 1 or strides[1] != pixels.shape[2]:
            pixels = np.ascontiguousarray(pixels)
    return pixels.view(dtype)
