"""The timing scripts of benchmarks/ run, and print a row for everything they promise."""

from __future__ import annotations

import re

import pytest

import recolor
from tools import call_overhead, cli_timing


def test_call_overhead_times_every_fast_technique_and_the_floors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert call_overhead.main(["--size", "4", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    assert re.match(r"4x4 RGBA, .+, median of 1 rounds:\n", out)
    rows = {line.rsplit(None, 4)[0].strip() for line in out.splitlines()[1:]}
    expected = {"numpy.copy", "recolor.recolor", "recolor.recolor, out=", "floor: numpy, no checks"}
    expected |= {
        t.name for t in recolor.TECHNIQUES.values() if t.available and not t.per_pixel_loop
    }
    if recolor.TECHNIQUES["numba_serial"].available:
        expected.add("floor: numba, no checks")
    assert rows == expected


def test_cli_timing_times_one_image_a_batch_and_pillow(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_timing.main(["--rounds", "1", "--batch", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    for line, name in zip(
        lines,
        [
            "Pillow open, copy, save",
            "recolor apply, one image (",
            "recolor apply, per image of 2 (",
        ],
        strict=True,
    ):
        assert line.startswith(name), line
        assert re.search(r" \d+\.\d ms +\d+\.\d\dx Pillow's$", line), line
