"""Which technique runs when none is named: the one policy of the library and the command line.

Two choices are made here, both by the same rule (:class:`RentOrBuy`):

- :func:`default_technique`, for ``recolor.recolor`` on an array: the fastest
  technique for this shape and tolerance, where numba's kernels count only once
  the calls so far would have paid for loading them;
- :func:`numpy_pays_for`, for one frame of an image file on the command line:
  whether importing numpy (and the techniques) is worth it, or Pillow's own
  operations should do the work.

The figures it decides by differ by CPU kind, so they are measured per kind
and kept in one table, :mod:`recolor.core.choice_figures`, with the command
that measures them; this module holds the rule and reads the figures of the
CPU it runs on. It imports neither numpy nor Pillow: the command line asks
it before it has loaded either.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from recolor.core.choice_figures import figures_for
from recolor.core.cpu import cpu_kind
from recolor.core.threads import parallel_threads

if TYPE_CHECKING:
    from recolor.core.registry import Technique

__all__ = ["FIGURES", "RentOrBuy", "default_technique", "numpy_pays_for"]


class RentOrBuy:
    """The choice to import ``module`` (and whatever loading it brings) for its speed.

    A process uses the slower path at first, and adds up what the faster one
    would have saved on each call; once that sum reaches the one-time price,
    it buys. Knowing the future, the best choice costs at least half as much
    as this rule does on any sequence of calls, and one small input never
    pays for a load it cannot earn back.

    Parameters
    ----------
    module : str
        The module whose import is the price; once it is in ``sys.modules``,
        by this rule or by anyone else, the faster path is used.
    price_seconds : float
        What that import costs a process.
    saved_seconds_per_pixel : float
        What the faster path saves on each pixel of work.
    saved_seconds_per_call : float, optional
        What it saves on each call besides, whatever the size.
    """

    def __init__(
        self,
        module: str,
        price_seconds: float,
        saved_seconds_per_pixel: float,
        saved_seconds_per_call: float = 0.0,
    ) -> None:
        self.module = module
        self.price_seconds = price_seconds
        self.saved_seconds_per_pixel = saved_seconds_per_pixel
        self.saved_seconds_per_call = saved_seconds_per_call
        self.unpaid_seconds = 0.0

    def worth_buying(self, pixels: int, count: bool = True) -> bool:
        """Whether to take the faster path for ``pixels``; if not, and ``count``, add its saving."""
        if self.unpaid_seconds >= self.price_seconds or self.module in sys.modules:
            return True
        if count:
            saved = self.saved_seconds_per_call + pixels * self.saved_seconds_per_pixel
            self.unpaid_seconds += saved
        return False


# Arrays. With a tolerance, or on 3 channels, numba's range kernels stream
# when they are worth loading; without them, opencv_native's passes of
# absolute differences are the fastest (3 to 4 times a copy at 998x998 on
# one thread, 4 to 6 on two). The kernels' figures are those of the exact
# match, whose saving per pixel is the smaller, so a range never buys them
# sooner than it should.
_RANGES = "opencv_native"
# Exact matches on 1 or 4 channels: numpy_packed, until the image no longer
# stays in cache between its passes, where opencv_native's single pass wins
# once OpenCV's import has paid for itself.
_EXACT, _EXACT_LARGE = "numpy_packed", "opencv_native"
# With numba's kernels loaded: the parallel kernel once the image is big
# enough to pay for starting numba's thread pool, and more than one thread
# may run, by recolor's cap and by numba's own (on one, it is the serial
# loop plus the pool's cost), else the serial one; and neither below the
# size where crossing into numba costs more than the call.
_PARALLEL, _SERIAL = "numba_parallel", "numba_serial"

#: The figures of the CPU this process runs on, from their one table.
FIGURES = figures_for(cpu_kind())
_KERNELS = RentOrBuy(
    "recolor.techniques._numba_kernels",
    price_seconds=FIGURES.kernels_price_seconds,
    saved_seconds_per_pixel=FIGURES.kernels_saved_seconds_per_pixel,
)
_OPENCV = RentOrBuy(
    "cv2",
    price_seconds=FIGURES.opencv_price_seconds,
    saved_seconds_per_pixel=FIGURES.opencv_saved_seconds_per_pixel,
)
# Frames of image files. A fresh command-line process has not imported numpy,
# whose import with recolor's modules that need it costs more than Pillow's
# own operations take on a megapixel; each frame through numpy then saves a
# fixed part and a part per pixel.
_NUMPY = RentOrBuy(
    "numpy",
    price_seconds=FIGURES.numpy_price_seconds,
    saved_seconds_per_pixel=FIGURES.numpy_saved_seconds_per_pixel,
    saved_seconds_per_call=FIGURES.numpy_saved_seconds_per_call,
)
_COMPILED_MIN_PIXELS = FIGURES.compiled_min_pixels
_PARALLEL_MIN_PIXELS = FIGURES.parallel_min_pixels
_LARGE_PIXELS = FIGURES.large_pixels


def default_technique(
    techniques: Mapping[str, Technique],
    shape: tuple[int, ...],
    tolerance: Any,
    *,
    count: bool = True,
) -> Technique:
    """The default technique of ``techniques`` for an image of ``shape`` and ``tolerance``.

    It does not validate: given bad arguments, it picks some technique, and
    that technique refuses them with the contract's error. ``count`` adds the
    call to what the faster techniques would have saved.
    """
    if type(tolerance) is int:  # the common case, without numpy's conversion
        exact = tolerance == 0
    else:
        import numpy as np

        try:
            exact = not np.any(tolerance)
        except (TypeError, ValueError):
            exact = False
    if len(shape) < 2:
        return techniques[_EXACT]  # not an image: it refuses it with the contract's error
    pixels = shape[0] * shape[1]
    if pixels >= _COMPILED_MIN_PIXELS and _KERNELS.worth_buying(pixels, count):
        parallel = pixels >= _PARALLEL_MIN_PIXELS and parallel_threads() > 1
        compiled = techniques[_PARALLEL if parallel else _SERIAL]
        if compiled.available:
            return compiled
    if not exact or (len(shape) == 3 and shape[2] == 3):
        return techniques[_RANGES]
    if pixels >= _LARGE_PIXELS and _OPENCV.worth_buying(pixels, count):
        return techniques[_EXACT_LARGE]
    return techniques[_EXACT]


def numpy_pays_for(pixels: int) -> bool:
    """Whether a frame of ``pixels`` should go through numpy; if not, its saving is counted."""
    return _NUMPY.worth_buying(pixels)
