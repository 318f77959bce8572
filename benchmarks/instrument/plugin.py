"""The instrument's pytest plugin: its options, its hooks, and the ``race`` and ``cost`` fixtures.

One plugin, two instruments behind one interface (:class:`~benchmarks.instrument.base.Instrument`),
chosen once in ``pytest_configure``:

- the wall clock (the default, :mod:`benchmarks.instrument.wallclock`): plain
  ``pytest`` runs every benchmark once, as a smoke test; ``pytest
  --benchmark-only`` times them with pytest-benchmark, then judges each case
  in fresh worker processes against this machine's stored baseline, or
  against REF's tree or another interpreter measured side by side;
- callgrind (``--recolor-cost``, :mod:`benchmarks.instrument.cost`): every
  cost case is counted under valgrind and judged against the committed cost
  baseline, or against REF's tree or another interpreter.

The suite (``benchmark_adapter`` in the pytest configuration) is loaded
once, here, and handed to the chosen instrument with the configuration
(:class:`~benchmarks.instrument.config.Config`), read from pytest's options
once. The hooks below call the instrument and never ask which one it is.
The options keep the ``--recolor-`` prefix of the suite that first used them.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from pytest_benchmark.session import PerformanceRegression

from benchmarks.instrument import adapter
from benchmarks.instrument.base import CaseRunner, Instrument
from benchmarks.instrument.config import Config
from benchmarks.instrument.cost import decision as cost_decision
from benchmarks.instrument.cost.callgrind import missing_tools
from benchmarks.instrument.cost.instrument import Callgrind
from benchmarks.instrument.machine import machine_facts
from benchmarks.instrument.wallclock import storage, timing
from benchmarks.instrument.wallclock.instrument import WallClock

__all__ = ["cost", "race"]

_INSTRUMENT = pytest.StashKey[Instrument]()
_SUITE = pytest.StashKey[adapter.Suite]()
_PYTEST_SESSION = pytest.StashKey[pytest.Session]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "benchmark_adapter",
        "the module that tells the benchmark instrument about the suite's cases",
        default="benchmarks.adapter",
    )
    group = parser.getgroup("recolor", "benchmark instrument (wall clock)")
    group.addoption(
        "--recolor-threads",
        type=int,
        default=None,
        metavar="N",
        help="cap the measured code's threads at N (default: the adapter's variable, else all "
        "cores)",
    )
    group.addoption(
        "--recolor-round-seconds",
        type=float,
        default=None,
        metavar="SECONDS",
        help=f"the shortest round the gate's fresh processes time (default "
        f"{timing.MIN_ROUND_SECONDS}); shorter is quicker and noisier, for the gate's own tests",
    )
    group.addoption(
        "--recolor-baseline",
        type=Path,
        default=None,
        metavar="PATH",
        help="the baseline the gate compares with (default: the suite's, benchmarks/baseline.json)",
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
    group.addoption(
        "--recolor-compare-env",
        default=None,
        metavar="PYTHON",
        help="with --benchmark-only: measure this tree under the interpreter PYTHON too (another "
        "virtual environment, other versions of the libraries), side by side, and judge against "
        "it; with --recolor-cost: count it there",
    )
    cost = parser.getgroup("recolor-cost", "benchmark instrument (callgrind, needs valgrind)")
    cost.addoption(
        "--recolor-cost",
        action="store_true",
        default=False,
        help="the callgrind instrument: count each cost case's instructions and cache misses "
        "per call, and judge them against the cost baseline",
    )
    cost.addoption(
        "--recolor-cost-threshold",
        type=float,
        default=cost_decision.DEFAULT_THRESHOLD,
        metavar="PERCENT",
        help="fail a case whose estimated cycles rose by more than PERCENT "
        f"(default {cost_decision.DEFAULT_THRESHOLD:g})",
    )
    cost.addoption(
        "--recolor-cost-baseline",
        type=Path,
        default=None,
        metavar="PATH",
        help="the cost baseline (default: the suite's, benchmarks/cost_baseline.json)",
    )
    cost.addoption(
        "--recolor-record-cost-baseline",
        action="store_true",
        default=False,
        help="write the selected cases' counts to the cost baseline (with --recolor-cost)",
    )
    cost.addoption(
        "--recolor-cost-where",
        action="store_true",
        default=False,
        help="with --recolor-compare: name, for every case, the functions whose instructions "
        "changed most (a failed or improved case always gets them)",
    )
    cost.addoption(
        "--recolor-cost-json",
        type=Path,
        default=None,
        metavar="PATH",
        help="write the estimated cycles for github-action-benchmark (customSmallerIsBetter)",
    )


def pytest_configure(config: pytest.Config) -> None:
    suite = adapter.load(str(config.getini("benchmark_adapter")))
    option = config.option
    if not (option.benchmark_only or option.benchmark_enable):
        # Plain `pytest`: run each benchmark once, as a smoke test.
        option.benchmark_disable = True
    settings = Config.from_options(
        option, suite.about.baseline_path, suite.about.cost_baseline_path
    )
    _check(settings)
    if settings.threads is not None:
        # Exported, so that worker processes inherit the cap.
        os.environ[suite.about.threads_env_var] = str(settings.threads)
    if settings.round_seconds is not None:
        # Exported, so that worker processes inherit it.
        os.environ[timing.ROUND_SECONDS_ENV_VAR] = str(settings.round_seconds)
    if settings.compare_env:
        found = shutil.which(settings.compare_env)
        assert found is not None  # _check refused it otherwise
        settings = _with_interpreter(settings, str(Path(found).absolute()))
    suite.configure()
    chosen = Callgrind if settings.cost else WallClock
    instrument: Instrument = chosen(settings, suite)
    config.stash[_SUITE] = suite
    config.stash[_INSTRUMENT] = instrument
    instrument.configure()


def _with_interpreter(settings: Config, interpreter: str) -> Config:
    return dataclasses.replace(settings, compare_env=interpreter)


def _check(settings: Config) -> None:
    """Refuse, with the command to run instead, what the options cannot mean together."""
    if settings.threads is not None and settings.threads < 1:
        raise pytest.UsageError(
            f"--recolor-threads must be a positive integer, got {settings.threads}"
        )
    if settings.round_seconds is not None and not 0 < settings.round_seconds <= 1:
        raise pytest.UsageError(
            f"--recolor-round-seconds must be between 0 and 1, got {settings.round_seconds}"
        )
    if settings.record and not settings.benchmark_only:
        raise pytest.UsageError(
            f"--recolor-record-baseline records timings: run {storage.RECORD_COMMAND}"
        )
    measures = settings.benchmark_only or settings.cost
    if settings.compare and not measures:
        raise pytest.UsageError(
            f"--recolor-compare measures: run python -m pytest --benchmark-only "
            f"--recolor-compare {settings.compare} (or with --recolor-cost, to count)"
        )
    if settings.compare_env:
        if settings.compare:
            raise pytest.UsageError(
                "--recolor-compare and --recolor-compare-env each name the other side: give one"
            )
        if settings.record or settings.record_cost:
            raise pytest.UsageError("--recolor-compare-env judges; it records no baseline")
        if not measures:
            raise pytest.UsageError(
                f"--recolor-compare-env measures: run python -m pytest --benchmark-only "
                f"--recolor-compare-env {settings.compare_env} (or with --recolor-cost)"
            )
        if shutil.which(settings.compare_env) is None:
            raise pytest.UsageError(
                f"--recolor-compare-env {settings.compare_env}: no such Python interpreter; "
                "give the python of another virtual environment, such as ../other-venv/bin/python"
            )
    if settings.cost:
        _check_cost(settings)
        return
    for flag, given in (
        ("--recolor-record-cost-baseline", settings.record_cost),
        ("--recolor-cost-json", settings.cost_json),
    ):
        if given:
            raise pytest.UsageError(
                f"{flag} belongs to the cost mode: run {cost_decision.COST_COMMAND} {flag} ..."
            )


def _check_cost(settings: Config) -> None:
    if settings.benchmark_only:
        raise pytest.UsageError(
            "--recolor-cost counts instead of timing: leave out --benchmark-only"
        )
    if not 0 < settings.cost_threshold < 100:
        raise pytest.UsageError(
            "--recolor-cost-threshold is a percentage between 0 and 100, got "
            f"{settings.cost_threshold:g}"
        )
    if settings.record_cost and settings.compare:
        raise pytest.UsageError(
            "--recolor-record-cost-baseline records this tree's counts; leave out --recolor-compare"
        )
    problem = missing_tools()
    if problem:
        raise pytest.UsageError(problem)


def pytest_unconfigure(config: pytest.Config) -> None:
    instrument = config.stash.get(_INSTRUMENT, None)
    if instrument is not None:
        instrument.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep only the chosen instrument's cases, rather than list hundreds as skipped.

    ``--benchmark-only`` keeps the wall-clock benchmarks, ``--recolor-cost``
    the cost cases; plain ``pytest`` runs everything.
    """
    fixture = config.stash[_INSTRUMENT].keeps
    if fixture is None:
        return
    keep = [item for item in items if fixture in getattr(item, "fixturenames", ())]
    if len(keep) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in keep])
        items[:] = keep


