"""What the gate divides a case's time by, so that the machine's mood cancels out.

A shared machine drifts: a neighbour takes the second core, the clock
steps down, memory gets busier. A yardstick that leans on the same resource
as the case drifts with it, so their ratio holds still. None uses recolor's
code, so a slower technique never slows its own yardstick.

- ``copy``: numpy.copy of the same image, memory bandwidth on one core, for
  vectorised techniques. It is also the reference the tables read "x copy" by.
- ``python``: a list comprehension over pixel tuples, the interpreter's
  speed, for per-pixel loops.
- ``parallel-copy``: a numba copy split over the same threads, for
  multithreaded techniques, which slow down when a neighbour takes a core.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from recolor import TECHNIQUES

#: The yardsticks' names. ``COPY`` is also the technique name of the
#: numpy.copy reference case in every group (benchmarks/cases.py).
COPY = "copy"
PYTHON = "python"
PARALLEL_COPY = "parallel-copy"

#: Pixels the interpreter yardstick walks through: a few milliseconds.
PYTHON_PIXELS = 64 * 1024


def yardstick_name(technique: str) -> str:
    if technique == COPY:
        return COPY
    record = TECHNIQUES[technique]
    if record.per_pixel_loop:
        return PYTHON
    if record.multithreaded:
        return PARALLEL_COPY
    return COPY


def yardstick_call(
    technique: str, image: npt.NDArray[np.uint8], old: tuple[int, ...], new: tuple[int, ...]
) -> Callable[[], Any]:
    name = yardstick_name(technique)
    if name == PYTHON:
        pixels = _python_pixels()
        return lambda: [new if pixel == old else pixel for pixel in pixels]
    if name == PARALLEL_COPY:
        parallel_copy = _parallel_copy()
        flat = image.reshape(-1)  # the cached images are C-contiguous
        return lambda: parallel_copy(flat, np.empty_like(flat))
    return lambda: np.copy(image)


def moves_memory(name: str) -> bool:
    """Whether the yardstick ``name`` copies the image: then its bytes per second mean something."""
    return name in (COPY, PARALLEL_COPY)


#: Where the probe's buffer starts against the image, modulo a page: half a page apart.
PROBE_PAGE = 4096
PROBE_DISTANCE = PROBE_PAGE // 2


def bandwidth_probe(image: npt.NDArray[np.uint8]) -> Callable[[], Any]:
    """numpy.copyto into a buffer made once: this machine's copy bandwidth, with no allocation.

    A copy yardstick that runs far slower than this is paying for something
    besides the copy, such as faulting in fresh pages on every call.

    The buffer starts half a page past the image's address modulo a page,
    wherever the heap puts it. A destination a few bytes past its source
    modulo 4096 is a hazard for the CPU's store-to-load checks (4K aliasing):
    on AMD Zen 3, glibc 2.36's memcpy of a 256x256 image took 90 us 16 bytes
    past, 8 us at 2048; and a buffer allocated right after the image lands
    16 bytes past (an allocation of a multiple of 4096 bytes plus the heap's
    header), where the probe read 7 to 10 times slower than numpy.copy and
    the gate called every 256x256 case a measuring fault.
    """
    return functools.partial(np.copyto, _buffer_apart(image), image)


def _buffer_apart(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """A C-contiguous buffer of ``image``'s shape starting PROBE_DISTANCE past it, modulo a page."""
    raw = np.empty(image.nbytes + PROBE_PAGE, dtype=np.uint8)
    source = image.__array_interface__["data"][0]
    start = (source + PROBE_DISTANCE - raw.__array_interface__["data"][0]) % PROBE_PAGE
    return raw[start : start + image.nbytes].reshape(image.shape)


@functools.cache
def _python_pixels() -> list[tuple[int, ...]]:
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 2, size=(PYTHON_PIXELS, 4), dtype=np.uint8)
    return [tuple(pixel) for pixel in pixels.tolist()]


@functools.cache
def _parallel_copy() -> Callable[..., Any]:
    import numba  # only multithreaded techniques, all numba's, use this yardstick

    @numba.njit(parallel=True, nogil=True, cache=True)
    def parallel_copy(source: Any, out: Any) -> Any:
        for index in numba.prange(source.size):
            out[index] = source[index]
        return out

    return parallel_copy
