"""One benchmark session's state: what its cases are judged against, and what they measured."""

from __future__ import annotations

import contextlib
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from benchmarks.instrument import adapter, dependencies, gitref, measure, protocol
from benchmarks.instrument import storage as baselines
from benchmarks.instrument.adapter import Case
from benchmarks.instrument.decision import Verdict


@dataclass
class Outcome:
    """What one benchmark measured, for the summary and the baseline."""

    case: Case
    median: float
    cpu_utilization: float
    bytes_per_pixel: float | None
    first_call: float | None = None
    change: float | None = None  # the gate's change against its reference, when judged
    x_copy: float | None = None  # from fresh-process rounds: see Race.record_x_copy
    x_copy_fault: str | None = None  # an x copy no out-of-place call can reach: not a result


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
    compare_env: str | None = None  # another interpreter, measured beside this one
    compare_env_versions: dict[str, Any] = field(default_factory=dict)  # what it measures with
    reference_root: Path | None = None
    reference_subjects: set[str] = field(default_factory=set)
    outcomes: list[Outcome] = field(default_factory=list)
    recorded: list[Case] = field(default_factory=list)
    ungated: list[str] = field(default_factory=list)
    unjudged: dict[str, list[str]] = field(default_factory=dict)  # reason -> case keys
    unjudged_alone: list[str] = field(default_factory=list)  # "key: reason", one case each
    faults: list[str] = field(default_factory=list)  # cases whose x copy was a measuring fault
    recording_problems: list[str] = field(default_factory=list)  # "key: yardstick problem"
    compared: dict[str, Verdict] = field(default_factory=dict)  # by measured case key
    notes: list[str] = field(default_factory=list)  # "key: note", passed cases worth a line
    stale: list[str] = field(default_factory=list)  # stored cases the suite no longer has
    commit_trees: dict[str, Path] = field(default_factory=dict)  # baselines' commits, checked out
    cleanup: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    @property
    def against(self) -> str:
        if self.compare_env:
            return f"the environment of {self.compare_env}"
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

    def environments(self, case: Case) -> dependencies.Environments:
        """This environment and ``compare_env``'s, as ``case`` depends on them."""
        suite = adapter.current()
        here = {**suite.versions(), "python": platform.python_version()}
        names = (*dependencies.ALWAYS, *suite.depends_on(case))
        return dependencies.Environments(here, self.compare_env_versions, names)

    def commit_tree(self, commit: str) -> Path:
        """``commit``'s tree, checked out once a session (GitRefError when it cannot be)."""
        if commit not in self.commit_trees:
            self.commit_trees[commit] = self.cleanup.enter_context(gitref.worktree(commit))
        return self.commit_trees[commit]

    def not_judged(self, case: Case, reason: str) -> None:
        self.unjudged.setdefault(reason, []).append(case.key)

    def choose_baseline(self, path: Path, across: str | None) -> None:
        """This machine's baseline; another machine's only when asked, and then labelled."""
        try:
            machines = baselines.load(path)
        except baselines.BaselineError as error:
            self.baseline_problem = str(error)
            self.baseline_unusable = not isinstance(error, baselines.BaselineMissing)
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
            self.baseline = machines[chosen[0]]
            self.across_machines = chosen[0] != self.machine
            return
        self.baseline = machines.get(self.machine)
        if self.baseline is not None:
            known = {case.key for case in adapter.current().wall_clock_cases()}
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
            return
        current = measure.wall_clock_protocol()
        identity = protocol.identity(current)
        if all(case.protocol != identity for case in self.baseline.cases.values()):
            stored = next(iter(self.baseline.protocols.values()), None)
            self.baseline_problem = (
                f"this machine's baseline in {path} was measured by another protocol "
                f"({protocol.describe_differences(stored, current)}). Nothing is judged: a "
                "ratio measured another way does not judge this one. " + ways_forward
            )
            self.baseline = None