def pytest_collection_finish(session: pytest.Session) -> None:
    if not session.config.option.collectonly:  # nothing runs
        session.config.stash[_INSTRUMENT].start(session.items)


def pytest_report_header(config: pytest.Config) -> list[str]:
    return config.stash[_INSTRUMENT].header_lines()


def pytest_benchmark_update_machine_info(
    config: pytest.Config, machine_info: dict[str, Any]
) -> None:
    """Record in the saved JSON what changes timings besides the code."""
    suite = config.stash[_SUITE]
    machine_info[suite.about.package] = machine_facts(suite)


@pytest.fixture
def race(benchmark: Any, request: pytest.FixtureRequest) -> CaseRunner:
    """Race a case of the suite: ``race.run(case)``."""
    return request.config.stash[_INSTRUMENT].runner(benchmark)


@pytest.fixture
def cost(request: pytest.FixtureRequest) -> CaseRunner:
    """Count a case of the suite (``--recolor-cost``), or run it once: ``cost.run(case)``."""
    return request.config.stash[_INSTRUMENT].runner(None)


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_PYTEST_SESSION] = session


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config.stash[_INSTRUMENT].finish()


@pytest.hookimpl(wrapper=True)
def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> Any:
    """After pytest-benchmark's table, the figures it does not show.

    ``--benchmark-compare-fail`` ends in pytest-benchmark raising
    PerformanceRegression here, after it printed which test regressed; the
    run then fails with exit status 1 and one line, instead of the
    exception's traceback.
    """
    regressed = False
    try:
        yield
    except PerformanceRegression:
        regressed = True
    config.stash[_INSTRUMENT].summary(terminalreporter)
    if regressed:
        terminalreporter.write_line(
            "pytest-benchmark: performance has regressed (--benchmark-compare-fail above)",
            red=True,
            bold=True,
        )
        config.stash[_PYTEST_SESSION].exitstatus = pytest.ExitCode.TESTS_FAILED
    return None
