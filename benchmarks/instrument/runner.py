"""Running one case: time it under pytest-benchmark, check it, measure its extras, judge it.

:class:`Race` is what the ``race`` fixture hands a benchmark. The gate's
decisions are :mod:`benchmarks.instrument.decision`'s; this module applies
them to a test: it fails the test, or records why a case was not judged.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from benchmarks.instrument import (
    adapter,
    decision,
    dependencies,
    gate,
    gitref,
    measure,
    protocol,
    storage,
)
from benchmarks.instrument.adapter import Case
from benchmarks.instrument.files import shown
from benchmarks.instrument.machine import host_facts, machine_facts
from benchmarks.instrument.meters import CpuMeter, peak_bytes
from benchmarks.instrument.session import Outcome, RaceSession

#: pytest-benchmark times slow cases in a few rounds of one call: each call takes seconds.
SLOW_BENCHMARK_ROUNDS = 3


class Race:
    """Runs one case under pytest-benchmark, checks it, measures extras, applies the gate."""

    def __init__(self, benchmark: Any, session: RaceSession) -> None:
        self.benchmark = benchmark
        self.session = session

    def run(self, case: Case) -> None:
        suite = adapter.current()
        suite.skip_unless_runnable(case)
        self.benchmark.group = case.group
        self.benchmark.name = case.key
        if not self.session.timing:
            # A smoke run checks a slow case at the size the gate measures it.
            case = suite.measured_as(case)
        call = suite.call(case)
        slow = suite.is_slow(case)
        if self.session.timing and not slow:
            # pytest-benchmark calibrates on its first calls: a compile there
            # would leave the case with the minimum of rounds.
            call()
        with suite.threads(case), CpuMeter() as meter:
            if slow:
                result = self.benchmark.pedantic(call, rounds=SLOW_BENCHMARK_ROUNDS, iterations=1)
            else:
                result = self.benchmark(call)
        suite.check(case, result)
        if not self.session.timing:
            return
        outcome = self._measure_extras(case, meter)
        self.session.outcomes.append(outcome)
        try:
            self._judge(outcome)
        finally:
            self.record_x_copy(outcome)

    def _measure_extras(self, case: Case, meter: CpuMeter) -> Outcome:
        suite = adapter.current()
        median = float(self.benchmark.stats.stats.median)
        memory_call, pixels = suite.memory_call(case)
        bytes_per_pixel = peak_bytes(memory_call) / pixels
        extras = suite.extras(case)
        outcome = Outcome(
            case,
            median,
            cpu_utilization=meter.utilization,
            bytes_per_pixel=bytes_per_pixel,
            first_call=extras.get("first_call_seconds"),
        )
        info = self.benchmark.extra_info
        info["technique"] = suite.subject(case)
        info["megapixels"] = suite.megapixels(case)
        info["megapixels_per_second"] = suite.megapixels(case) / median
        info["cpu_utilization"] = outcome.cpu_utilization
        info["peak_bytes_per_pixel"] = bytes_per_pixel
        info.update(extras)
        return outcome

    def record_x_copy(self, outcome: Outcome) -> None:
        """x copy from fresh-process rounds interleaved with the reference, as the gate measures.

        The screen or the comparison with a git ref has measured it already for a
        case whose yardstick is the reference; other cases get a worker of their
        own. Slow cases are measured as the gate measures them.
        """
        case, suite = outcome.case, adapter.current()
        if suite.is_reference(case):
            outcome.x_copy = 1.0  # the reference over itself: nothing to measure
        elif outcome.x_copy is None:
            measurement = measure.run_worker(suite.measured_as(case), against_reference=True)
            outcome.x_copy = measurement.ratio
            outcome.x_copy_fault = decision.measurement_problem(case, measurement)
            self._report_yardstick(measurement, "x_copy_")
        info = self.benchmark.extra_info
        if outcome.x_copy_fault is not None:
            info["x_copy_fault"] = outcome.x_copy_fault
            self.session.faults.append(f"{case.key}: {outcome.x_copy_fault}")
        else:
            info["x_copy"] = outcome.x_copy
        info["x_copy_measured_as"] = suite.measured_as(case).key

    def _report_yardstick(self, measurement: measure.Measurement, prefix: str = "") -> None:
        """The yardstick's bytes per second, and this machine's copy bandwidth, in the JSON."""
        info = self.benchmark.extra_info
        info[f"{prefix}yardstick_bytes_per_second"] = measurement.yardstick_bytes_per_second
        if measurement.probe_bytes_per_second is not None:
            info[f"{prefix}copy_bandwidth_bytes_per_second"] = measurement.probe_bytes_per_second

    def _judge(self, outcome: Outcome) -> None:
        case, session = outcome.case, self.session
        if adapter.current().is_reference(case):
            return
        if session.recording:
            session.recorded.append(case)
        elif session.compare_env:
            self._compare_env(outcome, session.compare_env)
        elif session.compare:
            self._compare(outcome)
        elif session.baseline_unusable:
            # A baseline that is there but broken must not pass unnoticed.
            pytest.fail(session.baseline_problem or "", pytrace=False)
        elif session.baseline is not None:
            self._judge_against_baseline(outcome, session.baseline)
        # else: no baseline for this machine, said in the header and the summary

    def _judge_against_baseline(self, outcome: Outcome, baseline: storage.MachineBaseline) -> None:
        case, session, info = outcome.case, self.session, self.benchmark.extra_info
        on_reference = adapter.current().yardstick_is_reference(case)
        baseline_case = baseline.cases.get(case.key)
        if baseline_case is None:
            reason = f"not in the baseline; record them: {storage.RECORD_COMMAND} -k ..."
            self._not_judged(case, reason)
            return
        current = measure.wall_clock_protocol()
        if baseline_case.protocol != protocol.identity(current):
            stored = baseline.protocols.get(baseline_case.protocol or "")
            reason = (
                f"measured by another protocol ({protocol.describe_differences(stored, current)});"
                f" re-record them here: {storage.RECORD_COMMAND} -k ..."
            )
            self._not_judged(case, reason)
            return
        suite = adapter.current()
        here = {**suite.versions(), "python": machine_facts()["python"]}
        unjudged = dependencies.unjudged_reason(
            baseline_case.versions,
            here,
            (*dependencies.ALWAYS, *suite.depends_on(case)),
            lock=shown(suite.LOCK_PATH),
            record=f"{storage.RECORD_COMMAND} -k {case.key}",
        )
        if unjudged is not None:
            self._not_judged(case, unjudged)
            return
        try:
            judgement = gate.judge(
                case,
                baseline_case,
                against=session.against,
                across=session.across_machines,
                commit_tree=None if session.across_machines else session.commit_tree,
            )
        except decision.BaselineMismatch as error:
            pytest.fail(str(error), pytrace=False)
        if judgement.screen is not None:
            self._report_yardstick(judgement.screen.measurements[0], "gate_")
            if on_reference:
                outcome.x_copy = judgement.screen.current  # the same fresh-process rounds
        if judgement.not_judged is not None:
            if on_reference and judgement.confirmed is None:
                outcome.x_copy_fault = judgement.not_judged
            self._not_judged(case, judgement.not_judged, grouped=False)
            return
        if beside_problem := (judgement.against_commit and judgement.against_commit.not_judged):
            self._not_judged(case, f"{decision.UNCONFIRMED}: {beside_problem}", grouped=False)
            return
        if judgement.noisy_baseline is not None:
            info["gate"] = (
                f"not gated: baseline processes disagree by {judgement.noisy_baseline:.2f}x "
                f"(> {decision.NOISE_LIMIT}); re-record the baseline on a quieter machine"
            )
            session.ungated.append(f"{case.key} ({judgement.noisy_baseline:.2f}x)")
            return
        assert judgement.screen is not None
        info["gate_yardstick"] = baseline_case.yardstick
        info["gate_change"] = outcome.change = judgement.screen.change
        if session.across_machines:
            info["gate_across_machines"] = baseline.name
        if judgement.confirmed is not None:
            info["gate_confirmed_change"] = outcome.change = judgement.confirmed.change
            info["gate_p_value"] = judgement.confirmed.p_value
        beside = judgement.against_commit
        if beside is not None:
            info["gate_commit_change"] = outcome.change = beside.change
            info["gate_commit_p_value"] = beside.p_value
        if judgement.does_not_reproduce:
            differ = dependencies.differences(
                baseline_case.host, host_facts(), host_facts()
            ) + dependencies.differences(baseline_case.versions, here, here)
            note = decision.not_reproduced(judgement, differ, storage.RECORD_COMMAND)
            info["gate"] = note
            session.notes.append(f"{case.key}: {note}")
        elif judgement.regressed:
            assert judgement.confirmed is not None
            message = judgement.confirmed.describe()
            if beside is not None:
                message += f"\nconfirmed against the code it measured: {beside.describe()}"
            pytest.fail(message, pytrace=False)

    def _compare(self, outcome: Outcome) -> None:
        """Judge against REF's tree, measured side by side on this machine."""
        case, session, suite = outcome.case, self.session, adapter.current()
        assert session.reference_root is not None
        assert session.compare is not None
        reason = suite.not_comparable(
            case, session.reference_root, session.reference_subjects, session.compare
        )
        if reason is not None:
            self._not_judged(case, reason)
            return
        # Slow cases are measured smaller: two cases may share one measurement.
        measured = suite.measured_as(case)
        verdict = session.compared.get(measured.key)
        if verdict is None:
            verdict = gate.compare_side_by_side(
                case, root=session.reference_root, against=session.compare
            )
            session.compared[measured.key] = verdict
        verdict = dataclasses.replace(verdict, case=case)
        if verdict.measurements:
            self._report_yardstick(verdict.measurements[0], "compare_")
        on_reference = suite.yardstick_is_reference(case)
        if on_reference:
            outcome.x_copy = verdict.current  # this tree's side, measured against the reference
        if verdict.not_judged is not None:
            if on_reference:
                outcome.x_copy_fault = verdict.not_judged
            self._not_judged(case, verdict.not_judged, grouped=False)
            return
        info = self.benchmark.extra_info
        info["compare_ref"] = session.compare
        info["compare_change"] = outcome.change = verdict.change
        info["compare_p_value"] = verdict.p_value
        info["compare_processes"] = verdict.processes
        if verdict.regressed:
            pytest.fail(verdict.describe(), pytrace=False)

    def _compare_env(self, outcome: Outcome, interpreter: str) -> None:
        """Judge this tree under this interpreter against it under another, side by side."""
        case, session, suite = outcome.case, self.session, adapter.current()
        measured = suite.measured_as(case)
        verdict = session.compared.get(measured.key)
        if verdict is None:
            verdict = gate.compare_side_by_side(
                case, interpreter=interpreter, against=session.against
            )
            session.compared[measured.key] = verdict
        verdict = dataclasses.replace(verdict, case=case)
        versions = session.environments(case)
        outcome.change = None if verdict.not_judged else verdict.change
        info = self.benchmark.extra_info
        info["compare_env"] = interpreter
        info["compare_env_versions"] = versions.describe_both()
        if verdict.not_judged is not None:
            self._not_judged(case, verdict.not_judged, grouped=False)
            return
        info["compare_change"] = verdict.change
        info["compare_p_value"] = verdict.p_value
        session.notes.append(f"{case.key}: {versions.describe_change(verdict.change)}")
        if verdict.regressed:
            pytest.fail(
                f"{verdict.describe()}: {versions.describe_change(verdict.change)}", pytrace=False
            )

    def _not_judged(self, case: Case, reason: str, *, grouped: bool = True) -> None:
        """Record why ``case`` was not judged; ``grouped`` reasons are shared by many cases."""
        self.benchmark.extra_info["gate"] = f"not judged: {reason}"
        if grouped:
            self.session.not_judged(case, reason)
        else:
            self.session.unjudged_alone.append(f"{case.key}: {reason}")


