"""``{performance-tables}``: the docs' figures, read from the committed baselines.

The wall-clock baseline (``benchmarks/baseline.json``, written by
``python -m pytest --benchmark-only --recolor-record-baseline``) holds, per
machine, each case's time over its yardstick in five fresh processes; the
cost baseline (``benchmarks/cost_baseline.json``, written by
``python -m pytest --recolor-cost --recolor-record-cost-baseline``) holds
each case's counts. The tables are built from them at every build, so no
figure on the page is typed by hand.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from recolor.bench.timing import format_seconds

ROOT = Path(__file__).resolve().parents[2]
WALL = ROOT / "benchmarks" / "baseline.json"
COST = ROOT / "benchmarks" / "cost_baseline.json"


def _table(header: list[str], rows: list[list[str]]) -> nodes.table:
    table = nodes.table()
    group = nodes.tgroup(cols=len(header))
    table += group
    for _ in header:
        group += nodes.colspec(colwidth=1)
    head = nodes.thead()
    group += head
    body = nodes.tbody()
    group += body
    for cells, part in [(header, head), *((row, body) for row in rows)]:
        row_node = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            entry += nodes.paragraph(text=cell)
            row_node += entry
        part += row_node
    return table


def _by_size(item: tuple[str, Any]) -> tuple[int, str]:
    """Cases in order of size, then name: ``256x256-...`` before ``2048x2048-...``."""
    size = item[0].split("x", 1)[0]
    return (int(size) if size.isdigit() else 0, item[0])


def wall_clock_tables(data: dict[str, Any]) -> list[nodes.Node]:
    found: list[nodes.Node] = []
    for machine, entry in sorted(data["machines"].items()):
        protocols = {case.get("protocol") for case in entry["cases"].values()}
        current = (
            "; measured by an older protocol, so nothing is judged by it"
            if None in protocols
            else ""
        )
        versions = next(iter(entry["cases"].values())).get("versions") or {
            name: entry["facts"].get(name)
            for name in ("recolor", "python", "numpy", "opencv", "pillow", "numba")
        }
        said = ", ".join(f"{name} {value}" for name, value in sorted(versions.items()) if value)
        section = nodes.section(ids=[nodes.make_id(f"machine {machine}")])
        section += nodes.title(text=machine)
        section += nodes.paragraph(text=f"Recorded with {said}{current}.")
        by_yardstick: dict[str, list[list[str]]] = {}
        for key, case in sorted(entry["cases"].items(), key=_by_size):
            medians = [statistics.median(process) for process in case["processes"]]
            ratio = statistics.median(medians)
            yardstick = case.get("yardstick_seconds")
            seconds = format_seconds(ratio * statistics.median(yardstick)) if yardstick else "-"
            row = [key, seconds, f"{ratio:.3g}", f"{max(medians) / min(medians):.2f}"]
            by_yardstick.setdefault(case["yardstick"], []).append(row)
        for yardstick, rows in by_yardstick.items():
            section += nodes.paragraph(text=f"Against {YARDSTICKS.get(yardstick, yardstick)}:")
            header = ["case", "median time", f"x {yardstick}", "process spread"]
            section += _table(header, rows)
        found.append(section)
    return found


#: What each yardstick is, for the line above its table.
YARDSTICKS = {
    "copy": "numpy.copy of the same image (one core)",
    "parallel-copy": "a numba copy on the same threads",
    "python": "a list comprehension over pixels (the interpreter's speed)",
}


def cost_table(data: dict[str, Any]) -> list[nodes.Node]:
    hosts = sorted({str(case.get("host_cpu", "unknown")) for case in data["cases"].values()})
    intro = nodes.paragraph(
        text=f"Counted on {', '.join(hosts)}, under valgrind's simulated CPU "
        f"({next(iter(data['cases'].values()))['versions'].get('simulated_cpu')})."
    )
    rows = [
        [
            key,
            f"{c['instructions']:,}",
            f"{c['l1_misses']:,}",
            f"{c['ll_misses']:,}",
            f"{c['estimated_cycles']:,}",
        ]
        for key, c in sorted(data["cases"].items(), key=_by_size)
    ]
    header = ["case", "instructions", "L1 misses", "LL misses", "estimated cycles"]
    return [intro, _table(header, rows)]


class PerformanceTables(SphinxDirective):
    """Tables of one committed baseline: ``wall-clock`` or ``cost``."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        kind = self.arguments[0]
        path = {"wall-clock": WALL, "cost": COST}.get(kind)
        if path is None:
            raise self.error(f"performance-tables takes wall-clock or cost, got {kind!r}")
        self.env.note_dependency(str(path))
        data = json.loads(path.read_text(encoding="utf-8"))
        return wall_clock_tables(data) if kind == "wall-clock" else cost_table(data)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("performance-tables", PerformanceTables)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
