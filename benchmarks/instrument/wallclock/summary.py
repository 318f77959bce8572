"""What a wall-clock session prints: its header lines, and the summary after pytest-benchmark's."""

from __future__ import annotations

import os
from typing import Any

from benchmarks.instrument.machine import available_cores
from benchmarks.instrument.meters import format_seconds
from benchmarks.instrument.verdict import Status
from benchmarks.instrument.wallclock import decision
from benchmarks.instrument.wallclock import storage as baselines
from benchmarks.instrument.wallclock.environment import allocator_control
from benchmarks.instrument.wallclock.session import RaceSession

__all__ = ["header_lines", "write_summary"]


def header_lines(session: RaceSession) -> list[str]:
    """What the session measures and what it judges against, before any test runs."""
    config, about = session.config, session.suite.about
    package = about.package
    if not config.timing:
        return [
            f"{package} benchmarks: smoke mode (each runs once); time them with --benchmark-only"
        ]
    threads = os.environ.get(about.threads_env_var) or f"all {available_cores()} cores"
    lines = [
        f"{package} benchmarks: threads capped at {threads}",
        f"{package} benchmarks: this machine: {session.machine}",
        f"{package} benchmarks: workers measure with the allocator {allocator_control()}",
    ]
    if config.record:
        lines.append(
            f"{package} benchmarks: recording this machine's baseline in {config.baseline}"
        )
    elif config.compare_env:
        there = session.compare_env_versions
        lines.append(
            f"{package} benchmarks: gate against this tree under {config.compare_env}, "
            f"measured side by side, threshold {decision.AB_FACTOR}; there: "
            + ", ".join(f"{name} {version}" for name, version in there.items())
        )
    elif config.compare:
        lines.append(
            f"{package} benchmarks: gate against {config.compare}, measured side by side here "
            f"(a worktree at {session.reference_root}), threshold {decision.AB_FACTOR}"
        )
    elif session.baseline is not None and session.across_machines:
        lines.append(
            f"{package} benchmarks: gate ACROSS MACHINES against the baseline of "
            f"{session.baseline.name} in {config.baseline}: its figures may not hold for this CPU"
        )
    elif session.baseline is not None:
        lines.append(
            f"{package} benchmarks: gate against this machine's baseline in {config.baseline}"
        )
    else:
        lines.append(f"{package} benchmarks: NO GATE: {session.baseline_problem}")
    return lines


def write_summary(terminalreporter: Any, session: RaceSession) -> None:
    """The figures pytest-benchmark's table does not show, and what went unjudged."""
    write = terminalreporter.write_line
    config, package = session.config, session.suite.about.package
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
    unjudged: dict[str, list[str]] = {}
    for verdict in session.verdicts:
        if verdict.status is Status.NOT_JUDGED:
            unjudged.setdefault(verdict.reason, []).append(verdict.key)
    for reason, keys in unjudged.items():
        write(f"{package}: NOT JUDGED ({len(keys)}): {', '.join(keys)}: {reason}", yellow=True)
    for line in session.faults:
        write(f"{package}: x copy not shown, no result: {line}", yellow=True)
    for verdict in session.verdicts:
        if verdict.status is Status.PASSED and verdict.note:
            write(f"{package}: passed, with a note: {verdict.key}: {verdict.note}", yellow=True)
    if session.stale:
        write(
            f"{package}: the baseline holds {len(session.stale)} case(s) the suite no longer has, "
            f"judged never: {', '.join(session.stale)}; recording any case drops them: "
            f"{baselines.RECORD_COMMAND} -k ...",
            yellow=True,
        )
    if config.record:
        write(f"{package}: baseline of {session.machine} recorded in {config.baseline}")
        for line in session.recording_problems:
            write(
                f"{package}: recorded, but nothing will be judged by it until re-recorded on a "
                f"quieter machine: {line}",
                yellow=True,
            )
    elif session.baseline_problem:
        write(f"{package}: {session.baseline_problem}", yellow=True, bold=True)


def _table_lines(session: RaceSession) -> list[str]:
    suite = session.suite
    columns = suite.about.columns
    x_ref = f"x {suite.about.reference_name}"
    extra_titles = " ".join(f"{column.title:>10}" for column in columns)
    lines = []
    for group in dict.fromkeys(outcome.case.group for outcome in session.outcomes):
        lines.append(f"{group}:")
        lines.append(
            f"  {'case':<20} {'median':>10} {x_ref:>9} {'CPU':>5} {extra_titles} {'vs ref':>7}"
        )
        rows = sorted(
            (o for o in session.outcomes if o.case.group == group), key=lambda o: o.median
        )
        for o in rows:
            change = f"{o.change:6.2f}x" if o.change is not None else ""
            if o.change is not None and session.across_machines:
                change += " across machines"
            x_copy = f"{o.x_copy:9.2f}" if o.x_copy is not None else ""
            if o.x_copy_fault is not None:
                x_copy = "fault"
            extras = " ".join(
                f"{_cell(column.format, o.extras.get(column.key)):>10}" for column in columns
            )
            lines.append(
                f"  {suite.facts(o.case).label:<20} {format_seconds(o.median):>10} {x_copy:>9} "
                f"{o.cpu_utilization:5.2f} {extras} {change:>7}"
            )
    return lines


def _cell(format: str, value: Any) -> str:
    return "" if value is None else format.format(value)


def _legend(session: RaceSession) -> list[str]:
    config, columns = session.config, session.suite.about.columns
    lines = [
        "CPU: process CPU seconds per wall second while timed (2.00 = two cores busy).",
        *(f"{column.title}: {column.legend}" for column in columns if column.legend),
        f"x {session.suite.about.reference_name}: time over the reference row's, interleaved, "
        "in a fresh process.",
    ]
    if config.compare_env:
        lines.append(
            f"vs ref: time over its yardstick under this interpreter against under "
            f"{config.compare_env}, medians of {decision.AB_PROCESSES} alternating fresh "
            f"processes a side; a case fails above {decision.AB_FACTOR} if the change is "
            "significant."
        )
    elif config.compare:
        lines.append(
            f"vs ref: time over its yardstick here against in {config.compare}'s tree, "
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
