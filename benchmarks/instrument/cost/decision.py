"""The cost gate: the committed baseline of counts, and the decision for one case.

A count is deterministic for given versions of Python, of the measured
package and its libraries (the suite's ``versions``) and of valgrind, and
for the CPU valgrind presents; it is not for other versions. So every case
in the baseline carries the versions that produced it, and a case counted
with other versions is reported as not comparable rather than judged.
Against a git ref (``--recolor-compare``) both sides are counted in one
session, with the same versions, and always judged.

Format 2 adds the identity of the protocol that counted each case
(:mod:`benchmarks.instrument.protocol`; the file's ``protocols`` table spells
them out): a case counted by another protocol is not comparable either.
A case of format 1 has none, and is not judged until re-recorded.
"""

from __future__ import annotations

import json
import platform
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from benchmarks.instrument import dependencies, gitref, protocol
from benchmarks.instrument.adapter import Case, CaseFacts, Suite
from benchmarks.instrument.cost.callgrind import (
    CACHE_MODEL,
    L1_MISS_CYCLES,
    LL_MISS_CYCLES,
    Cost,
    cost_protocol,
    valgrind_version,
)
from benchmarks.instrument.files import shown, write_text
from benchmarks.instrument.machine import cpu_model, versions_text
from benchmarks.instrument.verdict import Status, Verdict

FORMAT = 2
#: Format 1 is still read: its cases name no protocol, so nothing is judged by them.
READABLE_FORMATS = (1, FORMAT)
COST_COMMAND = "python -m pytest --recolor-cost"
RECORD_COMMAND = f"{COST_COMMAND} --recolor-record-cost-baseline"
#: Percent by which a case's estimated cycles may rise before it fails;
#: as much of a fall is reported, so that the baseline is re-recorded.
DEFAULT_THRESHOLD = 3.0
_COUNTS = ("instructions", "l1_misses", "ll_misses", "estimated_cycles")
#: What every count depends on besides Python and the case's libraries: valgrind, the
#: host's architecture and the CPU valgrind presents to the program.
TOOLCHAIN = ("valgrind", "machine", "simulated_cpu")
#: More than any one call can cost under valgrind (an hour of it counts about 10^12):
#: a larger count is a corrupt file, not a measurement.
MAX_COUNT = 10**13
#: What the counts mean, stored with them and checked on load.
_MODEL = {
    "cache_model": {name: list(shape) for name, shape in CACHE_MODEL.items()},
    "cycle_weights": {"l1_miss": L1_MISS_CYCLES, "ll_miss": LL_MISS_CYCLES},
}
_LABELS = {"instructions": "instructions", "l1_misses": "L1 misses", "ll_misses": "LL misses"}


class CostBaselineError(Exception):
    """The cost baseline cannot be used; the message says what to do."""


def versions(suite: Suite, simulated_cpu: str) -> dict[str, str | None]:
    """What a count depends on besides the code; a case counted with others is not judged."""
    return {**_toolchain(suite), "simulated_cpu": simulated_cpu}


@cache
def _toolchain(suite: Suite) -> dict[str, str | None]:
    """The versions of this process's toolchain: the same for every case of a session."""
    suite_versions = suite.versions()
    suite_versions.pop(suite.about.package, None)  # the code measured, not the toolchain
    return {"python": platform.python_version(), **suite_versions, **toolchain_facts()}


def toolchain_facts() -> dict[str, str | None]:
    """valgrind's version and the host's architecture: the same for any interpreter here."""
    return {"valgrind": valgrind_version(), "machine": platform.machine()}


def _restore_advice(path: Path) -> str:
    return f"Restore it with 'git checkout -- {path}' or re-record it with: {RECORD_COMMAND}"


def load(path: Path) -> dict[str, dict[str, Any]]:
    """Every case of the baseline, checked as a whole; CostBaselineError with advice."""
    return load_with_protocols(path)[0]


def load_with_protocols(path: Path) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """The baseline's cases and its protocols by identity; CostBaselineError with advice."""
    if not path.exists():
        raise FileNotFoundError(path)
    try:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except RecursionError:
            raise ValueError("it is nested too deeply to be a baseline") from None
        if not isinstance(data, dict) or data.get("format") not in READABLE_FORMATS:
            raise ValueError(f"expected a JSON object with format {FORMAT}")
        protocols = data.get("protocols", {})
        protocol.check_table(protocols, "the file")
        if any(data.get(name) != value for name, value in _MODEL.items()):
            raise ValueError("it was counted with another cache model or cycle formula")
        cases = data.get("cases")
        if not isinstance(cases, dict) or not cases:
            raise ValueError("it has no cases")
        for key, entry in cases.items():
            _check_entry(key, entry)
    except (OSError, ValueError) as error:
        raise CostBaselineError(
            f"the cost baseline {path} is unusable ({error}). {_restore_advice(path)}"
        ) from error
    return cases, protocols


