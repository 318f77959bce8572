"""What the instrument asks of the suite it measures: one adapter module.

The instrument (this package) is a generic regression gate for pytest. It
knows nothing of what it measures: a case is whatever the suite passes to
the ``race`` and ``cost`` fixtures, with a ``key`` (its name in baselines
and benchmark ids) and a ``group`` (its table). Everything else it learns
from the suite's adapter, a module that meets :class:`Adapter`, named by the
``benchmark_adapter`` ini option (recolor's: ``benchmarks.adapter``).

The worker side is kept apart, as asv keeps ``asv_runner``: a worker process
imports only the instrument's worker and the adapter's ``WORKER_MODULE``,
which meets :class:`WorkerSide`. When a worker measures another commit's
tree, that tree goes on ``sys.path`` before the worker module is imported,
so the worker module must use only the measured package's public names.
"""

from __future__ import annotations

import importlib
import io
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

__all__ = ["Adapter", "Case", "WorkerSide", "current", "use"]


class Case(Protocol):
    """What the instrument reads of a case itself: its name and its table."""

    @property
    def key(self) -> str: ...

    @property
    def group(self) -> str: ...


class Adapter(Protocol):
    """The suite's answers, about its cases and the package it measures."""

    #: The measured package, as the headers name it and as a tree must hold it.
    PACKAGE: str
    #: The module a worker imports to build a case's calls (:class:`WorkerSide`).
    WORKER_MODULE: str
    #: The suite's files whose code is part of what a figure is: with the
    #: instrument's own, they name the measuring protocol.
    PROTOCOL_FILES: tuple[Path, ...]
    #: The suite's settings that change what a figure is (sizes measured instead).
    PROTOCOL_SETTINGS: dict[str, Any]
    #: Where the committed wall-clock and cost baselines live, and the lock that pins
    #: the versions of what their figures depend on.
    BASELINE_PATH: Path
    COST_BASELINE_PATH: Path
    LOCK_PATH: Path
    #: The variable that caps the measured package's threads (workers inherit it),
    #: and the one that slows named subjects down, to test the gate itself.
    THREADS_ENV_VAR: str
    SLOWDOWN_ENV_VAR: str
    #: What the reference row measures, as the tables name it ("x copy").
    REFERENCE_NAME: str

    def configure(self) -> None:
        """Apply the session's settings (the thread cap in ``THREADS_ENV_VAR``) to this process."""

    def cost_cases(self) -> list[Any]:
        """Every case the cost mode counts."""

    def wall_clock_cases(self) -> list[Any]:
        """Every case the wall-clock suite times (to name a stored case it no longer has)."""

    def case_for(self, key: str) -> Any:
        """The case a key names (ValueError, saying what a key looks like, if none)."""

    def subject(self, case: Any) -> str:
        """The code the case measures (a technique's name), for messages and slowdowns."""

    def label(self, case: Any) -> str:
        """The case's row in a table."""

    def is_reference(self, case: Any) -> bool:
        """Whether the case is its group's reference row: measured, never judged."""

    def is_slow(self, case: Any) -> bool:
        """Whether a call takes seconds: measured in fewer rounds."""

    def measured_as(self, case: Any) -> Any:
        """The case the gate measures for this one (smaller, for slow cases)."""

    def spec(self, case: Any) -> dict[str, Any]:
        """The case as JSON, which ``WORKER_MODULE`` turns back into calls."""

    def payload(self, case: Any) -> bytes:
        """The input bytes a worker measures the case on, sent to it on stdin."""

    def megapixels(self, case: Any) -> float:
        """The work of one call, for the tables' throughput."""

    def yardstick(self, case: Any) -> str:
        """The name of what the case's time is divided by."""

    def yardstick_is_reference(self, case: Any) -> bool:
        """Whether the case's yardstick is the reference call (its ratio is "x copy")."""

    def reference_floor(self, case: Any) -> float | None:
        """The least time, over the bandwidth probe's, a correct call can take; None: no floor."""

    def call(self, case: Any) -> Callable[[], Any]:
        """A no-argument call that runs the case once, in this process."""

    def memory_call(self, case: Any) -> tuple[Callable[[], Any], float]:
        """A call whose peak memory stands for the case's, and the pixels it works on."""

    def check(self, case: Any, result: Any) -> None:
        """Assert that ``result`` is right and the case's input untouched."""

    def skip_unless_runnable(self, case: Any) -> None:
        """Skip the running test, saying what to install, when the case cannot run here."""

    def runnable(self, case: Any) -> bool:
        """Whether the case can run here."""

    def threads(self, case: Any) -> AbstractContextManager[None]:
        """The case's own thread cap while it runs in this process."""

    def thread_count(self, case: Any) -> int:
        """The threads the case's code may run on."""

    def versions(self) -> dict[str, str | None]:
        """The versions that make a figure comparable: the package's and its libraries'."""

    def depends_on(self, case: Any) -> tuple[str, ...]:
        """The libraries of :meth:`versions` the case's figures depend on (Python always does)."""

    def extras(self, case: Any) -> dict[str, float]:
        """Further figures of the case for pytest-benchmark's JSON (a first call's seconds)."""

    def reference_subjects(self, root: Path) -> set[str]:
        """The subjects the package in another tree has (an error message if it cannot load)."""

    def not_comparable(self, case: Any, root: Path, subjects: set[str], ref: str) -> str | None:
        """Why the case cannot be measured in REF's tree at ``root``, or None."""

    def slowdown(self, case: Any) -> float | None:
        """The factor ``SLOWDOWN_ENV_VAR`` slows the case's subject by, or None."""

    def warm_up_group(self, case: Any) -> Any:
        """For the cost mode: cases with the same non-None group share a native warm-up."""


class WorkerSide(Protocol):
    """What a worker process asks of the suite, after the measured tree is on its path."""

    def worker_calls(
        self, spec: Mapping[str, Any], payload: io.BufferedIOBase, *, against_reference: bool
    ) -> dict[str, Callable[[], Any]]:
        """The calls a wall-clock worker times: "case", "yardstick" and maybe "probe".

        ``payload`` is the worker's stdin, at the bytes :meth:`Adapter.payload`
        sent. With ``against_reference`` the yardstick is the reference call.
        """

    def worker_threads(self, spec: Mapping[str, Any]) -> AbstractContextManager[None]:
        """The case's thread cap while it is timed."""

    def counted_call(self, spec: Mapping[str, Any]) -> Callable[[], Any]:
        """The call a cost worker counts."""

    def measured_file(self) -> str:
        """Where the measured package was imported from."""

    def versions(self) -> dict[str, str | None]:
        """The measured package's version and its libraries', as this interpreter imports them."""


_current: list[Adapter] = []


def use(module_name: str) -> Adapter:
    """Import the suite's adapter and make it the one the instrument asks."""
    module: Adapter = importlib.import_module(module_name)
    _current[:] = [module]
    return module


def current() -> Adapter:
    """The adapter :func:`use` chose; an error that says how to choose one otherwise."""
    if not _current:
        raise RuntimeError(
            "no benchmark adapter: set benchmark_adapter in the pytest configuration "
            "(for example benchmark_adapter = benchmarks.adapter)"
        )
    return _current[0]
