"""Techniques built on OpenCV's native kernels.

OpenCV is imported when one of them is first called (:func:`recolor.core.threads.opencv`),
so a process that never uses them never pays for its import.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import numpy.typing as npt

from recolor.core.packing import PackedPixels, packed_words
from recolor.core.registry import register
from recolor.core.threads import opencv
from recolor.core.validation import Request, validate_request

__all__ = ["opencv_inrange", "opencv_native"]


# Neither is registered as multithreaded: inRange, compare, copyTo and the
# bitwise operations are SIMD but not parallel: one CPU second per wall
# second, whatever the size of OpenCV's pool.
@register("OpenCV inRange mask, then numpy masked assignment on a copy", uses=("opencv",))
def opencv_inrange(
    image: npt.NDArray[np.uint8],
    old: Any,
    new: Any,
    *,
    tolerance: Any = 0,
    out: Any = None,
) -> npt.NDArray[np.uint8]:
    """Recolour with the original experiment's ``cv2.inRange`` mask.

    {contract}
    """
    request = validate_request(image, old, new, tolerance, out)
    mask = _match_mask(_contiguous_2d_or_3d(request), request)
    out = np.array(request.pixels, order="C")
    out[mask != 0] = request.new
    return request.finish(out)


@register(
    "OpenCV compare (one word per pixel) or inRange, then a masked write, both native",
    uses=("opencv",),
)
def opencv_native(
    image: npt.NDArray[np.uint8],
    old: Any,
    new: Any,
    *,
    tolerance: Any = 0,
    out: Any = None,
) -> npt.NDArray[np.uint8]:
    """Recolour with OpenCV doing both the match and the write.

    {contract}

    Notes
    -----
    OpenCV's masked operations leave ``dst`` alone where the mask is zero.
    An exact match on 1 or 4 channels compares each pixel as one word
    (``cv2.compare``), then copies the pixels that differ from ``old`` onto
    an image filled with ``new`` (``cv2.copyTo``). Otherwise ``cv2.inRange``
    makes the mask: an exact match holds ``old``, so one masked XOR with
    ``old ^ new`` turns it into ``new``; with a tolerance the matched pixels
    differ, so they are cleared by a masked AND with zero, then set by a
    masked OR with ``new``.
    """
    request = validate_request(image, old, new, tolerance, out)
    packed = packed_words(request)
    if packed is not None:
        return request.finish(_copy_onto_new(packed).view(np.uint8))
    source = _contiguous_2d_or_3d(request)
    mask = _match_mask(source, request)
    out = source.copy()
    cv2 = opencv()
    if request.exact:
        flip = tuple(o ^ n for o, n in zip(request.old, request.new, strict=False))
        cv2.bitwise_xor(source, _constant(flip, source), dst=out, mask=mask)
    else:
        cv2.bitwise_and(out, _constant((0,) * request.channels, source), dst=out, mask=mask)
        cv2.bitwise_or(out, _constant(request.new, source), dst=out, mask=mask)
    return request.finish(out)


def _copy_onto_new(packed: PackedPixels) -> npt.NDArray[Any]:
    """The words that are not ``old``, copied onto an image of ``new``."""
    # OpenCV has no unsigned 32-bit type; equality does not care about sign.
    cv_dtype = np.int32 if packed.words.dtype == np.uint32 else np.uint8
    words = packed.words[:, :, 0].view(cv_dtype)  # OpenCV's images of one channel are 2-D
    if words.strides[0] % words.itemsize:
        # A Mat's rows must lie a whole number of elements apart: OpenCV 4 refuses
        # rows a fraction of a word apart (BadStep), OpenCV 5 reads them from the
        # wrong place. Such rows (a padded frame, a view of a wider buffer) are copied.
        words = np.ascontiguousarray(words)
    cv2 = opencv()
    keep = cv2.compare(words, _constant((int(packed.old.view(cv_dtype)),), words), cv2.CMP_NE)
    out = np.full(words.shape, packed.new.view(cv_dtype), dtype=cv_dtype)
    cv2.copyTo(words, keep, dst=out)
    return out


def _match_mask(source: npt.NDArray[np.uint8], request: Request) -> npt.NDArray[np.uint8]:
    mask = opencv().inRange(source, request.lower, request.upper)
    return cast(npt.NDArray[np.uint8], mask)  # cv2's stubs type every Mat as numeric


def _constant(color: tuple[int, ...], source: npt.NDArray[Any]) -> Any:
    """``color`` as the second operand of an OpenCV operation on ``source``.

    A cv2 Scalar has four slots and we fill them all, since a bare number
    would only reach the first channel. But OpenCV also reads an image of at
    most 4 pixels as a Scalar, and then refuses the mask; for such tiny
    images the colour goes in as a whole image instead.
    """
    if source.shape[0] * source.shape[1] <= 4:
        return np.ascontiguousarray(np.broadcast_to(np.array(color, source.dtype), source.shape))
    return tuple(float(c) for c in color) + (0.0,) * (4 - len(color))


def _contiguous_2d_or_3d(request: Request) -> npt.NDArray[np.uint8]:
    # OpenCV reads a 3-D array as a multi-channel image only when it is
    # C-contiguous, and a single channel as a 2-D image.
    pixels = request.pixels[:, :, 0] if request.channels == 1 else request.pixels
    return np.ascontiguousarray(pixels)
