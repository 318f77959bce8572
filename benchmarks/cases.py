"""What the benchmarks measure: sizes, cases and inputs, enumerated from the registry.

A :class:`Case` is one technique on one input; its ``key`` names it in the
baseline. Inputs come from seeded, cached factories, so building them is
never timed and every benchmark of a size sees the same pixels.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from benchmarks.yardsticks import COPY as COPY  # the copy reference case, named here too
from benchmarks.yardsticks import yardstick_call
from recolor import BACKGROUND, TECHNIQUES, Technique, sample_image, thread_limit
from recolor._sample import ORIGINAL_REPLACEMENT
from recolor._threads import available_cores
from recolor.testing import reference_recolor, require_available

#: The original experiment's colours.
OLD = BACKGROUND
NEW = ORIGINAL_REPLACEMENT

#: The original experiment's image size.
ORIGINAL_SIZE = 998
#: Square sizes raced.
SIZES = (256, ORIGINAL_SIZE, 2048, 4096)
#: A JPEG background is never exactly one colour: the tolerance group.
JPEG_TOLERANCE = 8
#: Interpreted per-pixel loops run only up to this size (seconds per call
#: beyond it), and always at the original experiment's size.
LOOP_MAX_SIZE = ORIGINAL_SIZE
#: The gate measures per-pixel loops on an image this big: their cost per
#: pixel does not depend on the size, and a full-size call takes seconds.
LOOP_CONFIRM_SIZE = 256

#: The cost mode counts at these sizes: a count grows linearly with pixels,
#: so two sizes show the fixed and the per-pixel part, and larger ones would
#: only take longer under valgrind. Interpreted loops are counted smaller.
COST_SIZES = (256, ORIGINAL_SIZE)
LOOP_COST_SIZE = 64

#: A thread case's count for "every core this process may use".
ALL_CORES: Literal["all"] = "all"

#: RECOLOR_BENCH_SLOWDOWN="name=1.5[,name=factor...]" makes those techniques
#: slower by busy-waiting after each call: how the gate itself is tested.
SLOWDOWN_ENV_VAR = "RECOLOR_BENCH_SLOWDOWN"


@dataclass(frozen=True)
class Case:
    """One technique (or the copy reference) on one input."""

    technique: str  # a registry name, or "copy" for the numpy.copy reference
    size: int
    tolerance: int = 0
    threads: int | Literal["all"] | None = None  # None: the session's; "all": every core
    in_place: bool = False  # out=image: see call_for

    @property
    def key(self) -> str:
        """The case's name in the baseline and in benchmark ids."""
        parts = [f"{self.size}x{self.size}", self.technique]
        if self.tolerance:
            parts.append(f"tol{self.tolerance}")
        if self.threads is not None:
            parts.append(f"threads{self.threads}")
        if self.in_place:
            parts.append("inplace")
        return "-".join(parts)

    @property
    def group(self) -> str:
        if self.in_place:
            return f"{self.size}x{self.size} in place"
        if self.threads is not None:
            return f"threads {self.size}x{self.size}"
        if self.tolerance:
            return f"{self.size}x{self.size} tolerance {self.tolerance}"
        return f"{self.size}x{self.size}"

    @property
    def per_pixel_loop(self) -> bool:
        return self.technique != COPY and TECHNIQUES[self.technique].per_pixel_loop

    def confirm_case(self) -> Case:
        """The case the gate measures for this one (the same, but for loops)."""
        if self.per_pixel_loop and self.size > LOOP_CONFIRM_SIZE:
            return dataclasses.replace(self, size=LOOP_CONFIRM_SIZE)
        return self


@contextlib.contextmanager
def case_threads(case: Case) -> Iterator[None]:
    """The case's own thread cap while it runs; without one, the session's.

    The session's is RECOLOR_THREADS (``--recolor-threads`` exports it),
    which worker processes inherit.
    """
    if case.threads is None:
        yield
    else:
        with thread_limit(available_cores() if case.threads == ALL_CORES else case.threads):
            yield


def runs_at(technique: Technique, size: int) -> bool:
    return not technique.per_pixel_loop or size <= LOOP_MAX_SIZE


def size_cases() -> list[Case]:
    """Every technique at every size it runs at, then the tolerance group."""
    cases = [
        Case(name, size)
        for size in SIZES
        for name, technique in TECHNIQUES.items()
        if runs_at(technique, size)
    ]
    # Loops are left out here: they are seconds a call at this size, and their
    # tolerance path is proven by the tests.
    cases += [
        Case(name, ORIGINAL_SIZE, JPEG_TOLERANCE)
        for name, technique in TECHNIQUES.items()
        if not technique.per_pixel_loop
    ]
    cases += in_place_cases()
    return cases


def in_place_cases() -> list[Case]:
    """Every vectorised technique recolouring the original image in place (``out=image``)."""
    return [
        Case(name, ORIGINAL_SIZE, in_place=True)
        for name, technique in TECHNIQUES.items()
        if not technique.per_pixel_loop
    ]


def reference_cases() -> list[Case]:
    """The numpy.copy reference in every group."""
    return [Case(COPY, size) for size in SIZES] + [
        Case(COPY, ORIGINAL_SIZE, JPEG_TOLERANCE),
        Case(COPY, ORIGINAL_SIZE, in_place=True),
    ]


