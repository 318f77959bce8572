"""One wall-clock session's state: what its cases are judged against, and what they measured."""

from __future__ import annotations

import contextlib
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.instrument import dependencies, gitref, protocol
from benchmarks.instrument.adapter import Case, Suite
from benchmarks.instrument.config import Config
from benchmarks.instrument.verdict import Verdict
from benchmarks.instrument.wallclock import measure
from benchmarks.instrument.wallclock import storage as baselines
from benchmarks.instrument.wallclock.decision import Comparison


@dataclass
class Outcome:
    """What one benchmark measured, for the summary and the baseline."""

    case: Case
    median: float
    cpu_utilization: float
    extras: dict[str, Any] = field(default_factory=dict)  # the suite's own figures
    change: float | None = None  # the gate's change against its reference, when judged
    x_copy: float | None = None  # from fresh-process rounds: see Race.record_x_copy
    x_copy_fault: str | None = None  # an x copy no out-of-place call can reach: not a result


class BaselineUnusable(Exception):
    """The baseline is there but broken: every case fails with the message."""


@dataclass
class RaceSession:
    """Per-session state: what the cases are judged against, and every outcome so far."""

    config: Config
    suite: Suite
    machine: str = ""
    baseline: baselines.MachineBaseline | None = None
    across_machines: bool = False
    baseline_problem: str | None = None
    baseline_unusable: bool = False
    compare_env_versions: dict[str, Any] = field(default_factory=dict)  # what it measures with
    reference_root: Path | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    recorded: list[Case] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)  # cases whose x copy was a measuring fault
    recording_problems: list[str] = field(default_factory=list)  # "key: yardstick problem"
    compared: dict[str, Comparison] = field(default_factory=dict)  # by measured case key
    stale: list[str] = field(default_factory=list)  # stored cases the suite no longer has
    commit_trees: dict[str, Path] = field(default_factory=dict)  # baselines' commits, checked out
    cleanup: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    @property
    def against(self) -> str:
        if self.config.compare_env:
            return f"the environment of {self.config.compare_env}"
        if self.config.compare:
            return self.config.compare
        if self.across_machines and self.baseline is not None:
            return f"the baseline of {self.baseline.name}"
        return "the baseline"

    def here(self) -> dict[str, Any]:
        """This environment's versions, as a baseline records them."""
        return {**self.suite.versions(), "python": platform.python_version()}

    def environments(self, case: Case) -> dependencies.Environments:
        """This environment and ``compare_env``'s, as ``case`` depends on them."""
        names = (*dependencies.ALWAYS, *self.suite.facts(case).depends_on)
        return dependencies.Environments(self.here(), self.compare_env_versions, names)

    def commit_tree(self, commit: str) -> Path:
        """``commit``'s tree, checked out once a session (GitRefError when it cannot be)."""
        if commit not in self.commit_trees:
            self.commit_trees[commit] = self.cleanup.enter_context(gitref.worktree(commit))
        return self.commit_trees[commit]

    def choose_baseline(self, path: Path, across: str | None) -> str | None:
        """This machine's baseline; another machine's only when asked, and then labelled.

        Returns a usage error's message, for an ``across`` that names no machine.
        """
        try:
            machines = baselines.load(path)
        except baselines.BaselineError as error:
            self.baseline_problem = str(error)
            self.baseline_unusable = not isinstance(error, baselines.BaselineMissing)
            return None
        if across is not None:
            chosen = [name for name in machines if across == name] or [
                name for name in machines if across in name
            ]
            if len(chosen) != 1:
                return f"--recolor-across-machines {across!r} must name one machine of {path}: " + (
                    "; ".join(repr(name) for name in machines)
                )
            self.baseline = machines[chosen[0]]
            self.across_machines = chosen[0] != self.machine
            return None
        self.baseline = machines.get(self.machine)
        if self.baseline is not None:
            known = {case.key for case in self.suite.cases()}
            self.stale = sorted(set(self.baseline.cases) - known)
        ways_forward = (
            f"Record this machine's with: {baselines.RECORD_COMMAND} (or compare with a git "
            "ref on this machine: --recolor-compare main)"
        )
        if self.baseline is None:
            self.baseline_problem = (
                f"{path} holds no baseline for this machine ({self.machine}), only for: "
                + "; ".join(machines)
                + ". Nothing is judged: a ratio measured on another CPU does not judge this one. "
                + ways_forward
            )
            return None
        current = measure.wall_clock_protocol(self.suite)
        identity = protocol.identity(current)
        if all(case.protocol != identity for case in self.baseline.cases.values()):
            stored = next(iter(self.baseline.protocols.values()), None)
            self.baseline_problem = (
                f"this machine's baseline in {path} was measured by another protocol "
                f"({protocol.describe_differences(stored, current)}). Nothing is judged: a "
                "ratio measured another way does not judge this one. " + ways_forward
            )
            self.baseline = None
        return None
