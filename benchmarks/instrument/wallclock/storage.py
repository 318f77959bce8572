"""The wall-clock baselines: one per machine, in one file, each checked as a whole on load.

A ratio to a yardstick does not travel between CPUs: different CPUs favour
different kernels by large factors. So a baseline belongs to the machine
that measured it, named by :func:`benchmarks.instrument.machine.machine_name`,
and recording on another machine adds that machine's baseline and leaves the
others alone, as pytest-benchmark keeps one folder per machine.

Each worker process's rounds are a list of their own, so the process, the
unit the gate decides on, is written down rather than derived from a
constant that may change. Each case names the protocol that measured it
(:mod:`benchmarks.instrument.protocol`; each machine's table ``protocols``
spells them out) and the yardstick's seconds per call in each process,
which the gate checks before it judges. Format 5 adds each case's
environment: the commit whose tree it measured (null when the tree had
changes), against which a case that looks slower is confirmed, and the host
(CPU model, family and model, SIMD level) beside the versions. Format 4
named the code a case measures its ``subject`` (format 3 said
``technique``); a case of format 2 names no protocol: it is kept, and not
judged, until re-recorded.

A baseline is checked as a whole on load, and trusted only as far as it can
be checked: a ratio outside what any yardstick allows
(:data:`RATIO_RANGE`), a protocol that is not a table of tables, or a file
nested deeper than JSON's reader can follow, make it unusable, with advice.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.instrument import protocol
from benchmarks.instrument.files import write_text

FORMAT = 5
#: Older formats still read; their cases were measured by older protocols, so
#: nothing is judged by them until re-recorded (format 4's name no commit to
#: confirm a slower case against).
READABLE_FORMATS = (2, 3, 4, FORMAT)
#: The ratios a yardstick allows: a case a thousand times faster than copying
#: its input, or a million times slower than it, is no measurement but a
#: corrupt file (the slowest case, an interpreted loop, is about 10^4 x copy).
RATIO_RANGE = (1e-3, 1e6)
#: A yardstick's seconds per call: from a nanosecond to an hour.
SECONDS_RANGE = (1e-9, 3600.0)
RECORD_COMMAND = "python -m pytest --benchmark-only --recolor-record-baseline"


class BaselineError(Exception):
    """The baseline file cannot be used; the message says what to do."""


class BaselineMissing(BaselineError):
    """There is no baseline file: the gate has nothing to compare with."""


@dataclass(frozen=True)
class CaseBaseline:
    """One case on one machine: its yardstick and each worker process's ratios."""

    subject: str
    yardstick: str
    measured_as: str
    processes: tuple[tuple[float, ...], ...]
    #: The library versions the case was recorded with: a partial re-record
    #: (``-k``) changes them for its own cases only.
    versions: dict[str, Any] | None = None
    #: The identity of the protocol that measured it; None before format 3.
    protocol: str | None = None
    #: The yardstick's median seconds per call in each process, and the
    #: bandwidth probe's where the yardstick copies (None before format 3).
    yardstick_seconds: tuple[float, ...] | None = None
    probe_seconds: tuple[float, ...] | None = None
    #: The commit whose tree was measured, None when it had changes (format 5).
    commit: str | None = None
    #: The host it was measured on (:func:`~benchmarks.instrument.machine.host_facts`).
    host: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "subject": self.subject,
            "yardstick": self.yardstick,
            "measured_as": self.measured_as,
            "protocol": self.protocol,
            "processes": [list(process) for process in self.processes],
        }
        for name in ("yardstick_seconds", "probe_seconds"):
            value = getattr(self, name)
            if value is not None:
                entry[name] = list(value)
        if self.versions is not None:
            entry["versions"] = dict(self.versions)
        if self.host is not None:
            entry["host"] = dict(self.host)
        entry["commit"] = self.commit
        return entry


@dataclass(frozen=True)
class MachineBaseline:
    name: str
    facts: dict[str, Any]
    cases: dict[str, CaseBaseline]
    #: Every protocol a case of this machine names, by identity.
    protocols: dict[str, dict[str, Any]] = field(default_factory=dict)


def _advice(path: Path) -> str:
    return f"Restore it with 'git checkout -- {path}' or re-record it with: {RECORD_COMMAND}"


def load(path: Path) -> dict[str, MachineBaseline]:
    """Every machine's baseline, by machine name; BaselineError with advice when unusable."""
    if not path.exists():
        raise BaselineMissing(
            f"no benchmark baseline at {path}, so nothing was compared. Record one on this "
            f"machine with: {RECORD_COMMAND}"
        )
    try:
        data = _read_json(path)
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        if data.get("format") == 1:
            raise ValueError(
                "it is in format 1, which mixed every process's rounds and held one machine; "
                f"this version reads format {FORMAT}"
            )
        if data.get("format") not in READABLE_FORMATS or not isinstance(data.get("machines"), dict):
            raise ValueError(f"expected format {FORMAT} with a 'machines' table")
        machines = {name: _machine(name, entry) for name, entry in data["machines"].items()}
        if not machines:
            raise ValueError("it holds no machine")
    except (OSError, ValueError) as error:
        raise BaselineError(
            f"the benchmark baseline {path} is unusable ({error}). {_advice(path)}"
        ) from error
    return machines


