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

    image = np.zeros((height, width, 4), dtype=np.uint8)
    shade = rng.integers(-12, 13, size=(height, width), dtype=np.int16)
    skin = np.array([224, 172, 138], dtype=np.int16)
    shirt = np.array([40, 90, 150], dtype=np.int16)
    hair_colour = np.array([70, 45, 30], dtype=np.int16)
    colour = np.where(shoulders[..., np.newaxis] & ~head[..., np.newaxis], shirt, skin)
    colour = np.where(hair[..., np.newaxis], hair_colour, colour)
    rgb = np.clip(colour + shade[..., np.newaxis], 0, 255).astype(np.uint8)
    image[..., :3] = np.where(figure[..., np.newaxis], rgb, 0)
    image[..., 3] = np.where(figure, 255, 0)

    background = np.flatnonzero(~figure)
    near_miss_count = int(background.size * _NEAR_MISS_FRACTION)
    chosen = rng.choice(background, size=near_miss_count, replace=False)
    image.reshape(-1, 4)[chosen] = _NEAR_MISSES[rng.integers(0, len(_NEAR_MISSES), near_miss_count)]
    image.flags.writeable = False
    return image
