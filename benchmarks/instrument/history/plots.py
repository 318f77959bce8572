"""One picture per group of cases: each case's whole series, its change points marked."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from benchmarks.instrument.history.changes import Change
from benchmarks.instrument.history.datajs import Series

__all__ = ["draw", "group_of"]


def group_of(series: Series) -> str:
    """The picture a case goes in: its series and its size (``recolor x copy, 998x998``)."""
    return f"{series.series}, {series.case.split('-', 1)[0]}"


def draw(every: Sequence[Series], found: Sequence[Change], folder: Path) -> dict[str, Path]:
    """Draw each group's cases, a marker at each change point (red: a regression, green: an
    improvement); the PNGs written, by group. Log scale where the cases differ tenfold."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    groups: dict[str, list[Series]] = {}
    for series in every:
        groups.setdefault(group_of(series), []).append(series)
    written = {}
    for group, members in groups.items():
        figure, axes = plt.subplots(figsize=(9, 4.8))
        seen: list[float] = []
        for series in members:
            values = [point.value for point in series.points]
            (line,) = axes.plot(range(len(values)), values, marker=".", label=series.case)
            seen += values
            for change in (c for c in found if c.series is series):
                axes.axvline(
                    change.index - 0.5,
                    color="tab:red" if change.regression else "tab:green",
                    linestyle="--",
                    linewidth=1,
                )
                late = change.index > len(values) / 2  # its label to the left, inside
                axes.annotate(
                    f"{change.ratio:.2f}x {change.first.commit[:7]}",
                    (change.index, change.mean_after),
                    color=line.get_color(),
                    fontsize="small",
                    xytext=(-6 if late else 4, 4),
                    textcoords="offset points",
                    horizontalalignment="right" if late else "left",
                )
        if seen and min(seen) > 0 and max(seen) > 10 * min(seen):
            axes.set_yscale("log")
        axes.set_xlabel("push, oldest first")
        axes.set_ylabel(members[0].unit)
        axes.set_title(f"{group}: change points (dashed: red a regression, green an improvement)")
        axes.legend(fontsize="small")
        figure.tight_layout()
        path = folder / f"{re.sub(r'[^A-Za-z0-9]+', '-', group).strip('-')}.png"
        figure.savefig(path, dpi=80)
        plt.close(figure)
        written[group] = path
    return written
