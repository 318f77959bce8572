"""The command line's frames: recoloured by Pillow alone until numpy's import pays, then by numpy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import recolor
from recolor.cli.batch import FAST_PNG_MIN_BYTES
from recolor.core.colors import match_bounds
from recolor.core.pillow_native import recolor_image
from recolor.files import frames as _frames
from recolor.testing import assert_image_equal, reference_recolor
from tests.processes import fresh_python

MODES = {"L": 1, "RGB": 3, "RGBA": 4}


def _few_values_image(mode: str, seed: int) -> Image.Image:
    """Values 0..3 only, so that exact and tolerant matches, and pixels already new, abound."""
    rng = np.random.default_rng(seed)
    shape = (23, 17) if mode == "L" else (23, 17, MODES[mode])
    return Image.fromarray(rng.integers(0, 4, shape, dtype=np.uint8))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("old", "new", "tolerance"),
    [
        (0, 3, 0),  # new outside the match
        (1, 2, 1),  # new inside the match: those pixels match and do not change
        (2, 2, 0),  # new is old: nothing changes
        (0, 200, 255),  # everything matches
    ],
)
def test_the_pillow_path_and_the_numpy_path_agree_on_pixels_and_count(
    mode: str, old: int, new: int, tolerance: int
) -> None:
    channels = MODES[mode]
    image = _few_values_image(mode, seed=channels + old)
    colours = (old,) * channels, (new,) * channels, (tolerance,) * channels
    lower, upper = match_bounds(colours[0], colours[2])
    by_pillow, pillow_count = recolor_image(image, lower, upper, colours[1])
    by_numpy, numpy_count = _frames._recolor_with_numpy(image, *colours, technique=None)
    expected = reference_recolor(np.asarray(image), *colours[:2], tolerance=colours[2])
    assert_image_equal(np.asarray(by_pillow), expected)
    assert_image_equal(np.asarray(by_numpy), expected)
    changed = np.asarray(image) != expected
    assert (
        pillow_count
        == numpy_count
        == int(np.count_nonzero(changed if changed.ndim == 2 else changed.any(axis=2)))
    )
    assert by_pillow.mode == by_numpy.mode == mode


def _apply_in_a_fresh_process(tmp_path: Path, size: int, *options: str) -> str:
    """`recolor apply` on the sample at ``size`` in a new interpreter: its status, and
    whether numpy got imported."""
    source = tmp_path / "portrait.png"
    Image.fromarray(recolor.sample_image(size, size)).save(source)
    printed = fresh_python(
        "import sys\n"
        "from recolor.cli import main\n"
        "status = main(['apply', *sys.argv[1:]])\n"
        "print(status, 'numpy' in sys.modules)",
        str(source),
        str(tmp_path / "out.png"),
        *options,
    )
    return printed.splitlines()[-1]


def test_one_image_through_apply_never_imports_numpy(tmp_path: Path) -> None:
    """A 998x998 PNG is 0.57 MB: below what pays for numpy and recolor's PNG writer."""
    assert _apply_in_a_fresh_process(tmp_path, 998) == "0 False"
    assert (tmp_path / "portrait.png").stat().st_size < FAST_PNG_MIN_BYTES
    expected = reference_recolor(recolor.sample_image(998, 998), (0, 0, 0, 0), (5, 3, 192, 255))
    with Image.open(tmp_path / "out.png") as written:
        assert_image_equal(np.asarray(written), expected)


def test_a_png_that_pays_for_numpy_gets_recolors_writer(tmp_path: Path) -> None:
    assert _apply_in_a_fresh_process(tmp_path, 1400) == "0 True"
    assert (tmp_path / "portrait.png").stat().st_size >= FAST_PNG_MIN_BYTES
    expected = reference_recolor(recolor.sample_image(1400, 1400), (0, 0, 0, 0), (5, 3, 192, 255))
    with Image.open(tmp_path / "out.png") as written:
        assert_image_equal(np.asarray(written), expected)


def test_a_named_technique_runs_through_numpy(tmp_path: Path) -> None:
    assert _apply_in_a_fresh_process(tmp_path, 20, "--technique", "numpy_mask") == "0 True"


def test_enough_pixels_pay_for_numpy_and_then_get_it() -> None:
    chosen = fresh_python(
        "import sys\n"
        "from PIL import Image\n"
        "from recolor.files import frames as _frames\n"
        "frame = Image.new('RGBA', (998, 998))\n"
        "frames = 0\n"
        "while 'numpy' not in sys.modules:\n"
        "    _frames.recolor_frame(frame, (0,) * 4, (5, 3, 192, 255), tolerance=(0,) * 4)\n"
        "    frames += 1\n"
        "print(frames)"
    )
    # The import (0.075 s) pays after about 21 megapixel frames of what numpy saves.
    assert 15 <= int(chosen) <= 30
