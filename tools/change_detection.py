"""How well each rule finds a step in a history: ``python -m tools.change_detection``.

Two rules judge the stored history of a case on each push. The single-point
alert (github-action-benchmark's) fires when the new point is above the one
before it times a threshold: ours are 1.60 for x copy, 2.50 for seconds and
1.01 for the cost. The change-point rule (``python -m
benchmarks.instrument.history changes``, Apache Otava) fires when a
regression change point appears that the history without the new point did
not have.

Each setting is a family of synthetic histories of :data:`LENGTH` points:
:data:`HISTORIES` without a step and as many with one (1.05x, 1.1x, 1.2x,
1.5x) at a point drawn between the 10th and the 50th. The noise is ours:
for the wall clock, each point is a process's median drawn from the
committed baseline's processes (how far each process's median is from its
case's median, every case of every machine pooled); for the cost, uniform
within ±0.4%, the most ten unchanged counts moved. The table gives, per
rule: the share of stepped histories whose step it alerts on (at the step
or after it), its false alarms per 100 pushes (histories without a step),
and the median delay in points from the step to the alert.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from benchmarks.instrument.history import changes

ROOT = Path(__file__).resolve().parent.parent
LENGTH = 60
HISTORIES = 200
STEPS = (1.05, 1.1, 1.2, 1.5)
COST_NOISE = 0.004
#: Our single-point thresholds (.github/workflows/benchmarks.yml), by noise family, and a
#: lower one for the wall clock, to see what lowering them would cost.
THRESHOLDS = {
    "wall clock": {"x copy": 1.60, "seconds": 2.50, "lower": 1.30},
    "cost": {"cost": 1.01},
}
SETTINGS = (
    changes.Settings(max_pvalue=0.001, min_magnitude=0.0),
    changes.Settings(max_pvalue=0.0001, min_magnitude=0.0),
    changes.Settings(max_pvalue=0.0001, min_magnitude=0.01),  # the defaults
)

Noise = Callable[[random.Random], float]


def wall_clock_deviations(path: Path = ROOT / "benchmarks" / "baseline.json") -> list[float]:
    """Each baseline process's median over its case's median, every case of every machine."""
    stored = json.loads(path.read_text(encoding="utf-8"))
    deviations = []
    for machine in stored["machines"].values():
        for case in machine["cases"].values():
            medians = [statistics.median(process) for process in case["processes"]]
            middle = statistics.median(medians)
            deviations += [median / middle for median in medians]
    return deviations


def history(rng: random.Random, noise: Noise, step: float | None) -> tuple[list[float], int | None]:
    """A history of :data:`LENGTH` points, and the index of the step's first point."""
    at = rng.randint(10, 50) if step is not None else None
    values = [
        noise(rng) * (step if at is not None and step is not None and index >= at else 1.0)
        for index in range(LENGTH)
    ]
    return values, at


@dataclass
class Tally:
    """What one rule did over one family of histories."""

    detected: int = 0
    stepped: int = 0
    false_alarms: int = 0
    pushes: int = 0
    delays: list[int] | None = None

    def __post_init__(self) -> None:
        self.delays = []


def single_point_alerts(values: Sequence[float], threshold: float) -> list[int]:
    """The pushes (the new point's index) whose point is above the one before it times
    ``threshold``."""
    return [i for i in range(1, len(values)) if values[i] > values[i - 1] * threshold]


def change_point_alerts(
    values: Sequence[float], settings: changes.Settings
) -> list[tuple[int, int]]:
    """(push, change point index) for each regression change point a push brought."""
    alerts = []
    before: list[tuple[int, float, float, float]] = []
    for end in range(changes.MIN_POINTS, len(values) + 1):
        now = changes.detect(values[:end], settings)
        alerts += [(end - 1, found[0]) for found in changes.appeared(now, before)]
        before = now
    return alerts


def _judge(alerts: list[tuple[int, int]], at: int | None, tally: Tally, pushes: int) -> None:
    """Count ``alerts`` ((push, where it says the change is)) against the step at ``at``."""
    assert tally.delays is not None
    tally.pushes += pushes
    if at is None:
        tally.false_alarms += len(alerts)
        return
    tally.stepped += 1
    true = [push for push, where in alerts if push >= at and abs(where - at) <= 1]
    tally.false_alarms += len(
        [alert for alert in alerts if alert[0] < at or abs(alert[1] - at) > 1]
    )
    if true:
        tally.detected += 1
        tally.delays.append(min(true) - at)


def _family(task: tuple[str, float | None, int, int]) -> dict[str, Tally]:
    family, step, seed, histories = task
    rng = random.Random(seed)
    deviations = wall_clock_deviations()
    noise: Noise = (
        (lambda r: r.choice(deviations))
        if family == "wall clock"
        else (lambda r: 1 + r.uniform(-COST_NOISE, COST_NOISE))
    )
    tallies: dict[str, Tally] = {}
    for _ in range(histories):
        values, at = history(rng, noise, step)
        for label, threshold in THRESHOLDS[family].items():
            alerts = [(push, push) for push in single_point_alerts(values, threshold)]
            _judge(
                alerts,
                at,
                tallies.setdefault(f"single point > {threshold:.2f}x ({label})", Tally()),
                LENGTH - 1,
            )
        for settings in SETTINGS:
            name = f"Otava {settings}"
            pushes = LENGTH - changes.MIN_POINTS + 1
            _judge(
                change_point_alerts(values, settings), at, tallies.setdefault(name, Tally()), pushes
            )
    return tallies


def table(results: dict[tuple[str, float | None], dict[str, Tally]]) -> str:
    """The Markdown table: per noise family and rule, detection and delay per step, false alarms."""
    lines = [
        "| noise | rule | false alarms / 100 pushes | "
        + " | ".join(f"{step}x: found, delay" for step in STEPS)
        + " |",
        "|---|---|---:|" + "---:|" * len(STEPS),
    ]
    for family in THRESHOLDS:
        quiet = results[(family, None)]
        for rule, tally in quiet.items():
            cells = []
            for step in STEPS:
                stepped = results[(family, step)][rule]
                assert stepped.delays is not None
                delay = f"{statistics.median(stepped.delays):g}" if stepped.delays else "-"
                cells.append(f"{stepped.detected / stepped.stepped:.0%}, {delay}")
            alarms = 100 * tally.false_alarms / tally.pushes
            lines.append(f"| {family} | {rule} | {alarms:.2f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.change_detection", description=__doc__)
    parser.add_argument("--seed", type=int, default=1, help="the histories' seed (default 1)")
    parser.add_argument("--histories", type=int, default=HISTORIES, help="per family and step")
    parser.add_argument("--jobs", type=int, default=None, help="processes (default: every core)")
    args = parser.parse_args(argv)
    tasks = [
        (family, step, args.seed * 1000 + index, args.histories)
        for family in THRESHOLDS
        for index, step in enumerate((None, *STEPS))
    ]
    with ProcessPoolExecutor(args.jobs) as pool:
        results = dict(zip([task[:2] for task in tasks], pool.map(_family, tasks), strict=True))
    print(
        f"{args.histories} histories of {LENGTH} points per family and step "
        f"(seed {args.seed}); delay: median points from the step to its alert\n"
    )
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
