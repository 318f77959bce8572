"""Running one case: time it under pytest-benchmark, check it, measure its extras, judge it.

:class:`Race` is what the ``race`` fixture hands a benchmark. The gate's
decisions are benchmarks/gate.py's; this module applies them to a test:
it fails the test, or records why a case was not judged.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from benchmarks import baselines, gate, measure
from benchmarks.calls import call_for, case_threads, image_for
from benchmarks.cases import COPY, LOOP_CONFIRM_SIZE, NEW, OLD, ORIGINAL_SIZE, Case
from benchmarks.checks import expected_for, skip_unless_available
from benchmarks.instrument import protocol
from benchmarks.machine import machine_facts
from benchmarks.session import Outcome, RaceSession
from benchmarks.yardsticks import yardstick_name
from recolor import TECHNIQUES
from recolor.testing import assert_image_equal
from recolor.timing import CpuMeter, first_call_seconds, peak_bytes

#: pytest-benchmark times loops in a few rounds of one call: each call takes seconds.
LOOP_BENCHMARK_ROUNDS = 3
#: Memory of loops is traced on the gate's small image: tracemalloc slows Python loops.
LOOP_MEMORY_SIZE = LOOP_CONFIRM_SIZE


class Race:
    """Runs one case under pytest-benchmark, checks it, measures extras, applies the gate."""

    def __init__(self, benchmark: Any, session: RaceSession) -> None:
        self.benchmark = benchmark
        self.session = session

    def run(self, case: Case) -> None:
        skip_unless_available(case)
        self.benchmark.group = case.group
        self.benchmark.name = case.key
        if not self.session.timing:
            # A smoke run checks an interpreted loop at the gate's size: seconds
            # saved, and tests/test_techniques.py checks it at 998x998.
            case = case.confirm_case()
        image = image_for(case.size)
        before = image.tobytes()
        call = call_for(case)

        if self.session.timing and not case.per_pixel_loop:
            # pytest-benchmark calibrates on its first calls: a numba compile
            # there would leave the case with the minimum of rounds.
            call()
        with case_threads(case), CpuMeter() as meter:
            if case.per_pixel_loop:
                result = self.benchmark.pedantic(call, rounds=LOOP_BENCHMARK_ROUNDS, iterations=1)
            else:
                result = self.benchmark(call)

        assert image.tobytes() == before, f"{case.technique} modified its input"
        if case.technique != COPY:
            if case.in_place:  # the timed buffer went back and forth: check one call afresh
                result = image.copy()
                TECHNIQUES[case.technique].func(result, OLD, NEW, out=result)
            assert_image_equal(result, expected_for(case.size, case.tolerance))
        if not self.session.timing:
            return
        outcome = self._measure_extras(case, meter)
        self.session.outcomes.append(outcome)
        try:
            self._judge(outcome)
        finally:
            self.record_x_copy(outcome)

    def _measure_extras(self, case: Case, meter: CpuMeter) -> Outcome:
        median = float(self.benchmark.stats.stats.median)
        memory_size = LOOP_MEMORY_SIZE if case.per_pixel_loop else case.size
        memory_call = call_for(dataclasses.replace(case, size=memory_size))
        bytes_per_pixel = peak_bytes(memory_call) / memory_size**2
        first_call = None
        compiled = case.technique != COPY and TECHNIQUES[case.technique].requires == "numba"
        if compiled and case.key == Case(case.technique, ORIGINAL_SIZE).key:
            # In a fresh process: this one has long compiled or loaded the kernels.
            first_call = first_call_seconds(case.technique)["first"]
        outcome = Outcome(
            case,
            median,
            cpu_utilization=meter.utilization,
            bytes_per_pixel=bytes_per_pixel,
            first_call=first_call,
        )
        info = self.benchmark.extra_info
        info["technique"] = case.technique
        info["megapixels"] = case.size**2 / 1e6
        info["megapixels_per_second"] = case.size**2 / 1e6 / median
        info["cpu_utilization"] = outcome.cpu_utilization
        info["peak_bytes_per_pixel"] = bytes_per_pixel
        if first_call is not None:
            info["first_call_seconds"] = first_call
        return outcome

    def record_x_copy(self, outcome: Outcome) -> None:
        """x copy from fresh-process rounds interleaved with numpy.copy, as the gate measures.

        The screen or the comparison with a git ref has measured it already for a
        case whose yardstick is the copy; other cases get a worker of their own.
        Interpreted loops are measured at the gate's size (their cost per pixel
        does not depend on it).
        """
        case = outcome.case
        if case.technique == COPY:
            outcome.x_copy = 1.0  # the copy over itself: nothing to measure
        elif outcome.x_copy is None:
            measurement = measure.run_worker(case.confirm_case(), against_copy=True)
            outcome.x_copy = measurement.ratio
            outcome.x_copy_fault = gate.measurement_problem(case, measurement)
            self._report_yardstick(measurement, "x_copy_")
        info = self.benchmark.extra_info
        if outcome.x_copy_fault is not None:
            info["x_copy_fault"] = outcome.x_copy_fault
            self.session.faults.append(f"{case.key}: {outcome.x_copy_fault}")
        else:
            info["x_copy"] = outcome.x_copy
        info["x_copy_measured_as"] = case.confirm_case().key

    def _report_yardstick(self, measurement: measure.Measurement, prefix: str = "") -> None:
        """The yardstick's bytes per second, and this machine's copy bandwidth, in the JSON."""
        info = self.benchmark.extra_info
        info[f"{prefix}yardstick_bytes_per_second"] = measurement.yardstick_bytes_per_second
        if measurement.probe_bytes_per_second is not None:
            info[f"{prefix}copy_bandwidth_bytes_per_second"] = measurement.probe_bytes_per_second

    def _judge(self, outcome: Outcome) -> None:
        case, session = outcome.case, self.session
        if case.technique == COPY:
            return
        if session.recording:
            session.recorded.append(case)
        elif session.compare:
            self._compare(outcome)
        elif session.baseline_unusable:
            # A baseline that is there but broken must not pass unnoticed.
            pytest.fail(session.baseline_problem or "", pytrace=False)
        elif session.baseline is not None:
            self._judge_against_baseline(outcome, session.baseline)
        # else: no baseline for this machine, said in the header and the summary

    def _judge_against_baseline(
        self, outcome: Outcome, baseline: baselines.MachineBaseline
    ) -> None:
        case, session, info = outcome.case, self.session, self.benchmark.extra_info
        baseline_case = baseline.cases.get(case.key)
        if baseline_case is None:
            reason = f"not in the baseline; record them: {baselines.RECORD_COMMAND} -k ..."
            self._not_judged(case, reason)
            return
        current = measure.wall_clock_protocol()
        if baseline_case.protocol != protocol.identity(current):
            stored = baseline.protocols.get(baseline_case.protocol or "")
            reason = (
                f"measured by another protocol ({protocol.describe_differences(stored, current)});"
                f" re-record them here: {baselines.RECORD_COMMAND} -k ..."
            )
            self._not_judged(case, reason)
            return
        try:
            judgement = gate.judge(
                case, baseline_case, against=session.against, across=session.across_machines
            )
        except gate.BaselineMismatch as error:
            pytest.fail(str(error), pytrace=False)
        if judgement.screen is not None:
            self._report_yardstick(judgement.screen.measurements[0], "gate_")
            if baseline_case.yardstick == COPY:
                outcome.x_copy = judgement.screen.current  # the same fresh-process rounds
        if judgement.not_judged is not None:
            if baseline_case.yardstick == COPY:
                outcome.x_copy_fault = judgement.not_judged
            self._not_judged(case, judgement.not_judged, grouped=False)
            return
        if judgement.noisy_baseline is not None:
            info["gate"] = (
                f"not gated: baseline processes disagree by {judgement.noisy_baseline:.2f}x "
                f"(> {gate.NOISE_LIMIT}); re-record the baseline on a quieter machine"
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
            if judgement.confirmed.regressed:
                pytest.fail(judgement.confirmed.describe(), pytrace=False)

    def _compare(self, outcome: Outcome) -> None:
        """Judge against REF's tree, measured side by side on this machine."""
        case, session = outcome.case, self.session
        assert session.reference_root is not None
        assert session.compare is not None
        if case.technique not in session.reference_techniques:
            self._not_judged(case, f"only in this tree, not in {session.compare}")
            return
        if case.in_place and not session.reference_takes_out():
            self._not_judged(case, f"{session.compare}'s techniques take no out=")
            return
        # Loops are measured at the gate's size: their 998x998 case is their 256x256 one.
        measured = case.confirm_case()
        verdict = session.compared.get(measured.key)
        if verdict is None:
            verdict = gate.compare_with_ref(case, session.reference_root, against=session.compare)
            session.compared[measured.key] = verdict
        verdict = dataclasses.replace(verdict, case=case)
        if verdict.measurements:
            self._report_yardstick(verdict.measurements[0], "compare_")
        if yardstick_name(case.technique) == COPY:
            outcome.x_copy = verdict.current  # this tree's side, measured against copy
        if verdict.not_judged is not None:
            if yardstick_name(case.technique) == COPY:
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

    def _not_judged(self, case: Case, reason: str, *, grouped: bool = True) -> None:
        """Record why ``case`` was not judged; ``grouped`` reasons are shared by many cases."""
        self.benchmark.extra_info["gate"] = f"not judged: {reason}"
        if grouped:
            self.session.not_judged(case, reason)
        else:
            self.session.unjudged_alone.append(f"{case.key}: {reason}")


