"""Running one case: time it under pytest-benchmark, check it, measure its extras, judge it.

:class:`Race` is what the ``race`` fixture hands a benchmark. The gate's
decisions are :mod:`benchmarks.instrument.wallclock.decision`'s, which end in
a :class:`~benchmarks.instrument.verdict.Verdict`; this module applies one
to a test: it fails the test, or records why a case was not judged.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from benchmarks.instrument import dependencies, gitref, protocol
from benchmarks.instrument.adapter import Case
from benchmarks.instrument.files import shown
from benchmarks.instrument.machine import host_facts, machine_facts
from benchmarks.instrument.meters import CpuMeter
from benchmarks.instrument.verdict import Status, Verdict
from benchmarks.instrument.wallclock import decision, gate, measure, storage
from benchmarks.instrument.wallclock.session import Outcome, RaceSession

#: pytest-benchmark times slow cases in a few rounds of one call: each call takes seconds.
SLOW_BENCHMARK_ROUNDS = 3


class Race:
    """Runs one case under pytest-benchmark, checks it, measures extras, applies the gate."""

    def __init__(self, benchmark: Any, session: RaceSession) -> None:
        self.benchmark = benchmark
        self.session = session

    def run(self, case: Case) -> None:
        session, suite = self.session, self.session.suite
        missing = suite.unavailable(case)
        if missing is not None:
            pytest.skip(missing)
        facts = suite.facts(case)
        self.benchmark.group = case.group
        self.benchmark.name = case.key
        timing = session.config.timing
        if not timing:
            # A smoke run checks a slow case at the size the gate measures it.
            case = facts.measured_as
        call = suite.call(case)
        if timing and not facts.slow:
            # pytest-benchmark calibrates on its first calls: a compile there
            # would leave the case with the minimum of rounds.
            call()
        with suite.threads(case), CpuMeter() as meter:
            if facts.slow:
                result = self.benchmark.pedantic(call, rounds=SLOW_BENCHMARK_ROUNDS, iterations=1)
            else:
                result = self.benchmark(call)
        suite.check(case, result)
        if not timing:
            return
        median = float(self.benchmark.stats.stats.median)
        outcome = Outcome(case, median, meter.utilization, suite.extras(case, median))
        self.benchmark.extra_info.update(outcome.extras, cpu_utilization=meter.utilization)
        session.outcomes.append(outcome)
        try:
            verdict = self._judge(outcome)
            if verdict is not None:
                self._apply(outcome, verdict)
        finally:
            self.record_x_copy(outcome)

    def record_x_copy(self, outcome: Outcome) -> None:
        """x copy from fresh-process rounds interleaved with the reference, as the gate measures.

        The screen or the comparison with a git ref has measured it already for a
        case whose yardstick is the reference; other cases get a worker of their
        own. Slow cases are measured as the gate measures them.
        """
        case, suite = outcome.case, self.session.suite
        facts = suite.facts(case)
        if facts.reference:
            outcome.x_copy = 1.0  # the reference over itself: nothing to measure
        elif outcome.x_copy is None:
            measurement = measure.run_worker(suite, facts.measured_as, against_reference=True)
            outcome.x_copy = measurement.ratio
            outcome.x_copy_fault = decision.measurement_problem(
                facts, measurement, suite.about.reference_name
            )
            self._report_yardstick(measurement, "x_copy_")
        info = self.benchmark.extra_info
        if outcome.x_copy_fault is not None:
            info["x_copy_fault"] = outcome.x_copy_fault
            self.session.faults.append(f"{case.key}: {outcome.x_copy_fault}")
        else:
            info["x_copy"] = outcome.x_copy
        info["x_copy_measured_as"] = facts.measured_as.key

    def _report_yardstick(self, measurement: measure.Measurement, prefix: str = "") -> None:
        """The yardstick's bytes per second, and this machine's copy bandwidth, in the JSON."""
        info = self.benchmark.extra_info
        info[f"{prefix}yardstick_bytes_per_second"] = measurement.yardstick_bytes_per_second
        if measurement.probe_bytes_per_second is not None:
            info[f"{prefix}copy_bandwidth_bytes_per_second"] = measurement.probe_bytes_per_second

    def _judge(self, outcome: Outcome) -> Verdict | None:
        """The case's verdict against what the session compares with; None: nothing to judge."""
        case, session, config = outcome.case, self.session, self.session.config
        if session.suite.facts(case).reference:
            return None
        if config.record:
            session.recorded.append(case)
            return Verdict(case.key, Status.RECORDED)
        if config.compare_env:
            return self._side_by_side(outcome, interpreter=config.compare_env)
        if config.compare:
            return self._side_by_side(outcome)
        if session.baseline_unusable:
            # A baseline that is there but broken must not pass unnoticed.
            return Verdict(case.key, Status.FAILED, session.baseline_problem or "")
        if session.baseline is not None:
            return self._against_baseline(outcome, session.baseline)
        return None  # no baseline for this machine: said in the header and the summary

    def _apply(self, outcome: Outcome, verdict: Verdict) -> None:
        """Record ``verdict`` and fail the test for a FAILED one."""
        self.session.verdicts.append(verdict)
        info = self.benchmark.extra_info
        for name, value in verdict.figures.items():
            info[f"gate_{name}"] = value
        if verdict.change is not None:
            outcome.change = verdict.change
        if verdict.status is Status.NOT_JUDGED:
            info["gate"] = f"not judged: {verdict.reason}"
        elif verdict.note:
            info["gate"] = verdict.note
        if verdict.failed:
            pytest.fail(verdict.reason, pytrace=False)

    def _against_baseline(self, outcome: Outcome, baseline: storage.MachineBaseline) -> Verdict:
        case, session, suite = outcome.case, self.session, self.session.suite
        facts = suite.facts(case)
        baseline_case = baseline.cases.get(case.key)
        record = f"{storage.RECORD_COMMAND} -k {case.key}"
        if baseline_case is None:
            reason = f"not in the baseline; record them: {storage.RECORD_COMMAND} -k ..."
            return Verdict(case.key, Status.NOT_JUDGED, reason)
        current = measure.wall_clock_protocol(suite)
        if baseline_case.protocol != protocol.identity(current):
            stored = baseline.protocols.get(baseline_case.protocol or "")
            reason = (
                f"measured by another protocol ({protocol.describe_differences(stored, current)});"
                f" re-record them here: {storage.RECORD_COMMAND} -k ..."
            )
            return Verdict(case.key, Status.NOT_JUDGED, reason)
        here = session.here()
        unjudged = dependencies.unjudged_reason(
            baseline_case.versions,
            here,
            (*dependencies.ALWAYS, *facts.depends_on),
            lock=shown(suite.about.lock_path),
            record=record,
        )
        if unjudged is not None:
            return Verdict(case.key, Status.NOT_JUDGED, unjudged)
        try:
            judgement = gate.judge(
                suite,
                case,
                baseline_case,
                against=session.against,
                across=session.across_machines,
                commit_tree=None if session.across_machines else session.commit_tree,
            )
        except decision.BaselineMismatch as error:
            return Verdict(case.key, Status.FAILED, str(error))
        if judgement.screen is not None:
            self._report_yardstick(judgement.screen.measurements[0], "gate_")
            if facts.on_reference:
                outcome.x_copy = judgement.screen.current  # the same fresh-process rounds
        if judgement.not_judged is not None and facts.on_reference and not judgement.confirmed:
            outcome.x_copy_fault = judgement.not_judged
        info = self.benchmark.extra_info
        info["gate_yardstick"] = baseline_case.yardstick
        if session.across_machines:
            info["gate_across_machines"] = baseline.name
        differences = dependencies.differences(
            baseline_case.host, host_facts(), host_facts()
        ) + dependencies.differences(baseline_case.versions, here, here)
        return decision.judgement_verdict(judgement, differences, storage.RECORD_COMMAND)

    def _side_by_side(self, outcome: Outcome, *, interpreter: str | None = None) -> Verdict:
        """Judge against REF's tree or another interpreter, measured side by side here."""
        case, session, suite = outcome.case, self.session, self.session.suite
        facts = suite.facts(case)
        if interpreter is None:
            root, ref = session.reference_root, session.config.compare
            assert root is not None
            assert ref is not None
            reason = suite.not_comparable(case, root, ref)
            if reason is not None:
                return Verdict(case.key, Status.NOT_JUDGED, reason)
        # Slow cases are measured smaller: two cases may share one measurement.
        measured = facts.measured_as
        comparison = session.compared.get(measured.key)
        if comparison is None:
            comparison = gate.compare_side_by_side(
                suite,
                case,
                root=session.reference_root,
                interpreter=interpreter,
                against=session.against,
            )
            session.compared[measured.key] = comparison
        comparison = dataclasses.replace(comparison, case=case, facts=facts)
        if comparison.measurements:
            self._report_yardstick(comparison.measurements[0], "compare_")
        if facts.on_reference:
            outcome.x_copy = comparison.current  # this tree's side, against the reference
            if comparison.not_judged is not None:
                outcome.x_copy_fault = comparison.not_judged
        verdict = decision.comparison_verdict(comparison)
        if interpreter is None or verdict.status is Status.NOT_JUDGED:
            return verdict
        environments = session.environments(case)
        withheld = environments.withheld(comparison.change)
        if verdict.failed and withheld is not None:
            return dataclasses.replace(verdict, status=Status.NOT_JUDGED, reason=withheld)
        said = environments.describe_change(comparison.change)
        reason = f"{verdict.reason}: {said}" if verdict.failed else verdict.reason
        return dataclasses.replace(verdict, reason=reason, note=f"{said}")


