"""The yardsticks and the bandwidth probe measure a copy, wherever the heap put the image."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from benchmarks.yardsticks import PROBE_DISTANCE, PROBE_PAGE, bandwidth_probe


def _address(array: np.ndarray) -> int:
    return int(array.__array_interface__["data"][0])


@given(
    height=st.integers(1, 64),
    width=st.integers(1, 64),
    channels=st.sampled_from((1, 3, 4)),
    offset=st.integers(0, PROBE_PAGE - 1),
)
def test_the_probe_copies_into_a_buffer_half_a_page_from_the_image(
    height: int, width: int, channels: int, offset: int
) -> None:
    # The image at every offset within a page, as the heap may place it: the probe's buffer
    # is always half a page past it (a few bytes past made memcpy 11x slower on AMD Zen 3).
    size = height * width * channels
    memory = np.random.default_rng(offset).integers(0, 256, size + PROBE_PAGE, dtype=np.uint8)
    start = (offset - _address(memory)) % PROBE_PAGE
    image = memory[start : start + size].reshape(height, width, channels)
    assert _address(image) % PROBE_PAGE == offset

    probe = bandwidth_probe(image)
    out = probe.args[0]
    assert (_address(out) - _address(image)) % PROBE_PAGE == PROBE_DISTANCE
    assert out.shape == image.shape
    assert out.flags.c_contiguous

    probe()
    np.testing.assert_array_equal(out, image)
