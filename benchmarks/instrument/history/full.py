"""The whole history, kept beside the dashboard's data.js, which keeps only its last pushes.

github-action-benchmark drops a series' oldest pushes beyond ``max-items-in-chart``,
so that its page stays light; change points are found over everything, so
each run merges the data.js into this file (``dev/bench/full-history.json``
on gh-pages). It is compact: every push once (its commit's id, subject,
date, link and the action's date of the push), every distinct ``extra`` text
once, and per case only ``[push, value, extra]`` indexes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.instrument.files import write_text
from benchmarks.instrument.history.datajs import DataJsError, Point, Series

__all__ = ["FORMAT", "load", "merge", "save", "series_of"]

FORMAT = 1


def load(path: Path) -> dict[str, Any]:
    """The file at ``path``; an empty history if there is none yet."""
    if not path.exists():
        return {"format": FORMAT, "pushes": [], "extras": [], "series": {}}
    try:
        stored: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise DataJsError(f"{path}: not a full history ({error})") from None
    if stored.get("format") != FORMAT:
        raise DataJsError(
            f"{path}: format {stored.get('format')!r}, and this code reads {FORMAT}; "
            "restore it from gh-pages' git history"
        )
    return stored


def merge(stored: dict[str, Any], every: Sequence[Series]) -> int:
    """Add to ``stored`` the points of ``every`` it does not hold yet; how many were added."""
    pushes = {(push[0], push[4]): index for index, push in enumerate(stored["pushes"])}
    extras = {text: index for index, text in enumerate(stored["extras"])}
    added = 0
    for series in every:
        kept = stored["series"].setdefault(
            series.series,
            {"bigger_is_better": series.bigger_is_better, "unit": series.unit, "cases": {}},
        )
        points = kept["cases"].setdefault(series.case, [])
        held = {point[0] for point in points}
        for point in series.points:
            key = (point.commit, point.pushed)
            if key not in pushes:
                pushes[key] = len(stored["pushes"])
                stored["pushes"].append(
                    [point.commit, point.subject, point.date, point.url, point.pushed]
                )
            if pushes[key] in held:
                continue
            if point.extra not in extras:
                extras[point.extra] = len(stored["extras"])
                stored["extras"].append(point.extra)
            points.append([pushes[key], point.value, extras[point.extra]])
            held.add(pushes[key])
            added += 1
        points.sort(key=lambda point: stored["pushes"][point[0]][4])
    return added


def series_of(stored: dict[str, Any]) -> list[Series]:
    """Every case's whole series, oldest first."""
    found = []
    for name, kept in stored["series"].items():
        for case, points in kept["cases"].items():
            series = Series(name, case, bool(kept["bigger_is_better"]))
            for push, value, extra in points:
                commit, subject, date, url, pushed = stored["pushes"][push]
                series.points.append(
                    Point(
                        commit,
                        subject,
                        date,
                        url,
                        value,
                        kept["unit"],
                        stored["extras"][extra],
                        pushed,
                    )
                )
            found.append(series)
    return found


def save(stored: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, json.dumps(stored, separators=(",", ":")) + "\n")
