"""Rows of bytes against rows of bounds: the range path of numpy_packed and the numba kernels.

The property tests (tests/test_properties.py) prove every technique on any
layout up to 48 pixels a side, which fits in one of numpy_packed's blocks of
rows; here images are tall enough for several blocks, with a last one cut
short, and their rows wide enough for every vector width.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recolor import TECHNIQUES
from recolor.core.rows import range_rows
from recolor.core.validation import validate_request
from recolor.testing import assert_image_equal, reference_recolor, require_available

RANGE_TECHNIQUES = ("numpy_packed", "numba_serial", "numba_parallel")


@pytest.mark.parametrize("name", RANGE_TECHNIQUES)
@settings(max_examples=15, deadline=None)
@given(
    channels=st.sampled_from([1, 3, 4]),
    height=st.integers(1, 700),
    width=st.integers(1, 260),
    tolerance=st.integers(0, 12),
    padding=st.integers(0, 5),
    seed=st.integers(0, 2**32 - 1),
)
def test_tall_and_wide_images_in_several_blocks(
    name: str, channels: int, height: int, width: int, tolerance: int, padding: int, seed: int
) -> None:
    require_available(TECHNIQUES[name])
    rng = np.random.default_rng(seed)
    # Values near the old colour and far from it, in rows padded apart by `padding` bytes.
    buffer = rng.choice(
        np.array([0, 3, 9, 14, 200], np.uint8), (height, width * channels + padding)
    )
    image = buffer[:, : width * channels].reshape(height, width, channels)
    old, new = (9, 0, 3, 14)[:channels], (5, 3, 192, 255)[:channels]
    if tolerance == 0 and channels != 3:
        tolerance = 1  # exact RGBA and gray take the word paths, proven elsewhere
    expected = reference_recolor(image, old, new, tolerance=tolerance)
    assert_image_equal(TECHNIQUES[name].func(image, old, new, tolerance=tolerance), expected)
    out = np.empty_like(expected)
    TECHNIQUES[name].func(image, old, new, tolerance=tolerance, out=out)
    assert_image_equal(out, expected)


def test_rows_view_the_pixels_where_channels_are_adjacent_and_copy_them_where_not() -> None:
    buffer = np.arange(6 * 13, dtype=np.uint8).reshape(6, 13)
    padded = buffer[:, :12].reshape(6, 4, 3)
    rows = range_rows(validate_request(padded, (0, 0, 0), (1, 1, 1), 2, None))
    assert np.shares_memory(rows.rows, buffer)
    assert np.shares_memory(rows.flat, buffer)
    assert rows.row_stride == 13
    assert rows.flat[13 * 5 : 13 * 5 + 12].tolist() == padded[5].reshape(-1).tolist()
    reversed_rows = range_rows(validate_request(padded[::-1], (0, 0, 0), (1, 1, 1), 2, None))
    assert not np.shares_memory(reversed_rows.flat, buffer)
    assert reversed_rows.rows.tolist() == padded[::-1].reshape(6, 12).tolist()


def test_the_bounds_are_repeated_per_pixel_and_shared_read_only() -> None:
    image = np.zeros((2, 3, 3), np.uint8)
    rows = range_rows(validate_request(image, (10, 250, 0), (1, 2, 3), 8, None))
    assert rows.lower.tolist() == [2, 242, 0] * 3
    assert rows.span.tolist() == [16, 13, 8] * 3
    assert rows.new.tolist() == [1, 2, 3] * 3
    assert rows.phases.tolist() == [[255, 0, 0] * 3, [0, 255, 0] * 3, [0, 0, 255] * 3]
    assert not any(array.flags.writeable for array in rows[3:7])