def _read_json(path: Path) -> Any:
    """``path``'s JSON; ValueError for a document nested deeper than the reader can follow."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise ValueError("it is nested too deeply to be a baseline") from None


def _machine(name: str, entry: Any) -> MachineBaseline:
    if not isinstance(entry, dict) or not isinstance(entry.get("facts"), dict):
        raise ValueError(f"machine {name!r} has no facts")
    cases = entry.get("cases")
    if not isinstance(cases, dict) or not cases:
        raise ValueError(f"machine {name!r} has no cases")
    protocols = entry.get("protocols", {})
    protocol.check_table(protocols, f"machine {name!r}")
    return MachineBaseline(
        name,
        entry["facts"],
        {key: _case(name, key, value) for key, value in cases.items()},
        protocols,
    )


def _seconds(where: str, name: str, values: Any) -> tuple[float, ...] | None:
    if values is None:
        return None
    if not isinstance(values, list) or not values:
        raise ValueError(f"{where}: {name} must be a non-empty list of numbers")
    for value in values:
        _check_within(where, value, f"every value of {name}", SECONDS_RANGE)
    return tuple(float(value) for value in values)


def _check_within(
    where: str, value: Any, what: str = "every ratio", limits: tuple[float, float] = RATIO_RANGE
) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f"{where}: {what} must be a finite number > 0, got {value!r}")
    low, high = limits
    if not low <= value <= high:
        raise ValueError(
            f"{where}: {what} must lie within {low:g}..{high:g}, as a measurement can; got "
            f"{value!r}, which no yardstick allows: the file is corrupt"
        )


def _case(machine: str, key: str, entry: Any) -> CaseBaseline:
    where = f"machine {machine!r}, case {key!r}"
    if not isinstance(entry, dict):
        raise ValueError(f"{where} is not a table")
    entry = dict(entry)
    if "subject" not in entry and "technique" in entry:  # formats 2 and 3
        entry["subject"] = entry.pop("technique")
    for name in ("subject", "yardstick", "measured_as"):
        if not isinstance(entry.get(name), str):
            raise ValueError(f"{where}: {name} must be a string, got {entry.get(name)!r}")
    processes = entry.get("processes")
    if not isinstance(processes, list) or not processes:
        raise ValueError(f"{where}: processes must be a non-empty list of lists of ratios")
    for process in processes:
        if not isinstance(process, list) or not process:
            raise ValueError(f"{where}: every process must be a non-empty list of ratios")
        for value in process:
            _check_within(where, value)
    versions = entry.get("versions")
    if versions is not None and not isinstance(versions, dict):
        raise ValueError(f"{where}: versions must be a table, got {versions!r}")
    identity = entry.get("protocol")
    if identity is not None and not isinstance(identity, str):
        raise ValueError(f"{where}: protocol must be a string, got {identity!r}")
    commit = entry.get("commit")
    if commit is not None and not (
        isinstance(commit, str) and re.fullmatch("[0-9a-f]{40}", commit)
    ):
        raise ValueError(f"{where}: commit must be a full git sha or null, got {commit!r}")
    host = entry.get("host")
    if host is not None and not isinstance(host, dict):
        raise ValueError(f"{where}: host must be a table, got {host!r}")
    return CaseBaseline(
        entry["subject"],
        entry["yardstick"],
        entry["measured_as"],
        tuple(tuple(float(value) for value in process) for process in processes),
        versions,
        identity,
        _seconds(where, "yardstick_seconds", entry.get("yardstick_seconds")),
        _seconds(where, "probe_seconds", entry.get("probe_seconds")),
        commit,
        host,
    )


def write(
    path: Path,
    machine: str,
    facts: dict[str, Any],
    cases: dict[str, CaseBaseline],
    protocols: Mapping[str, dict[str, Any]],
    *,
    keep: set[str] | None = None,
) -> None:
    """Merge ``cases`` into ``machine``'s baseline, atomically; other machines are kept.

    ``protocols`` spells out, by identity, the protocols the new cases name;
    a machine keeps only the protocols its cases still name. ``keep`` is every
    case the suite has: this machine's stored cases outside it are dropped. A
    baseline file that is there but unusable is not replaced by the few cases
    of a partial (``-k``) recording: that would lose the others.
    """
    machines = load(path) if path.exists() else {}
    previous = machines.get(machine)
    stored = previous.cases if previous else {}
    if keep is not None:
        stored = {key: case for key, case in stored.items() if key in keep}
    merged = {**stored, **cases}
    known = {**(previous.protocols if previous else {}), **protocols}
    kept = protocol.named(known, (case.protocol for case in merged.values()))
    machines[machine] = MachineBaseline(machine, facts, merged, kept)
    data = {
        "format": FORMAT,
        "recorded_with": RECORD_COMMAND,
        "machines": {
            name: {
                "facts": entry.facts,
                "protocols": entry.protocols,
                "cases": {key: case.as_dict() for key, case in sorted(entry.cases.items())},
            }
            for name, entry in sorted(machines.items())
        },
    }
    write_text(path, json.dumps(data, indent=1) + "\n")
