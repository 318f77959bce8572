"""``recolor bench``: race every technique on one image, the original experiment's way.

Timing and CPU accounting come from :mod:`recolor.bench.timing`. Techniques
and the copy reference take turns round by round, so a machine that slows
down mid-run slows all of them alike.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from recolor.bench.timing import time_interleaved
from recolor.techniques import TECHNIQUES

__all__ = ["COPY", "RaceResult", "in_place_calls", "race", "slow_loops_skipped"]

#: The reference row: numpy.copy of the same image, the memory-bandwidth floor.
COPY = "numpy.copy"
#: Interpreted per-pixel loops are left out above this many pixels: they
#: take seconds per megapixel, and each is timed ``repeat`` times.
LOOP_MAX_PIXELS = 1_000_000


@dataclass(frozen=True)
class RaceResult:
    """One technique on one image."""

    technique: str
    width: int
    height: int
    median: float
    cpu_utilization: float
    x_fastest: float
    x_copy: float

    @property
    def megapixels_per_second(self) -> float:
        return self.width * self.height / 1e6 / self.median

    def as_dict(self) -> dict[str, Any]:
        return {
            "technique": self.technique,
            "width": self.width,
            "height": self.height,
            "median_seconds": self.median,
            "megapixels_per_second": self.megapixels_per_second,
            "x_fastest": self.x_fastest,
            "x_copy": self.x_copy,
            "cpu_utilization": self.cpu_utilization,
        }


def slow_loops_skipped(
    image: npt.NDArray[np.uint8], techniques: Sequence[str] | None = None
) -> list[str]:
    """The per-pixel loops :func:`race` leaves out on this image, of those asked for."""
    if image.shape[0] * image.shape[1] <= LOOP_MAX_PIXELS:
        return []
    return [
        name
        for name, technique in TECHNIQUES.items()
        if technique.per_pixel_loop and (techniques is None or name in techniques)
    ]


def in_place_calls(
    func: Callable[..., Any],
    image: npt.NDArray[np.uint8],
    old: Any,
    new: Any,
    *,
    tolerance: Any = 0,
) -> Callable[[], Any]:
    """Calls of ``func`` that recolour a copy of ``image`` in place, ``old`` to ``new`` and back.

    Alternating keeps every call's work alike: after one call no pixel is
    ``old`` any more, and the next would find nothing to write.
    """
    buffer = image.copy()
    colours = [old, new]

    def recolor_in_place() -> Any:
        result = func(buffer, colours[0], colours[1], tolerance=tolerance, out=buffer)
        colours.reverse()
        return result

    return recolor_in_place


def race(
    image: npt.NDArray[np.uint8],
    old: Any,
    new: Any,
    *,
    tolerance: Any = 0,
    repeat: int = 5,
    techniques: Sequence[str] | None = None,
    in_place: bool = False,
    on_round: Callable[[], object] | None = None,
) -> list[RaceResult]:
    """Time the available techniques (or those named) and numpy.copy on ``image``, fastest first.

    With ``in_place``, each technique recolours a copy of ``image`` in place
    (``out=``), from ``old`` to ``new`` and back on alternate calls.
    """
    skipped = set(slow_loops_skipped(image, techniques))
    calls: dict[str, Callable[[], Any]] = {COPY: lambda: np.copy(image)}
    for name, technique in TECHNIQUES.items():
        chosen = techniques is None or name in techniques
        if chosen and technique.available and name not in skipped:
            if in_place:
                calls[name] = in_place_calls(technique.func, image, old, new, tolerance=tolerance)
            else:
                calls[name] = functools.partial(
                    technique.func, image, old, new, tolerance=tolerance
                )
    # Techniques disturb each other here (the gate times each in its own
    # process): settle absorbs what the previous one left behind.
    timings = time_interleaved(
        calls, rounds=repeat, min_round_time=0.02, settle=True, on_round=on_round
    )
    fastest = min(timing.median for name, timing in timings.items() if name != COPY)
    copy = timings[COPY].median
    height, width = image.shape[:2]
    results = [
        RaceResult(
            technique=name,
            width=width,
            height=height,
            median=timing.median,
            cpu_utilization=timing.cpu_utilization,
            x_fastest=timing.median / fastest,
            x_copy=timing.median / copy,
        )
        for name, timing in timings.items()
    ]
    return sorted(results, key=lambda result: result.median)
