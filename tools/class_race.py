"""Every vectorised technique and recolor.recolor by class: ``python -m tools.class_race``.

A class is what a request asks: RGBA or RGB, an exact match or a tolerance.
Photos are RGB with a tolerance; the original experiment was RGBA, exact.
Each class races on the sample portrait (its alpha dropped for RGB) with
near misses put around its background, as a JPEG's background has: 3% of
the background's pixels get values 0 to 12 in each channel, so that some
match within the tolerance and some do not.

Every function of a class runs interleaved in one process
(:func:`recolor.bench.timing.time_interleaved`), on one thread and on every
core, and the table gives each median as a multiple of ``numpy.copy`` of the
same image, measured in the same rounds. It uses only recolor's public
names, so it runs on an older tree too: the before and after of a change.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import recolor
from recolor.bench.timing import time_interleaved
from tools.machine import describe_machine

OLD = (0, 0, 0, 0)
NEW = (5, 3, 192, 255)
#: (label, channels, tolerance)
CLASSES = (
    ("RGBA, exact", 4, 0),
    ("RGBA, tolerance 8", 4, 8),
    ("RGB, exact", 3, 0),
    ("RGB, tolerance 8", 3, 8),
)


def photo_like(size: int, channels: int, seed: int = 36) -> np.ndarray[Any, Any]:
    """The sample portrait with near misses around its background (see the module's notes)."""
    image = recolor.sample_image(size, size)
    rng = np.random.default_rng(seed)
    background = (image == 0).all(axis=-1)
    noisy = background & (rng.random(background.shape) < 0.03)
    image[noisy] = rng.integers(0, 13, size=(int(noisy.sum()), 4), dtype=np.uint8)
    return np.ascontiguousarray(image[:, :, :channels])


def race_class(
    image: np.ndarray[Any, Any], tolerance: int, threads: int, rounds: int
) -> dict[str, float]:
    """Each function's median seconds per call, ``copy`` among them."""
    old, new = OLD[: image.shape[2]], NEW[: image.shape[2]]
    funcs: dict[str, Callable[[], Any]] = {"copy": lambda: np.copy(image)}
    for name, technique in recolor.TECHNIQUES.items():
        if technique.available and not technique.per_pixel_loop:
            funcs[name] = functools.partial(technique.func, image, old, new, tolerance=tolerance)
    funcs["recolor.recolor"] = lambda: recolor.recolor(image, old, new, tolerance=tolerance)
    with recolor.thread_limit(threads):
        timings = time_interleaved(funcs, rounds=rounds, min_round_time=0.05, settle=True)
    return {name: statistics.median(timing.samples) for name, timing in timings.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.class_race", description=__doc__)
    parser.add_argument("--size", type=int, default=998, help="square side (default 998)")
    parser.add_argument("--rounds", type=int, default=7, help="rounds per function (default 7)")
    args = parser.parse_args(argv)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    medians = {}
    for label, channels, tolerance in CLASSES:
        image = photo_like(args.size, channels)
        for threads in sorted({1, cores or 1}):
            medians[(label, threads)] = race_class(image, tolerance, threads, args.rounds)
    names = [name for name in next(iter(medians.values())) if name != "copy"]
    columns = list(medians)
    where = Path(recolor.__file__).parent
    print(f"{describe_machine()}; numpy {np.__version__}; recolor from {where}")
    print(f"{args.size}x{args.size}, median x numpy.copy, {args.rounds} rounds interleaved")
    print("| technique | " + " | ".join(f"{label}, {t} thr" for label, t in columns) + " |")
    print("|---|" + "---:|" * len(columns))
    for name in names:
        cells = [f"{medians[column][name] / medians[column]['copy']:.2f}" for column in columns]
        print(f"| {name} | " + " | ".join(cells) + " |")
    copies = [f"{medians[column]['copy'] * 1e6:.0f} us" for column in columns]
    print("| (numpy.copy) | " + " | ".join(copies) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
