"""The instrument's pytest plugin: its options, its hooks, and the ``race`` and ``cost`` fixtures.

One plugin, two instruments, chosen by one switch:

- the wall clock (the default): plain ``pytest`` runs every benchmark once,
  as a smoke test (pytest-benchmark's ``--benchmark-disable``);
  ``pytest --benchmark-only`` times them with pytest-benchmark, then judges
  each case in fresh worker processes against this machine's stored
  baseline, or with ``--recolor-compare REF`` against REF's tree measured
  side by side on this machine;
- callgrind (``--recolor-cost``): every cost case is counted under valgrind
  and judged against the committed cost baseline, or against REF's tree.

The suite's adapter (``benchmark_adapter`` in the pytest configuration)
tells the instrument everything it knows of the cases. The options keep the
``--recolor-`` prefix of the suite that first used them.

Each job has its module: running a case (runner), the session's state
(session), the decisions (decision), the steps that measure for them (gate),
measuring in fresh processes (measure, worker), baseline storage (storage),
what is printed (summary), and the callgrind instrument (cost/).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from pytest_benchmark.session import PerformanceRegression

from benchmarks.instrument import adapter, gitref, measure, storage, timing
from benchmarks.instrument.cost import decision as cost_decision
from benchmarks.instrument.cost import session as cost_session
from benchmarks.instrument.cost.callgrind import missing_tools
from benchmarks.instrument.machine import machine_facts, machine_name
from benchmarks.instrument.runner import Race, record_baseline
from benchmarks.instrument.session import RaceSession
from benchmarks.instrument.summary import header_lines, write_summary

__all__ = ["Race", "cost", "race"]

_WALL = pytest.StashKey[RaceSession]()
_COST = pytest.StashKey[cost_session.CostSession]()
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
    suite = adapter.use(str(config.getini("benchmark_adapter")))
    option = config.option
    if option.recolor_baseline is None:
        option.recolor_baseline = suite.BASELINE_PATH
    if option.recolor_cost_baseline is None:
        option.recolor_cost_baseline = suite.COST_BASELINE_PATH
    if option.recolor_threads is not None:
        if option.recolor_threads < 1:
            raise pytest.UsageError(
                f"--recolor-threads must be a positive integer, got {option.recolor_threads}"
            )
        # Exported, so that worker processes inherit the cap.
        os.environ[suite.THREADS_ENV_VAR] = str(option.recolor_threads)
    if option.recolor_round_seconds is not None:
        if not 0 < option.recolor_round_seconds <= 1:
            raise pytest.UsageError(
                f"--recolor-round-seconds must be between 0 and 1, got "
                f"{option.recolor_round_seconds}"
            )
        # Exported, so that worker processes inherit it.
        os.environ[timing.ROUND_SECONDS_ENV_VAR] = str(option.recolor_round_seconds)
    if option.recolor_record_baseline and not option.benchmark_only:
        raise pytest.UsageError(
            f"--recolor-record-baseline records timings: run {storage.RECORD_COMMAND}"
        )
    if option.recolor_compare and not (option.benchmark_only or option.recolor_cost):
        raise pytest.UsageError(
            f"--recolor-compare measures: run python -m pytest --benchmark-only "
            f"--recolor-compare {option.recolor_compare} (or with --recolor-cost, to count)"
        )
    if option.recolor_compare_env:
        _check_compare_env(option)
    suite.configure()
    if not (option.benchmark_only or option.benchmark_enable):
        # Plain `pytest`: run each benchmark once, as a smoke test.
        option.benchmark_disable = True
    if option.recolor_cost:
        _configure_cost(config)
    else:
        _configure_wall_clock(config)


def _check_compare_env(option: Any) -> None:
    """Refuse --recolor-compare-env where it cannot run; make PYTHON a path that can."""
    if option.recolor_compare:
        raise pytest.UsageError(
            "--recolor-compare and --recolor-compare-env each name the other side: give one"
        )
    if option.recolor_record_baseline or option.recolor_record_cost_baseline:
        raise pytest.UsageError("--recolor-compare-env judges; it records no baseline")
    if not (option.benchmark_only or option.recolor_cost):
        raise pytest.UsageError(
            f"--recolor-compare-env measures: run python -m pytest --benchmark-only "
            f"--recolor-compare-env {option.recolor_compare_env} (or with --recolor-cost)"
        )
    found = shutil.which(option.recolor_compare_env)
    if found is None:
        raise pytest.UsageError(
            f"--recolor-compare-env {option.recolor_compare_env}: no such Python interpreter; "
            "give the python of another virtual environment, such as ../other-venv/bin/python"
        )
    option.recolor_compare_env = str(Path(found).absolute())


def _reference(session: RaceSession | cost_session.CostSession, ref: str) -> None:
    """REF's tree, checked out for the session; a usage error when it cannot be."""
    session.compare = ref
    try:
        session.reference_root, session.reference_subjects = session.cleanup.enter_context(
            gitref.reference_tree(ref)
        )
    except gitref.GitRefError as error:
        raise pytest.UsageError(str(error)) from error


