"""The one validation helper every technique calls before doing any work.

Every technique accepts exactly the same arguments and refuses exactly the same
bad input, because all of them go through :func:`validate_request`. The error
messages quote the bad value, say what was wrong and what would be right.
"""

from __future__ import annotations

import functools
import numbers
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from recolor.core.colors import match_bounds

__all__ = ["ColorLike", "Request", "check_layout", "validate_request"]

#: An int (single-channel images only) or one int per channel.
ColorLike = int | np.integer[Any] | tuple[int, ...] | list[int] | npt.NDArray[np.integer[Any]]

_ALLOWED_CHANNELS = (1, 3, 4)
_UINT8 = np.dtype(np.uint8)  # numpy's dtypes of the built-in types are single instances
_ALLOWED_SHAPES = "(H, W), (H, W, 1), (H, W, 3) or (H, W, 4)"
_new_tuple = tuple.__new__


class Request(NamedTuple):
    """A validated recolor request, in the form the techniques work on.

    A named tuple rather than a frozen dataclass: it is built on every call,
    and a frozen dataclass takes three times as long to build.

    Attributes
    ----------
    pixels : (H, W, C) ndarray of uint8
        A view of the caller's image with an explicit channel axis. It may be
        strided, Fortran-ordered or read-only; techniques must not write to it.
    shape : tuple of int
        The caller's image shape, which the result must have.
    old, new, tolerance, lower, upper : tuple of int
        One value per channel. ``lower`` and ``upper`` are the inclusive match
        bounds ``old -/+ tolerance``, clipped to 0..255.
    words : pair of 0-d arrays, or None
        For an exact match on 1 or 4 channels, ``old`` and ``new`` as one
        unsigned word each (uint8 or uint32), made through the same view as
        the pixels' words, so byte order never matters; None otherwise.
        Computed once per colours, as they are checked.
    out : ndarray of uint8, or None
        The caller's array for the result: C-contiguous, writable, of the
        image's shape, and either the image itself (in place) or sharing no
        memory with it.
    in_place : bool
        True when ``out`` is the image itself.
    """

    pixels: npt.NDArray[np.uint8]
    shape: tuple[int, ...]
    old: tuple[int, ...]
    new: tuple[int, ...]
    tolerance: tuple[int, ...]
    lower: tuple[int, ...]
    upper: tuple[int, ...]
    words: (
        tuple[npt.NDArray[np.unsignedinteger[Any]], npt.NDArray[np.unsignedinteger[Any]]] | None
    ) = None
    out: npt.NDArray[np.uint8] | None = None
    in_place: bool = False

    @property
    def channels(self) -> int:
        return int(self.pixels.shape[2])

    @property
    def exact(self) -> bool:
        """True when only pixels equal to ``old`` match (tolerance 0)."""
        return self.lower == self.upper

    def matches(self, pixel: tuple[int, ...]) -> bool:
        """Whether one pixel, given as a tuple of ints, is to be recoloured."""
        bounds = zip(self.lower, pixel, self.upper, strict=True)
        return all(lo <= value <= hi for lo, value, hi in bounds)

    def out_pixels(self) -> npt.NDArray[np.uint8] | None:
        """``out`` as an (H, W, C) view, for a technique that writes into it natively."""
        return None if self.out is None else self.out.reshape(self.pixels.shape)

    def written_to_out(self) -> npt.NDArray[np.uint8]:
        """``out``, once a technique has written its result there through :meth:`out_pixels`."""
        assert self.out is not None, "only a request with out has out_pixels to write"
        return self.out

    def finish(self, result: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        """Give a technique's (H, W, C) result the caller's shape, C-contiguous.

        With ``out``, the result is written there, unless the technique already
        did (a result that is a view of ``out``), and ``out`` is returned.
        """
        out = self.out
        if out is None:
            if result.shape != self.shape:
                result = result.reshape(self.shape)
            return result if result.flags.c_contiguous else np.ascontiguousarray(result)
        if result is not out and not _same_array(result.reshape(self.shape), out):
            np.copyto(out, result.reshape(self.shape))
        return out


def validate_request(
    image: Any, old: Any, new: Any, tolerance: Any = 0, out: Any = None
) -> Request:
    """Check the arguments every technique takes and normalise them.

    Raises
    ------
    TypeError
        If ``image`` or ``out`` is not a uint8 ndarray (subclasses such as
        ``numpy.matrix``, ``numpy.memmap`` or masked arrays included: pass
        ``numpy.asarray(image)``), or a colour or the tolerance is not made of
        integers.
    ValueError
        If ``image`` has the wrong shape, a colour or the tolerance has the
        wrong length or a value outside 0..255, or ``out`` has another shape
        than the image, is not C-contiguous, is read-only, or overlaps the
        image without being it.
    """
    # Each fast path inline, the checks behind them in their functions: on a
    # tiny image, a function call is a thirtieth of the whole call.
    shape: tuple[int, ...] = (
        image.shape if type(image) is np.ndarray and image.dtype is _UINT8 else ()
    )
    if len(shape) == 3 and shape[2] in _ALLOWED_CHANNELS and shape[0] > 0 and shape[1] > 0:
        pixels = image  # (H, W, C) uint8: what _check_image would accept and return as it is
        channels = shape[2]
    else:
        pixels = _check_image(image)
        shape, channels = image.shape, pixels.shape[2]
    last = _last_checked
    if (
        last is not None
        and old is last[0]
        and new is last[1]
        and tolerance is last[2]
        and channels == last[3]
    ):
        rest = last[4]
    else:
        rest = _checked_colours(old, new, tolerance, channels)
    # tuple.__new__ skips the named tuple's Python-level __new__ and _make's length
    # check (the fields are written out here): on a tiny image that is a tenth of the
    # call. Joining two tuples takes 60% of the time of unpacking one into another.
    if out is None:
        return _new_tuple(Request, (pixels, shape) + rest)  # noqa: RUF005
    in_place = _check_out(out, image)
    return _new_tuple(Request, (pixels, shape, *rest[:6], out, in_place))


# The request's fields after the pixels and their shape, without out: old, new,
# tolerance, lower, upper, words, then out=None and in_place=False.
_Checked = tuple[Any, ...]
# The colours last checked, and the very objects they were checked from: a loop
# passes the same objects call after call. Only immutable ones (tuples, ints)
# are kept, and keeping them keeps their identities from being reused.
_last_checked: tuple[Any, Any, Any, int, _Checked] | None = None
# One unsigned word per pixel, by channel count; 3 channels have no such word.
_WORD_DTYPES: dict[int, np.dtype[Any]] = {1: np.dtype(np.uint8), 4: np.dtype(np.uint32)}


def _checked_colours(old: Any, new: Any, tolerance: Any, channels: int) -> _Checked:
    """The request's fields of the colours, or the contract's error (see _Checked).

    old, new, tolerance, lower and upper have one int per channel; words, for
    an exact match on 1 or 4 channels, old and new as one word each (else None).
    """
    global _last_checked
    old_values = _check_channel_values("old", old, channels)
    new_values = _check_channel_values("new", new, channels)
    tolerances = _check_channel_values("tolerance", tolerance, channels, broadcast=True)
    exact = not any(tolerances)
    words = _words(old_values, new_values) if exact and channels in _WORD_DTYPES else None
    bounds = match_bounds(old_values, tolerances)
    rest = (old_values, new_values, tolerances, *bounds, words, None, False)
    if all(type(value) in (tuple, int) for value in (old, new, tolerance)):
        _last_checked = (old, new, tolerance, channels, rest)
    return rest


@functools.lru_cache(maxsize=1024)
def _words(old: tuple[int, ...], new: tuple[int, ...]) -> tuple[Any, Any]:
    """``old`` and ``new`` as one word each, through the pixels' view (so any byte order).

    0-d arrays of the words' dtype: a ufunc takes them in 60% of a scalar's
    time; where a scalar is needed (numba's kernels), ``old[()]`` is one.
    """
    both = np.frombuffer(bytes(old + new), dtype=_WORD_DTYPES[len(old)])
    return both[0:1].reshape(()), both[1:2].reshape(())


def _check_out(out: Any, image: npt.NDArray[np.uint8]) -> bool:
    """Refuse an unusable ``out``; whether it is the image itself (in place)."""
    if not isinstance(out, np.ndarray):
        raise TypeError(
            f"out must be a numpy.ndarray of uint8 or None, got {type(out).__name__}; "
            "allocate one with numpy.empty_like(image, order='C')"
        )
    _refuse_subclass("out", out)
    if out.dtype != np.uint8:
        raise TypeError(f"out must have dtype uint8, got {out.dtype}")
    if out.shape != image.shape:
        raise ValueError(f"out must have the image's shape {image.shape}, got {out.shape}")
    if not out.flags.c_contiguous:
        raise ValueError(
            f"out must be C-contiguous, got strides {out.strides} for shape {out.shape}; "
            "allocate it with numpy.empty_like(image, order='C')"
        )
    if not out.flags.writeable:
        raise ValueError("out must be writable, got a read-only array")
    if out is image:
        return True
    if not np.may_share_memory(out, image):
        return False
    if _same_array(out, image):
        return True
    raise ValueError(
        "out overlaps image without being it: pass out=image to recolour in place, "
        "or an array that shares no memory with the image"
    )


def _same_array(a: npt.NDArray[Any], b: npt.NDArray[Any]) -> bool:
    """Whether ``a`` and ``b`` are the same pixels in memory (the same view)."""
    return (
        a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
        and a.shape == b.shape
        and a.strides == b.strides
    )


def _check_image(image: Any) -> npt.NDArray[np.uint8]:
    if not isinstance(image, np.ndarray):
        raise TypeError(
            f"image must be a numpy.ndarray of uint8, got {type(image).__name__}; "
            "convert a PIL image with numpy.asarray(img), or call recolor.recolor()"
        )
    _refuse_subclass("image", image)
    check_layout(image.dtype, image.shape)
    return image if image.ndim == 3 else image[:, :, np.newaxis]


def _refuse_subclass(name: str, array: npt.NDArray[Any]) -> None:
    """Refuse an ndarray subclass: the techniques would honour its type in some places only.

    A subclass changes what indexing, ufuncs and reductions return (np.matrix
    keeps two dimensions, a masked array carries a mask OpenCV and numba never
    see), so each technique would treat it differently. numpy.asarray views its
    pixels as a plain ndarray, without a copy.
    """
    if type(array) is np.ndarray:
        return
    kind = type(array)
    remedy = f"pass numpy.asarray({name}), which views the same memory without a copy"
    if isinstance(array, np.ma.MaskedArray):
        remedy = (
            f"recolor would ignore its mask: pass {name}.filled(value) for the pixels you "
            f"mean, or numpy.asarray({name}) for its data as they are"
        )
    raise TypeError(
        f"{name} must be a plain numpy.ndarray, got the subclass "
        f"{kind.__module__}.{kind.__qualname__}; {remedy}"
    )


def check_layout(dtype: Any, shape: tuple[Any, ...]) -> None:
    """Refuse an image of another dtype than uint8, or of a shape recolor does not take.

    For arrays that are not numpy's too (a Dask array), which know their dtype
    and shape before their pixels.
    """
    if dtype != np.uint8:
        raise TypeError(
            f"image must have dtype uint8, got {dtype}; "
            "convert it first, for example with skimage.util.img_as_ubyte"
        )
    if len(shape) not in (2, 3):
        raise ValueError(
            f"image must have shape {_ALLOWED_SHAPES}, got {len(shape)} dimensions "
            f"with shape {shape}"
        )
    if len(shape) == 3 and shape[2] not in _ALLOWED_CHANNELS:
        raise ValueError(
            f"image must have 1, 3 or 4 channels (shape {_ALLOWED_SHAPES}), "
            f"got {shape[2]} channels with shape {shape}"
        )
    if 0 in shape:
        raise ValueError(f"image must have at least one pixel, got shape {shape}")


def _check_channel_values(
    name: str, value: Any, channels: int, *, broadcast: bool = False
) -> tuple[int, ...]:
    """Return ``value`` as one int per channel, each in 0..255.

    A bare integer is accepted for single-channel images, and for every
    channel count when ``broadcast`` is true (the tolerance).
    """
    # The common cases first, in as few steps as possible: this runs three
    # times on every call, and a call on a small image costs microseconds.
    if type(value) is tuple and len(value) == channels:
        for item in value:
            if type(item) is not int or not 0 <= item <= 255:
                break
        else:
            return value
    elif type(value) is int and 0 <= value <= 255 and (broadcast or channels == 1):
        return (value,) * channels
    if _is_integer(value):
        if not (broadcast or channels == 1):
            raise ValueError(
                f"{name} must have {channels} values, one per channel of the image, "
                f"got the single value {value!r}; write it as a tuple such as "
                f"{(0,) * channels}"
            )
        values: tuple[Any, ...] = (value,) * channels
    elif isinstance(value, (tuple, list)):
        values = tuple(value)
    elif isinstance(value, np.ndarray):
        if value.ndim != 1:
            raise ValueError(f"{name} must be one-dimensional, got an array of shape {value.shape}")
        values = tuple(value.tolist())
    else:
        raise TypeError(
            f"{name} must be an int or a sequence of {channels} ints, "
            f"got {type(value).__name__} {value!r}"
        )
    if len(values) != channels:
        raise ValueError(
            f"{name} must have {channels} values, one per channel of the image, "
            f"got {len(values)}: {value!r}"
        )
    for item in values:
        if not _is_integer(item):
            raise TypeError(
                f"{name} must contain integers, got {item!r} ({type(item).__name__}) in {value!r}"
            )
        if not 0 <= item <= 255:
            raise ValueError(f"{name} values must be in the range 0..255, got {item} in {value!r}")
    return tuple(map(int, values))


def _is_integer(value: Any) -> bool:
    # bool is an int subclass, but True as a colour channel is surely a mistake.
    # The exact-type test first: validation runs on every call, even 1x1 ones.
    return type(value) is int or (
        isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))
    )
