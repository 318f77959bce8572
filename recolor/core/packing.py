"""Pixels as one machine word each, for the exact-match fast paths."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from recolor.core.validation import Request

__all__ = ["PackedPixels", "packed_words"]


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
    pixels = request.pixels
    if not pixels.flags.c_contiguous:  # a crop's rows may be apart; its pixels may not
        strides = pixels.strides
        if strides[2] != 1 or strides[1] != pixels.shape[2]:
            pixels = np.ascontiguousarray(pixels)
    old, new = words
    return PackedPixels._make((pixels.view(old.dtype), old, new))
