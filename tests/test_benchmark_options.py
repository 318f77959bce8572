"""pytest-benchmark's own options and command, run on this suite from the repository's root.

A pytest-benchmark user reaches for autosave and compare first; each run
here is a real ``python -m pytest --benchmark-only`` of one case of the
suite (or the ``pytest-benchmark`` command), and each asserts the
documented outcome and no INTERNALERROR.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from benchmarks.calls import SLOWDOWN_ENV_VAR
from tests.deterministic_source import SOURCE, SOURCE_ENV_VAR

REPO = Path(__file__).resolve().parent.parent
#: pytest-benchmark's command, installed beside this Python.
COMMAND = Path(sys.executable).parent / (
    "pytest-benchmark.exe" if os.name == "nt" else "pytest-benchmark"
)
#: One quick case of the suite, selected as a user would.
SELECTION = "256x256-numpy_packed and not tol and not inplace"


def _pytest(
    tmp_path: Path,
    *args: str,
    env: dict[str, str] | None = None,
    paths: tuple[str, ...] = ("benchmarks/bench_techniques.py",),
) -> Any:
    """The suite's benchmark run on SELECTION, with no gate (a baseline that is not there).

    Its workers (the "x copy" column) are fed by the deterministic source: what is tested
    here is pytest-benchmark's own options, which time in process, as they always do.
    Collecting ``paths`` only, the module of the selection's cases by default: the whole
    tree (``paths=()``) takes twice as long.
    """
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            *paths,
            "--benchmark-only",
            "-k",
            SELECTION,
            "-p",
            "no:cacheprovider",
            "--benchmark-max-time=0.02",
            "--recolor-round-seconds=0.005",
            f"--recolor-baseline={tmp_path / 'no-baseline.json'}",
            f"--benchmark-storage=file://{tmp_path / 'storage'}",
            *args,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        env={SOURCE_ENV_VAR: SOURCE, **(env if env is not None else os.environ)},
    )


def _command(tmp_path: Path, *args: str) -> Any:
    """The ``pytest-benchmark`` command, run from the repository's root."""
    return subprocess.run(
        [
            str(COMMAND),
            "--storage",
            str(tmp_path / "storage"),
            *args,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )


def _clean(result: Any, expected: int = 0) -> None:
    output = result.stdout + result.stderr
    assert "INTERNALERROR" not in output, output
    assert "Traceback" not in output, output
    assert result.returncode == expected, output


def _environment_with(**variables: str) -> dict[str, str]:
    return {**os.environ, **variables}


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    """One autosaved run in the tmp_path's storage."""
    result = _pytest(tmp_path, "--benchmark-autosave")
    _clean(result)
    (saved,) = (tmp_path / "storage").glob("*/0001_*.json")
    return saved


@pytest.mark.real_timing  # pytest-benchmark's own timings, in process: a 10x slowdown shows
def test_autosave_then_compare_then_compare_fail_on_a_slowed_case(
    tmp_path: Path, saved: Path
) -> None:
    compared = _pytest(tmp_path, "--benchmark-compare")
    _clean(compared)
    assert "0001" in compared.stdout  # the saved run's row in the comparison table
    assert "machine_info is different" not in compared.stdout + compared.stderr

    unchanged = _pytest(tmp_path, "--benchmark-compare", "--benchmark-compare-fail=median:300%")
    _clean(unchanged)

    slowed = _pytest(
        tmp_path,
        "--benchmark-compare",
        "--benchmark-compare-fail=median:50%",
        env=_environment_with(**{SLOWDOWN_ENV_VAR: "numpy_packed=10"}),
    )
    _clean(slowed, expected=1)
    assert "Performance has regressed" in slowed.stdout + slowed.stderr
    assert "pytest-benchmark: performance has regressed" in slowed.stdout
    assert "256x256-numpy_packed" in slowed.stdout + slowed.stderr


def test_the_command_lists_and_compares_saved_runs_from_the_root(
    tmp_path: Path, saved: Path
) -> None:
    _clean(_pytest(tmp_path, "--benchmark-autosave"))
    listed = _command(tmp_path, "list")
    _clean(listed)
    assert saved.name in listed.stdout
    assert "0002_" in listed.stdout

    compared = _command(tmp_path, "compare", "0001", "0002")
    _clean(compared)
    assert "256x256-numpy_packed (0001" in compared.stdout
    assert "256x256-numpy_packed (0002" in compared.stdout

    histogram = _command(tmp_path, "compare", "0001", "0002", f"--histogram={tmp_path / 'h'}")
    _clean(histogram)
    assert list(tmp_path.glob("h*.svg"))


def test_json_groups_columns_and_sort_as_documented(tmp_path: Path) -> None:
    output = tmp_path / "run.json"
    result = _pytest(
        tmp_path,
        f"--benchmark-json={output}",
        "--benchmark-group-by=name",
        "--benchmark-columns=min,median,rounds",
        "--benchmark-sort=min",
        f"--benchmark-histogram={tmp_path / 'histogram'}",
    )
    _clean(result)
    (benchmark,) = json.loads(output.read_text())["benchmarks"]
    assert benchmark["name"] == "256x256-numpy_packed"
    assert benchmark["stats"]["median"] > 0
    assert benchmark["extra_info"]["x_copy"] > 0
    header = next(line for line in result.stdout.splitlines() if "Median" in line)
    assert "Min" in header
    assert "Rounds" in header
    assert "Mean" not in header
    assert list(tmp_path.glob("histogram*.svg"))


@pytest.mark.parametrize(
    ("flag", "outcome"), [("--benchmark-disable", "1 passed"), ("--benchmark-skip", "1 skipped")]
)
def test_disable_runs_each_case_once_and_skip_runs_none(flag: str, outcome: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", flag, "-k", SELECTION, "-q", "-p", "no:cacheprovider",
         "benchmarks/bench_techniques.py"],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    _clean(result)
    assert outcome in result.stdout


def test_two_runs_on_one_machine_record_the_same_machine_info(tmp_path: Path) -> None:
    infos = []
    # The first collects every module, doctests included, the second the benchmarks alone:
    # what a module does when it is imported must not reach the machine's facts.
    for run, paths in (("first", ()), ("second", ("benchmarks",))):
        output = tmp_path / f"{run}.json"
        _clean(_pytest(tmp_path, f"--benchmark-json={output}", paths=paths))
        infos.append(json.loads(output.read_text())["machine_info"])
    first, second = infos
    # py-cpuinfo's reading of the clock is a measurement, not a fact of the machine.
    for info in infos:
        info.get("cpu", {}).pop("hz_actual", None)
        info.get("cpu", {}).pop("hz_actual_friendly", None)
    assert first == second
    assert "opencv_threads" not in first["recolor"]


class _Options:
    """Stands in for pytest's parser: records what the instrument's plugin adds, by group."""

    def __init__(self, group: str = "") -> None:
        self.group = group
        self.added: dict[str, tuple[str, dict[str, Any]]] = {}

    def addini(self, *args: Any, **kwargs: Any) -> None:
        pass

    def getgroup(self, name: str, *args: Any) -> _Options:
        group = _Options(name)
        group.added = self.added
        return group

    def addoption(self, name: str, **attributes: Any) -> None:
        self.added[name] = (self.group, attributes)


def _path_options() -> dict[str, str]:
    """Every option of the instrument that takes a path, and its group."""
    from benchmarks.instrument import plugin

    options = _Options()
    plugin.pytest_addoption(options)  # type: ignore[arg-type]
    return {
        name: group
        for name, (group, attributes) in options.added.items()
        if attributes.get("type") is Path
    }


#: What each group's options need beside them; the cost mode counts nothing (-k none).
MODES = {
    "recolor": ["-k", "256x256-copy"],
    "recolor-cost": ["--recolor-cost", "-k", "no_case_at_all"],
}


@pytest.mark.parametrize("form", ["{option} {value}", "{option}={value}"])
@pytest.mark.parametrize("mode", list(MODES))
def test_every_path_option_takes_its_path_after_a_space_or_an_equals_sign(
    mode: str, form: str
) -> None:
    """Inside the repository; a path outside it takes "=" (docs/benchmarks/howto.md says why)."""
    from benchmarks.instrument.cost.callgrind import missing_tools

    options = [name for name, group in _path_options().items() if group == mode]
    assert options
    if mode == "recolor-cost" and missing_tools():
        pytest.skip(str(missing_tools()))
    # An existing file inside the repository (the case pytest gets wrong), in its ignored
    # .benchmarks folder: --recolor-cost-json writes there.
    folder = REPO / ".benchmarks"
    folder.mkdir(exist_ok=True)
    handle, name = tempfile.mkstemp(prefix="path-option-", suffix=".json", dir=folder)
    os.close(handle)
    value = Path(name).relative_to(REPO).as_posix()
    given = [
        part for option in options for part in form.format(option=option, value=value).split(" ")
    ]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            # No test path: as in the README's commands, the only paths are the options'.
            # The benchmarks alone are collected, as pytest's testpaths: what the options
            # change, in a third of the time of every module's doctests.
            "-o",
            "testpaths=benchmarks",
            *MODES[mode],
            *given,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    Path(name).unlink()
    assert f"{value}::" not in result.stdout
    _clean(result, expected=5 if mode == "recolor-cost" else 0)  # 5: every test deselected


def test_the_instruments_path_options_are_these() -> None:
    assert _path_options() == {
        "--recolor-baseline": "recolor",
        "--recolor-cost-baseline": "recolor-cost",
        "--recolor-cost-json": "recolor-cost",
    }
