"""What a call costs when there is almost no work: ``python -m benchmarks.call_overhead``.

Times, interleaved in one process, ``recolor.recolor`` with the default
choice, each registered technique but the interpreted loops, and
``numpy.copy``, on a tiny RGBA image (4x4 by default), with and without
``out=``. On such an image a call is all fixed cost: validation, the word
view, crossing into numpy, OpenCV or numba. Prints the median microseconds
per call of each, with the CPU model: the figures hold for that CPU only.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

import recolor
from benchmarks.machine import cpu_model
from recolor._colors import BACKGROUND, ORIGINAL_REPLACEMENT
from recolor.timing import time_interleaved


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
    return timed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.call_overhead", description=__doc__)
    parser.add_argument("--size", type=int, default=4, help="image side in pixels (default 4)")
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds (default 15)")
    args = parser.parse_args(argv)
    timed = calls(args.size)
    # The kernels load on their first call; what is timed is every call after.
    timings = time_interleaved(timed, rounds=args.rounds, min_round_time=0.02)
    print(f"{args.size}x{args.size} RGBA, {cpu_model()}, median of {args.rounds} rounds:")
    for name, timing in sorted(timings.items(), key=lambda item: item[1].median):
        print(f"  {name:<24} {timing.median * 1e6:7.2f} us per call")
    return 0


if __name__ == "__main__":
    sys.exit(main())
