"""The performance page's charts: drawn from a baseline's figures, each time what it says."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image

pytest.importorskip("matplotlib")

EXTENSION = Path(__file__).resolve().parent.parent / "docs" / "_ext" / "performance_charts.py"


@pytest.fixture(scope="module")
def charts() -> ModuleType:
    spec = importlib.util.spec_from_file_location("performance_charts", EXTENSION)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _case(ratios: list[list[float]], yardstick: str, seconds: list[float]) -> dict[str, object]:
    return {"processes": ratios, "yardstick": yardstick, "yardstick_seconds": seconds}


MACHINE = "Intel(R) Xeon(R) Processor, 2 cores, Linux x86_64, AVX512"
BASELINE = {
    "machines": {
        MACHINE: {
            "facts": {},
            "cases": {
                # the median of the processes' medians (2.0) times the yardstick's median (1 ms)
                "998x998-numba_serial": _case([[1.0, 2.0, 9.0], [2.0, 2.0, 2.0]], "copy", [1e-3]),
                "998x998-numba_serial-tol8": _case([[3.0]], "copy", [2e-3, 1e-3, 3e-3]),
                "998x998-numpy_loop": _case([[5.0]], "python", [0.1]),
                "998x998-numba_serial-rgb": _case([[4.0]], "copy", [5e-4]),
                "998x998-numba_serial-threads1": _case([[1.0]], "copy", [1e-3]),
                "998x998-numba_serial-inplace": _case([[1.0]], "copy", [1e-3]),
                "256x256-numba_serial": _case([[1.5]], "copy", [1e-5]),
                "4096x4096-opencv_native": _case([[1.0]], "copy", []),  # no time: left out
            },
        }
    }
}


def test_a_case_takes_its_ratio_times_its_yardstick_and_copy_only_from_copy(
    charts: ModuleType,
) -> None:
    seconds = charts.case_seconds(BASELINE)[MACHINE]
    assert seconds["998x998-numba_serial"] == pytest.approx((2e-3, 1e-3))
    assert seconds["998x998-numba_serial-tol8"] == pytest.approx((6e-3, 2e-3))
    assert seconds["998x998-numpy_loop"][1] is None  # its yardstick is not numpy.copy
    assert "4096x4096-opencv_native" not in seconds


def test_groups_are_images_and_matches_without_threads_or_in_place(charts: ModuleType) -> None:
    groups = charts.groups(charts.case_seconds(BASELINE)[MACHINE])
    assert list(groups) == [
        "256x256 RGBA, exact",
        "998x998 RGBA, exact",
        "998x998 RGBA, tolerance 8",
        "998x998 RGB, exact",
    ]
    assert groups["998x998 RGBA, exact"] == pytest.approx(
        {"numba_serial": 2e-3, "numpy_loop": 0.5, "copy": 1e-3}
    )
    assert groups["998x998 RGB, exact"]["copy"] == pytest.approx(5e-4)
    images = charts.images(groups)
    assert list(images["998x998 RGBA"]) == ["exact", "tolerance 8"]


def test_the_switches_are_those_of_the_machines_cpu_kind(charts: ModuleType) -> None:
    from recolor.core.choice_figures import figures_for

    figures = figures_for("intel-avx512")
    assert charts.choice_switches(MACHINE) == {
        "numba from": figures.compiled_min_pixels,
        "numba_parallel from": figures.parallel_min_pixels,
        "opencv_native from": figures.large_pixels,
    }


def test_the_charts_are_drawn(charts: ModuleType, tmp_path: Path) -> None:
    groups = charts.groups(charts.case_seconds(BASELINE)[MACHINE])
    race, scaling = tmp_path / "race.png", tmp_path / "scaling.png"
    charts.draw_race(charts.images(groups)["998x998 RGBA"], race, "998x998 RGBA")
    charts.draw_scaling(groups, scaling, MACHINE, charts.choice_switches(MACHINE))
    for path in (race, scaling):
        with Image.open(path) as image:
            assert image.format == "PNG"
            assert min(image.size) > 200
    assert not math.isnan(groups["256x256 RGBA, exact"]["copy"])
