"""numba-compiled kernels. Importing this module imports numba.

The loop bodies are written once, as per-row functions inlined into their
callers (``inline="always"``: called, the serial kernel is 1.6x slower at
256x256, since LLVM does not vectorise across the call); the serial and the
parallel kernels differ only in ``range`` against ``prange`` over rows. They
are separate functions (not one compiled twice) because numba's on-disk
cache keys compiled code by function, not by the ``parallel`` flag.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy.typing as npt
from numba.core import types
from numba.extending import intrinsic

__all__ = [
    "compiles_for_avx512",
    "recolor_range_rows_parallel",
    "recolor_range_rows_serial",
    "recolor_words_in_place_flipped_parallel",
    "recolor_words_in_place_flipped_serial",
    "recolor_words_in_place_masked_parallel",
    "recolor_words_in_place_masked_serial",
    "recolor_words_in_place_parallel",
    "recolor_words_in_place_serial",
    "recolor_words_in_range_parallel",
    "recolor_words_in_range_serial",
    "recolor_words_parallel",
    "recolor_words_serial",
]

Array = npt.NDArray[Any]


@numba.njit(cache=True, nogil=True, inline="always")
def _words_row(words: Array, old_word: Any, new_word: Any, out: Array, row: int) -> None:
    for column in range(words.shape[1]):
        word = words[row, column]
        out[row, column] = new_word if word == old_word else word


@numba.njit(cache=True, nogil=True, inline="always")
def _words_row_in_place_masked(words: Array, old_word: Any, new_word: Any, row: int) -> None:
    # Only matches are written. LLVM vectorises this with masked stores: on
    # AVX-512 a k-masked store, as fast as a plain one, and a row without a
    # match stays clean in the cache.
    for column in range(words.shape[1]):
        if words[row, column] == old_word:
            words[row, column] = new_word


@numba.njit(cache=True, nogil=True, inline="always")
def _words_row_in_place_flipped(words: Array, old_word: Any, new_word: Any, row: int) -> None:
    # Every word is stored, flipped where it matches: a store LLVM cannot turn
    # into a masked one. Below AVX-512 a masked store is vpmaskmovd, microcoded
    # and slow on AMD's Zen cores, where the masked kernel ran at 3x a copy.
    flip = old_word ^ new_word
    for column in range(words.shape[1]):
        word = words[row, column]
        words[row, column] = word ^ (flip * (word == old_word))


@numba.njit(cache=True, nogil=True)
def recolor_words_serial(words: Array, old_word: Any, new_word: Any, out: Array) -> None:
    for row in range(words.shape[0]):
        _words_row(words, old_word, new_word, out, row)


@numba.njit(cache=True, nogil=True, parallel=True)
def recolor_words_parallel(words: Array, old_word: Any, new_word: Any, out: Array) -> None:
    for row in numba.prange(words.shape[0]):
        _words_row(words, old_word, new_word, out, row)


@numba.njit(cache=True, nogil=True)
def recolor_words_in_place_masked_serial(words: Array, old_word: Any, new_word: Any) -> None:
    for row in range(words.shape[0]):
        _words_row_in_place_masked(words, old_word, new_word, row)


@numba.njit(cache=True, nogil=True, parallel=True)
def recolor_words_in_place_masked_parallel(words: Array, old_word: Any, new_word: Any) -> None:
    for row in numba.prange(words.shape[0]):
        _words_row_in_place_masked(words, old_word, new_word, row)


@numba.njit(cache=True, nogil=True)
def recolor_words_in_place_flipped_serial(words: Array, old_word: Any, new_word: Any) -> None:
    for row in range(words.shape[0]):
        _words_row_in_place_flipped(words, old_word, new_word, row)


@numba.njit(cache=True, nogil=True, parallel=True)
def recolor_words_in_place_flipped_parallel(words: Array, old_word: Any, new_word: Any) -> None:
    for row in numba.prange(words.shape[0]):
        _words_row_in_place_flipped(words, old_word, new_word, row)


def compiles_for_avx512() -> bool:
    """Whether numba compiles for a CPU with AVX-512 here (the host's, or NUMBA_CPU_NAME's)."""
    import llvmlite.binding as llvm
    from numba.core import config as numba_config

    config: Any = numba_config  # its settings are set at import, untyped
    if config.CPU_NAME is not None:  # compiling for a named CPU: its features as given
        return "+avx512f" in (config.CPU_FEATURES or "")
    return bool(llvm.get_host_cpu_features().get("avx512f"))


#: The in-place kernels for the CPU numba compiles for: masked stores where
#: they are AVX-512's, flipped words below it (the rule, and why, above).
if compiles_for_avx512():
    recolor_words_in_place_serial = recolor_words_in_place_masked_serial
    recolor_words_in_place_parallel = recolor_words_in_place_masked_parallel
else:
    recolor_words_in_place_serial = recolor_words_in_place_flipped_serial
    recolor_words_in_place_parallel = recolor_words_in_place_flipped_parallel


# 4 channels with a tolerance: each pixel's word compared byte by byte as lanes of one
# uint32 (SIMD within a register), in one pass that reads each pixel once and writes it
# once, as a copy does. The loop over words then vectorises in 32-bit lanes. Against
# three passes over rows of bytes (the verdicts, their reduction per pixel, the select),
# this ran at 1.43x numpy.copy where they ran at 2.28x (AMD Zen 3, AVX2, 998x998).
# When every channel's span is below 128 (a tolerance under 64, the photos' case), the
# compare takes fewer steps; the suite's A/B (--recolor-compare) measured the tolerance 8
# cases at 0.79x (one thread) and 0.84x (two) of the general compare's time, same machine.
_HIGH_BITS = 0x80808080  # each byte's top bit
_LOW_BITS = 0x7F7F7F7F  # each byte's other seven


@numba.njit(cache=True, nogil=True, inline="always")
def _distance(word: Any, lower_low: Any, not_lower: Any) -> Any:
    """Per byte, (word - lower) mod 256: the top bits set beforehand keep a borrow from
    crossing into the next byte; the XOR puts each top bit right."""
    high = numba.uint32(_HIGH_BITS)
    return numba.uint32(numba.uint32((word | high) - lower_low) ^ ((word ^ not_lower) & high))


@numba.njit(cache=True, nogil=True, inline="always")
def _words_in_range_row(
    words: Array, lower: Any, span: Any, new: Any, out: Array, row: int
) -> None:
    high = numba.uint32(_HIGH_BITS)
    low_bits = numba.uint32(_LOW_BITS)
    lower_low, not_lower, span_high = lower & low_bits, ~lower, span | high
    for column in range(words.shape[1]):
        word = words[row, column]
        distance = _distance(word, lower_low, not_lower)
        # Per byte, distance <= span, on the top bit: the low seven bits compared by a
        # subtraction that cannot borrow, then the top bits.
        low_compare = numba.uint32(span_high - (distance & low_bits))
        inside = ((span & ~distance) | (~(span ^ distance) & low_compare)) & high
        match = numba.uint32(0) - numba.uint32(inside == high)  # all four bytes: all ones
        out[row, column] = word ^ ((word ^ new) & match)


@numba.njit(cache=True, nogil=True, inline="always")
def _words_in_narrow_range_row(
    words: Array, lower: Any, span: Any, new: Any, out: Array, row: int
) -> None:
    # Every byte's span is below 128: a distance beyond it has its top bit set, or its
    # low seven bits carry into the top bit once 127 - span is added to them.
    high = numba.uint32(_HIGH_BITS)
    low_bits = numba.uint32(_LOW_BITS)
    lower_low, not_lower, limit = lower & low_bits, ~lower, low_bits - span
    for column in range(words.shape[1]):
        word = words[row, column]
        distance = _distance(word, lower_low, not_lower)
        beyond = (numba.uint32((distance & low_bits) + limit) | distance) & high
        match = numba.uint32(0) - numba.uint32(beyond == 0)  # all four bytes: all ones
        out[row, column] = word ^ ((word ^ new) & match)


@numba.njit(cache=True, nogil=True)
def recolor_words_in_range_serial(
    words: Array, lower: Any, span: Any, new: Any, out: Array
) -> None:
    if span & numba.uint32(_HIGH_BITS) == 0:
        for row in range(words.shape[0]):
            _words_in_narrow_range_row(words, lower, span, new, out, row)
    else:
        for row in range(words.shape[0]):
            _words_in_range_row(words, lower, span, new, out, row)


@numba.njit(cache=True, nogil=True, parallel=True)
def recolor_words_in_range_parallel(
    words: Array, lower: Any, span: Any, new: Any, out: Array
) -> None:
    if span & numba.uint32(_HIGH_BITS) == 0:
        for row in numba.prange(words.shape[0]):
            _words_in_narrow_range_row(words, lower, span, new, out, row)
    else:
        for row in numba.prange(words.shape[0]):
            _words_in_range_row(words, lower, span, new, out, row)


def _prefer_512_bit_vectors_typer(typingctx: Any) -> Any:
    """``_prefer_512_bit_vectors()``: the calling function vectorised in 512-bit registers.

    LLVM's tuning for Intel's AVX-512 cores prefers 256-bit vectors (its
    ``prefer-256-bit``: 512-bit instructions slowed the clock of the first
    such cores), and numba has no per-function choice of vector width. The
    function attribute ``"prefer-vector-width"="512"`` overrides the tuning
    for the one function it is on. llvmlite's attribute set takes only
    LLVM's keyword attributes, so this string attribute goes into the set
    directly, where it prints into the IR as written. A CPU without AVX-512
    has no 512-bit vectors to prefer: there the attribute changes nothing.
    """

    def codegen(context: Any, builder: Any, signature: Any, arguments: Any) -> Any:
        set.add(builder.function.attributes, '"prefer-vector-width"="512"')
        return context.get_dummy_value()

    return types.none(), codegen


# Called with no arguments in compiled code (numba passes the typing context).
_prefer_512_bit_vectors: Any = intrinsic(_prefer_512_bit_vectors_typer)


# Rows of bytes against rows of bounds (recolor.core.rows): every loop below reads
# consecutive bytes (or, for 3 channels, pixels of 3 bytes) and has no branch that depends
# on a pixel, so LLVM turns it into vector compares and blends. A byte is out of range
# when uint8(value - lower) > span.
# Each row is passed as its own slice: indexed as flat[row * row_stride + i], the same
# loop ran scalar, 20x slower (LLVM could not bound the access for its alias check).


@numba.njit(cache=True, nogil=True, inline="always")
def _range_row_1(pixels: Array, lower: Array, span: Array, new: Array, out: Array) -> None:
    for i in range(pixels.shape[0]):
        value = pixels[i]
        match = numba.uint8(255) if numba.uint8(value - lower[i]) <= span[i] else numba.uint8(0)
        out[i] = value ^ ((value ^ new[i]) & match)


@numba.njit(cache=True, nogil=True, inline="always")
def _range_row_3(pixels: Array, lower: Array, span: Array, new: Array, out: Array) -> None:
    # A pixel at a time, its three bytes read and written at stride 3: LLVM vectorises
    # such an interleaved group with byte shuffles (vpermt2b on AVX-512 VBMI), in one pass.
    # The shuffles, not memory, bound it, and a 512-bit shuffle moves twice the bytes of a
    # 256-bit one: at 998x998, x numpy.copy, one thread / two, compiled for skylake-avx512
    # 1.22 / 0.63 in 256-bit vectors, 1.05 / 0.55 in 512-bit ones (icelake-server 1.17 /
    # 0.66 and 1.03 / 0.55), on an Intel Xeon (family 6 model 167). AMD's Zen 4 runs
    # 512-bit instructions as two halves: not measured there.
    _prefer_512_bit_vectors()
    lower_0, lower_1, lower_2 = lower[0], lower[1], lower[2]
    span_0, span_1, span_2 = span[0], span[1], span[2]
    new_0, new_1, new_2 = new[0], new[1], new[2]
    for pixel in range(pixels.shape[0] // 3):
        first, second, third = pixels[3 * pixel], pixels[3 * pixel + 1], pixels[3 * pixel + 2]
        inside = (
            (numba.uint8(first - lower_0) <= span_0)
            & (numba.uint8(second - lower_1) <= span_1)
            & (numba.uint8(third - lower_2) <= span_2)
        )
        match = numba.uint8(0) - numba.uint8(inside)  # 255 or 0
        out[3 * pixel] = first ^ ((first ^ new_0) & match)
        out[3 * pixel + 1] = second ^ ((second ^ new_1) & match)
        out[3 * pixel + 2] = third ^ ((third ^ new_2) & match)


# The channel count is chosen once, outside the loop over rows: with the row functions
# inlined in one loop body, the one-channel loop ran 3x slower.


@numba.njit(cache=True, nogil=True)
def recolor_range_rows_serial(
    flat: Array, row_stride: int, lower: Array, span: Array, new: Array, channels: int, out: Array
) -> None:
    n = lower.shape[0]
    if channels == 3:
        for row in range(out.shape[0]):
            pixels = flat[row * row_stride : row * row_stride + n]
            _range_row_3(pixels, lower, span, new, out[row])
    else:
        for row in range(out.shape[0]):
            pixels = flat[row * row_stride : row * row_stride + n]
            _range_row_1(pixels, lower, span, new, out[row])


@numba.njit(cache=True, nogil=True, parallel=True)
def recolor_range_rows_parallel(
    flat: Array, row_stride: int, lower: Array, span: Array, new: Array, channels: int, out: Array
) -> None:
    n = lower.shape[0]
    if channels == 3:
        for row in numba.prange(out.shape[0]):
            pixels = flat[row * row_stride : row * row_stride + n]
            _range_row_3(pixels, lower, span, new, out[row])
    else:
        for row in numba.prange(out.shape[0]):
            pixels = flat[row * row_stride : row * row_stride + n]
            _range_row_1(pixels, lower, span, new, out[row])
