"""The default choice's figures on this CPU: ``python -m tools.choice_figures``.

The default choice (``recolor/core/choice.py``) picks among four techniques
by size, and buys numba's kernels once they would have paid for their load.
Its figures differ by CPU kind; this measures them here:

- at each size, interleaved in one process, the median time of
  ``numpy_packed``, ``opencv_native``, ``numba_serial`` and
  ``numba_parallel`` (all cores) on the sample portrait;
- in fresh processes, what loading numba's kernels costs: their import and
  the first call, which loads the compiled code from numba's on-disk cache
  (the run warms the cache first).

It prints the table, the figures derived from it and the CPU kind they are
for, in the form of an entry of ``recolor/core/choice_figures.py``.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import subprocess
import sys
from typing import Any

import recolor
from recolor.bench.timing import time_interleaved
from recolor.core.colors import BACKGROUND, ORIGINAL_REPLACEMENT
from recolor.core.cpu import cpu_kind, cpu_model

SIDES = (16, 23, 32, 45, 64, 128, 256, 362, 512, 724, 998, 1448, 2048)
BEFORE_NUMBA = ("numpy_packed", "opencv_native")
COMPILED = ("numba_serial", "numba_parallel")

# A fresh process's price for a technique's module: its import and its first call.
_LOAD = """
import time, numpy, recolor, recolor.techniques.numpy_techniques
image = recolor.sample_image(998, 998)
start = time.perf_counter()
import {module}
recolor.TECHNIQUES["{name}"].func(image, (0, 0, 0, 0), (5, 3, 192, 255))
print(time.perf_counter() - start)
"""
_PRICES = {
    "kernels_price_seconds": ("recolor.techniques._numba_kernels", "numba_parallel"),
    "opencv_price_seconds": ("cv2", "opencv_native"),
}


def medians(side: int, rounds: int) -> dict[str, float]:
    """Median seconds per call of each technique at ``side`` x ``side``."""
    image = recolor.sample_image(side, side)
    calls = {
        name: functools.partial(
            recolor.TECHNIQUES[name].func, image, BACKGROUND, ORIGINAL_REPLACEMENT
        )
        for name in BEFORE_NUMBA + COMPILED
    }
    for call in calls.values():
        call()  # the kernels load on their first call; what is timed is every call after
    timings = time_interleaved(calls, rounds=rounds, min_round_time=0.02)
    return {name: timing.median for name, timing in timings.items()}


def load_seconds(module: str, name: str, processes: int) -> float:
    """The median over fresh processes of importing ``module`` and ``name``'s first call."""
    code = _LOAD.format(module=module, name=name)
    seconds = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], check=True, capture_output=True, text=True
            ).stdout
        )
        for _ in range(processes)
    ]
    return statistics.median(seconds)


def derive(table: dict[int, dict[str, float]]) -> dict[str, Any]:
    """The choice's figures from the per-size medians."""
    sides = sorted(table)

    def first_side(faster: str, slower: str, after: int = 0) -> int | None:
        """The smallest side from which ``faster`` stays faster than ``slower``."""
        winning = [
            side for side in sides if side >= after and table[side][faster] < table[side][slower]
        ]
        for side in winning:
            if all(later in winning for later in sides if later >= side):
                return side
        return None

    compiled_side = first_side("numba_serial", "numpy_packed")
    parallel_side = first_side("numba_parallel", "numba_serial")
    large_side = first_side("opencv_native", "numpy_packed", after=256)
    # Savings per pixel where they count: from 256x256, where one call's fixed costs no
    # longer hide them.
    kernel_savings = [
        (
            min(table[side][name] for name in BEFORE_NUMBA)
            - min(table[side][name] for name in COMPILED)
        )
        / side**2
        for side in sides
        if side >= 256
    ]
    opencv_savings = [
        (table[side]["numpy_packed"] - table[side]["opencv_native"]) / side**2
        for side in sides
        if large_side is not None and side >= large_side
    ]
    return {
        "compiled_min_pixels": None if compiled_side is None else compiled_side**2,
        "parallel_min_pixels": None if parallel_side is None else parallel_side**2,
        "large_pixels": None if large_side is None else large_side**2,
        "kernels_saved_seconds_per_pixel": (
            statistics.median(kernel_savings) if kernel_savings else None
        ),
        "opencv_saved_seconds_per_pixel": (
            statistics.median(opencv_savings) if opencv_savings else None
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.choice_figures", description=__doc__)
    parser.add_argument("--rounds", type=int, default=9, help="interleaved rounds (default 9)")
    parser.add_argument("--processes", type=int, default=5, help="fresh processes (default 5)")
    parser.add_argument(
        "--sides",
        type=int,
        nargs="+",
        default=SIDES,
        help="image sides to time (default: 16..2048)",
    )
    args = parser.parse_args(argv)
    if not all(recolor.TECHNIQUES[name].available for name in COMPILED):
        print("numba is not installed: pip install 'recolor[numba]'", file=sys.stderr)
        return 2
    print(f"{cpu_model()}; kind {cpu_kind()!r}; median us per call, {args.rounds} rounds:")
    print(f"  {'side':>5}  " + "  ".join(f"{name:>14}" for name in BEFORE_NUMBA + COMPILED))
    table = {}
    for side in args.sides:
        table[side] = medians(side, args.rounds)
        cells = "  ".join(f"{table[side][name] * 1e6:14.1f}" for name in BEFORE_NUMBA + COMPILED)
        print(f"  {side:>5}  {cells}", flush=True)
    figures = derive(table)
    for figure, (module, name) in _PRICES.items():
        load_seconds(module, name, 1)  # warms numba's on-disk cache and the file cache
        figures[figure] = load_seconds(module, name, args.processes)
    print("figures:")
    for name, value in figures.items():
        print(f"  {name} = {value!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
