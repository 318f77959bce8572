"""What the benchmark session prints: its header lines and the summary after pytest-benchmark's."""

from __future__ import annotations

import os
from typing import Any

from benchmarks.instrument import adapter, decision
from benchmarks.instrument import storage as baselines
from benchmarks.instrument.environment import allocator_control, available_cores
from benchmarks.instrument.meters import format_seconds
from benchmarks.instrument.session import RaceSession

__all__ = ["header_lines", "write_summary"]


def header_lines(session: RaceSession) -> list[str]:
    """What the session measures and what it judges against, before any test runs."""
    package = adapter.current().PACKAGE
    if not session.timing:
        return [
            f"{package} benchmarks: smoke mode (each runs once); time them with --benchmark-only"
        ]
    threads = os.environ.get(adapter.current().THREADS_ENV_VAR) or f"all {available_cores()} cores"
    path = session.config.option.recolor_baseline
    lines = [
        f"{package} benchmarks: threads capped at {threads}",
        f"{package} benchmarks: this machine: {session.machine}",
        f"{package} benchmarks: workers measure with the allocator {allocator_control()}",
    ]
    if session.recording:
        lines.append(f"{package} benchmarks: recording this machine's baseline in {path}")
    elif session.compare_env:
        there = session.compare_env_versions
        lines.append(
            f"{package} benchmarks: gate against this tree under {session.compare_env}, "
            f"measured side by side, threshold {decision.AB_FACTOR}; there: "
            + ", ".join(f"{name} {version}" for name, version in there.items())
        )
    elif session.compare:
        lines.append(
            f"{package} benchmarks: gate against {session.compare}, measured side by side here "
            f"(a worktree at {session.reference_root}), threshold {decision.AB_FACTOR}"
        )
    elif session.baseline is not None and session.across_machines:
        lines.append(
            f"{package} benchmarks: gate ACROSS MACHINES against the baseline of "
            f"{session.baseline.name} in {path}: its figures may not hold for this CPU"
        )
    elif session.baseline is not None:
        lines.append(f"{package} benchmarks: gate against this machine's baseline in {path}")
    else:
        lines.append(f"{package} benchmarks: NO GATE: {session.baseline_problem}")
    return lines


def write_summary(terminalreporter: Any, session: RaceSession) -> None:
    """The figures pytest-benchmark's table does not show, and what went unjudged."""
    write = terminalreporter.write_line
    package = adapter.current().PACKAGE
    if session.outcomes:
        terminalreporter.section(f"{package}: side by side")
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
            f"{package}: not gated, too noisy in the baseline (processes disagree by more than "
            f"{decision.NOISE_LIMIT}x): {', '.join(session.ungated)}; re-record them on a quieter "
            f"machine: {baselines.RECORD_COMMAND} -k ...",
            yellow=True,
        )
    for reason, keys in session.unjudged.items():
        write(f"{package}: NOT JUDGED ({len(keys)}): {', '.join(keys)}: {reason}", yellow=True)
    for line in session.unjudged_alone:
        write(f"{package}: NOT JUDGED: {line}", yellow=True)
    for line in session.faults:
        write(f"{package}: x copy not shown, no result: {line}", yellow=True)
    for line in session.notes:
        write(f"{package}: passed, with a note: {line}", yellow=True)
    if session.stale:
        write(
            f"{package}: the baseline holds {len(session.stale)} case(s) the suite no longer has, "
            f"judged never: {', '.join(session.stale)}; recording any case drops them: "
            f"{baselines.RECORD_COMMAND} -k ...",
            yellow=True,
        )
    if session.recording:
        path = session.config.option.recolor_baseline
        write(f"{package}: baseline of {session.machine} recorded in {path}")
        for line in session.recording_problems:
            write(
                f"{package}: recorded, but nothing will be judged by it until re-recorded on a "
                f"quieter machine: {line}",
                yellow=True,
            )
    elif session.baseline_problem:
        write(f"{package}: {session.baseline_problem}", yellow=True, bold=True)


def _table_lines(session: RaceSession) -> list[str]:
    suite = adapter.current()
    x_ref = f"x {suite.REFERENCE_NAME}"
    lines = []
    for group in dict.fromkeys(outcome.case.group for outcome in session.outcomes):
        lines.append(f"{group}:")
        lines.append(
            f"  {'case':<20} {'median':>10} {'MP/s':>9} {x_ref:>9} {'CPU':>5} "
            f"{'peak B/px':>9} {'first call':>10} {'vs ref':>7}"
        )
        rows = sorted(
            (o for o in session.outcomes if o.case.group == group), key=lambda o: o.median
        )
        for o in rows:
            name = suite.label(o.case)
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
                f"{suite.megapixels(o.case) / o.median:9.1f} {x_copy:>9} "
                f"{o.cpu_utilization:5.2f} {memory:>9} {first:>10} {change:>7}"
            )
    return lines


def _legend(session: RaceSession) -> list[str]:
    lines = [
        "CPU: process CPU seconds per wall second while timed (2.00 = two cores busy).",
        "peak B/px: peak memory allocated per call per pixel, as tracemalloc sees it.",
        f"x {adapter.current().REFERENCE_NAME}: time over the reference row's, interleaved, "
        "in a fresh process.",
    ]
    if session.compare_env:
        lines.append(
            f"vs ref: time over its yardstick under this interpreter against under "
            f"{session.compare_env}, medians of {decision.AB_PROCESSES} alternating fresh "
            f"processes a side; a case fails above {decision.AB_FACTOR} if the change is "
            "significant."
        )
    elif session.compare:
        lines.append(
            f"vs ref: time over its yardstick here against in {session.compare}'s tree, "
            f"medians of {decision.AB_PROCESSES} alternating fresh processes a side; a case "
            f"fails above {decision.AB_FACTOR} if the change is significant."
        )
    else:
        lines.append(
            f"vs ref: time over its yardstick, against the same in {session.against}; above "
            f"{decision.SCREEN_FACTOR} (against its luckiest baseline process) a case is "
            f"measured again in {decision.WORKERS} fresh processes, and fails above "
            f"{decision.FAIL_FACTOR} if the change is significant."
        )
    return lines
