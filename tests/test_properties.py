"""Property tests: every technique, and ``recolor.recolor``, right on any input.

The inputs are generated (:mod:`tests.strategies`), not listed: any memory
layout numpy can make of a flat buffer (rows padded by any number of bytes,
pixels spaced by steps of -3..3, words unaligned, C or Fortran order,
read-only or not), 2-D or 1 to 4 channels, any colours and tolerances. The
oracle is :func:`recolor.testing.reference_recolor`.
"""

from __future__ import annotations

from typing import Any
from unittest import mock

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import recolor
from recolor import TECHNIQUES
from recolor.testing import assert_image_equal, reference_recolor, require_available
from tests.strategies import Example, examples, outs

#: Five times the profile's examples: a layout that breaks a technique may be one
#: example in a few hundred (a packed path takes only one column step of the six).
LAYOUT_SETTINGS = settings(max_examples=5 * settings.default.max_examples)

#: Every technique by name, and the function users call, which picks one.
FUNCTIONS = [*TECHNIQUES, "recolor.recolor"]


def _function(name: str) -> Any:
    if name == "recolor.recolor":
        return recolor.recolor
    return require_available(TECHNIQUES[name]).func


def _takes(example: Example) -> bool:
    """Whether recolor takes the example's image: 2-D, or 1, 3 or 4 channels."""
    shape = example.image.array.shape
    return len(shape) == 2 or shape[2] != 2


@pytest.mark.parametrize("name", FUNCTIONS)
@LAYOUT_SETTINGS
@given(example=examples())
def test_any_input_gives_the_reference(name: str, example: Example) -> None:
    function = _function(name)
    image = example.image.array
    before = image.copy()
    if not _takes(example):
        with pytest.raises(ValueError, match=r"^image must have 1, 3 or 4 channels"):
            function(image, example.old, example.new, tolerance=example.tolerance)
        return
    expected = reference_recolor(image, example.old, example.new, tolerance=example.tolerance)

    result = function(image, example.old, example.new, tolerance=example.tolerance)

    assert_image_equal(result, expected)
    assert result.flags.c_contiguous
    assert not np.shares_memory(result, image)
    assert_image_equal(image, before)


@pytest.mark.parametrize("name", FUNCTIONS)
@LAYOUT_SETTINGS
@given(example=examples(), data=st.data())
def test_any_input_into_any_out(name: str, example: Example, data: st.DataObject) -> None:
    """``out`` in any layout too: used when C-contiguous and writable, refused otherwise."""
    assume(_takes(example))
    function = _function(name)
    image = example.image.array
    out = data.draw(outs(image.shape), label="out")
    before = image.copy()
    arguments = (example.old, example.new)
    if not (out.array.flags.c_contiguous and out.array.flags.writeable):
        with pytest.raises(ValueError, match=r"^out must be (C-contiguous|writable)"):
            function(image, *arguments, tolerance=example.tolerance, out=out.array)
        return
    expected = reference_recolor(image, *arguments, tolerance=example.tolerance)

    result = function(image, *arguments, tolerance=example.tolerance, out=out.array)

    assert result is out.array
    assert_image_equal(result, expected)
    assert_image_equal(image, before)
    if image.flags.c_contiguous and image.flags.writeable:  # and in place
        function(image, *arguments, tolerance=example.tolerance, out=image)
        assert_image_equal(image, expected)


@pytest.mark.parametrize("name", FUNCTIONS)
@given(example=examples())
def test_recolouring_twice_changes_nothing_more(name: str, example: Example) -> None:
    # Unless new itself matches old: then the second pass recolours it again.
    assume(_takes(example))
    new = np.atleast_1d(example.new).astype(int)
    old = np.atleast_1d(example.old).astype(int)
    assume(not np.all(np.abs(new - old) <= np.broadcast_to(example.tolerance, old.shape)))
    function = _function(name)
    image = example.image.array
    once = function(image, example.old, example.new, tolerance=example.tolerance)
    twice = function(once, example.old, example.new, tolerance=example.tolerance)
    assert_image_equal(twice, once)


#: Techniques that work a strip of rows at a time, and the module setting that sizes it.
STRIPS = [
    ("opencv_native", "recolor.techniques.opencv_techniques", "_STRIP_BYTES"),
    ("numpy_packed", "recolor.techniques.numpy_techniques", "_BLOCK_BYTES"),
]


@pytest.mark.parametrize(("name", "module", "setting"), STRIPS)
@given(example=examples(), strip_bytes=st.integers(1, 4096))
def test_strips_cut_anywhere_give_the_reference(
    name: str, module: str, setting: str, example: Example, strip_bytes: int
) -> None:
    """The examples fit one strip of the real size; strips from one byte cut them anywhere."""
    assume(_takes(example))
    function = _function(name)
    image = example.image.array
    expected = reference_recolor(image, example.old, example.new, tolerance=example.tolerance)

    with mock.patch(f"{module}.{setting}", strip_bytes):
        result = function(image, example.old, example.new, tolerance=example.tolerance)

    assert_image_equal(result, expected)
