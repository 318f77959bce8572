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
    any of its bytes is not 0, which one compare of its word tells (3
    channels get a fourth byte for it from ``cv2.cvtColor``). These passes
    go a strip of rows at a time, so that what they pass on stays in the
    CPU's cache. Each is one SIMD pass; ``cv2.inRange`` on several channels
    is not, and costs 8 to 14 times a copy.
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
    old = _scalar((int(packed.old.view(cv_dtype)),))
    keep = cv2.compare(words, _operand(old, words), cv2.CMP_NE)
    return _copied_onto_new(words, keep, packed.new.view(cv_dtype))


# The range path works on strips of rows, so that its temporaries (the distances,
# their words, the mask) stay in a core's cache between its passes, and only the
# read of the pixels and the write of the result reach memory, as in a copy. Strip
# sizes raced at 998x998 (Intel Xeon, AVX-512, 2 MB of L2 per core), times
# numpy.copy for RGBA with tolerance 8 / RGB exact / RGB with tolerance 8:
#   one thread:        64 KB 4.56/3.76/5.37, 256 KB 3.17/2.94/4.14, 1 MB 3.47/3.70/5.02
#   two OpenCV threads: 256 KB 4.98/4.38/6.38, 1 MB 4.05/4.09/5.61, 4 MB 4.19/4.61/6.01
# (whole-image passes: 4.1/4.8/5.4 and 4.4/6.3/6.6). Each pass wakes OpenCV's
# thread pool, so with more than one thread fewer, larger strips pay that less often.
_STRIP_BYTES = 1 << 18


