"""recolor.recolor, the sample image and the thread cap."""

from __future__ import annotations

import hashlib

import cv2
import numpy as np
import pytest
from PIL import Image

import recolor
from recolor import TECHNIQUES
from recolor.testing import assert_image_equal, reference_recolor, require_available
from tests.processes import fresh_python

OLD = (0, 0, 0, 0)
NEW = (5, 3, 192, 255)


@pytest.mark.parametrize("name", [None, *TECHNIQUES])
def test_recolor_by_name_or_default(name: str | None) -> None:
    if name is not None:
        require_available(TECHNIQUES[name])
    image = recolor.sample_image(40, 30)
    assert_image_equal(
        recolor.recolor(image, OLD, NEW, technique=name), reference_recolor(image, OLD, NEW)
    )


@pytest.mark.parametrize(
    ("shape", "old", "new", "tolerance"),
    [
        ((998, 998, 4), OLD, NEW, 0),
        ((64, 64, 4), OLD, NEW, 0),
        ((600, 600, 3), (0, 0, 0), (1, 2, 3), 0),
        ((600, 600, 4), OLD, NEW, 2),
        ((30, 30), 0, 9, 0),
    ],
)
def test_default_technique_is_an_available_one_and_right(shape, old, new, tolerance) -> None:
    image = np.zeros(shape, np.uint8)
    chosen = recolor.fastest_technique(image, old, new, tolerance=tolerance)
    assert chosen.available
    assert not chosen.per_pixel_loop
    assert_image_equal(
        recolor.recolor(image, old, new, tolerance=tolerance),
        reference_recolor(image, old, new, tolerance=tolerance),
    )


def test_default_technique_keeps_small_images_on_one_thread() -> None:
    chosen = recolor.fastest_technique(np.zeros((64, 64, 4), np.uint8), OLD, NEW)
    assert chosen.name != "numba_parallel"


@pytest.mark.parametrize("mode", ["RGBA", "RGB", "L"])
def test_pillow_image_in_pillow_image_out(mode: str) -> None:
    array = recolor.sample_image(20, 10)
    image = Image.fromarray(array).convert(mode)
    before = image.tobytes()
    channels = len(image.getbands())
    old, new = (0,) * channels, (7,) * channels
    out = recolor.recolor(image, old, new)
    assert isinstance(out, Image.Image)
    assert (out.mode, out.size) == (mode, image.size)
    assert image.tobytes() == before
    assert_image_equal(np.asarray(out), reference_recolor(np.asarray(image), old, new))


def test_pillow_image_of_another_mode_is_refused() -> None:
    with pytest.raises(ValueError, match=r"mode 'P'.*convert"):
        recolor.recolor(Image.new("P", (3, 3)), 0, 1)


def test_sample_image_is_a_portrait_on_a_transparent_background() -> None:
    image = recolor.sample_image()
    assert image.shape == (998, 998, 4)
    assert image.dtype == np.uint8
    background = np.all(image == recolor.BACKGROUND, axis=-1)
    assert 0.4 < background.mean() < 0.6
    assert tuple(image[0, 0]) == (0, 0, 0, 0)
    pixels = {tuple(p) for p in image.reshape(-1, 4)[~background.ravel()][::7].tolist()}
    assert (0, 0, 0, 1) in pixels or (0, 0, 0, 255) in pixels
    assert np.all(image == recolor.sample_image())  # deterministic
    assert not np.array_equal(image, recolor.sample_image(seed=1))


def test_sample_image_near_misses_are_all_there() -> None:
    flat = {tuple(p) for p in recolor.sample_image(200, 200).reshape(-1, 4).tolist()}
    for near_miss in [(0, 0, 0, 1), (0, 0, 0, 255), (1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0)]:
        assert near_miss in flat


@pytest.mark.parametrize(
    ("size", "seed", "sha256"),
    [
        ((998, 998), 0, "35a35c6ee91ee1efc3b5d71a61da60c119f0128f0e0752dabe887e6e1f86f6c4"),
        ((256, 256), 0, "6c3df2589d0000c0e97d6bbec20ba8f5d350e59533cea58e54404584e7a489b4"),
        ((64, 48), 3, "9c9717b5a1a468f35049858e325558f682a63bb4ce7459a58ae7457a5ce4a227"),
        ((3, 1000), 1, "6c95739dbb24b017a2ae2eaeab3b6e3799c1237a787847885f64fba1fbf44022"),
    ],
)
def test_sample_image_keeps_its_pixels(size: tuple[int, int], seed: int, sha256: str) -> None:
    # The stored benchmark figures measured these pixels: a change would move them all.
    pixels = recolor.sample_image(*size, seed=seed).tobytes()
    assert hashlib.sha256(pixels).hexdigest() == sha256


