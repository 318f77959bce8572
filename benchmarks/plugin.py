"""The pytest plugin behind recolor's benchmarks: the ``race`` fixture, the gate, the summary.

Loaded by the root ``conftest.py``. Plain ``pytest`` runs every benchmark
once, as a smoke test (pytest-benchmark's ``--benchmark-disable``);
``pytest --benchmark-only`` times them and compares them with this machine's
baseline, or with ``--recolor-compare REF`` with REF's tree measured side by
side on this machine.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from benchmarks import baselines, gate, git_ref, measure
from benchmarks.cases import (
    COPY,
    ORIGINAL_SIZE,
    Case,
    call_for,
    case_threads,
    expected_for,
    image_for,
    skip_unless_available,
)
from benchmarks.machine import machine_facts
from benchmarks.yardsticks import yardstick_name
from recolor import TECHNIQUES
from recolor._threads import THREADS_ENV_VAR, apply_env_thread_limit, available_cores
from recolor.testing import assert_image_equal
from recolor.timing import (
    CpuMeter,
    first_call_seconds,
    format_seconds,
    peak_bytes,
)

#: pytest-benchmark times loops in a few rounds of one call: each call takes seconds.
LOOP_BENCHMARK_ROUNDS = 3
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
        default=baselines.DEFAULT_PATH,
        metavar="PATH",
        help="the baseline the gate compares with (default: benchmarks/baseline.json)",
    )
    group.addoption(
        "--recolor-record-baseline",
        action="store_true",
        default=False,
        help="measure the selected benchmarks in fresh processes and write them to this "
        "machine's baseline (with --benchmark-only)",
    )
    group.addoption(
        "--recolor-across-machines",
        default=None,
        metavar="MACHINE",
        help="judge against another machine's baseline (a name, or a unique part of one, as "
        "the header lists them); every line of the report then says 'across machines'",
    )
    group.addoption(
        "--recolor-compare",
        default=None,
        metavar="REF",
        help="with --benchmark-only: measure each case in REF's tree too (a temporary git "
        "worktree), side by side on this machine, and judge against it; with --recolor-cost: "
        "count it there",
    )


@dataclass
class Outcome:
    """What one benchmark measured, for the summary and the baseline."""

    case: Case
    median: float
    cpu_utilization: float
    bytes_per_pixel: float | None
    first_call: float | None = None
    change: float | None = None  # x copy against the baseline's, when there is one
    x_copy: float | None = None  # from fresh-process rounds: see Race._record_x_copy


@dataclass
class RaceSession:
    """Per-session state: what the cases are judged against, and every outcome so far."""

    config: pytest.Config
    machine: str = ""
    baseline: baselines.MachineBaseline | None = None
    across_machines: bool = False
    baseline_problem: str | None = None
    baseline_unusable: bool = False
    compare: str | None = None
    reference_root: Path | None = None
    reference_techniques: set[str] = field(default_factory=set)
    outcomes: list[Outcome] = field(default_factory=list)
    recorded: list[Case] = field(default_factory=list)
    ungated: list[str] = field(default_factory=list)
    unjudged: dict[str, list[str]] = field(default_factory=dict)  # reason -> case keys
    compared: dict[str, gate.Verdict] = field(default_factory=dict)  # by measured case key
    cleanup: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    @property
    def against(self) -> str:
        if self.compare:
            return self.compare
        if self.across_machines and self.baseline is not None:
            return f"the baseline of {self.baseline.name}"
        return "the baseline"

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
    option = config.option
    if option.recolor_record_baseline and not option.benchmark_only:
        raise pytest.UsageError(
            f"--recolor-record-baseline records timings: run {baselines.RECORD_COMMAND}"
        )
    cost_mode = getattr(option, "recolor_cost", False)  # benchmarks.cost_plugin's option
    if option.recolor_compare and not (option.benchmark_only or cost_mode):
        raise pytest.UsageError(
            f"--recolor-compare measures: run python -m pytest --benchmark-only "
            f"--recolor-compare {option.recolor_compare} (or with --recolor-cost, to count)"
        )
    if not (option.benchmark_only or option.benchmark_enable):
        # Plain `pytest`: run each benchmark once, as a smoke test.
        option.benchmark_disable = True
    session = RaceSession(config, machine=baselines.machine_name(machine_facts()))
    config.stash[_SESSION] = session
    if not session.timing or cost_mode:
        return
    if option.recolor_compare:
        session.compare = option.recolor_compare
        try:
            session.reference_root, session.reference_techniques = session.cleanup.enter_context(
                git_ref.reference_tree(option.recolor_compare)
            )
        except git_ref.GitRefError as error:
            raise pytest.UsageError(str(error)) from error
    elif not session.recording:
        _choose_baseline(session, option.recolor_baseline, option.recolor_across_machines)


def _choose_baseline(session: RaceSession, path: Path, across: str | None) -> None:
    """This machine's baseline; another machine's only when asked, and then labelled."""
    try:
        machines = baselines.load(path)
    except baselines.BaselineError as error:
        session.baseline_problem = str(error)
        session.baseline_unusable = not isinstance(error, baselines.BaselineMissing)
        return
    if across is not None:
        chosen = [name for name in machines if across == name] or [
            name for name in machines if across in name
        ]
        if len(chosen) != 1:
            raise pytest.UsageError(
                f"--recolor-across-machines {across!r} must name one machine of {path}: "
                + "; ".join(repr(name) for name in machines)
            )
        session.baseline = machines[chosen[0]]
        session.across_machines = chosen[0] != session.machine
        return
    session.baseline = machines.get(session.machine)
    if session.baseline is None:
        session.baseline_problem = (
            f"{path} holds no baseline for this machine ({session.machine}), only for: "
            + "; ".join(machines)
            + f". Nothing is judged: a ratio measured on another CPU does not judge this one. "
            f"Record this machine's with: {baselines.RECORD_COMMAND} (or compare with a git "
            "ref on this machine: --recolor-compare main)"
        )


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(_SESSION, None)
    if session is not None:
        session.cleanup.close()  # removes REF's worktree, also after Ctrl-C


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
    if getattr(config.option, "recolor_cost", False):
        return []  # the cost mode has its own header (benchmarks/cost_plugin.py)
    if not session.timing:
        return ["recolor benchmarks: smoke mode (each runs once); time them with --benchmark-only"]
    threads = os.environ.get(THREADS_ENV_VAR) or f"all {available_cores()} cores"
    path = config.option.recolor_baseline
    lines = [
        f"recolor benchmarks: threads capped at {threads}",
        f"recolor benchmarks: this machine: {session.machine}",
    ]
    if session.recording:
        lines.append(f"recolor benchmarks: recording this machine's baseline in {path}")
    elif session.compare:
        lines.append(
            f"recolor benchmarks: gate against {session.compare}, measured side by side here "
            f"(a worktree at {session.reference_root}), threshold {gate.AB_FACTOR}"
        )
    elif session.baseline is not None and session.across_machines:
        lines.append(
            f"recolor benchmarks: gate ACROSS MACHINES against the baseline of "
            f"{session.baseline.name} in {path}: its figures may not hold for this CPU"
        )
    elif session.baseline is not None:
        lines.append(f"recolor benchmarks: gate against this machine's baseline in {path}")
    else:
        lines.append(f"recolor benchmarks: NO GATE: {session.baseline_problem}")
    return lines


def pytest_benchmark_update_machine_info(
    config: pytest.Config, machine_info: dict[str, Any]
) -> None:
    """Record in the saved JSON what changes timings besides the code."""
    machine_info["recolor"] = machine_facts()


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
                result = self.benchmark.pedantic(call, rounds=LOOP_BENCHMARK_ROUNDS, iterations=1)
            else:
                result = self.benchmark(call)

        assert image.tobytes() == before, f"{case.technique} modified its input"
        if case.technique != COPY:
            assert_image_equal(result, expected_for(case.size, case.tolerance))
        if not self.session.timing:
            return
        outcome = self._measure_extras(case, meter)
        self.session.outcomes.append(outcome)
        try:
            self._gate(outcome)
        finally:
            self._record_x_copy(outcome)

    def _measure_extras(self, case: Case, meter: CpuMeter) -> Outcome:
        median = float(self.benchmark.stats.stats.median)
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
            cpu_utilization=meter.utilization,
            bytes_per_pixel=bytes_per_pixel,
            first_call=first_call,
        )
        info = self.benchmark.extra_info
        info["technique"] = case.technique
        info["megapixels"] = case.size**2 / 1e6
        info["megapixels_per_second"] = case.size**2 / 1e6 / median
        info["cpu_utilization"] = outcome.cpu_utilization
        info["peak_bytes_per_pixel"] = bytes_per_pixel
        if first_call is not None:
            info["first_call_seconds"] = first_call
        return outcome

    def _record_x_copy(self, outcome: Outcome) -> None:
        """x copy from fresh-process rounds interleaved with numpy.copy, as the gate measures.

        The screen or the comparison with a git ref has measured it already for a
        case whose yardstick is the copy; other cases get a worker of their own.
        Interpreted loops are measured at the gate's size (their cost per pixel
        does not depend on it).
        """
        case = outcome.case
        if case.technique == COPY:
            outcome.x_copy = 1.0  # the copy over itself: nothing to measure
        elif outcome.x_copy is None:
            measured = case.confirm_case()
            outcome.x_copy = statistics.median(measure.run_worker(measured, against_copy=True))
        info = self.benchmark.extra_info
        info["x_copy"] = outcome.x_copy
        info["x_copy_measured_as"] = case.confirm_case().key

    def _gate(self, outcome: Outcome) -> None:
        case = outcome.case
        session = self.session
        if case.technique == COPY:
            return
        if session.recording:
            session.recorded.append(case)
            return
        if session.compare:
            self._compare(outcome)
            return
        if session.baseline_unusable:
            # A baseline that is there but broken must not pass unnoticed.
            pytest.fail(session.baseline_problem or "", pytrace=False)
        if session.baseline is None:
            return  # no baseline for this machine: said in the header and the summary
        baseline_case = session.baseline.cases.get(case.key)
        if baseline_case is None:
            self._not_judged(
                case, f"not in the baseline; record them: {baselines.RECORD_COMMAND} -k ..."
            )
            return
        yardstick = yardstick_name(case.technique)
        if baseline_case.yardstick != yardstick:
            pytest.fail(
                f"{case.key}: the baseline measured it against the {baseline_case.yardstick} "
                f"yardstick, which is now {yardstick}; re-record it: "
                f"{baselines.RECORD_COMMAND} -k {case.key}",
                pytrace=False,
            )
        spread = gate.baseline_spread(baseline_case)
        if spread > gate.NOISE_LIMIT:
            # Gating it would fail on noise; say so rather than pass silently.
            self.benchmark.extra_info["gate"] = (
                f"not gated: baseline processes disagree by {spread:.2f}x "
                f"(> {gate.NOISE_LIMIT}); re-record the baseline on a quieter machine"
            )
            session.ungated.append(f"{case.key} ({spread:.2f}x)")
            return
        across = session.across_machines
        verdict = gate.screen(case, baseline_case, against=session.against)
        if yardstick == COPY:
            outcome.x_copy = verdict.current  # the same fresh-process rounds against copy
        self.benchmark.extra_info["gate_yardstick"] = yardstick
        self.benchmark.extra_info["gate_change"] = outcome.change = verdict.change
        if across:
            self.benchmark.extra_info["gate_across_machines"] = session.baseline.name
        if not verdict.regressed:
            return
        verdict = gate.confirm(case, baseline_case, against=session.against, across=across)
        self.benchmark.extra_info["gate_confirmed_change"] = outcome.change = verdict.change
        self.benchmark.extra_info["gate_p_value"] = verdict.p_value
        if verdict.regressed:
            pytest.fail(verdict.describe(), pytrace=False)

    def _compare(self, outcome: Outcome) -> None:
        """Judge against REF's tree, measured side by side on this machine."""
        case, session = outcome.case, self.session
        assert session.reference_root is not None
        assert session.compare is not None
        if case.technique not in session.reference_techniques:
            self._not_judged(case, f"only in this tree, not in {session.compare}")
            return
        # Loops are measured at the gate's size: their 998x998 case is their 256x256 one.
        measured = case.confirm_case()
        verdict = session.compared.get(measured.key)
        if verdict is None:
            verdict = gate.compare_with_ref(case, session.reference_root, against=session.compare)
            session.compared[measured.key] = verdict
        verdict = dataclasses.replace(verdict, case=case)
        if yardstick_name(case.technique) == COPY:
            outcome.x_copy = verdict.current  # this tree's side, measured against copy
        info = self.benchmark.extra_info
        info["compare_ref"] = session.compare
        info["compare_change"] = outcome.change = verdict.change
        info["compare_p_value"] = verdict.p_value
        info["compare_processes"] = verdict.processes
        if verdict.regressed:
            pytest.fail(verdict.describe(), pytrace=False)

    def _not_judged(self, case: Case, reason: str) -> None:
        self.benchmark.extra_info["gate"] = f"not judged: {reason}"
        self.session.unjudged.setdefault(reason, []).append(case.key)


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
    """Measure every case run in fresh workers and write this machine's baseline."""
    confirm_cases = {case.key: case.confirm_case() for case in race_session.recorded}
    unique = sorted(set(confirm_cases.values()), key=lambda case: case.key)
    processes = measure.measure_in_workers(unique, workers=gate.RECORD_WORKERS)
    cases = {
        key: baselines.CaseBaseline(
            technique=confirm.technique,
            yardstick=yardstick_name(confirm.technique),
            measured_as=confirm.key,
            processes=tuple(
                tuple(round(ratio, 6) for ratio in process) for process in processes[confirm.key]
            ),
        )
        for key, confirm in confirm_cases.items()
    }
    baselines.write(
        race_session.config.option.recolor_baseline, race_session.machine, machine_facts(), cases
    )


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
                f"{'peak B/px':>9} {'first call':>10} {'vs ref':>7}"
            )
            rows = sorted(
                (o for o in session.outcomes if o.case.group == group), key=lambda o: o.median
            )
            for o in rows:
                name = o.case.technique + (f" ({o.case.threads} thr)" if o.case.threads else "")
                first = f"{o.first_call * 1e3:8.0f}ms" if o.first_call is not None else ""
                memory = f"{o.bytes_per_pixel:9.1f}" if o.bytes_per_pixel is not None else ""
                change = f"{o.change:6.2f}x" if o.change is not None else ""
                if o.change is not None and session.across_machines:
                    change += " across machines"
                x_copy = f"{o.x_copy:9.2f}" if o.x_copy is not None else ""
                write(
                    f"  {name:<20} {format_seconds(o.median):>10} "
                    f"{o.case.size**2 / 1e6 / o.median:9.1f} {x_copy:>9} "
                    f"{o.cpu_utilization:5.2f} {memory:>9} {first:>10} {change:>7}"
                )
        write("CPU: process CPU seconds per wall second while timed (2.00 = two cores busy).")
        write("peak B/px: peak memory allocated per call per pixel, as tracemalloc sees it.")
        write("x copy: time over numpy.copy's, interleaved, in a fresh process.")
        if session.compare:
            write(
                f"vs ref: time over its yardstick here against in {session.compare}'s tree, "
                f"medians of {gate.AB_PROCESSES} alternating fresh processes a side; a case "
                f"fails above {gate.AB_FACTOR} if the change is significant."
            )
        else:
            write(
                f"vs ref: time over its yardstick, against the same in {session.against}; above "
                f"{gate.SCREEN_FACTOR} (against its luckiest baseline process) a case is "
                f"measured again in {gate.WORKERS} fresh processes, and fails above "
                f"{gate.FAIL_FACTOR} if the change is significant."
            )
        if session.across_machines:
            write(
                "ACROSS MACHINES: every vs ref figure compares this machine with another, "
                "whose CPU may favour other kernels.",
                yellow=True,
            )
    if session.ungated:
        write(
            f"recolor: not gated, too noisy in the baseline (processes disagree by more than "
            f"{gate.NOISE_LIMIT}x): {', '.join(session.ungated)}",
            yellow=True,
        )
    for reason, keys in session.unjudged.items():
        write(f"recolor: NOT JUDGED ({len(keys)}): {', '.join(keys)}: {reason}", yellow=True)
    if session.recording:
        write(
            f"recolor: baseline of {session.machine} recorded in {config.option.recolor_baseline}"
        )
    elif session.baseline_problem:
        terminalreporter.write_line(f"recolor: {session.baseline_problem}", yellow=True, bold=True)
