"""Techniques built on numpy alone: a per-pixel loop and two vectorised masks."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from recolor.core.packing import packed_words
from recolor.core.registry import register
from recolor.core.rows import RangeRows, range_rows, word_dtype
from recolor.core.validation import Request, validate_request

__all__ = ["numpy_loop", "numpy_mask", "numpy_packed"]

# The rows numpy_packed's range path works on at a time: its temporaries stay in
# the CPU's cache between passes.
_BLOCK_BYTES = 1 << 16
# Up to this many bytes of pixels (1024 RGBA pixels) numpy_packed writes a new
# image by a masked assignment: fewer numpy calls than its branch-free passes,
# which win on larger images.
_FEW_BYTES = 4096


@register(
    "Nested Python loop over the numpy array, one pixel compare at a time",
    per_pixel_loop=True,
)
def numpy_loop(
    image: npt.NDArray[np.uint8],
    old: Any,
    new: Any,
    *,
    tolerance: Any = 0,
    out: Any = None,
) -> npt.NDArray[np.uint8]:
    """Recolour with the original experiment's per-pixel loop over the array.

    {contract}

    Notes
    -----
    Unlike the original, it covers every row and column of the image (the
    original stopped at 988 of 998), indexes ``[row, column]`` and writes to
    a copy.
    """
    request = validate_request(image, old, new, tolerance, out)
    out = np.array(request.pixels, order="C")
    lower = np.array(request.lower, dtype=np.uint8)
    upper = np.array(request.upper, dtype=np.uint8)
    new_pixel = np.array(request.new, dtype=np.uint8)
    rows, columns = out.shape[:2]
    for row in range(rows):
        for column in range(columns):
            pixel = out[row, column]
            if (lower <= pixel).all() and (pixel <= upper).all():
                out[row, column] = new_pixel
    return request.finish(out)


@register("Vectorised numpy: per-channel compare, all(axis=-1) mask, masked assignment")
def numpy_mask(
    image: npt.NDArray[np.uint8],
    old: Any,
    new: Any,
    *,
    tolerance: Any = 0,
    out: Any = None,
) -> npt.NDArray[np.uint8]:
    """Recolour with a boolean mask built by ``all(axis=-1)``.

    {contract}
    """
    request = validate_request(image, old, new, tolerance, out)
    return request.finish(_mask_recolor(request))


@register("Vectorised numpy on one 32-bit word per pixel: branch-free compare and select")
def numpy_packed(
    image: npt.NDArray[np.uint8],
    old: Any,
    new: Any,
    *,
    tolerance: Any = 0,
    out: Any = None,
) -> npt.NDArray[np.uint8]:
    """Recolour comparing each pixel as one machine word.

    {contract}

    Notes
    -----
    The colours are turned into words through the same view as the pixels,
    so byte order never matters. The word view needs each pixel's channels to
    be adjacent in memory; when they are not, the pixels are copied once into
    a contiguous buffer. A tolerance, or 3 channels (no 24-bit word), compare
    rows of bytes against rows of bounds (:mod:`recolor.core.rows`), a block of
    rows at a time so that numpy's passes stay in the cache.
    """
    request = validate_request(image, old, new, tolerance, out)
    colour_words, pixels = request.words, request.pixels
    if colour_words is not None and pixels.size <= _FEW_BYTES:
        # A small image in the fewest numpy calls, as their fixed cost is most of
        # the time: a copy (C-contiguous, whatever the pixels' strides) or out,
        # viewed as words, the new word assigned where they match.
        old_word, new_word = colour_words
        if request.out is None:
            result: npt.NDArray[np.uint8] = pixels.copy()
            result_words = result.view(old_word.dtype)
            result_words[np.equal(result_words, old_word)] = new_word
            return result if pixels is image else result.reshape(request.shape)
        out_pixels = request.out.reshape(pixels.shape)
        if not request.in_place:
            np.copyto(out_pixels, pixels)
        out_words = out_pixels.view(old_word.dtype)
        out_words[np.equal(out_words, old_word)] = new_word
        return request.out
    packed = packed_words(request)
    target = None if request.out is None else request.out_pixels()
    if packed is None:
        result = _recolor_range_rows(range_rows(request), target)
        return request.finish(result) if target is None else request.written_to_out()
    words, old_word, new_word = packed
    # out = words ^ (match * (old ^ new)): four passes that numpy runs as
    # SIMD loops, where np.where or a masked assignment branch on every pixel
    # and are several times slower. The match is widened to a word
    # through uint8: numpy's uint8 -> uint32 cast is vectorised, its bool ->
    # uint32 cast and a compare straight into words (a buffered cast) are not.
    flips = np.equal(words, old_word).view(np.uint8).astype(words.dtype)
    np.multiply(flips, old_word ^ new_word, out=flips)
    # Into out when there is one (in place too: a ufunc reads each word before it writes
    # it). A masked write into the image is no faster here: half the pixels match.
    if target is None:
        np.bitwise_xor(flips, words, out=flips)
        return request.finish(flips.view(np.uint8))
    np.bitwise_xor(flips, words, out=target.view(words.dtype))
    return request.written_to_out()


def _recolor_range_rows(
    rows: RangeRows, target: npt.NDArray[np.uint8] | None
) -> npt.NDArray[np.uint8]:
    """Recolour rows of bytes against rows of bounds (:mod:`recolor.core.rows`), into target.

    A block of rows at a time, small enough that its temporaries stay in the
    CPU's cache between numpy's passes: the pixels are read from memory once
    and the result written once, as by a copy. Each pass is a SIMD loop:
    wrap-around subtract, compare, the pixel's verdict from its bytes, and the
    select ``out = pixels ^ ((pixels ^ new) & match)``, where numpy's
    ``where`` and masked assignment branch on every element.
    """
    height, row_bytes = rows.rows.shape
    out = np.empty((height, row_bytes), np.uint8) if target is None else target
    out = out.reshape(height, row_bytes)
    step = max(1, _BLOCK_BYTES // row_bytes)
    scratch = np.empty((min(step, height), row_bytes), np.uint8)
    verdicts = np.empty((min(step, height), row_bytes + 4), np.uint8)  # two zeros either side
    verdicts[:, :2] = verdicts[:, -2:] = 0
    word = word_dtype(rows.channels)
    for start in range(0, height, step):
        pixels = rows.rows[start : start + step]
        count = pixels.shape[0]
        work = scratch[:count]
        # Words start at the row's start (aligned); three channels' verdicts need the zeros.
        out_of_range = verdicts[:count, :row_bytes] if word is not None else verdicts[:count, 2:-2]
        np.subtract(pixels, rows.lower, out=work)  # wraps below lower
        np.greater(work, rows.span, out=out_of_range.view(np.bool_))  # 1 where out of range
        if word is not None:
            # A pixel matches when none of its bytes is out: its word is 0.
            match = np.equal(out_of_range.view(word), 0).view(np.uint8).astype(word)
            np.negative(match, out=match)  # 1 -> all ones
            mask = match.view(np.uint8)
        else:
            mask = _three_channel_mask(verdicts[:count], rows.phases, row_bytes)
        np.bitwise_xor(pixels, rows.new, out=work)
        np.bitwise_and(work, mask, out=work)
        np.bitwise_xor(pixels, work, out=out[start : start + count])
    return out


def _three_channel_mask(
    verdicts: npt.NDArray[np.uint8], phases: npt.NDArray[np.uint8], row_bytes: int
) -> npt.NDArray[np.uint8]:
    """255 on every byte of a pixel whose three bytes are all in range, else 0.

    ``verdicts`` holds each byte's 1 (out of range) with two zeros either
    side; byte i is channel k of its pixel where ``phases[k, i]`` is 255, and
    that pixel's bytes are i - k .. i - k + 2.
    """
    np.negative(verdicts, out=verdicts)  # 1 -> 255
    window = verdicts[:, :-2] | verdicts[:, 1:-1]  # bytes j, j+1 (from j = -2)
    window |= verdicts[:, 2:]  # and j+2: window[:, j + 2] covers the pixel starting at j
    out: npt.NDArray[np.uint8] = phases[0] & window[:, 2 : 2 + row_bytes]
    out |= phases[1] & window[:, 1 : 1 + row_bytes]
    out |= phases[2] & window[:, :row_bytes]
    np.bitwise_not(out, out=out)
    return out


def _mask_recolor(request: Request) -> npt.NDArray[np.uint8]:
    pixels = request.pixels
    if request.exact:
        match = np.all(pixels == np.array(request.old, dtype=np.uint8), axis=-1)
    else:
        match = np.all(
            (pixels >= np.array(request.lower, dtype=np.uint8))
            & (pixels <= np.array(request.upper, dtype=np.uint8)),
            axis=-1,
        )
    out = np.array(pixels, order="C")
    out[match] = request.new
    return out