def thread_cases() -> list[Case]:
    """Each multithreaded technique on one thread and on every core, at 998x998.

    "All cores" is named so, not by the count, so that a case keeps its name
    (and its baseline) on a machine with another number of cores.
    """
    return [
        Case(name, ORIGINAL_SIZE, threads=threads)
        for name, technique in TECHNIQUES.items()
        if technique.multithreaded
        for threads in (1, ALL_CORES)
    ]


def cost_cases() -> list[Case]:
    """The cases the cost mode counts: the copy reference, every technique, the tolerance group.

    Threads are not a dimension here: the cost mode runs every technique on
    one thread (benchmarks/cost.py says why).
    """
    cases = [Case(COPY, size) for size in COST_SIZES]
    cases += [
        Case(name, size)
        for size in COST_SIZES
        for name, technique in TECHNIQUES.items()
        if not technique.per_pixel_loop
    ]
    cases += [
        Case(name, LOOP_COST_SIZE)
        for name, technique in TECHNIQUES.items()
        if technique.per_pixel_loop
    ]
    cases += [
        Case(name, ORIGINAL_SIZE, JPEG_TOLERANCE)
        for name, technique in TECHNIQUES.items()
        if not technique.per_pixel_loop
    ]
    return cases


def skip_unless_available(case: Case) -> None:
    """Skip the running test, saying what to install, when the case's technique cannot run."""
    if case.technique != COPY:
        require_available(TECHNIQUES[case.technique])


_IMAGES: dict[int, npt.NDArray[np.uint8]] = {}


def image_for(size: int) -> npt.NDArray[np.uint8]:
    """The sample portrait at ``size`` x ``size``, read-only and cached."""
    if size not in _IMAGES:
        provide_image(sample_image(size, size))
    return _IMAGES[size]


def load_technique(case: Case) -> None:
    """Call the case's technique once on a 4x4 image, before the case's image exists.

    What a first call loads (OpenCV, numba's kernels) then sits in memory
    before the image, whether a commit loads it when imported or when first
    called. Loaded after a 64 MB image, OpenCV left the heap so that
    opencv_inrange's temporaries at 4096x4096 came from fresh pages on every
    call: 1.12x slower, for the same code (README, "Against a git ref").
    """
    if case.technique != COPY:
        TECHNIQUES[case.technique].func(sample_image(4, 4), OLD, NEW, tolerance=case.tolerance)


def provide_image(image: npt.NDArray[np.uint8]) -> None:
    """Make ``image`` the one :func:`image_for` returns at its size.

    A worker gets its image from the process that started it
    (benchmarks/measure.py says why).
    """
    image.flags.writeable = False
    _IMAGES[image.shape[0]] = image


@cache
def expected_for(size: int, tolerance: int) -> npt.NDArray[np.uint8]:
    return reference_recolor(image_for(size), OLD, NEW, tolerance=tolerance)


def call_for(case: Case) -> Callable[[], Any]:
    """A no-argument call that runs the case once, slowed down if asked.

    In place, the call recolours a copy of the image of its own, from OLD to
    NEW and back on alternate calls: the image holds no NEW pixel, so every
    call recolours exactly the pixels the first one did, and no call pays for
    restoring the image. (So only exact matches are raced in place.)
    """
    image = image_for(case.size)
    if case.technique == COPY:
        return lambda: np.copy(image)
    func = slowed(case.technique, TECHNIQUES[case.technique].func)
    tolerance = case.tolerance
    if not case.in_place:
        return lambda: func(image, OLD, NEW, tolerance=tolerance)
    # Imported here: a worker may run this code on another commit's recolor
    # (--recolor-compare), which has in-place cases only if it has this too.
    from recolor._race import in_place_calls

    return in_place_calls(func, image, OLD, NEW, tolerance=tolerance)


def copy_call(case: Case) -> Callable[[], Any]:
    """numpy.copy of the case's image: the reference the tables read "x copy" by.

    numpy.copy reads and writes every byte once, the floor for any technique
    that returns a new image.
    """
    return call_for(Case(COPY, case.size))


def yardstick_for(case: Case) -> Callable[[], Any]:
    """What the gate divides this case's time by: see benchmarks/yardsticks.py."""
    return yardstick_call(case.technique, image_for(case.size))


def slowdowns() -> dict[str, float]:
    """The slowdown factors asked for in RECOLOR_BENCH_SLOWDOWN."""
    spec = os.environ.get(SLOWDOWN_ENV_VAR, "").strip()
    factors: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, factor = item.partition("=")
        if name not in TECHNIQUES or not factor:
            raise ValueError(
                f"{SLOWDOWN_ENV_VAR} must be name=factor[,name=factor...] with names from "
                f"{sorted(TECHNIQUES)}, got {spec!r}"
            )
        factors[name] = float(factor)
    return factors


def slowed(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func``, busy-waiting ``(factor - 1)`` times its own duration after each call."""
    factor = slowdowns().get(name)
    if factor is None:
        return func

    def slow(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        result = func(*args, **kwargs)
        deadline = time.perf_counter() + (factor - 1) * (time.perf_counter() - start)
        while time.perf_counter() < deadline:
            pass
        return result

    return slow
