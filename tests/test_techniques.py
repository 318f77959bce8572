"""Every technique gives the reference's answer, on every kind of input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pytest

import recolor
from recolor import TECHNIQUES, Technique
from recolor.testing import assert_image_equal, reference_recolor, require_available
from tests.images import speckled

RGBA_OLD = (0, 0, 0, 0)
RGBA_NEW = (5, 3, 192, 255)


class Case(NamedTuple):
    make_image: Callable[[], npt.NDArray[np.uint8]]
    old: Any
    new: Any
    tolerance: Any = 0


def _writable(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    return np.array(image)


def _read_only(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    image = np.array(image)
    image.flags.writeable = False
    return image


def _channels_last_of_planar(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    # A (C, H, W) buffer seen as (H, W, C): the channel axis is the slowest.
    return np.moveaxis(np.ascontiguousarray(np.moveaxis(image, -1, 0)), 0, -1)


CASES = {
    "sample-998": Case(lambda: recolor.sample_image(), RGBA_OLD, RGBA_NEW),
    "sample-non-square": Case(lambda: recolor.sample_image(53, 31, seed=3), RGBA_OLD, RGBA_NEW),
    "rgba-speckled": Case(lambda: speckled((40, 27, 4), (9, 8, 7, 6)), (9, 8, 7, 6), RGBA_NEW),
    "rgb": Case(lambda: speckled((23, 41, 3), (10, 200, 30)), (10, 200, 30), (1, 2, 3)),
    "gray-2d": Case(lambda: speckled((29, 17), (128,)), 128, 7),
    "gray-2d-tuple-colours": Case(lambda: speckled((29, 17), (128,)), (128,), [7]),
    "gray-3d": Case(lambda: speckled((17, 29, 1), (0,)), (0,), (255,)),
    "tolerance-scalar": Case(
        lambda: speckled((31, 33, 4), (100, 50, 25, 200)), (100, 50, 25, 200), RGBA_NEW, 3
    ),
    "tolerance-per-channel": Case(
        lambda: speckled((31, 33, 4), (100, 50, 25, 200)),
        (100, 50, 25, 200),
        RGBA_NEW,
        (0, 1, 5, 40),
    ),
    "tolerance-clipped-low": Case(
        lambda: speckled((25, 19, 3), (1, 0, 2)), (1, 0, 2), (9, 9, 9), 4
    ),
    "tolerance-clipped-high": Case(
        lambda: speckled((25, 19, 3), (254, 255, 250)), (254, 255, 250), (9, 9, 9), 6
    ),
    "tolerance-255": Case(
        lambda: speckled((13, 11, 4), (0, 255, 128, 3)), (0, 255, 128, 3), RGBA_NEW, 255
    ),
    "tolerance-numpy-array": Case(
        lambda: speckled((13, 11, 4), (7, 7, 7, 7)),
        np.array([7, 7, 7, 7]),
        np.uint8(9) * np.ones(4, np.uint8),
        np.array([1, 0, 2, 0]),
    ),
    "strided": Case(lambda: speckled((60, 50, 4), RGBA_OLD)[::3, 1::2], RGBA_OLD, RGBA_NEW),
    "negative-strides": Case(
        lambda: speckled((20, 30, 3), (4, 5, 6))[::-1, ::-2], (4, 5, 6), (6, 5, 4)
    ),
    "strided-gray": Case(lambda: speckled((40, 30), (3,))[1::2, ::3], 3, 250),
    "fortran": Case(lambda: np.asfortranarray(speckled((21, 34, 4), RGBA_OLD)), RGBA_OLD, RGBA_NEW),
    "channels-not-contiguous": Case(
        lambda: _channels_last_of_planar(speckled((21, 34, 4), RGBA_OLD)), RGBA_OLD, RGBA_NEW
    ),
    "read-only": Case(lambda: _read_only(speckled((16, 24, 4), RGBA_OLD)), RGBA_OLD, RGBA_NEW),
    "writable": Case(lambda: _writable(speckled((16, 24, 4), RGBA_OLD)), RGBA_OLD, RGBA_NEW),
    "unaligned-words": Case(
        lambda: np.frombuffer(
            bytes(1) + speckled((9, 7, 4), RGBA_OLD).tobytes(), np.uint8, offset=1
        ).reshape(9, 7, 4),
        RGBA_OLD,
        RGBA_NEW,
    ),
    "all-match": Case(lambda: np.zeros((12, 9, 4), np.uint8), RGBA_OLD, RGBA_NEW),
    "all-match-tolerance": Case(
        lambda: np.full((12, 9, 3), 200, np.uint8), (198, 201, 200), (0, 0, 0), 2
    ),
    "no-match": Case(lambda: np.full((12, 9, 4), 1, np.uint8), RGBA_OLD, RGBA_NEW),
    "old-equals-new": Case(lambda: speckled((15, 14, 4), RGBA_OLD), RGBA_OLD, RGBA_OLD),
    "1x1": Case(lambda: np.zeros((1, 1, 4), np.uint8), RGBA_OLD, RGBA_NEW),
    "1x1-gray": Case(lambda: np.zeros((1, 1), np.uint8), 0, 1),
    "one-row": Case(lambda: speckled((1, 37, 3), (1, 2, 3)), (1, 2, 3), (3, 2, 1)),
    "one-column": Case(lambda: speckled((37, 1, 4), RGBA_OLD), RGBA_OLD, RGBA_NEW),
}


@pytest.fixture(params=list(TECHNIQUES), ids=str)
def technique(request: pytest.FixtureRequest) -> Technique:
    return require_available(TECHNIQUES[request.param])


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_matches_reference(technique: Technique, case: Case) -> None:
    image = case.make_image()
    before = image.copy()
    expected = reference_recolor(image, case.old, case.new, tolerance=case.tolerance)

    out = technique.func(image, case.old, case.new, tolerance=case.tolerance)

    assert_image_equal(out, expected)
    assert out.flags.c_contiguous
    assert out.flags.writeable
    assert not np.shares_memory(out, image)
    assert_image_equal(image, before)


# out= and in place, for every technique on every case but one: an interpreted loop
# on the 998x998 portrait takes 2 s, and test_matches_reference already proves that
# it covers every row and column; what out= adds is the same for any size.
OUT_PAIRS = [
    pytest.param(name, case, id=f"{name}-{case_id}")
    for name, record in TECHNIQUES.items()
    for case_id, case in CASES.items()
    if not (record.per_pixel_loop and case_id == "sample-998")
]


@pytest.mark.parametrize(("name", "case"), OUT_PAIRS)
def test_writes_into_out(name: str, case: Case) -> None:
    technique = require_available(TECHNIQUES[name])
    image = case.make_image()
    before = image.copy()
    expected = reference_recolor(image, case.old, case.new, tolerance=case.tolerance)
    out = np.full(image.shape, 77, dtype=np.uint8)

    result = technique.func(image, case.old, case.new, tolerance=case.tolerance, out=out)

    assert result is out
    assert_image_equal(out, expected)
    assert_image_equal(image, before)


@pytest.mark.parametrize(("name", "case"), OUT_PAIRS)
def test_recolours_in_place(name: str, case: Case) -> None:
    technique = require_available(TECHNIQUES[name])
    # In place needs a C-contiguous writable image: each layout is copied into one.
    image = np.ascontiguousarray(case.make_image()).copy()
    expected = reference_recolor(image, case.old, case.new, tolerance=case.tolerance)

    result = technique.func(image, case.old, case.new, tolerance=case.tolerance, out=image)

    assert result is image
    assert_image_equal(image, expected)


def test_reference_recolours_what_it_should() -> None:
    image = np.array([[[0, 0, 0, 0], [0, 0, 0, 1], [3, 3, 3, 3]]], dtype=np.uint8)
    out = reference_recolor(image, (0, 0, 0, 0), (5, 3, 192, 255))
    assert out.tolist() == [[[5, 3, 192, 255], [0, 0, 0, 1], [3, 3, 3, 3]]]
    loose = reference_recolor(image, (0, 0, 0, 0), (5, 3, 192, 255), tolerance=(0, 0, 0, 1))
    assert loose.tolist() == [[[5, 3, 192, 255], [5, 3, 192, 255], [3, 3, 3, 3]]]


def test_reference_reads_its_own_arguments() -> None:
    # Not through the techniques' validation: a bare int, a broadcast tolerance, 2-D images.
    gray = np.array([[7, 8, 9], [0, 7, 6]], dtype=np.uint8)
    assert reference_recolor(gray, 7, 100).tolist() == [[100, 8, 9], [0, 100, 6]]
    assert reference_recolor(gray, 7, 100, tolerance=1).tolist() == [[100, 100, 9], [0, 100, 100]]
    column = gray[..., np.newaxis]
    assert reference_recolor(column, (7,), (100,)).shape == (2, 3, 1)
    rgb = np.array([[[1, 2, 3], [1, 2, 5]]], dtype=np.uint8)
    assert reference_recolor(rgb, (1, 2, 3), (0, 0, 0), tolerance=2).tolist() == [
        [[0, 0, 0], [0, 0, 0]]
    ]
    assert reference_recolor(rgb, (1, 2, 3), (0, 0, 0), tolerance=(0, 0, 1)).tolist() == [
        [[0, 0, 0], [1, 2, 5]]
    ]


def test_sample_case_has_matches_and_near_misses() -> None:
    # A case where nothing matches, or everything does, proves little.
    image = CASES["sample-998"].make_image()
    matches = np.all(image == RGBA_OLD, axis=-1).mean()
    assert 0.3 < matches < 0.7
    near = np.sum(np.abs(image.astype(int) - RGBA_OLD), axis=-1) == 1
    assert near.sum() > 1000


@pytest.mark.parametrize(
    "kernel",
    [
        "recolor_words_in_place_masked_serial",
        "recolor_words_in_place_masked_parallel",
        "recolor_words_in_place_flipped_serial",
        "recolor_words_in_place_flipped_parallel",
    ],
)
def test_both_in_place_kernels_recolour_exactly_the_matches_whichever_cpu_chooses(
    kernel: str,
) -> None:
    """The CPU picks one pair (masked stores on AVX-512, flipped words below); both are right."""
    kernels = pytest.importorskip("recolor.techniques._numba_kernels")
    rng = np.random.default_rng(3)
    image = rng.integers(0, 2, size=(37, 41, 4), dtype=np.uint8)  # many exact matches of 0
    expected = reference_recolor(image, (0, 0, 0, 0), (5, 3, 192, 255))
    words = image.view(np.uint32)[:, :, 0]
    old, new = (
        np.array(c, dtype=np.uint8).view(np.uint32)[0] for c in ((0,) * 4, (5, 3, 192, 255))
    )
    getattr(kernels, kernel)(words, old, new)
    assert_image_equal(image, expected)
