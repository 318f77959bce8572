"""One interface for the instrument's two ways of measuring: :class:`Instrument`.

The plugin chooses one in ``pytest_configure``, from the configuration:
the wall clock (:class:`~benchmarks.instrument.wallclock.instrument.WallClock`)
or callgrind (:class:`~benchmarks.instrument.cost.instrument.Callgrind`). Its
hooks then call the chosen instrument, and never ask which it is.
"""

from __future__ import annotations

from typing import Any, Protocol

import pytest

__all__ = ["CaseRunner", "Instrument"]


class CaseRunner(Protocol):
    """What the ``race`` and ``cost`` fixtures hand a test: ``runner.run(case)``."""

    def run(self, case: Any) -> None:
        """Run, measure and judge ``case`` (fail the test on a FAILED verdict), or skip it."""


class Instrument(Protocol):
    """A way of measuring the suite's cases, from configuration to summary."""

    #: The fixture whose tests this instrument keeps (others are deselected), or None: all.
    keeps: str | None

    def configure(self) -> None:
        """Choose what the cases are judged against (pytest.UsageError when it cannot be)."""

    def header_lines(self) -> list[str]:
        """What the session measures and judges against, before any test runs."""

    def start(self, items: list[pytest.Item]) -> None:
        """Collection is over: start what may run ahead (counts in parallel)."""

    def runner(self, benchmark: Any | None) -> CaseRunner:
        """The runner of one test (``benchmark`` is pytest-benchmark's fixture, for ``race``)."""

    def summary(self, terminalreporter: Any) -> None:
        """What pytest's own report does not show, after it."""

    def finish(self) -> None:
        """The session is over: write what it recorded."""

    def close(self) -> None:
        """Release what the session held (worktrees, workers), also after Ctrl-C."""
