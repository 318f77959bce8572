"""Pixels as one machine word each, for the exact-match fast paths."""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from recolor.core.validation import Request

__all__ = ["PackedPixels", "packed_colours", "packed_words"]

# One unsigned word per pixel, by channel count; 3 channels have no such word.
# dtype instances, not types: a view takes them without a conversion.
_WORD_DTYPES: dict[int, np.dtype[Any]] = {1: np.dtype(np.uint8), 4: np.dtype(np.uint32)}


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
    colours go through the same view as the pixels, so byte order never
    matters.
    """
    colours = packed_colours(request)
    if colours is None:
        return None
    pixels = request.pixels
    if not pixels.flags.c_contiguous:  # a crop's rows may be apart; its pixels may not
        strides = pixels.strides
        if strides[2] != 1 or strides[1] != pixels.shape[2]:
            pixels = np.ascontiguousarray(pixels)
    old, new = colours
    return PackedPixels._make((pixels.view(old.dtype), old, new))


def packed_colours(request: Request) -> tuple[Any, Any] | None:
    """``old`` and ``new`` as 0-d arrays of one word each, or None (see :func:`packed_words`).

    The words' dtype is the one to view C-contiguous pixels with.
    """
    old, new = request.old, request.new
    if len(old) not in _WORD_DTYPES or request.lower != request.upper:
        return None
    # Both colours from one cache, and no keywords: this runs on every call.
    global _last_words
    last = _last_words
    if last is None or old is not last[0] or new is not last[1]:
        last = _last_words = (old, new, *_words(old, new))
    return last[2], last[3]


# The last colours packed, by identity: validation hands the same tuples over
# call after call, and an identity test costs half the cache's lookup.
_last_words: tuple[Any, Any, Any, Any] | None = None


@functools.lru_cache(maxsize=1024)
def _words(old: tuple[int, ...], new: tuple[int, ...]) -> tuple[Any, Any]:
    """``old`` and ``new`` as one word each, through the pixels' view (so any byte order)."""
    both = np.frombuffer(bytes(old + new), dtype=_WORD_DTYPES[len(old)])
    return both[0:1].reshape(()), both[1:2].reshape(())
