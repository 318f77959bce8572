"""The cost instrument's session: count every case under callgrind, then judge each as a test.

Every cost case is counted in a worker of its own under callgrind
(:mod:`benchmarks.instrument.cost.callgrind`), as many at once as there are
cores: counts do not care what else runs. Each case is then judged against
the committed cost baseline (:mod:`benchmarks.instrument.cost.decision`) or,
with ``--recolor-compare REF``, against the same case counted in REF's tree
in the same session. The plugin (:mod:`benchmarks.instrument.plugin`) calls
the functions here when its instrument switch says callgrind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from benchmarks.instrument import adapter, dependencies, gitref
from benchmarks.instrument.adapter import Case
from benchmarks.instrument.cost import attribution, callgrind
from benchmarks.instrument.cost import decision as cost_gate
from benchmarks.instrument.cost.callgrind import Cost, CostError
from benchmarks.instrument.cost.slowdown import CALIBRATION_UNITS, filler_units
from benchmarks.instrument.environment import available_cores
from benchmarks.instrument.files import write_text
from benchmarks.instrument.machine import cpu_model


@dataclass
class Counted:
    """A case counted here, and in the reference tree when comparing."""

    cost: Cost
    simulated_cpu: str
    reference: Cost | None = None
    reference_cpu: str | None = None  # the CPU numpy saw in the reference tree's count


@dataclass
class CostSession:
    config: pytest.Config
    threshold: float
    compare: str | None = None
    compare_env: str | None = None  # another interpreter, counted beside this one
    compare_env_versions: dict[str, Any] = field(default_factory=dict)  # what it counts with
    reference_root: Path | None = None
    reference_subjects: set[str] = field(default_factory=set)
    baseline: dict[str, dict[str, Any]] | None = None
    baseline_protocols: dict[str, Any] = field(default_factory=dict)
    baseline_problem: str | None = None
    baseline_unusable: bool = False
    stale: list[str] = field(default_factory=list)  # stored cases the suite no longer has
    pending: dict[str, Future[Counted]] = field(default_factory=dict)
    verdicts: list[cost_gate.CostVerdict] = field(default_factory=list)
    recorded: dict[str, dict[str, Any]] = field(default_factory=dict)
    unit_cycles: float | None = None
    executor: ThreadPoolExecutor | None = None
    cleanup: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    @property
    def recording(self) -> bool:
        return bool(self.config.option.recolor_record_cost_baseline)

    @property
    def against(self) -> str:
        if self.compare_env:
            return f"the environment of {self.compare_env}"
        return self.compare if self.compare else "the baseline"


def open_baseline(session: CostSession, path: Path) -> None:
    """The committed counts to judge by; a problem is kept, to be said in the header."""
    try:
        session.baseline, session.baseline_protocols = cost_gate.load_with_protocols(path)
        known = {case.key for case in adapter.current().cost_cases()}
        session.stale = sorted(set(session.baseline) - known)
    except FileNotFoundError:
        session.baseline_problem = (
            f"no cost baseline at {path}, so nothing was judged. "
            f"Record one with: {cost_gate.RECORD_COMMAND}"
        )
    except cost_gate.CostBaselineError as error:
        session.baseline_problem = str(error)
        session.baseline_unusable = True


def close(session: CostSession) -> None:
    if session.executor is not None:
        session.executor.shutdown(wait=True, cancel_futures=True)


#: Workers counting at once; every core by default (COST_JOBS_ENV_VAR changes it).
COST_JOBS_ENV_VAR = "RECOLOR_COST_JOBS"


def start(session: CostSession, items: list[pytest.Item]) -> None:
    """Start counting every selected case now, so that the workers overlap.

    A test parametrized by "case" is counted ahead; any other counts when it runs.
    """
    suite = adapter.current()
    params = [getattr(getattr(item, "callspec", None), "params", {}) for item in items]
    cases = [p["case"] for p in params if "case" in p and suite.runnable(p["case"])]
    if not cases:
        return
    callgrind.warm_up(cases)
    if session.reference_root is not None:
        reference_cases = [case for case in cases if _in_reference(session, case)]
        callgrind.warm_up(reference_cases, session.reference_root)
    if session.compare_env is not None:
        callgrind.warm_up(cases, interpreter=session.compare_env)
    if any(suite.slowdown(case) is not None for case in cases):
        filler_cost, _ = callgrind.measure(None, filler_units=CALIBRATION_UNITS)
        session.unit_cycles = filler_cost.estimated_cycles / CALIBRATION_UNITS
    jobs = int(os.environ.get(COST_JOBS_ENV_VAR, "0")) or available_cores()
    session.executor = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="cost-worker")
    for case in cases:
        session.pending[case.key] = session.executor.submit(_count, session, case)


def _in_reference(session: CostSession, case: Case) -> bool:
    return adapter.current().subject(case) in session.reference_subjects


def _count(session: CostSession, case: Case) -> Counted:
    reference: Cost | None = None
    reference_cpu: str | None = None
    if session.reference_root is not None and _in_reference(session, case):
        reference, reference_cpu = callgrind.measure(case, session.reference_root)
    elif session.compare_env is not None:
        reference, reference_cpu = callgrind.measure(case, interpreter=session.compare_env)
    units = 0
    factor = adapter.current().slowdown(case)
    if factor is not None and session.unit_cycles is not None:
        reference_cycles = _reference_cycles(session, case, reference)
        units = filler_units(factor, reference_cycles, session.unit_cycles)
    current, simulated_cpu = callgrind.measure(case, filler_units=units)
    return Counted(current, simulated_cpu, reference, reference_cpu)


def _reference_cycles(session: CostSession, case: Case, reference: Cost | None) -> int:
    if reference is not None:
        return reference.estimated_cycles
    entry = (session.baseline or {}).get(case.key)
    if entry is None:
        raise CostError(
            f"{adapter.current().SLOWDOWN_ENV_VAR} in the cost mode adds work in proportion to "
            "the case's "
            f"reference cost, and {case.key} has none: record it or use --recolor-compare"
        )
    cycles: int = entry["estimated_cycles"]
    return cycles


class CostRunner:
    """Counts one case (``--recolor-cost``), or runs it once as a smoke test."""

    def __init__(self, session: CostSession | None) -> None:
        self.session = session

    def run(self, case: Case) -> None:
        suite = adapter.current()
        suite.skip_unless_runnable(case)
        if self.session is None:
            suite.check(case, suite.call(case)())
            return
        session = self.session
        future = session.pending.get(case.key)
        counted = future.result() if future is not None else _count(session, case)
        verdict = self._judge(case, counted)
        session.verdicts.append(verdict)
        if verdict.status == "failed":
            pytest.fail(verdict.describe(), pytrace=False)

    def _judge(self, case: Case, counted: Counted) -> cost_gate.CostVerdict:
        session = self.session
        assert session is not None
        versions = cost_gate.versions(counted.simulated_cpu)
        if session.recording:
            session.recorded[case.key] = cost_gate.entry(counted.cost, versions)
            return cost_gate.CostVerdict(case, "recorded", counted.cost)
        if session.compare_env:
            assert counted.reference is not None
            verdict = cost_gate.judge(
                case,
                counted.cost,
                counted.reference,
                threshold=session.threshold,
                against=session.against,
            )
            there = {**session.compare_env_versions, **cost_gate.toolchain_facts()}
            there["simulated_cpu"] = counted.reference_cpu
            environments = dependencies.Environments(versions, there, cost_gate.depends_on(case))
            change = verdict.change or 1.0
            return dataclasses.replace(verdict, reason=environments.describe_change(change))
        if session.compare:
            if counted.reference is None:
                return cost_gate.CostVerdict(
                    case,
                    "no reference",
                    counted.cost,
                    reason=f"{adapter.current().subject(case)} is not in {session.compare}: "
                    "listed, not judged",
                )
            verdict = cost_gate.judge(
                case,
                counted.cost,
                counted.reference,
                threshold=session.threshold,
                against=session.compare,
            )
            differ = cost_gate.environment_differences(
                cost_gate.versions(counted.reference_cpu or ""), versions
            )
            if differ:  # the same session's toolchain: only the CPU numpy sees can differ
                verdict = dataclasses.replace(
                    verdict, reason=f"the environments differ: {'; '.join(differ)}"
                )
            if verdict.status in ("failed", "improved") or session.config.option.recolor_cost_where:
                assert session.reference_root is not None
                explained = attribution.explain(case, session.reference_root)
                verdict = dataclasses.replace(verdict, where=explained.describe())
            return verdict
        if session.baseline_unusable:
            pytest.fail(session.baseline_problem or "", pytrace=False)
        if session.baseline is None:
            return cost_gate.CostVerdict(
                case, "no reference", counted.cost, reason=session.baseline_problem or ""
            )
        stored = session.baseline.get(case.key)
        verdict = cost_gate.judge_against_baseline(
            case,
            counted.cost,
            versions,
            stored,
            threshold=session.threshold,
            protocols=session.baseline_protocols,
        )
        commit = (stored or {}).get("commit")
        if verdict.status in ("failed", "improved") and commit:
            verdict = dataclasses.replace(verdict, where=_explained_against(case, commit))
        return verdict


def _explained_against(case: Case, commit: str) -> str:
    """Where the instructions changed since the commit the baseline counted, if it is here."""
    try:
        with gitref.worktree(commit) as root:
            return attribution.explain(case, root, side=f"baseline-{commit[:9]}").describe()
    except gitref.GitRefError as error:
        return f"(the baseline's commit {commit[:9]} cannot be checked out here: {error})"


def header_lines(session: CostSession) -> list[str]:
    config = session.config
    mode = f"{adapter.current().PACKAGE} cost mode"
    lines = [
        f"{mode}: instructions and simulated cache misses per call under valgrind "
        f"{callgrind.valgrind_version()} (callgrind), one thread, estimated cycles = "
        f"instructions + {callgrind.L1_MISS_CYCLES} x L1 misses + "
        f"{callgrind.LL_MISS_CYCLES} x LL misses"
    ]
    if session.recording:
        lines.append(f"{mode}: recording {config.option.recolor_cost_baseline}")
    elif session.compare_env:
        there = session.compare_env_versions
        lines.append(
            f"{mode}: judged against this tree under {session.compare_env}, threshold "
            f"{session.threshold:g}%; there: "
            + ", ".join(f"{name} {version}" for name, version in there.items())
        )
    elif session.compare:
        lines.append(
            f"{mode}: judged against {session.compare} (a worktree at "
            f"{session.reference_root}), threshold {session.threshold:g}%"
        )
    elif session.baseline is not None:
        lines.append(
            f"{mode}: judged against {config.option.recolor_cost_baseline}, "
            f"threshold {session.threshold:g}%"
        )
        hosts = sorted({str(e.get("host_cpu", "unknown")) for e in session.baseline.values()})
        here = cpu_model()
        lines.append(
            f"{mode}: baseline counted on {', '.join(hosts)}; this host: {here}"
            + (
                ""
                if hosts == [here]
                else " (another CPU: valgrind presents the same one to the program, so the "
                "counts are compared)"
            )
        )
    else:
        lines.append(f"{mode}: NOT JUDGED: {session.baseline_problem}")
    return lines


def finish(cost_session: CostSession) -> None:
    """Write what the session recorded, and the series for github-action-benchmark."""
    option = cost_session.config.option
    if cost_session.recording and cost_session.recorded:
        keep = {case.key for case in adapter.current().cost_cases()}
        cost_gate.write(option.recolor_cost_baseline, cost_session.recorded, keep=keep)
    path = option.recolor_cost_json
    if path is not None:
        series = [cost_gate.series_point(v.case.key, v.current) for v in cost_session.verdicts]
        write_text(Path(path), json.dumps(series, indent=1) + "\n")


def write_summary(terminalreporter: Any, session: CostSession) -> None:
    if not session.verdicts:
        return
    config = session.config
    package = adapter.current().PACKAGE
    write = terminalreporter.write_line
    terminalreporter.section(f"{package}: deterministic cost per call (callgrind)")
    write(
        f"  {'case':<34} {'instructions':>13} {'L1 misses':>10} {'LL misses':>10} "
        f"{'est. cycles':>13} {'reference':>13} {'change':>8}  verdict"
    )
    for verdict in session.verdicts:
        current = verdict.current
        reference = f"{verdict.reference.estimated_cycles:,}" if verdict.reference else ""
        change = f"{verdict.change:.4f}" if verdict.change is not None else ""
        write(
            f"  {verdict.case.key:<34} {current.instructions:>13,} {current.l1_misses:>10,} "
            f"{current.ll_misses:>10,} {current.estimated_cycles:>13,} {reference:>13} "
            f"{change:>8}  {verdict.status}"
        )
    write(f"reference: {session.against}'s estimated cycles; change: this tree's over them.")
    improved = [v for v in session.verdicts if v.status == "improved"]
    if improved:
        write(
            f"{package} cost: {len(improved)} case(s) cost less than {session.against} by "
            "more than the threshold:",
            yellow=True,
        )
        for verdict in improved:
            write(f"  {verdict.describe()}", yellow=True)
        if not session.compare:
            selection = " or ".join(verdict.case.key for verdict in improved)
            write(
                f"  re-record them, so that the gate keeps their new cost: "
                f'{cost_gate.RECORD_COMMAND} -k "{selection}"',
                yellow=True,
            )
    for verdict in session.verdicts:
        if verdict.where and verdict.status not in ("failed", "improved"):
            write(f"{verdict.case.key}: {verdict.where}")
    unjudged: dict[str, list[str]] = {}
    for verdict in session.verdicts:
        if verdict.status in ("not comparable", "no reference"):
            unjudged.setdefault(verdict.reason, []).append(verdict.case.key)
    for reason, keys in unjudged.items():
        write(f"{package} cost: NOT JUDGED ({len(keys)}): {', '.join(keys)}: {reason}", yellow=True)
    if session.stale:
        write(
            f"{package} cost: the baseline holds {len(session.stale)} case(s) the suite no longer "
            f"has, judged never: {', '.join(session.stale)}; recording any case drops them: "
            f"{cost_gate.RECORD_COMMAND} -k ...",
            yellow=True,
        )
    if session.recording:
        write(
            f"{package} cost: recorded {len(session.recorded)} case(s) in "
            f"{config.option.recolor_cost_baseline}"
        )