def _check_entry(key: str, entry: Any) -> None:
    if not isinstance(entry, dict) or not isinstance(entry.get("versions"), dict):
        raise ValueError(f"case {key!r} has no counts and versions")
    for name in _COUNTS:
        value = entry.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
            raise ValueError(
                f"case {key!r}: {name} must be a count from 0 to {MAX_COUNT:.0e}, got {value!r}"
            )
    commit = entry.get("commit")
    if commit is not None and not (
        isinstance(commit, str) and re.fullmatch("[0-9a-f]{40}", commit)
    ):
        raise ValueError(f"case {key!r}: commit must be a full git sha or null, got {commit!r}")
    counts = Cost(entry["instructions"], entry["l1_misses"], entry["ll_misses"])
    if entry["estimated_cycles"] <= 0 or entry["estimated_cycles"] != counts.estimated_cycles:
        raise ValueError(
            f"case {key!r}: estimated_cycles must be positive and follow from the counts, "
            f"got {entry['estimated_cycles']!r}"
        )


def entry(suite: Suite, cost: Cost, case_versions: dict[str, str | None]) -> dict[str, Any]:
    """A baseline entry: the counts, what they depend on, and (to compare, not to decide)
    the host's CPU, which valgrind hides from the program, and the commit counted, whose
    tree a later failure is attributed against (None when the tree had changes)."""
    return {
        **cost.as_dict(),
        "protocol": protocol.identity(cost_protocol(suite)),
        "versions": case_versions,
        "host_cpu": cpu_model(),
        "commit": gitref.clean_head(),
    }


def write(
    suite: Suite,
    path: Path,
    entries: dict[str, dict[str, Any]],
    *,
    keep: set[str] | None = None,
) -> None:
    """Merge ``entries`` into the baseline at ``path``, atomically.

    ``keep`` is every case the suite has: stored cases outside it are dropped.
    A baseline that is there but unusable is not silently replaced by the
    few cases of a partial (``-k``) recording: that would lose the others.
    """
    existing: dict[str, dict[str, Any]] = {}
    known: dict[str, Any] = {}
    if path.exists():
        existing, known = load_with_protocols(path)
    if keep is not None:
        existing = {key: entry for key, entry in existing.items() if key in keep}
    current = cost_protocol(suite)
    known = {**known, protocol.identity(current): current}
    cases = dict(sorted({**existing, **entries}.items()))
    data = {
        "format": FORMAT,
        "recorded_with": RECORD_COMMAND,
        **_MODEL,
        "protocols": protocol.named(known, (case.get("protocol") for case in cases.values())),
        "cases": cases,
    }
    write_text(path, json.dumps(data, indent=1) + "\n")


def environment_differences(there: dict[str, str | None], here: dict[str, str | None]) -> list[str]:
    """What two counts' environments differ in (toolchain versions, the CPU numpy sees),
    as "numpy 2.3.1 there, 2.4.6 here"; the same words for the baseline, an A/B and a
    bisection."""
    return dependencies.differences(there, here, here)


def depends_on(facts: CaseFacts) -> tuple[str, ...]:
    """What a case's count depends on: the toolchain, Python, and the libraries its code calls."""
    return (*TOOLCHAIN, *dependencies.ALWAYS, *facts.depends_on)


def series_point(suite: Suite, key: str, cost: Cost) -> dict[str, Any]:
    """One case's count as github-action-benchmark's ``customSmallerIsBetter`` keeps it."""
    return {
        "name": key,
        "unit": "estimated cycles",
        "value": cost.estimated_cycles,
        "extra": f"instructions {cost.instructions}, L1 misses {cost.l1_misses}, "
        f"LL misses {cost.ll_misses}; per call on valgrind {valgrind_version()}'s simulated "
        f"CPU, host {cpu_model()}; {versions_text(_toolchain(suite))}",
    }


