"""The registry is the single, complete source of truth."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys

import numpy as np
import pytest

import recolor
import recolor.techniques
from recolor import TECHNIQUES
from recolor.core.choice import FIGURES
from tools.generate import REGENERATE, STUB, stub_block, stub_lines

TECHNIQUE_PARAMETERS = ["image", "old", "new", "tolerance", "out"]
#: What recolor exports besides its techniques.
PUBLIC_NAMES = {
    "BACKGROUND",
    "CONTRACT_DOC",
    "RecolorError",
    "Request",
    "TECHNIQUES",
    "Technique",
    "fastest_technique",
    "recolor",
    "register",
    "sample_image",
    "set_thread_limit",
    "thread_limit",
    "validate_request",
}


def _public_technique_functions() -> dict[str, object]:
    """Every public function in recolor.techniques' modules with the technique signature."""
    found: dict[str, object] = {}
    for module_info in pkgutil.iter_modules(recolor.techniques.__path__):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"recolor.techniques.{module_info.name}")
        for name, func in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or func.__module__ != module.__name__:
                continue
            if list(inspect.signature(func).parameters) == TECHNIQUE_PARAMETERS:
                found[name] = func
    return found


def test_every_public_technique_function_is_registered() -> None:
    assert set(_public_technique_functions()) == set(TECHNIQUES)


def test_every_registered_technique_is_public() -> None:
    for name, technique in TECHNIQUES.items():
        assert name in recolor.__all__
        assert getattr(recolor, name) is technique.func
        assert technique.name == name == technique.func.__name__


def test_the_public_list_names_every_technique_from_its_module() -> None:
    stub = STUB.read_text(encoding="utf-8")
    assert stub_block(stub) == stub_lines(), f"recolor/__init__.pyi is stale: run {REGENERATE}"


def test_the_public_list_is_what_the_package_exports() -> None:
    """Every name of the stub resolves, and nothing else is public."""
    for name in recolor.__all__:
        assert getattr(recolor, name) is not None
    assert set(recolor.__all__) == {*TECHNIQUES, *PUBLIC_NAMES}
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        _ = recolor.no_such_name  # type: ignore[attr-defined]


def test_the_three_original_techniques_are_there() -> None:
    assert {"pil_putpixel", "numpy_loop", "opencv_inrange"} <= set(TECHNIQUES)
    assert len(TECHNIQUES) >= 8


def test_techniques_share_one_signature() -> None:
    for technique in TECHNIQUES.values():
        parameters = inspect.signature(technique.func).parameters
        assert list(parameters) == TECHNIQUE_PARAMETERS
        assert parameters["tolerance"].kind is inspect.Parameter.KEYWORD_ONLY
        assert parameters["tolerance"].default == 0
        assert parameters["out"].kind is inspect.Parameter.KEYWORD_ONLY
        assert parameters["out"].default is None


def test_records_describe_the_techniques() -> None:
    for technique in TECHNIQUES.values():
        assert technique.description
        assert "\n" not in technique.description
        assert technique.func.__doc__, f"{technique.name} has no docstring"
    assert TECHNIQUES["pil_putpixel"].per_pixel_loop
    assert TECHNIQUES["numpy_loop"].per_pixel_loop
    assert not TECHNIQUES["numba_serial"].per_pixel_loop
    assert TECHNIQUES["numba_parallel"].multithreaded
    assert TECHNIQUES["numba_serial"].requires == "numba"


def test_registry_is_read_only() -> None:
    with pytest.raises(TypeError):
        TECHNIQUES["mine"] = TECHNIQUES["numpy_mask"]  # type: ignore[index]


def test_every_docstring_carries_the_shared_contract() -> None:
    for technique in TECHNIQUES.values():
        doc = technique.func.__doc__ or ""
        assert "{contract}" not in doc
        assert "image : (M, N[, C]) ndarray of uint8" in doc
        assert "Returns" in doc


def test_a_technique_without_the_contract_in_its_docstring_is_refused() -> None:
    def undocumented(image, old, new, *, tolerance=0):  # type: ignore[no-untyped-def]
        """Recolour somehow."""

    with pytest.raises(ValueError, match=r"undocumented's docstring must say \{contract\}"):
        recolor.register("nothing")(undocumented)
    assert "undocumented" not in TECHNIQUES


def test_registering_a_name_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="'numpy_mask' is already registered"):
        recolor.register("again")(recolor.numpy_mask)


def test_without_numba_its_techniques_stay_listed_and_say_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A None entry in sys.modules makes "import numba" fail, as if it were absent.
    monkeypatch.setitem(sys.modules, "numba", None)
    monkeypatch.delitem(sys.modules, "recolor.techniques._numba_kernels", raising=False)
    monkeypatch.setattr("recolor.techniques.numba_loops._loaded", None)  # as if never loaded
    image = np.zeros((2, 2, 4), np.uint8)
    for name in ("numba_serial", "numba_parallel"):
        assert name in TECHNIQUES
        assert not TECHNIQUES[name].available
        with pytest.raises(
            ImportError, match=rf"{name} needs .*numba.*pip install \"recolor\[numba\]\""
        ):
            TECHNIQUES[name].func(image, (0, 0, 0, 0), (1, 1, 1, 1))
    # Sizes where numba's kernels would be chosen on this CPU, below and above the large
    # images' threshold; OpenCV imported in this process, so that the choice uses it at once.
    importlib.import_module("cv2")
    below = int(FIGURES.large_pixels**0.5) - 1
    above = int(FIGURES.large_pixels**0.5) + 1
    assert below**2 >= max(FIGURES.compiled_min_pixels, FIGURES.parallel_min_pixels)
    chosen = recolor.fastest_technique(
        np.zeros((below, below, 4), np.uint8), (0, 0, 0, 0), (1, 1, 1, 1)
    )
    assert chosen.name == "numpy_packed"
    large = recolor.fastest_technique(
        np.zeros((above, above, 4), np.uint8), (0, 0, 0, 0), (1, 1, 1, 1)
    )
    assert large.name == "opencv_native"
    assert recolor.recolor(image, (0, 0, 0, 0), (1, 1, 1, 1)).tolist() == [[[1, 1, 1, 1]] * 2] * 2
