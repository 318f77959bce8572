"""What the benchmarks measure: sizes and cases, enumerated from the registry.

A :class:`Case` is one technique on one input; its ``key`` names it in the
baseline. How a case becomes a call is benchmarks/calls.py's job. A worker
measuring another commit's tree imports this module too, so it uses only
recolor's public names.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Literal

from benchmarks.yardsticks import COPY as COPY  # the copy reference case, named here too
from recolor import TECHNIQUES, Technique

#: The original experiment's colours: its transparent background, and the blue it became.
OLD = (0, 0, 0, 0)
NEW = (5, 3, 192, 255)

#: The original experiment's image size.
ORIGINAL_SIZE = 998
#: Square sizes raced.
SIZES = (256, ORIGINAL_SIZE, 2048, 4096)
#: A JPEG background is never exactly one colour: the tolerance group.
JPEG_TOLERANCE = 8
#: Photos have no alpha: the RGB cases race the sample portrait without it.
RGB = 3
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


_KEY = re.compile(
    r"(?P<size>\d+)x(?P=size)-(?P<technique>[a-z0-9_]+)(?:-tol(?P<tolerance>\d+))?"
    r"(?:-threads(?P<threads>\d+|all))?(?P<in_place>-inplace)?(?P<rgb>-rgb)?"
)


@dataclass(frozen=True)
class Case:
    """One technique (or the copy reference) on one input."""

    technique: str  # a registry name, or "copy" for the numpy.copy reference
    size: int
    tolerance: int = 0
    threads: int | Literal["all"] | None = None  # None: the session's; "all": every core
    in_place: bool = False  # out=image: see call_for
    channels: int = 4  # 3: the portrait without its alpha (RGB)

    @property
    def colours(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """OLD and NEW with as many channels as the case's image."""
        return OLD[: self.channels], NEW[: self.channels]

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
        if self.channels == RGB:
            parts.append("rgb")
        return "-".join(parts)

    @classmethod
    def from_key(cls, key: str) -> Case:
        """The case a :attr:`key` names; ValueError, saying what a key looks like, if none.

        Examples
        --------
        >>> case = Case.from_key("998x998-numpy_packed-tol8-rgb")
        >>> case.technique, case.size, case.tolerance, case.channels
        ('numpy_packed', 998, 8, 3)
        """
        match = _KEY.fullmatch(key)
        if match is None:
            raise ValueError(
                "a case key is SIZExSIZE-technique[-tolN][-threadsN|-threadsall][-inplace][-rgb], "
                f"such as 998x998-numpy_packed, got {key!r}"
            )
        threads = match["threads"]
        case = cls(
            match["technique"],
            int(match["size"]),
            int(match["tolerance"] or 0),
            None if threads is None else (ALL_CORES if threads == ALL_CORES else int(threads)),
            bool(match["in_place"]),
            RGB if match["rgb"] else 4,
        )
        if case.key != key:  # a square size, in the one spelling key gives
            raise ValueError(f"{key!r} is not a case key; the case it reads as is {case.key!r}")
        return case

    @property
    def group(self) -> str:
        rgb = " RGB" if self.channels == RGB else ""
        if self.in_place:
            return f"{self.size}x{self.size} in place"
        if self.threads is not None:
            return f"threads {self.size}x{self.size}"
        if self.tolerance:
            return f"{self.size}x{self.size}{rgb} tolerance {self.tolerance}"
        return f"{self.size}x{self.size}{rgb}"

    @property
    def per_pixel_loop(self) -> bool:
        return self.technique != COPY and TECHNIQUES[self.technique].per_pixel_loop

    @property
    def multithreaded(self) -> bool:
        return self.technique != COPY and TECHNIQUES[self.technique].multithreaded

    def confirm_case(self) -> Case:
        """The case the gate measures for this one (the same, but for loops)."""
        if self.per_pixel_loop and self.size > LOOP_CONFIRM_SIZE:
            return dataclasses.replace(self, size=LOOP_CONFIRM_SIZE)
        return self


def runs_at(technique: Technique, size: int) -> bool:
    return not technique.per_pixel_loop or size <= LOOP_MAX_SIZE


def size_cases() -> list[Case]:
    """Every technique at every size it runs at, then the tolerance and RGB groups."""
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
    cases += rgb_cases(ORIGINAL_SIZE)
    cases += in_place_cases()
    return cases


def rgb_cases(size: int) -> list[Case]:
    """Every vectorised technique on the portrait without its alpha, exact and with the
    JPEG tolerance: what a photo is."""
    return [
        Case(name, size, tolerance, channels=RGB)
        for tolerance in (0, JPEG_TOLERANCE)
        for name, technique in TECHNIQUES.items()
        if not technique.per_pixel_loop
    ]


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
        Case(COPY, ORIGINAL_SIZE, channels=RGB),
        Case(COPY, ORIGINAL_SIZE, JPEG_TOLERANCE, channels=RGB),
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


def wall_clock_cases() -> list[Case]:
    """Every case the wall-clock suite times: the references, every size, the threads."""
    return [*reference_cases(), *size_cases(), *thread_cases()]


def cost_cases() -> list[Case]:
    """The cases the cost mode counts: the copy reference, every technique, the tolerance group,
    and the RGB groups at the smaller size.

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
    cases += rgb_cases(COST_SIZES[0])
    return cases
