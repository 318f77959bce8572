"""The measured figures the default choice (:mod:`recolor.core.choice`) decides by, per CPU kind.

Each entry is measured on one CPU kind by ``python -m tools.choice_figures``
(and the command-line frame figures by ``python -m tools.cli_timing``); a
kind without an entry of its own uses :data:`FIRST_TUNING`, the figures
the rule was first tuned with. To add a kind, run the tool there and add
the entry it prints, with what it was measured on.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["FIGURES", "FIRST_TUNING", "ChoiceFigures", "figures_for"]


class ChoiceFigures(NamedTuple):
    """What the default choice needs to know of a CPU kind.

    Attributes
    ----------
    compiled_min_pixels : int
        From this many pixels a numba kernel beats ``numpy_packed`` (below it,
        crossing into numba costs more than the call).
    parallel_min_pixels : int
        From this many pixels ``numba_parallel`` beats ``numba_serial``.
    large_pixels : int
        From this many pixels ``opencv_native`` beats ``numpy_packed``: the
        image no longer stays in cache between numpy's passes.
    kernels_price_seconds, kernels_saved_seconds_per_pixel : float
        Loading numba's kernels (import and first call, from numba's on-disk
        cache), and what they then save on each pixel against the technique
        used without them.
    opencv_price_seconds, opencv_saved_seconds_per_pixel : float
        Importing OpenCV and its first call, and what ``opencv_native`` then
        saves on each pixel of a large image against ``numpy_packed``. A price
        of 0 buys it at once.
    numpy_price_seconds, numpy_saved_seconds_per_pixel, numpy_saved_seconds_per_call : float
        For the command line's frames: importing numpy with recolor's modules
        that need it, and what numpy's path then saves against Pillow's own
        operations, per pixel and per frame.
    measured_on : str
        The CPU and the commands the figures come from.
    """

    compiled_min_pixels: int
    parallel_min_pixels: int
    large_pixels: int
    kernels_price_seconds: float
    kernels_saved_seconds_per_pixel: float
    opencv_price_seconds: float
    opencv_saved_seconds_per_pixel: float
    numpy_price_seconds: float
    numpy_saved_seconds_per_pixel: float
    numpy_saved_seconds_per_call: float
    measured_on: str


#: The figures the rule was first tuned with, on an AMD EPYC with AVX-512 (their
#: OpenCV price was not measured: it is bought at once, as it was then).
FIRST_TUNING = ChoiceFigures(
    compiled_min_pixels=512,
    parallel_min_pixels=512 * 512,
    large_pixels=2_000_000,
    kernels_price_seconds=0.32,
    kernels_saved_seconds_per_pixel=0.19e-9,
    opencv_price_seconds=0.0,
    opencv_saved_seconds_per_pixel=0.0,
    numpy_price_seconds=0.075,
    numpy_saved_seconds_per_pixel=3.5e-9,
    numpy_saved_seconds_per_call=48e-6,
    measured_on="AMD EPYC, AVX-512: recolor bench races and fresh processes' imports",
)

#: By :func:`recolor.core.cpu.cpu_kind`.
FIGURES: dict[str, ChoiceFigures] = {
    "intel-avx512": FIRST_TUNING._replace(
        compiled_min_pixels=45 * 45,
        parallel_min_pixels=256 * 256,
        large_pixels=512 * 512,
        kernels_price_seconds=0.36,
        kernels_saved_seconds_per_pixel=0.35e-9,
        opencv_price_seconds=0.022,
        opencv_saved_seconds_per_pixel=0.092e-9,
        measured_on=(
            "Intel Xeon (family 6, model 167), AVX-512, 2 cores, numba 0.68.1, OpenCV 5.1.0:"
            " python -m tools.choice_figures (two runs), 2026-12-05; the frame figures are"
            " the first tuning's"
        ),
    ),
    "amd-avx2": FIRST_TUNING._replace(
        compiled_min_pixels=45 * 45,
        parallel_min_pixels=256 * 256,
        large_pixels=512 * 512,
        kernels_price_seconds=0.55,
        kernels_saved_seconds_per_pixel=0.30e-9,
        opencv_price_seconds=0.030,
        opencv_saved_seconds_per_pixel=0.065e-9,
        measured_on=(
            "AMD EPYC (family 25, model 1: Zen 3), AVX2, 2 cores, numba 0.68.1, OpenCV 5.1.0:"
            " python -m tools.choice_figures (two runs), 2026-12-05; the frame figures are"
            " the first tuning's"
        ),
    ),
}


def figures_for(kind: str) -> ChoiceFigures:
    """The figures measured on CPU ``kind``, or the first tuning's where there are none."""
    return FIGURES.get(kind, FIRST_TUNING)
