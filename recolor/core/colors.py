"""Colours as tuples of ints, without numpy: the original experiment's, a match's bounds, and
the Pillow modes whose pixels are such colours."""

from __future__ import annotations

__all__ = ["BACKGROUND", "ORIGINAL_REPLACEMENT", "PIL_MODES", "match_bounds"]

#: The Pillow modes recolor works on: one, three or four 8-bit bands.
PIL_MODES = ("L", "RGB", "RGBA")

#: The colour the original experiment recoloured: fully transparent black.
BACKGROUND = (0, 0, 0, 0)
#: What the original experiment recoloured it to: opaque blue.
ORIGINAL_REPLACEMENT = (5, 3, 192, 255)


def match_bounds(
    old: tuple[int, ...], tolerance: tuple[int, ...]
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``old -/+ tolerance``, clipped to 0..255: the inclusive bounds of a match.

    Examples
    --------
    >>> match_bounds((0, 128, 250), (2, 2, 8))
    ((0, 126, 242), (2, 130, 255))
    """
    if not any(tolerance):
        # The common case, and validation runs on every call: skip the arithmetic.
        return old, old
    lower = tuple([max(value - tol, 0) for value, tol in zip(old, tolerance, strict=True)])
    upper = tuple([min(value + tol, 255) for value, tol in zip(old, tolerance, strict=True)])
    return lower, upper
