"""The default choice decides by its CPU kind's figures, read from one table."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import recolor.core.choice
from recolor.core import cpu
from recolor.core.choice_figures import FIGURES, FIRST_TUNING, figures_for
from tests.processes import fresh_python

INTEL_FLAGS = "fpu sse sse2 avx avx2 avx512f avx512bw"
AMD_AVX2_FLAGS = "fpu sse sse2 avx avx2"


@pytest.mark.parametrize(
    ("vendor", "flags", "kind"),
    [
        ("GenuineIntel", INTEL_FLAGS, "intel-avx512"),
        ("AuthenticAMD", AMD_AVX2_FLAGS, "amd-avx2"),
        ("AuthenticAMD", INTEL_FLAGS, "amd-avx512"),
        ("GenuineIntel", "fpu sse sse2", "intel-sse"),
    ],
)
def test_cpu_kind_is_the_vendor_and_the_widest_vectors(monkeypatch, vendor, flags, kind) -> None:
    fields = {"vendor_id": vendor, "flags": flags, "model name": "A CPU"}
    monkeypatch.setattr(cpu, "_first_processor", lambda: fields)
    assert cpu.cpu_kind() == kind
    assert cpu.cpu_model() == "A CPU"


def test_cpu_kind_without_cpuinfo_is_the_architecture(monkeypatch) -> None:
    monkeypatch.setattr(cpu, "_first_processor", dict)
    monkeypatch.setattr(cpu, "_machine", lambda: "arm64")
    assert cpu.cpu_kind() == "arm64"


def test_cpu_kind_reads_this_machines_cpuinfo() -> None:
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.exists() or "vendor_id" not in cpuinfo.read_text():
        pytest.skip("no x86 /proc/cpuinfo here")
    flags = set(cpuinfo.read_text().split())
    kind = cpu.cpu_kind()
    assert kind.endswith("-avx512") == ("avx512f" in flags)
    assert kind.startswith(("intel-", "amd-")) or kind == cpu._machine().lower()


def test_a_kind_without_figures_gets_the_first_tuning() -> None:
    assert figures_for("a-cpu-nobody-measured") is FIRST_TUNING
    for kind, figures in FIGURES.items():
        assert figures_for(kind) is figures
        assert figures.measured_on != FIRST_TUNING.measured_on, kind  # says where it is from


def test_the_choice_module_holds_no_figure_of_its_own() -> None:
    # The rule's numbers are the table's: the only literals left are 0 and the
    # shape's indices and lengths.
    tree = ast.parse(Path(recolor.core.choice.__file__).read_text())
    numbers = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and type(node.value) in (int, float)
    }
    assert numbers <= {0, 1, 2, 3}, numbers


def _choices_with(figures: str, code: str) -> str:
    """Run ``code`` in a fresh process whose CPU kind has ``figures`` (a _replace's arguments)."""
    return fresh_python(
        "from recolor.core import choice_figures, cpu\n"
        "kind = cpu.cpu_kind()\n"
        "choice_figures.FIGURES[kind] = choice_figures.figures_for(kind)._replace("
        f"{figures})\n"
        "import sys, recolor\n"
        "from recolor.core.choice import FIGURES\n"
        "assert FIGURES is choice_figures.FIGURES[kind]\n" + code
    )


def test_the_choice_follows_the_figures_of_the_cpu_it_runs_on() -> None:
    ask = (
        "for side in (16, 64, 512):\n"
        "    image = recolor.sample_image(side, side)\n"
        "    print(recolor.fastest_technique(image, (0, 0, 0, 0), (5, 3, 192, 255)).name)\n"
    )
    never_numba = "compiled_min_pixels=10**12, opencv_price_seconds=0.0"
    assert _choices_with(f"{never_numba}, large_pixels=64 * 64", ask).split() == [
        "numpy_packed",
        "opencv_native",
        "opencv_native",
    ]
    assert _choices_with(f"{never_numba}, large_pixels=10**12", ask).split() == ["numpy_packed"] * 3


def test_opencv_is_bought_once_its_savings_reach_its_import() -> None:
    # Each 64x64 call saves a third of the price: the fourth call imports OpenCV.
    figures = (
        "compiled_min_pixels=10**12, large_pixels=100, opencv_price_seconds=0.99,"
        " opencv_saved_seconds_per_pixel=1 / (3 * 64 * 64)"
    )
    chosen = _choices_with(
        figures,
        "image = recolor.sample_image(64, 64)\n"
        "for _ in range(5):\n"
        "    print(recolor.fastest_technique(image, (0, 0, 0, 0), (5, 3, 192, 255)).name,"
        " 'cv2' in sys.modules)\n"
        "    recolor.recolor(image, (0, 0, 0, 0), (5, 3, 192, 255))\n",
    )
    assert chosen.splitlines() == ["numpy_packed False"] * 3 + ["opencv_native False"] + [
        "opencv_native True"
    ]


def test_on_one_thread_the_choice_is_the_serial_kernel() -> None:
    # numba_parallel on one thread is numba_serial plus its pool's cost.
    pytest.importorskip("numba")
    chosen = _choices_with(
        "compiled_min_pixels=16 * 16, parallel_min_pixels=64 * 64, kernels_price_seconds=0.0",
        "image = recolor.sample_image(64, 64)\n"
        "def choice():\n"
        "    return recolor.fastest_technique(image, (0, 0, 0, 0), (5, 3, 192, 255)).name\n"
        "from recolor.core.threads import available_cores\n"
        "print(choice(), available_cores())\n"
        "for threads in (1, 2, None):\n"
        "    with recolor.thread_limit(threads):\n"
        "        print(choice())\n",
    )
    (unlimited, cores), *capped = (line.split() for line in chosen.splitlines())
    assert capped == [["numba_serial"], ["numba_parallel"], [unlimited]]
    assert unlimited == ("numba_parallel" if int(cores) > 1 else "numba_serial")


@pytest.mark.parametrize("numba_imported", [False, True])
def test_under_numbas_own_one_thread_the_choice_is_the_serial_kernel(
    monkeypatch: pytest.MonkeyPatch, numba_imported: bool
) -> None:
    # NUMBA_NUM_THREADS=1 sizes numba's pool to one thread, whatever recolor's cap says.
    pytest.importorskip("numba")
    monkeypatch.setenv("NUMBA_NUM_THREADS", "1")
    chosen = _choices_with(
        "compiled_min_pixels=16 * 16, parallel_min_pixels=64 * 64, kernels_price_seconds=0.0",
        ("import numba\n" if numba_imported else "") + "image = recolor.sample_image(64, 64)\n"
        "for threads in (None, 2):\n"
        "    with recolor.thread_limit(threads):\n"
        "        print(recolor.fastest_technique(image, (0, 0, 0, 0), (5, 3, 192, 255)).name)\n",
    )
    assert chosen.split() == ["numba_serial", "numba_serial"]