def _configure_wall_clock(config: pytest.Config) -> None:
    option = config.option
    for flag, given in (
        ("--recolor-record-cost-baseline", option.recolor_record_cost_baseline),
        ("--recolor-cost-json", option.recolor_cost_json),
    ):
        if given:
            raise pytest.UsageError(
                f"{flag} belongs to the cost mode: run {cost_decision.COST_COMMAND} {flag} ..."
            )
    session = RaceSession(config, machine=machine_name(machine_facts()))
    config.stash[_WALL] = session
    if not session.timing:
        return
    if option.recolor_compare_env:
        session.compare_env = option.recolor_compare_env
        session.compare_env_versions = _versions_under(option.recolor_compare_env)
    elif option.recolor_compare:
        _reference(session, option.recolor_compare)
    elif not session.recording:
        session.choose_baseline(option.recolor_baseline, option.recolor_across_machines)


def _versions_under(interpreter: str) -> dict[str, Any]:
    try:
        return measure.versions_under(interpreter)
    except RuntimeError as error:
        raise pytest.UsageError(f"--recolor-compare-env: {error}") from error


def _configure_cost(config: pytest.Config) -> None:
    option = config.option
    if option.benchmark_only:
        raise pytest.UsageError(
            "--recolor-cost counts instead of timing: leave out --benchmark-only"
        )
    if not 0 < option.recolor_cost_threshold < 100:
        raise pytest.UsageError(
            "--recolor-cost-threshold is a percentage between 0 and 100, got "
            f"{option.recolor_cost_threshold:g}"
        )
    if option.recolor_record_cost_baseline and option.recolor_compare:
        raise pytest.UsageError(
            "--recolor-record-cost-baseline records this tree's counts; leave out --recolor-compare"
        )
    problem = missing_tools()
    if problem:
        raise pytest.UsageError(problem)
    session = cost_session.CostSession(config, threshold=option.recolor_cost_threshold)
    config.stash[_COST] = session
    if option.recolor_compare_env:
        session.compare_env = option.recolor_compare_env
        session.compare_env_versions = _versions_under(option.recolor_compare_env)
    elif option.recolor_compare:
        _reference(session, option.recolor_compare)
    elif not session.recording:
        cost_session.open_baseline(session, option.recolor_cost_baseline)


def pytest_unconfigure(config: pytest.Config) -> None:
    counting = config.stash.get(_COST, None)
    if counting is not None:
        cost_session.close(counting)
    for session in (config.stash.get(_WALL, None), counting):
        if session is not None:
            session.cleanup.close()  # removes REF's worktree, also after Ctrl-C


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep only the chosen instrument's cases, rather than list hundreds as skipped.

    ``--benchmark-only`` keeps the wall-clock benchmarks, ``--recolor-cost``
    the cost cases; plain ``pytest`` runs everything.
    """
    if config.option.recolor_cost:
        fixture = "cost"
    elif config.option.benchmark_only:
        fixture = "benchmark"
    else:
        return
    keep = [item for item in items if fixture in getattr(item, "fixturenames", ())]
    if len(keep) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in keep])
        items[:] = keep


def pytest_collection_finish(session: pytest.Session) -> None:
    counting = session.config.stash.get(_COST, None)
    if counting is not None and not session.config.option.collectonly:  # nothing runs
        cost_session.start(counting, session.items)


def pytest_report_header(config: pytest.Config) -> list[str]:
    counting = config.stash.get(_COST, None)
    if counting is not None:
        return cost_session.header_lines(counting)
    return header_lines(config.stash[_WALL])


def pytest_benchmark_update_machine_info(
    config: pytest.Config, machine_info: dict[str, Any]
) -> None:
    """Record in the saved JSON what changes timings besides the code."""
    machine_info[adapter.current().PACKAGE] = machine_facts()


@pytest.fixture
def race(benchmark: Any, request: pytest.FixtureRequest) -> Race:
    """Race a case of the suite: ``race.run(case)``."""
    return Race(benchmark, request.config.stash[_WALL])


@pytest.fixture
def cost(request: pytest.FixtureRequest) -> cost_session.CostRunner:
    """Count a case of the suite (``--recolor-cost``), or run it once: ``cost.run(case)``."""
    return cost_session.CostRunner(request.config.stash.get(_COST, None))


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_PYTEST_SESSION] = session


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    counting = session.config.stash.get(_COST, None)
    if counting is not None:
        cost_session.finish(counting)
    timed = session.config.stash.get(_WALL, None)
    if timed is not None and timed.recording and timed.recorded:
        record_baseline(timed)


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
    timed = config.stash.get(_WALL, None)
    if timed is not None and timed.timing:
        write_summary(terminalreporter, timed)
    counting = config.stash.get(_COST, None)
    if counting is not None:
        cost_session.write_summary(terminalreporter, counting)
    if regressed:
        terminalreporter.write_line(
            "pytest-benchmark: performance has regressed (--benchmark-compare-fail above)",
            red=True,
            bold=True,
        )
        config.stash[_PYTEST_SESSION].exitstatus = pytest.ExitCode.TESTS_FAILED
    return None
