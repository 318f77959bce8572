"""The timing scripts of tools/ run, and print a row for everything they promise."""

from __future__ import annotations

import re

import pytest

import recolor
from recolor.core.choice_figures import ChoiceFigures
from recolor.core.cpu import cpu_kind
from tools import call_overhead, choice_figures, cli_timing, peer_race


def test_call_overhead_times_every_fast_technique_and_the_floors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert call_overhead.main(["--size", "4", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    assert re.match(r"4x4 RGBA, .+, median of 1 rounds:\n", out)
    lines = out.splitlines()[1:]
    rows = {line.rsplit(None, 6)[0].strip() for line in lines}
    assert all(
        re.search(r" \d+\.\d\d us per call +\d+\.\d\dx numpy\.copy$", line) for line in lines
    )
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


def test_peer_race_times_recolor_and_each_peer_or_says_how_to_install_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert peer_race.main(["--images", "2", "--rounds", "1", "--side", "40"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "2 PNGs of 40x40 RGBA" in lines[0]
    rows = [line for line in lines if line.startswith("| ") and not line.startswith("| command")]
    assert len(rows) == 3  # recolor, pyvips, ImageMagick
    assert rows[0].startswith(f"| recolor apply {recolor.__version__} | ")
    assert rows[0].endswith(" | 1.00 | 0.0 MB | 0 |"), rows[0]
    for row in rows[1:]:
        timed = re.search(r" \| \d+\.\d\d s \| \d+\.\d\d \| \d+\.\d MB \| [\d,]+ \|$", row)
        assert timed or " | not installed: " in row, row


def test_png_figure_prints_the_saving_per_pixel(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_timing.main(["--png-figure", "--rounds", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("  ")[0] for line in lines[:2]] == ["Pillow's encoder", "recolor.files.png"]
    assert re.fullmatch(r"png_saved_seconds_per_pixel=-?[\d.e+-]+", lines[2])


def test_choice_figures_times_the_choices_techniques_and_prints_the_tables_fields(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("numba")
    sides = ["16", "256", "512"]
    assert choice_figures.main(["--rounds", "1", "--processes", "1", "--sides", *sides]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert f"kind {cpu_kind()!r}" in lines[0]
    assert [line.split()[0] for line in lines[2:5]] == sides
    assert lines[5] == "figures:"
    printed = {line.split(" = ")[0].strip() for line in lines[6:]}
    # Every figure it prints is a field of the table's entries.
    assert printed <= set(ChoiceFigures._fields)
    assert {"kernels_price_seconds", "opencv_price_seconds", "large_pixels"} <= printed


def test_dask_throughput_prints_the_batch_and_the_array_against_their_bases(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("distributed")
    from tools import dask_throughput

    options = ["--images", "2", "--side", "512", "--chunk", "256", "--rounds", "1"]
    assert dask_throughput.main(options) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "recolor apply, 2 files of 998x998:"
    batch = [line.split("  ")[1].strip() for line in lines[2:5]]
    assert batch[:2] == ["one process, no Dask", "Dask, 1 worker"]
    assert re.fullmatch(r"  one process, no Dask +\d+\.\d images/s   1\.00x one process", lines[2])
    assert lines[-3].startswith("a 512x512 RGBA Dask array in 256x256 chunks")
    assert re.fullmatch(r"  copy of every chunk +\d+\.\d MP/s   1\.00x the copy", lines[-2])
    assert re.fullmatch(r"  recolor.recolor +\d+\.\d MP/s +\d\.\d\dx the copy", lines[-1])