def test_sample_image_is_a_fresh_writable_copy() -> None:
    first = recolor.sample_image(10, 10)
    first[:] = 255
    assert tuple(recolor.sample_image(10, 10)[0, 0]) == (0, 0, 0, 0)


@pytest.mark.parametrize(("width", "height"), [(0, 5), (5, -1), (2.5, 5), (True, 5)])
def test_sample_image_refuses_bad_sizes(width, height) -> None:
    with pytest.raises(ValueError, match="must be a positive int"):
        recolor.sample_image(width, height)


def test_sample_image_non_square() -> None:
    assert recolor.sample_image(7, 3).shape == (3, 7, 4)


def test_thread_limit_caps_and_restores_opencv() -> None:
    before = cv2.getNumThreads()
    with recolor.thread_limit(1):
        assert cv2.getNumThreads() == 1
    assert cv2.getNumThreads() == before


def test_thread_limit_caps_numba_once_imported() -> None:
    numba = pytest.importorskip("numba")
    before = numba.get_num_threads()
    with recolor.thread_limit(1):
        assert numba.get_num_threads() == 1
    assert numba.get_num_threads() == before


@pytest.mark.parametrize("threads", [0, -2, 1.5, "2"])
def test_thread_limit_refuses_bad_counts(threads) -> None:
    with pytest.raises(ValueError, match="threads must be a positive int or None"):
        recolor.set_thread_limit(threads)


def test_one_image_never_waits_for_numbas_kernels() -> None:
    pytest.importorskip("numba")
    chosen = fresh_python(
        "import sys, recolor\n"
        "image = recolor.sample_image(998, 998)\n"
        "recolor.recolor(image, (0, 0, 0, 0), (5, 3, 192, 255))\n"
        "print(recolor.fastest_technique(image, (0, 0, 0, 0), (5, 3, 192, 255)).name,"
        " 'numba' in sys.modules)"
    )
    assert chosen == "numpy_packed False"


def test_enough_work_pays_for_the_kernels_and_then_gets_them() -> None:
    pytest.importorskip("numba")
    chosen = fresh_python(
        "import recolor\n"
        "from recolor.core.choice import FIGURES\n"
        "image = recolor.sample_image(998, 998)\n"
        "calls = int(FIGURES.kernels_price_seconds / (image.shape[0] * image.shape[1]"
        " * FIGURES.kernels_saved_seconds_per_pixel)) + 1\n"
        "names = []\n"
        "for _ in range(calls + 1):\n"
        "    names.append(recolor.fastest_technique(image, (0, 0, 0, 0), (5, 3, 192, 255)).name)\n"
        "    recolor.recolor(image, (0, 0, 0, 0), (5, 3, 192, 255))\n"
        "print(names[0], names[-2], names[-1], calls)"
    )
    first, before, last, calls = chosen.split()
    # The call whose savings reach the price is the first to get the kernels.
    assert (first, last) == ("numpy_packed", "numba_parallel")
    assert before != "numba_parallel"
    assert int(calls) > 100  # one megapixel image never pays for the load


def test_kernels_already_loaded_are_used_from_the_first_call_but_not_on_tiny_images() -> None:
    pytest.importorskip("numba")
    chosen = fresh_python(
        "import recolor\n"
        "image = recolor.sample_image(64, 64)\n"
        "recolor.numba_serial(image, (0, 0, 0, 0), (5, 3, 192, 255))\n"
        "print(recolor.fastest_technique(image, (0, 0, 0, 0), (5, 3, 192, 255)).name)\n"
        "tiny = recolor.sample_image(16, 16)\n"
        "print(recolor.fastest_technique(tiny, (0, 0, 0, 0), (5, 3, 192, 255)).name)"
    )
    # Below compiled_min_pixels, numpy_packed's calls cost less than crossing into numba.
    assert chosen.split() == ["numba_serial", "numpy_packed"]


def test_an_exact_match_by_default_never_imports_opencv_and_a_cap_reaches_it_later() -> None:
    imported = fresh_python(
        "import sys, recolor\n"
        "image = recolor.sample_image(64, 64)\n"
        "recolor.recolor(image, (0, 0, 0, 0), (5, 3, 192, 255))\n"
        "print('cv2' in sys.modules)\n"
        "with recolor.thread_limit(1):\n"
        "    recolor.opencv_native(image, (0, 0, 0, 0), (5, 3, 192, 255))\n"
        "    import cv2\n"
        "    print(cv2.getNumThreads())"
    )
    assert imported.split() == ["False", "1"]
