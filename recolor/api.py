"""``recolor.recolor``: the function users call, over every registered technique."""

from __future__ import annotations

import copy
from typing import Any, overload

import numpy as np
import numpy.typing as npt
from PIL import Image

from recolor.chunked import is_dask_array, recolor_dask_array
from recolor.core.choice import default_technique
from recolor.core.colors import PIL_MODES
from recolor.core.registry import Technique
from recolor.core.validation import validate_request
from recolor.techniques import TECHNIQUES

__all__ = ["fastest_technique", "recolor"]


@overload
def recolor(
    image: Image.Image,
    old: Any,
    new: Any,
    *,
    tolerance: Any = 0,
    technique: str | None = None,
    out: None = None,
) -> Image.Image: ...
@overload
def recolor(
    image: npt.NDArray[np.uint8],
    old: Any,
    new: Any,
    *,
    tolerance: Any = 0,
    technique: str | None = None,
    out: npt.NDArray[np.uint8] | None = None,
) -> npt.NDArray[np.uint8]: ...
@overload
def recolor(
    image: Any,  # a dask.array.Array, whose type needs dask installed to be named
    old: Any,
    new: Any,
    *,
    tolerance: Any = 0,
    technique: str | None = None,
    out: None = None,
) -> Any: ...
def recolor(
    image: Any,
    old: Any,
    new: Any,
    *,
    tolerance: Any = 0,
    technique: str | None = None,
    out: npt.NDArray[np.uint8] | None = None,
) -> Any:
    """Replace every pixel that matches ``old`` with ``new``.

    Parameters
    ----------
    image : (M, N[, C]) ndarray of uint8, PIL.Image.Image or dask.array.Array
        C is 1, 3 or 4. A Pillow image must be of mode "L", "RGB" or "RGBA".
        Modified only when it is also ``out``. A Dask array (``pip install
        "recolor[dask]"``) may be chunked in any way but along C, where it is
        rechunked whole: each pixel's channels must be in one chunk.
    old, new : int or sequence of int
        One value per channel, 0..255; a bare int for single-channel images.
    tolerance : int or sequence of int, optional
        A pixel matches when every channel is within ``tolerance`` of ``old``
        (``cv2.inRange`` with bounds ``old -/+ tolerance`` clipped to 0..255).
    technique : str, optional
        A name from :data:`recolor.TECHNIQUES`. By default the fastest one
        available here for this input.
    out : (M, N[, C]) ndarray of uint8, optional
        Where to write the result (arrays only): a C-contiguous, writable
        array of the image's shape, either ``image`` itself (in place) or one
        that shares no memory with it.

    Returns
    -------
    out : ndarray, PIL.Image.Image or dask.array.Array
        ``out`` when given; otherwise a new C-contiguous array of the input's
        shape, or a new Pillow image of the input's mode and size, with a copy
        of its ``info`` (EXIF, ICC profile, DPI, PNG text). For a Dask array, a
        lazy Dask array of its shape and chunks (whole along C), each chunk
        recoloured when computed, by the default choice for that chunk or the
        named technique; computed, it equals the numpy result bit for bit.

    Raises
    ------
    ValueError
        If ``technique`` is not a registered name, or an argument is out of
        range or of the wrong shape.
    TypeError
        If an argument is of the wrong type.
    ImportError
        If the named technique needs an optional package that is missing.

    Examples
    --------
    >>> import recolor
    >>> image = recolor.sample_image(4, 4)
    >>> out = recolor.recolor(image, (0, 0, 0, 0), (5, 3, 192, 255))
    >>> out[0, 0].tolist()
    [5, 3, 192, 255]
    """
    if technique is None and type(image) is np.ndarray:
        # The common call, in fewest steps. Chosen from the shape and tolerance
        # alone: the technique validates, once.
        return default_technique(TECHNIQUES, image.shape, tolerance).func(
            image, old, new, tolerance=tolerance, out=out
        )
    chosen = None if technique is None else _named_technique(technique)
    if is_dask_array(image):
        if out is not None:
            raise TypeError(
                "out works with numpy arrays; a Dask array is recoloured lazily into a new "
                "one: store the result where you want it, for example with dask.array.store"
            )
        return recolor_dask_array(image, old, new, tolerance=tolerance, technique=technique)
    if type(image) is not np.ndarray and isinstance(image, Image.Image):
        if out is not None:
            raise TypeError(
                "out works with numpy arrays; a Pillow image is recoloured into a new image: "
                "pass numpy.asarray(image) to write into out"
            )
        if image.mode not in PIL_MODES:
            raise ValueError(
                f"image must be a Pillow image of mode {', '.join(PIL_MODES)}; got mode "
                f"{image.mode!r}: convert it first, for example with image.convert('RGBA')"
            )
        pixels = np.asarray(image)
        result = Image.fromarray(
            recolor(pixels, old, new, tolerance=tolerance, technique=technique)
        )
        # EXIF, ICC profile, DPI, PNG text: everything but the pixels stays.
        result.info = copy.deepcopy(image.info)
        return result
    if chosen is None:
        # Chosen from the shape and tolerance alone: the technique validates, once.
        chosen = default_technique(TECHNIQUES, getattr(image, "shape", ()), tolerance)
    return chosen.func(image, old, new, tolerance=tolerance, out=out)


def fastest_technique(
    image: npt.NDArray[np.uint8], old: Any, new: Any, *, tolerance: Any = 0
) -> Technique:
    """The technique :func:`recolor` would use now by default for these arguments.

    For exact matches on 1 or 4 channels that is a numba kernel once numba's
    kernels are loaded in this process, or once the calls so far would have
    paid for loading them (:mod:`recolor.core.choice`); asking does not
    count as a call. Raises the same errors as every technique for bad
    arguments.
    """
    validate_request(image, old, new, tolerance)
    return default_technique(TECHNIQUES, image.shape, tolerance, count=False)


def _named_technique(name: str | None) -> Technique | None:
    if name is None:
        return None
    if not isinstance(name, str) or name not in TECHNIQUES:
        raise ValueError(f"technique must be one of {sorted(TECHNIQUES)} or None, got {name!r}")
    return TECHNIQUES[name]
