"""The pytest plugin behind recolor's benchmarks: options, hooks and the ``race`` fixture.

Loaded by the root ``conftest.py``. Plain ``pytest`` runs every benchmark
once, as a smoke test (pytest-benchmark's ``--benchmark-disable``);
``pytest --benchmark-only`` times them and compares them with this machine's
baseline, or with ``--recolor-compare REF`` with REF's tree measured side by
side on this machine.

Each job has its module: running a case (race.py), the session's state
(session.py), the gate's decisions (gate.py), measuring in fresh processes
(measure.py), baseline storage (baselines.py), what is printed (summary.py).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from pytest_benchmark.session import PerformanceRegression

from benchmarks import baselines, git_ref
from benchmarks.instrument import timing
from benchmarks.machine import machine_facts
from benchmarks.race import Race, record_baseline
from benchmarks.session import SESSION, RaceSession
from benchmarks.summary import header_lines, write_summary
from recolor._threads import THREADS_ENV_VAR, apply_env_thread_limit

__all__ = ["Race", "race"]


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
    config.stash[SESSION] = session
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
        session.choose_baseline(option.recolor_baseline, option.recolor_across_machines)


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(SESSION, None)
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
    if getattr(config.option, "recolor_cost", False):
        return []  # the cost mode has its own header (benchmarks/cost_plugin.py)
    return header_lines(config.stash[SESSION])


def pytest_benchmark_update_machine_info(
    config: pytest.Config, machine_info: dict[str, Any]
) -> None:
    """Record in the saved JSON what changes timings besides the code."""
    machine_info["recolor"] = machine_facts()


@pytest.fixture
def race(benchmark: Any, request: pytest.FixtureRequest) -> Race:
    """Race a :class:`~benchmarks.cases.Case`: ``race.run(Case("numpy_mask", 998))``."""
    return Race(benchmark, request.config.stash[SESSION])


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    race_session = session.config.stash.get(SESSION, None)
    if race_session is None or not race_session.recording or not race_session.recorded:
        return
    record_baseline(race_session)


_PYTEST_SESSION = pytest.StashKey[pytest.Session]()


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_PYTEST_SESSION] = session


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
    session = config.stash.get(SESSION, None)
    if session is not None and session.timing:
        write_summary(terminalreporter, session)
    if regressed:
        terminalreporter.write_line(
            "pytest-benchmark: performance has regressed (--benchmark-compare-fail above)",
            red=True,
            bold=True,
        )
        config.stash[_PYTEST_SESSION].exitstatus = pytest.ExitCode.TESTS_FAILED
    return None
