"""One frame of an image file recoloured for the command line: by Pillow alone, or with numpy.

A fresh process has not imported numpy, and its import (57 to 85 ms, with
recolor's modules that need it) costs more than Pillow's own operations take
on a megapixel (4 ms). So the first frames are
recoloured by Pillow (recolor._pillow_native), counting what numpy would have
saved; once that pays for the import, numpy and the registry's fastest
technique take over (README, "Choosing a technique"). A named technique
always runs through numpy.
"""

from __future__ import annotations

from typing import Any

from PIL import Image

from recolor._colors import match_bounds
from recolor._pillow_native import recolor_image
from recolor._rent import RentOrBuy

__all__ = ["recolor_frame"]

# Measured on 2 cores of an AMD EPYC (README, "Choosing a technique"): numpy's
# import and recolor's modules that need it, 57-85 ms in a process that has
# Pillow; the numpy path (the conversions to and from arrays, the technique and
# the count of changed pixels) against Pillow's own operations, per frame:
# 16.8 against 64.7 us at 4x4, 0.60 against 4.10 ms at 998x998.
_NUMPY = RentOrBuy(
    "numpy", price_seconds=0.075, saved_seconds_per_pixel=3.5e-9, saved_seconds_per_call=48e-6
)


def recolor_frame(
    frame: Image.Image,
    old: tuple[int, ...],
    new: tuple[int, ...],
    *,
    tolerance: tuple[int, ...],
    technique: str | None = None,
) -> tuple[Image.Image, int]:
    """``frame`` (mode L, RGB or RGBA) recoloured, and how many pixels changed.

    ``old``, ``new`` and ``tolerance`` have one value per band, each 0..255.
    """
    if technique is None and not _NUMPY.worth_buying(frame.width * frame.height):
        lower, upper = match_bounds(old, tolerance)
        return recolor_image(frame, lower, upper, new)
    return _recolor_with_numpy(frame, old, new, tolerance, technique)


def _recolor_with_numpy(
    frame: Image.Image,
    old: tuple[int, ...],
    new: tuple[int, ...],
    tolerance: tuple[int, ...],
    technique: str | None,
) -> tuple[Image.Image, int]:
    import numpy as np

    from recolor._api import recolor

    pixels = np.asarray(frame)
    recoloured = recolor(pixels, old, new, tolerance=tolerance, technique=technique)
    return Image.fromarray(recoloured), _changed_pixels(pixels, recoloured)


def _changed_pixels(before: Any, after: Any) -> int:
    import numpy as np

    if before.ndim == 3 and before.shape[2] == 4:
        # One word per pixel: a tenth of the time of any() over the channel axis.
        return int(np.count_nonzero(before.view(np.uint32) != after.view(np.uint32)))
    differ = before != after
    if differ.ndim == 3:  # RGB
        differ = differ[:, :, 0] | differ[:, :, 1] | differ[:, :, 2]
    return int(np.count_nonzero(differ))
