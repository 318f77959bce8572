"""github-action-benchmark's ``data.js``, read into series of points.

The action keeps, per series name (the workflow's ``name:``), one entry per
push: the commit (``id``, ``message``, ``timestamp``, ``url``) and the
``benches`` of that push, each a case's ``name``, ``value``, ``unit`` and an
``extra`` text. Ours names, in that text, what a figure depends on beside
the code: the machine (``on MACHINE``), valgrind for a count, and the
versions (``versions numpy=2.4.6 opencv=5.1.0 ...``).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["PREFIX", "DataJsError", "Point", "Series", "environment", "load", "read_text"]

#: How the action's data.js begins (its write.js, SCRIPT_PREFIX).
PREFIX = "window.BENCHMARK_DATA = "
#: The action's tools whose values are better when larger; every other one's, when smaller.
_BIGGER_IS_BETTER = {"customBiggerIsBetter", "pytest", "benchmarkjs", "benchmarkluau"}


class DataJsError(Exception):
    """The data.js cannot be read; the message is one line that says why."""


@dataclass(frozen=True)
class Point:
    """One push's figure of one case."""

    commit: str
    subject: str
    date: str
    url: str
    value: float
    unit: str
    extra: str = ""
    pushed: int = 0  # the action's date of the push, in milliseconds: a push's identity


@dataclass
class Series:
    """One case's figures in one series of the action, oldest first."""

    series: str
    case: str
    bigger_is_better: bool
    points: list[Point] = field(default_factory=list)

    @property
    def unit(self) -> str:
        return self.points[-1].unit if self.points else ""


def read_text(where: str) -> str:
    """The text of ``where``: a file, or ``REF:PATH`` in the git repository of the working
    directory (``gh-pages:dev/bench/data.js``)."""
    path = Path(where)
    if path.is_file():
        return path.read_text(encoding="utf-8")
    ref, colon, inside = where.partition(":")
    if not colon or not ref or not inside:
        raise DataJsError(
            f"{where}: no such file (a path, or REF:PATH such as gh-pages:dev/bench/data.js)"
        )
    shown = subprocess.run(
        ["git", "show", f"{ref}:{inside}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if shown.returncode != 0:
        reason = shown.stderr.strip().splitlines()[-1] if shown.stderr.strip() else "git failed"
        raise DataJsError(
            f"{where}: not a file, and git cannot show it ({reason}); "
            f"fetch the branch first: git fetch origin {ref}:{ref}"
        )
    return shown.stdout


def load(text: str, *, name: str = "data.js") -> list[Series]:
    """Every case's series in the data.js ``text``, in the file's order of series and cases."""
    body = text.strip()
    if body.startswith(PREFIX):
        body = body[len(PREFIX) :]
    try:
        document = json.loads(body.rstrip(";"))
        entries = document["entries"]
        if not isinstance(entries, Mapping):
            raise TypeError("entries is not an object")
        return [case for series, pushes in entries.items() for case in _cases(series, pushes)]
    except (ValueError, KeyError, TypeError) as error:
        raise DataJsError(
            f"{name}: not github-action-benchmark's data.js ({type(error).__name__}: {error})"
        ) from None


def _cases(series: str, pushes: list[dict[str, Any]]) -> list[Series]:
    found: dict[str, Series] = {}
    for push in pushes:
        commit = push["commit"]
        bigger = push.get("tool") in _BIGGER_IS_BETTER
        for bench in push["benches"]:
            case = found.setdefault(bench["name"], Series(series, bench["name"], bigger))
            case.points.append(
                Point(
                    commit=str(commit["id"]),
                    subject=str(commit.get("message", "")).splitlines()[0]
                    if commit.get("message")
                    else "",
                    date=str(commit.get("timestamp", "")),
                    url=str(commit.get("url", "")),
                    value=float(bench["value"]),
                    unit=str(bench.get("unit", "")),
                    extra=str(bench.get("extra", "")),
                    pushed=int(push.get("date", 0)),
                )
            )
    return list(found.values())


_VERSIONS = re.compile(r"versions ((?:[\w.+-]+=\S+ ?)+)")
_MACHINE = re.compile(r"(?:^|; )on ([^;]+)")
_VALGRIND = re.compile(r"valgrind (\S+)'s simulated CPU")


def environment(extra: str) -> dict[str, str]:
    """What a point's ``extra`` says it depends on beside the code: its machine, valgrind's
    version for a count, and the versions of the libraries (``{"opencv": "5.1.0", ...}``)."""
    found: dict[str, str] = {}
    machine = _MACHINE.search(extra)
    if machine:
        found["machine"] = machine[1].strip()
    valgrind = _VALGRIND.search(extra)
    if valgrind:
        found["valgrind"] = valgrind[1]
    versions = _VERSIONS.search(extra)
    if versions:
        for item in versions[1].split():
            name, _, version = item.partition("=")
            found[name] = version.rstrip(";,")
    return found