def record_baseline(session: RaceSession) -> None:
    """Measure every case run in fresh workers and write this machine's baseline."""
    suite = session.suite
    confirm_cases = {case.key: suite.facts(case).measured_as for case in session.recorded}
    unique = sorted({case.key: case for case in confirm_cases.values()}.values(), key=_key)
    processes = measure.measure_in_workers(suite, unique, workers=decision.RECORD_WORKERS)
    facts = machine_facts(suite)
    measuring_protocol = measure.wall_clock_protocol(suite)
    identity = protocol.identity(measuring_protocol)
    commit, host = gitref.clean_head(), host_facts()
    cases = {}
    for key, confirm in confirm_cases.items():
        measurements = processes[confirm.key]
        probes = [m.probe_seconds for m in measurements]
        case_facts = suite.facts(confirm)
        cases[key] = storage.CaseBaseline(
            subject=case_facts.subject,
            yardstick=case_facts.yardstick,
            measured_as=confirm.key,
            processes=tuple(tuple(round(r, 6) for r in m.ratios) for m in measurements),
            versions=session.here(),
            protocol=identity,
            yardstick_seconds=tuple(float(f"{m.yardstick_seconds:.6g}") for m in measurements),
            probe_seconds=None
            if None in probes
            else tuple(float(f"{seconds:.6g}") for seconds in probes if seconds is not None),
            commit=commit,
            host=host,
        )
        problem = decision.yardstick_problem(measurements)
        if problem is not None:
            session.recording_problems.append(f"{key}: {problem}")
    storage.write(
        session.config.baseline,
        session.machine,
        facts,
        cases,
        {identity: measuring_protocol},
        keep={case.key for case in suite.cases()},
    )


def _key(case: Case) -> str:
    return case.key
