"""The embedded default input: a synthetic RGBA portrait on a transparent background."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt

from recolor.core.colors import BACKGROUND, ORIGINAL_REPLACEMENT

__all__ = ["BACKGROUND", "ORIGINAL_REPLACEMENT", "sample_image"]

# Pixels that miss the background by one value in one channel, so a technique
# that matches too loosely (or ignores a channel) gets caught.
_NEAR_MISSES = np.array(
    [(0, 0, 0, 1), (0, 0, 0, 255), (1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0)], dtype=np.uint8
)
_NEAR_MISS_FRACTION = 0.01


def sample_image(width: int = 998, height: int = 998, *, seed: int = 0) -> npt.NDArray[np.uint8]:
    """A deterministic RGBA portrait on a transparent ``(0, 0, 0, 0)`` background.

    Like the original experiment's input, a head and shoulders fill about
    half of the picture and the rest is transparent black. About 1% of the
    background pixels miss it by one value in one channel, such as
    ``(0, 0, 0, 1)`` or ``(0, 0, 0, 255)``.

    Parameters
    ----------
    width, height : int, optional
        The size in pixels; the figure scales with it.
    seed : int, optional
        Seeds the skin texture and the near-miss pixels.

    Returns
    -------
    image : (height, width, 4) ndarray of uint8
        A new array each call, which the caller may modify.

    Examples
    --------
    >>> image = sample_image(64, 48)
    >>> image.shape
    (48, 64, 4)
    >>> image[0, 0].tolist()
    [0, 0, 0, 0]
    """
    for name, value in (("width", width), ("height", height)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    image: npt.NDArray[np.uint8] = _cached_sample(int(width), int(height), int(seed)).copy()
    return image


@lru_cache(maxsize=8)
def _cached_sample(width: int, height: int, seed: int) -> npt.NDArray[np.uint8]:
    rng = np.random.default_rng(seed)
    # Coordinates in 0..1 across, 0..1 down, so the figure scales with the size.
    x = (np.arange(width, dtype=np.float32)[np.newaxis, :] + 0.5) / width
    y = (np.arange(height, dtype=np.float32)[:, np.newaxis] + 0.5) / height

    head = ((x - 0.5) / 0.24) ** 2 + ((y - 0.40) / 0.30) ** 2 <= 1.0
    shoulders = (((x - 0.5) / 0.48) ** 2 + ((y - 1.05) / 0.38) ** 2 <= 1.0) & (y > 0.62)
    hair = head & (y < 0.24 + 0.06 * np.cos((x - 0.5) * 9.0))
    figure = head | shoulders

    shade = rng.integers(-12, 13, size=(height, width), dtype=np.int16)
    # Each pixel's colour comes from one table of every part's colour at every
    # shade, RGBA, and a last row for the background: one gather, where
    # arithmetic on the (height, width, 3) colours took most of the time.
    part = np.where(hair, 2, np.where(shoulders & ~head, 1, 0))
    part_colours = np.array([[224, 172, 138], [40, 90, 150], [70, 45, 30]], dtype=np.int16)
    shades = np.arange(-12, 13, dtype=np.int16)
    rgb = np.clip(part_colours[:, np.newaxis, :] + shades[np.newaxis, :, np.newaxis], 0, 255)
    table = np.zeros((rgb.shape[0] * rgb.shape[1] + 1, 4), dtype=np.uint8)
    table[:-1, :3] = rgb.reshape(-1, 3)
    table[:-1, 3] = 255
    row = part * len(shades) + (shade - shades[0])
    row[~figure] = len(table) - 1
    # Gathered as one 4-byte word per pixel.
    pixels = np.take(table.view(np.uint32)[:, 0], row)
    image: npt.NDArray[np.uint8] = pixels.view(np.uint8).reshape(height, width, 4)

    background = np.flatnonzero(~figure)
    near_miss_count = int(background.size * _NEAR_MISS_FRACTION)
    chosen = rng.choice(background, size=near_miss_count, replace=False)
    image.reshape(-1, 4)[chosen] = _NEAR_MISSES[rng.integers(0, len(_NEAR_MISSES), near_miss_count)]
    image.flags.writeable = False
    return image
