"""Property tests: on any shape, layout, colour and tolerance, every technique is right."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given

from recolor import TECHNIQUES
from recolor.testing import assert_image_equal, reference_recolor, require_available
from tests.strategies import Example, examples


@pytest.mark.parametrize("name", list(TECHNIQUES))
@given(example=examples())
def test_technique_equals_reference(name: str, example: Example) -> None:
    technique = require_available(TECHNIQUES[name])
    before = example.image.copy()
    out = technique.func(example.image, example.old, example.new, tolerance=example.tolerance)
    expected = reference_recolor(
        example.image, example.old, example.new, tolerance=example.tolerance
    )
    assert_image_equal(out, expected)
    assert out.flags.c_contiguous
    assert not np.shares_memory(out, example.image)
    assert_image_equal(example.image, before)


@pytest.mark.parametrize("name", list(TECHNIQUES))
@given(example=examples())
def test_out_and_in_place_equal_the_reference(name: str, example: Example) -> None:
    technique = require_available(TECHNIQUES[name])
    expected = reference_recolor(
        example.image, example.old, example.new, tolerance=example.tolerance
    )
    out = np.empty(example.image.shape, dtype=np.uint8)
    result = technique.func(
        example.image, example.old, example.new, tolerance=example.tolerance, out=out
    )
    assert result is out
    assert_image_equal(out, expected)
    in_place = np.ascontiguousarray(example.image).copy()
    technique.func(in_place, example.old, example.new, tolerance=example.tolerance, out=in_place)
    assert_image_equal(in_place, expected)


@pytest.mark.parametrize("name", list(TECHNIQUES))
@given(example=examples())
def test_recolouring_twice_changes_nothing_more(name: str, example: Example) -> None:
    # Unless new itself matches old: then the second pass recolours it again.
    new = np.atleast_1d(example.new).astype(int)
    old = np.atleast_1d(example.old).astype(int)
    assume(not np.all(np.abs(new - old) <= np.broadcast_to(example.tolerance, old.shape)))
    technique = require_available(TECHNIQUES[name]).func
    once = technique(example.image, example.old, example.new, tolerance=example.tolerance)
    twice = technique(once, example.old, example.new, tolerance=example.tolerance)
    assert_image_equal(twice, once)
