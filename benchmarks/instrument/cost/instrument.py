"""The cost instrument: count every case under callgrind, then judge each as a test.

Every cost case is counted in a worker of its own under callgrind
(:mod:`benchmarks.instrument.cost.callgrind`), as many at once as there are
cores: counts do not care what else runs. Each case is then judged against
the committed cost baseline (:mod:`benchmarks.instrument.cost.decision`) or,
with ``--recolor-compare REF``, against the same case counted in REF's tree
in the same session, or with ``--recolor-compare-env PYTHON`` under another
interpreter. The plugin chooses :class:`Callgrind` for ``--recolor-cost``.
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

from benchmarks.instrument import dependencies, gitref, sides
from benchmarks.instrument.adapter import Case, Suite
from benchmarks.instrument.base import CaseRunner
from benchmarks.instrument.config import Config
from benchmarks.instrument.cost import attribution, callgrind, memo
from benchmarks.instrument.cost import decision as cost_gate
from benchmarks.instrument.cost.callgrind import Cost, CostError
from benchmarks.instrument.cost.slowdown import CALIBRATION_UNITS, filler_units
from benchmarks.instrument.files import write_text
from benchmarks.instrument.machine import available_cores, cpu_model
from benchmarks.instrument.verdict import Status

__all__ = ["Callgrind", "CostRunner", "CostSession"]


#: The folder of a case's dumps counted in the tree of ``--recolor-compare``.
REFERENCE = "reference"


@dataclass
class Counted:
    """A case counted here, and in the reference tree when comparing."""

    cost: Cost
    simulated_cpu: str
    reference: Cost | None = None
    reference_cpu: str | None = None  # the CPU numpy saw in the reference tree's count
    kept: dict[str, Path] = field(default_factory=dict)  # a side's median dump, where kept


@dataclass
class CostSession:
    config: Config
    suite: Suite
    compare_env_versions: dict[str, Any] = field(default_factory=dict)  # what it counts with
    reference_root: Path | None = None
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
    def threshold(self) -> float:
        return self.config.cost_threshold

    @property
    def against(self) -> str:
        if self.config.compare_env:
            return f"the environment of {self.config.compare_env}"
        return self.config.compare or "the baseline"


def open_baseline(session: CostSession, path: Path) -> None:
    """The committed counts to judge by; a problem is kept, to be said in the header."""
    try:
        session.baseline, session.baseline_protocols = cost_gate.load_with_protocols(path)
        known = {case.key for case in session.suite.cost_cases()}
        session.stale = sorted(set(session.baseline) - known)
    except FileNotFoundError:
        session.baseline_problem = (
            f"no cost baseline at {path}, so nothing was judged. "
            f"Record one with: {cost_gate.RECORD_COMMAND}"
        )
    except cost_gate.CostBaselineError as error:
        session.baseline_problem = str(error)
        session.baseline_unusable = True


#: Workers counting at once; every core by default (COST_JOBS_ENV_VAR changes it).
COST_JOBS_ENV_VAR = "RECOLOR_COST_JOBS"


class Callgrind:
    """Callgrind, chosen by ``--recolor-cost``: every cost case counted, then judged."""

    def __init__(self, config: Config, suite: Suite) -> None:
        self.config = config
        self.session = CostSession(config, suite)
        self.keeps: str | None = "cost"

    def configure(self) -> None:
        config, session = self.config, self.session
        session.cleanup.enter_context(memo.once_per_code())
        if config.compare_env:
            session.compare_env_versions = sides.interpreter_versions(
                session.suite, config.compare_env
            )
        elif config.compare:
            session.reference_root = sides.reference_tree(
                session.suite, config.compare, session.cleanup
            )
        elif not config.record_cost:
            open_baseline(session, config.cost_baseline)

    def header_lines(self) -> list[str]:
        return header_lines(self.session)

    def start(self, items: list[pytest.Item]) -> None:
        start(self.session, items)

    def runner(self, benchmark: Any | None) -> CaseRunner:
        return CostRunner(self.session)

    def summary(self, terminalreporter: Any) -> None:
        write_summary(terminalreporter, self.session)

    def finish(self) -> None:
        finish(self.session)

    def close(self) -> None:
        if self.session.executor is not None:
            self.session.executor.shutdown(wait=True, cancel_futures=True)
        self.session.cleanup.close()


def start(session: CostSession, items: list[pytest.Item]) -> None:
    """Start counting every selected case now, so that the workers overlap.

    A test parametrized by "case" is counted ahead; any other counts when it runs.
    """
    suite = session.suite
    params = [getattr(getattr(item, "callspec", None), "params", {}) for item in items]
    cases = [p["case"] for p in params if "case" in p and suite.unavailable(p["case"]) is None]
    if not cases:
        return
    callgrind.warm_up(suite, cases)
    if session.reference_root is not None:
        reference_cases = [case for case in cases if _in_reference(session, case)]
        callgrind.warm_up(suite, reference_cases, session.reference_root)
    if session.config.compare_env is not None:
        callgrind.warm_up(suite, cases, interpreter=session.config.compare_env)
    if any(suite.facts(case).slowdown is not None for case in cases):
        filler_cost, _ = memo.measure(suite, None, filler_units=CALIBRATION_UNITS)
        session.unit_cycles = filler_cost.estimated_cycles / CALIBRATION_UNITS
    jobs = int(os.environ.get(COST_JOBS_ENV_VAR, "0")) or available_cores()
    session.executor = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="cost-worker")
    for case in cases:
        session.pending[case.key] = session.executor.submit(_count, session, case)


def _in_reference(session: CostSession, case: Case) -> bool:
    root, ref = session.reference_root, session.config.compare
    assert root is not None
    assert ref is not None
    return session.suite.not_comparable(case, root, ref) is None


def _count(session: CostSession, case: Case) -> Counted:
    """Count ``case`` here (and in the reference, when comparing), keeping the dumps of the
    counts an attribution would repeat: it reads them instead of counting again."""
    suite = session.suite
    reference: Cost | None = None
    reference_cpu: str | None = None
    kept: dict[str, Path] = {}
    if session.reference_root is not None and _in_reference(session, case):
        reference, reference_cpu, kept[REFERENCE] = attribution.count_kept(
            suite, case, session.reference_root
        )
    elif session.config.compare_env is not None:
        reference, reference_cpu = memo.measure(suite, case, interpreter=session.config.compare_env)
    units = 0
    factor = suite.facts(case).slowdown
    if factor is not None and session.unit_cycles is not None:
        reference_cycles = _reference_cycles(session, case, reference)
        units = filler_units(factor, reference_cycles, session.unit_cycles)
    try:
        if units:  # the slowdown's filler is in these calls: attribution counts without it
            current, simulated_cpu = memo.measure(suite, case, filler_units=units)
        else:
            current, simulated_cpu, kept[attribution.THIS_TREE] = attribution.count_kept(
                suite, case, None
            )
    except BaseException:
        attribution.discard(kept.values())
        raise
    return Counted(current, simulated_cpu, reference, reference_cpu, kept)


def _reference_cycles(session: CostSession, case: Case, reference: Cost | None) -> int:
    if reference is not None:
        return reference.estimated_cycles
    entry = (session.baseline or {}).get(case.key)
    if entry is None:
        raise CostError(
            f"{session.suite.about.slowdown_env_var} in the cost mode adds work in proportion "
            f"to the case's reference cost, and {case.key} has none: record it or use "
            "--recolor-compare"
        )
    cycles: int = entry["estimated_cycles"]
    return cycles


class CostRunner:
    """Counts one case (``--recolor-cost``) and judges it."""

    def __init__(self, session: CostSession) -> None:
        self.session = session

    def run(self, case: Case) -> None:
        session, suite = self.session, self.session.suite
        missing = suite.unavailable(case)
        if missing is not None:
            pytest.skip(missing)
        future = session.pending.get(case.key)
        counted = future.result() if future is not None else _count(session, case)
        try:
            compared = self._judge(case, counted)
        finally:
            attribution.discard(counted.kept.values())  # those an attribution did not keep
        session.verdicts.append(compared)
        verdict = compared.verdict()
        if verdict.failed:
            pytest.fail(verdict.reason, pytrace=False)

    def _judge(self, case: Case, counted: Counted) -> cost_gate.CostVerdict:
        session, suite, config = self.session, self.session.suite, self.session.config
        subject = suite.facts(case).subject
        versions = cost_gate.versions(suite, counted.simulated_cpu)
        if config.record_cost:
            session.recorded[case.key] = cost_gate.entry(suite, counted.cost, versions)
            return cost_gate.CostVerdict(case, subject, Status.RECORDED, counted.cost)
        if config.compare_env:
            assert counted.reference is not None
            verdict = cost_gate.judge(
                case,
                subject,
                counted.cost,
                counted.reference,
                threshold=session.threshold,
                against=session.against,
            )
            there = {**session.compare_env_versions, **cost_gate.toolchain_facts()}
            there["simulated_cpu"] = counted.reference_cpu
            environments = dependencies.Environments(
                versions, there, cost_gate.depends_on(suite.facts(case))
            )
            change = verdict.change or 1.0
            withheld = environments.withheld(change)
            if verdict.status is Status.FAILED and withheld is not None:
                return dataclasses.replace(verdict, status=Status.NOT_JUDGED, reason=withheld)
            return dataclasses.replace(verdict, reason=environments.describe_change(change))
        if config.compare:
            if counted.reference is None:
                assert session.reference_root is not None
                reason = suite.not_comparable(case, session.reference_root, config.compare)
                return cost_gate.CostVerdict(
                    case,
                    subject,
                    Status.NOT_JUDGED,
                    counted.cost,
                    reason=f"{reason}: listed, not judged",
                )
            verdict = cost_gate.judge(
                case,
                subject,
                counted.cost,
                counted.reference,
                threshold=session.threshold,
                against=config.compare,
            )
            differ = cost_gate.environment_differences(
                cost_gate.versions(suite, counted.reference_cpu or ""), versions
            )
            if differ:  # the same session's toolchain: only the CPU numpy sees can differ
                verdict = dataclasses.replace(
                    verdict, reason=f"the environments differ: {'; '.join(differ)}"
                )
            if verdict.status in (Status.FAILED, Status.IMPROVED) or config.cost_where:
                assert session.reference_root is not None
                explained = attribution.explain(
                    suite, case, session.reference_root, side=REFERENCE, kept=counted.kept
                )
                verdict = dataclasses.replace(verdict, where=explained.describe())
            return verdict
        if session.baseline_unusable:
            return cost_gate.CostVerdict(
                case, subject, Status.FAILED, counted.cost, reason=session.baseline_problem or ""
            )
        if session.baseline is None:
            return cost_gate.CostVerdict(
                case,
                subject,
                Status.NOT_JUDGED,
                counted.cost,
                reason=session.baseline_problem or "",
            )
        stored = session.baseline.get(case.key)
        verdict = cost_gate.judge_against_baseline(
            suite,
            case,
            counted.cost,
            versions,
            stored,
            threshold=session.threshold,
            protocols=session.baseline_protocols,
        )
        commit = (stored or {}).get("commit")
        if verdict.status in (Status.FAILED, Status.IMPROVED) and commit:
            where = _explained_against(suite, case, commit, counted.kept)
            verdict = dataclasses.replace(verdict, where=where)
        return verdict


def _explained_against(suite: Suite, case: Case, commit: str, kept: dict[str, Path]) -> str:
    """Where the instructions changed since the commit the baseline counted, if it is here."""
    try:
        with gitref.worktree(commit) as root:
            explained = attribution.explain(
                suite, case, root, side=f"baseline-{commit[:9]}", kept=kept
            )
            return explained.describe()
    except gitref.GitRefError as error:
        return f"(the baseline's commit {commit[:9]} cannot be checked out here: {error})"


def header_lines(session: CostSession) -> list[str]:
    config = session.config
    mode = f"{session.suite.about.package} cost mode"
    lines = [
        f"{mode}: instructions and simulated cache misses per call under valgrind "
        f"{callgrind.valgrind_version()} (callgrind), one thread, estimated cycles = "
        f"instructions + {callgrind.L1_MISS_CYCLES} x L1 misses + "
        f"{callgrind.LL_MISS_CYCLES} x LL misses"
    ]
    if config.record_cost:
        lines.append(f"{mode}: recording {config.cost_baseline}")
    elif config.compare_env:
        there = session.compare_env_versions
        lines.append(
            f"{mode}: judged against this tree under {config.compare_env}, threshold "
            f"{session.threshold:g}%; there: "
            + ", ".join(f"{name} {version}" for name, version in there.items())
        )
    elif config.compare:
        lines.append(
            f"{mode}: judged against {config.compare} (a worktree at "
            f"{session.reference_root}), threshold {session.threshold:g}%"
        )
    elif session.baseline is not None:
        lines.append(
            f"{mode}: judged against {config.cost_baseline}, threshold {session.threshold:g}%"
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


def finish(session: CostSession) -> None:
    """Write what the session recorded, and the series for github-action-benchmark."""
    config = session.config
    if config.record_cost and session.recorded:
        keep = {case.key for case in session.suite.cost_cases()}
        cost_gate.write(session.suite, config.cost_baseline, session.recorded, keep=keep)
    if config.cost_json is not None:
        series = [
            cost_gate.series_point(session.suite, v.case.key, v.current) for v in session.verdicts
        ]
        write_text(Path(config.cost_json), json.dumps(series, indent=1) + "\n")


def write_summary(terminalreporter: Any, session: CostSession) -> None:
    if not session.verdicts:
        return
    config = session.config
    package = session.suite.about.package
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
            f"{change:>8}  {verdict.status.value}"
        )
    write(f"reference: {session.against}'s estimated cycles; change: this tree's over them.")
    improved = [v for v in session.verdicts if v.status is Status.IMPROVED]
    if improved:
        write(
            f"{package} cost: {len(improved)} case(s) cost less than {session.against} by "
            "more than the threshold:",
            yellow=True,
        )
        for verdict in improved:
            write(f"  {verdict.describe()}", yellow=True)
        if not config.compare:
            selection = " or ".join(verdict.case.key for verdict in improved)
            write(
                f"  re-record them, so that the gate keeps their new cost: "
                f'{cost_gate.RECORD_COMMAND} -k "{selection}"',
                yellow=True,
            )
    for verdict in session.verdicts:
        if verdict.where and verdict.status not in (Status.FAILED, Status.IMPROVED):
            write(f"{verdict.case.key}: {verdict.where}")
    unjudged: dict[str, list[str]] = {}
    for verdict in session.verdicts:
        if verdict.status is Status.NOT_JUDGED:
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
    if config.record_cost:
        write(f"{package} cost: recorded {len(session.recorded)} case(s) in {config.cost_baseline}")
