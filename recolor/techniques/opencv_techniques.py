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


# Neither is registered as multithreaded, though OpenCV 5.1 runs part of
# opencv_native on its pool: compare, absdiff and subtract kept 2 cores busy
# at 998x998 (CPU seconds per wall second 2.00), inRange and copyTo 1.00.
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
    "OpenCV compare (one word per pixel) or absolute differences, then a masked copy, all native",
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
    Every path copies the pixels that do not match onto an image filled
    with ``new`` (``cv2.copyTo``, which leaves ``dst`` alone where its mask
    is zero). An exact match on 1 or 4 channels finds them by comparing each
    pixel as one word (``cv2.compare``). A tolerance, or 3 channels, take
    each byte's distance from ``old`` (``cv2.absdiff``), less the tolerance
    (``cv2.subtract``, which saturates at 0): a pixel is out of range where
    any of its bytes is not 0. Each of these is one SIMD pass; ``cv2.inRange``
    on several channels is not, and costs 8 to 14 times a copy.
    """
    request = validate_request(image, old, new, tolerance, out)
    packed = packed_words(request)
    if packed is not None:
        return request.finish(_copy_onto_new(packed).view(np.uint8))
    return request.finish(_copy_out_of_range_onto_new(request))


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
    return _copied_onto_new(words, keep, packed.new.view(cv_dtype))


def _copy_out_of_range_onto_new(request: Request) -> npt.NDArray[np.uint8]:
    """The pixels out of the tolerance's range copied onto an image of ``new`` (see Notes)."""
    source = _contiguous_2d_or_3d(request)
    cv2 = opencv()
    distance = cv2.absdiff(source, _constant(request.old, source))
    if not request.exact:
        cv2.subtract(distance, _constant(request.tolerance, source), dst=distance)
    height, width = source.shape[:2]
    channels = request.channels
    cells: npt.NDArray[Any] = source  # what copyTo moves: pixels, or their words
    if channels == 1:
        keep = distance
    elif channels == 4:
        # A pixel's four distances as one word: 0 only when all four are. And
        # the pixels as words, so that copyTo moves 4 bytes per mask byte.
        words = distance.view(np.int32)[:, :, 0]
        keep = cv2.compare(words, _constant((0,), words), cv2.CMP_NE)
        cells = source.view(np.int32)[:, :, 0]
    else:
        # No word of 3 bytes: the largest of the three planes' distances.
        planes = np.empty((3, height, width), np.uint8)
        first, second, third = planes
        cv2.split(distance, [first, second, third])
        keep = np.maximum(first, second, out=first)
        np.maximum(keep, third, out=keep)
    # One row of ``new``: filling with it row by row is a copy, where ``out[...] = new``
    # on 3 channels is a strided loop at 80 times a copy.
    new_row = np.tile(np.array(request.new, np.uint8), width).view(cells.dtype)
    out = _copied_onto_new(cells, keep, new_row)
    return out.view(np.uint8).reshape(request.pixels.shape)


def _copied_onto_new(
    source: npt.NDArray[Any], keep: npt.NDArray[np.uint8], new: npt.NDArray[Any]
) -> npt.NDArray[Any]:
    """An image of ``new`` (one pixel, or one row) with ``source`` copied where ``keep``."""
    out = np.empty(source.shape, source.dtype)
    np.copyto(out.reshape(source.shape[0], -1), new)
    opencv().copyTo(source, keep, dst=out)
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
