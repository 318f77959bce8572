"""Turn pytest-benchmark's JSON into what GitHub Actions shows.

Run as ``python -m benchmarks.instrument.report``:

- ``--summary``: a Markdown table per group (time, x copy, CPU), for the job summary.
- ``--seconds PATH``: each case's median seconds per call, in
  github-action-benchmark's ``customSmallerIsBetter`` format (its ``pytest``
  tool would store calls per second, from the mean).
- ``--x-copy PATH``: the "x copy" figures (timed in fresh processes, interleaved
  with numpy.copy), in the same format.

Every series names a case by its key (``256x256-numpy_packed``), the name
the suite gives it whatever file holds the test, and its extra text names
the machine that measured it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from benchmarks.instrument.machine import machine_name, versions_text
from benchmarks.instrument.meters import format_seconds


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def measured(document: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    """The package the run measured and the instrument's machine facts, from machine_info.

    The plugin files its facts under the package's name (``machine_info["recolor"]``).
    """
    for name, value in document.get("machine_info", {}).items():
        if isinstance(value, dict) and "cpu_model" in value:
            return name, value
    return "the", None


def machine(document: dict[str, Any]) -> str:
    """The machine that measured the run, as the instrument names it (CPU, cores, system, SIMD),
    and the versions of what the code measured runs with."""
    package, facts = measured(document)
    if not facts:
        return "an unnamed machine"
    versions = {
        name: facts.get(name)
        for name in ("python", "numpy", "opencv", "pillow", "numba")
        if name != package
    }
    if not any(versions.values()):
        return machine_name(facts)
    return f"{machine_name(facts)}; {versions_text(versions)}"


def seconds_series(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Median seconds per call of every case, smaller is better."""
    where = machine(document)
    return [
        {
            "name": bench["name"],
            "unit": "seconds per call (median)",
            "value": float(f"{bench['stats']['median']:.6g}"),
            "extra": f"group {bench['group']}; pytest-benchmark's median of "
            f"{bench['stats']['rounds']} rounds in one process; on {where}",
        }
        for bench in document["benchmarks"]
    ]


def x_copy_series(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Every case's time over numpy.copy's, from fresh processes, smaller is better."""
    where = machine(document)
    return [
        {
            "name": bench["name"],
            "unit": "x copy",
            "value": round(bench["extra_info"]["x_copy"], 4),
            "extra": f"group {bench['group']}; CPU {bench['extra_info']['cpu_utilization']:.2f}; "
            f"fresh processes, as {bench['extra_info'].get('x_copy_measured_as', bench['name'])};"
            f" on {where}",
        }
        for bench in document["benchmarks"]
        if "x_copy" in bench.get("extra_info", {})
    ]


def markdown_summary(benchmarks: list[dict[str, Any]], package: str = "the") -> str:
    lines = [f"## {package} benchmarks", ""]
    groups: dict[str, list[dict[str, Any]]] = {}
    for bench in benchmarks:
        groups.setdefault(bench["group"] or "", []).append(bench)
    for group, members in groups.items():
        lines += [
            f"### {group}",
            "",
            "| name | median | x copy | CPU | MP/s |",
            "|---|---:|---:|---:|---:|",
        ]
        for bench in sorted(members, key=lambda b: b["stats"]["median"]):
            info = bench.get("extra_info", {})
            median = format_seconds(bench["stats"]["median"])
            lines.append(
                f"| {info.get('technique', bench['name'])} | {median} "
                f"| {info.get('x_copy', float('nan')):.2f} | {info.get('cpu_utilization', 0):.2f} "
                f"| {info.get('megapixels_per_second', 0):.1f} |"
            )
        lines.append("")
    lines.append("CPU: process CPU seconds per wall second while timed (2.00 = two cores busy).")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.instrument.report", description=__doc__
    )
    parser.add_argument("benchmark_json", type=Path, help="the file --benchmark-json wrote")
    parser.add_argument("--summary", action="store_true", help="print a Markdown summary")
    parser.add_argument(
        "--seconds", type=Path, metavar="PATH", help="write the seconds-per-call series here"
    )
    parser.add_argument("--x-copy", type=Path, metavar="PATH", help="write the x copy series here")
    args = parser.parse_args(argv)
    document = load(args.benchmark_json)
    for path, series in ((args.seconds, seconds_series), (args.x_copy, x_copy_series)):
        if path is not None:
            path.write_text(json.dumps(series(document), indent=1) + "\n", encoding="utf-8")
    if args.summary:
        sys.stdout.write(markdown_summary(document["benchmarks"], measured(document)[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
