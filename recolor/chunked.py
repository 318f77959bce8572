"""``recolor.recolor`` on a Dask array: lazily, chunk by chunk, with the same result as numpy's.

Recolouring is per pixel, so each chunk is recoloured on its own; only the
colour axis must be whole in every chunk (a pixel's channels together),
and an array chunked along it is rechunked there. Each chunk gets the
default choice of its own shape (or the named technique), in the process
that computes it. Importing this module imports nothing; dask is imported
by whoever made the array.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from recolor.core.choice import default_technique
from recolor.core.validation import check_layout, validate_request
from recolor.techniques import TECHNIQUES

__all__ = ["is_dask_array", "recolor_dask_array"]


def is_dask_array(image: Any) -> bool:
    """Whether ``image`` is a ``dask.array.Array``, without importing dask."""
    return any(
        cls.__module__.startswith("dask.array") and cls.__name__ == "Array"
        for cls in type(image).__mro__
    )


def recolor_dask_array(
    image: Any, old: Any, new: Any, *, tolerance: Any = 0, technique: str | None = None
) -> Any:
    """The lazy ``dask.array.Array`` of ``image`` recoloured; see :func:`recolor.recolor`.

    Bad arguments are refused here, before any chunk is computed, with the
    errors numpy arrays get.
    """
    shape = image.shape
    if any(np.isnan(side) for side in shape):
        raise ValueError(
            f"image must have a known shape, got {shape}: call image.compute_chunk_sizes() first"
        )
    check_layout(image.dtype, shape)
    # The colours are checked as every technique checks them, on a one-pixel stand-in
    # with the image's channels, before any work.
    channels = shape[2] if len(shape) == 3 else 1
    request = validate_request(np.zeros((1, 1, channels), np.uint8), old, new, tolerance)
    if len(shape) == 3 and len(image.chunks[2]) > 1:
        image = image.rechunk({2: -1})  # each pixel's channels in one chunk
    return image.map_blocks(
        _recolor_block,
        dtype=np.uint8,
        meta=np.empty((0,) * len(shape), dtype=np.uint8),
        old=request.old,
        new=request.new,
        tolerance=request.tolerance,
        technique=technique,
    )


def _recolor_block(
    block: npt.NDArray[np.uint8],
    *,
    old: Any,
    new: Any,
    tolerance: tuple[int, ...],
    technique: str | None,
) -> npt.NDArray[np.uint8]:
    block = np.asarray(block)
    if block.size == 0:  # an empty chunk, as boolean indexing and compute_chunk_sizes make
        return np.empty(block.shape, np.uint8)
    chosen = (
        default_technique(TECHNIQUES, block.shape, tolerance)
        if technique is None
        else TECHNIQUES[technique]
    )
    return chosen.func(block, old, new, tolerance=tolerance)
