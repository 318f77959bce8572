"""Pixels as one machine word each, for the exact-match fast paths."""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from recolor._validation import Request

__all__ = ["PackedPixels", "packed_words"]

# One unsigned word per pixel, by channel count; 3 channels have no such word.
_WORD_DTYPES: dict[int, type[np.unsignedinteger[Any]]] = {1: np.uint8, 4: np.uint32}


class PackedPixels(NamedTuple):
    """Pixels and colours as one unsigned word per pixel."""

    words: npt.NDArray[np.unsignedinteger[Any]]
    old: np.unsignedinteger[Any]
    new: np.unsignedinteger[Any]


def packed_words(request: Request) -> PackedPixels | None:
    """View the pixels as an (H, W) array of one word each, for exact matches.

    Returns None when there is no such view: a tolerance (words cannot be
    compared channel by channel) or 3 channels. Pixels whose channels are
    not adjacent in memory are copied to a C-contiguous buffer first. The
    colours go through the same view as the pixels, so byte order never
    matters.
    """
    word_dtype = _WORD_DTYPES.get(request.channels)
    if word_dtype is None or not request.exact:
        return None
    pixels = request.pixels
    if pixels.strides[2] != 1 or pixels.strides[1] != pixels.shape[2]:
        pixels = np.ascontiguousarray(pixels)
    return PackedPixels(
        words=pixels.view(word_dtype)[:, :, 0],
        old=_word(request.old),
        new=_word(request.new),
    )


@functools.lru_cache(maxsize=1024)
def _word(colour: tuple[int, ...]) -> Any:
    """``colour`` as one word, through the same view as the pixels (so any byte order)."""
    return np.frombuffer(bytes(colour), dtype=_WORD_DTYPES[len(colour)])[0]
