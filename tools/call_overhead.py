"""What a call costs when there is almost no work: ``python -m tools.call_overhead``.

Times, interleaved in one process, ``recolor.recolor`` with the default
choice, each registered technique but the interpreted loops, and
``numpy.copy``, on a tiny RGBA image (4x4 by default), with and without
``out=``. On such an image a call is all fixed cost: validation, the word
view, crossing into numpy, OpenCV or numba. Two floors are timed beside
them: the same numpy work, and numba's kernel with its output, each behind a
wrapper that checks nothing but the dtype, so what the contract's checks and
the rest of a call cost is the difference. Prints the median microseconds per
call of each, with the CPU model: the figures hold for that CPU only.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

import recolor
from benchmarks.instrument.machine import cpu_model
from recolor.bench.timing import time_interleaved
from recolor.core.colors import BACKGROUND, ORIGINAL_REPLACEMENT


def calls(size: int) -> dict[str, Callable[[], Any]]:
    """The calls to time, by the name printed for each."""
    image = recolor.sample_image(size, size)
    out = np.empty_like(image)
    old, new = BACKGROUND, ORIGINAL_REPLACEMENT
    timed: dict[str, Callable[[], Any]] = {
        "numpy.copy": lambda: np.copy(image),
        "recolor.recolor": lambda: recolor.recolor(image, old, new),
        "recolor.recolor, out=": lambda: recolor.recolor(image, old, new, out=out),
    }
    for technique in recolor.TECHNIQUES.values():
        if technique.available and not technique.per_pixel_loop:
            timed[technique.name] = functools.partial(technique.func, image, old, new)
    timed.update(_floors(image))
    return timed


def _floors(image: Any) -> dict[str, Callable[[], Any]]:
    """numpy_packed's and numba_serial's work behind wrappers that check only the dtype."""
    words_dtype = np.dtype(np.uint32)
    old, new = np.frombuffer(bytes(BACKGROUND + ORIGINAL_REPLACEMENT), dtype=words_dtype)
    old_array, new_array = old.reshape(()), new.reshape(())

    def numpy_floor() -> Any:
        if image.dtype != np.uint8:
            raise TypeError(image.dtype)
        words = image.view(words_dtype)
        out = words.copy()
        out[np.equal(words, old_array)] = new_array
        return out.view(np.uint8)

    floors = {"floor: numpy, no checks": numpy_floor}
    if recolor.TECHNIQUES["numba_serial"].available:
        from recolor.techniques._numba_kernels import recolor_words_serial

        def numba_floor() -> Any:
            if image.dtype != np.uint8:
                raise TypeError(image.dtype)
            out = np.empty_like(image)
            recolor_words_serial(
                image.view(words_dtype)[:, :, 0], old, new, out.view(words_dtype)[:, :, 0]
            )
            return out

        floors["floor: numba, no checks"] = numba_floor
    return floors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.call_overhead", description=__doc__)
    parser.add_argument("--size", type=int, default=4, help="image side in pixels (default 4)")
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds (default 15)")
    args = parser.parse_args(argv)
    timed = calls(args.size)
    # The kernels load on their first call; what is timed is every call after.
    timings = time_interleaved(timed, rounds=args.rounds, min_round_time=0.02)
    print(f"{args.size}x{args.size} RGBA, {cpu_model()}, median of {args.rounds} rounds:")
    copy = timings["numpy.copy"].median
    for name, timing in sorted(timings.items(), key=lambda item: item[1].median):
        median = timing.median
        print(f"  {name:<26} {median * 1e6:7.2f} us per call {median / copy:6.2f}x numpy.copy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
