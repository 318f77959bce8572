"""Every technique refuses the same bad input, with a message that helps."""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple

import numpy as np
import pytest

import recolor
from recolor import TECHNIQUES
from recolor.testing import require_available

RGBA = np.zeros((4, 5, 4), dtype=np.uint8)
RGB = np.zeros((4, 5, 3), dtype=np.uint8)
GRAY = np.zeros((4, 5), dtype=np.uint8)
OLD = (0, 0, 0, 0)
NEW = (5, 3, 192, 255)


class BadCall(NamedTuple):
    image: Any
    old: Any
    new: Any
    tolerance: Any
    error: type[Exception]
    message: str  # a regex every message must contain


BAD_CALLS = {
    "image-list": BadCall([[0, 0]], 0, 1, 0, TypeError, r"image must be a numpy.ndarray.*got list"),
    "image-pil": BadCall(None, OLD, NEW, 0, TypeError, r"image must be a numpy.ndarray.*got Image"),
    "image-float": BadCall(
        RGBA.astype(float), OLD, NEW, 0, TypeError, r"image must have dtype uint8, got float64"
    ),
    "image-uint16": BadCall(
        RGBA.astype(np.uint16), OLD, NEW, 0, TypeError, r"dtype uint8, got uint16"
    ),
    "image-bool": BadCall(GRAY.astype(bool), 0, 1, 0, TypeError, r"dtype uint8, got bool"),
    "image-1d": BadCall(
        np.zeros(8, np.uint8), 0, 1, 0, ValueError, r"image must have shape .*got 1 dimensions"
    ),
    "image-4d": BadCall(
        np.zeros((2, 2, 2, 4), np.uint8), OLD, NEW, 0, ValueError, r"got 4 dimensions"
    ),
    "image-2-channels": BadCall(
        np.zeros((3, 3, 2), np.uint8), (0, 0), (1, 1), 0, ValueError, r"1, 3 or 4 channels.*got 2"
    ),
    "image-5-channels": BadCall(
        np.zeros((3, 3, 5), np.uint8), OLD, NEW, 0, ValueError, r"got 5 channels"
    ),
    "image-empty": BadCall(
        np.zeros((0, 3, 4), np.uint8),
        OLD,
        NEW,
        0,
        ValueError,
        r"at least one pixel, got shape \(0, 3, 4\)",
    ),
    "old-too-short": BadCall(
        RGBA, (0, 0, 0), NEW, 0, ValueError, r"old must have 4 values.*got 3: \(0, 0, 0\)"
    ),
    "new-too-long": BadCall(RGB, (0, 0, 0), NEW, 0, ValueError, r"new must have 3 values.*got 4"),
    "old-bare-int-for-rgba": BadCall(
        RGBA, 0, NEW, 0, ValueError, r"old must have 4 values.*single value 0"
    ),
    "old-too-big": BadCall(
        RGBA, (0, 0, 0, 256), NEW, 0, ValueError, r"old values must be in the range 0..255, got 256"
    ),
    "new-negative": BadCall(
        RGBA,
        OLD,
        (5, -1, 192, 255),
        0,
        ValueError,
        r"new values must be in the range 0..255, got -1",
    ),
    "old-float": BadCall(
        RGBA, (0.0, 0, 0, 0), NEW, 0, TypeError, r"old must contain integers, got 0.0 \(float\)"
    ),
    "new-bool": BadCall(GRAY, 0, True, 0, TypeError, r"new must be an int or a sequence"),
    "old-string": BadCall(
        RGBA, "0,0,0,0", NEW, 0, TypeError, r"old must be an int or a sequence of 4 ints, got str"
    ),
    "old-none": BadCall(
        RGBA, None, NEW, 0, TypeError, r"old must be an int or a sequence.*got NoneType"
    ),
    "old-2d-array": BadCall(
        RGBA,
        np.zeros((2, 2), int),
        NEW,
        0,
        ValueError,
        r"old must be one-dimensional, got an array of shape \(2, 2\)",
    ),
    "new-float-array": BadCall(
        RGBA, OLD, np.array(NEW, float), 0, TypeError, r"new must contain integers, got 5.0"
    ),
    "gray-old-too-big": BadCall(
        GRAY, 300, 1, 0, ValueError, r"old values must be in the range 0..255, got 300"
    ),
    "tolerance-negative": BadCall(
        RGBA, OLD, NEW, -1, ValueError, r"tolerance values must be in the range 0..255, got -1"
    ),
    "tolerance-too-big": BadCall(
        RGBA, OLD, NEW, (0, 0, 0, 256), ValueError, r"tolerance values .*got 256"
    ),
    "tolerance-wrong-length": BadCall(
        RGBA, OLD, NEW, (1, 2), ValueError, r"tolerance must have 4 values.*got 2"
    ),
    "tolerance-float": BadCall(
        RGBA, OLD, NEW, 0.5, TypeError, r"tolerance must be an int or a sequence.*got float 0.5"
    ),
    "tolerance-none": BadCall(
        RGBA, OLD, NEW, None, TypeError, r"tolerance must be an int.*got NoneType"
    ),
}


