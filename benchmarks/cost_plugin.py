"""The cost mode's pytest hooks: ``python -m pytest --recolor-cost``.

Every case of ``benchmarks/bench_cost.py`` is counted in a worker of its own
under callgrind (benchmarks/cost.py), as many at once as there are cores:
counts do not care what else runs. Each case is then judged as a test
against the committed cost baseline (benchmarks/cost_gate.py) or, with
``--recolor-compare REF``, against the same case counted in REF's tree in
the same session. Without ``--recolor-cost``, plain ``pytest`` runs each
cost case once as a smoke test and ``--benchmark-only`` leaves them out.
"""

from __future__ import annotations

import contextlib
import json
import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from benchmarks import cost, cost_gate, git_ref
from benchmarks.calls import call_for, slowdowns
from benchmarks.cases import COPY, Case
from benchmarks.checks import expected_for, skip_unless_available
from benchmarks.cost import Cost, CostError
from benchmarks.cost_slowdown import CALIBRATION_UNITS, filler_units
from benchmarks.instrument.environment import available_cores
from benchmarks.machine import cpu_model
from recolor._atomic import atomic_write
from recolor.testing import assert_image_equal


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("recolor-cost", "recolor's deterministic cost mode (valgrind)")
    group.addoption(
        "--recolor-cost",
        action="store_true",
        default=False,
        help="count each cost case's instructions and cache misses per call under callgrind, "
        "and judge them against the cost baseline",
    )
    group.addoption(
        "--recolor-cost-threshold",
        type=float,
        default=cost_gate.DEFAULT_THRESHOLD,
        metavar="PERCENT",
        help="fail a case whose estimated cycles rose by more than PERCENT "
        f"(default {cost_gate.DEFAULT_THRESHOLD:g})",
    )
    group.addoption(
        "--recolor-cost-baseline",
        type=Path,
        default=cost_gate.DEFAULT_BASELINE,
        metavar="PATH",
        help="the cost baseline (default: benchmarks/cost_baseline.json)",
    )
    group.addoption(
        "--recolor-record-cost-baseline",
        action="store_true",
        default=False,
        help="write the selected cases' counts to the cost baseline (with --recolor-cost)",
    )
    group.addoption(
        "--recolor-cost-json",
        type=Path,
        default=None,
        metavar="PATH",
        help="write the estimated cycles for github-action-benchmark (customSmallerIsBetter)",
    )


@dataclass
class Counted:
    """A case counted here, and in the reference tree when comparing."""

    cost: Cost
    simulated_cpu: str
    reference: Cost | None = None


@dataclass
class CostSession:
    config: pytest.Config
    threshold: float
    compare: str | None = None
    reference_root: Path | None = None
    reference_techniques: set[str] = field(default_factory=set)
    baseline: dict[str, dict[str, Any]] | None = None
    baseline_protocols: dict[str, Any] = field(default_factory=dict)
    baseline_problem: str | None = None
    baseline_unusable: bool = False
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
        return self.compare if self.compare else "the baseline"


_SESSION = pytest.StashKey[CostSession]()


def _enabled(config: pytest.Config) -> bool:
    return bool(config.option.recolor_cost)