def _copy_out_of_range_onto_new(request: Request) -> npt.NDArray[np.uint8]:
    """The pixels out of the tolerance's range copied onto an image of ``new`` (see Notes)."""
    source = _contiguous_2d_or_3d(request)
    cv2 = opencv()
    height, width = source.shape[:2]
    row_bytes = width * request.channels
    strip_bytes = _STRIP_BYTES if cv2.getNumThreads() <= 1 else 4 * _STRIP_BYTES
    strip_rows = max(1, strip_bytes // row_bytes)
    out_of_range = _OutOfRange(request)
    out = np.empty(source.shape, np.uint8)
    cells: npt.NDArray[Any] = source  # what copyTo moves: pixels, or their words
    out_cells: npt.NDArray[Any] = out
    if request.channels == 4:
        # The pixels as words, so that copyTo moves 4 bytes per mask byte.
        cells, out_cells = _words_of(source), _words_of(out)
    # One row of ``new``: filling with it row by row is a copy, where ``out[...] = new``
    # on 3 channels is a strided loop at 80 times a copy.
    new_row = np.tile(np.array(request.new, np.uint8), width).view(cells.dtype)
    for start in range(0, height, strip_rows):
        rows = slice(start, start + strip_rows)
        keep = out_of_range(source[rows])
        _copied_onto_new(cells[rows], keep, new_row, out=out_cells[rows])
    return out.reshape(request.pixels.shape)


# The passes below won against OpenCV's other ways of doing their steps. Measured on
# one 256 KB strip in cache (Intel Xeon, AVX-512, OpenCV 5.1.0), times a copy of it:
# absdiff 2.0-2.1, subtract 1.5, cvtColor RGB2RGBA 1.5-1.8, compare of words 1.5. Slower
# for the same step: cv2.LUT on 3 channels 21, cvtColor RGB2GRAY 3.9 (a reduction
# to one byte), transform 21, reduce 73; inRange on the bytes with rows of bounds
# 2.5 is cheaper than absdiff and subtract together, but with RGB2BGR565 and a
# 16-bit compare as the reduction the whole strip was no faster at 998x998. Nor
# was reusing the passes' buffers across strips (0.97-0.98 of the time on RGB with
# a tolerance, 1.07-1.37 on one channel with two threads, where the image is one strip).
class _OutOfRange:
    """A strip's mask, one byte per pixel, not 0 where the pixel is out of the range.

    Each byte's distance from ``old`` (``cv2.absdiff``), less the tolerance
    (``cv2.subtract``, which saturates at 0); then, on 3 or 4 channels, a
    pixel's distances as one word, 0 only when all are (``cv2.compare``).
    Three channels have no word of their own: an alpha of 255 is appended to
    their distances (``cv2.cvtColor``), or for an exact match to the pixels
    themselves, whose words are then compared with ``old``'s. The operands
    are made once, for every strip.
    """

    def __init__(self, request: Request) -> None:
        self.channels = request.channels
        self.old = _scalar(request.old)
        self.tolerance = None if request.exact else _scalar(request.tolerance)
        self.exact_rgb = request.exact and self.channels == 3
        in_range: tuple[int, ...] = (0, 0, 0, 0)
        if self.channels == 3:
            in_range = (*request.old, 255) if self.exact_rgb else (0, 0, 0, 255)
        self.in_range = _scalar((int(np.array(in_range, np.uint8).view(np.int32)[0]),))

    def __call__(self, pixels: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        cv2 = opencv()
        if self.exact_rgb:
            words = _words_of(cv2.cvtColor(pixels, cv2.COLOR_RGB2RGBA))
        else:
            distance: npt.NDArray[np.uint8] = cv2.absdiff(pixels, _operand(self.old, pixels))
            if self.tolerance is not None:
                cv2.subtract(distance, _operand(self.tolerance, pixels), dst=distance)
            if self.channels == 1:
                return distance
            if self.channels == 3:
                distance = cv2.cvtColor(distance, cv2.COLOR_RGB2RGBA)
            words = _words_of(distance)
        keep: npt.NDArray[np.uint8] = cv2.compare(words, _operand(self.in_range, words), cv2.CMP_NE)
        return keep


def _words_of(pixels: npt.NDArray[np.uint8]) -> npt.NDArray[np.int32]:
    """4-channel pixels as an OpenCV image of one int32 per pixel (it has no uint32)."""
    return pixels.view(np.int32)[:, :, 0]


def _copied_onto_new(
    source: npt.NDArray[Any],
    keep: npt.NDArray[np.uint8],
    new: npt.NDArray[Any],
    *,
    out: npt.NDArray[Any] | None = None,
) -> npt.NDArray[Any]:
    """An image of ``new`` (one pixel, or one row) with ``source`` copied where ``keep``,
    into ``out`` when given (the shape and type of ``source``)."""
    if out is None:
        out = np.empty(source.shape, source.dtype)
    np.copyto(out.reshape(source.shape[0], -1), new)
    opencv().copyTo(source, keep, dst=out)
    return out


def _match_mask(source: npt.NDArray[np.uint8], request: Request) -> npt.NDArray[np.uint8]:
    mask = opencv().inRange(source, request.lower, request.upper)
    return cast(npt.NDArray[np.uint8], mask)  # cv2's stubs type every Mat as numeric


def _scalar(color: tuple[int, ...]) -> tuple[float, ...]:
    """``color`` as a cv2 Scalar: four slots, all filled, since a bare number
    would only reach the first channel."""
    return tuple(float(c) for c in color) + (0.0,) * (4 - len(color))


def _operand(scalar: tuple[float, ...], source: npt.NDArray[Any]) -> Any:
    """``scalar`` as the second operand of an OpenCV operation on ``source``.

    OpenCV reads an image of at most 4 pixels as a Scalar, and then refuses
    the mask; for such tiny images the colour goes in as a whole image instead.
    """
    if source.shape[0] * source.shape[1] > 4:
        return scalar
    channels = source.shape[2] if source.ndim == 3 else 1
    color = np.array(scalar[:channels], source.dtype)
    return np.ascontiguousarray(np.broadcast_to(color, source.shape))


def _contiguous_2d_or_3d(request: Request) -> npt.NDArray[np.uint8]:
    # OpenCV reads a 3-D array as a multi-channel image only when it is
    # C-contiguous, and a single channel as a 2-D image.
    pixels = request.pixels[:, :, 0] if request.channels == 1 else request.pixels
    return np.ascontiguousarray(pixels)