@pytest.mark.parametrize("name", list(TECHNIQUES))
@pytest.mark.parametrize("bad", list(BAD_CALLS.values()), ids=list(BAD_CALLS))
def test_bad_input_is_refused(name: str, bad: BadCall) -> None:
    # Validation runs before any optional import, so even a technique whose
    # extra is missing refuses bad input the same way.
    image = bad.image
    if image is None:
        from PIL import Image

        image = Image.new("RGBA", (4, 4))
    with pytest.raises(bad.error, match=bad.message):
        TECHNIQUES[name].func(image, bad.old, bad.new, tolerance=bad.tolerance)


def test_bad_input_is_refused_by_recolor_too() -> None:
    with pytest.raises(ValueError, match="old must have 4 values"):
        recolor.recolor(RGBA, (0, 0, 0), NEW)


def test_unknown_technique_lists_the_available_ones() -> None:
    with pytest.raises(
        ValueError, match=r"technique must be one of \[.*'numpy_mask'.*\].*got 'fastest'"
    ):
        recolor.recolor(RGBA, OLD, NEW, technique="fastest")


def test_bad_input_leaves_the_image_alone() -> None:
    image = np.zeros((3, 3, 4), np.uint8)
    with pytest.raises(ValueError):
        recolor.numpy_mask(image, OLD, (0, 0, 0, 999))
    assert not image.any()


def _overlapping_view() -> tuple[np.ndarray, np.ndarray]:
    """An image and an array of its shape that share memory without being it."""
    buffer = np.zeros(4 * 5 * 4 + 4, np.uint8)
    return buffer[:-4].reshape(4, 5, 4), buffer[4:].reshape(4, 5, 4)  # one pixel apart


class BadOut(NamedTuple):
    out: Any
    error: type[Exception]
    message: str


BAD_OUTS = {
    "out-list": BadOut([[0]], TypeError, r"out must be a numpy.ndarray of uint8 or None, got list"),
    "out-float": BadOut(np.zeros((4, 5, 4)), TypeError, r"out must have dtype uint8, got float64"),
    "out-shape": BadOut(
        np.zeros((5, 4, 4), np.uint8), ValueError, r"out must have the image's shape \(4, 5, 4\)"
    ),
    "out-fortran": BadOut(
        np.zeros((4, 5, 4), np.uint8, order="F"), ValueError, r"out must be C-contiguous"
    ),
    "out-strided": BadOut(
        np.zeros((8, 5, 4), np.uint8)[::2], ValueError, r"out must be C-contiguous"
    ),
    "out-read-only": BadOut(
        np.lib.stride_tricks.as_strided(np.zeros((4, 5, 4), np.uint8), writeable=False),
        ValueError,
        r"out must be writable",
    ),
}


@pytest.mark.parametrize("name", list(TECHNIQUES))
@pytest.mark.parametrize("bad", list(BAD_OUTS.values()), ids=list(BAD_OUTS))
def test_a_bad_out_is_refused_before_any_work(name: str, bad: BadOut) -> None:
    image = RGBA.copy()
    with pytest.raises(bad.error, match=bad.message):
        TECHNIQUES[name].func(image, OLD, NEW, out=bad.out)
    assert not image.any()
    if isinstance(bad.out, np.ndarray):
        assert not bad.out.any()


@pytest.mark.parametrize("name", list(TECHNIQUES))
def test_an_out_that_overlaps_the_image_without_being_it_is_refused(name: str) -> None:
    image, out = _overlapping_view()
    with pytest.raises(ValueError, match=r"out overlaps image without being it: pass out=image"):
        TECHNIQUES[name].func(image, OLD, NEW, out=out)
    assert not image.any()