def pytest_configure(config: pytest.Config) -> None:
    option = config.option
    if not _enabled(config):
        for flag, given in (
            ("--recolor-record-cost-baseline", option.recolor_record_cost_baseline),
            ("--recolor-cost-json", option.recolor_cost_json),
        ):
            if given:
                raise pytest.UsageError(
                    f"{flag} belongs to the cost mode: run {cost_gate.COST_COMMAND} {flag} ..."
                )
        return
    if option.benchmark_only:
        raise pytest.UsageError(
            "--recolor-cost counts instead of timing: leave out --benchmark-only"
        )
    if not 0 < option.recolor_cost_threshold < 100:
        raise pytest.UsageError(
            "--recolor-cost-threshold is a percentage between 0 and 100, got "
            f"{option.recolor_cost_threshold:g}"
        )
    compare: str | None = getattr(option, "recolor_compare", None)  # benchmarks.plugin's
    if option.recolor_record_cost_baseline and compare:
        raise pytest.UsageError(
            "--recolor-record-cost-baseline records this tree's counts; leave out --recolor-compare"
        )
    problem = cost.missing_tools()
    if problem:
        raise pytest.UsageError(problem)
    session = CostSession(config, threshold=option.recolor_cost_threshold)
    config.stash[_SESSION] = session
    if compare:
        session.compare = compare
        try:
            session.reference_root, session.reference_techniques = session.cleanup.enter_context(
                git_ref.reference_tree(compare)
            )
        except git_ref.GitRefError as error:
            raise pytest.UsageError(str(error)) from error
    elif not session.recording:
        try:
            session.baseline, session.baseline_protocols = cost_gate.load_with_protocols(
                option.recolor_cost_baseline
            )
        except FileNotFoundError:
            session.baseline_problem = (
                f"no cost baseline at {option.recolor_cost_baseline}, so nothing was judged. "
                f"Record one with: {cost_gate.RECORD_COMMAND}"
            )
        except cost_gate.CostBaselineError as error:
            session.baseline_problem = str(error)
            session.baseline_unusable = True


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(_SESSION, None)
    if session is None:
        return
    if session.executor is not None:
        session.executor.shutdown(wait=True, cancel_futures=True)
    session.cleanup.close()  # removes REF's worktree, also after Ctrl-C


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In the cost mode, only the cost cases run; elsewhere they are smoke tests at most."""
    if not _enabled(config):
        return
    keep = [item for item in items if "cost" in getattr(item, "fixturenames", ())]
    if len(keep) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in keep])
        items[:] = keep


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start counting every selected case now, so that the workers overlap."""
    cost_session = session.config.stash.get(_SESSION, None)
    if cost_session is None:
        return
    # A test parametrized by "case" is counted ahead; any other counts when it runs.
    params = [getattr(getattr(item, "callspec", None), "params", {}) for item in session.items]
    cases = [p["case"] for p in params if isinstance(p.get("case"), Case)]
    _start(cost_session, [case for case in cases if _can_run(case)])


def _can_run(case: Case) -> bool:
    from recolor import TECHNIQUES

    return case.technique == COPY or TECHNIQUES[case.technique].available


def _start(session: CostSession, cases: list[Case]) -> None:
    if not cases:
        return
    cost.warm_numba(cases)
    if session.reference_root is not None:
        cost.warm_numba([c for c in cases if _in_reference(session, c)], session.reference_root)
    if any(case.technique in slowdowns() for case in cases):
        filler_cost, _ = cost.measure(None, filler_units=CALIBRATION_UNITS)
        session.unit_cycles = filler_cost.estimated_cycles / CALIBRATION_UNITS
    jobs = int(os.environ.get("RECOLOR_COST_JOBS", "0")) or available_cores()
    session.executor = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="recolor-cost")
    for case in cases:
        session.pending[case.key] = session.executor.submit(_count, session, case)


def _in_reference(session: CostSession, case: Case) -> bool:
    return case.technique == COPY or case.technique in session.reference_techniques


def _count(session: CostSession, case: Case) -> Counted:
    reference: Cost | None = None
    if session.reference_root is not None and _in_reference(session, case):
        reference, _ = cost.measure(case, session.reference_root)
    units = 0
    factor = slowdowns().get(case.technique)
    if factor is not None and session.unit_cycles is not None:
        reference_cycles = _reference_cycles(session, case, reference)
        units = filler_units(factor, reference_cycles, session.unit_cycles)
    current, simulated_cpu = cost.measure(case, filler_units=units)
    return Counted(current, simulated_cpu, reference)


def _reference_cycles(session: CostSession, case: Case, reference: Cost | None) -> int:
    if reference is not None:
        return reference.estimated_cycles
    entry = (session.baseline or {}).get(case.key)
    if entry is None:
        raise CostError(
            f"RECOLOR_BENCH_SLOWDOWN in the cost mode adds work in proportion to the case's "
            f"reference cost, and {case.key} has none: record it or use --recolor-compare"
        )
    cycles: int = entry["estimated_cycles"]
    return cycles


