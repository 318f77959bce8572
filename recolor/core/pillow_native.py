"""Recolour a Pillow image with Pillow's own operations, without numpy.

numpy's import costs a fresh process more than these take on a megapixel,
so the command line recolours its first images this way
(:func:`recolor.core.choice.numpy_pays_for`); ``pil_band_masks`` is the
registered technique.
"""

from __future__ import annotations

import functools

from PIL import Image, ImageChops

__all__ = ["match_mask", "recolor_image"]


def recolor_image(
    image: Image.Image, lower: tuple[int, ...], upper: tuple[int, ...], new: tuple[int, ...]
) -> tuple[Image.Image, int]:
    """A copy of ``image`` with every pixel within ``lower..upper`` set to ``new``.

    Parameters
    ----------
    image : PIL.Image.Image of mode "L", "RGB" or "RGBA"
    lower, upper : tuple of int
        The inclusive bounds of a match, one value per band.
    new : tuple of int
        The replacement, one value per band.

    Returns
    -------
    result : PIL.Image.Image
    changed : int
        How many pixels differ from ``image``: the matches not already ``new``.
    """
    mask = match_mask(image, lower, upper)
    result = image.copy()
    # A mode "1" mask selects: where it is set the fill is written, not blended.
    result.paste(new[0] if len(new) == 1 else new, mask=mask)
    changed = _count(mask)
    if all(low <= value <= high for low, value, high in zip(lower, new, upper, strict=True)):
        changed -= _count(match_mask(image, new, new))  # matched, and written unchanged
    return result, changed


def match_mask(image: Image.Image, lower: tuple[int, ...], upper: tuple[int, ...]) -> Image.Image:
    """A mode "1" image, set where every band of ``image`` is within its bounds."""
    mask = None
    for band, low, high in zip(image.split(), lower, upper, strict=True):
        band_mask = band.point(_range_table(low, high), "1")
        mask = band_mask if mask is None else ImageChops.logical_and(mask, band_mask)
    assert mask is not None  # every mode has a band
    return mask


def _count(mask: Image.Image) -> int:
    return int(mask.histogram()[255])


@functools.lru_cache(maxsize=64)
def _range_table(low: int, high: int) -> list[int]:
    return [255 if low <= value <= high else 0 for value in range(256)]
