"""Turn pytest-benchmark's JSON into what GitHub Actions shows: ``python -m benchmarks.report``.

- ``--summary``: a Markdown table per group (time, x copy, CPU), for the job summary.
- ``--x-copy PATH``: the "x copy" figures (timed in fresh processes, interleaved
  with numpy.copy) in github-action-benchmark's ``customSmallerIsBetter`` format.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from recolor.timing import format_seconds


def load_benchmarks(path: Path) -> list[dict[str, Any]]:
    benchmarks: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["benchmarks"]
    return benchmarks


def x_copy_series(benchmarks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "name": bench["name"],
            "unit": "x copy",
            "value": round(bench["extra_info"]["x_copy"], 4),
            "extra": f"group {bench['group']}; CPU {bench['extra_info']['cpu_utilization']:.2f}; "
            f"fresh processes, as {bench['extra_info'].get('x_copy_measured_as', bench['name'])}",
        }
        for bench in benchmarks
        if "x_copy" in bench.get("extra_info", {})
    ]


def markdown_summary(benchmarks: list[dict[str, Any]]) -> str:
    lines = ["## recolor benchmarks", ""]
    groups: dict[str, list[dict[str, Any]]] = {}
    for bench in benchmarks:
        groups.setdefault(bench["group"] or "", []).append(bench)
    for group, members in groups.items():
        lines += [
            f"### {group}",
            "",
            "| technique | median | x copy | CPU | MP/s |",
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
    parser = argparse.ArgumentParser(prog="python -m benchmarks.report", description=__doc__)
    parser.add_argument("benchmark_json", type=Path, help="the file --benchmark-json wrote")
    parser.add_argument("--summary", action="store_true", help="print a Markdown summary")
    parser.add_argument("--x-copy", type=Path, metavar="PATH", help="write the x copy series here")
    args = parser.parse_args(argv)
    benchmarks = load_benchmarks(args.benchmark_json)
    if args.x_copy is not None:
        args.x_copy.write_text(
            json.dumps(x_copy_series(benchmarks), indent=1) + "\n", encoding="utf-8"
        )
    if args.summary:
        sys.stdout.write(markdown_summary(benchmarks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