def record_baseline(session: RaceSession) -> None:
    """Measure every case run in fresh workers and write this machine's baseline."""
    suite = adapter.current()
    confirm_cases = {case.key: suite.measured_as(case) for case in session.recorded}
    unique = sorted({case.key: case for case in confirm_cases.values()}.values(), key=_key)
    processes = measure.measure_in_workers(unique, workers=decision.RECORD_WORKERS)
    facts = machine_facts()
    measuring_protocol = measure.wall_clock_protocol()
    identity = protocol.identity(measuring_protocol)
    commit, host = gitref.clean_head(), host_facts()
    cases = {}
    for key, confirm in confirm_cases.items():
        measurements = processes[confirm.key]
        probes = [m.probe_seconds for m in measurements]
        cases[key] = storage.CaseBaseline(
            subject=suite.subject(confirm),
            yardstick=suite.yardstick(confirm),
            measured_as=confirm.key,
            processes=tuple(tuple(round(r, 6) for r in m.ratios) for m in measurements),
            versions={**suite.versions(), "python": facts["python"]},
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
        session.config.option.recolor_baseline,
        session.machine,
        facts,
        cases,
        {identity: measuring_protocol},
        keep={case.key for case in suite.wall_clock_cases()},
    )


def _key(case: Case) -> str:
    return case.key
