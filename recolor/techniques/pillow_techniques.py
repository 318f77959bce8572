"""Techniques built on Pillow: its per-pixel access in Python loops, and its own C operations."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from recolor.core.pillow_native import recolor_image
from recolor.core.registry import register
from recolor.core.validation import Request, validate_request

__all__ = ["pil_band_masks", "pil_flattened_data", "pil_putpixel"]


@register(
    "Pillow pixel access in a nested Python loop, putpixel on each match",
    per_pixel_loop=True,
    uses=("pillow",),
)
def pil_putpixel(
    image: npt.NDArray[np.uint8],
    old: Any,
    new: Any,
    *,
    tolerance: Any = 0,
    out: Any = None,
) -> npt.NDArray[np.uint8]:
    """Recolour with the original experiment's Pillow ``putpixel`` loop.

    {contract}

    Notes
    -----
    Unlike the original, it works on a copy, and indexes Pillow's pixel access
    object as ``pix[x, y]`` (column, row), so non-square images come out right.
    """
    request = validate_request(image, old, new, tolerance, out)
    canvas = _to_pillow(request)
    pix = canvas.load()
    assert pix is not None  # load() returns None only for images without data
    width, height = canvas.size
    new_pixel = _pillow_pixel(request.new)
    for y in range(height):
        for x in range(width):
            if request.matches(_as_tuple(pix[x, y])):
                canvas.putpixel((x, y), new_pixel)
    return _from_pillow(canvas, request)


@register(
    "Pillow flattened pixel data through a Python list comprehension, then putdata",
    per_pixel_loop=True,
    uses=("pillow",),
)
def pil_flattened_data(
    image: npt.NDArray[np.uint8],
    old: Any,
    new: Any,
    *,
    tolerance: Any = 0,
    out: Any = None,
) -> npt.NDArray[np.uint8]:
    """Recolour with the classic ``getdata``/``putdata`` list comprehension.

    {contract}

    Notes
    -----
    ``Image.getdata`` is deprecated since Pillow 12.1 (removal planned for
    Pillow 14); its replacement ``Image.get_flattened_data`` returns the same
    pixel sequence as a tuple. Older Pillow falls back to ``getdata``.
    """
    request = validate_request(image, old, new, tolerance, out)
    canvas = _to_pillow(request)
    new_pixel = _pillow_pixel(request.new)
    if request.exact:
        old_pixel = _pillow_pixel(request.old)
        recoloured = [new_pixel if p == old_pixel else p for p in _flattened_data(canvas)]
    else:
        recoloured = [
            new_pixel if request.matches(_as_tuple(p)) else p for p in _flattened_data(canvas)
        ]
    canvas.putdata(recoloured)  # type: ignore[arg-type]  # Pillow's stub omits int pixels
    return _from_pillow(canvas, request)


@register(
    "Pillow lookup tables on each band into a match mask, then a masked paste of new",
    uses=("pillow",),
)
def pil_band_masks(
    image: npt.NDArray[np.uint8],
    old: Any,
    new: Any,
    *,
    tolerance: Any = 0,
    out: Any = None,
) -> npt.NDArray[np.uint8]:
    """Recolour with Pillow's own operations, no Python loop over pixels.

    {contract}

    Notes
    -----
    Each band goes through a 256-entry table (``Image.point``) into a mode
    "1" mask of the values within the match bounds; the masks are ANDed
    (``ImageChops.logical_and``) and ``new`` is pasted through the result.
    Slower than the numpy techniques, but it needs no numpy: the command line
    uses it for its first images, before numpy's import has paid for itself.
    """
    request = validate_request(image, old, new, tolerance, out)
    # recolor_image reads its image and paints a copy: no copy of our own first.
    pixels = _pillow_view(request)
    recoloured, _ = recolor_image(pixels, request.lower, request.upper, request.new)
    return _from_pillow(recoloured, request)


def _flattened_data(canvas: Image.Image) -> Any:
    if hasattr(canvas, "get_flattened_data"):
        return canvas.get_flattened_data()
    return canvas.getdata()  # Pillow < 12.1


def _to_pillow(request: Request) -> Image.Image:
    """The pixels as a Pillow image of their own, for a technique that writes to it."""
    return _pillow_view(request).copy()


def _pillow_view(request: Request) -> Image.Image:
    """The pixels as a read-only Pillow image, which may share the caller's memory.

    fromarray shares a C-contiguous array's buffer; a single channel goes in
    as mode "L", which wants a 2-D array.
    """
    pixels = request.pixels[:, :, 0] if request.channels == 1 else request.pixels
    return Image.fromarray(np.ascontiguousarray(pixels))


def _from_pillow(canvas: Image.Image, request: Request) -> npt.NDArray[np.uint8]:
    return request.finish(np.array(canvas, dtype=np.uint8))


def _pillow_pixel(color: tuple[int, ...]) -> int | tuple[int, ...]:
    # Mode "L" pixels are plain ints, the others tuples.
    return color[0] if len(color) == 1 else color


def _as_tuple(pixel: Any) -> tuple[int, ...]:
    return (pixel,) if isinstance(pixel, int) else tuple(pixel)
