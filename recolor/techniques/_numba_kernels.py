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

__all__ = [
    "compiles_for_avx512",
    "recolor_ranges_parallel",
    "recolor_ranges_serial",
    "recolor_words_in_place_flipped_parallel",
    "recolor_words_in_place_flipped_serial",
    "recolor_words_in_place_masked_parallel",
    "recolor_words_in_place_masked_serial",
    "recolor_words_in_place_parallel",
    "recolor_words_in_place_serial",
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


@numba.njit(cache=True, nogil=True, inline="always")
def _ranges_row(
    pixels: Array, lower: Array, upper: Array, new: Array, out: Array, row: int
) -> None:
    channels = pixels.shape[2]
    for column in range(pixels.shape[1]):
        match = True
        for channel in range(channels):
            value = pixels[row, column, channel]
            if value < lower[channel] or value > upper[channel]:
                match = False
        for channel in range(channels):
            out[row, column, channel] = new[channel] if match else pixels[row, column, channel]


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


@numba.njit(cache=True, nogil=True)
def recolor_ranges_serial(
    pixels: Array,
    lower: Array,
    upper: Array,
    new: Array,
    out: Array,
) -> None:
    for row in range(pixels.shape[0]):
        _ranges_row(pixels, lower, upper, new, out, row)


@numba.njit(cache=True, nogil=True, parallel=True)
def recolor_ranges_parallel(
    pixels: Array, lower: Array, upper: Array, new: Array, out: Array
) -> None:
    for row in numba.prange(pixels.shape[0]):
        _ranges_row(pixels, lower, upper, new, out, row)