class CostRunner:
    """Counts one case (``--recolor-cost``), or runs it once as a smoke test."""

    def __init__(self, session: CostSession | None) -> None:
        self.session = session

    def run(self, case: Case) -> None:
        skip_unless_available(case)
        if self.session is None:
            result = call_for(case)()
            if case.technique != COPY:
                assert_image_equal(result, expected_for(case.size, case.tolerance))
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
        if session.compare:
            if counted.reference is None:
                return cost_gate.CostVerdict(
                    case,
                    "no reference",
                    counted.cost,
                    reason=f"{case.technique} is not in {session.compare}: listed, not judged",
                )
            return cost_gate.judge(
                case,
                counted.cost,
                counted.reference,
                threshold=session.threshold,
                against=session.compare,
            )
        if session.baseline_unusable:
            pytest.fail(session.baseline_problem or "", pytrace=False)
        if session.baseline is None:
            return cost_gate.CostVerdict(
                case, "no reference", counted.cost, reason=session.baseline_problem or ""
            )
        return cost_gate.judge_against_baseline(
            case,
            counted.cost,
            versions,
            session.baseline.get(case.key),
            threshold=session.threshold,
            protocols=session.baseline_protocols,
        )


@pytest.fixture(name="cost")
def cost_fixture(request: pytest.FixtureRequest) -> CostRunner:
    """Count a :class:`~benchmarks.cases.Case`: ``cost.run(Case("numpy_packed", 998))``."""
    return CostRunner(request.config.stash.get(_SESSION, None))


def pytest_report_header(config: pytest.Config) -> list[str]:
    session = config.stash.get(_SESSION, None)
    if session is None:
        return []
    lines = [
        f"recolor cost mode: instructions and simulated cache misses per call under valgrind "
        f"{cost.valgrind_version()} (callgrind), one thread, estimated cycles = instructions + "
        f"{cost.L1_MISS_CYCLES} x L1 misses + {cost.LL_MISS_CYCLES} x LL misses"
    ]
    if session.recording:
        lines.append(f"recolor cost mode: recording {config.option.recolor_cost_baseline}")
    elif session.compare:
        lines.append(
            f"recolor cost mode: judged against {session.compare} (a worktree at "
            f"{session.reference_root}), threshold {session.threshold:g}%"
        )
    elif session.baseline is not None:
        lines.append(
            f"recolor cost mode: judged against {config.option.recolor_cost_baseline}, "
            f"threshold {session.threshold:g}%"
        )
        hosts = sorted({str(e.get("host_cpu", "unknown")) for e in session.baseline.values()})
        here = cpu_model()
        lines.append(
            f"recolor cost mode: baseline counted on {', '.join(hosts)}; this host: {here}"
            + (
                ""
                if hosts == [here]
                else " (another CPU: valgrind presents the same one to the program, so the "
                "counts are compared, as the README's 'Across CPUs' explains)"
            )
        )
    else:
        lines.append(f"recolor cost mode: NOT JUDGED: {session.baseline_problem}")
    return lines


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    cost_session = session.config.stash.get(_SESSION, None)
    if cost_session is None:
        return
    if cost_session.recording and cost_session.recorded:
        cost_gate.write(session.config.option.recolor_cost_baseline, cost_session.recorded)
    path = session.config.option.recolor_cost_json
    if path is not None:
        host = cpu_model()
        series = [
            {
                "name": verdict.case.key,
                "unit": "estimated cycles",
                "value": verdict.current.estimated_cycles,
                "extra": f"instructions {verdict.current.instructions}, "
                f"L1 misses {verdict.current.l1_misses}, LL misses {verdict.current.ll_misses}; "
                f"per call on valgrind {cost.valgrind_version()}'s simulated CPU, host {host}",
            }
            for verdict in cost_session.verdicts
        ]
        text = json.dumps(series, indent=1) + "\n"
        atomic_write(Path(path), lambda file: file.write(text.encode("utf-8")))


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    session = config.stash.get(_SESSION, None)
    if session is None or not session.verdicts:
        return
    write = terminalreporter.write_line
    terminalreporter.section("recolor: deterministic cost per call (callgrind)")
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
            f"recolor cost: {len(improved)} case(s) cost less than {session.against} by "
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
    unjudged: dict[str, list[str]] = {}
    for verdict in session.verdicts:
        if verdict.status in ("not comparable", "no reference"):
            unjudged.setdefault(verdict.reason, []).append(verdict.case.key)
    for reason, keys in unjudged.items():
        write(f"recolor cost: NOT JUDGED ({len(keys)}): {', '.join(keys)}: {reason}", yellow=True)
    if session.recording:
        write(
            f"recolor cost: recorded {len(session.recorded)} case(s) in "
            f"{config.option.recolor_cost_baseline}"
        )
