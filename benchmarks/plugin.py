"""The pytest plugin behind recolor's benchmarks: the ``race`` fixture, the gate, the summary.

Loaded by the root ``conftest.py``. Plain ``pytest`` runs every benchmark
once, as a smoke test (pytest-benchmark's ``--benchmark-disable``);
``pytest --benchmark-only`` times them and compares them with the baseline.
"""

from __future__ import annotations

import contextlib
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import PIL
import pytest

import recolor
from benchmarks import gate
from benchmarks.cases import (
    COPY,
    ORIGINAL_SIZE,
    Case,
    call_for,
    case_threads,
    copy_call,
    expected_for,
    image_for,
    skip_unless_available,
)
from benchmarks.yardsticks import yardstick_name
from recolor import TECHNIQUES
from recolor._threads import THREADS_ENV_VAR, apply_env_thread_limit, available_cores
from recolor.testing import assert_image_equal
from recolor.timing import (
    CpuMeter,
    first_call_seconds,
    format_seconds,
    peak_bytes,
    time_interleaved,
)

#: Loops are timed in a few rounds of one call: each call takes seconds.
LOOP_ROUNDS = 3
#: Memory of loops is traced on a small image: tracemalloc slows Python loops.
LOOP_MEMORY_SIZE = 256


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("recolor", "recolor benchmarks")
    group.addoption(
        "--recolor-threads",
        type=int,
        default=None,
        metavar="N",
        help=f"cap OpenCV's and numba's threads at N (default: ${THREADS_ENV_VAR}, else all cores)",
    )
    group.addoption(
        "--recolor-baseline",
        type=Path,
        default=gate.DEFAULT_BASELINE,
        metavar="PATH",
        help="the baseline the gate compares with (default: benchmarks/baseline.json)",
    )
    group.addoption(
        "--recolor-record-baseline",
        action="store_true",
        default=False,
        help="measure the selected benchmarks in fresh processes and write them to the baseline",
    )


@dataclass
class Outcome:
    """What one benchmark measured, for the summary and the baseline."""

    case: Case
    median: float
    x_copy: float
    cpu_utilization: float
    bytes_per_pixel: float | None
    first_call: float | None = None
    change: float | None = None  # x copy against the baseline's, when there is one


@dataclass
class RaceSession:
    """Per-session state: the baseline, and every outcome so far."""

    config: pytest.Config
    baseline: dict[str, Any] | None = None
    baseline_problem: str | None = None
    baseline_unusable: bool = False
    outcomes: list[Outcome] = field(default_factory=list)
    recorded: list[Case] = field(default_factory=list)
    ungated: list[str] = field(default_factory=list)

    @property
    def timing(self) -> bool:
        return not self.config.option.benchmark_disable

    @property
    def recording(self) -> bool:
        return bool(self.config.option.recolor_record_baseline)


_SESSION = pytest.StashKey[RaceSession]()


