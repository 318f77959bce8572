"""Property tests: on any shape, layout, colour and tolerance, every technique is right."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from recolor import TECHNIQUES
from recolor.testing import assert_image_equal, reference_recolor
from tests.strategies import Example, examples


@pytest.mark.parametrize("name", list(TECHNIQUES))
@given(example=examples())
def test_technique_equals_reference(name: str, example: Example) -> None:
    technique = TECHNIQUES[name]
    if not technique.available:
        pytest.skip(f"{name} needs {technique.requires}")
    before = example.image.copy()
    out = technique.func(example.image, example.old, example.new, tolerance=example.tolerance)
    expected = reference_recolor(
        example.image, example.old, example.new, tolerance=example.tolerance
    )
    assert_image_equal(out, expected)
    assert out.flags.c_contiguous
    assert not np.shares_memory(out, example.image)
    assert_image_equal(example.image, before)


@given(example=examples())
def test_reference_is_idempotent_when_new_is_outside_the_tolerance(example: Example) -> None:
    # Recolouring twice changes nothing more, unless new itself matches old.
    once = reference_recolor(example.image, example.old, example.new, tolerance=example.tolerance)
    twice = reference_recolor(once, example.old, example.new, tolerance=example.tolerance)
    new = np.atleast_1d(example.new)
    old = np.atleast_1d(example.old)
    tolerance = np.broadcast_to(example.tolerance, old.shape)
    if np.all(np.abs(new.astype(int) - old) <= tolerance):
        return
    assert_image_equal(twice, once)
