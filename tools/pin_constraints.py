"""Re-pin the measuring environment: ``python -m tools.pin_constraints``.

``benchmarks/constraints.txt`` pins every package a stored figure (the
wall-clock baseline, the cost baseline) depends on, at the versions the
figures were measured with. The README's bench and cost commands, ``.ci/run``
where it measures and both workflows install with ``-c`` that file, so that a
figure is judged against one measured with the same libraries. The test
command is not pinned: the library must work with what users get.

This command writes the file from the versions installed in the running
environment, then names the stored cases whose figures were measured with
other versions of a package they depend on: re-record those (it prints the
commands), or their figures are reported NOT JUDGED.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import platform
import sys
from collections.abc import Iterable, Mapping
from typing import Any

from benchmarks import adapter as suite
from benchmarks.instrument import dependencies
from benchmarks.instrument.cost import decision as cost_gate
from benchmarks.instrument.machine import machine_facts, machine_name
from benchmarks.instrument.wallclock import storage

#: The distributions a figure depends on.
PINNED = (
    "numpy",
    "opencv-python",
    "pillow",
    "numba",
    "llvmlite",  # numba's compiler: each numba release takes one llvmlite
    "pytest-codspeed",  # the cost mode's callgrind hooks, which switch the counting on and off
)

HEADER = """\
# The versions every stored figure was measured with (benchmarks/baseline.json,
# benchmarks/cost_baseline.json): what the README's bench and cost commands, .ci/run
# where it measures, and both workflows install with `-c benchmarks/constraints.txt`.
# Written by `python -m tools.pin_constraints` on Python {python}; the pins apply on
# that Python only, since every figure depends on Python's version too.
"""


def installed(distributions: Iterable[str]) -> dict[str, str]:
    """The installed version of each distribution; SystemExit naming any that is missing."""
    found = {}
    for name in distributions:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            raise SystemExit(
                f"{name} is not installed here: pin from an environment with every extra "
                '(python -m pip install -e ".[bench,cost,numba]")'
            ) from None
    return found


def constraints_text(versions: Mapping[str, str], python: str) -> str:
    minor = ".".join(python.split(".")[:2])
    lines = [
        f'{name}=={version}; python_version == "{minor}"' for name, version in versions.items()
    ]
    return HEADER.format(python=minor) + "\n".join(lines) + "\n"


def stale_cases(
    stored: Mapping[str, Mapping[str, Any] | None],
    here: Mapping[str, Any],
    depends_on: Mapping[str, tuple[str, ...]],
) -> dict[str, list[str]]:
    """Stored cases measured with other versions of what they depend on: key -> differences."""
    stale = {}
    for key, versions in stored.items():
        names = (*dependencies.ALWAYS, *depends_on.get(key, ()))
        found = dependencies.differences(versions, here, names)
        if found:
            stale[key] = found
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.pin_constraints", description=__doc__)
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing: exit 1 if the file differs from what it would write",
    )
    args = parser.parse_args(argv)
    versions = installed(PINNED)
    text = constraints_text(versions, platform.python_version())
    path = suite.about.lock_path
    if args.check:
        if path.read_text(encoding="utf-8") != text:
            print(f"{path} does not pin this environment's versions; run {parser.prog}")
            return 1
        print(f"{path} pins this environment's versions")
        return 0
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    here = {**suite.versions(), "python": platform.python_version()}
    _report_wall_clock(here)
    _report_cost(here)
    return 0


def _report_wall_clock(here: Mapping[str, Any]) -> None:
    machine = machine_name(machine_facts(suite))
    try:
        baseline = storage.load(suite.about.baseline_path).get(machine)
    except storage.BaselineError as error:
        print(f"the wall-clock baseline: {error}")
        return
    if baseline is None:
        print(f"the wall-clock baseline holds no figures of this machine ({machine})")
        return
    depends = {case.key: suite.facts(case).depends_on for case in suite.cases()}
    stale = stale_cases({k: c.versions for k, c in baseline.cases.items()}, here, depends)
    _say("wall-clock", stale, storage.RECORD_COMMAND)


def _report_cost(here: Mapping[str, Any]) -> None:
    try:
        entries = cost_gate.load(suite.about.cost_baseline_path)
    except (FileNotFoundError, cost_gate.CostBaselineError) as error:
        print(f"the cost baseline: {error}")
        return
    depends = {case.key: suite.facts(case).depends_on for case in suite.cost_cases()}
    stale = stale_cases({k: e["versions"] for k, e in entries.items()}, here, depends)
    _say("cost", stale, cost_gate.RECORD_COMMAND)


def _say(which: str, stale: Mapping[str, list[str]], record: str) -> None:
    if not stale:
        print(f"every case of the {which} baseline was measured with these versions")
        return
    print(f"{len(stale)} case(s) of the {which} baseline were measured with other versions:")
    for key, found in stale.items():
        print(f"  {key}: {'; '.join(found)}")
    print(f're-record them with: {record} -k "{" or ".join(stale)}"')


if __name__ == "__main__":
    sys.exit(main())
