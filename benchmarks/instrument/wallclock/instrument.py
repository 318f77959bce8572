"""The wall-clock instrument: time each case with pytest-benchmark, judge it in fresh processes.

Plain ``pytest`` runs every benchmark once, as a smoke test (pytest-benchmark's
``--benchmark-disable``); ``pytest --benchmark-only`` times them, then judges
each case in fresh worker processes against this machine's stored baseline,
or against REF's tree (``--recolor-compare``) or this tree under another
interpreter (``--recolor-compare-env``), measured side by side here.
"""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.instrument import sides
from benchmarks.instrument.adapter import Suite
from benchmarks.instrument.base import CaseRunner
from benchmarks.instrument.config import Config
from benchmarks.instrument.machine import this_machine_name
from benchmarks.instrument.wallclock import summary
from benchmarks.instrument.wallclock.runner import Race, record_baseline
from benchmarks.instrument.wallclock.session import RaceSession

__all__ = ["WallClock"]


class WallClock:
    """The wall clock, chosen unless ``--recolor-cost``."""

    def __init__(self, config: Config, suite: Suite) -> None:
        self.config = config
        self.session = RaceSession(config, suite, machine=this_machine_name(suite))
        self.keeps: str | None = "benchmark" if config.benchmark_only else None

    def configure(self) -> None:
        config, session = self.config, self.session
        if not config.timing:
            return
        if config.compare_env:
            session.compare_env_versions = sides.interpreter_versions(
                session.suite, config.compare_env
            )
        elif config.compare:
            session.reference_root = sides.reference_tree(
                session.suite, config.compare, session.cleanup
            )
        elif not config.record:
            problem = session.choose_baseline(config.baseline, config.across_machines)
            if problem is not None:
                raise pytest.UsageError(problem)

    def header_lines(self) -> list[str]:
        return summary.header_lines(self.session)

    def start(self, items: list[pytest.Item]) -> None:
        pass  # every case is timed when its test runs

    def runner(self, benchmark: Any | None) -> CaseRunner:
        if benchmark is None:  # a cost case, in a smoke run: checked once
            return _Smoke(self.session.suite)
        return Race(benchmark, self.session)

    def summary(self, terminalreporter: Any) -> None:
        if self.config.timing:
            summary.write_summary(terminalreporter, self.session)

    def finish(self) -> None:
        if self.config.record and self.session.recorded:
            record_baseline(self.session)

    def close(self) -> None:
        self.session.cleanup.close()  # removes REF's worktree, also after Ctrl-C


class _Smoke:
    """A case of the other instrument, run once and checked."""

    def __init__(self, suite: Suite) -> None:
        self.suite = suite

    def run(self, case: Any) -> None:
        missing = self.suite.unavailable(case)
        if missing is not None:
            pytest.skip(missing)
        self.suite.check(case, self.suite.call(case)())
