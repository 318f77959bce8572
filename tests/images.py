"""Input factories for the tests: seeded, cached, handed out as fresh copies."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt


def speckled(
    shape: tuple[int, ...], old: tuple[int, ...], *, seed: int = 0
) -> npt.NDArray[np.uint8]:
    """Random pixels, about a third of them exactly ``old`` and some one off it."""
    return _speckled(shape, old, seed).copy()


@lru_cache(maxsize=64)
def _speckled(shape: tuple[int, ...], old: tuple[int, ...], seed: int) -> npt.NDArray[np.uint8]:
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, size=shape, dtype=np.uint8)
    pixels = image.reshape(shape[0], shape[1], -1)
    roll = rng.random(shape[:2])
    pixels[roll < 1 / 3] = old
    near = (roll >= 1 / 3) & (roll < 1 / 2)
    channel = rng.integers(0, pixels.shape[2], size=shape[:2])
    for c in range(pixels.shape[2]):
        one_off = near & (channel == c)
        off_value = old[c] + 1 if old[c] < 255 else old[c] - 1
        pixels[one_off] = old
        pixels[one_off, c] = off_value
    image.flags.writeable = False
    return image
