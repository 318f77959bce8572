"""``recolor.recolor``: the function users call."""

from __future__ import annotations

import copy
from typing import Any, overload

import numpy as np
import numpy.typing as npt
from PIL import Image

from recolor._io import PIL_MODES
from recolor._registry import TECHNIQUES, Technique
from recolor._rent import RentOrBuy
from recolor._validation import validate_request

__all__ = ["fastest_technique", "recolor"]

# The choice, as measured on 998x998 RGBA (README, "Speed"): numba's kernels
# when numba is installed, else the fastest of the required packages.
_COMPILED = ("numba_parallel", "numba_serial")
# With a tolerance, or 3 channels, the packed-word fast paths do not apply,
# and OpenCV's native inRange beats the rest.
_RANGES = "opencv_native"
# From about this many pixels (8 MB of RGBA) the image no longer stays in
# cache between passes, and opencv_native, which moves fewer bytes, beats
# numpy_packed's four passes: 1.07-1.15x faster at 2048x2048 and 4096x4096,
# 0.7x at 998x998, a tie at 1448x1448 (interleaved `recolor bench` runs).
_LARGE_PIXELS = 2_000_000
_EXACT, _EXACT_LARGE = "numpy_packed", "opencv_native"
# Below this many pixels, starting numba's thread pool costs more than the
# second core gains, so the serial kernel wins.
_PARALLEL_MIN_PIXELS = 512 * 512
# Below this many, numpy_packed's two numpy calls cost less than crossing into
# numba: 2.8 against 3.0 us a call at 8x8, 3.4 against 3.2 at 32x32
# (`python -m benchmarks.call_overhead --size N`, AMD EPYC).
_COMPILED_MIN_PIXELS = 512

# numba's kernels cost a process a one-time load (from numba's on-disk cache;
# a compile when the cache is cold), and then save time on every call: rent or
# buy (recolor._rent). Figures (README, "Choosing a technique"): the first call
# of numba_serial in a fresh process, 311-330 ms, against its steady 83.5 us at
# 998x998 and numpy_packed's 268 us: 0.19 ns saved a pixel.
_KERNELS = RentOrBuy(
    "recolor.techniques._numba_kernels", price_seconds=0.32, saved_seconds_per_pixel=0.19e-9
)


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
def recolor(
    image: npt.NDArray[np.uint8] | Image.Image,
    old: Any,
    new: Any,
    *,
    tolerance: Any = 0,
    technique: str | None = None,
    out: npt.NDArray[np.uint8] | None = None,
) -> npt.NDArray[np.uint8] | Image.Image:
    """Replace every pixel that matches ``old`` with ``new``.

    Parameters
    ----------
    image : (M, N[, C]) ndarray of uint8, or PIL.Image.Image
        C is 1, 3 or 4. A Pillow image must be of mode "L", "RGB" or "RGBA".
        Modified only when it is also ``out``.
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
    out : ndarray or PIL.Image.Image
        ``out`` when given; otherwise a new C-contiguous array of the input's
        shape, or a new Pillow image of the input's mode and size, with a copy
        of its ``info`` (EXIF, ICC profile, DPI, PNG text).

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
        return _choose(image, tolerance).func(image, old, new, tolerance=tolerance, out=out)
    chosen = None if technique is None else _named_technique(technique)
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
        chosen = _choose(image, tolerance)
    return chosen.func(image, old, new, tolerance=tolerance, out=out)


def fastest_technique(
    image: npt.NDArray[np.uint8], old: Any, new: Any, *, tolerance: Any = 0
) -> Technique:
    """The technique :func:`recolor` would use now by default for these arguments.

    For exact matches on 1 or 4 channels that is a numba kernel once numba's
    kernels are loaded in this process, or once the calls so far would have
    paid for loading them (README, "Choosing a technique"); asking does not
    count as a call. Raises the same errors as every technique for bad
    arguments.
    """
    validate_request(image, old, new, tolerance)
    return _choose(image, tolerance, count=False)


def _choose(image: Any, tolerance: Any, *, count: bool = True) -> Technique:
    """The default technique for an input of this shape and tolerance.

    It does not validate: given bad arguments, it picks some technique, and
    that technique refuses them with the contract's error.
    """
    shape: tuple[int, ...] = getattr(image, "shape", (0, 0))
    if type(tolerance) is int:  # the common case, without numpy's conversion
        exact = tolerance == 0
    else:
        try:
            exact = not np.any(tolerance)
        except (TypeError, ValueError):
            exact = False
    if len(shape) < 2:
        return TECHNIQUES[_EXACT]  # not an image: it refuses it with the contract's error
    if not exact or (len(shape) == 3 and shape[2] == 3):
        return TECHNIQUES[_RANGES]
    pixels = shape[0] * shape[1]
    if pixels < _COMPILED_MIN_PIXELS:
        return TECHNIQUES[_EXACT]
    if _KERNELS.worth_buying(pixels, count):
        compiled = TECHNIQUES[_COMPILED[0] if pixels >= _PARALLEL_MIN_PIXELS else _COMPILED[1]]
        if compiled.available:
            return compiled
    return TECHNIQUES[_EXACT_LARGE if pixels >= _LARGE_PIXELS else _EXACT]


def _named_technique(name: str | None) -> Technique | None:
    if name is None:
        return None
    if not isinstance(name, str) or name not in TECHNIQUES:
        raise ValueError(f"technique must be one of {sorted(TECHNIQUES)} or None, got {name!r}")
    return TECHNIQUES[name]