def test_a_read_only_image_cannot_be_recoloured_in_place() -> None:
    image = RGBA.copy()
    image.flags.writeable = False
    with pytest.raises(ValueError, match="out must be writable"):
        recolor.recolor(image, OLD, NEW, out=image)


def test_a_pillow_image_takes_no_out() -> None:
    from PIL import Image

    with pytest.raises(TypeError, match=r"out works with numpy arrays"):
        recolor.recolor(Image.new("RGBA", (5, 4)), OLD, NEW, out=RGBA.copy())


@pytest.mark.parametrize("name", list(TECHNIQUES))
def test_colours_checked_before_do_not_vouch_for_an_equal_tuple_of_other_types(
    name: str,
) -> None:
    # Validation remembers the colour objects it last accepted; (False, 0, 0, 0) equals
    # (0, 0, 0, 0) and hashes alike, but is another object, and a bool is no colour.
    technique = require_available(TECHNIQUES[name])
    image = recolor.sample_image(4, 4)
    accepted = (0, 0, 0, 0)
    technique.func(image, accepted, (5, 3, 192, 255))
    technique.func(image, accepted, (5, 3, 192, 255))  # the remembered objects
    with pytest.raises(TypeError, match=r"old must contain integers, got False"):
        technique.func(image, (False, 0, 0, 0), (5, 3, 192, 255))
    with pytest.raises(ValueError, match=r"old must have 3 values"):
        technique.func(image[:, :, :3], accepted, (5, 3, 192))


class _Tagged(np.ndarray):
    """A subclass of a user's own, as libraries make them (units, metadata)."""


def _subclass(kind: str, shape: tuple[int, ...], tmp_path: Any) -> np.ndarray:
    """An ndarray subclass of ``kind`` holding zeros of ``shape``."""
    zeros = np.zeros(shape, np.uint8)
    if kind == "matrix":
        with warnings.catch_warnings():  # numpy discourages it, which is the point
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            return np.asmatrix(zeros)
    if kind == "masked":
        return np.ma.masked_array(zeros, mask=zeros.astype(bool))
    if kind == "memmap":
        mapped = np.memmap(tmp_path / "pixels", np.uint8, "w+", shape=shape)
        mapped[:] = 0
        return mapped
    return zeros.view(_Tagged)


SUBCLASSES = ["matrix", "masked", "memmap", "own"]


@pytest.mark.parametrize("kind", SUBCLASSES)
@pytest.mark.parametrize("name", [*TECHNIQUES, "recolor.recolor"])
def test_an_ndarray_subclass_is_refused_as_image_and_as_out(name: str, kind: str, tmp_path) -> None:
    """One decision for every technique: a subclass is refused, and the error says what to pass."""
    function = recolor.recolor if name == "recolor.recolor" else TECHNIQUES[name].func
    shape = (4, 5) if kind == "matrix" else (4, 5, 4)
    old, new = (0, 9) if kind == "matrix" else (OLD, NEW)
    image = _subclass(kind, shape, tmp_path)
    type_name = type(image).__qualname__
    with pytest.raises(
        TypeError,
        match=rf"^image must be a plain numpy.ndarray, got the subclass .*{type_name}; .*numpy.asarray\(image\)",
    ):
        function(image, old, new)
    out = _subclass(kind, shape, tmp_path)
    with pytest.raises(
        TypeError,
        match=rf"^out must be a plain numpy.ndarray, got the subclass .*{type_name}; .*numpy.asarray\(out\)",
    ):
        function(np.zeros(shape, np.uint8), old, new, out=out)
    assert not np.asarray(out).any()  # refused before any work


def test_the_remedy_for_a_subclass_works_and_writes_through() -> None:
    image = np.zeros((4, 5, 4), np.uint8).view(_Tagged)
    out = np.asarray(image)
    assert recolor.recolor(np.asarray(image), OLD, NEW, out=out) is out
    assert (np.asarray(image) == NEW).all()  # the subclass's own memory, recoloured


def test_a_masked_array_is_told_how_to_fill_its_mask() -> None:
    image = np.ma.masked_array(np.zeros((4, 5, 4), np.uint8))
    with pytest.raises(
        TypeError, match=r"recolor would ignore its mask: pass image.filled\(value\)"
    ):
        recolor.numpy_mask(image, OLD, NEW)