def pytest_configure(config: pytest.Config) -> None:
    if config.option.recolor_threads is not None:
        if config.option.recolor_threads < 1:
            raise pytest.UsageError(
                f"--recolor-threads must be a positive integer, got {config.option.recolor_threads}"
            )
        # Exported, so that worker processes inherit the cap.
        os.environ[THREADS_ENV_VAR] = str(config.option.recolor_threads)
    apply_env_thread_limit()
    if not (config.option.benchmark_only or config.option.benchmark_enable):
        # Plain `pytest`: run each benchmark once, as a smoke test.
        config.option.benchmark_disable = True
    session = RaceSession(config)
    if session.timing and not session.recording:
        try:
            session.baseline = gate.load_baseline(config.option.recolor_baseline)
        except gate.BaselineError as error:
            session.baseline_problem = str(error)
            session.baseline_unusable = not isinstance(error, gate.BaselineMissing)
    config.stash[_SESSION] = session


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under --benchmark-only, deselect the tests rather than list hundreds as skipped."""
    if not config.option.benchmark_only:
        return
    keep = [item for item in items if "benchmark" in getattr(item, "fixturenames", ())]
    if len(keep) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in keep])
        items[:] = keep


def pytest_report_header(config: pytest.Config) -> list[str]:
    session = config.stash[_SESSION]
    if config.option.recolor_cost:
        return []  # the cost mode has its own header (benchmarks/cost_plugin.py)
    if not session.timing:
        return ["recolor benchmarks: smoke mode (each runs once); time them with --benchmark-only"]
    threads = os.environ.get(THREADS_ENV_VAR) or f"all {available_cores()} cores"
    lines = [f"recolor benchmarks: threads capped at {threads}"]
    if session.recording:
        lines.append(f"recolor benchmarks: recording the baseline {config.option.recolor_baseline}")
    elif session.baseline is not None:
        lines.append(f"recolor benchmarks: gate against {config.option.recolor_baseline}")
    else:
        lines.append(f"recolor benchmarks: NO GATE: {session.baseline_problem}")
    return lines


def pytest_benchmark_update_machine_info(
    config: pytest.Config, machine_info: dict[str, Any]
) -> None:
    """Record in the saved JSON what changes timings besides the code."""
    machine_info["recolor"] = machine_facts()


def machine_facts() -> dict[str, Any]:
    numba_version = None
    with contextlib.suppress(ImportError):
        import numba

        numba_version = numba.__version__
    return {
        "recolor": recolor.__version__,
        "numpy": np.__version__,
        "opencv": cv2.__version__,
        "opencv_threads": cv2.getNumThreads(),
        "opencv_cpu_features": cv2.getCPUFeaturesLine().strip(),
        "pillow": PIL.__version__,
        "numba": numba_version,
        "python": platform.python_version(),
        "cpu_model": cpu_model(),
        "cores": os.cpu_count(),
        "cores_available": available_cores(),
        "threads_cap": os.environ.get(THREADS_ENV_VAR),
        "platform": f"{platform.system()} {platform.machine()}",
    }


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


class Race:
    """Runs one case under pytest-benchmark, checks it, measures extras, applies the gate."""

    def __init__(self, benchmark: Any, session: RaceSession) -> None:
        self.benchmark = benchmark
        self.session = session

    def run(self, case: Case) -> None:
        skip_unless_available(case)
        self.benchmark.group = case.group
        self.benchmark.name = case.key
        image = image_for(case.size)
        before = image.tobytes()
        call = call_for(case)

        if self.session.timing and not case.per_pixel_loop:
            # pytest-benchmark calibrates on its first calls: a numba compile
            # there would leave the case with the minimum of rounds.
            call()
        with case_threads(case), CpuMeter() as meter:
            if case.per_pixel_loop:
                result = self.benchmark.pedantic(call, rounds=LOOP_ROUNDS, iterations=1)
            else:
                result = self.benchmark(call)

        assert image.tobytes() == before, f"{case.technique} modified its input"
        if case.technique != COPY:
            assert_image_equal(result, expected_for(case.size, case.tolerance))
        if not self.session.timing:
            return
        outcome = self._measure_extras(case, meter)
        self.session.outcomes.append(outcome)
        self._gate(outcome)

    def _measure_extras(self, case: Case, meter: CpuMeter) -> Outcome:
        median = float(self.benchmark.stats.stats.median)
        with case_threads(case):
            copy_median = time_interleaved({"copy": copy_call(case)}, rounds=7)["copy"].median
        memory_size = LOOP_MEMORY_SIZE if case.per_pixel_loop else case.size
        memory_call = call_for(Case(case.technique, memory_size, case.tolerance, case.threads))
        bytes_per_pixel = peak_bytes(memory_call) / memory_size**2
        first_call = None
        compiled = case.technique != COPY and TECHNIQUES[case.technique].requires == "numba"
        if compiled and case.size == ORIGINAL_SIZE and not case.tolerance and not case.threads:
            # In a fresh process: this one has long compiled or loaded the kernels.
            first_call = first_call_seconds(case.technique)["first"]
        outcome = Outcome(
            case,
            median,
            x_copy=median / copy_median,
            cpu_utilization=meter.utilization,
            bytes_per_pixel=bytes_per_pixel,
            first_call=first_call,
        )
        info = self.benchmark.extra_info
        info["technique"] = case.technique
        info["megapixels"] = case.size**2 / 1e6
        info["megapixels_per_second"] = case.size**2 / 1e6 / median
        info["x_copy"] = outcome.x_copy
        info["cpu_utilization"] = outcome.cpu_utilization
        info["peak_bytes_per_pixel"] = bytes_per_pixel
        if first_call is not None:
            info["first_call_seconds"] = first_call
        return outcome

    def _gate(self, outcome: Outcome) -> None:
        case = outcome.case
        if case.technique == COPY:
            return
        if self.session.recording:
            self.session.recorded.append(case)
            return
        if self.session.baseline_unusable:
            # A baseline that is there but broken must not pass unnoticed.
            pytest.fail(self.session.baseline_problem or "", pytrace=False)
        if self.session.baseline is None:
            return  # no baseline: said in the header and the summary
        baseline_case = self.session.baseline.get(case.key)
        if baseline_case is None:
            self.benchmark.extra_info["gate"] = "no baseline for this case"
            return
        spread = gate.baseline_spread(case, baseline_case)
        if spread > gate.NOISE_LIMIT:
            # Gating it would fail on noise; say so rather than pass silently.
            self.benchmark.extra_info["gate"] = (
                f"not gated: baseline processes disagree by {spread:.2f}x "
                f"(> {gate.NOISE_LIMIT}); re-record the baseline on a quieter machine"
            )
            self.session.ungated.append(f"{case.key} ({spread:.2f}x)")
            return
        verdict = gate.screen(case, baseline_case)
        self.benchmark.extra_info["gate_yardstick"] = yardstick_name(case.technique)
        self.benchmark.extra_info["gate_change"] = outcome.change = verdict.change
        if not verdict.regressed:
            return
        verdict = gate.confirm(case, baseline_case)
        self.benchmark.extra_info["gate_confirmed_change"] = outcome.change = verdict.change
        self.benchmark.extra_info["gate_p_value"] = verdict.p_value
        if verdict.regressed:
            pytest.fail(verdict.describe(), pytrace=False)


@pytest.fixture
def race(benchmark: Any, request: pytest.FixtureRequest) -> Race:
    """Race a :class:`~benchmarks.cases.Case`: ``race.run(Case("numpy_mask", 998))``."""
    return Race(benchmark, request.config.stash[_SESSION])


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    race_session = session.config.stash.get(_SESSION, None)
    if race_session is None or not race_session.recording or not race_session.recorded:
        return
    record_baseline(race_session)


def record_baseline(race_session: RaceSession) -> None:
    """Measure every case run in fresh workers and write the baseline."""
    confirm_cases = {case.key: case.confirm_case() for case in race_session.recorded}
    unique = sorted(set(confirm_cases.values()), key=lambda case: case.key)
    pooled = gate.measure_in_workers(unique, workers=gate.RECORD_WORKERS)
    cases = {
        key: {
            "yardstick": yardstick_name(confirm.technique),
            "measured_as": confirm.key,
            "samples": [round(sample, 6) for sample in pooled[confirm.key]],
        }
        for key, confirm in confirm_cases.items()
    }
    gate.write_baseline(race_session.config.option.recolor_baseline, cases, machine_facts())


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """After pytest-benchmark's table, the figures it does not show."""
    session = config.stash.get(_SESSION, None)
    if session is None or not session.timing:
        return
    write = terminalreporter.write_line
    if session.outcomes:
        terminalreporter.section("recolor: techniques side by side")
        for group in dict.fromkeys(outcome.case.group for outcome in session.outcomes):
            write(f"{group}:")
            write(
                f"  {'technique':<20} {'median':>10} {'MP/s':>9} {'x copy':>9} {'CPU':>5} "
                f"{'peak B/px':>9} {'first call':>10} {'vs base':>7}"
            )
            rows = sorted(
                (o for o in session.outcomes if o.case.group == group), key=lambda o: o.median
            )
            for o in rows:
                name = o.case.technique + (f" ({o.case.threads} thr)" if o.case.threads else "")
                first = f"{o.first_call * 1e3:8.0f}ms" if o.first_call is not None else ""
                memory = f"{o.bytes_per_pixel:9.1f}" if o.bytes_per_pixel is not None else ""
                change = f"{o.change:6.2f}x" if o.change is not None else ""
                write(
                    f"  {name:<20} {format_seconds(o.median):>10} "
                    f"{o.case.size**2 / 1e6 / o.median:9.1f} {o.x_copy:9.2f} "
                    f"{o.cpu_utilization:5.2f} {memory:>9} {first:>10} {change:>7}"
                )
        write("CPU: process CPU seconds per wall second while timed (2.00 = two cores busy).")
        write("peak B/px: peak memory allocated per call per pixel, as tracemalloc sees it.")
        write(
            "vs base: time over its yardstick, against the baseline's; above "
            f"{gate.SCREEN_FACTOR} (against its luckiest baseline process) a case is measured "
            f"again in {gate.WORKERS} fresh processes, and fails above {gate.FAIL_FACTOR} if "
            "the change is significant."
        )
    if session.ungated:
        write(
            f"recolor: not gated, too noisy in the baseline (processes disagree by more than "
            f"{gate.NOISE_LIMIT}x): {', '.join(session.ungated)}",
            yellow=True,
        )
    if session.recording:
        write(f"recolor: baseline recorded in {config.option.recolor_baseline}")
    elif session.baseline_problem:
        terminalreporter.write_line(f"recolor: {session.baseline_problem}", yellow=True, bold=True)