def record_baseline(session: RaceSession) -> None:
    """Measure every case run in fresh workers and write this machine's baseline."""
    confirm_cases = {case.key: case.confirm_case() for case in session.recorded}
    unique = sorted(set(confirm_cases.values()), key=lambda case: case.key)
    processes = measure.measure_in_workers(unique, workers=gate.RECORD_WORKERS)
    facts = machine_facts()
    measuring_protocol = measure.wall_clock_protocol()
    identity = protocol.identity(measuring_protocol)
    cases = {}
    for key, confirm in confirm_cases.items():
        measurements = processes[confirm.key]
        probes = [m.probe_seconds for m in measurements]
        cases[key] = baselines.CaseBaseline(
            technique=confirm.technique,
            yardstick=yardstick_name(confirm.technique),
            measured_as=confirm.key,
            processes=tuple(tuple(round(r, 6) for r in m.ratios) for m in measurements),
            versions=baselines.versions_of(facts),
            protocol=identity,
            yardstick_seconds=tuple(float(f"{m.yardstick_seconds:.6g}") for m in measurements),
            probe_seconds=None
            if None in probes
            else tuple(float(f"{seconds:.6g}") for seconds in probes if seconds is not None),
        )
        problem = gate.yardstick_problem(measurements)
        if problem is not None:
            session.recording_problems.append(f"{key}: {problem}")
    baselines.write(
        session.config.option.recolor_baseline,
        session.machine,
        facts,
        cases,
        {identity: measuring_protocol},
    )