@dataclass(frozen=True)
class CostVerdict:
    """What the cost gate decided about one case, with the counts the table shows."""

    case: Case
    subject: str  # the code the case measures, for the message
    status: Status
    current: Cost
    reference: Cost | None = None
    threshold: float = DEFAULT_THRESHOLD
    against: str = "the baseline"
    reason: str = ""
    where: str = ""  # the functions whose instructions changed, when both trees were counted

    @property
    def change(self) -> float | None:
        if self.reference is None:
            return None
        return self.current.estimated_cycles / self.reference.estimated_cycles

    def verdict(self) -> Verdict:
        """The instrument's verdict of this comparison of counts."""
        figures = {"estimated_cycles": float(self.current.estimated_cycles), "change": self.change}
        reason = self.reason if self.status is Status.NOT_JUDGED else self.describe()
        return Verdict(self.case.key, self.status, reason, self.change, figures)

    def describe(self) -> str:
        if self.reference is None or self.change is None:
            return f"{self.case.key}: {self.status.value}: {self.reason}"
        word = {Status.FAILED: "costs more", Status.IMPROVED: "costs less"}.get(
            self.status, self.status.value
        )
        parts = [
            f"{label} " + _ratio(getattr(self.current, name), getattr(self.reference, name))
            for name, label in _LABELS.items()
        ]
        if self.where:
            where = f"\n{self.where}"
        elif self.status in (Status.FAILED, Status.IMPROVED):
            where = (
                f"\nto see which functions changed, count against a tree: {COST_COMMAND} "
                f"--recolor-compare REF -k {self.case.key}"
            )
        else:
            where = ""
        first = f"{self.reason}\n" if self.reason else ""  # what else differs, named first
        return first + (
            f"{self.subject} at {self.case.key} {word}: "
            f"{self.current.estimated_cycles:,} estimated cycles against {self.against}'s "
            f"{self.reference.estimated_cycles:,}, {self.change:.4f} times, "
            f"{'above' if self.status is Status.FAILED else 'beyond'} the threshold of "
            f"{self.threshold:g}% ({', '.join(parts)})" + where
        )


def _ratio(current: int, reference: int) -> str:
    if reference == 0:
        return "0 before" if current == 0 else f"{current:,} from 0"
    return f"{current / reference:.3f}x"


def judge(
    case: Case,
    subject: str,
    current: Cost,
    reference: Cost,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    against: str = "the baseline",
) -> CostVerdict:
    """Fail a rise in estimated cycles above ``threshold`` percent; report a fall as large."""
    change = current.estimated_cycles / reference.estimated_cycles
    limit = 1 + threshold / 100
    if change > limit:
        status = Status.FAILED
    elif change < 1 / limit:
        status = Status.IMPROVED
    else:
        status = Status.PASSED
    return CostVerdict(case, subject, status, current, reference, threshold, against)


def judge_against_baseline(
    suite: Suite,
    case: Case,
    current: Cost,
    current_versions: dict[str, str | None],
    baseline_entry: dict[str, Any] | None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    protocols: dict[str, Any] | None = None,
) -> CostVerdict:
    """:func:`judge` against the baseline's entry, when it was counted with these versions
    by this protocol; ``protocols`` are the baseline's, by identity."""
    subject = suite.facts(case).subject
    if baseline_entry is None:
        return CostVerdict(
            case,
            subject,
            Status.NOT_JUDGED,
            current,
            reason=f"not in the baseline; record: {RECORD_COMMAND} -k",
        )
    current_protocol = cost_protocol(suite)
    stored = baseline_entry.get("protocol")
    if stored != protocol.identity(current_protocol):
        differences = protocol.describe_differences(
            (protocols or {}).get(stored or ""), current_protocol
        )
        return CostVerdict(
            case,
            subject,
            Status.NOT_JUDGED,
            current,
            reason=f"counted by another protocol ({differences}): not judged; re-record: "
            f"{RECORD_COMMAND} -k ...",
        )
    reason = dependencies.unjudged_reason(
        baseline_entry["versions"],
        current_versions,
        depends_on(suite.facts(case)),
        lock=shown(suite.about.lock_path),
        record=f"{RECORD_COMMAND} -k {case.key}",
    )
    if reason is not None:
        return CostVerdict(case, subject, Status.NOT_JUDGED, current, reason=reason)
    reference = Cost(
        baseline_entry["instructions"], baseline_entry["l1_misses"], baseline_entry["ll_misses"]
    )
    return judge(case, subject, current, reference, threshold=threshold)
