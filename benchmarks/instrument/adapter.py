"""What the instrument asks of the suite it measures: one :class:`Suite`, passed in.

The instrument (this package) is a generic regression gate for pytest. It
knows nothing of what it measures: a case is whatever the suite passes to
the ``race`` and ``cost`` fixtures, with a ``key`` (its name in baselines
and benchmark ids) and a ``group`` (its table). Everything else it learns
from the suite, a module that meets :class:`Suite`, named by the
``benchmark_adapter`` ini option (recolor's: ``benchmarks.adapter``).
:func:`load` imports it once, in ``pytest_configure``, and the plugin hands
it down to whatever needs it: no module of the instrument reaches for it.

A suite says what it is (:class:`About`), lists its cases, describes each
one in a :class:`CaseFacts` record, builds and checks its calls, and adds the
figures its own tables need (:meth:`Suite.extras`): the instrument times,
counts and judges, and prints what the suite gives it.

The worker side is kept apart, as asv keeps ``asv_runner``: a worker process
imports only the instrument's worker and the suite's ``worker_module``,
which meets :class:`WorkerSide`. When a worker measures another commit's
tree, that tree goes on ``sys.path`` before the worker module is imported,
so the worker module must use only the measured package's public names.
"""

from __future__ import annotations

import importlib
import io
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

__all__ = ["About", "Case", "CaseFacts", "Column", "Suite", "WorkerSide", "load"]


class Case(Protocol):
    """What the instrument reads of a case itself: its name and its table."""

    @property
    def key(self) -> str: ...

    @property
    def group(self) -> str: ...


@dataclass(frozen=True)
class Column:
    """A figure of the suite's own that the summary table shows, from ``extras``."""

    key: str  # the figure's name in pytest-benchmark's JSON (extra_info)
    title: str  # the table's heading
    format: str  # a format for the value, such as "{:9.1f}"
    legend: str = ""  # what it means, under the table


@dataclass(frozen=True)
class About:
    """What the suite is: the package it measures, and where its files and settings are."""

    #: The measured package, as the headers name it and as a tree must hold it.
    package: str
    #: The module a worker imports to build a case's calls (:class:`WorkerSide`).
    worker_module: str
    #: The suite's files whose code is part of what a figure is, and its settings that
    #: change what a figure is: with the instrument's own, they name the protocol.
    protocol_files: tuple[Path, ...]
    protocol_settings: Mapping[str, Any]
    #: The committed wall-clock and cost baselines, and the lock of the versions of what
    #: their figures depend on.
    baseline_path: Path
    cost_baseline_path: Path
    lock_path: Path
    #: The variable that caps the measured package's threads (workers inherit it), and
    #: the one that slows named subjects down, to test the gate itself.
    threads_env_var: str
    slowdown_env_var: str
    #: What the reference row of each group measures, as the tables name it ("copy").
    reference_name: str
    #: The suite's own figures in the summary table, from :meth:`Suite.extras`.
    columns: tuple[Column, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class CaseFacts:
    """All the instrument needs to know of one case, in one record."""

    #: The code the case measures (a technique's name), for messages and slowdowns.
    subject: str
    #: The case's row in a table.
    label: str
    #: The name of what the case's time is divided by.
    yardstick: str
    #: Whether the case is its group's reference row: measured, never judged.
    reference: bool
    #: Whether its yardstick is the reference call (its ratio reads "x copy").
    on_reference: bool
    #: Whether a call takes seconds: measured in fewer rounds.
    slow: bool
    #: The case the gate measures for this one (smaller, for slow cases).
    measured_as: Any
    #: The case as JSON, which ``worker_module`` turns back into calls.
    spec: Mapping[str, Any]
    #: The threads the case's code may run on.
    threads: int
    #: The least time, over the bandwidth probe's, a correct call can take; None: no floor.
    floor: float | None
    #: The versions (of :meth:`Suite.versions`) the case's figures depend on; Python always.
    depends_on: tuple[str, ...]
    #: The factor ``slowdown_env_var`` slows the case's subject by, or None.
    slowdown: float | None = None
    #: For the cost mode: cases with the same non-None group share a native warm-up.
    warm_up_group: Any = None


class Suite(Protocol):
    """The suite's answers, about its cases and the package it measures."""

    about: About

    def __hash__(self) -> int:
        """A suite is a module: the caches of what it answers are keyed by it."""

    def configure(self) -> None:
        """Apply the session's settings (the thread cap in ``threads_env_var``) here."""

    def cases(self) -> list[Any]:
        """Every case the wall-clock suite times (to name a stored case it no longer has)."""

    def cost_cases(self) -> list[Any]:
        """Every case the cost mode counts."""

    def case_for(self, key: str) -> Any:
        """The case a key names (ValueError, saying what a key looks like, if none)."""

    def facts(self, case: Any) -> CaseFacts:
        """What the instrument needs to know of ``case``."""

    def payload(self, case: Any) -> bytes:
        """The input bytes a worker measures the case on, sent to it on stdin."""

    def call(self, case: Any) -> Callable[[], Any]:
        """A no-argument call that runs the case once, in this process."""

    def check(self, case: Any, result: Any) -> None:
        """Assert that ``result`` is right and the case's input untouched."""

    def unavailable(self, case: Any) -> str | None:
        """Why the case cannot run here (what to install), or None when it can."""

    def threads(self, case: Any) -> AbstractContextManager[None]:
        """The case's own thread cap while it runs in this process."""

    def versions(self) -> dict[str, str | None]:
        """The versions that make a figure comparable: the package's and its libraries'."""

    def extras(self, case: Any, median_seconds: float) -> dict[str, Any]:
        """The suite's own figures of the case, for the JSON and :attr:`About.columns`."""

    def not_comparable(self, case: Any, root: Path, ref: str) -> str | None:
        """Why the case cannot be measured in REF's tree at ``root``, or None.

        RuntimeError, in one line, when the package in ``root`` cannot be loaded.
        """


class WorkerSide(Protocol):
    """What a worker process asks of the suite, after the measured tree is on its path."""

    def worker_calls(
        self, spec: Mapping[str, Any], payload: io.BufferedIOBase, *, against_reference: bool
    ) -> dict[str, Callable[[], Any]]:
        """The calls a wall-clock worker times: "case", "yardstick" and maybe "probe".

        ``payload`` is the worker's stdin, at the bytes :meth:`Suite.payload`
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


def load(module_name: str) -> Suite:
    """The suite the module ``module_name`` describes (a module that meets :class:`Suite`)."""
    module: Suite = importlib.import_module(module_name)
    return module
