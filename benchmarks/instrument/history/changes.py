"""Change points of every case's series, found over the whole history by Apache Otava.

A single-point alert compares each push with the one before it: on a shared
runner the noise of one point is the threshold's enemy, so thresholds grow
until real steps pass unseen. Change-point detection looks at the whole
series instead: Otava (``apache-otava``; Hunter, ICPE 2023) splits it
where the points before and after differ most (E-divisive means) and keeps
a split that a t-test finds significant. Each change is printed with the
first commit after it, the means before and after, their ratio and the
t-test's p-value; regressions first.

A change is the code's only where nothing else changed with it: when the
machine, valgrind or a library's version recorded beside the points also
changed at that point, it says so, and the code is not the only suspect.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks.instrument.history.datajs import Point, Series, environment

__all__ = [
    "MIN_POINTS",
    "Change",
    "DetectorMissing",
    "Found",
    "Settings",
    "appeared",
    "detect",
    "find",
    "find_all",
    "report",
]

#: Fewer points than this are not judged: three a side at least.
MIN_POINTS = 6
INSTALL = (
    "pip install 'apache-otava==0.8.0' in an environment of its own (its package pins "
    "numpy 2.2.0, which must not replace the numpy of the code measured)"
)


class DetectorMissing(Exception):
    """Otava is not installed here; the message says how to install it."""


@dataclass(frozen=True)
class Settings:
    """Otava's settings: the p-value a change must reach, the smallest relative change kept,
    and the window of points the first pass splits.

    The defaults were chosen by ``python -m tools.change_detection`` (docs/benchmarks/
    history.md has its table): at p < 0.0001, 0.45 false alarms per 100 pushes in the wall
    clock's noise against 1.16 at p < 0.001, for 86% of the 1.2x steps found rather than
    88%. A count repeats to the cycle, so its t-test calls a change of a few cycles
    significant: 1% is kept as the smallest change, above the counts' ±0.4%.
    """

    max_pvalue: float = 0.0001
    min_magnitude: float = 0.01
    window: int = 50

    def __str__(self) -> str:
        kept = f"p < {self.max_pvalue:g}"
        return kept + (f", change > {self.min_magnitude:.0%}" if self.min_magnitude else "")


@dataclass(frozen=True)
class Change:
    """A change point of one case's series: ``index`` is its first point after the change."""

    series: Series
    index: int
    mean_before: float
    mean_after: float
    pvalue: float

    @property
    def ratio(self) -> float:
        return self.mean_after / self.mean_before if self.mean_before else float("inf")

    @property
    def regression(self) -> bool:
        return self.ratio < 1 if self.series.bigger_is_better else self.ratio > 1

    @property
    def first(self) -> Point:
        """The first point after the change: its commit is the first suspect."""
        return self.series.points[self.index]

    def world_changes(self) -> list[str]:
        """What else changed at this point: ``["opencv 5.0.0 -> 5.1.0"]``, of what both points
        recorded (a point's text may name less: an older format, another series' tool)."""
        before = environment(self.series.points[self.index - 1].extra)
        after = environment(self.first.extra)
        return [
            f"{name} {before[name]} -> {after[name]}"
            for name in sorted(before.keys() & after.keys())
            if before[name] != after[name]
        ]


def detect(values: Sequence[float], settings: Settings) -> list[tuple[int, float, float, float]]:
    """Otava's change points of ``values``: (index after, mean before, mean after, p-value)."""
    try:
        from otava.analysis import compute_change_points
    except ImportError:
        raise DetectorMissing(f"finding change points needs Apache Otava: {INSTALL}") from None
    points, _ = compute_change_points(
        list(values),
        window_len=settings.window,
        max_pvalue=settings.max_pvalue,
        min_magnitude=settings.min_magnitude,
    )
    return [
        (int(p.index), float(p.stats.mean_1), float(p.stats.mean_2), float(p.stats.pvalue))
        for p in points
    ]


def appeared(
    now: Sequence[tuple[int, float, float, float]],
    before: Sequence[tuple[int, float, float, float]],
    *,
    bigger_is_better: bool = False,
) -> list[tuple[int, float, float, float]]:
    """The regressions among the change points ``now`` that the series one point shorter did
    not have (``before``, at the same index or one beside): what the newest point brought."""
    known = {index + shift for index, *_ in before for shift in (-1, 0, 1)}
    return [
        found
        for found in now
        if found[0] not in known
        and (found[2] < found[1] if bigger_is_better else found[2] > found[1])
    ]


@dataclass(frozen=True)
class Found:
    """Every change point of the series, regressions first; those the newest push brought
    (when asked for); the series too short to judge."""

    changes: list[Change]
    new: list[Change]
    short: list[Series]
    judged: int  # the series long enough to be searched


def find_all(every: Sequence[Series], settings: Settings, *, newest: bool = False) -> Found:
    """The change points of every series; with ``newest``, also which the last push brought
    (:func:`appeared`: the series without its last point is searched too)."""
    found: list[Change] = []
    new: list[Change] = []
    short = []
    for series in every:
        if len(series.points) < MIN_POINTS:
            short.append(series)
            continue
        values = [point.value for point in series.points]
        now = detect(values, settings)
        found += [Change(series, *point) for point in now]
        if newest:
            before = detect(values[:-1], settings) if len(values) > MIN_POINTS else []
            brought = appeared(now, before, bigger_is_better=series.bigger_is_better)
            new += [Change(series, *point) for point in brought]
    found.sort(key=lambda change: (not change.regression, -abs(change.ratio - 1)))
    return Found(found, new, short, len(every) - len(short))


def find(series: Series, settings: Settings) -> list[Change]:
    """The change points of one case's series (none for fewer than :data:`MIN_POINTS`)."""
    return find_all([series], settings).changes


def detector_version() -> str:
    try:
        return f"Apache Otava {importlib.metadata.version('apache-otava')}"
    except importlib.metadata.PackageNotFoundError:
        return "Apache Otava"


def report(found: Found, settings: Settings) -> str:
    """Every change point :func:`find_all` found, regressions first, then the series too
    short to judge."""
    lines = [
        f"Change points ({detector_version()}: E-divisive means, kept at {settings}): "
        f"{len(found.changes)} in {found.judged} case series"
        + (f", {len(found.short)} too short to judge" if found.short else "")
    ]
    for change in found.changes:
        lines += ["", *_described(change)]
    if found.short:
        lines += [
            "",
            f"Too short to judge (fewer than {MIN_POINTS} points): "
            + ", ".join(f"{s.series} / {s.case} ({len(s.points)})" for s in found.short),
        ]
    return "\n".join(lines) + "\n"


def _described(change: Change) -> list[str]:
    series, first = change.series, change.first
    kind = "REGRESSION" if change.regression else "improvement"
    lines = [
        f"{kind}: {series.series} / {series.case}: {change.mean_before:.4g} -> "
        f"{change.mean_after:.4g} {series.unit} (mean before and after), "
        f"{change.ratio:.3f}x, p = {change.pvalue:.2g}",
        f"    first commit after it: {first.commit[:9]} {first.subject!r} {first.date} "
        f"{first.url}".rstrip(),
    ]
    world = change.world_changes()
    if world:
        lines.append(
            f"    also changed at this point: {', '.join(world)}: the code is not the only suspect"
        )
    return lines
