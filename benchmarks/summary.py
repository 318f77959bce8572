"""What the benchmark session prints: its header lines and the summary after pytest-benchmark's."""

from __future__ import annotations

import os
from typing import Any

from benchmarks import baselines, gate
from benchmarks.calls import THREADS_ENV_VAR
from benchmarks.cases import ALL_CORES
from benchmarks.instrument.environment import allocator_control, available_cores
from benchmarks.session import RaceSession
from recolor.timing import format_seconds

__all__ = ["header_lines", "write_summary"]


def header_lines(session: RaceSession) -> list[str]:
    """What the session measures and what it judges against, before any test runs."""
    if not session.timing:
        return ["recolor benchmarks: smoke mode (each runs once); time them with --benchmark-only"]
    threads = os.environ.get(THREADS_ENV_VAR) or f"all {available_cores()} cores"
    path = session.config.option.recolor_baseline
    lines = [
        f"recolor benchmarks: threads capped at {threads}",
        f"recolor benchmarks: this machine: {session.machine}",
        f"recolor benchmarks: workers measure with the allocator {allocator_control()}",
    ]
    if session.recording:
        lines.append(f"recolor benchmarks: recording this machine's baseline in {path}")
    elif session.compare:
        lines.append(
            f"recolor benchmarks: gate against {session.compare}, measured side by side here "
            f"(a worktree at {session.reference_root}), threshold {gate.AB_FACTOR}"
        )
    elif session.baseline is not None and session.across_machines:
        lines.append(
            f"recolor benchmarks: gate ACROSS MACHINES against the baseline of "
            f"{session.baseline.name} in {path}: its figures may not hold for this CPU"
        )
    elif session.baseline is not None:
        lines.append(f"recolor benchmarks: gate against this machine's baseline in {path}")
    else:
        lines.append(f"recolor benchmarks: NO GATE: {session.baseline_problem}")
    return lines


def write_summary(terminalreporter: Any, session: RaceSession) -> None:
    """The figures pytest-benchmark's table does not show, and what went unjudged."""
    write = terminalreporter.write_line
    if session.outcomes:
        terminalreporter.section("recolor: techniques side by side")
        for line in _table_lines(session):
            write(line)
        for line in _legend(session):
            write(line)
        if session.across_machines:
            write(
                "ACROSS MACHINES: every vs ref figure compares this machine with another, "
                "whose CPU may favour other kernels.",
                yellow=True,
            )
    if session.ungated:
        write(
            f"recolor: not gated, too noisy in the baseline (processes disagree by more than "
            f"{gate.NOISE_LIMIT}x): {', '.join(session.ungated)}; re-record them on a quieter "
            f"machine: {baselines.RECORD_COMMAND} -k ...",
            yellow=True,
        )
    for reason, keys in session.unjudged.items():
        write(f"recolor: NOT JUDGED ({len(keys)}): {', '.join(keys)}: {reason}", yellow=True)
    for line in session.unjudged_alone:
        write(f"recolor: NOT JUDGED: {line}", yellow=True)
    for line in session.faults:
        write(f"recolor: x copy not shown, no result: {line}", yellow=True)
    if session.recording:
        path = session.config.option.recolor_baseline
        write(f"recolor: baseline of {session.machine} recorded in {path}")
        for line in session.recording_problems:
            write(
                f"recolor: recorded, but nothing will be judged by it until re-recorded on a "
                f"quieter machine: {line}",
                yellow=True,
            )
    elif session.baseline_problem:
        write(f"recolor: {session.baseline_problem}", yellow=True, bold=True)


def _table_lines(session: RaceSession) -> list[str]:
    lines = []
    for group in dict.fromkeys(outcome.case.group for outcome in session.outcomes):
        lines.append(f"{group}:")
        lines.append(
            f"  {'technique':<20} {'median':>10} {'MP/s':>9} {'x copy':>9} {'CPU':>5} "
            f"{'peak B/px':>9} {'first call':>10} {'vs ref':>7}"
        )
        rows = sorted(
            (o for o in session.outcomes if o.case.group == group), key=lambda o: o.median
        )
        for o in rows:
            name = o.case.technique + _threads_label(o.case.threads)
            first = f"{o.first_call * 1e3:8.0f}ms" if o.first_call is not None else ""
            memory = f"{o.bytes_per_pixel:9.1f}" if o.bytes_per_pixel is not None else ""
            change = f"{o.change:6.2f}x" if o.change is not None else ""
            if o.change is not None and session.across_machines:
                change += " across machines"
            x_copy = f"{o.x_copy:9.2f}" if o.x_copy is not None else ""
            if o.x_copy_fault is not None:
                x_copy = "fault"
            lines.append(
                f"  {name:<20} {format_seconds(o.median):>10} "
                f"{o.case.size**2 / 1e6 / o.median:9.1f} {x_copy:>9} "
                f"{o.cpu_utilization:5.2f} {memory:>9} {first:>10} {change:>7}"
            )
    return lines


def _threads_label(threads: int | str | None) -> str:
    if threads is None:
        return ""
    if threads == ALL_CORES:
        return f" ({available_cores()} thr)"
    return f" ({threads} thr)"


def _legend(session: RaceSession) -> list[str]:
    lines = [
        "CPU: process CPU seconds per wall second while timed (2.00 = two cores busy).",
        "peak B/px: peak memory allocated per call per pixel, as tracemalloc sees it.",
        "x copy: time over numpy.copy's, interleaved, in a fresh process.",
    ]
    if session.compare:
        lines.append(
            f"vs ref: time over its yardstick here against in {session.compare}'s tree, "
            f"medians of {gate.AB_PROCESSES} alternating fresh processes a side; a case "
            f"fails above {gate.AB_FACTOR} if the change is significant."
        )
    else:
        lines.append(
            f"vs ref: time over its yardstick, against the same in {session.against}; above "
            f"{gate.SCREEN_FACTOR} (against its luckiest baseline process) a case is "
            f"measured again in {gate.WORKERS} fresh processes, and fails above "
            f"{gate.FAIL_FACTOR} if the change is significant."
        )
    return lines
