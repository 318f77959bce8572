"""The instrument's meters, and the suite's first-call probe: what they count, never how fast."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.first_call import first_call_seconds
from benchmarks.instrument import meters


def test_peak_bytes_sees_a_numpy_buffer() -> None:
    size = 1_000_000
    assert size <= meters.peak_bytes(lambda: np.ones(size, dtype=np.uint8)) < 2 * size


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(2.5, "2.5 s"), (0.0123, "12.3 ms"), (0.000123456, "123 us"), (4e-8, "40 ns")],
)
def test_format_seconds(seconds: float, text: str) -> None:
    assert meters.format_seconds(seconds) == text


def test_numbas_first_call_is_given_in_parts_that_add_up() -> None:
    pytest.importorskip("numba")
    timings = first_call_seconds("numba_serial", 32, 32)
    parts = ["import numba", "import the kernels' module", "load the kernels and run once"]
    assert all(timings[part] > 0 for part in parts)
    assert sum(timings[part] for part in parts) == pytest.approx(timings["first"], rel=1e-9)
    assert "import numba" not in first_call_seconds("numpy_packed", 32, 32)
